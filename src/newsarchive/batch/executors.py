"""Running tasks: in-process, in a local process pool, or on a dask cluster."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from newsarchive.batch.task import Result, Task, _init_worker, run_task, warm_up
from newsarchive.errors import UsageError
from newsarchive.options import Options


def _failed(task: Task, cause: str) -> Result:
    return Result(
        task.item.path,
        status="failed",
        error=f"{task.item.path}: {cause}",
        key=task.item.key,
        fingerprint=task.fingerprint,
    )


def _pool(jobs: int, options: Options, formats: tuple[str, ...]) -> ProcessPoolExecutor:
    # forkserver, not fork: the parent has threads (rich's refresh thread) by the time a
    # pool is (re)built, and forking a threaded process can deadlock the child.
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context(method),
        initializer=_init_worker,
        initargs=(options, formats),
    )


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
    interrupted = False  # Ctrl-C: submit nothing more, collect what is running, re-raise
    try:
        while True:
            if suspects and not interrupted:
                if not pending:
                    task = suspects.pop(0)
                    pending[pool.submit(run_task, task)] = task
                    alone = True
            else:
                alone = False
                while not (exhausted or interrupted) and len(pending) < window and not stop():
                    task = next(tasks, None)
                    if task is None:
                        exhausted = True
                        break
                    pending[pool.submit(run_task, task)] = task
            if not pending:
                if interrupted:
                    raise KeyboardInterrupt
                return
            try:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
            except KeyboardInterrupt:
                if interrupted:
                    raise  # a second Ctrl-C: stop waiting
                interrupted = True
                # Inputs not started are dropped; the running ones (workers ignore SIGINT)
                # finish and are recorded, so a resume does not convert them again.
                for future in [f for f in pending if f.cancel()]:
                    del pending[future]
                continue
            broken = False
            for future in done:
                task = pending.pop(future)
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
                pool.shutdown(wait=False, cancel_futures=True)
                pool = _pool(jobs, options, formats)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


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
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, dashboard_address=None)
        client = Client(cluster)
    _register_warm_up(client, options, formats)
    window = max(2, sum(client.nthreads().values())) * 4
    pending: dict[Any, Task] = {}
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
            queue.add(future)

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
    finally:
        for future in pending:
            future.cancel()
        client.close()
        if cluster is not None:
            cluster.close()


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
