"""A small error tree; every user-facing failure is one of these, mapped to an exit code."""

from __future__ import annotations


class NewsarchiveError(Exception):
    """Base: a problem with one input or output, reported as ``file: cause``."""

    exit_code = 1

    def __init__(self, cause: str, path: str | None = None) -> None:
        super().__init__(cause)
        self.cause = cause
        self.path = path

    def __str__(self) -> str:
        return f"{self.path}: {self.cause}" if self.path else self.cause


class InputError(NewsarchiveError):
    """The input cannot be read as a scraped article (binary, undecodable, empty, too big)."""


class ValidationError(NewsarchiveError):
    """An output or a given TEI file does not validate."""


class FontError(NewsarchiveError):
    """The font cannot be loaded or does not cover the article's characters."""


class PartialOutput(NewsarchiveError):
    """Some editions of an input cannot be made (the cause); ``outputs`` (file name -> bytes)
    are the ones that can, written all the same: a PDF without a glyph for a character
    must not cost the archive its TEI. The input still counts as failed."""

    def __init__(self, error: NewsarchiveError, outputs: dict[str, bytes]) -> None:
        super().__init__(error.cause, error.path)
        self.outputs = outputs


class OutputError(NewsarchiveError):
    """An output cannot be written."""


class UsageError(NewsarchiveError):
    exit_code = 2

