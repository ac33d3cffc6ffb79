"""read -> normalise -> render: the one path every command and every batch worker takes."""

from __future__ import annotations

from pathlib import Path

from newsarchive.model import Article
from newsarchive.normalize import normalize
from newsarchive.options import Options
from newsarchive.readers.text import read_path, read_text

TEI_SUFFIXES = (".tei.xml", ".xml", ".tei")


def is_tei(name: str) -> bool:
    return name.lower().endswith(TEI_SUFFIXES)


def normalize_bytes(data: bytes, name: str, options: Options | None = None) -> list[Article]:
    """Normalise one input given as bytes (``name`` is used for messages and metadata)."""
    options = options or Options()
    if is_tei(name):
        from newsarchive.readers.tei import read_tei  # a corrected edition: already normalised

        return [read_tei(data, name)]
    article = read_text(data, name, max_bytes=options.max_bytes)
    return normalize(article, options, options.metadata_overrides.get(Path(name).name))


def normalize_file(path: Path, options: Options | None = None) -> list[Article]:
    """Read one scraped text file (or TEI file) and return its normalised article(s)."""
    options = options or Options()
    path = Path(path)
    if is_tei(path.name):
        return normalize_bytes(path.read_bytes(), str(path), options)
    article = read_path(path, max_bytes=options.max_bytes)
    return normalize(article, options, options.metadata_overrides.get(path.name))
