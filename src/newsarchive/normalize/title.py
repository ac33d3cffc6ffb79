"""Step: the headline block -> metadata (kicker/subtitle and title).

The title is the first heading-like line before the body; a short line ending in a colon
above it is a kicker ("四川省广安市："); a line below it opening with a dash is a subtitle.
Where the text prints no title, one is derived from the opening sentence and marked as
supplied, so the TEI header and the catalogue are never empty and never pretend.
"""

from __future__ import annotations

import re

from newsarchive.model import Article, Block, Edit
from newsarchive.normalize._lines import is_heading_like
from newsarchive.normalize.segment import is_body_text

STEP = "title"
TITLE_MAX = 60
SUPPLIED_MAX = 30
_KICKER_END = ("：", ":")
_SUBTITLE_START = ("——", "—", "--")


def _first_sentence(text: str) -> str:
    sentence = re.split(r"[。！？!?]", text, maxsplit=1)[0]
    if len(sentence) <= SUPPLIED_MAX:
        return sentence.strip()
    clause = re.split(r"[，,；;：:]", sentence, maxsplit=1)[0]
    if 4 <= len(clause) <= SUPPLIED_MAX:
        return clause.strip()
    return sentence[:SUPPLIED_MAX].rstrip() + "…"


def extract_title(article: Article) -> Article:
    if article.metadata.title is not None:
        return article  # a sidecar or an earlier pass already gave the headline
    blocks = list(article.blocks)
    metadata = article.metadata
    edits: list[Edit] = []
    opening = []  # indexes of non-empty lines before the first body line
    for i, block in enumerate(blocks):
        if not block.text:
            continue
        if is_body_text(block.text):
            break
        opening.append(i)
    title_index: int | None = None
    for position, i in enumerate(opening):
        text = blocks[i].text
        if not is_heading_like(text, TITLE_MAX) or blocks[i].credit:
            continue
        following = opening[position + 1] if position + 1 < len(opening) else None
        if text.endswith(_KICKER_END) and following is not None and metadata.subtitle is None:
            metadata = metadata.with_field("subtitle", text, "text")
            edits.append(Edit(STEP, "title.kicker", "metadata", text, "subtitle", _line(blocks[i])))
            blocks[i] = Block(blocks[i].kind, "", blocks[i].source_lines)
            continue
        title_index = i
        break
    if title_index is not None and metadata.title is None:
        title_block = blocks[title_index]
        metadata = metadata.with_field("title", title_block.text, "text")
        edits.append(
            Edit(STEP, "title.printed", "metadata", title_block.text, "title", _line(title_block))
        )
        blocks[title_index] = Block(title_block.kind, "", title_block.source_lines)
        after = next((j for j in opening if j > title_index), None)
        if (
            after is not None
            and blocks[after].text.startswith(_SUBTITLE_START)
            and metadata.subtitle is None
        ):
            metadata = metadata.with_field("subtitle", blocks[after].text, "text")
            edits.append(
                Edit(
                    STEP,
                    "title.subtitle",
                    "metadata",
                    blocks[after].text,
                    "subtitle",
                    _line(blocks[after]),
                )
            )
            blocks[after] = Block(blocks[after].kind, "", blocks[after].source_lines)
    elif metadata.title is None:
        body = next((b for b in blocks if b.text and is_body_text(b.text)), None)
        if body is not None:
            supplied = _first_sentence(body.text)
            metadata = metadata.with_field("title", supplied, "derived")
            metadata = metadata.with_field("title_supplied", True, "derived")
            edits.append(
                Edit(
                    STEP,
                    "title.supplied",
                    "metadata",
                    "",
                    f"supplied from the opening: {supplied}",
                    _line(body),
                )
            )
    return article.evolve(metadata=metadata, blocks=blocks, edits=edits)


def _line(block: Block) -> int | None:
    return block.source_lines[0] if block.source_lines else None
