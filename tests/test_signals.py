"""Stopping a real ``convert -j 2`` by signal (issue 14, item 10).

Each test starts the CLI in its own session on copies of the seeds, waits until some
inputs are recorded and the pool is up, signals it, and checks within a bounded time:
the exit code, that no process it started is left (workers, forkserver, resource tracker:
found by a walk of /proc while it ran), that the output folder holds no partial file, and
(for some) that a re-run skips exactly what was recorded and converts the rest.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from bad.corpus import leftovers

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
STATE = ".newsarchive-state.jsonl"
START_TIMEOUT = 180  # the pool up and two inputs recorded (a loaded 2-CPU machine)
EXIT_TIMEOUT = 60  # the parent's exit after the signal: the inputs in flight finish
GONE_TIMEOUT = 10  # every other process after the parent's exit

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


def _inputs(folder: Path, copies: int) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(copies):
        for seed in SEEDS:
            shutil.copy(seed, folder / f"{i:02d}-{seed.name}")
    return copies * len(SEEDS)


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT / "src"), "NO_COLOR": "1"}


def _command(inputs: Path, out: Path, *extra: str) -> list[str]:
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


def _state_lines(out: Path) -> int:
    try:
        return len((out / STATE).read_bytes().splitlines())
    except OSError:
        return 0


def _wait(predicate: Callable[[], bool], seconds: float) -> bool:
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
            command, cwd=ROOT, env=_env(), start_new_session=True,
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
            return _state_lines(out) >= recorded and len(self.seen) >= processes

        if not _wait(busy, START_TIMEOUT) or self.process.poll() is not None:
            self.kill()
            pytest.fail(f"not busy when signalled (more inputs needed?): {self.stderr()[-2000:]}")

    def signal(self, signum: int, group: bool = False) -> float:
        self.watch()
        if group:
            os.killpg(self.process.pid, signum)
        else:
            os.kill(self.process.pid, signum)
        return time.monotonic()

    def finish(self, sent: float) -> tuple[int, float, float]:
        """(exit code, seconds to the parent's exit, seconds until every child is gone)."""
        try:
            code = self.process.wait(EXIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"convert still running {EXIT_TIMEOUT} s after the signal")
        exited = time.monotonic() - sent
        gone = _wait(lambda: not any(_running(p) for p in self.seen), GONE_TIMEOUT)
        left = sorted(p for p in self.seen if _running(p))
        if not gone:
            names = {p: Path(f"/proc/{p}/cmdline").read_bytes()[:120] for p in left}
            self.kill()
            pytest.fail(f"left running {GONE_TIMEOUT} s after convert exited: {names}")
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


def _no_partial(out: Path) -> None:
    assert leftovers(out) == []
    assert not [p for p in out.rglob("*.part")]


def _rerun(inputs: Path, out: Path, total: int, recorded: int) -> dict[str, object]:
    """A re-run: skips every recorded input, converts the rest, leaves nothing partial."""
    run = subprocess.run(_command(inputs, out, "--json", "--quiet"), cwd=ROOT, env=_env(),
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    assert summary["skipped"] == recorded, summary
    assert summary["converted"] == total - recorded, summary
    _no_partial(out)
    return summary


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Path, Path, int]:
    inputs = tmp_path / "in"
    return inputs, tmp_path / "out", _inputs(inputs, 8)


def test_sigterm_stops_like_ctrl_c_and_leaves_no_process(corpus, tmp_path: Path) -> None:
    inputs, out, total = corpus
    run = Run(_command(inputs, out), tmp_path / "err.txt")
    run.wait_busy(out)
    code, exited, gone = run.finish(run.signal(signal.SIGTERM))
    print(f"SIGTERM: parent exited after {exited:.2f} s, all gone after {gone:.2f} s")
    assert code == 143, run.stderr()
    assert "Traceback" not in run.stderr()
    assert "interrupted: run the same command again to resume" in run.stderr()
    assert len(run.seen) >= 4  # resource tracker, forkserver, two workers: all gone
    _no_partial(out)
    recorded = _state_lines(out)
    assert 2 <= recorded < total
    # Every recorded input has its editions (the inputs in flight finished, not dropped).
    for line in (out / STATE).read_text("utf-8").splitlines():
        assert all((out / rel).is_file() for rel in json.loads(line)["outputs"])
    _rerun(inputs, out, total, recorded)


def test_sigkill_workers_follow_the_parent_and_the_next_run_sweeps(corpus, tmp_path) -> None:
    inputs, out, total = corpus
    run = Run(_command(inputs, out), tmp_path / "err.txt")
    run.wait_busy(out)
    code, _exited, gone = run.finish(run.signal(signal.SIGKILL))
    print(f"SIGKILL: all gone after {gone:.2f} s")
    assert code == -signal.SIGKILL
    assert len(run.seen) >= 4
    assert [p for p in leftovers(out) if not p.name.endswith(".part")] == []
    # What a killed writer leaves (its pid is gone now), beside files that are not ours.
    dead = max(run.seen)
    stale = out / f".00-x.tei.xml.{dead}-abc_1234.part"
    stale.write_bytes(b"left by a killed run")
    user = [out / ".notes.part", out / "draft.part", out / ".a.tei.xml.12-short.part"]
    for path in user:
        path.write_bytes(b"the user's own")
    recorded = _state_lines(out)
    summary = subprocess.run(_command(inputs, out, "--json", "--quiet"), cwd=ROOT, env=_env(),
                             capture_output=True, text=True, timeout=600)
    assert summary.returncode == 0, summary.stderr
    data = json.loads(summary.stdout)
    assert data["skipped"] == recorded and data["converted"] == total - recorded, data
    assert any("partial file" in note for note in data["notes"]), data["notes"]
    assert not stale.exists()
    assert all(path.read_bytes() == b"the user's own" for path in user)
    assert [p for p in out.rglob("*.part") if p not in user] == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGHUP, signal.SIGTERM],
                         ids=["SIGINT", "SIGHUP", "SIGTERM"])
def test_signal_to_the_process_group(signum: int, corpus, tmp_path: Path) -> None:
    """Ctrl-C, a closed terminal (SIGHUP) or systemd/Slurm's SIGTERM reach every process
    of the group: the workers leave the decision to the parent (or, on SIGTERM, stop with
    their temporary files removed); nothing is left, nothing is partial."""
    inputs, out, _total = corpus
    run = Run(_command(inputs, out), tmp_path / "err.txt")
    run.wait_busy(out)
    code, exited, gone = run.finish(run.signal(signum, group=True))
    print(f"group {signal.Signals(signum).name}: exit after {exited:.2f} s, gone {gone:.2f} s")
    assert code == 128 + signum, run.stderr()
    assert "Traceback" not in run.stderr(), run.stderr()[-3000:]
    _no_partial(out)
    assert _state_lines(out) >= 2


def test_a_second_signal_stops_at_once(corpus, tmp_path: Path) -> None:
    inputs, out, _total = corpus
    run = Run(_command(inputs, out), tmp_path / "err.txt")
    run.wait_busy(out)
    sent = run.signal(signal.SIGTERM)
    time.sleep(0.2)
    run.signal(signal.SIGTERM)
    code, exited, gone = run.finish(sent)
    print(f"two SIGTERMs: parent exited after {exited:.2f} s, all gone after {gone:.2f} s")
    assert code == 143, run.stderr()
    assert "Traceback" not in run.stderr()
    _no_partial(out)  # the workers stopped mid-input removed their temporary files


def test_closed_terminal(corpus, tmp_path: Path) -> None:
    """A real hang-up: convert on a pseudo-terminal (progress bar on) whose other end
    closes. The kernel sends SIGHUP to the session, and writing to the dead terminal
    fails (EIO): it stops as on Ctrl-C all the same."""
    inputs, out, _total = corpus
    leader, follower = os.openpty()

    def controlling_terminal() -> None:
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    try:
        run = Run(_command(inputs, out), tmp_path / "err.txt", stdin=follower,
                  stdout=follower, stderr=follower, preexec_fn=controlling_terminal)
    finally:
        os.close(follower)
    os.set_blocking(leader, False)

    def busy() -> bool:
        with contextlib.suppress(OSError):  # read what it shows: a full terminal blocks
            while os.read(leader, 65536):
                pass
        run.watch()
        return _state_lines(out) >= 2 and len(run.seen) >= 4

    try:
        assert _wait(busy, START_TIMEOUT), "never got busy"
    except BaseException:
        run.kill()
        raise
    finally:
        os.close(leader)  # the terminal is gone
    code, exited, gone = run.finish(time.monotonic())
    print(f"terminal closed: exit after {exited:.2f} s, all gone after {gone:.2f} s")
    assert code == 129
    _no_partial(out)


@pytest.mark.skipif(importlib.util.find_spec("distributed") is None,
                    reason="dask.distributed not installed")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_dask_local_cluster_leaves_no_process(signum: int, corpus, tmp_path: Path) -> None:
    inputs, out, _total = corpus
    run = Run(_command(inputs, out, "--executor", "dask"), tmp_path / "err.txt")
    run.wait_busy(out, processes=3)  # resource tracker, two workers
    code, _exited, gone = run.finish(run.signal(signum))
    print(f"dask {signal.Signals(signum).name}: all gone after {gone:.2f} s")
    if signum == signal.SIGTERM:
        assert code == 143, run.stderr()
        assert "Traceback" not in run.stderr()
        _no_partial(out)
