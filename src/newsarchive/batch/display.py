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
            from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

            # One text column after the bar, sized for it: rich cuts columns that do not
            # fit with "…", so the bar takes only what the text leaves of the terminal.
            self._bar = BarColumn(bar_width=self._bar_width())
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("converting"),
                self._bar,
                TextColumn("{task.fields[status]}"),
                console=self.console,
                redirect_stdout=False,
                redirect_stderr=False,
            )

    # "⠋ converting " + bar + " " + the widest status: "100000/100000 files · 1000000
    # articles · 99.9 files/s · ETA 99:59:59" is 70 cells; the usual run needs ~52.
    _TEXT_CELLS = 14

    def _status(self) -> str:
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        rate = self.done / elapsed
        text = f"{self.done}/{self.total} files · {self.articles} articles"
        if self.done:
            left = (self.total - self.done) / rate if rate else 0
            hours, rest = divmod(int(left + 0.5), 3600)
            text += f" · {rate:.1f} files/s · ETA {hours}:{rest // 60:02d}:{rest % 60:02d}"
        return text

    def _bar_width(self, status: str | None = None) -> int:
        status = status if status is not None else self._status() + " · 0.0 files/s · ETA 0:00:00"
        return max(5, min(40, self.console.width - self._TEXT_CELLS - len(status) - 1))

    def __enter__(self) -> Display:
        if self._progress is not None:
            self._progress.start()
            self._task = self._progress.add_task("", total=self.total, status=self._status())
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
            status = self._status()
            self._bar.bar_width = self._bar_width(status)
            self._progress.update(self._task, advance=1, status=status)

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
        if summary.kept:
            kinds = ", ".join(sorted(summary.kept_formats))
            self.print(
                f"kept {summary.kept} earlier edition(s) in formats not asked for this time "
                f"({kinds}); they were not updated"
            )
        if summary.stopped_early:
            self.print("stopped after the first failure (--fail-fast)")
        if summary.interrupted:
            self.print("interrupted: run the same command again to resume")
