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
import re
import shutil
import stat
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


# OCFL version names: v1, v2… (or zero-padded v001, which other tools write).
_VERSION_NAME = re.compile(r"v0*[1-9][0-9]*")


def safe_relpath(rel: object) -> bool:
    """A path from an inventory, intent or state file that stays where it is joined: a
    relative POSIX path without '.', '..' or empty segments (the OCFL content-path rules)."""
    if not isinstance(rel, str) or not rel or rel.startswith("/") or "\\" in rel or "\0" in rel:
        return False
    return all(part not in ("", ".", "..") for part in rel.split("/"))


def symlink_in(base: Path, rel: str) -> Path | None:
    """The first component of ``base/rel`` that is a symlink (inside a root, a symlink is
    damage: it would let a read or a write leave the root)."""
    here = base
    for part in rel.split("/"):
        here = here / part
        try:
            if stat.S_ISLNK(os.lstat(here).st_mode):
                return here
        except OSError:
            return None  # missing: the caller reports that
    return None


def read_inside(base: Path, rel: str) -> bytes:
    """Bytes of ``base/rel``, refusing a path that leaves ``base`` or passes a symlink."""
    if not safe_relpath(rel):
        raise ArchiveError("path in the inventory leaves the object; refused", f"{base}/{rel}")
    if (link := symlink_in(base, rel)) is not None:
        raise ArchiveError("is a symlink (damage: not followed)", str(link))
    fd = os.open(base / rel, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def version_number(name: str) -> int:
    return int(name[1:])


def inventory_problem(inventory: object) -> str | None:
    """Why an inventory cannot be used (None if its shape is sound). Digests and the rest
    of the OCFL rules are the validator's; this only keeps malformed or hostile values
    (a list for ``versions``, a key ``vX``, ``../`` in a path) from reaching the code."""
    if not isinstance(inventory, dict):
        return "not a JSON object"
    if not isinstance(inventory.get("id"), str) or not inventory["id"]:
        return "no 'id'"
    manifest, versions = inventory.get("manifest"), inventory.get("versions")
    if not isinstance(manifest, dict):
        return "'manifest' is not an object"
    if not isinstance(versions, dict) or not versions:
        return "'versions' is not an object of versions"
    for name, version in versions.items():
        if not _VERSION_NAME.fullmatch(name):
            return f"version name {name!r} is not v1, v2…"
        if not isinstance(version, dict) or not isinstance(version.get("state"), dict):
            return f"version {name} has no 'state' object"
        for digest, paths in version["state"].items():
            if digest not in manifest:
                return f"version {name} names a digest missing from the manifest"
            if not isinstance(paths, list) or not all(safe_relpath(p) for p in paths):
                return f"version {name} has a logical path that is not a plain relative path"
    for paths in manifest.values():
        if not isinstance(paths, list) or not paths:
            return "a manifest entry is not a list of paths"
        for path in paths:
            if not safe_relpath(path) or path.split("/", 1)[0] not in versions:
                return f"manifest path {path!r} is outside the object's version folders"
    head = inventory.get("head")
    if head not in versions or version_number(str(head)) != max(map(version_number, versions)):
        return f"'head' {head!r} is not the last version"
    return None


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
        return sorted(versions.items(), key=lambda kv: version_number(kv[0]))

    def state(self, version: str | None = None) -> dict[str, str]:
        """logical path -> digest for ``version`` (default: head)."""
        v = self.inventory["versions"][version or self.head]
        return {p: d for d, paths in v.get("state", {}).items() for p in paths}

    def content_path(self, digest: str) -> Path:
        return self.path / self.inventory["manifest"][digest][0]

    def read(self, logical: str, version: str | None = None) -> bytes:
        """A logical file's bytes, checked against its SHA-512 (no damaged file leaves, nor
        anything outside the object: the manifest path is checked and no symlink followed)."""
        digest = self.state(version)[logical]
        file = self.content_path(digest)
        try:
            data = read_inside(self.path, self.inventory["manifest"][digest][0])
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
    if (problem := inventory_problem(inventory)) is not None:
        raise ArchiveError(f"malformed inventory: {problem}", str(file))
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
        self.check_workspace()
        return sorted(self.staging.iterdir()) if self.staging.is_dir() else []

    def check_workspace(self) -> None:
        """Our workspace must be real folders inside the root: a symlinked ``staging/``
        would make the sweep of leftovers delete whatever it points to."""
        for path in (
            self.path / "extensions",
            self.workspace,
            self.staging,
            self.workspace / "lock",
        ):
            if path.is_symlink():
                raise ArchiveError(
                    "is a symlink; the archive's workspace must be a real folder inside the "
                    "root (refused, nothing written or deleted)",
                    str(path),
                )

    # -- locking and initialising -----------------------------------------------------

    @contextlib.contextmanager
    def locked(self, exclusive: bool) -> Iterator[None]:
        """flock on the workspace lock file: deposits exclusive, readers shared.

        A reader on a root without a usable lock file (read-only copy, a symlink, which
        verify reports) goes ahead unlocked."""
        lock = self.workspace / "lock"
        if exclusive:
            self.check_workspace()
            try:
                self.workspace.mkdir(parents=True, exist_ok=True)
                fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o666)
            except OSError as exc:
                raise ArchiveError(f"cannot open lock: {exc.strerror or exc}", str(lock)) from exc
        else:
            try:
                fd = os.open(lock, os.O_RDONLY | os.O_NOFOLLOW)
            except OSError:
                yield
                return
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
        root.check_workspace()
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
        self.check_workspace()
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
        """The live path of an object an interrupted update moved aside into ``txn``.

        The intent file is untrusted: it counts only if the parked folder is a real object
        whose own inventory id the layout maps to exactly the path the intent names (so a
        forged intent can never move a folder anywhere but back to its object's place)."""
        intent, old = txn / "intent.json", txn / "old"
        if txn.is_symlink() or intent.is_symlink() or old.is_symlink():
            return None
        if not (intent.is_file() and old.is_dir()):
            return None
        try:
            rel = json.loads(intent.read_text("utf-8")).get("object")
            parked_id = load_object(old).id
        except (OSError, ValueError, AttributeError, ArchiveError):
            return None
        if not safe_relpath(rel) or self.object_relpath(parked_id) != rel:
            return None
        if symlink_in(self.path, rel) is not None:
            return None
        target = self.path / rel
        return None if target.exists() else target

    def discard(self, txn: Path) -> str | None:
        """Drop one transaction folder, first restoring an object it holds aside."""
        note = None
        if txn.is_symlink() or not txn.is_dir():  # not ours: remove the entry, not its target
            with contextlib.suppress(OSError):
                txn.unlink()
            return None
        if (target := self.parked(txn)) is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
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


def add_sha256_fixity(objdir: Path) -> None:
    """Fill the inventory's ``fixity`` block with the SHA-256 of every content file (ocfl-py
    2.1 declares the block but leaves it empty), in the root inventory and the head
    version's copy of it, which OCFL requires to be identical; sidecars rewritten too.
    Called on a staged object only: published inventories are never edited."""
    inventory = json.loads((objdir / INVENTORY).read_bytes())
    fixity: dict[str, list[str]] = {}
    for paths in inventory["manifest"].values():
        for rel in paths:
            with (objdir / rel).open("rb") as handle:
                digest = hashlib.file_digest(handle, "sha256").hexdigest()
            fixity.setdefault(digest, []).append(rel)
    inventory["fixity"] = {"sha256": {d: sorted(p) for d, p in sorted(fixity.items())}}
    data = json.dumps(inventory, indent=2, sort_keys=True, ensure_ascii=False).encode("utf-8")
    sidecar = f"{hashlib.sha512(data).hexdigest()} {INVENTORY}\n".encode()
    for folder in (objdir, objdir / str(inventory["head"])):
        for name, blob in ((INVENTORY, data), (SIDECAR, sidecar)):
            target = folder / name
            target.unlink()  # a fresh file, never a write through a hard link
            target.write_bytes(blob)


def clone_object(live: Path, dest: Path) -> None:
    """A working copy of an object for adding a version: version folders are hard-linked
    (OCFL content is immutable and ocfl-py only adds files there), the root files that
    ocfl-py rewrites (inventory and sidecar) are real copies so the live ones stay intact."""
    for folder, dirs, files in os.walk(live):
        here = Path(folder)
        rel = here.relative_to(live)
        (dest / rel).mkdir(parents=True, exist_ok=True)
        for name in dirs + files:
            if (here / name).is_symlink():  # never carried into a new version
                raise ArchiveError("is a symlink (damage); object not updated", str(here / name))
        for name in files:
            src, dst = here / name, dest / rel / name
            if rel == Path("."):
                shutil.copy2(src, dst)
                continue
            try:
                os.link(src, dst, follow_symlinks=False)
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
