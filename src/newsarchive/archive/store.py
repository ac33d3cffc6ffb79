"""The OCFL 1.1 storage root: opening and initialising it, the deposit lock, the staging
workspace and atomic publishing of staged objects.

Everything this module writes lies under the root. Our workspace is
``extensions/newsarchive-deposit/`` (a storage-root extension folder, which OCFL leaves to
its owner and validators skip): the ``lock`` file and ``staging/`` for objects being built.
A deposit builds the complete new object (or the new version on a hard-linked clone of the
object) in staging and then publishes it with one rename, so a crash at any moment leaves
either the old object or the new one in place, never a half-written one.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsarchive.errors import NewsarchiveError

LAYOUT = "0003-hash-and-id-n-tuple-storage-layout"
SPEC = "1.1"
DECLARATION = f"0=ocfl_{SPEC}"
OBJECT_DECLARATION = f"0=ocfl_object_{SPEC}"
INVENTORY = "inventory.json"
SIDECAR = "inventory.json.sha512"
WORKSPACE = "newsarchive-deposit"
# Entries a folder may already hold and still become a storage root (the repo's archive/).
_ROOT_PRELUDE = {".gitkeep", "README.md", ".gitignore", "extensions"}


class ArchiveError(NewsarchiveError):
    """A problem with the storage root or one object in it."""


def _quiet_ocfl() -> None:
    """ocfl-py reports through the root logger; without a handler Python's last-resort
    handler would print its info/warnings on stderr next to our one-line messages."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.NullHandler())


def sha512_file(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha512").hexdigest()


@dataclass
class StoredObject:
    """One OCFL object as its root inventory describes it (read-only view)."""

    path: Path  # object root folder
    inventory: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.inventory.get("id", ""))

    @property
    def head(self) -> str:
        return str(self.inventory.get("head", ""))

    def versions(self) -> list[tuple[str, dict[str, Any]]]:
        versions = self.inventory.get("versions", {})
        return sorted(versions.items(), key=lambda kv: int(kv[0].lstrip("v")))

    def state(self, version: str | None = None) -> dict[str, str]:
        """logical path -> digest for ``version`` (default: head)."""
        v = self.inventory["versions"][version or self.head]
        return {p: d for d, paths in v.get("state", {}).items() for p in paths}

    def content_path(self, digest: str) -> Path:
        return self.path / self.inventory["manifest"][digest][0]

    def read(self, logical: str, version: str | None = None) -> bytes:
        """A logical file's bytes, checked against its SHA-512 (no damaged file leaves)."""
        digest = self.state(version)[logical]
        file = self.content_path(digest)
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise ArchiveError(f"cannot read: {exc.strerror or exc}", str(file)) from exc
        if hashlib.sha512(data).hexdigest() != digest:
            raise ArchiveError("damaged: SHA-512 differs from the inventory", str(file))
        return data

    def stored_in(self, digest: str) -> str:
        """The version whose content folder holds this digest's bytes."""
        return self.inventory["manifest"][digest][0].split("/", 1)[0]


def load_object(objdir: Path) -> StoredObject:
    file = objdir / INVENTORY
    try:
        inventory = json.loads(file.read_bytes())
    except FileNotFoundError as exc:
        raise ArchiveError("missing inventory", str(file)) from exc
    except (OSError, ValueError) as exc:
        raise ArchiveError(f"unreadable inventory: {exc}", str(file)) from exc
    if not isinstance(inventory, dict) or "versions" not in inventory:
        raise ArchiveError("not an OCFL inventory", str(file))
    return StoredObject(objdir, inventory)


@dataclass
class Root:
    """An OCFL storage root on a local (or mounted) file system."""

    path: Path
    _layout: Any = field(default=None, repr=False)

    @property
    def workspace(self) -> Path:
        return self.path / "extensions" / WORKSPACE

    @property
    def staging(self) -> Path:
        return self.workspace / "staging"

    def is_initialised(self) -> bool:
        return (self.path / DECLARATION).is_file()

    # -- opening ----------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | str) -> Root:
        """An existing storage root (for reading); a damaged one is an error, not repaired."""
        _quiet_ocfl()
        root = cls(Path(path))
        if not root.path.is_dir():
            raise ArchiveError("no storage root here (deposit something first)", str(root.path))
        if not root.is_initialised():
            raise ArchiveError(
                f"not an OCFL storage root (no {DECLARATION} declaration)", str(root.path)
            )
        root._load_layout()
        return root

    def _load_layout(self) -> None:
        from ocfl import StorageRoot
        from ocfl.storage_root import StorageRootException

        sr = StorageRoot(root=str(self.path))
        try:
            sr.open_root_fs()
            sr.check_root_structure()
        except StorageRootException as exc:
            raise ArchiveError(f"invalid storage root: {exc}", str(self.path)) from exc
        if sr.layout is None or sr.layout_name != LAYOUT:
            raise ArchiveError(
                f"storage root layout is {sr.layout_name or 'not declared'}, expected {LAYOUT}",
                str(self.path),
            )
        self._layout = sr.layout

    def object_relpath(self, identifier: str) -> str:
        return str(self._layout.identifier_to_path(identifier))

    def object_dir(self, identifier: str) -> Path:
        return self.path / self.object_relpath(identifier)

    def find(self, identifier: str) -> StoredObject | None:
        objdir = self.object_dir(identifier)
        return load_object(objdir) if (objdir / OBJECT_DECLARATION).exists() else None

    def get(self, identifier: str) -> StoredObject:
        obj = self.find(identifier)
        if obj is None:
            raise ArchiveError("no such object in the archive", identifier)
        return obj

    def object_dirs(self) -> Iterator[Path]:
        """Every object folder (one with an object declaration), sorted, skipping extensions."""
        for folder, dirs, files in os.walk(self.path):
            here = Path(folder)
            if here == self.path:
                dirs[:] = [d for d in dirs if d != "extensions"]
            dirs.sort()
            if OBJECT_DECLARATION in files:
                dirs[:] = []  # an object's own folders are not searched for objects
                yield here

    def staging_leftovers(self) -> list[Path]:
        return sorted(self.staging.iterdir()) if self.staging.is_dir() else []

    # -- locking and initialising -----------------------------------------------------

    @contextlib.contextmanager
    def locked(self, exclusive: bool) -> Iterator[None]:
        """flock on the workspace lock file: deposits exclusive, readers shared.

        A reader on a root without a lock file (read-only copy) goes ahead unlocked."""
        lock = self.workspace / "lock"
        try:
            if exclusive:
                self.workspace.mkdir(parents=True, exist_ok=True)
                fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
            else:
                fd = os.open(lock, os.O_RDONLY)
        except FileNotFoundError:
            yield
            return
        except OSError as exc:
            raise ArchiveError(f"cannot open lock: {exc.strerror or exc}", str(lock)) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            yield
        finally:
            os.close(fd)  # closing releases the flock

    @classmethod
    @contextlib.contextmanager
    def for_deposit(cls, path: Path | str) -> Iterator[Root]:
        """The root, created if need be, under the exclusive deposit lock."""
        _quiet_ocfl()
        root = cls(Path(path))
        if root.path.exists() and not root.path.is_dir():
            raise ArchiveError("storage root is not a folder", str(root.path))
        if not root.is_initialised():
            root._check_empty()  # before creating anything in someone else's folder
        try:
            root.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ArchiveError(f"cannot create: {exc.strerror or exc}", str(root.path)) from exc
        with root.locked(exclusive=True):
            if not root.is_initialised():
                root._check_empty()
                root._initialise()
            root._load_layout()
            root.sweep_staging()
            yield root

    def _check_empty(self) -> None:
        if not self.path.is_dir():
            return
        extra = sorted(p.name for p in self.path.iterdir() if p.name not in _ROOT_PRELUDE)
        if extra:
            raise ArchiveError(
                f"not an OCFL storage root and not empty ({', '.join(extra[:3])}…); "
                "choose an empty folder with --root",
                str(self.path),
            )

    def _initialise(self) -> None:
        """ocfl-py only initialises a folder that does not exist yet, and ours may (it holds
        README.md): initialise into staging, then move the pieces in, declaration last."""
        from ocfl import StorageRoot

        self.staging.mkdir(parents=True, exist_ok=True)
        txn = Path(tempfile.mkdtemp(prefix="init-", dir=self.staging))
        fresh = txn / "root"
        StorageRoot(root=str(fresh), layout_name=LAYOUT).initialize(spec_version=SPEC)
        (self.path / "extensions").mkdir(exist_ok=True)
        for entry in sorted((fresh / "extensions").iterdir()):
            target = self.path / "extensions" / entry.name
            if not target.exists():
                os.rename(entry, target)
        os.rename(fresh / "ocfl_layout.json", self.path / "ocfl_layout.json")
        _fsync_dir(self.path / "extensions")
        os.rename(fresh / DECLARATION, self.path / DECLARATION)
        _fsync_dir(self.path)
        shutil.rmtree(txn, ignore_errors=True)

    # -- staging and publishing -------------------------------------------------------

    def new_transaction(self) -> Path:
        self.staging.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="txn-", dir=self.staging))

    def sweep_staging(self) -> list[str]:
        """Remove what interrupted deposits left in staging (called under the exclusive lock,
        so no live deposit owns any of it). Says so on stderr if it had to put an object
        back (an update killed between its two renames, where no atomic swap exists)."""
        notes = [note for txn in self.staging_leftovers() if (note := self.discard(txn))]
        for note in notes:
            print(note, file=sys.stderr)
        return notes

    def parked(self, txn: Path) -> Path | None:
        """The live path of an object an interrupted update moved aside into ``txn``."""
        intent, old = txn / "intent.json", txn / "old"
        if not (intent.is_file() and old.is_dir()):
            return None
        target = self.path / json.loads(intent.read_text("utf-8"))["object"]
        return None if target.exists() else target

    def discard(self, txn: Path) -> str | None:
        """Drop one transaction folder, first restoring an object it holds aside."""
        note = None
        if (target := self.parked(txn)) is not None:
            os.rename(txn / "old", target)
            _fsync_dir(target.parent)
            note = f"{target}: restored to its previous version after an interrupted deposit"
        shutil.rmtree(txn, ignore_errors=True)
        return note

    def publish_new(self, txn: Path, relpath: str) -> None:
        """Move a new object staged at ``txn/tree/<relpath>`` into place with one rename of
        the first path component that does not exist yet (no empty folders on a crash)."""
        parts = Path(relpath).parts
        for depth in range(1, len(parts) + 1):
            if not (self.path.joinpath(*parts[:depth])).exists():
                break
        else:
            raise ArchiveError("object folder already exists", str(self.path / relpath))
        staged_top = txn.joinpath("tree", *parts[:depth])
        _fsync_tree(staged_top)
        os.rename(staged_top, self.path.joinpath(*parts[:depth]))
        _fsync_dir(self.path.joinpath(*parts[: depth - 1]))

    def publish_update(self, txn: Path, relpath: str, staged: Path) -> None:
        """Swap the staged object (old one + new version) with the live one: one
        renameat2(RENAME_EXCHANGE) where the kernel and file system offer it, else two
        renames with an intent file so that the next deposit can undo a half swap."""
        live = self.path / relpath
        _fsync_tree(staged)
        if _exchange(staged, live):
            _fsync_dir(live.parent)
            return
        (txn / "intent.json").write_text(json.dumps({"object": relpath}), "utf-8")
        _fsync_dir(txn)
        os.rename(live, txn / "old")
        try:
            os.rename(staged, live)
        except BaseException:
            os.rename(txn / "old", live)  # never leave the object out of the root
            raise
        _fsync_dir(live.parent)


def clone_object(live: Path, dest: Path) -> None:
    """A working copy of an object for adding a version: version folders are hard-linked
    (OCFL content is immutable and ocfl-py only adds files there), the root files that
    ocfl-py rewrites (inventory and sidecar) are real copies so the live ones stay intact."""
    for folder, _dirs, files in os.walk(live):
        here = Path(folder)
        rel = here.relative_to(live)
        (dest / rel).mkdir(parents=True, exist_ok=True)
        for name in files:
            src, dst = here / name, dest / rel / name
            if rel == Path("."):
                shutil.copy2(src, dst)
                continue
            try:
                os.link(src, dst)
            except OSError:  # no hard links here (some SMB/FUSE mounts): copy instead
                shutil.copy2(src, dst)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2); False where that is not available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    renameat2.restype = ctypes.c_int
    rc = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _fsync_tree(top: Path) -> None:
    """Data and folder entries on disk before the publishing rename (power-loss safety)."""
    for folder, _dirs, files in os.walk(top, topdown=False):
        for name in files:
            with contextlib.suppress(OSError):
                fd = os.open(Path(folder) / name, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        _fsync_dir(Path(folder))
