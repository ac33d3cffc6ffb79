"""Where every source character went: the "nothing lost silently" invariant.

Each visible character of each source line must be in a block made from that line, in the
metadata, or in a provenance edit (located at that line or page-wide) saying why it went.
Compared on a Simplified, NFKC-folded shadow so that script and punctuation conversions
(themselves recorded as edits) are not counted as losses. Linear in the input: one set of
characters per source line and per covering text.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from newsarchive.model import Article, Metadata
from newsarchive.normalize.script import converter


def _fold(text: str) -> str:
    return converter("t2s").convert(unicodedata.normalize("NFKC", text))


def _s2t(text: str) -> str:
    return converter("s2t").convert(text)


def _metadata_text(md: Metadata) -> str:
    parts = [
        md.title,
        md.subtitle,
        md.author_affiliation,
        md.newspaper,
        md.edition,
        md.page,
        md.section,
        md.date,
        md.url,
        md.licence,
        md.publisher,
        *md.authors,
    ]
    parts += [f"{c.name}{c.label}" for c in md.credits]
    return "".join(p for p in parts if p)


def unaccounted(articles: Iterable[Article]) -> dict[int, str]:
    """{source line: characters of it found nowhere} over all stories of one input."""
    stories = list(articles)
    if not stories:
        return {}
    per_line: dict[int, list[str]] = {}
    page_wide: list[str] = []
    for story in stories:
        page_wide.append(_metadata_text(story.metadata))
        for block in story.blocks:
            for n in block.source_lines:
                per_line.setdefault(n, []).append(block.text)
        for edit in story.provenance:
            target = per_line.setdefault(edit.line, []) if edit.line else page_wide
            target.append(edit.text + edit.result)
    everywhere = set(_fold("".join(page_wide)))
    missing: dict[int, str] = {}
    for n, line in enumerate(stories[0].source_text.splitlines(), start=1):
        wanted = {ch for ch in _fold(line) if not ch.isspace() and ch.isprintable()}
        if not wanted:
            continue
        found = set(_fold("".join(per_line.get(n, ())))) | everywhere
        # A character OpenCC does not map back the same way (昵 -> 暱 -> 暱) still counts.
        lost = "".join(sorted(ch for ch in wanted - found if _fold(_s2t(ch)) not in found))
        if lost:
            missing[n] = lost
    return missing
