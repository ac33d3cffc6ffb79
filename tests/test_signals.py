"""Stopping a real ``convert -j 2`` by signal (issue 14, item 10).

Each test starts the CLI in its own session on 40 copies of the seeds, waits until inputs
are recorded and the pool is up, signals it, and checks within bounded times (bad.signals:
busy in 180 s, exit 60 s after the signal, every child gone 10 s later): the exit code,
that no process it started is left (workers, forkserver, resource tracker: a walk of /proc
while it ran), that the output folder holds no partial file, and that a re-run skips
exactly what was recorded and converts the rest.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import json
import os
import signal
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from bad.signals import (
    CASES,
    ROOT,
    START_TIMEOUT,
    STATE,
    Run,
    command,
    env,
    inputs,
    partial,
    state_lines,
    stop,
    wait,
)

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
NO_DASK = importlib.util.find_spec("distributed") is None


def _rerun(source: Path, out: Path, total: int, recorded: int) -> dict[str, object]:
    """A re-run: skips every recorded input, converts the rest, leaves nothing partial."""
    run = subprocess.run(command(source, out, "--json", "--quiet"), cwd=ROOT, env=env(),
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    assert summary["skipped"] == recorded, summary
    assert summary["converted"] == total - recorded, summary
    return summary


@pytest.mark.parametrize("case", [
    pytest.param(c, marks=pytest.mark.skipif(NO_DASK, reason="dask.distributed not installed"))
    if "dask" in c.extra else c for c in CASES], ids=lambda c: c.name)
def test_stopped_by_a_signal(case, tmp_path: Path) -> None:
    """The exit code 128 + signal (SIGKILL: killed), no process left, no partial file, no
    traceback, and inputs recorded before the stop."""
    outcome, _out, total = stop(case, tmp_path)
    print(f"{case.name}: exit {outcome.code} after {outcome.exited:.2f} s, "
          f"{outcome.processes} children all gone after {outcome.gone:.2f} s")
    assert outcome.ok, outcome.problem
    assert 2 <= outcome.recorded < total


def test_sigterm_records_what_finished_and_a_rerun_resumes(tmp_path: Path) -> None:
    sigterm = next(c for c in CASES if c.name == "sigterm")
    outcome, out, total = stop(sigterm, tmp_path)
    assert outcome.ok, outcome.problem
    assert "interrupted: run the same command again to resume" in (tmp_path / "err.txt"
                                                                    ).read_text("utf-8")
    # Every recorded input has its editions (the inputs in flight finished, not dropped).
    for line in (out / STATE).read_text("utf-8").splitlines():
        assert all((out / rel).is_file() for rel in json.loads(line)["outputs"])
    _rerun(tmp_path / "in", out, total, outcome.recorded)
    assert partial(out) == []


def test_after_sigkill_the_next_run_sweeps_only_our_temporary_files(tmp_path: Path) -> None:
    sigkill = next(c for c in CASES if c.name == "sigkill")
    outcome, out, total = stop(sigkill, tmp_path)
    assert outcome.ok, outcome.problem
    # What a killed writer leaves (a pid that has exited), beside files that are not ours.
    dead = subprocess.run(["sh", "-c", "echo $$"], capture_output=True, text=True).stdout
    stale = out / f".00-x.tei.xml.{int(dead)}-abc_1234.part"
    stale.write_bytes(b"left by a killed run")
    user = [out / ".notes.part", out / "draft.part", out / ".a.tei.xml.12-short.part"]
    for path in user:
        path.write_bytes(b"the user's own")
    summary = _rerun(tmp_path / "in", out, total, outcome.recorded)
    assert any("partial file" in note for note in summary["notes"]), summary["notes"]  # type: ignore[union-attr]
    assert not stale.exists()
    assert all(path.read_bytes() == b"the user's own" for path in user)
    assert [p for p in partial(out) if p not in user] == []


def test_closed_terminal(tmp_path: Path) -> None:
    """A real hang-up: convert on a pseudo-terminal (progress bar on) whose other end
    closes. The kernel sends SIGHUP to the session, and writing to the dead terminal
    fails (EIO): it stops as on Ctrl-C all the same."""
    source, out = tmp_path / "in", tmp_path / "out"
    inputs(source)
    leader, follower = os.openpty()

    def controlling_terminal() -> None:
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    try:
        run = Run(command(source, out), tmp_path / "err.txt", stdin=follower,
                  stdout=follower, stderr=follower, preexec_fn=controlling_terminal)
    finally:
        os.close(follower)
    os.set_blocking(leader, False)

    def busy() -> bool:
        with contextlib.suppress(OSError):  # read what it shows: a full terminal blocks
            while os.read(leader, 65536):
                pass
        run.watch()
        return state_lines(out) >= 2 and len(run.seen) >= 4

    try:
        assert wait(busy, START_TIMEOUT), "never got busy"
    except BaseException:
        run.kill()
        raise
    finally:
        os.close(leader)  # the terminal is gone
    code, exited, gone = run.finish(time.monotonic())
    print(f"terminal closed: exit after {exited:.2f} s, all gone after {gone:.2f} s")
    assert code == 128 + signal.SIGHUP
    assert partial(out) == []


_LATE = """
import os, signal, sys, time
from newsarchive.batch.signals import Stopped, stop_on_signals

first = signal.Signals[sys.argv[1]]
try:
    with stop_on_signals():
        os.kill(os.getpid(), first)
        time.sleep(30)
except Stopped as exc:
    print("stopped", exc.signum, flush=True)
# The batch is over, the process on its way out: a second signal comes now.
os.kill(os.getpid(), signal.SIGTERM)
time.sleep(30)
print("not stopped", flush=True)
"""


@pytest.mark.parametrize("first", ["SIGTERM", "SIGINT"])
def test_a_second_signal_after_the_batch_still_exits_128_plus_it(first: str) -> None:
    """The stop handler stays installed once a stop has begun: a second SIGTERM that comes
    after the batch has ended exits at once with 143, not as killed (-15)."""
    run = subprocess.run([sys.executable, "-c", _LATE, first], env=env(), capture_output=True,
                         text=True, timeout=60)
    assert run.stdout.split("\n")[0] == f"stopped {signal.Signals[first].value}", run
    assert run.returncode == 128 + signal.SIGTERM, run
    assert "not stopped" not in run.stdout and "Traceback" not in run.stderr, run


def test_a_batch_that_was_not_stopped_gives_the_handlers_back() -> None:
    """Without a stop, leaving the batch restores what was there (a library caller's own
    handlers, pytest's)."""
    from newsarchive.batch.signals import STOP_SIGNALS, stop_on_signals

    before = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    with stop_on_signals():
        assert all(signal.getsignal(s) is not before[s] for s in STOP_SIGNALS)
    assert {s: signal.getsignal(s) for s in STOP_SIGNALS} == before


_AT_EXIT = """
import atexit, os, signal, sys, time
from newsarchive.batch.signals import Stopped, stop_on_signals

def last() -> None:  # registered first, so it runs after every later atexit hook
    ignored = signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
    print("ignored at exit" if ignored else "handled at exit", flush=True)
    os.kill(os.getpid(), signal.SIGTERM)  # what a second signal in finalisation meets
    time.sleep(0.2)

atexit.register(last)
try:
    with stop_on_signals():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(30)
except Stopped as exc:
    sys.exit(128 + exc.signum)
"""


def test_a_second_signal_while_the_interpreter_exits_keeps_the_exit_code() -> None:
    """CPython resets Python-level handlers to the default disposition as it finalises, so a
    second SIGTERM then would end a stopped run as killed (-15): from the atexit stage on the
    stop signals are ignored instead, and the exit code stays 128 + the first one."""
    run = subprocess.run([sys.executable, "-c", _AT_EXIT], env=env(), capture_output=True,
                         text=True, timeout=60)
    assert run.stdout.strip() == "ignored at exit", run
    assert run.returncode == 128 + signal.SIGTERM, run
    assert "Traceback" not in run.stderr, run
