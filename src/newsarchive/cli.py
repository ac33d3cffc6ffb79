"""The command line: parses options and calls read -> normalise -> write. Nothing else.

Exit codes: 0 all done, 1 some inputs failed (or invalid TEI), 2 usage error,
3 every input failed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from newsarchive import __version__
from newsarchive.archive.cli import app as archive_app
from newsarchive.errors import NewsarchiveError, UsageError

app = typer.Typer(
    name="newsarchive",
    help="Turn scraped Chinese newspaper articles into archival editions (TEI P5, DOCX, PDF/A).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE, EXIT_ALL_FAILED = 0, 1, 2, 3


def _version(value: bool) -> None:
    if value:
        typer.echo(f"newsarchive {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """newsarchive: normalise scraped articles, validate and emit archival editions."""


def _err(message: str) -> None:
    typer.echo(message, err=True)


MetadataOpt = Annotated[
    Path | None,
    typer.Option(
        "--metadata",
        help="Sidecar CSV/JSON/TOML keyed by input file name that adds or "
        "overrides fields (title, date, newspaper, url, licence…).",
    ),
]


ScriptOpt = Annotated[
    str | None,
    typer.Option(
        "--script",
        help="Target script: hans (Simplified), hant (Traditional) or keep. \\[default: hans]",
        show_default=False,
    ),
]
PunctOpt = Annotated[
    str | None,
    typer.Option(
        "--punctuation",
        help="fix: half-width marks inside Chinese become full-width; keep: leave them. "
        "\\[default: fix]",
        show_default=False,
    ),
]

CONVERT_EPILOG = (
    "Defaults come from newsarchive.toml (--config, else ./newsarchive.toml, else "
    "$XDG_CONFIG_HOME/newsarchive/newsarchive.toml); options given here override it.  "
    "Re-runs skip inputs whose bytes, options and newsarchive version are unchanged and "
    "whose outputs still exist (state in OUTPUT/.newsarchive-state*.jsonl); an interrupted "
    "run resumes where it stopped.  "
    "Exit codes: 0 every input converted or unchanged; 1 some inputs failed; "
    "2 usage error; 3 every input failed; 130 interrupted."
)


@app.command(epilog=CONVERT_EPILOG)
def convert(
    paths: Annotated[
        list[str], typer.Argument(help="Files, folders (with -r), globs or - for stdin.")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output folder.")] = Path("output"),
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="Comma-separated formats: tei,docx,pdf. \\[default: all three]",
            show_default=False,
        ),
    ] = None,
    recursive: Annotated[
        bool, typer.Option("-r", "--recursive", help="Descend into folders.")
    ] = False,
    script: ScriptOpt = None,
    punctuation: PunctOpt = None,
    metadata: MetadataOpt = None,
    font: Annotated[
        str | None,
        typer.Option(
            "--font", help="TrueType font PATH[:INDEX] for the PDF (default AR PL UMing)."
        ),
    ] = None,
    pdfa: Annotated[
        str | None,
        typer.Option(
            "--pdfa",
            help="PDF/A level: 2a (tagged, also PDF/UA-1), 2b, 2u, 3a, 3b, 3u (3: TEI "
            "attached), 1b (PDF/A-1, not UA). \\[default: 2a]",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("-q", "--quiet", help="Only errors: no progress, no summary.")
    ] = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            "-j",
            "--jobs",
            min=1,
            show_default=False,
            help="Worker processes (dask: local cluster size). \\[default: CPU count]",
        ),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Write one JSON line per input (input, outputs, articles, status, error, "
            "seconds, sha256) to this file.",
        ),
    ] = None,
    json_summary: Annotated[
        bool, typer.Option("--json", help="Print a JSON summary on stdout (nothing else).")
    ] = False,
    fail_fast: Annotated[
        bool, typer.Option("--fail-fast", help="Stop at the first failed input.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Convert again even inputs that are unchanged.")
    ] = False,
    shard: Annotated[
        str | None,
        typer.Option(
            "--shard",
            metavar="I/N",
            help="Convert only every N-th input of the sorted list, starting with the I-th "
            "(1-based): for Slurm array jobs (--shard $((SLURM_ARRAY_TASK_ID+1))/N).",
        ),
    ] = None,
    executor: Annotated[
        str,
        typer.Option(
            "--executor",
            help="local (process pool) or dask (dask.distributed; pip install "
            "'newsarchive\\[dask]').",
        ),
    ] = "local",
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            metavar="ADDRESS",
            help="dask scheduler address (tcp://host:8786 or a scheduler JSON file); "
            "without it --executor dask starts a local cluster.",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="Config file (default: see below)."),
    ] = None,
    deposit: Annotated[
        bool,
        typer.Option("--deposit", help="Also deposit each input into the OCFL archive."),
    ] = False,
    root: Annotated[
        Path | None,
        typer.Option(
            "--root",
            help="OCFL storage root for --deposit (default: \\[archive] root of "
            "newsarchive.toml, else archive).",
        ),
    ] = None,
    review_page: Annotated[
        Path | None,
        typer.Option(
            "--review",
            help="Also write an HTML review page of every edit (see `newsarchive review`).",
        ),
    ] = None,
    max_size: Annotated[
        float | None,
        typer.Option("--max-size", help="Refuse inputs larger than this many MB (default 20)."),
    ] = None,
) -> None:
    """Convert scraped articles into TEI-XML, DOCX and PDF editions under OUTPUT,
    mirroring the input tree, in parallel, skipping what is already done."""
    from newsarchive.batch.command import ConvertJob, convert_paths
    from newsarchive.config import resolve

    settings = resolve(
        config=config,
        script=script,
        punctuation=punctuation,
        metadata=metadata,
        font=font,
        pdfa=pdfa,
        to=to,
        jobs=jobs,
        root=root,
        max_size=max_size,
    )
    job = ConvertJob(
        out_dir=output,
        recursive=recursive,
        executor=executor,
        scheduler=scheduler,
        quiet=quiet,
        report=report,
        json_summary=json_summary,
        fail_fast=fail_fast,
        force=force,
        shard=shard,
        deposit=deposit,
        review_page=review_page,
    )
    if code := convert_paths(paths, settings, job):
        raise typer.Exit(code)


@app.command()
def normalize(
    path: Annotated[str, typer.Argument(help="A scraped text file (or - for stdin).")],
    diff: Annotated[
        bool,
        typer.Option("--diff", help="Show every edit the normaliser made instead of the text."),
    ] = False,
    script: ScriptOpt = None,
    punctuation: PunctOpt = None,
    metadata: MetadataOpt = None,
) -> None:
    """Print the normalised article text (title, headings, paragraphs, captions) on stdout."""
    from newsarchive.config import resolve
    from newsarchive.pipeline import normalize_bytes, normalize_file
    from newsarchive.writers.text import format_edits, format_text

    options = resolve(script=script, punctuation=punctuation, metadata=metadata).options
    if path == "-":
        articles = normalize_bytes(sys.stdin.buffer.read(), "stdin.txt", options)
    else:
        articles = normalize_file(Path(path), options)
    for number, article in enumerate(articles):
        if number:
            typer.echo("")
        typer.echo(format_edits(article) if diff else format_text(article))


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="TEI files to validate.")],
    tei_all: Annotated[
        bool,
        typer.Option(
            "--tei-all", help="Also validate against the official TEI P5 tei_all schema (slower)."
        ),
    ] = False,
) -> None:
    """Validate TEI files against the project schema (the ODD customisation; and tei_all),
    all in one process; errors as file:line:col: message. Exit 0 valid, 1 invalid."""
    from newsarchive.validate import PROJECT_SCHEMA, TEI_ALL_SCHEMA, validate_files

    schemas = PROJECT_SCHEMA + (f" and {TEI_ALL_SCHEMA}" if tei_all else "")
    typer.echo(f"schema: {schemas}")
    results = validate_files(files, tei_all=tei_all)
    invalid = 0
    for file, problems in results.items():
        for problem in problems:
            typer.echo(str(problem), err=True)
        if problems:
            invalid += 1
        else:
            typer.echo(f"{file}: valid")
    typer.echo(f"{len(results) - invalid} of {len(results)} valid against {schemas}")
    if invalid:
        raise typer.Exit(EXIT_SOME_FAILED)


@app.command()
def review(
    paths: Annotated[list[str], typer.Argument(help="Files, folders (with -r) or globs.")],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="The HTML file to write.")
    ] = Path("review.html"),
    recursive: Annotated[
        bool, typer.Option("-r", "--recursive", help="Descend into folders.")
    ] = False,
    script: ScriptOpt = None,
    punctuation: PunctOpt = None,
    metadata: MetadataOpt = None,
) -> None:
    """Write one self-contained HTML page showing every edit the normaliser made, source
    beside result, for an archivist to check before deposit. Exit 1 if an input failed."""
    from newsarchive.batch import collect_inputs
    from newsarchive.config import resolve
    from newsarchive.fsio import atomic_write_bytes
    from newsarchive.review import render_review, review_inputs

    options = resolve(script=script, punctuation=punctuation, metadata=metadata).options
    inputs, notes = collect_inputs(paths, recursive)
    for note in notes:
        _err(note)
    if not inputs:
        raise UsageError("no input files")
    done, failures = review_inputs([item.path for item in inputs], options)
    for failure in failures:
        _err(failure.error)
    atomic_write_bytes(output, render_review(done, failures).encode("utf-8"))
    articles = sum(len(articles) for _, articles in done)
    _err(f"reviewed {articles} article(s) from {len(done)} of {len(inputs)} inputs -> {output}")
    if failures:
        raise typer.Exit(EXIT_ALL_FAILED if not done else EXIT_SOME_FAILED)


app.add_typer(archive_app, name="archive")


def main() -> None:
    """Console entry point: user errors are one line on stderr, never a traceback."""
    debug = "--debug" in sys.argv
    if debug:
        sys.argv.remove("--debug")
    try:
        app()  # usage errors exit 2 from here; our own errors come out as exceptions
    except NewsarchiveError as exc:
        if debug:
            raise
        _err(f"newsarchive: {exc}")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _err("newsarchive: interrupted")
        sys.exit(130)
    except Exception as exc:  # a bug: say so in one line, full trace with --debug
        if debug:
            raise
        _err(f"newsarchive: internal error: {type(exc).__name__}: {exc} (run with --debug)")
        sys.exit(EXIT_SOME_FAILED)
