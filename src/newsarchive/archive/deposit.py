"""Depositing articles: one OCFL object per article, a new version only when its content
changed, each object or version published atomically under the root's deposit lock."""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from newsarchive.archive.record import (
    PROVENANCE,
    build_files,
    edition_time,
    iso,
    object_id,
    source_files,
)
from newsarchive.archive.store import (
    ArchiveError,
    Root,
    StoredObject,
    add_sha256_fixity,
    clone_object,
)
from newsarchive.errors import InputError
from newsarchive.model import Article
from newsarchive.options import Options

# Seconds to sleep once a deposit is fully staged, before publishing: lets tests (and the
# curious) kill a deposit at its most delicate moment.
PAUSE_ENV = "NEWSARCHIVE_DEPOSIT_PAUSE"

Status = Literal["new", "updated", "unchanged"]


@dataclass(frozen=True)
class Deposited:
    source: str
    object_id: str
    version: str  # the object's head after the deposit
    status: Status
    stored: int = 0  # files written into the new version's content folder
    changed: tuple[str, ...] = ()  # logical paths added, changed or removed
    title: str | None = None


@dataclass
class _Plan:
    article: Article
    object_id: str
    seen_head: str | None  # head when planned; re-planned under the lock if it moved
    files: dict[str, bytes]
    digests: dict[str, str]
    changed: tuple[str, ...] = field(default=())
    unchanged: bool = False


def now() -> datetime:
    """The edition time for new content: $SOURCE_DATE_EPOCH (reproducible builds) or now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC)
    return datetime.now(UTC).replace(microsecond=0)


def read_source(path: Path, options: Options) -> bytes:
    """The scraped file's bytes, read once: the same bytes are normalised and stored."""
    try:
        if path.stat().st_size > options.max_bytes:
            raise InputError(f"file too large ({path.stat().st_size:,} bytes)", str(path))
        return path.read_bytes()
    except IsADirectoryError as exc:
        raise InputError("is a directory (use -r to deposit a folder)", str(path)) from exc
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", str(path)) from exc


def deposit_file(
    path: Path | str, root: Path | str, options: Options | None = None
) -> list[Deposited]:
    """Normalise one scraped file and deposit each of its articles. A TEI file (a
    hand-corrected edition of ours) becomes the next version of its article's object:
    the original scrape is kept, the TEI is stored under ``corrections/`` and the
    editions are rendered from it."""
    from newsarchive.pipeline import is_tei, normalize_bytes

    options = options or Options()
    path = Path(path)
    data = read_source(path, options)
    articles = normalize_bytes(data, str(path), options)
    if not is_tei(path.name):
        return deposit_articles(
            [(a, source_files(a, data)) for a in articles], root, options, str(path)
        )
    [article] = articles
    oid = object_id(article.metadata)
    obj = Root.open(root).find(oid) if Root(Path(root)).is_initialised() else None
    if obj is None:
        raise ArchiveError(
            f"no object {oid} for this edition's source; deposit the scraped file first",
            str(path),
        )
    originals = {p: obj.read(p) for p in sorted(obj.state()) if p.startswith("source/")}
    originals[f"corrections/{path.name}"] = data
    return deposit_articles([(article, originals)], root, options, str(path))


def deposit_articles(
    items: list[tuple[Article, dict[str, bytes]]],
    root: Path | str,
    options: Options,
    source: str = "",
) -> list[Deposited]:
    """Deposit already normalised articles, each with its ``originals`` (logical path ->
    bytes: the scraped file under ``source/``, see :func:`source_files`).

    The expensive rendering happens before taking the lock, so concurrent depositors
    only serialise for staging and publishing."""
    reader = Root.open(root) if Root(Path(root)).is_initialised() else None
    when = now()
    plans = [_plan(reader, a, originals, options, when) for a, originals in items]
    results: list[Deposited] = []
    with Root.for_deposit(root) as store:
        for plan, (_, originals) in zip(plans, items, strict=True):
            current = store.find(plan.object_id)
            if (current.head if current else None) != plan.seen_head:  # a peer got there first
                plan = _plan(store, plan.article, originals, options, when)
            results.append(_apply(store, plan, source))
    return results


def _digest(data: bytes) -> str:
    return hashlib.sha512(data).hexdigest()


def _previous_edition_time(obj: StoredObject) -> datetime | None:
    try:
        record = json.loads(obj.read(PROVENANCE))
        return edition_time(record["editions_created"])
    except (KeyError, ValueError, TypeError, ArchiveError):
        return None  # no usable record: the content counts as changed


def _plan(
    root: Root | None,
    article: Article,
    originals: dict[str, bytes],
    options: Options,
    when: datetime,
) -> _Plan:
    oid = object_id(article.metadata)
    obj = root.find(oid) if root else None
    previous: dict[str, str] = obj.state() if obj is not None else {}
    if obj is not None and (then := _previous_edition_time(obj)) is not None:
        # Same content renders to the same bytes only with the same edition time.
        same = build_files(
            article, originals, options, then, stop=lambda p, d: previous.get(p) != _digest(d)
        )
        if same is not None and {p: _digest(b) for p, b in same.items()} == previous:
            return _Plan(article, oid, obj.head, same, previous, unchanged=True)
    # New or changed content: its editions carry the time they are made.
    files = build_files(article, originals, options, when)
    assert files is not None  # no stop callback: always complete
    digests = {p: _digest(b) for p, b in files.items()}
    changed = tuple(
        sorted(p for p in set(previous) | set(digests) if previous.get(p) != digests.get(p))
    )
    return _Plan(article, oid, obj.head if obj else None, files, digests, changed)


def _apply(store: Root, plan: _Plan, source: str) -> Deposited:
    from ocfl import Object, VersionMetadata
    from ocfl.object import ObjectException
    from ocfl.validator import Validator

    title = plan.article.metadata.title
    if plan.unchanged:
        return Deposited(source, plan.object_id, plan.seen_head or "", "unchanged", title=title)
    md = plan.article.metadata
    relpath = store.object_relpath(plan.object_id)
    live = store.path / relpath
    what = f"{Path(md.source_file).name} (article {md.article_index} of {md.article_count})"
    message = (
        f"update of {what}: {', '.join(plan.changed)}" if plan.seen_head else f"deposit of {what}"
    )
    metadata = VersionMetadata(
        created=iso(datetime.now(UTC)),  # the deposit time lives here, not in the files
        message=message,
        name=_user(),
        # OCFL wants a URI for the agent (W008 without one); ours names the local user.
        address=os.environ.get("NEWSARCHIVE_AGENT_ADDRESS") or f"urn:newsarchive:agent:{_user()}",
    )
    txn: Path | None = None
    try:  # everything that writes is in here: a full disk fails this object, not the batch
        txn = store.new_transaction()
        content = txn / "content"
        stage_files(content, plan.files)
        if plan.seen_head is None:
            objdir = txn.joinpath("tree", relpath)
            objdir.parent.mkdir(parents=True, exist_ok=True)
            Object(identifier=plan.object_id, fixity=["sha256"]).create(
                srcdir=str(content), metadata=metadata, objdir=str(objdir)
            )
            add_sha256_fixity(objdir)
            _pause(live)
            store.publish_new(txn, relpath)
        else:
            # Never build on damaged content: forward deltas would reference it.
            validator = Validator(check_digests=True, log_warnings=False)
            if not validator.validate_object(str(live)):
                raise ArchiveError(
                    "object is damaged, not updated (see 'newsarchive archive verify')",
                    str(live),
                )
            staged = txn / "object"
            clone_object(live, staged)  # refuses symlinks (the validator follows them)
            Object(identifier=plan.object_id, fixity=["sha256"]).add_version_with_content(
                objdir=str(staged), srcdir=str(content), metadata=metadata
            )
            add_sha256_fixity(staged)
            _pause(live)
            store.publish_update(txn, relpath, staged)
    except ObjectException as exc:
        raise ArchiveError(f"OCFL: {exc}", str(live)) from exc
    except OSError as exc:
        raise ArchiveError(f"cannot write: {exc.strerror or exc}", str(live)) from exc
    finally:
        if txn is not None:
            store.discard(txn)
    obj = store.get(plan.object_id)
    stored = sum(
        1
        for paths in obj.inventory["manifest"].values()
        for p in paths
        if p.startswith(obj.head + "/")
    )
    status: Status = "updated" if plan.seen_head else "new"
    return Deposited(source, plan.object_id, obj.head, status, stored, plan.changed, title)


def stage_files(content: Path, files: dict[str, bytes]) -> None:
    """Write a version's files into its staging content folder."""
    for logical, data in files.items():
        target = content / logical
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "newsarchive"


def _pause(target: Path) -> None:
    seconds = os.environ.get(PAUSE_ENV, "").strip()
    if seconds:
        print(f"{target}: staged, pausing {seconds} s ({PAUSE_ENV})", file=sys.stderr, flush=True)
        time.sleep(float(seconds))
