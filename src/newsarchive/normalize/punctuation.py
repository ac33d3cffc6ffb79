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
def _config() -> tuple[dict[str, str], frozenset[str], re.Pattern[str], re.Pattern[str]]:
    data = load_data("punctuation.toml")
    # Each part in its own group: an alternation in ``before`` or ``after`` cannot make the
    # literal string optional.
    protect = re.compile("|".join(
        f"(?:(?:{p['before']}){re.escape(p['needs'])}(?:{p['after']}))" for p in data["protect"]
    ))
    mapping = dict(data["map"])
    candidates = re.compile("[" + "".join(re.escape(k) for k in mapping) + "]")
    return mapping, frozenset(data["fullwidth_context"]), protect, candidates


@cache
def _protect_needs() -> tuple[str, ...]:
    """The literal string each protected span holds ("://", "www.", "@", ":"): a line
    holding none of them has no protected span, and the scan (tried at every position, as
    the patterns open with look-behinds) is skipped. Known from the data, which builds each
    pattern around its string, not from parsing the patterns."""
    return tuple(dict.fromkeys(p["needs"] for p in load_data("punctuation.toml")["protect"]))


def _may_protect(text: str) -> bool:
    return any(needs in text for needs in _protect_needs())


def _is_context(ch: str) -> bool:
    context = _CONTEXT.get(ch)
    if context is None:  # a character not met before: asked once per process
        context = _CONTEXT[ch] = bool(HAN_RE.match(ch)) or ch in _config()[1]
    return context


# character -> whether it is Chinese context (Han or full-width punctuation)
_CONTEXT: dict[str, bool] = {"": False}


def _neighbour(text: str, index: int, step: int, changed: dict[int, str] | None = None) -> str:
    """The character next to ``index`` in direction ``step``, skipping one space; as
    converted so far when ``changed`` holds the conversions made."""
    j = index + step
    if 0 <= j < len(text) and text[j] == " ":
        j += step
    if not 0 <= j < len(text):
        return ""
    return changed.get(j, text[j]) if changed else text[j]


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
    """One pass: only the half-width marks are visited (most text has none), the rest of
    the line is left to the regular expressions."""
    mapping, _, protect, candidates = _config()
    found = [m.start() for m in candidates.finditer(text)]
    if not found:
        return _SPACE_AROUND.sub("", text) if " " in text else text
    protected: set[int] = set()
    if _may_protect(text):
        for span in protect.finditer(text):
            protected.update(range(span.start(), span.end()))
    marks = [i for i in found if i not in protected]
    changed: dict[int, str] = {}
    # Parentheses as pairs: convert both when the content or an outside neighbour is Chinese.
    stack: list[int] = []
    for i in marks:
        ch = text[i]
        if ch == "(":
            stack.append(i)
        elif ch == ")" and stack:
            start = stack.pop()
            if (
                HAN_RE.search(text, start + 1, i)
                or _is_context(_neighbour(text, start, -1))
                or _is_context(_neighbour(text, i, 1))
            ):
                changed[start], changed[i] = mapping["("], mapping[")"]
    # A run of marks (",," "?!") is Chinese as a whole when either end touches Chinese, so
    # that a second pass over the result finds nothing left to convert. Runs are taken left
    # to right and see the conversions made before them.
    # (``_neighbour`` written out: this loop runs once per mark.)
    singles = [i for i in marks if text[i] not in "()"]
    size, count, k = len(text), len(singles), 0
    while k < count:
        first = last = singles[k]
        k += 1
        while k < count and singles[k] == last + 1:
            last = singles[k]
            k += 1
        j = first - 1
        if j >= 0 and text[j] == " ":
            j -= 1
        before = changed.get(j, text[j]) if j >= 0 else ""
        j = last + 1
        if j < size and text[j] == " ":
            j += 1
        after = changed.get(j, text[j]) if j < size else ""
        if _is_context(before) or _is_context(after):
            for i in range(first, last + 1):
                if not (text[i] == ":" and before.isdigit() and after.isdigit()):
                    changed[i] = mapping[text[i]]
    if changed:
        chars = list(text)
        for i, ch in changed.items():
            chars[i] = ch
        text = "".join(chars)
    # A space beside a full-width mark is a leftover of half-width typing.
    return _SPACE_AROUND.sub("", text) if " " in text else text


# Every space touching one of these marks goes (a plain-string replacement: no template
# expansion per match).
_SPACE_AROUND = re.compile(r" (?=[，；：？！（）])|(?<=[，；：？！（）]) ")


def unify_punctuation(article: Article) -> Article:
    edits: list[Edit] = []
    blocks: list[Block] = []
    for block in article.blocks:
        fixed = fix_punctuation(block.text)
        if fixed != block.text:
            line = block.source_lines[0] if block.source_lines else None
            edits.append(Edit(STEP, "punct.full-width", "replace", block.text, fixed, line))
            block = Block(block.kind, fixed, block.source_lines, block.credit)
        blocks.append(block)
    metadata = article.metadata
    for name in ("title", "subtitle"):
        value = getattr(metadata, name)
        if value and (fixed := fix_punctuation(value)) != value:
            metadata = replace(metadata, **{name: fixed})
            edits.append(Edit(STEP, "punct.full-width", "replace", value, fixed, None))
    return article.evolve(metadata=metadata, blocks=blocks, edits=edits)
