"""Reader for web archives (WARC, ``.warc`` / ``.warc.gz``) through warcio.

Every HTML ``response`` record is one input: its HTTP payload (de-chunked, decompressed as
the server sent it) is a saved page, its ``WARC-Target-URI`` the page's URL and its
``WARC-Date`` the capture date. Records are read one at a time from a stream, so an archive
of any size is converted with flat memory: a batch first lists the records (offsets only),
then each worker seeks to its record.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from newsarchive.errors import InputError
from newsarchive.fsio import open_regular

WARC_SUFFIXES = (".warc", ".warc.gz")
_HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class Record:
    index: int  # 1-based position among the archive's HTML responses
    offset: int  # byte offset of the record in the (compressed) file
    uri: str
    date: str  # WARC-Date, ISO 8601
    record_id: str
    payload: bytes = b""


def is_warc_name(name: str) -> bool:
    return name.lower().endswith(WARC_SUFFIXES)


def warc_stem(name: str) -> str:
    name = Path(name).name
    for suffix in WARC_SUFFIXES[::-1]:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _is_html_response(record) -> bool:  # type: ignore[no-untyped-def]
    if record.rec_type != "response" or record.http_headers is None:
        return False
    ctype = (record.http_headers.get_header("Content-Type") or "").lower()
    status = record.http_headers.get_statuscode() or ""
    return ctype.startswith(_HTML_TYPES) and status.startswith("2")


def _iterate(
    stream: BinaryIO, name: str, *, payloads: bool, max_bytes: int | None
) -> Iterator[Record]:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    index = 0
    try:
        records = ArchiveIterator(stream)
        for record in records:
            if not _is_html_response(record):
                continue
            index += 1
            head = record.rec_headers
            payload = b""
            if payloads:
                payload = _read_payload(record, name, index, max_bytes)
            yield Record(
                index,
                records.get_record_offset(),
                head.get_header("WARC-Target-URI") or "",
                head.get_header("WARC-Date") or "",
                head.get_header("WARC-Record-ID") or "",
                payload,
            )
    except ArchiveLoadFailed as exc:
        raise InputError(f"not a readable WARC file ({exc})", name) from exc


def _read_payload(record, name: str, index: int, max_bytes: int | None) -> bytes:  # type: ignore[no-untyped-def]
    """The HTTP body, read in chunks so a huge record stops at the size limit."""
    stream = record.content_stream()
    chunks: list[bytes] = []
    size = 0
    while chunk := stream.read(1 << 16):
        chunks.append(chunk)
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise InputError(
                f"record {index} too large (> limit {max_bytes:,} bytes; raise it with --max-size)",
                name,
            )
    return b"".join(chunks)


def list_records(path: Path) -> list[Record]:
    """The HTML responses of an archive, without their payloads (offsets to seek to)."""
    try:
        with open_regular(path) as stream:
            return list(_iterate(stream, str(path), payloads=False, max_bytes=None))
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", str(path)) from exc


def read_record(path: Path, offset: int, index: int, max_bytes: int | None = None) -> Record:
    """One record, found by seeking to its offset (each record of a .warc.gz is its own gzip
    member); an archive compressed as one stream is read from the start instead."""
    try:
        with open_regular(path) as stream:
            stream.seek(offset)
            try:
                for record in _iterate(stream, str(path), payloads=True, max_bytes=max_bytes):
                    return Record(
                        index, offset, record.uri, record.date, record.record_id, record.payload
                    )
            except InputError:
                if offset == 0:
                    raise
            stream.seek(0)
            for record in iter_records_stream(stream, str(path), max_bytes):
                if record.index == index:
                    return record
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", str(path)) from exc
    raise InputError(f"record {index} not found", str(path))


def iter_records_stream(
    stream: BinaryIO, name: str, max_bytes: int | None = None
) -> Iterator[Record]:
    """Every HTML response with its payload, one at a time."""
    yield from _iterate(stream, name, payloads=True, max_bytes=max_bytes)


def iter_records(path: Path, max_bytes: int | None = None) -> Iterator[Record]:
    try:
        with open_regular(path) as stream:
            yield from iter_records_stream(stream, str(path), max_bytes)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", str(path)) from exc


def record_name(warc: str, record: Record) -> str:
    """The name a record's editions derive from: ``crawl-0003.html``."""
    return f"{warc_stem(warc)}-{record.index:04d}.html"
