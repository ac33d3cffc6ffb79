"""The resume/skip manifest kept in the output folder."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from newsarchive.batch.inputs import STDIN, Input
from newsarchive.batch.task import Previous, Result
from newsarchive.errors import NewsarchiveError, UsageError
from newsarchive.fsio import atomic_write_bytes, is_stale_temp

STATE_PREFIX = ".newsarchive-state"
STATE_NAME = STATE_PREFIX + ".jsonl"


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
        self.path = out_dir / (_state_stem(shard) + ".jsonl")
        self.previous: dict[str, Previous] = {}
        self.times: dict[str, float] = {}  # key -> when its record was written
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
                    outputs, source = rec["outputs"], rec.get("source", "")
                    if not (isinstance(key, str) and isinstance(source, str)
                            and isinstance(outputs, list) and all(map(_inside, outputs))):
                        continue  # not a line this program writes: trust none of it
                    prev = Previous(
                        str(rec["sha256"]),
                        fingerprints.setdefault(rec["fingerprint"], str(rec["fingerprint"])),
                        tuple(outputs),
                        int(rec.get("articles", 0)),
                        int(rec.get("flagged", 0)),
                        source,
                    )
                except (ValueError, KeyError, TypeError, AttributeError):
                    continue  # a torn line from an interrupted run
                if when >= self.times.get(key, -1.0):
                    self.previous[key], self.times[key] = prev, when

    def add(self, result: Result) -> None:
        if result.input == STDIN or result.status == "failed":
            return
        if result.status == "skipped":
            # Unchanged bytes found under another path (a moved input folder): the record
            # follows the input, so a later change there is not refused as a stranger's.
            prev = self.previous.get(result.key)
            if prev is None or not result.source or prev.source == result.source:
                return
        rel = [os.path.relpath(o, self.out_dir) for o in result.outputs]
        rec = {
            "key": result.key,
            "input": result.input,
            "source": result.source,
            "sha256": result.sha256,
            "fingerprint": result.fingerprint,
            "outputs": [Path(r).as_posix() for r in rel],
            "articles": result.articles,
            "flagged": result.flagged,
            "time": time.time(),
        }
        line = (json.dumps(rec) + "\n").encode()  # ASCII escapes: a GBK-bytes name stays exact
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


def _state_stem(shard: tuple[int, int] | None) -> str:
    return STATE_PREFIX if shard is None else f"{STATE_PREFIX}.shard-{shard[0]}-of-{shard[1]}"


@contextlib.contextmanager
def state_lock(out_dir: Path, shard: tuple[int, int] | None = None) -> Iterator[None]:
    """Hold ``.newsarchive-state.lock`` (``….shard-i-of-n.lock`` for a shard) in
    ``out_dir`` for a whole run, or refuse with a :class:`UsageError` naming the folder and
    the process holding it: two different commands converting into one folder at once
    would each decide against a state file the other is changing (who owns which edition
    name, what is unchanged). One lock per state file: the shards of one job run at once,
    each with its own.

    ``flock`` on a file of our own, holding the holder's pid (for the message). The kernel
    lets go of it when the process ends, however it ends, so a killed run leaves no stale
    lock, only the file, which the next run takes. The file is removed at the end while
    still locked; a run that locked a file since removed (it opened it just before) sees
    that the name no longer leads to its file and starts again. A folder the lock file
    cannot be made in, or a file system without locks, runs unlocked, as before."""
    path = out_dir / (_state_stem(shard) + ".lock")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError:
        yield  # cannot write there: every edition would fail and say why
        return
    fd = _locked(path, out_dir, shard)
    try:
        yield
    finally:
        if fd is not None:
            with contextlib.suppress(OSError):
                path.unlink()  # while still locked: nobody else holds it
            os.close(fd)  # and the lock with it


def _locked(path: Path, out_dir: Path, shard: tuple[int, int] | None) -> int | None:
    """The locked descriptor of ``path``, or None to run unlocked; raises when held."""
    while True:
        try:
            # Never through a symlink: the folder is shared and its files untrusted, and
            # the pid is written into what is opened.
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o666)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise UsageError(
                    f"{path}: not a lock file of ours (a symlink); remove it") from None
            return None
        if not _lock(fd):
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            os.close(fd)
            who = f"pid {holder}" if holder.isdigit() else "pid unknown"
            what = f" of shard {shard[0]}/{shard[1]}" if shard else ""
            raise UsageError(
                f"{out_dir}: another convert{what} ({who}) is converting into this folder; "
                "wait for it to end or choose another -o"
            )
        if _same_file(fd, path):
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
                os.close(fd)  # a hard link to somebody's file: not ours to write or remove
                raise UsageError(f"{path}: not a lock file of ours (a link to another file); "
                                 "remove it")
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            return fd
        os.close(fd)  # locked a file the run before us has just removed: again


def _same_file(fd: int, path: Path) -> bool:
    try:
        mine, named = os.fstat(fd), os.lstat(path)
    except OSError:
        return False
    return (mine.st_dev, mine.st_ino) == (named.st_dev, named.st_ino)


def _lock(fd: int) -> bool:
    """False when another process holds the lock; True when this one has it now, or when
    the file system cannot lock at all (an NFS mount without lockd)."""
    try:
        import fcntl
    except ImportError:  # not POSIX
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:
        return True
    return True


def drop_editions(inputs: list[Input], out_dir: Path) -> tuple[list[Input], list[str]]:
    """Inputs without the editions an earlier run recorded in ``out_dir`` (``convert -r m
    -o m``: the next run must not take yesterday's a.tei.xml for an input, which would
    convert it over itself). The state is read only when some input lies in ``out_dir``."""
    out_real = os.path.realpath(out_dir)
    folders: dict[str, bool] = {}
    inside = []
    for item in inputs:
        if item.path == STDIN or item.record is not None:
            continue
        folder = os.path.dirname(item.path)
        if folder not in folders:
            real = os.path.realpath(folder or ".")
            folders[folder] = real == out_real or real.startswith(out_real.rstrip("/") + "/")
        if folders[folder]:
            inside.append(item)
    if not inside:
        return inputs, []
    recorded = {
        os.path.normpath(os.path.join(out_real, rel))
        for prev in StateStore(out_dir).previous.values()
        for rel in prev.outputs
    }
    drop = {id(i) for i in inside if os.path.realpath(i.path) in recorded}
    notes = [f"{i.path}: skipped (an edition an earlier run wrote into this output folder)"
             for i in inside if id(i) in drop]
    return [i for i in inputs if id(i) not in drop], notes


def _inside(rel: object) -> bool:
    """An output path as this program records it: relative, below the output folder."""
    if not isinstance(rel, str) or not rel or "\0" in rel:
        return False
    path = PurePosixPath(rel)
    return not path.is_absolute() and ".." not in path.parts


def sweep_partials(out_dir: Path) -> int:
    """Remove ``.NAME.XXXX.part`` files an interrupted run's atomic writes left behind."""
    removed = 0
    if not out_dir.is_dir():
        return 0
    for folder, _dirs, files in os.walk(out_dir):
        for name in files:
            # Only our own temporary names, and not those of a run still writing into the
            # same folder (its pid is alive); a user's ".notes.part" is not ours to remove.
            if is_stale_temp(name):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(folder, name))
                    removed += 1
    return removed
