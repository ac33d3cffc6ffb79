"""What the person at the terminal sees while a batch runs."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from newsarchive.batch.run import Summary
from newsarchive.batch.task import Result


class Display:
    """What the person at the terminal sees, all on stderr: a rich progress bar (files,
    articles, rate, ETA) when stderr is a terminal, else one line per input; failures
    always; a closing summary unless quiet. stdout is left to ``--json``."""

    def __init__(self, total: int, *, quiet: bool = False, bar: bool | None = None) -> None:
        from rich.console import Console

        self.console = Console(stderr=True, highlight=False)
        self.quiet = quiet
        self.total = total
        self.articles = 0
        self.done = 0
        self.started = time.perf_counter()
        if bar is None:
            bar = sys.stderr.isatty()
        self._progress: Any = None
        self._task: Any = None
        if bar and not quiet:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("converting"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("files · {task.fields[articles]} articles · {task.fields[rate]}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=self.console,
                redirect_stdout=False,
                redirect_stderr=False,
            )

    def __enter__(self) -> Display:
        if self._progress is not None:
            self._progress.start()
            self._task = self._progress.add_task("", total=self.total, articles=0, rate="")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def print(self, message: str) -> None:
        self.console.print(message, markup=False, soft_wrap=True)

    def note(self, message: str) -> None:
        if not self.quiet:
            self.print(message)

    def result(self, result: Result) -> None:
        self.done += 1
        if result.status == "converted":
            self.articles += result.articles
        if result.status == "failed":
            self.print(result.error or f"{result.input}: failed")
        elif self._progress is None and not self.quiet:
            if result.status == "skipped":
                self.print(f"{result.input}: unchanged, skipped")
            else:
                flag = f", {result.flagged} edits to check" if result.flagged else ""
                self.print(
                    f"{result.input}: {result.articles} article(s) -> "
                    f"{len(result.outputs)} files{flag}"
                )
        if self._progress is not None:
            elapsed = max(time.perf_counter() - self.started, 1e-9)
            rate = f"{self.done / elapsed:.1f} files/s, {self.articles / elapsed:.1f} articles/s"
            self._progress.update(self._task, advance=1, articles=self.articles, rate=rate)

    def summary(self, summary: Summary, out_dir: Path, limit: int = 20) -> None:
        if self.quiet:
            return
        secs = summary.seconds
        rate = (
            f", {summary.articles / secs:.1f} articles/s" if secs > 0 and summary.articles else ""
        )
        parts = [f"converted {summary.converted} input(s) ({summary.articles} articles)"]
        parts.append(f"{summary.skipped} unchanged (skipped)")
        parts.append(f"{summary.failed} failed")
        if summary.inputs > summary.done:
            parts.append(f"{summary.inputs - summary.done} not run")
        self.print(f"{', '.join(parts)} in {secs:.1f} s{rate}; outputs in {out_dir}/")
        if summary.failures:
            self.print("failed:")
            for _, error in summary.failures[:limit]:
                self.print(f"  {error}")
            if len(summary.failures) > limit:
                self.print(f"  … and {len(summary.failures) - limit} more (see --report)")
        if summary.stopped_early:
            self.print("stopped after the first failure (--fail-fast)")
        if summary.interrupted:
            self.print("interrupted: run the same command again to resume")
