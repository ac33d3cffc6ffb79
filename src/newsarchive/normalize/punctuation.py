"""Step: half-width punctuation inside Chinese text -> full-width (GB/T 15834).

Rules in ``data/punctuation.toml``. Mainland newspaper style puts no space between
Chinese and Latin or digits, so no spaces are inserted; a space left beside a converted
mark is dropped. Text with no Chinese context (ASCII-only) is never touched.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache

from newsarchive.model import Article, Block, Edit
from newsarchive.normalize._lines import HAN_RE, load_data

STEP = "punctuation"


@cache
def _config() -> tuple[dict[str, str], frozenset[str], re.Pattern[str]]:
    data = load_data("punctuation.toml")
    protect = re.compile("|".join(f"(?:{p})" for p in data["protect"]))
    return dict(data["map"]), frozenset(data["fullwidth_context"]), protect


def _is_context(ch: str) -> bool:
    return bool(HAN_RE.match(ch)) or ch in _config()[1]


def _neighbour(text: str | list[str], index: int, step: int) -> str:
    """The character next to ``index`` in direction ``step``, skipping one space."""
    j = index + step
    if 0 <= j < len(text) and text[j] == " ":
        j += step
    return text[j] if 0 <= j < len(text) else ""


def fix_punctuation(text: str) -> str:
    """Convert until nothing changes: a converted mark is Chinese context for its neighbours
    ("(bào),业" needs the comma first, then the parentheses), so one pass may not be all."""
    for _ in range(4):
        fixed = _fix_once(text)
        if fixed == text:
            break
        text = fixed
    return text


def _fix_once(text: str) -> str:
    mapping, _, protect = _config()
    protected = [False] * len(text)
    for found in protect.finditer(text):
        for k in range(found.start(), found.end()):
            protected[k] = True
    chars = list(text)
    # Parentheses as pairs: convert both when the content or an outside neighbour is Chinese.
    stack: list[int] = []
    for i, ch in enumerate(text):
        if protected[i]:
            continue
        if ch == "(":
            stack.append(i)
        elif ch == ")" and stack:
            start = stack.pop()
            inside = text[start + 1 : i]
            if (
                HAN_RE.search(inside)
                or _is_context(_neighbour(text, start, -1))
                or _is_context(_neighbour(text, i, 1))
            ):
                chars[start], chars[i] = mapping["("], mapping[")"]
    # A run of marks (",," "?!") is Chinese as a whole when either end touches Chinese, so
    # that a second pass over the result finds nothing left to convert.
    marks = [not protected[i] and ch in mapping and ch not in "()" for i, ch in enumerate(text)]
    i = 0
    while i < len(text):
        if not marks[i]:
            i += 1
            continue
        end = i
        while end + 1 < len(text) and marks[end + 1]:
            end += 1
        before, after = _neighbour(chars, i, -1), _neighbour(chars, end, 1)
        if _is_context(before) or _is_context(after):
            for k in range(i, end + 1):
                if not (text[k] == ":" and before.isdigit() and after.isdigit()):
                    chars[k] = mapping[text[k]]
        i = end + 1
    converted = "".join(chars)
    # A space beside a full-width mark is a leftover of half-width typing.
    return _SPACE_AROUND.sub(r"\1", converted)


_SPACE_AROUND = re.compile(r" ?([，；：？！（）]) ?")


def unify_punctuation(article: Article) -> Article:
    edits: list[Edit] = []
    blocks: list[Block] = []
    for block in article.blocks:
        fixed = fix_punctuation(block.text)
        if fixed != block.text:
            line = block.source_lines[0] if block.source_lines else None
            edits.append(Edit(STEP, "punct.full-width", "replace", block.text, fixed, line))
        blocks.append(Block(block.kind, fixed, block.source_lines, block.credit))
    metadata = article.metadata
    for name in ("title", "subtitle"):
        value = getattr(metadata, name)
        if value and (fixed := fix_punctuation(value)) != value:
            metadata = replace(metadata, **{name: fixed})
            edits.append(Edit(STEP, "punct.full-width", "replace", value, fixed, None))
    return article.evolve(metadata=metadata, blocks=blocks, edits=edits)
