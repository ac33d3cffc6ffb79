"""read -> normalise -> render: the one path every command and every batch worker takes."""

from __future__ import annotations

from pathlib import Path

from newsarchive.model import Article
from newsarchive.options import Options


def normalize_file(path: Path, options: Options | None = None) -> list[Article]:
    """Read one scraped text file (or TEI file) and return its normalised article(s)."""
    raise NotImplementedError  # filled in by the normaliser work (issue 2)
