"""``newsarchive convert``: one input to one named file (or stdout), as pandoc does, or
many inputs into a folder: collect them, run the batch, and around it the report file,
the display, ``--deposit``, ``--review`` and the ``--json`` summary."""

from __future__ import annotations

import dataclasses
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from newsarchive.config import Settings
from newsarchive.errors import InputError, NewsarchiveError, UsageError

if TYPE_CHECKING:
    from newsarchive.batch.inputs import Input
    from newsarchive.batch.run import BatchSettings
    from newsarchive.batch.task import Result

# An -o name with one of these suffixes is one edition file; the format comes from it.
EDITION_SUFFIXES = {".tei.xml": "tei", ".docx": "docx", ".pdf": "pdf"}
EDITION_SUFFIX = {f: s for s, f in EDITION_SUFFIXES.items()}
TEXT_FORMATS = ("tei",)  # what may go to stdout on a terminal
STDOUT = "-"


@dataclass(frozen=True)
class ConvertJob:
    """The flags of ``convert`` that are about running it, not about the editions."""

    output: str | None = None  # a folder, an edition file, "-" (stdout), None (default)
    formats_given: bool = False  # --to given on the command line
    executor: str = "local"
    scheduler: str | None = None
    quiet: bool = False
    report: Path | None = None
    json_summary: bool = False
    fail_fast: bool = False
    force: bool = False
    shard: str | None = None
    deposit: bool = False
    review_page: Path | None = None


def _edition_format(name: str) -> str | None:
    lower = name.lower()
    return next((f for s, f in EDITION_SUFFIXES.items() if lower.endswith(s)), None)


def single_target(
    paths: list[str], settings: Settings, job: ConvertJob
) -> tuple[str, str] | None:
    """(target file or "-", format) when this run writes one edition file or stdout, not a
    folder; None for a folder. Raises a usage error for a file target that cannot be."""
    out = job.output
    formats = settings.formats if job.formats_given else None
    if out == STDOUT:
        fmt = "tei"
    elif out is not None and (fmt := _edition_format(out) or "") != "":
        pass
    elif out is not None and Path(out).exists() and not Path(out).is_dir():
        if not formats or len(formats) != 1:
            raise UsageError(f"-o {out}: an existing file; name the format with --to")
        fmt = formats[0]
    elif out is None and formats and formats == TEXT_FORMATS and len(paths) == 1:
        fmt, out = "tei", STDOUT
    else:
        return None
    if formats and out != STDOUT and formats != (fmt,):
        raise UsageError(f"-o {out} is {fmt}, but --to asks for {','.join(formats)}")
    if out == STDOUT and formats:
        if len(formats) != 1:
            raise UsageError("-o -: one format only (--to tei, docx or pdf)")
        fmt = formats[0]
    from newsarchive.readers.warc import is_warc_name

    one = len(paths) == 1 and (
        paths[0] == STDOUT or (Path(paths[0]).is_file() and not is_warc_name(paths[0]))
    )
    if not one:
        raise UsageError(f"-o {out}: one output file needs one input file; name a folder")
    if out == STDOUT and fmt not in TEXT_FORMATS and sys.stdout.isatty():
        raise UsageError(f"-o -: {fmt} is binary; redirect stdout or name a file")
    extras = [flag for flag, used in (
        ("--report", job.report), ("--json", job.json_summary), ("--shard", job.shard),
        ("--deposit", job.deposit), ("--review", job.review_page),
        ("--executor dask", job.executor == "dask"),
    ) if used]
    if extras:
        raise UsageError(f"-o {out}: {', '.join(extras)} need a folder output")
    return out, fmt


def convert_single(path: str, target: str, fmt: str, settings: Settings, quiet: bool) -> int:
    """One input, one format, written to ``target`` (or stdout): no state, no pool."""
    from newsarchive.batch.task import read_articles
    from newsarchive.fsio import atomic_write_many
    from newsarchive.pipeline import render_all

    options = settings.options
    try:
        name, articles = read_articles(path, options)
        outputs = render_all(articles, [fmt], options, input_name=name)
        if target == STDOUT:
            if len(outputs) > 1:
                raise InputError(
                    f"a page of {len(outputs)} stories, so {len(outputs)} editions: give -o "
                    f"a folder, or -o NAME{EDITION_SUFFIX[fmt]} for NAME-1, NAME-2…",
                    path,
                )
            sys.stdout.buffer.write(next(iter(outputs.values())))
            sys.stdout.flush()
            return 0
        files = _single_names(Path(target), fmt, list(outputs.values()))
        atomic_write_many(files)
    except NewsarchiveError as exc:
        exc.path = exc.path or path
        print(str(exc), file=sys.stderr)
        return 3
    if not quiet:
        names = ", ".join(str(f) for f in files)
        print(f"{path}: {len(articles)} article(s) -> {names}", file=sys.stderr)
    return 0


def _single_names(target: Path, fmt: str, blobs: list[bytes]) -> dict[Path, bytes]:
    """``a.pdf`` for one story; ``a-1.pdf``, ``a-2.pdf`` for a page of several."""
    if len(blobs) == 1:
        return {target: blobs[0]}
    suffix = EDITION_SUFFIX[fmt]
    name = target.name
    stem = name[: -len(suffix)] if name.lower().endswith(suffix) else name
    return {target.with_name(f"{stem}-{n}{suffix}"): b for n, b in enumerate(blobs, 1)}


def sidecar_notes(settings: Settings, names: set[str]) -> list[str]:
    """Rows of the metadata file that match no input: a misspelt file name warns."""
    rows = settings.options.metadata_overrides
    unknown = sorted(set(rows) - names)
    if not unknown or settings.metadata is None:
        return []
    shown = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
    return [f"{settings.metadata}: {len(unknown)} row(s) match no input file: {shown}"]


def convert_paths(paths: list[str], settings: Settings, job: ConvertJob) -> int:
    """Convert every input ``paths`` names; returns the exit code."""
    if job.executor not in ("local", "dask"):
        raise UsageError(f"--executor must be local or dask, not {job.executor!r}")
    if job.scheduler and job.executor != "dask":
        raise UsageError("--scheduler needs --executor dask")
    for note in settings.notes:
        print(note, file=sys.stderr)
    if single := single_target(paths, settings, job):
        target, fmt = single
        name = "stdin.txt" if paths[0] == STDOUT else Path(paths[0]).name
        for note in sidecar_notes(settings, {name}):
            print(note, file=sys.stderr)
        return convert_single(paths[0], target, fmt, settings, job.quiet)
    # The batch machinery (pool, progress bar, state) is imported only for a batch.
    from newsarchive.batch.inputs import collect_inputs, parse_shard, shard_inputs
    from newsarchive.batch.run import BatchSettings
    from newsarchive.batch.state import drop_editions, state_lock

    options, output = settings.options, Path(job.output or "output")
    shard_spec = parse_shard(job.shard) if job.shard else None
    inputs, notes = collect_inputs(paths, exclude=output, records=True)
    inputs, more = drop_editions(inputs, output)
    notes += more
    if not inputs:
        for note in notes:
            print(note, file=sys.stderr)
        raise UsageError("no input files")
    notes += sidecar_notes(settings, {Path(i.path).name for i in inputs} | {"stdin.txt"})
    universe = inputs  # every input, before sharding: edition names are decided against all
    inputs = shard_inputs(inputs, shard_spec)
    if job.executor == "dask":  # workers on other hosts see the shared file system, not our cwd
        def absolute(i: Input) -> Input:
            return i if i.path == "-" else dataclasses.replace(i, path=str(Path(i.path).resolve()))

        inputs, universe = [absolute(i) for i in inputs], [absolute(i) for i in universe]
        output = output.resolve()
    batch = BatchSettings(
        out_dir=output,
        formats=settings.formats,
        options=options,
        jobs=settings.jobs,  # None: by the work (batch.executors.pick_jobs)
        executor=job.executor,  # type: ignore[arg-type]
        scheduler=job.scheduler,
        force=job.force,
        fail_fast=job.fail_fast,
        shard=shard_spec,
    )
    # Held from before the report is opened (a second command must not truncate it) to
    # the end: the state, the editions, --deposit and --review of this run are its own.
    with state_lock(output, shard_spec):
        return _run(inputs, universe, batch, notes, settings, job)


def _run(inputs: list[Input], universe: list[Input], batch: BatchSettings, notes: list[str],
         settings: Settings, job: ConvertJob) -> int:
    """The batch, with its report file, display, --deposit, --review and --json."""
    from newsarchive.batch.display import Display
    from newsarchive.batch.inputs import refuse_input_as_output
    from newsarchive.batch.run import run_batch
    from newsarchive.batch.signals import stop_on_signals

    options, output = settings.options, batch.out_dir
    report_file = None
    if job.report is not None:
        refuse_input_as_output("--report", job.report, inputs)
        try:
            job.report.parent.mkdir(parents=True, exist_ok=True)
            report_file = job.report.open("w", encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--report: cannot write {job.report}: {exc.strerror or exc}") from exc
    display = Display(len(inputs), quiet=job.quiet)
    for note in notes:
        display.note(note)

    deposit_errors: list[str] = []
    reviewable: list[str] = []

    def on_result(result: Result) -> None:
        display.result(result)
        if job.review_page is not None and result.status != "failed" and result.input != "-":
            reviewable.append(result.input)
        if job.deposit and result.status != "failed":  # convert --deposit
            from newsarchive.archive.cli import deposit_one

            # The editions just written (or found unchanged) are what is archived.
            archive_root, outputs = settings.archive_root, result.outputs
            if error := deposit_one(result.input, archive_root, options, display.note, outputs):
                deposit_errors.append(error)
                display.print(error)
        if report_file is not None:
            report_file.write(json.dumps(result.record()) + "\n")  # a non-UTF-8 name: escaped
            report_file.flush()  # a report of an interrupted run is still complete so far

    try:
        # SIGTERM and SIGHUP stop the batch as Ctrl-C does; none of its processes stay.
        with stop_on_signals(), display:
            summary = run_batch(inputs, batch, on_result, universe)
    finally:
        if report_file is not None:
            report_file.close()
    summary.notes = notes + summary.notes
    for note in summary.notes[len(notes) :]:
        display.note(note)
    display.summary(summary, output)
    if job.review_page is not None and reviewable and not summary.interrupted:
        from newsarchive.review import write_review

        written = write_review(sorted(reviewable), job.review_page, options, jobs=settings.jobs)
        display.note(f"review of {written.pages} input(s): {job.review_page}")
    if job.json_summary:
        data = {"output": str(output), "report": str(job.report) if job.report else None}
        data.update(summary.to_json())
        print(json.dumps(data, ensure_ascii=False, indent=2), flush=True)
    if summary.exit_code():
        return summary.exit_code()
    return 1 if deposit_errors else 0
