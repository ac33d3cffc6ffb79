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
from newsarchive.errors import NewsarchiveError, UsageError
from newsarchive.options import Options

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
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """newsarchive: normalise scraped articles, validate and emit archival editions."""


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _options(script: str, punctuation: str, metadata: Path | None, font: str | None,
             pdfa: str) -> Options:
    if script not in ("hans", "hant", "keep"):
        raise UsageError(f"--script must be hans, hant or keep, not {script!r}")
    if punctuation not in ("fix", "keep"):
        raise UsageError(f"--punctuation must be fix or keep, not {punctuation!r}")
    if pdfa not in ("1b", "2b", "3b"):
        raise UsageError(f"--pdfa must be 1b, 2b or 3b, not {pdfa!r}")
    overrides = {}
    if metadata is not None:
        from newsarchive.readers.sidecar import read_sidecar

        overrides = read_sidecar(metadata)
    return Options(script=script, punctuation=punctuation, font=font,  # type: ignore[arg-type]
                   pdfa=pdfa, metadata_overrides=overrides)  # type: ignore[arg-type]


ScriptOpt = Annotated[str, typer.Option("--script", help="Target script: hans (Simplified), "
                                        "hant (Traditional) or keep.")]
PunctOpt = Annotated[str, typer.Option("--punctuation", help="fix: half-width marks inside "
                                       "Chinese become full-width; keep: leave them.")]
MetadataOpt = Annotated[Path | None, typer.Option(
    "--metadata", help="Sidecar CSV/JSON/TOML keyed by input file name that adds or "
    "overrides fields (title, date, newspaper, url, licence…).")]


@app.command()
def convert(
    paths: Annotated[list[str], typer.Argument(help="Files, folders (with -r), globs or - "
                                                "for stdin.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output folder.")] = Path(
        "output"),
    to: Annotated[str, typer.Option("--to", help="Comma-separated formats: tei,docx,pdf.")
                  ] = "tei,docx,pdf",
    recursive: Annotated[bool, typer.Option("-r", "--recursive",
                                            help="Descend into folders.")] = False,
    script: ScriptOpt = "hans",
    punctuation: PunctOpt = "fix",
    metadata: MetadataOpt = None,
    font: Annotated[str | None, typer.Option("--font", help="TrueType font PATH[:INDEX] for "
                                             "the PDF (default AR PL UMing).")] = None,
    pdfa: Annotated[str, typer.Option("--pdfa", help="PDF/A level: 1b (validated), 2b, 3b "
                                      "(TEI attached).")] = "1b",
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Only errors.")] = False,
) -> None:
    """Convert scraped articles into TEI-XML, DOCX and PDF editions under OUTPUT."""
    from newsarchive.batch import collect_inputs, convert_one
    from newsarchive.pipeline import FORMATS

    formats = [f.strip() for f in to.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise UsageError(f"--to: unknown format {', '.join(unknown) or '(none)'}; "
                         f"choose from {', '.join(FORMATS)}")
    options = _options(script, punctuation, metadata, font, pdfa)
    inputs, notes = collect_inputs(paths, recursive)
    for note in notes:
        _err(note)
    if not inputs:
        raise UsageError("no input files")
    failed = 0
    for item in inputs:
        result = convert_one(item, output, formats, options)
        if result.error:
            failed += 1
            _err(result.error)
        elif not quiet:
            flag = f", {result.flagged} edits to check" if result.flagged else ""
            _err(f"{item.path}: {result.articles} article(s) -> {len(result.outputs)} files"
                 f"{flag}")
    if not quiet:
        _err(f"converted {len(inputs) - failed} of {len(inputs)} inputs into {output}/")
    if failed:
        raise typer.Exit(EXIT_ALL_FAILED if failed == len(inputs) else EXIT_SOME_FAILED)


@app.command()
def normalize(
    path: Annotated[str, typer.Argument(help="A scraped text file (or - for stdin).")],
    diff: Annotated[bool, typer.Option("--diff", help="Show every edit the normaliser "
                                       "made instead of the text.")] = False,
    script: ScriptOpt = "hans",
    punctuation: PunctOpt = "fix",
    metadata: MetadataOpt = None,
) -> None:
    """Print the normalised article text (title, headings, paragraphs, captions) on stdout."""
    from newsarchive.pipeline import normalize_bytes, normalize_file
    from newsarchive.writers.text import format_edits, format_text

    options = _options(script, punctuation, metadata, None, "1b")
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
    tei_all: Annotated[bool, typer.Option("--tei-all", help="Also validate against the "
                                          "official TEI P5 tei_all schema (slower).")] = False,
) -> None:
    """Validate TEI files against the project schema (and tei_all); errors as
    file:line:col: message. Exit 0 valid, 1 invalid, 2 usage error."""
    from newsarchive.validate import validate_tei

    invalid = 0
    for file in files:
        problems = validate_tei(file, tei_all=tei_all, jing=True)
        for problem in problems:
            typer.echo(str(problem), err=True)
        if problems:
            invalid += 1
        else:
            typer.echo(f"{file}: valid")
    if invalid:
        raise typer.Exit(EXIT_SOME_FAILED)


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
