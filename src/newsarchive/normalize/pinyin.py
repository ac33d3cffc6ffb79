"""Step: remove pinyin glosses that mirror sites put after characters: 報(bào)告 -> 報告.

A gloss is a parenthesised lowercase pinyin syllable carrying a tone (a tone-marked vowel,
or a tone digit) right after a Han character. Real parentheses — (社区), (GDP), (km),
(Li Wei) — have no tone mark, are not lowercase pinyin, or hold Chinese, and are kept.
"""

from __future__ import annotations

import re

from newsarchive.model import Article, Block, Edit
from newsarchive.normalize._lines import HAN

STEP = "pinyin"

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_TONED_CAPITAL = "ĀÁǍÀĒÉĚÈĪÍǏÌŌÓǑÒŪÚǓÙ"
_LETTERS = f"a-zü{_TONED}"
# One word: letters with at least one toned vowel, or plain letters ending in a tone digit;
# a place or person's name is capitalised ("Hépàn", "Ōuzhōu").
_SYLLABLE = (
    f"(?:[A-Z{_TONED_CAPITAL}]?[{_LETTERS}]*[{_TONED}][{_LETTERS}]*"
    f"|[{_TONED_CAPITAL}][{_LETTERS}]*|[a-zü]+[1-5])"
)
# A gloss of a word holds one or more such words, a space apart: "（Hépàn Xīncūn）".
# At a line start too: a hard line wrap can separate a gloss from its character.
GLOSS = re.compile(
    f"(?:(?<=[{HAN}]) ?|^)[(（]\\s?({_SYLLABLE}(?: {_SYLLABLE}){{0,5}})\\s?[)）]"
)


def remove_glosses(text: str) -> tuple[str, list[str]]:
    if "(" not in text and "（" not in text:
        return text, []  # every gloss opens with one (GLOSS is tried at every position)
    found: list[str] = []
    while True:  # a doubled gloss 业(bào)(bào) only follows its character once the first goes
        now = [m.group(0) for m in GLOSS.finditer(text)]
        if not now:
            return text, found
        found += now
        text = re.sub(" {2,}", " ", GLOSS.sub("", text)).strip()


def remove_pinyin(article: Article) -> Article:
    edits: list[Edit] = []
    blocks: list[Block] = []
    for block in article.blocks:
        cleaned, found = remove_glosses(block.text)
        if found:
            line = block.source_lines[0] if block.source_lines else None
            edits.append(
                Edit(STEP, "pinyin.gloss", "remove", " ".join(found), f"{len(found)} glosses", line)
            )
            blocks.append(Block(block.kind, cleaned, block.source_lines, block.credit))
        else:
            blocks.append(block)  # unchanged (most lines): no copy
    return article.evolve(blocks=blocks, edits=edits)
