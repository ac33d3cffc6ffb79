"""``newsarchive archive …``: deposit, verify, list, show, export.

Errors are one line ``path: cause`` on stderr with a non-zero exit, never a traceback.
Exit codes: 0 fine, 1 some inputs failed / damage found, 2 usage, 3 every input failed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from newsarchive.clikit import Command, make_app
from newsarchive.errors import NewsarchiveError
from newsarchive.options import Options

app = make_app(
    help="Deposit editions into an OCFL 1.1 archive; verify fixity; list, show, export BagIt.",
)

RootOpt = Annotated[
    Path | None,
    typer.Option(
        "--root",
        envvar="NEWSARCHIVE_ARCHIVE_ROOT",
        show_default=False,
        help="OCFL storage root, created on first deposit (default: [archive] root of "
        "newsarchive.toml, else archive).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]
DEFAULT_ROOT = Path("archive")


def _root(root: Path | None) -> Path:
    """--root (or $NEWSARCHIVE_ARCHIVE_ROOT), else [archive] root of newsarchive.toml."""
    if root is not None:
        return root
    from newsarchive.config import load_config

    return load_config(None).archive_root or DEFAULT_ROOT


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _fail(exc: NewsarchiveError) -> typer.Exit:
    _err(str(exc))
    return typer.Exit(exc.exit_code)


def _describe(d: Any) -> str:
    if d.status == "unchanged":
        return f"{d.object_id}: unchanged at {d.version}"
    if d.status == "new":
        return f"{d.object_id}: {d.version} deposited ({d.stored} files)"
    return (
        f"{d.object_id}: {d.version} ({len(d.changed)} changed, {d.stored} files stored, "
        "the rest carried forward)"
    )


def deposit_one(
    path: str, root: Path, options: Options, say: Callable[[str], None] = _err
) -> str | None:
    """Deposit one input for ``convert --deposit``: progress lines go to ``say``; returns
    the error line, or None."""
    from newsarchive.archive.deposit import deposit_file

    if path == "-":
        return "-: standard input cannot be deposited (the archive keeps the original file)"
    try:
        for d in deposit_file(Path(path), root, options):
            say(f"{path}: {_describe(d)}")
    except NewsarchiveError as exc:
        exc.path = exc.path or path
        return str(exc)
    return None


@app.command(cls=Command)
def deposit(
    paths: Annotated[list[str], typer.Argument(help="Scraped files (or TEI), folders with -r.")],
    root: RootOpt = None,
    recursive: Annotated[
        bool, typer.Option("-r", "--recursive", help="Descend into folders.")
    ] = False,
    script: Annotated[str, typer.Option("--script", help="hans, hant or keep.")] = "hans",
    punctuation: Annotated[str, typer.Option("--punctuation", help="fix or keep.")] = "fix",
    metadata: Annotated[
        Path | None, typer.Option("--metadata", help="Sidecar CSV/JSON/TOML of field overrides.")
    ] = None,
    font: Annotated[str | None, typer.Option("--font", help="PDF font PATH[:INDEX].")] = None,
    pdfa: Annotated[
        str | None, typer.Option("--pdfa", help="PDF/A level, as for convert (default 2a).")
    ] = None,
    as_json: JsonOpt = False,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Only errors.")] = False,
) -> None:
    """Deposit articles: one OCFL object per article, a new version only when it changed.

    Each object holds the original file, the TEI, DOCX and PDF editions and a provenance
    record. A TEI input (a corrected edition) becomes the next version of its article."""
    from newsarchive.archive.deposit import deposit_file
    from newsarchive.batch import collect_inputs
    from newsarchive.config import resolve

    try:
        options = resolve(
            script=script, punctuation=punctuation, metadata=metadata, font=font, pdfa=pdfa
        ).options
        root = _root(root)
    except NewsarchiveError as exc:
        raise _fail(exc) from None
    inputs, notes = collect_inputs(paths, recursive)
    for note in notes:
        _err(note)
    if not inputs:
        _err("no input files")
        raise typer.Exit(2)
    start = time.perf_counter()
    results: list[dict[str, Any]] = []
    failed = 0
    for item in inputs:
        if item.path == "-":
            failed += 1
            _err("-: standard input cannot be deposited (the archive keeps the original file)")
            continue
        try:
            for d in deposit_file(Path(item.path), root, options):
                results.append(d.__dict__ | {"changed": list(d.changed)})
                if not quiet and not as_json:
                    _err(f"{item.path}: {_describe(d)}")
        except NewsarchiveError as exc:
            failed += 1
            exc.path = exc.path or item.path
            _err(str(exc))
    seconds = time.perf_counter() - start
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "root": str(root),
                    "deposits": results,
                    "failed": failed,
                    "seconds": round(seconds, 3),
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    elif not quiet and results:
        counts = {
            s: sum(1 for r in results if r["status"] == s) for s in ("new", "updated", "unchanged")
        }
        per = f", {seconds / len(results):.2f} s/article" if results else ""
        _err(
            f"{len(results)} article(s) from {len(inputs) - failed} of {len(inputs)} inputs "
            f"into {root}/: {counts['new']} new, {counts['updated']} updated, "
            f"{counts['unchanged']} unchanged ({seconds:.1f} s{per})"
        )
    if failed:
        raise typer.Exit(3 if failed == len(inputs) else 1)


@app.command(cls=Command)
def verify(
    identifier: Annotated[str | None, typer.Argument(help="Only this object id.")] = None,
    root: RootOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Full fixity check: every file's SHA-512 against the inventories, plus OCFL rules.

    Names every damaged, missing or unexpected file; exit 1 if any. Never repairs."""
    from newsarchive.archive.verify import verify as run

    try:
        root = _root(root)
        report = run(root, identifier)
    except NewsarchiveError as exc:
        raise _fail(exc) from None
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        for problem in report.problems:
            _err(str(problem))
        for note in report.notes:
            _err(note)
        state = "OK" if report.ok else f"{len(report.problems)} problem(s)"
        _err(
            f"{root}: {report.objects} object(s), {report.files} files, "
            f"{report.bytes / 1e6:.1f} MB checked in {report.seconds:.2f} s: {state}"
        )
    if not report.ok:
        raise typer.Exit(1)


_LIST_COLUMNS = ("id", "title", "newspaper", "date", "versions", "last deposit")


def _tsv_cell(value: object) -> str:
    return " ".join(str(value or "").split())  # no tab or newline can break a row


@app.command("list", cls=Command)
def list_cmd(
    root: RootOpt = None,
    as_json: JsonOpt = False,
    tsv: Annotated[
        bool, typer.Option("--tsv", help="Tab-separated, one line per object (default in a pipe).")
    ] = False,
) -> None:
    """Objects in the archive: id, title, newspaper, date, versions, last deposit.

    A table on a terminal; one tab-separated line per object (with a header) otherwise.
    An object whose inventory is unusable is named on stderr (exit 1); the rest is listed."""
    import sys

    from rich.console import Console
    from rich.table import Table

    from newsarchive.archive.catalog import list_objects

    try:
        root = _root(root)
        objects, damaged = list_objects(root)
    except NewsarchiveError as exc:
        raise _fail(exc) from None
    rows = [(o.id, o.title, o.newspaper, o.date, o.versions, o.last_deposit) for o in objects]
    if as_json:
        typer.echo(json.dumps([o.to_dict() for o in objects], ensure_ascii=False, indent=2))
    elif tsv or not sys.stdout.isatty():
        typer.echo("\t".join(_LIST_COLUMNS))
        for row in rows:
            typer.echo("\t".join(map(_tsv_cell, row)))
    else:
        table = Table(title=f"{root}: {len(objects)} object(s)", title_justify="left")
        for column in _LIST_COLUMNS:
            table.add_column(column, overflow="fold", no_wrap=column in ("date", "versions"))
        for row in rows:
            table.add_row(*(str(v or "") for v in row))
        Console(soft_wrap=False).print(table)
    for exc in damaged:
        _err(f"{exc} (object not listed; see 'newsarchive archive verify')")
    if damaged:
        raise typer.Exit(1)


@app.command(cls=Command)
def show(
    identifier: Annotated[
        str, typer.Argument(help="Object id, a unique prefix of its hash, or the file name.")
    ],
    root: RootOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One object: its versions (when, by whom, what changed) and the files of its head."""
    from rich.console import Console
    from rich.table import Table

    from newsarchive.archive.catalog import describe

    try:
        root = _root(root)
        info = describe(root, identifier)
    except NewsarchiveError as exc:
        raise _fail(exc) from None
    if as_json:
        typer.echo(json.dumps(info, ensure_ascii=False, indent=2))
        return
    console = Console(soft_wrap=False)
    console.print(
        f"[bold]{info['id']}[/bold]\n{info['title'] or ''}  "
        f"{info['newspaper'] or ''} {info['date'] or ''}\n{info['path']}"
    )
    versions = Table(title="versions", title_justify="left")
    for column in ("version", "created", "user", "stored", "changes", "message"):
        versions.add_column(column, overflow="fold")
    for v in info["versions_detail"]:
        changes = f"+{len(v['added'])} ~{len(v['changed'])} -{len(v['removed'])}"
        versions.add_row(
            v["version"], v["created"], v["user"], str(v["stored"]), changes, v["message"]
        )
    console.print(versions)
    files = Table(title=f"files of {info['head']}", title_justify="left")
    for column in ("path", "bytes", "stored in", "sha512"):
        files.add_column(column, overflow="fold")
    for f in info["files"]:
        files.add_row(f["path"], str(f["size"]), f["stored_in"], f["sha512"][:16] + "…")
    console.print(files)


@app.command(cls=Command)
def export(
    identifiers: Annotated[
        list[str], typer.Argument(help="Objects (id, unique hash prefix or file name).")
    ],
    bagit: Annotated[Path, typer.Option("--bagit", help="New folder for the BagIt bag.")],
    root: RootOpt = None,
    version: Annotated[
        str | None, typer.Option("--version", help="Export this version (default: latest).")
    ] = None,
    organization: Annotated[
        str, typer.Option("--organization", help="bag-info Source-Organization.")
    ] = "newsarchive",
) -> None:
    """Export objects as one validated BagIt bag (sha256 + sha512 manifests)."""
    from newsarchive.archive.bag import export_bag

    try:
        root = _root(root)
        result = export_bag(root, identifiers, bagit, organization=organization, version=version)
    except NewsarchiveError as exc:
        raise _fail(exc) from None
    _err(
        f"{result.path}: bag of {result.objects} object(s), {result.files} files, "
        f"{result.bytes:,} bytes; valid"
    )
