"""``newsarchive convert`` over many inputs: collect them, run the batch, and around it the
report file, the display, ``--deposit``, ``--review`` and the ``--json`` summary."""

from __future__ import annotations

import dataclasses
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from newsarchive.batch.display import Display
from newsarchive.batch.executors import default_jobs
from newsarchive.batch.inputs import collect_inputs, parse_shard, shard_inputs
from newsarchive.batch.run import BatchSettings, run_batch
from newsarchive.batch.task import Result
from newsarchive.config import Settings
from newsarchive.errors import UsageError


@dataclass(frozen=True)
class ConvertJob:
    """The flags of ``convert`` that are about running the batch, not about the editions."""

    out_dir: Path
    recursive: bool = False
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


def convert_paths(paths: list[str], settings: Settings, job: ConvertJob) -> int:
    """Convert every input ``paths`` names; returns the exit code."""
    if job.executor not in ("local", "dask"):
        raise UsageError(f"--executor must be local or dask, not {job.executor!r}")
    if job.scheduler and job.executor != "dask":
        raise UsageError("--scheduler needs --executor dask")
    options, output = settings.options, job.out_dir
    shard_spec = parse_shard(job.shard) if job.shard else None
    inputs, notes = collect_inputs(paths, job.recursive, exclude=output, records=True)
    if not inputs:
        for note in notes:
            print(note, file=sys.stderr)
        raise UsageError("no input files")
    inputs = shard_inputs(inputs, shard_spec)
    if job.executor == "dask":  # workers on other hosts see the shared file system, not our cwd
        inputs = [
            i if i.path == "-" else dataclasses.replace(i, path=str(Path(i.path).resolve()))
            for i in inputs
        ]
        output = output.resolve()
    workers = max(1, min(settings.jobs or default_jobs(), len(inputs) or 1))
    batch = BatchSettings(
        out_dir=output,
        formats=settings.formats,
        options=options,
        jobs=workers,
        executor=job.executor,  # type: ignore[arg-type]
        scheduler=job.scheduler,
        force=job.force,
        fail_fast=job.fail_fast,
        shard=shard_spec,
    )
    report_file = None
    if job.report is not None:
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

            if error := deposit_one(result.input, settings.archive_root, options, display.note):
                deposit_errors.append(error)
                display.print(error)
        if report_file is not None:
            report_file.write(json.dumps(result.record(), ensure_ascii=False) + "\n")
            report_file.flush()  # a report of an interrupted run is still complete so far

    try:
        with display:
            summary = run_batch(inputs, batch, on_result)
    finally:
        if report_file is not None:
            report_file.close()
    summary.notes = notes + summary.notes
    for note in summary.notes[len(notes) :]:
        display.note(note)
    display.summary(summary, output)
    if job.review_page is not None and reviewable:
        from newsarchive.fsio import atomic_write_bytes
        from newsarchive.review import render_review, review_inputs

        done, failures = review_inputs(sorted(reviewable), options)
        atomic_write_bytes(job.review_page, render_review(done, failures).encode("utf-8"))
        display.note(f"review page of {len(done)} input(s): {job.review_page}")
    if job.json_summary:
        data = {"output": str(output), "report": str(job.report) if job.report else None}
        data.update(summary.to_json())
        print(json.dumps(data, ensure_ascii=False, indent=2), flush=True)
    if summary.exit_code():
        return summary.exit_code()
    return 1 if deposit_errors else 0
