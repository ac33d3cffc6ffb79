"""Reading the archive for people and scripts: list of objects, one object's history."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from newsarchive.archive.record import ID_PREFIX, PROVENANCE
from newsarchive.archive.store import ArchiveError, Root, StoredObject, load_object, symlink_in


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


def scan(root: Root) -> tuple[list[StoredObject], list[ArchiveError]]:
    """Every readable object, and one error per object whose inventory is unusable (that
    object is damaged; the others are still listed)."""
    objects: list[StoredObject] = []
    damaged: list[ArchiveError] = []
    for objdir in root.object_dirs():
        try:
            objects.append(load_object(objdir))
        except ArchiveError as exc:
            damaged.append(exc)
    return objects, damaged


def list_objects(root_path: Path | str) -> tuple[list[Summary], list[ArchiveError]]:
    """Summaries sorted by date, newspaper, id; and the objects that could not be read."""
    root = Root.open(root_path)
    with root.locked(exclusive=False):
        objects, damaged = scan(root)
        summaries = sorted(
            map(summarize, objects), key=lambda s: (s.date or "", s.newspaper or "", s.id)
        )
    return summaries, damaged


def source_names(obj: StoredObject) -> list[str]:
    """The scraped file's names (a source deposited under several names has them all)."""
    record = _record(obj)
    source = record.get("source") if isinstance(record.get("source"), dict) else {}
    names = source.get("names") or [source.get("name")]
    found = [n for n in names if isinstance(n, str) and n]
    found += [p.split("/", 1)[1] for p in obj.state() if p.startswith("source/")]
    return list(dict.fromkeys(found))


def resolve_id(root: Root, text: str) -> str:
    """An object id from what a person types: the full id, a unique prefix of its hash (or
    of the id), or the scraped file's name. Ambiguity is an error listing the candidates."""
    if not text:
        raise ArchiveError("empty object id")
    if text.startswith(ID_PREFIX) and root.find(text) is not None:
        return text
    objects, _damaged = scan(root)
    bare = text.removeprefix(ID_PREFIX)
    matches = [o.id for o in objects if o.id.removeprefix(ID_PREFIX).startswith(bare)]
    if not matches:
        name = Path(text).name
        matches = [o.id for o in objects if name in source_names(o)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise ArchiveError("no such object in the archive (id, hash prefix or file name)", text)
    shown = ", ".join(sorted(matches)[:5])
    raise ArchiveError(f"ambiguous: {len(matches)} objects match ({shown}…)", text)


def describe(root_path: Path | str, identifier: str) -> dict[str, Any]:
    """Summary, every version (with what it changed) and the head's files."""
    root = Root.open(root_path)
    with root.locked(exclusive=False):
        obj = root.get(resolve_id(root, identifier))
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
            link = symlink_in(obj.path, obj.inventory["manifest"][digest][0])
            files.append(
                {
                    "path": logical,
                    "size": content.stat().st_size if content.is_file() and not link else None,
                    "sha512": digest,
                    "stored_in": obj.stored_in(digest),
                    "content_path": str(content),
                }
            )
        return {**summary.to_dict(), "versions_detail": versions, "files": files}
