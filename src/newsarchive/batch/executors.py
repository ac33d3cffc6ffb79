"""Running tasks: in-process, in a local process pool, or on a dask cluster."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from newsarchive.batch import signals
from newsarchive.batch.task import Result, Task, _init_worker, run_task, warm_up
from newsarchive.errors import UsageError
from newsarchive.fsio import remove_temp_files
from newsarchive.options import Options


def _failed(task: Task, cause: str) -> Result:
    return Result(
        task.item.path,
        status="failed",
        error=f"{task.item.path}: {cause}",
        key=task.item.key,
        fingerprint=task.fingerprint,
    )


def _init_pool_worker(options: Options, formats: tuple[str, ...], parent: int) -> None:
    _init_worker(options, formats)
    # After _init_worker: SIGINT and SIGHUP ignored, SIGTERM a clean stop, and the worker
    # ends when ``parent`` does, even by SIGKILL (batch.signals).
    signals.setup_worker(parent)


def _run_in_worker(task: Task) -> Result:
    with signals.writing_into(Path(task.out_dir) / task.item.relative_dir):
        return run_task(task)


def _pool(jobs: int, options: Options, formats: tuple[str, ...]) -> ProcessPoolExecutor:
    # forkserver, not fork: the parent has threads (rich's refresh thread) by the time a
    # pool is (re)built, and forking a threaded process can deadlock the child.
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    signals.start_helpers(method)
    return ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context(method),
        initializer=_init_pool_worker,
        initargs=(options, formats, os.getpid()),
    )


_KILL_AFTER = 5.0  # seconds a worker told to stop has before it is killed


def _workers(pool: ProcessPoolExecutor) -> list[BaseProcess]:
    return list((getattr(pool, "_processes", None) or {}).values())  # no public API (<3.14)


def _stop_workers(workers: list[BaseProcess]) -> None:
    """Stop these workers now (a second Ctrl-C or SIGTERM): SIGTERM, on which each removes
    its temporary files and exits; SIGKILL for any still there after a grace."""
    handles = [h for p in workers if p.is_alive() and (h := _process_handle(p.pid)) is not None]
    for handle in handles:
        _send(handle, signal.SIGTERM)

    def kill_stragglers() -> None:
        for handle in handles:
            _send(handle, signal.SIGKILL)
            if isinstance(handle, _PidFd):
                with contextlib.suppress(OSError):
                    os.close(handle.fd)

    timer = threading.Timer(_KILL_AFTER, kill_stragglers)
    timer.daemon = True
    timer.start()


class _PidFd:
    """A process by pidfd: a signal sent later cannot reach another process that got the
    same pid meanwhile."""

    def __init__(self, fd: int) -> None:
        self.fd = fd


def _process_handle(pid: int | None) -> _PidFd | int | None:
    if pid is None:
        return None
    try:
        return _PidFd(os.pidfd_open(pid))
    except ProcessLookupError:
        return None
    except (AttributeError, OSError):  # not Linux 5.3+
        return pid


def _send(handle: _PidFd | int, signum: int) -> None:
    with contextlib.suppress(OSError):
        if isinstance(handle, _PidFd):
            signal.pidfd_send_signal(handle.fd, signum)
        else:
            os.kill(handle, signum)


def run_local(
    tasks: Iterator[Task],
    jobs: int,
    options: Options,
    formats: tuple[str, ...],
    stop: Callable[[], bool],
) -> Iterator[Result]:
    """Run tasks in ``jobs`` worker processes with a bounded in-flight window, so memory
    stays flat however many inputs there are. A worker that dies (segfault, OOM killer)
    fails only its own input: the pool is rebuilt and the inputs that were in flight are
    re-run one at a time to find which one killed it."""
    if jobs == 1:
        warm_up(options, formats)
        for task in tasks:
            if stop():
                return
            yield run_task(task)
        return
    window = jobs * 4  # enough to keep workers busy between the parent's wake-ups
    pool = _pool(jobs, options, formats)
    pending: dict[Future[Result], Task] = {}
    suspects: list[Task] = []  # in flight when a worker died: re-run one at a time
    alone = False  # the only task in flight is a suspect: if the pool breaks, it did it
    exhausted = False
    # Ctrl-C, SIGTERM, SIGHUP: submit nothing more, collect what is running, re-raise
    interrupted: KeyboardInterrupt | None = None
    workers: list[BaseProcess] = []  # the pool's, as they were when it was shut down
    manager: threading.Thread | None = None  # and its thread, which ends after them
    # A second signal, wherever the parent is then (this loop, the caller's handling of a
    # result, the shutdown below), stops the workers at once.
    forget = signals.on_second_signal(lambda: _stop_workers(_workers(pool) or workers))
    try:
        while True:
            if suspects and not interrupted:
                if not pending:
                    task = suspects.pop(0)
                    pending[pool.submit(_run_in_worker, task)] = task
                    alone = True
            else:
                alone = False
                while not (exhausted or interrupted) and len(pending) < window and not stop():
                    task = next(tasks, None)
                    if task is None:
                        exhausted = True
                        break
                    pending[pool.submit(_run_in_worker, task)] = task
            if not pending:
                if interrupted:
                    raise interrupted
                return
            try:
                # After a stop, the pool's thread cancels what had not started; wait() is
                # not told of a cancellation, so look for them twice a second.
                done, _ = wait(pending, 0.5 if interrupted else None, FIRST_COMPLETED)
                if interrupted:
                    done |= {f for f in pending if f.cancelled()}
            except KeyboardInterrupt as exc:
                if interrupted:
                    _stop_workers(_workers(pool) or workers)
                    raise  # a second Ctrl-C: stop waiting
                interrupted = exc
                # Inputs not started are dropped; the running ones (workers ignore SIGINT
                # and SIGHUP; the parent alone got SIGTERM) finish and are recorded, so a
                # resume does not convert them again. The pool's own thread cancels them:
                # a future cancelled from here, then a worker gone (SIGTERM to the whole
                # group), crashes that thread on Python 3.11 (InvalidStateError).
                workers = _workers(pool)
                manager = getattr(pool, "_executor_manager_thread", None)
                pool.shutdown(wait=False, cancel_futures=True)
                continue
            broken = False
            for future in done:
                task = pending.pop(future)
                if future.cancelled():  # not started when the stop came
                    continue
                try:
                    result = future.result()
                except BrokenProcessPool:
                    broken = True
                    if alone:
                        yield _failed(task, "the worker process died converting this input")
                    else:
                        suspects.append(task)
                    continue
                yield result
            if broken:
                suspects.extend(pending.values())
                pending.clear()
                if interrupted:  # the workers were stopped too (SIGTERM to the group)
                    continue
                pool.shutdown(wait=False, cancel_futures=True)
                pool = _pool(jobs, options, formats)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if manager is not None:  # shut down without waiting when the stop came
            manager.join()  # it joins the workers (joining them here too would hang)
        forget()  # only now: a second signal while waiting above stops the workers


def _register_warm_up(client: Any, options: Options, formats: tuple[str, ...]) -> None:
    """The pool initializer's counterpart: warm up every worker there is now. Workers that
    join later warm up on their first task (run_task does it lazily), so a failure here
    costs only time."""
    with contextlib.suppress(Exception):
        client.run(warm_up, options, formats)


def run_dask(
    tasks: Iterator[Task],
    jobs: int,
    scheduler: str | None,
    stop: Callable[[], bool],
    options: Options,
    formats: tuple[str, ...],
) -> Iterator[Result]:
    """The same :func:`run_task` on a dask.distributed cluster (``scheduler`` address) or,
    without one, on a local cluster of ``jobs`` processes. Inputs and the output folder
    must be on a file system every worker sees under the same paths."""
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as exc:
        raise UsageError(
            "--executor dask needs dask.distributed: pip install 'newsarchive[dask]'"
        ) from exc
    cluster = None
    if scheduler and scheduler.endswith(".json") and Path(scheduler).is_file():
        client = Client(scheduler_file=scheduler)  # as written by dask-scheduler/dask-mpi
    elif scheduler:
        client = Client(scheduler)
    else:
        signals.start_helpers("spawn")  # the resource tracker, immune to SIGHUP
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, dashboard_address=None)
        client = Client(cluster)
    local_pids: set[int] = set()  # a local cluster's workers: their temporary files are ours
    if cluster is not None:
        # Ctrl-C or a closed terminal reach the whole process group: only this process
        # decides how to stop. The workers exit by themselves when it is gone (dask's
        # nanny pipe), and are closed below when it stops.
        with contextlib.suppress(Exception):
            local_pids = set(client.run(signals.ignore_terminal_signals).values())
    _register_warm_up(client, options, formats)
    window = max(2, sum(client.nthreads().values())) * 4
    pending: dict[Any, Task] = {}
    out_dirs: set[str] = set()
    queue = as_completed()
    exhausted = False

    def top_up() -> None:
        nonlocal exhausted
        while not exhausted and len(pending) < window and not stop():
            task = next(tasks, None)
            if task is None:
                exhausted = True
                return
            future = client.submit(run_task, task, pure=False)
            pending[future] = task
            out_dirs.add(task.out_dir)
            queue.add(future)

    stopped = True  # until the loop ends normally: a stop signal, an error
    try:
        top_up()
        for future in queue:
            task = pending.pop(future)
            try:
                result = future.result()
            except Exception as exc:  # a worker lost, or a task killed by the nanny
                result = _failed(task, f"dask task failed: {type(exc).__name__}: {exc}")
            future.release()
            yield result
            top_up()
        stopped = False
    finally:
        # Stopped (Ctrl-C, SIGTERM): the inputs in flight are abandoned, not waited for.
        for future in pending:
            future.cancel()
        client.close()
        if cluster is not None:
            cluster.close()
            if stopped:  # workers ended mid-write: their temporary files go
                for out_dir in out_dirs:
                    remove_temp_files(out_dir, local_pids, recursive=True)


def default_jobs() -> int:
    """CPUs this process may use (Slurm and taskset restrict the affinity mask)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# What sizes the pool (measured on the seeds, TEI + DOCX + PDF, one core): a worker process
# costs ~1.5 s before its first input (interpreter, imports, OpenCC, schemas, font), and
# an input costs ~27 µs per byte of text for all three formats. A second worker pays only
# when there are more than two start-ups' worth of work; small batches run in-process.
WORKER_START_SECONDS = 1.5
SECONDS_PER_BYTE = {"tei": 9e-6, "docx": 5e-6, "pdf": 13e-6}
SECONDS_PER_INPUT = 0.02


def estimated_seconds(tasks: list[Task]) -> float:
    """Single-core seconds the tasks will take (inputs of unknown size count as 20 kB)."""
    total = 0.0
    for task in tasks:
        try:
            size = 20_000 if task.item.path == "-" else os.stat(task.item.path).st_size
        except OSError:
            size = 0
        per_byte = sum(SECONDS_PER_BYTE.get(f, 10e-6) for f in task.formats)
        total += SECONDS_PER_INPUT + size * per_byte
    return total


def pick_jobs(tasks: list[Task], jobs: int | None, cpus: int | None = None) -> int:
    """Worker processes for ``tasks``: ``jobs`` if given (never more than the tasks), else
    by the work: 1 below two worker start-ups' worth of work, then one more worker per
    start-up's worth, up to the CPUs this process may use."""
    if not tasks:
        return 1
    if jobs is not None:
        return max(1, min(jobs, len(tasks)))
    cpus = cpus or default_jobs()
    seconds = estimated_seconds(tasks)
    by_work = int(seconds // WORKER_START_SECONDS)
    return max(1, min(cpus, len(tasks), by_work if by_work >= 2 else 1))
