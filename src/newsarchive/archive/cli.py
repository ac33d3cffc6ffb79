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
    note = f" ({d.note})" if getattr(d, "note", "") else ""
    if d.status == "unchanged":
        return f"{d.object_id}: unchanged at {d.version}{note}"
    if d.status == "new":
        return f"{d.object_id}: {d.version} deposited ({d.stored} files){note}"
    return (
        f"{d.object_id}: {d.version} ({len(d.changed)} changed, {d.stored} files stored, "
        f"the rest carried forward){note}"
    )


def deposit_one(
    path: str,
    root: Path,
    options: Options,
    say: Callable[[str], None] = _err,
    outputs: list[str] | None = None,
) -> str | None:
    """Deposit one converted input for ``convert --deposit``: the TEI editions it has just
    written (with the DOCX/PDF beside them, byte for byte, and ``path`` as their source),
    else the input itself. Progress lines go to ``say``; returns the error line, or None."""
    from newsarchive.archive.deposit import deposit_file

    if path == "-":
        return "-: standard input cannot be deposited (the archive keeps the original file)"
    editions = [o for o in outputs or [] if o.endswith(".tei.xml")]
    try:
        for item in editions or [path]:
            for d in deposit_file(Path(item), root, options, sources=[Path(path)]):
                say(f"{item}: {_describe(d)}")
    except NewsarchiveError as exc:
        exc.path = exc.path or path
        return str(exc)
    return None


def _deposit_inputs(paths: list[str], recursive: bool) -> tuple[list[Any], list[str], dict]:
    """Inputs of ``archive deposit`` (a folder is always descended: it is usually what
    ``convert`` wrote), the notes about skipped files, and for each scraped input every
    name its bytes have in this batch."""
    import hashlib

    from newsarchive.batch import collect_inputs
    from newsarchive.batch.state import STATE_PREFIX
    from newsarchive.pipeline import is_tei

    recursive = recursive or any(Path(p).is_dir() for p in paths)
    inputs, notes = collect_inputs(paths, recursive)
    teis = {
        str(Path(i.path).with_name(Path(i.path).name[: -len(".tei.xml")]))
        for i in inputs
        if i.path.endswith(".tei.xml")
    }

    def taken_with_a_tei(note: str) -> bool:
        """DOCX/PDF beside a TEI go with it; convert's state file is read for the sources."""
        where = Path(note.split(": skipped", 1)[0])
        if where.name.startswith(STATE_PREFIX):
            return True
        return where.suffix in (".docx", ".pdf") and str(where.with_suffix("")) in teis

    notes = [n for n in notes if not taken_with_a_tei(n)]
    names: dict[str, list[str]] = {}
    by_hash: dict[str, list[str]] = {}
    for item in inputs:
        if item.path == "-" or is_tei(item.path):
            continue
        try:
            with open(item.path, "rb") as handle:
                digest = hashlib.file_digest(handle, "sha256").hexdigest()
        except OSError:
            continue  # the deposit reports it
        by_hash.setdefault(digest, []).append(item.path)
    for same in by_hash.values():
        for item_path in same:
            names[item_path] = sorted({Path(p).name for p in same})
    return inputs, notes, names


@app.command(cls=Command)
def deposit(
    paths: Annotated[
        list[str],
        typer.Argument(help="What convert wrote (folder or .tei.xml), scraped files; -r."),
    ],
    root: RootOpt = None,
    recursive: Annotated[
        bool, typer.Option("-r", "--recursive", help="Descend into folders (always for a folder).")
    ] = False,
    source: Annotated[
        list[Path] | None,
        typer.Option(
            "--source",
            help="Where the scraped files of TEI editions are, if they moved (file or folder; "
            "repeatable).",
        ),
    ] = None,
    rerender: Annotated[
        bool,
        typer.Option(
            "--rerender",
            help="Render from the scrape even where a hand correction is the latest version.",
        ),
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
    """Deposit what convert made, or scraped files: one OCFL object per article.

    A TEI edition is stored byte for byte with the DOCX and PDF beside it and the scraped
    file it records (found by path and SHA-256). A TEI that differs from what its scrape
    renders is a hand correction: the next version, kept by later deposits of the scrape
    unless --rerender. Same bytes again (under any name) add no version. Ctrl-C finishes or
    rolls back the object in hand, then stops (exit 130)."""
    from newsarchive.archive.deposit import deposit_file
    from newsarchive.config import resolve

    try:
        options = resolve(
            script=script, punctuation=punctuation, metadata=metadata, font=font, pdfa=pdfa
        ).options
        root = _root(root)
    except NewsarchiveError as exc:
        raise _fail(exc) from None
    inputs, notes, names = _deposit_inputs(paths, recursive)
    for note in notes:
        _err(note)
    if not inputs:
        _err("no input files")
        raise typer.Exit(2)
    start = time.perf_counter()
    results: list[dict[str, Any]] = []
    failed = 0
    interrupted = False
    try:
        for item in inputs:
            if item.path == "-":
                failed += 1
                _err("-: standard input cannot be deposited (the archive keeps the original file)")
                continue
            try:
                for d in deposit_file(
                    Path(item.path),
                    root,
                    options,
                    rerender=rerender,
                    names=names.get(item.path),
                    sources=source or [],
                ):
                    results.append(d.__dict__ | {"changed": list(d.changed)})
                    if not quiet and not as_json:
                        _err(f"{item.path}: {_describe(d)}")
            except NewsarchiveError as exc:
                failed += 1
                exc.path = exc.path or item.path
                _err(str(exc))
    except KeyboardInterrupt as exc:  # the object in hand was finished or rolled back
        interrupted = True
        for d in getattr(exc, "done", []):
            results.append(d.__dict__ | {"changed": list(d.changed)})
            if not quiet and not as_json:
                _err(f"{d.source}: {_describe(d)}")
    seconds = time.perf_counter() - start
    counts = {
        s: sum(1 for r in results if r["status"] == s) for s in ("new", "updated", "unchanged")
    }
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "root": str(root),
                    "deposits": results,
                    "failed": failed,
                    "interrupted": interrupted,
                    "seconds": round(seconds, 3),
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    elif not quiet and (results or interrupted):
        per = f", {seconds / len(results):.2f} s/article" if results else ""
        _err(
            f"{len(results)} article(s) from {len(inputs) - failed} of {len(inputs)} inputs "
            f"into {root}/: {counts['new']} new, {counts['updated']} updated, "
            f"{counts['unchanged']} unchanged ({seconds:.1f} s{per})"
        )
    if interrupted:
        _err(f"interrupted: {len(results)} article(s) deposited or checked before the stop")
        raise typer.Exit(130)
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
