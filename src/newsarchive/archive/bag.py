"""BagIt export: the logical files of one or more objects as a bag another archive ingests
(Archivematica takes BagIt transfers; a bag also converts back into an OCFL object)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from newsarchive import TOOL_NAME, __version__
from newsarchive.archive.catalog import resolve_id, summarize
from newsarchive.archive.record import ID_PREFIX
from newsarchive.archive.store import ArchiveError, Root, safe_relpath


@dataclass(frozen=True)
class Exported:
    path: str
    objects: int
    files: int
    bytes: int


def bag_folder(identifier: str) -> str:
    """A payload folder name for an object: its id without the prefix, ':' -> '-'."""
    name = identifier.removeprefix(ID_PREFIX).replace(":", "-").replace("/", "_")
    return name if safe_relpath(name) else "object-" + hashlib.sha256(name.encode()).hexdigest()


def export_bag(
    root_path: Path | str,
    identifiers: list[str],
    dest: Path | str,
    *,
    organization: str = TOOL_NAME,
    version: str | None = None,
) -> Exported:
    """Write a validated bag at ``dest`` (which must not exist or be empty), with
    ``data/<object>/<logical path>`` for each object (head, or ``version``).

    bagit.make_bag moves a folder's files into data/ in place, so the bag is built in a
    staging folder next to ``dest`` and renamed into place once it validates."""
    import bagit

    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ArchiveError("already exists; a bag is never written over", str(dest))
    if not identifiers:
        raise ArchiveError("no object ids given", str(dest))
    root = Root.open(root_path)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent))
    except OSError as exc:
        raise ArchiveError(f"cannot write: {exc.strerror or exc}", str(dest)) from exc
    try:
        files = size = 0
        titles = []
        with root.locked(exclusive=False):
            identifiers = [resolve_id(root, i) for i in identifiers]
            for identifier in dict.fromkeys(identifiers):  # once each, order kept
                obj = root.get(identifier)
                use = version or obj.head
                if use not in obj.inventory["versions"]:
                    raise ArchiveError(f"object has no version {use}", identifier)
                titles.append(summarize(obj).title or identifier)
                for logical in sorted(obj.state(use)):
                    # SHA-512 checked, path kept inside the object, no symlink followed.
                    data = obj.read(logical, use)
                    if not safe_relpath(logical):  # load_object refuses these already
                        raise ArchiveError("logical path leaves the bag; refused", logical)
                    target = staging / bag_folder(identifier) / logical
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data)
                    files += 1
                    size += len(data)
        ids = list(dict.fromkeys(identifiers))
        info: dict[str, str | list[str]] = {
            "Source-Organization": organization,
            "External-Identifier": ids if len(ids) > 1 else ids[0],
            "External-Description": "; ".join(titles),
            "Bag-Software-Agent": f"{TOOL_NAME} {__version__} (bagit-python)",
        }
        if version:
            info["Version-Note"] = f"OCFL version {version}"
        try:
            bag = bagit.make_bag(str(staging), info, checksums=["sha256", "sha512"])
            bag.validate()
        except (bagit.BagError, OSError) as exc:
            raise ArchiveError(f"bag not made: {exc}", str(dest)) from exc
        if dest.exists():
            dest.rmdir()  # empty (checked above)
        os.rename(staging, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            shutil.rmtree(staging)
        raise
    return Exported(str(dest), len(ids), files, size)
