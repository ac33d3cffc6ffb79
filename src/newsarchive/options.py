"""Options shared by the pipeline, the CLI and the config file (newsarchive.toml)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Script = Literal["hans", "hant", "keep"]


@dataclass(frozen=True)
class Options:
    script: Script = "hans"
    punctuation: Literal["fix", "keep"] = "fix"
    publisher: str | None = None  # publisher of the digital edition
    licence: str | None = None
    font: str | None = None  # PATH[:INDEX] of a TrueType font for the PDF
    pdfa: Literal["1b", "2b", "3b"] = "1b"
    max_bytes: int = 20 * 1024 * 1024  # size guard for one input file
    metadata_overrides: dict[str, dict[str, str]] = field(default_factory=dict)
    archive_root: str | None = None  # OCFL storage root for deposits (newsarchive.toml)
