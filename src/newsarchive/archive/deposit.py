"""Depositing articles: one OCFL object per article, a new version only when its content
changed, each object or version published atomically under the root's deposit lock."""

from __future__ import annotations

import contextlib
import dataclasses
import getpass
import hashlib
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from newsarchive import __version__
from newsarchive.archive.record import (
    ID_PREFIX,
    PROVENANCE,
    build_files,
    edition_time,
    iso,
    object_id,
    source_files,
    with_records,
)
from newsarchive.archive.store import (
    ArchiveError,
    Root,
    StoredObject,
    add_sha256_fixity,
    clone_object,
)
from newsarchive.errors import InputError, NewsarchiveError
from newsarchive.model import Article
from newsarchive.options import Options
from newsarchive.readers.warc import is_warc_name
from newsarchive.writers.tei import TEI_NS

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
    note: str = ""  # e.g. why an object was left as it is


@dataclass
class _Plan:
    article: Article
    object_id: str
    seen_head: str | None  # head when planned; re-planned under the lock if it moved
    files: dict[str, bytes]
    digests: dict[str, str]
    changed: tuple[str, ...] = field(default=())
    unchanged: bool = False
    reason: str = ""


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


EDITION_FORMATS = ("tei", "docx", "pdf")
KEEP_NOTE = "kept the hand correction of {head}; --rerender renders from the scrape again"


def basis(sha256: str, options: Options, name: str, derivation: str) -> dict[str, str]:
    """What an object's editions derive from; equal bases mean equal editions, so a
    re-deposit compares these (recorded in provenance.json) before rendering anything."""
    from newsarchive.batch.task import fingerprint

    return {
        "derivation": derivation,
        "source_sha256": sha256,
        "fingerprint": fingerprint(options, EDITION_FORMATS, Path(name).name),
        "version": __version__,
    }


def head_record(obj: StoredObject) -> dict[str, Any]:
    try:
        record = json.loads(obj.read(PROVENANCE))
    except (KeyError, ValueError, ArchiveError):
        return {}
    return record if isinstance(record, dict) else {}


def _basis_of(record: dict[str, Any]) -> dict[str, Any]:
    found = record.get("basis")
    return found if isinstance(found, dict) else {}


def _objects_of_source(root: Root | None, sha256: str) -> list[StoredObject]:
    """The objects made from one scraped file: its id, or its stories :1, :2…"""
    if root is None:
        return []
    base = ID_PREFIX + sha256
    if (single := root.find(base)) is not None:
        return [single]
    found = []
    while (story := root.find(f"{base}:{len(found) + 1}")) is not None:
        found.append(story)
    return found


def deposit_file(
    path: Path | str,
    root: Path | str,
    options: Options | None = None,
    *,
    rerender: bool = False,
    names: list[str] | None = None,
    sources: list[Path] | None = None,
) -> list[Deposited]:
    """Deposit one input: a scraped file (normalised, one object per article) or a TEI
    edition of ours (see :func:`deposit_edition`).

    A scraped file whose objects record the same source, options and version is
    "unchanged" without rendering anything; an object whose head is a hand correction
    keeps it unless ``rerender``. ``names``: every name these bytes are deposited under in
    this batch (one object, all names in its provenance)."""
    from newsarchive.pipeline import is_tei, normalize_bytes

    options = options or Options()
    path = Path(path)
    if is_tei(path.name):
        return deposit_edition(path, root, options, sources=sources, rerender=rerender)
    if is_warc_name(path.name):  # each HTML response is an input; its payload the source
        from newsarchive.pipeline import normalize_html
        from newsarchive.readers.warc import iter_records, record_name

        results: list[Deposited] = []
        for record in iter_records(path, options.max_bytes):
            name = str(path.parent / record_name(path.name, record))

            def articles(
                payload: bytes = record.payload,
                name: str = name,
                uri: str = record.uri,
                when: str = record.date,
            ) -> list[Article]:
                return normalize_html(payload, name, options, uri, when)

            results += _deposit_scrape(
                record.payload, Path(name), root, options, rerender, None, articles
            )
        if not results:
            raise InputError("no HTML response records in this web archive", str(path))
        return results
    data = read_source(path, options)
    return _deposit_scrape(
        data,
        path,
        root,
        options,
        rerender,
        names,
        lambda: normalize_bytes(data, str(path), options),
    )


def _deposit_scrape(
    data: bytes,
    path: Path,
    root: Path | str,
    options: Options,
    rerender: bool,
    names: list[str] | None,
    normalise: Callable[[], list[Article]],
) -> list[Deposited]:
    """Deposit one scraped file's bytes (or a web-archive record's payload) named ``path``:
    nothing rendered if the recorded basis matches; else normalised and rendered."""
    sha = hashlib.sha256(data).hexdigest()
    reader = Root.open(root) if Root(Path(root)).is_initialised() else None
    known = _objects_of_source(reader, sha)
    wanted = basis(sha, options, path.name, "scrape")
    settled: dict[str, Deposited] = {}
    for obj in known:
        record = head_record(obj)
        title = (record.get("metadata") or {}).get("title")
        old = _basis_of(record)
        if old.get("derivation") == "correction" and not rerender:
            note = KEEP_NOTE.format(head=obj.head)
            settled[obj.id] = Deposited(
                str(path), obj.id, obj.head, "unchanged", title=title, note=note
            )
        elif _same_basis(old, wanted):
            settled[obj.id] = Deposited(
                str(path),
                obj.id,
                obj.head,
                "unchanged",
                title=title,
                note=_other_name(record, path.name),
            )
    count = (head_record(known[0]).get("source") or {}).get("article_count") if known else None
    if known and len(settled) == len(known) == count:
        return _nothing_to_write(root, list(settled.values()))
    articles = normalise()
    extra = {"basis": wanted, "names": sorted(set(names or [path.name]))}
    items = [(a, source_files(a, data, extra["names"])) for a in articles]
    return deposit_articles(items, root, options, str(path), extra=extra, settled=settled)


def _same_basis(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Editions derived from the scrape (by deposit or convert) with the same source,
    options and version: the same content, so no new version."""
    keys = ("source_sha256", "fingerprint", "version")
    return old.get("derivation") in ("scrape", "converted") and all(
        old.get(k) == new.get(k) for k in keys
    )


def _nothing_to_write(root: Path | str, results: list[Deposited]) -> list[Deposited]:
    """A deposit that writes nothing still takes the deposit lock once, which puts back an
    object an interrupted deposit left parked and clears staging (as every deposit does)."""
    with Root.for_deposit(root):
        pass
    return results


def _other_name(record: dict[str, Any], name: str) -> str:
    names = (record.get("source") or {}).get("names") or [(record.get("source") or {}).get("name")]
    if name in names:
        return ""
    return f"same bytes as {', '.join(map(str, names))} (a name is not content: no new version)"


def deposit_edition(
    path: Path,
    root: Path | str,
    options: Options,
    *,
    sources: list[Path] | None = None,
    rerender: bool = False,
) -> list[Deposited]:
    """Deposit a TEI edition of ours with the DOCX and PDF beside it, byte for byte, and
    the scraped file it records (path and SHA-256; found there, in ``sources``, or in the
    archive already).

    A TEI that is exactly what the scrape renders (as ``convert`` wrote it) is stored as
    written; one that differs is a hand correction: stored under ``corrections/``, with
    the editions rendered from it."""
    from newsarchive.readers.tei import read_tei

    data = read_source(path, options)
    article = read_tei(data, str(path))
    md = article.metadata
    if not md.source_sha256:
        raise ArchiveError(
            "this TEI records no scraped source (no sha256 idno); not an edition of ours",
            str(path),
        )
    oid = object_id(md)
    reader = Root.open(root) if Root(Path(root)).is_initialised() else None
    obj = reader.find(oid) if reader else None
    source_name, source = find_source(path, md.source_file, md.source_sha256, sources or [], obj)
    stem = path.name[: -len(".tei.xml")] if path.name.endswith(".tei.xml") else path.stem
    incoming = {f"source/{source_name}": source, f"editions/{path.name}": data}
    for suffix in (".docx", ".pdf"):
        sibling = path.with_name(stem + suffix)
        if sibling.is_file():
            incoming[f"editions/{sibling.name}"] = read_source(sibling, options)
    if obj is not None:
        held = set(obj.state().values())
        if all(_digest(b) in held for b in incoming.values()):  # the same bytes, any names
            title = (head_record(obj).get("metadata") or {}).get("title")
            return _nothing_to_write(
                root, [Deposited(str(path), oid, obj.head, "unchanged", title=title)]
            )
    derived = _rendering_of_source(data, source, md, options)
    if derived is None:  # a hand correction: the editions are rendered from it
        extra = {
            "basis": basis(md.source_sha256, options, source_name, "correction"),
            "names": [source_name],
        }
        originals = {f"source/{source_name}": source, f"corrections/{path.name}": data}
        return deposit_articles([(article, originals)], root, options, str(path), extra=extra)
    kept = obj is not None and _basis_of(head_record(obj)).get("derivation") == "correction"
    if obj is not None and kept and not rerender:
        title = (head_record(obj).get("metadata") or {}).get("title")
        note = KEEP_NOTE.format(head=obj.head)
        kept_as_is = Deposited(str(path), oid, obj.head, "unchanged", title=title, note=note)
        return _nothing_to_write(root, [kept_as_is])
    pdf = next((b for p, b in incoming.items() if p.endswith(".pdf")), None)
    used = dataclasses.replace(options, pdfa=pdfa_level(pdf) or options.pdfa) if pdf else options
    extra = {
        "basis": basis(md.source_sha256, used, source_name, "converted"),
        "names": [source_name],
    }
    if obj is not None and _same_basis(_basis_of(head_record(obj)), extra["basis"]):
        # The archive rendered this content itself: same source, options and version.
        title = (head_record(obj).get("metadata") or {}).get("title")
        note = f"same source, options and newsarchive version as {obj.head}; not stored again"
        same = Deposited(str(path), oid, obj.head, "unchanged", title=title, note=note)
        return _nothing_to_write(root, [same])
    day, normalised = derived
    when = datetime.combine(day, datetime.min.time(), UTC)
    files = with_records(normalised, incoming, used, when, extra)
    return deposit_articles(
        [(article, incoming)], root, used, str(path), extra=extra, prebuilt={oid: files}
    )


# A web-archive record's target URI and capture date by payload SHA-256: its edition was
# normalised with them, so telling it from a correction needs them too.
_WARC_ORIGINS: dict[str, tuple[str, str]] = {}


def _normalised(source: bytes, md: Any, options: Options) -> Article:
    from newsarchive.pipeline import normalize_bytes, normalize_html

    name = md.source_file or "source.txt"
    if (origin := _WARC_ORIGINS.get(md.source_sha256)) is not None:
        articles = normalize_html(source, name, options, *origin)
    else:
        articles = normalize_bytes(source, name, options)
    return next((a for a in articles if a.metadata.article_index == md.article_index), articles[0])


def _rendering_of_source(
    tei: bytes, source: bytes, md: Any, options: Options
) -> tuple[date, Article] | None:
    """(edition date, the scrape's article) if ``tei`` is exactly what the scrape renders
    with ``options`` (what convert wrote), else None (a correction, or other options)."""
    from lxml import etree

    from newsarchive.writers.tei import write_tei

    try:
        when = etree.fromstring(tei).xpath(
            "string(//t:publicationStmt/t:date/@when)", namespaces={"t": TEI_NS}
        )
        day = date.fromisoformat(str(when))
        article = _normalised(source, md, options)
    except (ValueError, etree.XMLSyntaxError, NewsarchiveError):
        return None
    return (day, article) if write_tei(article, options, when=day) == tei else None


def pdfa_level(pdf: bytes) -> str | None:
    """The PDF/A level a PDF declares in its XMP (pdfaid part + conformance), e.g. "1b"."""
    import io

    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            meta = doc.open_metadata()
            part, conformance = meta.get("pdfaid:part"), meta.get("pdfaid:conformance")
    except (pikepdf.PdfError, ValueError, OSError):
        return None
    level = f"{part}{(conformance or '').lower()}"
    return level if level in ("1b", "2b", "3b") else None


def _record_payload(warc: Path, sha256: str) -> tuple[str, bytes] | None:
    """(record name, payload) of the web archive's HTML response with this SHA-256."""
    from newsarchive.readers.warc import iter_records, record_name

    try:
        for record in iter_records(warc):
            if hashlib.sha256(record.payload).hexdigest() == sha256:
                _WARC_ORIGINS[sha256] = (record.uri, record.date)
                return record_name(warc.name, record), record.payload
    except NewsarchiveError:
        return None
    return None


def _inputs_in_convert_state(edition: Path, sha256: str) -> list[Path]:
    """Where ``convert`` read the input with this SHA-256, from the state file of the output
    folder the edition is in (untrusted: a path found there is only read, and only used if
    its bytes have the SHA-256 the TEI records)."""
    from newsarchive.batch.state import STATE_PREFIX

    found: list[Path] = []
    for folder in list(edition.absolute().parents)[:4]:
        for state in sorted(folder.glob(STATE_PREFIX + "*.jsonl")):
            try:
                lines = state.read_text("utf-8", errors="replace").splitlines()
            except OSError:
                continue
            for line in lines:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                given = record.get("input") if isinstance(record, dict) else None
                if record.get("sha256") == sha256 and isinstance(given, str) and given:
                    found += [Path(given), folder.parent / given]
    return found


def find_source(
    edition: Path, recorded: str, sha256: str, sources: list[Path], obj: StoredObject | None
) -> tuple[str, bytes]:
    """(file name, bytes) of the scraped file an edition records, checked by SHA-256."""
    name = Path(recorded).name
    candidates: list[Path] = []
    for given in sources:
        candidates += [given / name, given / recorded] if given.is_dir() else [given]
    from_state = _inputs_in_convert_state(edition, sha256)
    candidates += [*from_state, Path(recorded), edition.parent / name]
    moved = []
    for candidate in dict.fromkeys(candidates):
        try:
            if not candidate.is_file():
                continue
            data = candidate.read_bytes()
        except OSError:
            continue
        if hashlib.sha256(data).hexdigest() == sha256:
            return candidate.name, data
        if is_warc_name(candidate.name) and (found := _record_payload(candidate, sha256)):
            return found
        moved.append(str(candidate))
    if obj is not None:
        for logical in sorted(obj.state()):
            if logical.startswith("source/"):
                data = obj.read(logical)
                if hashlib.sha256(data).hexdigest() == sha256:
                    return logical.split("/", 1)[1], data
    changed = f" ({', '.join(moved)} has other bytes)" if moved else ""
    raise ArchiveError(
        f"its scraped source {from_state[0] if from_state else recorded or '(unnamed)'} "
        f"(SHA-256 {sha256[:12]}…) is not there"
        f"{changed} and not in the archive; give it with --source FILE or --source FOLDER",
        str(edition),
    )


def deposit_articles(
    items: list[tuple[Article, dict[str, bytes]]],
    root: Path | str,
    options: Options,
    source: str = "",
    *,
    extra: dict[str, Any] | None = None,
    settled: dict[str, Deposited] | None = None,
    prebuilt: dict[str, dict[str, bytes]] | None = None,
) -> list[Deposited]:
    """Deposit already normalised articles, each with its ``originals`` (logical path ->
    bytes: the scraped file under ``source/``, see :func:`source_files`). ``settled``:
    results already known (objects left as they are); ``prebuilt``: an object's complete
    files, stored as given (converted editions), instead of rendering.

    The expensive rendering happens before taking the lock, so concurrent depositors
    only serialise for staging and publishing."""
    settled = settled or {}
    prebuilt = prebuilt or {}
    reader = Root.open(root) if Root(Path(root)).is_initialised() else None
    when = now()

    def plan_for(store: Root | None, article: Article, originals: dict[str, bytes]) -> _Plan:
        oid = object_id(article.metadata)
        return _plan(store, article, originals, options, when, extra, prebuilt.get(oid))

    todo = [(a, o) for a, o in items if object_id(a.metadata) not in settled]
    plans = [plan_for(reader, a, originals) for a, originals in todo]
    done: dict[str, Deposited] = dict(settled)
    try:
        with Root.for_deposit(root) as store:
            for plan, (_, originals) in zip(plans, todo, strict=True):
                current = store.find(plan.object_id)
                if (current.head if current else None) != plan.seen_head:  # a peer was first
                    plan = plan_for(store, plan.article, originals)
                with finish_before_stopping():
                    done[plan.object_id] = _apply(store, plan, source)
    except KeyboardInterrupt as exc:
        raise Interrupted([d for oid, d in done.items() if oid not in settled]) from exc
    return [done[object_id(a.metadata)] for a, _ in items]


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a deposit, with what had been published before it."""

    def __init__(self, done: list[Deposited]) -> None:
        super().__init__()
        self.done = done


@contextlib.contextmanager
def finish_before_stopping() -> Iterator[None]:
    """Ctrl-C while an object is staged and published waits for it to be in place (or
    rolled back by the error path), then stops: never a deposit cut between its steps."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            raise KeyboardInterrupt


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
    extra: dict[str, Any] | None = None,
    prebuilt: dict[str, bytes] | None = None,
) -> _Plan:
    oid = object_id(article.metadata)
    obj = root.find(oid) if root else None
    previous: dict[str, str] = obj.state() if obj is not None else {}
    old = _basis_of(head_record(obj)) if obj is not None else {}
    new = (extra or {}).get("basis") or {}
    if prebuilt is not None:
        files = prebuilt
    else:
        if obj is not None and (then := _previous_edition_time(obj)) is not None:
            # Same content renders to the same bytes only with the same edition time.
            same = build_files(
                article,
                originals,
                options,
                then,
                stop=lambda p, d: previous.get(p) != _digest(d),
                extra=extra,
            )
            if same is not None and {p: _digest(b) for p, b in same.items()} == previous:
                return _Plan(article, oid, obj.head, same, previous, unchanged=True)
        # New or changed content: its editions carry the time they are made.
        built = build_files(article, originals, options, when, extra=extra)
        assert built is not None  # no stop callback: always complete
        files = built
    digests = {p: _digest(b) for p, b in files.items()}
    if obj is not None and digests == previous:
        return _Plan(article, oid, obj.head, files, previous, unchanged=True)
    changed = tuple(
        sorted(p for p in set(previous) | set(digests) if previous.get(p) != digests.get(p))
    )
    plan = _Plan(article, oid, obj.head if obj else None, files, digests, changed)
    plan.reason = _why(old, new, obj, files)
    return plan


_HOW = {
    "scrape": "editions rendered from the scraped file",
    "converted": "editions as newsarchive convert wrote them",
    "correction": "hand-corrected TEI; editions rendered from it",
}


def _why(
    old: dict[str, Any], new: dict[str, Any], obj: StoredObject | None, files: dict[str, bytes]
) -> str:
    """Why a version is made, for its message."""
    how = _HOW.get(str(new.get("derivation")), "deposited")
    if obj is None:
        return how
    corrections = sorted(p for p in files if p.startswith("corrections/"))
    reasons = []
    if new.get("derivation") == "correction":
        reasons.append(f"correction {', '.join(corrections)} deposited")
    elif old.get("derivation") == "correction":
        reasons.append(
            f"re-rendered from the scrape (--rerender); the correction of "
            f"{obj.head} stays in the history"
        )
    if not old:
        reasons.append("no recorded basis in the previous version")
    else:
        if old.get("version") != new.get("version"):
            reasons.append(f"newsarchive {old.get('version')} -> {new.get('version')}")
        if old.get("fingerprint") != new.get("fingerprint") and old.get("version") == new.get(
            "version"
        ):
            reasons.append("other options or sidecar metadata")
        if (
            old.get("derivation") != new.get("derivation")
            and new.get("derivation") != ("correction")
            and old.get("derivation") != "correction"
        ):
            reasons.append(how)
    return "; ".join(reasons) or "content changed"


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
    if plan.seen_head:
        message = f"update of {what}: {plan.reason}; changed {', '.join(plan.changed)}"
    else:
        message = f"deposit of {what}: {plan.reason}"
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
