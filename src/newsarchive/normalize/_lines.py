"""Helpers shared by the line-level steps (before segmentation into paragraphs)."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from functools import cache
from importlib import resources
from typing import Any

HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
HAN_RE = re.compile(f"[{HAN}]")
# What is left once every run of non-Han characters goes is the Han count: one C-level
# substitution per line instead of a list of one-character matches (3x faster).
_NOT_HAN_RUN = re.compile(f"[^{HAN}]+")
# Sentence punctuation, full- and half-width: its presence marks body text.
SENTENCE_PUNCT = set("，。；！？、,;!?")
# A line ending in one of these closes a sentence (or introduces what follows) and does not
# continue on the next line.
TERMINAL = set("。！？!?…”’」』)）：:—.；;")


@cache
def load_data(name: str) -> dict[str, Any]:
    """Load a TOML rule file from ``newsarchive/data`` (once per process)."""
    with resources.files("newsarchive.data").joinpath(name).open("rb") as handle:
        return tomllib.load(handle)


@cache
def load_list(name: str) -> tuple[str, ...]:
    text = resources.files("newsarchive.data").joinpath(name).read_text("utf-8")
    return tuple(word for line in text.splitlines() if (word := line.split("#", 1)[0].strip()))


def han_count(text: str) -> int:
    # The steps ask about the same lines again and again (7 times each on the seeds):
    # counted once per input (``forget_counts`` at the start of each normalisation).
    count = _HAN_COUNTS.get(text)
    if count is None:
        if len(_HAN_COUNTS) >= _MAX_COUNTS:
            _HAN_COUNTS.clear()
        count = _HAN_COUNTS[text] = count_han(text)
    return count


def count_han(text: str) -> int:
    """The Han characters in ``text``, not cached (for texts that are not lines)."""
    return len(_NOT_HAN_RUN.sub("", text))


_HAN_COUNTS: dict[str, int] = {}
_MAX_COUNTS = 4096  # a page of many lines: memory stays bounded


def forget_counts() -> None:
    """Drop the counts of the previous input (they would only ever be found again for a
    line two inputs share)."""
    _HAN_COUNTS.clear()


def has_sentence_punct(text: str) -> bool:
    return not SENTENCE_PUNCT.isdisjoint(text)


def is_heading_like(text: str, max_len: int = 40) -> bool:
    """No sentence punctuation and short: a heading, caption, label, name or chrome line."""
    stripped = text.strip()
    return bool(stripped) and not has_sentence_punct(stripped) and len(stripped) <= max_len


def ends_terminal(text: str) -> bool:
    stripped = text.rstrip()
    return bool(stripped) and stripped[-1] in TERMINAL


def display_width(text: str) -> int:
    """Columns a terminal dump (w3m, lynx) gives ``text``: wide and ambiguous-width characters
    (Han, full-width and CJK punctuation, curly quotes) take two, everything else one."""
    try:
        return len(text) + sum(map(_WIDE.__getitem__, text))
    except KeyError:  # characters not seen before: look them up once
        for ch in set(text).difference(_WIDE):
            _WIDE[ch] = unicodedata.east_asian_width(ch) in "WFA"
        return len(text) + sum(map(_WIDE.__getitem__, text))


# character -> True when a terminal gives it two columns (filled as characters are met)
_WIDE: dict[str, bool] = {}


@cache
def narrow_run_rule() -> dict[str, int]:
    """Parameters of the narrow-opening rule (segment.toml ``narrow_run``): min_lines,
    slack_columns (segment.py's measure), slack_chars (title.py's)."""
    return {k: int(v) for k, v in load_data("segment.toml")["narrow_run"].items()}


def narrow_run(widths: list[int], below: int, slack: int) -> bool:
    """The narrow-opening rule, written once for segment.py and title.py: the widths of a
    run of unpunctuated lines (each within ``slack`` of the run's first: ``in_narrow_run``)
    and the width of the punctuated line set straight below it make a story's opening set
    narrow beside a picture when the run has ``min_lines`` lines at least, of one width
    within ``slack``, and the line below is wider than all of them by more than ``slack``."""
    return (
        len(widths) >= narrow_run_rule()["min_lines"]
        and max(widths) - min(widths) <= slack
        and below > max(widths) + slack
    )


def in_narrow_run(width: int, first: int, slack: int) -> bool:
    """A line of ``width`` goes on with a narrow run whose first line has ``first``."""
    return abs(width - first) <= slack


def indent_width(raw: str) -> int:
    """Columns of leading whitespace of a raw source line (U+3000 counts two, a tab four)."""
    width = 0
    for ch in raw:
        if ch == "\u3000":
            width += 2
        elif ch == "\t":
            width += 4
        elif ch.isspace():
            width += 1
        else:
            break
    return width


_HYPHEN_END = re.compile(r"[A-Za-z]-$")


def joins_at_hyphen(upper: str, lower: str) -> bool:
    """``upper`` ends in a Latin word wrapped at its hyphen that ``lower`` goes on with."""
    return bool(_HYPHEN_END.search(upper)) and lower[:1].isascii() and lower[:1].isalpha()
