"""Step: refuse a text that is Korean or Japanese, not Chinese (rules in
``data/languages.toml``).

The first step, so nothing downstream (OpenCC, the chrome and title rules, all written for
Chinese) ever runs over another language: it would return Japanese in Simplified Chinese
characters (図书馆) or Korean read as GB18030 gibberish, tagged ``zh-Hans``, with exit 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from newsarchive.errors import InputError
from newsarchive.model import Article
from newsarchive.normalize._lines import han_count, load_data

STEP = "language"


@dataclass(frozen=True)
class Language:
    key: str
    name: str
    share: float
    ranges: tuple[tuple[str, str], ...]
    encodings: tuple[str, ...]  # its 8-bit encodings, tried beside the Chinese ones
    escaped: str  # its 7-bit escape-sequence encoding (ISO-2022-…)
    escapes: tuple[bytes, ...]  # the escape sequences that give that encoding away

    def letters(self, text: str) -> int:
        return len(_class(self.ranges).sub("", text))


@cache
def _class(ranges: tuple[tuple[str, str], ...]) -> re.Pattern[str]:
    """Runs of everything outside ``ranges``: what is left after removing them is the
    letters in them (one substitution, not a list of one-character matches)."""
    spans = "".join(f"{re.escape(lo)}-{re.escape(hi)}" for lo, hi in ranges)
    return re.compile(f"[^{spans}]+")


@cache
def languages() -> tuple[Language, ...]:
    return tuple(
        Language(
            key,
            rule["name"],
            float(rule["share"]),
            tuple((lo, hi) for lo, hi in rule["ranges"]),
            tuple(rule["encodings"]),
            rule["escaped"],
            tuple(e.encode("ascii") for e in rule["escapes"]),
        )
        for key, rule in load_data("languages.toml").items()
    )


def foreign_language(text: str) -> tuple[Language, float] | None:
    """The non-Chinese language ``text`` is written in, with the share of its letters in
    that language's own script; None for Chinese (or text without CJK letters)."""
    han = han_count(text)
    for language in languages():
        own = language.letters(text)
        if own and own / (own + han) >= language.share:
            return language, own / (own + han)
    return None


def check_language(article: Article) -> Article:
    found = foreign_language("\n".join(b.text for b in article.blocks))
    if found:
        language, share = found
        encoding = article.metadata.source_encoding
        read_as = f"; read as {encoding}" if encoding else ""
        raise InputError(
            f"{language.name} text, not Chinese ({share:.0%} of its letters are "
            f"{language.name} script{read_as}): not converted; newsarchive converts Chinese "
            "articles only",
            article.metadata.source_file,
        )
    return article
