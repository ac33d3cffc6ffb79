"""What one article's OCFL object holds, rendered reproducibly, and its provenance record.

Logical layout of every object (each version's state)::

    source/<scraped file name>        the original bytes, untouched
    editions/<stem>.tei.xml           TEI P5 (validated against the project schema)
    editions/<stem>.docx              DOCX
    editions/<stem>.pdf               PDF/A (level from the options)
    metadata/provenance.json          what was done, by which tool, with checksums
    metadata/premis.xml               the same as PREMIS 3.0 XML (objects, events, agents)

Re-depositing must recognise unchanged content by digest, so nothing here may depend on
"now": the editions are rendered with one fixed *edition time* (recorded in provenance.json
as ``editions_created`` and reused while the content stays the same) and the deposit time
goes into the OCFL version metadata instead.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsarchive import TOOL_NAME, __version__
from newsarchive.archive.premis import PREMIS, premis_xml
from newsarchive.model import Article, Metadata
from newsarchive.options import Options, attaches_source
from newsarchive.pipeline import output_stem

RECORD_FORMAT = "newsarchive-provenance/1"
PROVENANCE = "metadata/provenance.json"
ID_PREFIX = "urn:newsarchive:"
# Libraries whose version can change edition bytes; recorded as part of the agent.
_LIBRARIES = ("lxml", "python-docx", "reportlab", "pikepdf", "opencc")
# PRONOM ids and media types, so a preservation system need not re-identify the files.
# Each is what opf-fido (PRONOM signatures) says of the files we write; the tests check it
# for every edition and --pdfa level. Sources: plain text is identified by its extension;
# an HTML page's PUID depends on its markup (fmt/96, fmt/471…), so none is claimed for it.
_FORMATS: dict[str, tuple[str, ...]] = {
    ".tei.xml": ("application/tei+xml", "fmt/1476", "TEI P5 - Single Text File"),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "fmt/412",
        "Microsoft Word for Windows",
        "2007 onwards",
    ),
    ".txt": ("text/plain", "x-fmt/111", "Plain Text File"),
    ".html": ("text/html", "", "Hypertext Markup Language"),
    ".htm": ("text/html", "", "Hypertext Markup Language"),
    ".xhtml": ("application/xhtml+xml", "", "Extensible Hypertext Markup Language"),
    ".json": ("application/json", "fmt/817", "JSON Data Interchange Format"),
    ".xml": ("application/xml", "fmt/101", "Extensible Markup Language"),
}
# PRONOM PUIDs (as in opf-fido's signature file; fmt/95 is PDF/A-1a, fmt/354 PDF/A-1b).
_PDFA = {
    "1b": "fmt/354",
    "2a": "fmt/476",
    "2b": "fmt/477",
    "2u": "fmt/478",
    "3a": "fmt/479",
    "3b": "fmt/480",
    "3u": "fmt/481",
}


def object_id(md: Metadata) -> str:
    """Stable id from the source bytes: one object per story of a multi-article page."""
    base = ID_PREFIX + md.source_sha256
    return f"{base}:{md.article_index}" if md.article_count > 1 else base


def edition_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _agent() -> dict[str, Any]:
    libs = {}
    for name in _LIBRARIES:
        try:
            libs[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            libs[name] = None
    return {"name": TOOL_NAME, "version": __version__, "libraries": libs}


def file_format(name: str, pdfa: str) -> dict[str, str]:
    """media type, PRONOM PUID and format name of a file we store, by its role."""
    if name.endswith(".pdf"):
        return {
            "media_type": "application/pdf",
            "puid": _PDFA[pdfa],
            "name": "Acrobat PDF/A - Portable Document Format",
            "version": pdfa,
        }
    for suffix, (media, puid, label, *version) in _FORMATS.items():
        if name.lower().endswith(suffix):
            if version:
                return {"media_type": media, "puid": puid, "name": label, "version": version[0]}
            return {"media_type": media, "puid": puid, "name": label}
    return {"media_type": "application/octet-stream", "puid": "", "name": ""}


def _checksums(data: bytes) -> dict[str, Any]:
    return {
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "sha512": hashlib.sha512(data).hexdigest(),
    }


def render_editions(
    article: Article,
    options: Options,
    when: datetime,
    stop: Callable[[str, bytes], bool] | None = None,
) -> dict[str, bytes] | None:
    """TEI, DOCX and PDF with every timestamp fixed to ``when``: same input, same bytes.

    Cheapest first; ``stop(path, data)`` returning True ends rendering early (returns None):
    a re-deposit stops at the first edition that differs from the stored one instead of
    paying for a PDF it will render again anyway."""
    from newsarchive.validate import check_tei
    from newsarchive.writers.docx import write_docx
    from newsarchive.writers.pdf import write_pdf
    from newsarchive.writers.tei import write_tei

    stem = output_stem(article)
    files: dict[str, bytes] = {}

    def add(path: str, data: bytes) -> bool:
        files[path] = data
        return stop is not None and stop(path, data)

    tei = write_tei(article, options, when=when.date())
    check_tei(tei, stem + ".tei.xml")
    if add(f"editions/{stem}.tei.xml", tei):
        return None
    if add(f"editions/{stem}.docx", write_docx(article, options, timestamp=when)):
        return None
    attachments = {stem + ".tei.xml": tei} if attaches_source(options.pdfa) else None
    pdf = write_pdf(article, options, created=when, attachments=attachments)
    if add(f"editions/{stem}.pdf", pdf):
        return None
    return files


def build_files(
    article: Article,
    originals: dict[str, bytes],
    options: Options,
    when: datetime,
    stop: Callable[[str, bytes], bool] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, bytes] | None:
    """Every logical file of the object (logical path -> bytes): ``originals`` (the scraped
    file under ``source/``, plus ``corrections/`` for a hand-corrected TEI), the editions,
    the provenance record last. None if ``stop`` ended rendering early."""
    for path, data in originals.items():
        if stop is not None and stop(path, data):
            return None
    editions = render_editions(article, options, when, stop)
    if editions is None:
        return None
    return with_records(article, {**originals, **editions}, options, when, extra)


def with_records(
    article: Article,
    files: dict[str, bytes],
    options: Options,
    when: datetime,
    extra: dict[str, Any] | None = None,
) -> dict[str, bytes]:
    """``files`` plus the provenance record and its PREMIS rendering (``extra``: the
    ``basis`` and source ``names`` keys of the record, see :func:`provenance_record`)."""
    files = dict(files)
    source_path = next((p for p in files if p.startswith("source/")), "")
    files[PROVENANCE] = provenance_record(article, options, when, files, source_path, extra)
    files[PREMIS] = premis_xml(json.loads(files[PROVENANCE]))
    return files


def source_files(article: Article, data: bytes, names: list[str] | None = None) -> dict[str, bytes]:
    """``originals`` for a scraped input: its bytes under ``source/``, named by the first of
    its ``names`` in sorted order (stable whichever copy is deposited first)."""
    name = sorted(names)[0] if names else Path(article.metadata.source_file).name
    return {f"source/{name or 'source.txt'}": data}


def provenance_record(
    article: Article,
    options: Options,
    when: datetime,
    files: dict[str, bytes],
    source_path: str,
    extra: dict[str, Any] | None = None,
) -> bytes:
    """PREMIS-flavoured JSON (documented in archive/README.md). Deterministic: sorted,
    no deposit time, no host names; event times are the edition time.

    ``extra`` may hold ``basis`` (what the editions derive from: ``derivation`` scrape,
    converted or correction, the source SHA-256, the options fingerprint and our version:
    what a re-deposit compares before rendering anything) and ``names`` (every file name
    the source was deposited under)."""
    extra = extra or {}
    md = article.metadata
    stamp = iso(when)
    agent = _agent()
    agent_name = f"{TOOL_NAME} {__version__}"
    edits = [asdict(e) for e in article.provenance]
    counts = article.edit_counts()
    corrections = sorted(p for p in files if p.startswith("corrections/"))
    events: list[dict[str, Any]] = [
        {
            "type": "modification",
            "date_time": stamp,
            "agent": agent_name,
            "source": path,
            "outcome": "success",
            "detail": "hand-corrected TEI edition deposited; the editions derive from it",
        }
        for path in corrections
    ]
    events += [
        {
            "type": "normalization",
            "date_time": stamp,
            "agent": agent_name,
            "source": source_path,
            "outcome": "success",
            "detail": f"{len(edits)} edits ("
            + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            + f"); {sum(1 for e in article.provenance if e.doubtful)} flagged for review",
        }
    ]
    for path in files:
        if not path.startswith("editions/"):
            continue
        fmt = file_format(path, options.pdfa)
        made = "converted" if (extra.get("basis") or {}).get("derivation") == "converted" else ""
        detail = f"{fmt['name']} edition rendered from the normalised article" + (
            " (by newsarchive convert, stored as written)" if made else ""
        )
        if path.endswith(".tei.xml"):
            detail += "; valid against the project RELAX NG + Schematron"
        events.append(
            {
                "type": "creation",
                "date_time": stamp,
                "agent": agent_name,
                "source": source_path,
                "outcome_object": path,
                "outcome": "success",
                "detail": detail,
            }
        )
    events.append(
        {
            "type": "message digest calculation",
            "date_time": stamp,
            "agent": agent_name,
            "outcome": "success",
            "detail": "SHA-256 and SHA-512 of every file in 'files'",
        }
    )
    record = {
        "format": RECORD_FORMAT,
        "object_id": object_id(md),
        "editions_created": stamp,
        "agent": agent,
        "options": {
            "script": options.script,
            "punctuation": options.punctuation,
            "pdfa": options.pdfa,
            "font": Path(options.font.split(":")[0]).name if options.font else None,
            "publisher": options.publisher,
            "licence": options.licence,
        },
        "source": {
            "path": source_path,
            "name": Path(md.source_file).name,
            "names": extra.get("names") or [Path(md.source_file).name],
            "encoding": md.source_encoding,
            "article_index": md.article_index,
            "article_count": md.article_count,
        },
        "basis": extra.get("basis"),
        "metadata": _metadata(md),
        "files": {
            path: {**_checksums(data), "format": file_format(path, options.pdfa)}
            for path, data in sorted(files.items())
        },
        "events": events,
        "edits": edits,
    }
    text = json.dumps(record, ensure_ascii=False, indent=2, sort_keys=False) + "\n"
    return text.encode("utf-8")


def _metadata(md: Metadata) -> dict[str, Any]:
    data = asdict(md)
    data["field_sources"] = dict(md.field_sources)
    return data
