"""Stopping a batch on a signal, and leaving no process behind.

The parent (``convert``): SIGTERM and SIGHUP are handled as Ctrl-C (SIGINT) is. The first
one raises :class:`Stopped`, a ``KeyboardInterrupt``, so the batch takes its Ctrl-C path:
nothing new starts, the inputs being converted finish and are recorded, and the exit code
is 128 + the signal's number (130 SIGINT, 143 SIGTERM, 129 SIGHUP). A second signal stops
at once: the callbacks the executors registered stop their workers, each of which removes
its temporary files.

A worker ignores SIGINT and SIGHUP (the terminal sends them to the whole process group: the
parent decides how to stop); SIGTERM stops it at once, its temporary files removed. It also
watches the parent (a pidfd on Linux, else polling): a parent gone without a word
(SIGKILL, the OOM killer) stops it the same way. With the workers gone the forkserver
(whose pipe every worker holds open) and then the resource tracker exit by themselves.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from newsarchive.fsio import remove_temp_files

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_GRACE_SECONDS = 5.0  # a worker stuck in a long C call is ended without its clean-up


class Stopped(KeyboardInterrupt):
    """A stop signal, taken as Ctrl-C is."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def exit_code(exc: BaseException) -> int:
    """128 + the signal's number, as a shell reports a process a signal ended."""
    return 128 + getattr(exc, "signum", signal.SIGINT)


@dataclass
class _Received:
    signals: list[int] = field(default_factory=list)
    on_second: list[Callable[[], None]] = field(default_factory=list)


_received: _Received | None = None  # while stop_on_signals() is active


def on_second_signal(callback: Callable[[], None]) -> Callable[[], None]:
    """Have ``callback`` run if a second stop signal comes; returns its un-registration."""
    received = _received
    if received is None:
        return lambda: None
    received.on_second.append(callback)

    def forget() -> None:
        with contextlib.suppress(ValueError):
            received.on_second.remove(callback)

    return forget


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP raise :class:`Stopped` in the main thread while active."""
    global _received
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
    received = _received = _Received()

    def handler(signum: int, _frame: FrameType | None) -> None:
        received.signals.append(signum)
        if signum == signal.SIGHUP:
            _detach_terminal()
        if len(received.signals) > 1:
            for callback in list(received.on_second):
                with contextlib.suppress(Exception):
                    callback()
        raise Stopped(signum)

    previous = {s: signal.signal(s, handler) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        _received = None
        if received.signals:
            # Stopping: the process is on its way out with 128 + the signal. A second
            # signal after the batch (the summary, the state file's compaction) must not
            # meet the default disposition and end it as killed (-15): it ends it at once,
            # with the same kind of exit code. Left installed until the process exits.
            for signum in STOP_SIGNALS:
                signal.signal(signum, _exit_now)
            # At interpreter exit CPython resets every Python-level handler to the default
            # disposition (but leaves SIG_IGN alone): a second signal during finalisation
            # would then end the process as killed (-15) after all. Ignored from the atexit
            # stage on, it leaves the exit code already chosen (128 + the first signal).
            atexit.unregister(_ignore_stop_signals)  # once, however many batches ran
            atexit.register(_ignore_stop_signals)
        else:
            for signum, old in previous.items():
                signal.signal(signum, old)


def _ignore_stop_signals() -> None:
    for signum in STOP_SIGNALS:
        with contextlib.suppress(ValueError, OSError):  # not the main thread
            signal.signal(signum, signal.SIG_IGN)


def _exit_now(signum: int, _frame: FrameType | None) -> None:
    """A further stop signal once the batch is over: exit now, 128 + its number (what has
    been printed so far is flushed; nothing is being written to the output folder)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a reentrant flush, a closed terminal
            stream.flush()
    os._exit(128 + signum)


def _detach_terminal() -> None:
    """The terminal is gone: writing to it would fail (EIO), so the progress display and
    the summary go to /dev/null instead; a file or pipe keeps its output."""
    import stat

    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_WRONLY)
        for fd in (1, 2):
            with contextlib.suppress(OSError):
                if stat.S_ISCHR(os.fstat(fd).st_mode):  # a terminal (or /dev/null)
                    os.dup2(null, fd)
        os.close(null)


TERMINAL_SIGNALS = frozenset({signal.SIGINT, signal.SIGHUP})  # sent to the whole group


@contextlib.contextmanager
def blocked(signums: frozenset[int]) -> Iterator[None]:
    """Block ``signums`` in this thread: a process it starts meanwhile inherits the mask
    (through exec too). A signal that comes meanwhile is delivered on exit."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, signums)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, signums)


def start_helpers(method: str) -> None:
    """Start multiprocessing's resource tracker (and forkserver) now, with SIGHUP blocked,
    which they inherit: closing the terminal would otherwise end them mid-batch, and the
    tracker relaunched by the next pool prints tracebacks. (Both ignore SIGINT already.)
    They still exit when this process and its workers are gone: their pipes close."""
    from multiprocessing import forkserver, resource_tracker

    with blocked(frozenset({signal.SIGHUP})):
        resource_tracker.ensure_running()
        if method == "forkserver":
            forkserver.ensure_running()


# ----------------------------------------------------------------------------- workers

_folder: Path | None = None  # where the input in hand is being written


@contextlib.contextmanager
def writing_into(folder: Path) -> Iterator[None]:
    """Mark ``folder`` as the one the input in hand writes to (for the clean-up on stop)."""
    global _folder
    _folder = folder
    try:
        yield
    finally:
        _folder = None


def ignore_terminal_signals() -> int:
    """For a worker of a local dask cluster (run in its main thread): ignore SIGINT and
    SIGHUP. Returns its pid."""
    for signum in TERMINAL_SIGNALS:
        with contextlib.suppress(ValueError):  # not the main thread: nothing to do
            signal.signal(signum, signal.SIG_IGN)
    return os.getpid()


def _stop_worker(signum: int, _frame: FrameType | None) -> None:
    # Runs in the main thread, between two bytecodes of the conversion: nothing else is
    # being written while the temporary files of the input in hand are removed.
    if _folder is not None:
        remove_temp_files(_folder, {os.getpid()})
    os._exit(128 + signum)


def setup_worker(parent: int) -> None:
    """For a pool worker process: the signal dispositions above and the parent watch."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_worker)
    threading.Thread(target=_watch, args=(parent,), name="parent-watch", daemon=True).start()


def _watch(parent: int) -> None:
    """Return-less: wait for ``parent`` to end, then stop this process."""
    try:
        fd = os.pidfd_open(parent)  # Linux 5.3+: readable once the parent has exited
    except ProcessLookupError:
        fd = None  # already gone
    except (AttributeError, OSError):  # another system, or an older kernel
        while _alive(parent):
            time.sleep(1.0)
        fd = None
    if fd is not None:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        while not poller.poll():
            pass
    # The main thread removes the temporary files of the input in hand and exits; if it
    # is stuck in a long C call, the process ends without that after a grace period.
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(_GRACE_SECONDS)
    os._exit(128 + signal.SIGTERM)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
