"""File-system helpers: atomic writes so no half-written edition is ever left behind."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import stat
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

from newsarchive.errors import InputError, OutputError

# What a path that is not a regular file is, for the one-line refusal.
_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def display_name(name: str) -> str:
    """A file name as text an edition can hold. Linux names are bytes: one saved on a
    Chinese Windows is GBK, which Python keeps as surrogate escapes that no UTF-8 file
    (TEI, state, report) can encode; read those bytes as GB18030 (then Big5), else mark
    them U+FFFD. The file itself keeps its name; only what is written about it changes."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        raw = os.fsencode(name)
    for encoding in ("gb18030", "big5"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", "replace")


def too_large(size: int, limit: int, name: str) -> InputError:
    return InputError(
        f"file too large ({size:,} bytes > limit {limit:,}; raise it with --max-size)", name
    )


def open_regular(path: Path | str) -> BinaryIO:
    """Open a regular file for reading, or raise :class:`InputError` naming what it is.

    Only regular files are read: a FIFO would block for ever, ``/dev/zero`` never ends,
    and a symlink to either reports a size of 0. The file is opened non-blocking (opening
    a FIFO with no writer blocks) and checked with ``fstat`` on the open descriptor, so a
    swap after the check cannot slip in.
    """
    name = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except IsADirectoryError as exc:
        raise InputError("is a folder, not a file", name) from exc
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", name) from exc
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise InputError("is a folder, not a file", name)
        if not stat.S_ISREG(mode):
            kind = next((what for test, what in _KINDS if test(mode)), "not a file")
            raise InputError(f"not a regular file ({kind}); only files are read", name)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def read_regular(path: Path | str, max_bytes: int | None = None) -> bytes:
    """The bytes of a regular file (:func:`open_regular`), never more than ``max_bytes``
    (the size guard): the read stops at ``max_bytes + 1`` in case the file grows."""
    name = str(path)
    with open_regular(path) as handle:
        try:
            size = os.fstat(handle.fileno()).st_size
            if max_bytes is not None and size > max_bytes:
                raise too_large(size, max_bytes, name)
            data = handle.read() if max_bytes is None else handle.read(max_bytes + 1)
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}", name) from exc
    if max_bytes is not None and len(data) > max_bytes:
        raise too_large(len(data), max_bytes, name)
    return data


def is_regular(path: Path | str) -> bool:
    """True for a regular file or a symlink to one (the walk skips anything else)."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def atomic_write_bytes(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder, then rename.

    A crash, a full disk or SIGKILL leaves either the old file or the new one, never a
    truncated one; the temporary name starts with ``.`` and ends ``.part`` so batch runs
    can recognise and sweep leftovers. ``durable=False`` skips the ``fsync`` (still atomic
    for every reader; after a power cut the file may be empty or old) for a caller that
    syncs many files at once.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_temp_prefix(path), suffix=".part")
    except OSError as exc:
        raise OutputError(f"cannot write: {exc.strerror or exc}", str(path)) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary files
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OutputError(f"cannot write: {exc.strerror or exc}", str(path)) from exc
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


TEMP_PID = re.compile(r"\.(\d+)-[^.]*\.part$")  # the writer's pid in a temporary name
# Exactly the names this module makes (mkstemp adds 8 of [a-z0-9_]): ``.NAME.PID-XXXXXXXX.part``,
# or ``.NAME.XXXXXXXX.part`` of versions before the pid was added (NAME then an edition or
# the state file). A sweep removes only these, never a user's own ``.notes.part``.
_OUR_TEMP = re.compile(
    r"\..+\.(?:(?P<pid>\d+)-|(?<=\.tei\.xml\.)|(?<=\.docx\.)|(?<=\.pdf\.)|(?<=\.jsonl\.))"
    r"[a-z0-9_]{8}\.part",
    re.DOTALL,
)


def _temp_prefix(path: Path) -> str:
    """``.NAME.PID-``: the writing process's pid lets a sweep leave alone the temporary
    files of a run still going (two runs into one folder). Shortened so that the whole
    name (prefix + 8 random + ``.part``) fits in 255 bytes: an edition named 244-255
    bytes long must not fail for its temporary file."""
    name, pid = path.name, f"{os.getpid()}-"
    while len(f".{name}.{pid}".encode("utf-8", "surrogateescape")) > 255 - 8 - len(".part"):
        name = name[:-1]
    return f".{name}.{pid}"


def writer_alive(temp_name: str) -> bool:
    """Whether the process that is writing temporary file ``temp_name`` still runs."""
    m = TEMP_PID.search(temp_name)
    if not m:
        return False
    pid = int(m[1])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    """Exited, not yet reaped (a killed run's worker whose reaper is slow): writes nothing."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except (OSError, IndexError):
        return False  # not Linux, or gone: os.kill said it runs


def temp_writer(name: str) -> int | None:
    """The pid that wrote temporary file ``name`` (0 for a pre-pid name), or None when
    ``name`` is not one of our temporary names at all."""
    m = _OUR_TEMP.fullmatch(name)
    if m is None:
        return None
    return int(m["pid"]) if m["pid"] else 0


def is_stale_temp(name: str) -> bool:
    """One of our temporary names whose writer is gone: safe to remove."""
    pid = temp_writer(name)
    return pid is not None and (pid == 0 or not writer_alive(name))


def remove_temp_files(folder: Path | str, pids: set[int], recursive: bool = False) -> int:
    """Remove the temporary files processes ``pids`` were writing in ``folder`` (a worker
    stopping mid-write, or the parent after its workers were killed); returns how many."""
    removed = 0
    walk = os.walk(folder) if recursive else [(str(folder), [], _names(folder))]
    for here, _dirs, names in walk:
        for name in names:
            if temp_writer(name) in pids:
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(here, name))
                    removed += 1
    return removed


def _names(folder: Path | str) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError:
        return []


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


@functools.cache
def _flushers() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=4, thread_name_prefix="fsync")


def _fsync_all(files: list[tuple[Path, int]]) -> None:
    """fsync every descriptor, the calls issued side by side (fsync releases the GIL): the
    first here, the others from a few threads. Each file is flushed on its own, so each is
    durable on any file system; a journalling one (ext4, XFS) commits concurrent fsyncs in
    one transaction and one cache flush, so an input of 3-4 editions waits for about one
    flush rather than for each in turn. Every call is waited for (none still runs when the
    files are closed); the first failure is raised, naming its file."""
    if not files:
        return
    calls = [(path, _flushers().submit(os.fsync, fd)) for path, fd in files[1:]]
    failed: list[tuple[Path, BaseException]] = []
    try:
        os.fsync(files[0][1])
    except OSError as exc:
        failed.append((files[0][0], exc))
    for path, call in calls:
        if (exc := call.exception()) is not None:  # waits for it
            failed.append((path, exc))
    if failed:
        path, exc = failed[0]
        cause = getattr(exc, "strerror", None) or exc
        raise OutputError(f"cannot write: {cause}", str(path)) from exc


def atomic_write_many(files: dict[Path, bytes]) -> None:
    """Write several files all-or-nothing: every one goes to a temporary file first and only
    when all are complete are they renamed into place. A full disk while writing the PDF
    therefore leaves neither a truncated PDF nor an orphan TEI of that input."""
    staged: list[tuple[str, Path]] = []
    current: Path | None = None
    mode = 0o666 & ~_umask()
    try:
        with contextlib.ExitStack() as open_files:
            handles = []
            for path, data in files.items():
                path = current = Path(path)
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(
                    dir=path.parent, prefix=_temp_prefix(path), suffix=".part"
                )
                staged.append((tmp, path))
                handle = open_files.enter_context(os.fdopen(fd, "wb"))
                handle.write(data)
                handle.flush()
                handles.append(handle)
                os.chmod(tmp, mode)
            # Every file is written before the first flush, and each file is fsynced (so
            # each is durable on any file system), but all at once: see _fsync_all.
            _fsync_all([(path, h.fileno()) for (_, path), h in zip(staged, handles, strict=True)])
        for tmp, path in staged:
            os.replace(tmp, path)
    except OSError as exc:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise OutputError(f"cannot write: {exc.strerror or exc}", str(current)) from exc
    except BaseException:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise
