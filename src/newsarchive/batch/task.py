"""One input in, its editions written, one :class:`Result` out.

:func:`run_task` is a plain picklable function of a picklable :class:`Task`, so the same
code runs in-process (``--jobs 1``), in a local process pool and on a dask cluster."""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import json
import os
import signal
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from newsarchive import __version__
from newsarchive.batch.inputs import STDIN, STDIN_NAME, Input
from newsarchive.batch.naming import in_namespace, input_slot, output_slot
from newsarchive.errors import InputError, NewsarchiveError, PartialOutput
from newsarchive.fsio import atomic_write_many, read_regular
from newsarchive.model import Article
from newsarchive.options import Options, attaches_source
from newsarchive.pipeline import (
    FORMATS,
    input_stem,
    normalize_bytes,
    normalize_warc_record,
    render_all,
)

# Options that do not change the bytes of an edition, so changing them redoes nothing.
_NOT_IN_FINGERPRINT = frozenset({"archive_root", "metadata_overrides", "max_bytes"})

Status = Literal["converted", "skipped", "failed"]


@dataclass
class Result:
    input: str
    outputs: list[str] = field(default_factory=list)
    articles: int = 0
    error: str | None = None
    flagged: int = 0  # doubtful edits an archivist should look at
    status: Status = "converted"
    seconds: float = 0.0
    sha256: str = ""
    peak_rss_mb: float = 0.0  # of the process that did the work
    worker: int = 0  # its process id: peak memory is per worker
    key: str = ""
    fingerprint: str = ""
    kept: list[str] = field(default_factory=list)  # earlier editions of formats not asked for
    source: str = ""  # the input's resolved path: who owns its editions (batch.naming)
    notes: list[str] = field(default_factory=list)  # one line each, for the summary

    def record(self) -> dict[str, Any]:
        """One line of ``--report``."""
        return {
            "input": self.input,
            "outputs": self.outputs,
            "articles": self.articles,
            "status": self.status,
            "error": self.error,
            "seconds": round(self.seconds, 4),
            "sha256": self.sha256 or None,
            "flagged": self.flagged,
            "peak_rss_mb": round(self.peak_rss_mb, 1),
        }


@dataclass(frozen=True)
class Previous:
    """What the state manifest remembers of one input's last successful conversion."""

    sha256: str
    fingerprint: str
    outputs: tuple[str, ...]  # relative to the output folder
    articles: int
    flagged: int = 0
    source: str = ""  # the resolved path of the input; "" in records made before it was kept


@dataclass(frozen=True)
class Task:
    item: Input
    out_dir: str
    formats: tuple[str, ...]
    options: Options
    fingerprint: str
    previous: Previous | None = None
    force: bool = False
    data: bytes | None = None  # stdin, read by the parent: workers do not share it
    # Naming, decided by the parent for the whole run (batch.naming): never raced for.
    collides_with: str | None = None  # another input of this run has the same stem here
    source: str = ""
    claimed_by: str | None = None  # the other file this input's state record belongs to
    reserved: dict[str, str] | None = None  # slot it could make -> the input owning it


def fingerprint(options: Options, formats: Iterable[str], name: str) -> str:
    """Everything besides the input's bytes that decides its editions' bytes."""
    values: dict[str, Any] = {
        f.name: getattr(options, f.name)
        for f in dataclasses.fields(options)
        if f.name not in _NOT_IN_FINGERPRINT
    }
    values["metadata_override"] = options.metadata_overrides.get(name)
    values["formats"] = sorted(formats)
    values["version"] = __version__
    blob = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8", "surrogateescape")).hexdigest()[:20]


def task_options(options: Options, name: str) -> Options:
    """Options for one input: only its own sidecar row travels to the worker, not a
    100k-row table pickled 100k times."""
    if not options.metadata_overrides:
        return options
    row = options.metadata_overrides.get(name)
    return dataclasses.replace(options, metadata_overrides={name: row} if row else {})


_warm_key: tuple[Any, ...] | None = None


def warm_up(options: Options, formats: Iterable[str]) -> None:
    """Load what every conversion needs once per worker process: OpenCC dictionaries, the
    project RNG + Schematron, the PDF font. All are cached per process by their modules;
    loading them up front keeps the first file of each worker from paying for them."""
    global _warm_key
    formats = tuple(formats)
    key = (options.script, options.font, options.pdfa, formats)
    if _warm_key == key:
        return
    _warm_key = key
    try:
        from newsarchive.normalize.script import TARGETS, converter

        converter("t2s")  # script detection always uses it
        if options.script in TARGETS:
            converter(TARGETS[options.script][0])
        if "tei" in formats or attaches_source(options.pdfa):
            from newsarchive.validate import project_rng, project_schematron

            project_rng()
            project_schematron()
        if "docx" in formats:
            from newsarchive.writers import docx

            docx.warm_up(TARGETS.get(options.script, ("", "zh-Hans"))[1])
        if "pdf" in formats:
            from newsarchive.writers.pdf import font_spec, register_font

            register_font(font_spec(options, "zh-Hans"))
    except (NewsarchiveError, OSError, ImportError):
        pass  # a missing font is reported per file, with its path, not as a dead pool
    # What was loaded for good (dictionaries, schemas, fonts) leaves the collector's view,
    # so the collection between inputs (run_task) scans only what is new since.
    gc.freeze()


# Objects that survive a full collection between two inputs, above which they are frozen:
# caches filled on first use after warm_up (fontTools decodes the 27,000 glyphs of the
# font's glyf table on the first PDF, reportlab and the normalisers fill theirs) would
# otherwise sit in the oldest generation and be rescanned by every collection, ~7 ms each.
# A few hundred stragglers (single cache entries) are cheap to scan and are left alone.
_FREEZE_ABOVE = 2_000
_garbage = False  # an input was converted since the last collection


def _collect_between_inputs() -> None:
    """Collect the last input's reference cycles (reportlab's canvas and document, lxml and
    python-docx proxies): left to the collector's own schedule they pile up to +40 MB of
    peak RSS over a long batch. Done before the next input rather than at the end of the
    last one, so that none of its objects is still referenced (its articles, its editions):
    what survives is the process's own (caches), safe to freeze. Freezing does not pin
    anything: a frozen object is still freed when its last reference goes; it is only no
    longer scanned (a frozen cycle that later becomes garbage would stay, which is why
    only a full collection's survivors, between inputs, are frozen)."""
    global _garbage
    if not _garbage:
        return
    _garbage = False
    gc.collect()
    if len(gc.get_objects(2)) > _FREEZE_ABOVE:  # cheap: the generation is kept small
        gc.freeze()


def _init_worker(options: Options, formats: tuple[str, ...]) -> None:
    # Ctrl-C goes to the whole process group; only the parent decides how to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    warm_up(options, formats)


def _peak_rss_mb() -> float:
    try:
        import resource
    except ImportError:  # not POSIX
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _read_input(path: Path, options: Options) -> bytes:
    return read_regular(path, options.max_bytes)  # regular files only, bounded


def _is_unchanged(task: Task, sha256: str) -> bool:
    prev = task.previous
    return (
        not task.force
        and prev is not None
        and prev.sha256 == sha256
        and prev.fingerprint == task.fingerprint
        and all((Path(task.out_dir) / rel).is_file() for rel in prev.outputs)
    )


def _skipped(result: Result, task: Task) -> Result:
    assert task.previous is not None
    prev, out_dir = task.previous, Path(task.out_dir)
    result.status = "skipped"
    result.outputs = [str(out_dir / rel) for rel in prev.outputs]
    result.articles, result.flagged = prev.articles, prev.flagged
    return result


def check_unchanged(task: Task) -> Result | None:
    """The skipped result of an input whose bytes, settings and editions are as the last
    run left them, or None. Runs in the parent before any worker or warm-up exists, so a
    re-run of unchanged inputs costs one read and one SHA-256 per input."""
    item = task.item
    if (task.force or task.previous is None or item.path == STDIN or item.record is not None
            or task.collides_with):  # a clash is refused by run_task, never "unchanged"
        return None
    start = time.perf_counter()
    try:
        path = Path(item.path)
        if path.stat().st_size > task.options.max_bytes:
            return None  # the worker reports it, with its usual wording
        sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None
    if not _is_unchanged(task, sha256):
        return None
    result = Result(item.path, key=item.key, fingerprint=task.fingerprint, sha256=sha256,
                    source=task.source)
    result.seconds = time.perf_counter() - start
    return _skipped(result, task)


def read_articles(path: str, options: Options) -> tuple[str, list[Article]]:
    """(the input's name for messages and metadata, its normalised articles)."""
    if path == STDIN:
        return STDIN_NAME, normalize_bytes(sys.stdin.buffer.read(), STDIN_NAME, options)
    return path, normalize_bytes(_read_input(Path(path), options), path, options)


def run_task(task: Task) -> Result:
    """Convert one input (or find it unchanged); never raises for a bad input."""
    global _garbage
    start = time.perf_counter()
    item, options = task.item, task.options
    result = Result(item.path, key=item.key, fingerprint=task.fingerprint, source=task.source)
    out_dir = Path(task.out_dir)
    target = out_dir / item.relative_dir
    try:
        if task.collides_with:
            raise InputError(
                f"its editions {target / input_stem(item.name)}.* would overwrite those of "
                f"{task.collides_with}; rename one of the two"
            )
        warm_up(options, task.formats)
        _collect_between_inputs()
        articles: list[Article] | None = None
        if item.record is not None:  # a web archive's record: read (and convert) it alone
            data, articles = normalize_warc_record(
                Path(item.path), item.record, item.index, options
            )
        else:
            data = task.data if task.data is not None else _read_input(Path(item.path), options)
        result.sha256 = hashlib.sha256(data).hexdigest()
        prev = task.previous
        if _is_unchanged(task, result.sha256):
            return _skipped(result, task)  # the same bytes: the same input, maybe moved
        if task.claimed_by and not task.force:
            raise InputError(
                f"would overwrite the editions of {task.claimed_by} in {target} (converted "
                "there by an earlier run); rename it or choose another -o (moved the input "
                "folder? --force takes them over)"
            )
        name = STDIN_NAME if item.path == STDIN else item.path
        if item.record is not None:
            name = str(Path(item.path).parent / item.name)
        if articles is None:
            articles = normalize_bytes(data, name, options)
        partial: PartialOutput | None = None
        try:
            outputs = render_all(articles, list(task.formats), options, input_name=name)
        except PartialOutput as exc:  # e.g. the TEI and DOCX, but no PDF: written, failed
            outputs, partial = exc.outputs, exc
        _refuse_reserved(task, outputs, len(articles), target)
        # All editions of the input or none: a state record never points at half of them
        # (a partial result is "failed", which the state does not record).
        atomic_write_many({target / file_name: blob for file_name, blob in outputs.items()})
        result.outputs = [str(target / file_name) for file_name in outputs]
        if task.claimed_by:
            result.notes.append(f"{item.path}: took over the editions of {task.claimed_by} "
                                "(--force)")
        if partial is not None:
            raise partial
        if prev is not None:
            # Editions of the last run in a format made again, under a name this run no
            # longer makes (a page now split in two), would look current: they go.
            # Editions in formats not asked for this time are kept (and counted): a
            # narrower --to never deletes what it does not make, as with pandoc.
            # Only names of its own (its stem, its stem-N) that no other input owns now: a
            # record is not proof of ownership (state files live in shared folders).
            current = {(item.relative_dir / n).as_posix() for n in outputs}
            suffixes = tuple(FORMATS[f] for f in task.formats)
            own, reserved = input_slot(item), task.reserved or {}
            for rel in sorted(set(prev.outputs) - current):
                slot = output_slot(rel)
                if not in_namespace(slot, own) or slot in reserved:
                    continue
                if not rel.endswith(suffixes):
                    if (out_dir / rel).is_file():
                        result.kept.append(str(out_dir / rel))
                    continue
                with contextlib.suppress(OSError):
                    (out_dir / rel).unlink()
        result.articles = len(articles)
        result.flagged = sum(1 for a in articles for e in a.provenance if e.doubtful)
    except NewsarchiveError as exc:
        exc.path = exc.path or item.path
        result.error, result.status = str(exc), "failed"
    except (UnicodeError, ValueError, OSError) as exc:  # a last guard: never a traceback
        result.error = str(InputError(f"{type(exc).__name__}: {exc}", item.path))
        result.status = "failed"
    except Exception as exc:  # a bug on one odd input must not end a 100k-file batch
        result.error = f"{item.path}: internal error: {type(exc).__name__}: {exc}"
        result.status = "failed"
    finally:
        _garbage = _garbage or result.status != "skipped"  # collected before the next one
        result.seconds = time.perf_counter() - start
        result.peak_rss_mb = _peak_rss_mb()
        result.worker = os.getpid()
    return result


def _refuse_reserved(task: Task, outputs: dict[str, bytes], stories: int, target: Path) -> None:
    """Refuse, before anything is written, editions under a name another input owns (the
    story count, so the names, are known only now), or over the input itself."""
    item = task.item
    if item.record is None and item.path != STDIN and item.name.lower().endswith(".tei.xml"):
        # A TEI input in the output folder (convert -r m -o m, without a state file that
        # names it an edition): its own edition would replace it.
        mine = os.path.realpath(item.path)
        if any(os.path.realpath(target / name) == mine for name in outputs):
            raise InputError(f"its edition would replace the input itself in {target}; "
                             "choose another -o")
    if not task.reserved:
        return
    rel_dir = item.relative_dir
    for name in outputs:
        slot = output_slot((rel_dir / name).as_posix())
        if (owner := task.reserved.get(slot)) is not None:
            what = f"a page of {stories} stories, whose editions" if stories > 1 else "its editions"
            raise InputError(
                f"{what} {target / Path(slot).name}.* would overwrite those of {owner}; "
                "rename one of the two"
            )


def convert_one(item: Input, out_dir: Path, formats: list[str], options: Options) -> Result:
    """Convert one input, no state: every edition is rendered before any is written."""
    task = Task(item, str(out_dir), tuple(formats), options, fingerprint(options, formats, ""))
    if item.path == STDIN:
        task = dataclasses.replace(task, data=sys.stdin.buffer.read())
    return run_task(task)
