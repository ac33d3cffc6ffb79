"""The command line: declares the flags, resolves the settings once (config.resolve) and
calls one function per command. Nothing else.

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
from newsarchive.clikit import Command, make_app
from newsarchive.errors import NewsarchiveError, UsageError

app = make_app(
    name="newsarchive",
    help="Turn scraped Chinese newspaper articles into archival editions (TEI P5, DOCX, "
    "PDF/A) and deposit them into an OCFL archive.",
    epilog="Run 'newsarchive COMMAND -h' for the options of a command.",
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
            "-V", "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Turn scraped Chinese newspaper articles into archival editions."""


def _err(message: str) -> None:
    typer.echo(message, err=True)


# Flags shared by convert, normalize and review.
ScriptOpt = Annotated[
    str | None,
    typer.Option(
        "--script",
        metavar="SCRIPT",
        help="Target script: hans (Simplified), hant (Traditional; hant-tw, hant-hk: Taiwan's "
        "or Hong Kong's forms) or keep (the page's). [default: hans]",
    ),
]
PunctOpt = Annotated[
    str | None,
    typer.Option(
        "--punctuation",
        metavar="fix|keep",
        help="fix: half-width marks inside Chinese become full-width. [default: fix]",
    ),
]
MetadataOpt = Annotated[
    Path | None,
    typer.Option(
        "--metadata",
        metavar="FILE",
        help="CSV (with a 'file' column), JSON or TOML keyed by input file name that adds "
        "or overrides title, date, newspaper, url, licence, publisher, authors…",
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        metavar="FILE",
        help="Settings file [default: ./newsarchive.toml, else "
        "$XDG_CONFIG_HOME/newsarchive/newsarchive.toml].",
    ),
]
RecursiveOpt = Annotated[
    bool, typer.Option("-r", "--recursive", hidden=True, help="Folders are always walked.")
]

CONVERT_EPILOG = """\
-o NAME.pdf, NAME.docx or NAME.tei.xml with one input writes that file (the format from
the name); -o - (or no -o with one input and --to tei) writes TEI to stdout; any other -o
is a folder, mirroring the input tree.

Settings not given here come from newsarchive.toml (see --config), else the defaults.

Re-runs skip inputs whose bytes, settings and newsarchive version are unchanged and whose
editions still exist (state in OUTPUT/.newsarchive-state*.jsonl); an interrupted run
resumes where it stopped. Editions of formats not asked for this time are kept.

Exit codes: 0 every input converted or unchanged; 1 some inputs failed; 2 usage error;
3 every input failed; 130 interrupted (Ctrl-C), 143 SIGTERM, 129 SIGHUP: what finished is
recorded, no process is left behind."""


@app.command(cls=Command, epilog=CONVERT_EPILOG)
def convert(
    paths: Annotated[
        list[str],
        typer.Argument(metavar="PATH", help="Files, folders (walked), globs, or - for stdin."),
    ],
    output: Annotated[
        str | None,
        typer.Option(
            "-o",
            "--output",
            metavar="PATH",
            help="Output folder, one edition file, or - for stdout (see below). "
            "[default: output]",
        ),
    ] = None,
    to: Annotated[
        str | None,
        typer.Option(
            "-t",
            "--to",
            metavar="FORMATS",
            help="Comma-separated formats: tei, docx, pdf. [default: all three]",
        ),
    ] = None,
    recursive: RecursiveOpt = False,
    script: ScriptOpt = None,
    punctuation: PunctOpt = None,
    metadata: MetadataOpt = None,
    font: Annotated[
        str | None,
        typer.Option(
            "--font",
            metavar="PATH[:INDEX]",
            help="TrueType font for the PDF. [default: AR PL UMing]",
        ),
    ] = None,
    pdfa: Annotated[
        str | None,
        typer.Option(
            "--pdfa",
            metavar="LEVEL",
            help="PDF/A level: 2a (tagged, also PDF/UA-1), 2b, 2u, 3a, 3b, 3u (3: TEI "
            "attached), 1b (PDF/A-1, not UA). [default: 2a]",
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
            metavar="N",
            help="Worker processes (dask: local cluster size). [default: by the work, "
            "at most the CPU count]",
        ),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            metavar="FILE",
            help="Write one JSON line per input (input, outputs, articles, status, error, "
            "seconds, sha256).",
        ),
    ] = None,
    json_summary: Annotated[
        bool, typer.Option("--json", help="Print a JSON summary on stdout (nothing else).")
    ] = False,
    fail_fast: Annotated[
        bool, typer.Option("--fail-fast", help="Stop at the first failed input.")
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Convert again even unchanged inputs, and take over "
                     "editions another input of the same name made in an earlier run."),
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
            metavar="local|dask",
            help="Process pool, or dask.distributed (pip install 'newsarchive[dask]').",
        ),
    ] = "local",
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            metavar="ADDRESS",
            help="dask scheduler (tcp://host:8786 or a scheduler JSON file); without it "
            "--executor dask starts a local cluster.",
        ),
    ] = None,
    config: ConfigOpt = None,
    deposit: Annotated[
        bool,
        typer.Option("--deposit", help="Also deposit each input into the OCFL archive."),
    ] = False,
    root: Annotated[
        Path | None,
        typer.Option(
            "--root",
            metavar="DIR",
            help="OCFL storage root for --deposit. [default: [archive] root of "
            "newsarchive.toml, else archive]",
        ),
    ] = None,
    review_page: Annotated[
        Path | None,
        typer.Option(
            "--review",
            metavar="FILE",
            help="Also write an HTML review page of every edit (see 'newsarchive review').",
        ),
    ] = None,
    max_size: Annotated[
        float | None,
        typer.Option(
            "--max-size", metavar="MB", help="Refuse larger inputs. [default: 20]"
        ),
    ] = None,
) -> None:
    """Convert scraped articles into TEI-XML, DOCX and PDF editions.

    Folders are walked; a bad input is one line on stderr and the rest still run; inputs
    that are unchanged since the last run are skipped."""
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
        output=output,
        formats_given=to is not None,
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


@app.command(cls=Command)
def normalize(
    paths: Annotated[
        list[str],
        typer.Argument(metavar="PATH", help="Scraped files, folders (walked), or - for stdin."),
    ],
    diff: Annotated[
        bool,
        typer.Option(
            "--diff",
            help="Show what changed as unified hunks, changed characters marked (coloured "
            "on a terminal).",
        ),
    ] = False,
    edits: Annotated[
        bool,
        typer.Option("--edits", help="List every edit with its step, rule and source line."),
    ] = False,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Articles, metadata and edits as JSON on stdout."),
    ] = False,
    color: Annotated[
        str,
        typer.Option("--color", metavar="auto|always|never", help="Colour --diff."),
    ] = "auto",
    script: ScriptOpt = None,
    punctuation: PunctOpt = None,
    metadata: MetadataOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Print the normalised text of each input (title, headings, paragraphs, captions).

    Several stories on one page are set apart by a '--- story 2 of 3 ---' line; several
    inputs each get a '==> PATH <==' header. Exit 1 if an input failed."""
    from newsarchive.config import resolve
    from newsarchive.textview import show_normalized

    settings = resolve(config=config, script=script, punctuation=punctuation, metadata=metadata)
    mode = "json" if as_json else "diff" if diff else "edits" if edits else "text"
    if code := show_normalized(paths, settings, mode, color):
        raise typer.Exit(code)


@app.command(cls=Command)
def validate(
    files: Annotated[list[Path], typer.Argument(metavar="FILE", help="TEI files.")],
    tei_all: Annotated[
        bool,
        typer.Option(
            "--tei-all", help="Also validate against the official TEI P5 tei_all schema (slower)."
        ),
    ] = False,
) -> None:
    """Validate TEI files against the project schema (and tei_all).

    The project schema is the ODD customisation; all files in one process. Errors come as
    FILE:LINE:COL: message. Exit 0 valid, 1 invalid, 2 usage error."""
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


@app.command(cls=Command)
def review(
    paths: Annotated[
        list[str], typer.Argument(metavar="PATH", help="Files, folders (walked) or globs.")
    ],
    output: Annotated[
        Path,
        typer.Option(
            "-o",
            "--output",
            metavar="FILE",
            help="The index page to write; the pages go in FILE-pages/ beside it.",
        ),
    ] = Path("review.html"),
    recursive: RecursiveOpt = False,
    script: ScriptOpt = None,
    punctuation: PunctOpt = None,
    metadata: MetadataOpt = None,
    config: ConfigOpt = None,
    jobs: Annotated[
        int | None,
        typer.Option("-j", "--jobs", min=1, show_default=False, help="Worker processes."),
    ] = None,
) -> None:
    """Write HTML pages of every edit the normaliser made, source beside result.

    For an archivist to check before deposit: an index (flagged articles first) and one
    self-contained page per input in FILE-pages/. Exit 1 if an input failed."""
    from newsarchive.batch import collect_inputs
    from newsarchive.config import resolve
    from newsarchive.review import pages_dir, write_review

    settings = resolve(config=config, script=script, punctuation=punctuation, metadata=metadata)
    for note in settings.notes:
        _err(note)
    inputs, notes = collect_inputs(paths)
    for note in notes:
        _err(note)
    if not inputs:
        raise UsageError("no input files")
    from newsarchive.batch.inputs import refuse_input_as_output

    refuse_input_as_output("-o", output, inputs)
    try:
        written = write_review(
            [item.path for item in inputs], output, settings.options, jobs=jobs or settings.jobs
        )
    except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM, SIGHUP: click would say "Aborted!"
        _err(f"newsarchive: interrupted; the index of what was reviewed: {output}")
        from newsarchive.batch.signals import exit_code

        raise typer.Exit(exit_code(exc)) from None
    for failure in written.failures:
        _err(failure.error)
    done = written.inputs - len(written.failures)
    _err(
        f"reviewed {written.articles} article(s) from {done} of {len(inputs)} inputs -> "
        f"{output} (pages in {pages_dir(output)})"
    )
    if written.failures:
        raise typer.Exit(EXIT_ALL_FAILED if not done else EXIT_SOME_FAILED)


app.add_typer(archive_app, name="archive")


def main() -> None:
    """Console entry point: user errors are one line on stderr, never a traceback."""
    debug = "--debug" in sys.argv[1:]
    if debug:
        sys.argv.remove("--debug")
    try:
        # usage errors exit 2 from here; our own errors come out as exceptions
        app(prog_name="newsarchive")
    except NewsarchiveError as exc:
        if debug:
            raise
        _err(f"newsarchive: {exc}")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP in a batch (Stopped)
        from newsarchive.batch.signals import exit_code

        _err("newsarchive: interrupted")
        sys.exit(exit_code(exc))
    except Exception as exc:  # a bug: say so in one line, full trace with --debug
        if debug:
            raise
        _err(f"newsarchive: internal error: {type(exc).__name__}: {exc} (run with --debug)")
        sys.exit(EXIT_SOME_FAILED)
