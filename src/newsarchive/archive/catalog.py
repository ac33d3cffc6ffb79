"""Reading the archive for people and scripts: list of objects, one object's history."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from newsarchive.archive.record import PROVENANCE
from newsarchive.archive.store import ArchiveError, Root, StoredObject, load_object


@dataclass(frozen=True)
class Summary:
    id: str
    title: str | None
    newspaper: str | None
    date: str | None
    versions: int
    head: str
    last_deposit: str
    path: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _record(obj: StoredObject) -> dict[str, Any]:
    """The head provenance record; {} when it is missing or damaged (verify says which)."""
    try:
        data = json.loads(obj.read(PROVENANCE))
    except (KeyError, ValueError, ArchiveError):
        return {}
    return data if isinstance(data, dict) else {}


def summarize(obj: StoredObject) -> Summary:
    md = _record(obj).get("metadata", {})
    versions = obj.versions()
    return Summary(
        id=obj.id,
        title=md.get("title"),
        newspaper=md.get("newspaper"),
        date=md.get("date"),
        versions=len(versions),
        head=obj.head,
        last_deposit=str(versions[-1][1].get("created", "")) if versions else "",
        path=str(obj.path),
    )


def list_objects(root_path: Path | str) -> list[Summary]:
    root = Root.open(root_path)
    with root.locked(exclusive=False):
        return sorted(
            (summarize(load_object(d)) for d in root.object_dirs()),
            key=lambda s: (s.date or "", s.newspaper or "", s.id),
        )


def describe(root_path: Path | str, identifier: str) -> dict[str, Any]:
    """Summary, every version (with what it changed) and the head's files."""
    root = Root.open(root_path)
    with root.locked(exclusive=False):
        obj = root.get(identifier)
        summary = summarize(obj)
        versions = []
        previous: dict[str, str] = {}
        for name, version in obj.versions():
            state = obj.state(name)
            versions.append(
                {
                    "version": name,
                    "created": version.get("created", ""),
                    "message": version.get("message", ""),
                    "user": (version.get("user") or {}).get("name", ""),
                    "added": sorted(set(state) - set(previous)),
                    "changed": sorted(
                        p for p in state if p in previous and previous[p] != state[p]
                    ),
                    "removed": sorted(set(previous) - set(state)),
                    "stored": sum(
                        1
                        for paths in obj.inventory["manifest"].values()
                        for p in paths
                        if p.startswith(name + "/")
                    ),
                }
            )
            previous = state
        files = []
        for logical, digest in sorted(obj.state().items()):
            content = obj.content_path(digest)
            files.append(
                {
                    "path": logical,
                    "size": content.stat().st_size if content.exists() else None,
                    "sha512": digest,
                    "stored_in": obj.stored_in(digest),
                    "content_path": str(content),
                }
            )
        return {**summary.to_dict(), "versions_detail": versions, "files": files}
