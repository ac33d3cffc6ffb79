"""A real ``convert -j 2`` stopped by a signal (issue 14, item 10): the runner and the
cases shared by tests/test_signals.py and scripts/hostile_report.py.

:class:`Run` starts the CLI in its own session, remembers every process it starts (a walk
of /proc while it runs: resource tracker, forkserver, workers), signals it once the pool
is busy and inputs are recorded, and then measures the time to the parent's exit and until
none of those processes is left. :func:`stop` runs one :class:`Case` and judges it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bad.corpus import leftovers

ROOT = Path(__file__).resolve().parents[2]
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
STATE = ".newsarchive-state.jsonl"
START_TIMEOUT = 180  # the pool up and two inputs recorded (a loaded 2-CPU machine)
EXIT_TIMEOUT = 60  # the parent's exit after the signal: the inputs in flight finish
GONE_TIMEOUT = 10  # every other process after the parent's exit


class Hung(Exception):
    """Not busy in time, not stopped in time, or (``left``) processes left behind."""

    def __init__(self, message: str, left: int = 0) -> None:
        super().__init__(message)
        self.left = left


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()[:100].replace(b"\0", b" ").decode()
    except OSError:
        return str(pid)


def inputs(folder: Path, copies: int = 8) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(copies):
        for seed in SEEDS:
            shutil.copy(seed, folder / f"{i:02d}-{seed.name}")
    return copies * len(SEEDS)


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT / "src"), "NO_COLOR": "1"}


def command(inputs: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "newsarchive", "convert", "-r", "-j", "2", "-o", str(out),
            *extra, str(inputs)]


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process (the 4th field of /proc/PID/stat)."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            table[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    return table


def _descendants(pid: int) -> set[int]:
    table, found, todo = _parents(), set(), [pid]
    while todo:
        parent = todo.pop()
        for child, ppid in table.items():
            if ppid == parent and child not in found:
                found.add(child)
                todo.append(child)
    return found


def _running(pid: int) -> bool:
    """Not exited (a zombie waiting for its reaper has exited)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def state_lines(out: Path) -> int:
    try:
        return len((out / STATE).read_bytes().splitlines())
    except OSError:
        return 0


def wait(predicate: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


class Run:
    """A ``convert`` in its own session; every process it starts is remembered."""

    def __init__(self, command: list[str], log: Path, **popen: object) -> None:
        self.log = log
        self.seen: set[int] = set()
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env(), start_new_session=True,
            **({"stdout": subprocess.DEVNULL, "stderr": log.open("wb")} | popen),  # type: ignore[arg-type]
        )

    def watch(self) -> set[int]:
        self.seen |= _descendants(self.process.pid)
        return self.seen

    def wait_busy(self, out: Path, processes: int = 4, recorded: int = 2) -> None:
        """Until ``recorded`` inputs are in the state file and ``processes`` children run
        (the pool: resource tracker, forkserver, two workers)."""

        def busy() -> bool:
            self.watch()
            return state_lines(out) >= recorded and len(self.seen) >= processes

        if not wait(busy, START_TIMEOUT) or self.process.poll() is not None:
            self.kill()
            raise Hung(f"not busy when signalled (more inputs needed?): {self.stderr()[-2000:]}")

    def signal(self, signum: int, group: bool = False) -> float:
        self.watch()
        if group:
            os.killpg(self.process.pid, signum)
        else:
            os.kill(self.process.pid, signum)
        return time.monotonic()

    def finish(self, sent: float) -> tuple[int, float, float]:
        """(exit code, seconds to the parent's exit, seconds until every child is gone);
        raises :class:`Hung` (after killing what is left) past the time limits."""
        try:
            code = self.process.wait(EXIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Hung(f"convert still running {EXIT_TIMEOUT} s after the signal") from None
        exited = time.monotonic() - sent
        gone = wait(lambda: not any(_running(p) for p in self.seen), GONE_TIMEOUT)
        if not gone:
            left = [_cmdline(p) for p in sorted(self.seen) if _running(p)]
            self.kill()
            raise Hung(f"{len(left)} process(es) left {GONE_TIMEOUT} s after convert "
                       f"exited: {left}", left=len(left))
        return code, exited, time.monotonic() - sent

    def kill(self) -> None:
        """Clean up after a failed test: only the processes this run started."""
        for pid in [self.process.pid, *self.seen]:
            if _running(pid):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        self.process.wait(10)

    def stderr(self) -> str:
        try:
            return self.log.read_text("utf-8", "replace")
        except OSError:
            return ""




def partial(out: Path) -> list[Path]:
    """Temporary or truncated files in the output folder."""
    return leftovers(out) if out.exists() else []


@dataclass(frozen=True)
class Case:
    name: str
    what: str
    signum: int
    group: bool = False  # to the whole process group, as a terminal or systemd sends it
    twice: bool = False  # a second signal 0.2 s after the first
    extra: tuple[str, ...] = ()
    processes: int = 4  # children to see before the signal (tracker, forkserver, 2 workers)

    @property
    def expect(self) -> int:
        return -signal.SIGKILL if self.signum == signal.SIGKILL else 128 + self.signum


@dataclass
class Outcome:
    code: int | None = None
    exited: float = 0.0  # seconds from the signal to the parent's exit
    gone: float = 0.0  # and until every process it started had exited
    processes: int = 0  # that it started
    partial: list[Path] = field(default_factory=list)
    traceback: bool = False
    recorded: int = 0
    hung: bool = False  # not stopped within the time limit
    left: int = 0  # processes still running after it exited
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


_DASK = ("--executor", "dask")
CASES = [
    Case("sigterm", "SIGTERM to convert", signal.SIGTERM),
    Case("sigkill", "SIGKILL to convert (cannot be caught)", signal.SIGKILL),
    Case("group-sigint", "Ctrl-C: SIGINT to the process group", signal.SIGINT, group=True),
    Case("group-sighup", "SIGHUP to the process group (terminal closed)", signal.SIGHUP,
         group=True),
    Case("group-sigterm", "SIGTERM to the process group (systemd, Slurm)", signal.SIGTERM,
         group=True),
    Case("sigterm-twice", "SIGTERM twice: stop at once", signal.SIGTERM, twice=True),
    Case("dask-sigterm", "--executor dask (local cluster): SIGTERM", signal.SIGTERM,
         extra=_DASK, processes=3),
    Case("dask-sigkill", "--executor dask (local cluster): SIGKILL", signal.SIGKILL,
         extra=_DASK, processes=3),
]


def stop(case: Case, work: Path) -> tuple[Outcome, Path, int]:
    """Run ``case`` in ``work``: (its outcome, the output folder, how many inputs)."""
    source, out = work / "in", work / "out"
    total = inputs(source)
    outcome = Outcome()
    run = Run(command(source, out, *case.extra), work / "err.txt")
    try:
        run.wait_busy(out, processes=case.processes)
        sent = run.signal(case.signum, group=case.group)
        if case.twice:
            time.sleep(0.2)
            run.signal(case.signum, group=case.group)
        outcome.code, outcome.exited, outcome.gone = run.finish(sent)
    except Hung as exc:
        outcome.problem, outcome.left, outcome.hung = str(exc), exc.left, not exc.left
    outcome.processes = len(run.seen)
    outcome.partial = [p for p in partial(out)
                       if not (case.signum == signal.SIGKILL and p.name.endswith(".part"))]
    outcome.traceback = "Traceback" in run.stderr()
    outcome.recorded = state_lines(out)
    if not outcome.problem:
        # Two signals: 128 + signum too when the second comes after the batch has ended
        # (the stop handler stays installed until the process exits).
        if outcome.code != case.expect:
            outcome.problem = f"exit {outcome.code}, not {case.expect}"
        elif outcome.partial:
            outcome.problem = f"partial files: {[p.name for p in outcome.partial]}"
        elif outcome.traceback and case.signum != signal.SIGKILL:
            outcome.problem = "a traceback: " + run.stderr()[-1500:]
        elif outcome.processes < case.processes:
            outcome.problem = f"only {outcome.processes} child process(es) seen"
    return outcome, out, total
