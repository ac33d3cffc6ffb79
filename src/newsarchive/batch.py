"""Walking inputs, converting each one, and reporting: what ``convert`` does over many files.

The unit of work is :func:`run_task`: one input file in, its editions written, one
:class:`Result` out. It is a plain picklable function of a picklable :class:`Task`, so the
same code runs in-process (``--jobs 1``), in a local process pool and on a dask cluster.
The parent process alone keeps the state manifest, the report and the progress display.
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import hashlib
import json
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from newsarchive import __version__
from newsarchive.errors import InputError, NewsarchiveError, UsageError
from newsarchive.fsio import atomic_write_bytes, atomic_write_many
from newsarchive.model import Article
from newsarchive.options import Options
from newsarchive.pipeline import (
    input_stem,
    normalize_bytes,
    normalize_file,
    normalize_warc_record,
    render_all,
)
from newsarchive.readers.html import HTML_SUFFIXES
from newsarchive.readers.warc import WARC_SUFFIXES, is_warc_name, list_records, warc_stem

# Editor back-ups and temporary files a scrape folder collects; never articles.
_SKIP_SUFFIXES = ("~", ".swp", ".swo", ".bak", ".tmp", ".part", ".orig", ".DS_Store")
STDIN = "-"
STDIN_NAME = "stdin.txt"
STATE_PREFIX = ".newsarchive-state"
STATE_NAME = STATE_PREFIX + ".jsonl"
# Options that do not change the bytes of an edition, so changing them redoes nothing.
_NOT_IN_FINGERPRINT = frozenset({"archive_root", "metadata_overrides", "max_bytes"})

Status = Literal["converted", "skipped", "failed"]


@dataclass(frozen=True)
class Input:
    path: str  # a file path, or "-" for stdin
    relative_dir: Path = Path()  # where under -o its outputs go (mirrors the input tree)
    record: int | None = None  # a web archive's HTML response: its byte offset in ``path``
    index: int = 0  # … and its position among the archive's HTML responses (1-based)

    @property
    def name(self) -> str:
        if self.record is not None:
            return f"{warc_stem(self.path)}-{self.index:04d}.html"
        return STDIN_NAME if self.path == STDIN else Path(self.path).name

    @property
    def key(self) -> str:
        """Identity of the input in the state manifest: where its outputs go under -o."""
        return (self.relative_dir / self.name).as_posix()


@dataclass
class Result:
    input: str
    outputs: list[str] = field(default_factory=list)
    articles: int = 0
    error: str | None = None
    flagged: int = 0  # doubtful edits an archivist should look at
    status: Status = "converted"
    seconds: float = 0.0
    sha256: str = ""
    peak_rss_mb: float = 0.0  # of the process that did the work
    worker: int = 0  # its process id: peak memory is per worker
    key: str = ""
    fingerprint: str = ""

    def record(self) -> dict[str, Any]:
        """One line of ``--report``."""
        return {
            "input": self.input,
            "outputs": self.outputs,
            "articles": self.articles,
            "status": self.status,
            "error": self.error,
            "seconds": round(self.seconds, 4),
            "sha256": self.sha256 or None,
            "flagged": self.flagged,
            "peak_rss_mb": round(self.peak_rss_mb, 1),
        }


@dataclass(frozen=True)
class Previous:
    """What the state manifest remembers of one input's last successful conversion."""

    sha256: str
    fingerprint: str
    outputs: tuple[str, ...]  # relative to the output folder
    articles: int
    flagged: int = 0


@dataclass(frozen=True)
class Task:
    item: Input
    out_dir: str
    formats: tuple[str, ...]
    options: Options
    fingerprint: str
    previous: Previous | None = None
    force: bool = False
    data: bytes | None = None  # stdin, read by the parent: workers do not share it
    collides_with: str | None = None


# --------------------------------------------------------------------------- inputs


def _skippable(name: str) -> str | None:
    if name.startswith("."):
        return "hidden file"
    if name.endswith(_SKIP_SUFFIXES) or (name.startswith("#") and name.endswith("#")):
        return "editor back-up or temporary file"
    return None


def _glob_base(pattern: str) -> Path:
    """The leading part of a glob without wildcards: ``corpus/**/*.txt`` -> ``corpus``."""
    parts: list[str] = []
    for part in Path(pattern).parts:
        if glob.has_magic(part):
            break
        parts.append(part)
    return Path(*parts) if parts else Path()


def collect_inputs(
    paths: list[str], recursive: bool, exclude: Path | None = None, records: bool = False
) -> tuple[list[Input], list[str]]:
    """Expand files, directories (with ``recursive``) and globs; return (inputs, notes).

    Folders and globs mirror their tree (below the folder, or below the glob's fixed
    prefix); ``exclude`` (the output folder) is never walked, so a re-run does not take
    yesterday's TEI editions for inputs.
    """
    inputs: list[Input] = []
    notes: list[str] = []
    skip = exclude.resolve() if exclude is not None else None
    for raw in paths:
        if raw == STDIN:
            inputs.append(Input(STDIN))
            continue
        path = Path(raw)
        if not path.exists() and not path.is_symlink() and glob.has_magic(raw):
            matches = sorted(glob.glob(raw, recursive=True))
            if not matches:
                notes.append(f"{raw}: no file matches this pattern")
            base = _glob_base(raw)
            for m in matches:
                if Path(m).is_file() and not _inside(Path(m), skip):
                    inputs.append(Input(m, _relative_parent(Path(m), base)))
            continue
        if path.is_dir():
            if not recursive:
                notes.append(f"{raw}: is a directory (use -r to convert a folder)")
                continue
            inputs.extend(_walk(path, notes, skip))
            continue
        inputs.append(Input(raw))
    # The same file named twice (a folder and a glob over it) is converted once.
    seen: set[tuple[str, Path]] = set()
    unique: list[Input] = []
    for item in inputs:
        ident = (
            item.path if item.path == STDIN else os.path.realpath(item.path),
            item.relative_dir,
        )
        if ident in seen:
            notes.append(f"{item.path}: given twice, converted once")
            continue
        seen.add(ident)
        unique.append(item)
    if records:  # each HTML response of a web archive is an input of its own
        unique = [r for item in unique for r in _records(item, notes)]
    return unique, notes


def _records(item: Input, notes: list[str]) -> list[Input]:
    if item.path == STDIN or not is_warc_name(item.path):
        return [item]
    try:
        found = list_records(Path(item.path))
    except NewsarchiveError:
        return [item]  # converting it reports the cause, as for any bad input
    if not found:
        notes.append(f"{item.path}: skipped (a web archive without HTML responses)")
    below = item.relative_dir / warc_stem(item.path)
    return [Input(item.path, below, r.offset, r.index) for r in found]


# What -r picks in a folder; anything else is skipped with a note.
INPUT_SUFFIXES = (".txt", ".text", ".tei.xml", ".xml", ".tei", *HTML_SUFFIXES, *WARC_SUFFIXES)


def _relative_parent(path: Path, base: Path) -> Path:
    try:
        return path.parent.relative_to(base)
    except ValueError:
        return Path()


def _inside(path: Path, folder: Path | None) -> bool:
    if folder is None:
        return False
    return path.resolve().is_relative_to(folder)


def _walk(root: Path, notes: list[str], exclude: Path | None = None) -> Iterator[Input]:
    def on_error(exc: OSError) -> None:
        notes.append(f"{exc.filename}: skipped, cannot read folder ({exc.strerror})")

    # followlinks=False: a symlink loop cannot make the walk endless.
    for folder, dirs, files in os.walk(root, onerror=on_error, followlinks=False):
        dirs[:] = sorted(
            d for d in dirs if not d.startswith(".") and not _inside(Path(folder) / d, exclude)
        )
        for name in sorted(files):
            full = Path(folder) / name
            if reason := _skippable(name):
                notes.append(f"{full}: skipped ({reason})")
                continue
            if not name.lower().endswith(INPUT_SUFFIXES):
                kind = Path(name).suffix or "no suffix"
                notes.append(f"{full}: skipped (not an input type: {kind})")
                continue
            if full.is_symlink() and not full.exists():
                notes.append(f"{full}: skipped (broken symbolic link)")
                continue
            yield Input(str(full), Path(folder).relative_to(root))


def parse_shard(text: str) -> tuple[int, int]:
    """``"i/n"`` (1-based) -> (i, n)."""
    index, sep, count = text.partition("/")
    if not (sep and index.strip().isdigit() and count.strip().isdigit()):
        raise UsageError(f"--shard must look like i/n (e.g. 3/10), not {text!r}")
    i, n = int(index), int(count)
    if not 1 <= i <= n:
        raise UsageError(f"--shard {text}: need 1 <= i <= n")
    return i, n


def shard_inputs(inputs: list[Input], shard: tuple[int, int] | None) -> list[Input]:
    """Every n-th input of the list sorted by path, so that the n array jobs of a Slurm
    job agree on a partition without talking to each other."""
    ordered = sorted(inputs, key=lambda item: (item.path, item.relative_dir.as_posix()))
    if shard is None:
        return ordered
    i, n = shard
    if any(item.path == STDIN for item in ordered):
        raise UsageError("--shard cannot be used with - (stdin)")
    return ordered[i - 1 :: n]


def output_collisions(inputs: list[Input]) -> dict[str, str]:
    """input path -> earlier input whose editions would have the same names (a.txt and
    a.xml in one folder, or two folders' files flattened by a glob)."""
    owners: dict[tuple[str, str], str] = {}
    clashes: dict[str, str] = {}
    for item in sorted(inputs, key=lambda i: i.path):
        slot = (item.relative_dir.as_posix(), input_stem(item.name))
        if slot in owners:
            clashes[item.path] = owners[slot]
        else:
            owners[slot] = item.path
    return clashes


# --------------------------------------------------------------------------- one input


def fingerprint(options: Options, formats: Iterable[str], name: str) -> str:
    """Everything besides the input's bytes that decides its editions' bytes."""
    values: dict[str, Any] = {
        f.name: getattr(options, f.name)
        for f in dataclasses.fields(options)
        if f.name not in _NOT_IN_FINGERPRINT
    }
    values["metadata_override"] = options.metadata_overrides.get(name)
    values["formats"] = sorted(formats)
    values["version"] = __version__
    blob = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def task_options(options: Options, name: str) -> Options:
    """Options for one input: only its own sidecar row travels to the worker, not a
    100k-row table pickled 100k times."""
    if not options.metadata_overrides:
        return options
    row = options.metadata_overrides.get(name)
    return dataclasses.replace(options, metadata_overrides={name: row} if row else {})


_warm_key: tuple[Any, ...] | None = None


def warm_up(options: Options, formats: Iterable[str]) -> None:
    """Load what every conversion needs once per worker process: OpenCC dictionaries, the
    project RNG + Schematron, the PDF font. All are cached per process by their modules;
    loading them up front keeps the first file of each worker from paying for them."""
    global _warm_key
    formats = tuple(formats)
    key = (options.script, options.font, options.pdfa, formats)
    if _warm_key == key:
        return
    _warm_key = key
    try:
        from newsarchive.normalize.script import TARGETS, converter

        converter("t2s")  # script detection always uses it
        if options.script in TARGETS:
            converter(TARGETS[options.script][0])
        if "tei" in formats or options.pdfa == "3b":
            from newsarchive.validate import project_rng, project_schematron

            project_rng()
            project_schematron()
        if "docx" in formats:
            from newsarchive.writers import docx

            docx.warm_up("zh-Hant" if options.script == "hant" else "zh-Hans")
        if "pdf" in formats:
            from newsarchive.writers.pdf import font_spec, register_font

            register_font(font_spec(options, "zh-Hans"))
    except (NewsarchiveError, OSError, ImportError):
        pass  # a missing font is reported per file, with its path, not as a dead pool


def _init_worker(options: Options, formats: tuple[str, ...]) -> None:
    # Ctrl-C goes to the whole process group; only the parent decides how to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    warm_up(options, formats)


def _peak_rss_mb() -> float:
    try:
        import resource
    except ImportError:  # not POSIX
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _read_input(path: Path, options: Options) -> bytes:
    try:
        if path.stat().st_size > options.max_bytes:
            normalize_file(path, options)  # raises the size error, with its usual wording
        return path.read_bytes()
    except IsADirectoryError as exc:
        raise InputError("is a directory (use -r to convert a folder)", str(path)) from exc
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", str(path)) from exc


def run_task(task: Task) -> Result:
    """Convert one input (or find it unchanged); never raises for a bad input."""
    start = time.perf_counter()
    item, options = task.item, task.options
    result = Result(item.path, key=item.key, fingerprint=task.fingerprint)
    out_dir = Path(task.out_dir)
    try:
        if task.collides_with:
            raise InputError(f"outputs would overwrite those of {task.collides_with}; rename it")
        warm_up(options, task.formats)
        articles: list[Article] | None = None
        if item.record is not None:  # a web archive's record: read (and convert) it alone
            data, articles = normalize_warc_record(
                Path(item.path), item.record, item.index, options
            )
        else:
            data = task.data if task.data is not None else _read_input(Path(item.path), options)
        result.sha256 = hashlib.sha256(data).hexdigest()
        prev = task.previous
        if (
            not task.force
            and prev is not None
            and prev.sha256 == result.sha256
            and prev.fingerprint == task.fingerprint
            and all((out_dir / rel).is_file() for rel in prev.outputs)
        ):
            result.status = "skipped"
            result.outputs = [str(out_dir / rel) for rel in prev.outputs]
            result.articles, result.flagged = prev.articles, prev.flagged
            return result
        name = STDIN_NAME if item.path == STDIN else item.path
        if item.record is not None:
            name = str(Path(item.path).parent / item.name)
        if articles is None:
            articles = normalize_bytes(data, name, options)
        outputs = render_all(articles, list(task.formats), options, input_name=name)
        target = out_dir / item.relative_dir
        # All editions of the input or none: a state record never points at half of them.
        atomic_write_many({target / file_name: blob for file_name, blob in outputs.items()})
        result.outputs = [str(target / file_name) for file_name in outputs]
        if prev is not None:
            # Editions of the last run this one no longer makes (a page now split in
            # two, a format dropped) would look current; they go.
            current = {(item.relative_dir / n).as_posix() for n in outputs}
            for rel in set(prev.outputs) - current:
                with contextlib.suppress(OSError):
                    (out_dir / rel).unlink()
        result.articles = len(articles)
        result.flagged = sum(1 for a in articles for e in a.provenance if e.doubtful)
    except NewsarchiveError as exc:
        exc.path = exc.path or item.path
        result.error, result.status = str(exc), "failed"
    except (UnicodeError, ValueError, OSError) as exc:  # a last guard: never a traceback
        result.error = str(InputError(f"{type(exc).__name__}: {exc}", item.path))
        result.status = "failed"
    except Exception as exc:  # a bug on one odd input must not end a 100k-file batch
        result.error = f"{item.path}: internal error: {type(exc).__name__}: {exc}"
        result.status = "failed"
    finally:
        result.seconds = time.perf_counter() - start
        result.peak_rss_mb = _peak_rss_mb()
        result.worker = os.getpid()
    return result


def convert_one(item: Input, out_dir: Path, formats: list[str], options: Options) -> Result:
    """Convert one input, no state: every edition is rendered before any is written."""
    task = Task(item, str(out_dir), tuple(formats), options, fingerprint(options, formats, ""))
    if item.path == STDIN:
        task = dataclasses.replace(task, data=sys.stdin.buffer.read())
    return run_task(task)


# --------------------------------------------------------------------------- state


class StateStore:
    """The resume/skip manifest: ``.newsarchive-state.jsonl`` in the output folder, one
    JSON line per successfully converted input, appended as each one completes.

    One ``write`` of one line to an ``O_APPEND`` file: a crash leaves at most a torn last
    line, which loading ignores. Each shard of a Slurm array appends to its own file
    (``.newsarchive-state.shard-3-of-10.jsonl``): appends from many hosts to one file on
    NFS are not atomic. Loading reads them all; the newest record of an input wins.
    """

    def __init__(self, out_dir: Path, shard: tuple[int, int] | None = None) -> None:
        self.out_dir = out_dir
        name = (
            STATE_NAME if shard is None else f"{STATE_PREFIX}.shard-{shard[0]}-of-{shard[1]}.jsonl"
        )
        self.path = out_dir / name
        self.previous: dict[str, Previous] = {}
        self._times: dict[str, float] = {}
        self._fd: int | None = None
        self._appended = 0
        for path in sorted(out_dir.glob(STATE_PREFIX + "*.jsonl")):
            self._load(path)

    def _load(self, path: Path) -> None:
        fingerprints: dict[str, str] = {}  # one run has one fingerprint: store it once
        try:
            handle = path.open("rb")
        except OSError:
            return
        with handle:
            for line in handle:
                try:
                    rec = json.loads(line)
                    key, when = rec["key"], float(rec.get("time", 0))
                    prev = Previous(
                        rec["sha256"],
                        fingerprints.setdefault(rec["fingerprint"], rec["fingerprint"]),
                        tuple(rec["outputs"]),
                        int(rec.get("articles", 0)),
                        int(rec.get("flagged", 0)),
                    )
                except (ValueError, KeyError, TypeError):
                    continue  # a torn line from an interrupted run
                if when >= self._times.get(key, -1.0):
                    self.previous[key], self._times[key] = prev, when

    def add(self, result: Result) -> None:
        if result.status != "converted" or result.input == STDIN:
            return
        rel = [os.path.relpath(o, self.out_dir) for o in result.outputs]
        rec = {
            "key": result.key,
            "input": result.input,
            "sha256": result.sha256,
            "fingerprint": result.fingerprint,
            "outputs": [Path(r).as_posix() for r in rel],
            "articles": result.articles,
            "flagged": result.flagged,
            "time": time.time(),
        }
        line = (json.dumps(rec, ensure_ascii=False) + "\n").encode()
        if self._fd is None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        os.write(self._fd, line)  # no fsync per line: the editions themselves are fsynced
        self._appended += 1

    def close(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.fsync(self._fd)
        os.close(self._fd)
        self._fd = None
        self._compact()

    def _compact(self) -> None:
        """Re-runs with --force append again; keep one (the newest) line per input."""
        latest: dict[str, bytes] = {}
        lines = 0
        try:
            with self.path.open("rb") as handle:
                for line in handle:
                    lines += 1
                    try:
                        latest[json.loads(line)["key"]] = (
                            line if line.endswith(b"\n") else line + b"\n"
                        )
                    except (ValueError, KeyError, TypeError):
                        continue
        except OSError:
            return
        if lines > len(latest):
            with contextlib.suppress(NewsarchiveError):
                atomic_write_bytes(self.path, b"".join(latest.values()))


def sweep_partials(out_dir: Path) -> int:
    """Remove ``.NAME.XXXX.part`` files an interrupted run's atomic writes left behind."""
    removed = 0
    if not out_dir.is_dir():
        return 0
    for folder, _dirs, files in os.walk(out_dir):
        for name in files:
            if name.startswith(".") and name.endswith(".part"):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(folder, name))
                    removed += 1
    return removed


# --------------------------------------------------------------------------- executors


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


# --------------------------------------------------------------------------- the batch


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
    stopped_early: bool = False  # --fail-fast
    notes: list[str] = field(default_factory=list)

    def add(self, result: Result) -> None:
        if result.status == "failed":
            self.failed += 1
            self.failures.append((result.input, result.error or "failed"))
        elif result.status == "skipped":
            self.skipped += 1
        else:
            self.converted += 1
            self.articles += result.articles
        self.peak_rss_mb = max(self.peak_rss_mb, result.peak_rss_mb)

    @property
    def done(self) -> int:
        return self.converted + self.skipped + self.failed

    def exit_code(self) -> int:
        if self.interrupted:
            return 130
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
            "exit_code": self.exit_code(),
        }


@dataclass
class BatchSettings:
    out_dir: Path
    formats: tuple[str, ...]
    options: Options
    jobs: int = 1
    executor: Literal["local", "dask"] = "local"
    scheduler: str | None = None
    force: bool = False
    fail_fast: bool = False
    shard: tuple[int, int] | None = None
    state: bool = True  # keep .newsarchive-state*.jsonl (skip unchanged, resume)


def plan_tasks(
    inputs: list[Input], settings: BatchSettings, state: StateStore | None
) -> Iterator[Task]:
    """Tasks for the (already sharded) inputs, made lazily one by one."""
    clashes = output_collisions(inputs)
    out_dir = str(settings.out_dir)
    fingerprints: dict[str, str] = {}
    for item in inputs:
        options = task_options(settings.options, item.name)
        # One fingerprint per distinct sidecar row; most inputs share the one without.
        row_key = json.dumps(options.metadata_overrides.get(item.name), sort_keys=True)
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
            collides_with=clashes.get(item.path),
        )


def run_batch(
    inputs: list[Input],
    settings: BatchSettings,
    on_result: Callable[[Result], None] = lambda r: None,
) -> Summary:
    """Convert ``inputs`` (already sharded); ``on_result`` sees each result as it lands
    (report line, progress). Ctrl-C stops cleanly: finished inputs stay recorded."""
    summary = Summary(inputs=len(inputs))
    started = time.perf_counter()
    state = StateStore(settings.out_dir, settings.shard) if settings.state else None
    # Not when sharded: another shard may be writing its .part files right now.
    resuming = state is not None and bool(state.previous) and settings.shard is None
    if resuming and (removed := sweep_partials(settings.out_dir)):
        summary.notes.append(f"removed {removed} partial file(s) of an interrupted run")
    stop = False
    tasks = plan_tasks(inputs, settings, state)
    if settings.executor == "dask":
        results = run_dask(
            tasks,
            settings.jobs,
            settings.scheduler,
            lambda: stop,
            settings.options,
            settings.formats,
        )
    else:
        results = run_local(tasks, settings.jobs, settings.options, settings.formats, lambda: stop)

    def handle(result: Result) -> None:
        nonlocal stop
        if state is not None:
            state.add(result)
        summary.add(result)
        on_result(result)
        if settings.fail_fast and result.status == "failed" and not stop:
            stop = True  # nothing new is submitted; what is running finishes
            summary.stopped_early = True

    try:
        for result in results:
            handle(result)
    except KeyboardInterrupt:
        summary.interrupted = stop = True
        # Ctrl-C while this loop (not the executor) ran: collect what is still running.
        with contextlib.suppress(KeyboardInterrupt):
            for result in results:
                handle(result)
    finally:
        if state is not None:
            state.close()
        summary.seconds = time.perf_counter() - started
    return summary


# --------------------------------------------------------------------------- display


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


def default_jobs() -> int:
    """CPUs this process may use (Slurm and taskset restrict the affinity mask)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
