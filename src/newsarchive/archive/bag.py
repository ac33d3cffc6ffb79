"""BagIt export: the logical files of one or more objects as a bag another archive ingests
(Archivematica takes BagIt transfers; a bag also converts back into an OCFL object)."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsarchive import TOOL_NAME, __version__
from newsarchive.archive.catalog import resolve_id, summarize
from newsarchive.archive.premis import Premis
from newsarchive.archive.record import ID_PREFIX, PROVENANCE
from newsarchive.archive.store import ArchiveError, Root, StoredObject, safe_relpath


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
        rows: list[dict[str, str]] = []
        premis = Premis()
        with root.locked(exclusive=False):
            identifiers = [resolve_id(root, i) for i in identifiers]
            for identifier in dict.fromkeys(identifiers):  # once each, order kept
                obj = root.get(identifier)
                use = version or obj.head
                if use not in obj.inventory["versions"]:
                    raise ArchiveError(f"object has no version {use}", identifier)
                titles.append(summarize(obj).title or identifier)
                folder = bag_folder(identifier)
                for logical in sorted(obj.state(use)):
                    # SHA-512 checked, path kept inside the object, no symlink followed.
                    data = obj.read(logical, use)
                    if not safe_relpath(logical):  # load_object refuses these already
                        raise ArchiveError("logical path leaves the bag; refused", logical)
                    target = staging / folder / logical
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data)
                    files += 1
                    size += len(data)
                record = _record(obj, use)
                rows.append(dublin_core(f"objects/{folder}", identifier, record))
                if record:
                    premis.add(record, prefix=f"objects/{folder}/")
        # Archivematica reads a transfer's metadata/ folder: Dublin Core per object folder,
        # and PREMIS for all of them (each object folder also has its own premis.xml).
        meta = staging / "metadata"
        meta.mkdir()
        (meta / "metadata.csv").write_bytes(metadata_csv(rows))
        (meta / "premis.xml").write_bytes(premis.to_bytes())
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
            # bagit-python writes BagIt 0.97; the payload rules are the same in 1.0 (RFC 8493),
            # so the declaration is raised and the tag manifests made again.
            (staging / "bagit.txt").write_text(
                f"BagIt-Version: {BAGIT_VERSION}\nTag-File-Character-Encoding: UTF-8\n", "utf-8"
            )
            bag = bagit.Bag(str(staging))
            bag.save()
            bag = bagit.Bag(str(staging))
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


BAGIT_VERSION = "1.0"
# The Dublin Core elements Archivematica maps from metadata.csv (``dc.`` + element name).
DC_COLUMNS = (
    "filename",
    "dc.title",
    "dc.creator",
    "dc.subject",
    "dc.description",
    "dc.publisher",
    "dc.contributor",
    "dc.date",
    "dc.type",
    "dc.format",
    "dc.identifier",
    "dc.source",
    "dc.relation",
    "dc.language",
    "dc.coverage",
    "dc.rights",
)


def _record(obj: StoredObject, version: str) -> dict[str, Any]:
    try:
        data = json.loads(obj.read(PROVENANCE, version))
    except (KeyError, ValueError, ArchiveError):
        return {}
    return data if isinstance(data, dict) else {}


def dublin_core(filename: str, identifier: str, record: dict[str, Any]) -> dict[str, str]:
    """One metadata.csv row for an object folder, from its provenance record."""
    md = record.get("metadata") if isinstance(record.get("metadata"), dict) else {}
    files = record.get("files") if isinstance(record.get("files"), dict) else {}
    source = record.get("source") if isinstance(record.get("source"), dict) else {}

    def text(value: object) -> str:
        if isinstance(value, list | tuple):
            return "; ".join(str(v) for v in value if v)
        return "" if value is None else str(value)

    contributors = [
        f"{c.get('name')} ({c.get('role')})"
        for c in md.get("credits") or []
        if isinstance(c, dict) and c.get("name")
    ]
    where = [md.get("newspaper"), md.get("edition"), md.get("page") and f"p. {md['page']}"]
    return {
        "filename": filename,
        "dc.title": text(md.get("title")),
        "dc.creator": text(md.get("authors")),
        "dc.subject": text(md.get("section")),
        "dc.description": ", ".join(str(w) for w in where if w),
        "dc.publisher": text(md.get("publisher") or md.get("newspaper")),
        "dc.contributor": "; ".join(contributors),
        "dc.date": text(md.get("date")),
        "dc.type": "Text",
        "dc.format": "; ".join(
            sorted({str((f.get("format") or {}).get("media_type", "")) for f in files.values()})
        ),
        "dc.identifier": identifier,
        "dc.source": "; ".join(v for v in (text(md.get("url")), text(source.get("name"))) if v),
        "dc.relation": "",
        "dc.language": text(md.get("language")),
        "dc.coverage": "",
        "dc.rights": text(md.get("licence")),
    }


def metadata_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=DC_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")
