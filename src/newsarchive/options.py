"""Options shared by the pipeline, the CLI and the config file (newsarchive.toml)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# hant-tw / hant-hk: Traditional in Taiwan's / Hong Kong's standard character forms (為, 裡).
Script = Literal["hans", "hant", "hant-tw", "hant-hk", "keep"]
SCRIPTS: tuple[str, ...] = ("hans", "hant", "hant-tw", "hant-hk", "keep")
# PDF/A level of the PDF edition. Every level is tagged and PDF/UA-1 except 1b (PDF 1.4,
# kept for systems that want PDF/A-1); "a" and "u" differ from "b" only in what they declare.
PdfaLevel = Literal["2a", "1b", "2b", "2u", "3a", "3b", "3u"]
PDFA_LEVELS: tuple[str, ...] = ("2a", "1b", "2b", "2u", "3a", "3b", "3u")
DEFAULT_PDFA = "2a"


def attaches_source(level: str) -> bool:
    """Part 3 embeds the TEI source in the PDF (PDF/A-1 forbids, PDF/A-2 restricts)."""
    return level.startswith("3")


@dataclass(frozen=True)
class Options:
    script: Script = "hans"
    punctuation: Literal["fix", "keep"] = "fix"
    publisher: str | None = None  # publisher of the digital edition
    authority: str | None = None  # TEI publicationStmt/authority (who makes it available)
    licence: str | None = None
    font: str | None = None  # PATH[:INDEX] of a TrueType font for the PDF
    pdfa: PdfaLevel = "2a"
    max_bytes: int = 20 * 1024 * 1024  # size guard for one input file
    metadata_overrides: dict[str, dict[str, str]] = field(default_factory=dict)
    archive_root: str | None = None  # OCFL storage root for deposits (newsarchive.toml)
