"""A whole batch: tasks planned lazily, results handed to the caller as they land, the
summary."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from newsarchive.batch.executors import default_jobs, pick_jobs, run_dask, run_local
from newsarchive.batch.inputs import STDIN, Input
from newsarchive.batch.naming import NamePlan
from newsarchive.batch.state import StateStore, sweep_partials
from newsarchive.batch.task import Result, Task, check_unchanged, fingerprint, task_options
from newsarchive.options import Options
from newsarchive.pipeline import FORMATS


@dataclass
class Summary:
    inputs: int = 0
    converted: int = 0
    skipped: int = 0
    failed: int = 0
    articles: int = 0
    seconds: float = 0.0
    peak_rss_mb: float = 0.0  # the largest of any worker
    failures: list[tuple[str, str]] = field(default_factory=list)
    interrupted: bool = False
    signum: int = 2  # of the stop: SIGINT (Ctrl-C), SIGTERM 15, SIGHUP 1
    stopped_early: bool = False  # --fail-fast
    notes: list[str] = field(default_factory=list)
    kept: int = 0  # earlier editions in formats this run was not asked for, left in place
    kept_formats: set[str] = field(default_factory=set)

    def add(self, result: Result) -> None:
        self.kept += len(result.kept)
        self.kept_formats.update(
            f for k in result.kept for f, suffix in FORMATS.items() if k.endswith(suffix)
        )
        if result.status == "failed":
            self.failed += 1
            self.failures.append((result.input, result.error or "failed"))
        elif result.status == "skipped":
            self.skipped += 1
        else:
            self.converted += 1
            self.articles += result.articles
        self.peak_rss_mb = max(self.peak_rss_mb, result.peak_rss_mb)
        self.notes.extend(result.notes)

    @property
    def done(self) -> int:
        return self.converted + self.skipped + self.failed

    def exit_code(self) -> int:
        if self.interrupted:
            return 128 + self.signum  # as a shell reports it: 130, 143, 129
        if not self.failed:
            return 0
        return 3 if self.failed == self.inputs else 1

    def to_json(self) -> dict[str, Any]:
        return {
            "inputs": self.inputs,
            "converted": self.converted,
            "skipped": self.skipped,
            "failed": self.failed,
            "not_run": self.inputs - self.done,
            "articles": self.articles,
            "seconds": round(self.seconds, 3),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "failures": [{"input": i, "error": e} for i, e in self.failures],
            "interrupted": self.interrupted,
            "stopped_early": self.stopped_early,
            "notes": self.notes,
            "kept": self.kept,
            "exit_code": self.exit_code(),
        }


@dataclass
class BatchSettings:
    out_dir: Path
    formats: tuple[str, ...]
    options: Options
    jobs: int | None = 1  # None: chosen by the work left after skipping unchanged inputs
    executor: Literal["local", "dask"] = "local"
    scheduler: str | None = None
    force: bool = False
    fail_fast: bool = False
    shard: tuple[int, int] | None = None
    state: bool = True  # keep .newsarchive-state*.jsonl (skip unchanged, resume)


def plan_tasks(
    inputs: list[Input],
    settings: BatchSettings,
    state: StateStore | None,
    universe: list[Input] | None = None,
) -> Iterator[Task]:
    """Tasks for the (already sharded) inputs, made lazily one by one. ``universe`` is the
    run's input list before sharding: names are decided against all of it (batch.naming),
    so the shards of one job agree on who owns which edition name."""
    names = NamePlan(
        universe if universe is not None else inputs,
        settings.out_dir,
        state.previous if state is not None else None,
        state.times if state is not None else None,
    )
    out_dir = str(settings.out_dir)
    fingerprints: dict[str, str] = {}
    for item in inputs:
        options = task_options(settings.options, item.name)
        # One fingerprint per distinct sidecar row; most inputs share the one without.
        row_key = json.dumps(options.metadata_overrides.get(item.name), sort_keys=True)
        naming = names.decide(item)
        fp = fingerprints.get(row_key)
        if fp is None:
            fp = fingerprints[row_key] = fingerprint(options, settings.formats, item.name)
        yield Task(
            item=item,
            out_dir=out_dir,
            formats=settings.formats,
            options=options,
            fingerprint=fp,
            previous=state.previous.get(item.key) if state is not None else None,
            force=settings.force,
            data=sys.stdin.buffer.read() if item.path == STDIN else None,
            collides_with=naming.collides_with,
            source=naming.source,
            claimed_by=naming.claimed_by,
            reserved=naming.reserved,
        )


def run_batch(
    inputs: list[Input],
    settings: BatchSettings,
    on_result: Callable[[Result], None] = lambda r: None,
    universe: list[Input] | None = None,
) -> Summary:
    """Convert ``inputs`` (already sharded; ``universe``: all of them, before sharding);
    ``on_result`` sees each result as it lands (report line, progress). Ctrl-C stops
    cleanly: finished inputs stay recorded."""
    summary = Summary(inputs=len(inputs))
    started = time.perf_counter()
    state = StateStore(settings.out_dir, settings.shard) if settings.state else None
    # Not when sharded: another shard may be writing its .part files right now.
    resuming = state is not None and bool(state.previous) and settings.shard is None
    if resuming and (removed := sweep_partials(settings.out_dir)):
        summary.notes.append(f"removed {removed} partial file(s) of an interrupted run")
    def handle(result: Result) -> None:
        nonlocal stop
        if state is not None:
            state.add(result)
        summary.add(result)
        on_result(result)
        if settings.fail_fast and result.status == "failed" and not stop:
            stop = True  # nothing new is submitted; what is running finishes
            summary.stopped_early = True

    stop = False
    results: Iterator[Result] = iter(())
    try:
        # Unchanged inputs are found here, before a pool is started or anything warmed
        # up; the workers are then sized by what is left to do.
        todo: list[Task] = []
        for task in plan_tasks(inputs, settings, state, universe):
            if stop:
                break
            if (skipped := check_unchanged(task)) is not None:
                handle(skipped)
            else:
                todo.append(task)
        jobs = pick_jobs(todo, settings.jobs)
        if stop or not todo:
            pass
        elif settings.executor == "dask":
            results = run_dask(
                iter(todo),
                settings.jobs or default_jobs(),
                settings.scheduler,
                lambda: stop,
                settings.options,
                settings.formats,
            )
        else:
            results = run_local(
                iter(todo), jobs, settings.options, settings.formats, lambda: stop
            )
        for result in results:
            handle(result)
    except KeyboardInterrupt as exc:  # also SIGTERM and SIGHUP (batch.signals.Stopped)
        summary.interrupted = stop = True
        summary.signum = getattr(exc, "signum", summary.signum)
        # Ctrl-C while this loop (not the executor) ran: collect what is still running.
        with contextlib.suppress(KeyboardInterrupt):
            for result in results:
                handle(result)
    finally:
        if state is not None:
            state.close()
        summary.seconds = time.perf_counter() - started
    return summary
