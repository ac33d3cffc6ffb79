"""Step: one e-paper page holding several stories -> one Article per story.

A story ends with its credits (a byline or a line of names, a photo credit), possibly
followed by its last photo captions; a new story starts at the heading-like line right
before the next body text. Page-level metadata (newspaper, date, edition) is shared.
"""

from __future__ import annotations

from dataclasses import replace

from newsarchive.model import Article, Edit
from newsarchive.normalize._lines import is_heading_like
from newsarchive.normalize.credits import match_byline, match_names_line, match_photo
from newsarchive.normalize.segment import is_body_text

STEP = "split"


def _is_end_credit(text: str) -> bool:
    return bool(match_byline(text, text) or match_names_line(text, text) or match_photo(text, text))


def _boundaries(article: Article) -> list[int]:
    blocks = article.blocks
    cuts: list[int] = []
    seen_body = False
    i = 0
    while i < len(blocks):
        text = blocks[i].text
        if text and is_body_text(text):
            seen_body = True
        elif text and seen_body and _is_end_credit(text):
            # Skip the rest of the credits and trailing captions; find the next body line.
            j = i + 1
            while j < len(blocks) and not (blocks[j].text and is_body_text(blocks[j].text)):
                j += 1
            if j == len(blocks):
                break
            headlines = [k for k in range(i + 1, j) if blocks[k].text]
            if (
                headlines
                and is_heading_like(blocks[headlines[-1]].text, 60)
                and not _is_end_credit(blocks[headlines[-1]].text)
            ):
                start = headlines[-1]
                # A kicker or two-line title set directly above (no blank line) goes along.
                while (
                    start - 1 > i
                    and blocks[start - 1].text
                    and is_heading_like(blocks[start - 1].text)
                    and not _is_end_credit(blocks[start - 1].text)
                ):
                    start -= 1
                cuts.append(start)
                seen_body = False
                i = j
                continue
        i += 1
    return cuts


def split_page(article: Article) -> list[Article]:
    cuts = _boundaries(article)
    if not cuts:
        return [article]
    starts = [0, *cuts]
    ends = [*cuts, len(article.blocks)]
    pieces: list[Article] = []
    for number, (start, end) in enumerate(zip(starts, ends, strict=True), start=1):
        blocks = article.blocks[start:end]
        lines = [n for b in blocks for n in b.source_lines]
        metadata = replace(article.metadata, article_index=number, article_count=len(starts))
        span = f"lines {min(lines)}-{max(lines)}" if lines else "no lines"
        edit = Edit(
            STEP,
            "split.after-credits",
            "split",
            "",
            f"story {number} of {len(starts)}: {span}",
            min(lines) if lines else None,
        )
        pieces.append(article.evolve(metadata=metadata, blocks=blocks, edits=[edit]))
    return pieces
