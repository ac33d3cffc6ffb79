"""Reader for scraped text files: bytes -> Article of raw ``line`` blocks.

Decoding is the only thing done here; every visible change to the text happens in
``normalize/`` so that it is recorded in the provenance.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
from pathlib import Path

from newsarchive.errors import InputError
from newsarchive.fsio import display_name, read_regular, too_large
from newsarchive.model import Article, Block, Edit, Metadata

# Signatures of binary formats scrapers commonly save by mistake.
_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a ZIP archive (or DOCX/XLSX)",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
    b"\x7fELF": "an executable",
    b"Rar!": "a RAR archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
    b"\xd0\xcf\x11\xe0": "an old MS Office document",
}

BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

TRUNCATED_UTF8 = "utf-8 (truncated)"
# The encodings Chinese scrapes arrive in; charset-normalizer chooses among them.
_CANDIDATES = ["utf_8", "gb18030", "big5", "big5hkscs", "utf_16", "utf_16_le", "utf_16_be"]


def _plausible(text: str) -> float:
    """Share of characters a Chinese article is made of: Han, CJK punctuation, ASCII text."""
    good = sum(
        1 for ch in text
        if (ch.isascii() and (ch.isprintable() or ch in "\r\n\t"))
        or "\u3000" <= ch <= "\u303f" or "\u4e00" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef"
        or "\u2010" <= ch <= "\u206f" or "\u3400" <= ch <= "\u4dbf"
        or "\u00a0" <= ch <= "\u024f"  # Latin letters with accents: pinyin tone marks (ǎ)
    )
    return good / max(1, len(text))


def _looks_like_utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 without a BOM: the byte order whose decoding reads as Chinese text."""
    if len(data) < 4 or len(data) % 2 or b"\x00" not in data:
        return None
    for encoding in ("utf_16_le", "utf_16_be"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _plausible(text) > 0.95:
            return encoding
    return None


def _escaped_decoding(data: bytes) -> tuple[str, str] | None:
    """ISO-2022-JP/KR: 7-bit, so it would pass for ASCII (valid UTF-8) with escapes."""
    from newsarchive.normalize.language import languages

    for language in languages():
        if any(escape in data for escape in language.escapes):
            with contextlib.suppress(UnicodeDecodeError):
                return data.decode(language.escaped), language.escaped.replace("_", "-")
    return None


def _foreign_decoding(data: bytes) -> tuple[str, str] | None:
    """A Korean or Japanese text (data/languages.toml), decoded in its own encoding so that
    the language step can name it: read as GB18030 it would pass for Chinese gibberish."""
    from charset_normalizer import from_bytes  # only for input that is not UTF-8

    from newsarchive.normalize.language import foreign_language, languages

    candidates = [e for language in languages() for e in language.encodings]
    best = from_bytes(data, cp_isolation=_CANDIDATES + candidates).best()
    if best is None or best.encoding not in candidates:
        return None
    text = str(best)
    return (text, best.encoding.replace("_", "-")) if foreign_language(text) else None


def decode(data: bytes, name: str) -> tuple[str, str]:
    """Return (text, encoding name) or raise InputError naming the cause."""
    if not data.strip():
        raise InputError("empty file (no text)", name)
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise InputError(f"binary file ({what}), not a text article", name)
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding.replace("-sig", "") + " (BOM)"
            except UnicodeDecodeError as exc:
                cause = f"undecodable {encoding} after its BOM: {exc.reason}"
                raise InputError(cause, name) from exc
    utf16 = _looks_like_utf16_without_bom(data)
    if utf16:
        try:
            return data.decode(utf16), utf16.replace("_", "-")
        except UnicodeDecodeError:
            pass
    if b"\x00" in data:
        raise InputError("binary file (contains NUL bytes), not a text article", name)
    if b"\x1b" in data and (escaped := _escaped_decoding(data)):
        return escaped
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    # A file cut in the middle of its last character (a scraper's truncated download):
    # keep everything before it; read_text records the dropped bytes.
    if utf8_error.reason == "unexpected end of data" and len(data) - utf8_error.start <= 3:
        try:
            return data[: utf8_error.start].decode("utf-8"), TRUNCATED_UTF8
        except UnicodeDecodeError:
            pass
    foreign = _foreign_decoding(data)
    if foreign:
        return foreign
    from charset_normalizer import from_bytes  # only for input that is not UTF-8

    best = from_bytes(data, cp_isolation=_CANDIDATES).best()
    if best is None:
        raise InputError(
            f"undecodable: not UTF-8 ({utf8_error.reason} at byte {utf8_error.start}), "
            "nor GB18030, Big5 or UTF-16",
            name,
        )
    text = str(best)
    encoding = best.encoding.replace("_", "-")
    # A wrong guess shows as many control characters or no Han at all in a Chinese scrape.
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t")
    if controls > max(3, len(text) // 100):
        raise InputError(f"binary or undecodable data (best guess {encoding})", name)
    return text, encoding


def check_size(data: bytes, name: str, max_bytes: int | None) -> None:
    """The size guard every reader applies before decoding."""
    if max_bytes is not None and len(data) > max_bytes:
        raise too_large(len(data), max_bytes, name)


def read_text(data: bytes, name: str, *, max_bytes: int | None = None) -> Article:
    """Build the raw Article: one ``line`` block per source line, blank lines included."""
    check_size(data, name, max_bytes)
    text, encoding = decode(data, name)
    if not text.strip():  # Unicode whitespace too: U+3000, NBSP…
        raise InputError("empty file (only whitespace)", name)
    # CRLF and lone CR are line ends; Unicode line/paragraph separators too.
    unified = text.replace("\r\n", "\n").replace("\r", "\n")
    unified = unified.replace("\u2028", "\n").replace("\u2029", "\n").replace("\x85", "\n")
    lines = unified.split("\n")
    blocks = tuple(Block("line", line, (i,)) for i, line in enumerate(lines, start=1))
    edits: tuple[Edit, ...] = ()
    if encoding == TRUNCATED_UTF8:
        dropped = data[len(text.encode("utf-8")) :]
        edits = (Edit("read", "utf8.truncated", "remove", dropped.hex(" "),
                      "incomplete last character dropped", len(lines)),)
    metadata = Metadata(
        source_file=display_name(Path(name).name),
        source_sha256=hashlib.sha256(data).hexdigest(),
        source_encoding=encoding,
    )
    return Article(metadata=metadata, blocks=blocks, provenance=edits, source_text=unified)


def read_path(path: Path, *, max_bytes: int | None = None) -> Article:
    data = read_regular(path, max_bytes)
    try:
        return read_text(data, str(path), max_bytes=max_bytes)
    except InputError as exc:
        exc.path = str(path)
        raise
