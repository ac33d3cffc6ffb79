"""Step: half-width punctuation inside Chinese text -> full-width (GB/T 15834).

Rules in ``data/punctuation.toml``. Mainland newspaper style puts no space between
Chinese and Latin or digits, so no spaces are inserted; a space left beside a converted
mark is dropped. Text with no Chinese context (ASCII-only) is never touched.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]

from newsarchive.model import Article, Block, Edit
from newsarchive.normalize._lines import HAN_RE, load_data

STEP = "punctuation"


@cache
def _config() -> tuple[dict[str, str], frozenset[str], re.Pattern[str], re.Pattern[str]]:
    data = load_data("punctuation.toml")
    protect = re.compile("|".join(f"(?:{p})" for p in data["protect"]))
    mapping = dict(data["map"])
    candidates = re.compile("[" + "".join(re.escape(k) for k in mapping) + "]")
    return mapping, frozenset(data["fullwidth_context"]), protect, candidates


@cache
def _protect_needs() -> tuple[tuple[str, ...], ...] | None:
    """For each protected-span pattern, the literal strings any match of it contains (its
    top-level runs of literal characters: "://", "www.", "@", ":"). A line holding all the
    strings of none of them has no protected span, and the scan — tried at every position,
    as the patterns open with look-behinds — is skipped. None: some pattern has no such
    string (or ignores case), so every line is scanned."""
    needs: list[tuple[str, ...]] = []
    for pattern in load_data("punctuation.toml")["protect"]:
        parsed = sre_parse.parse(pattern)
        if parsed.state.flags & re.IGNORECASE:
            return None
        runs: list[str] = []
        run = ""
        for op, arg in parsed:
            if op is sre_constants.LITERAL:
                run += chr(arg)
                continue
            if run:
                runs.append(run)
            run = ""
        if run:
            runs.append(run)
        if not runs:
            return None
        needs.append(tuple(runs))
    return tuple(needs)


def _may_protect(text: str) -> bool:
    needs = _protect_needs()
    return needs is None or any(all(r in text for r in runs) for runs in needs)


def _is_context(ch: str) -> bool:
    return bool(HAN_RE.match(ch)) or ch in _config()[1]


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
        return _SPACE_AROUND.sub("", text)
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
    singles = [i for i in marks if text[i] not in "()"]
    k = 0
    while k < len(singles):
        end = k
        while end + 1 < len(singles) and singles[end + 1] == singles[end] + 1:
            end += 1
        first, last = singles[k], singles[end]
        before = _neighbour(text, first, -1, changed)
        after = _neighbour(text, last, 1, changed)
        if _is_context(before) or _is_context(after):
            for i in range(first, last + 1):
                if not (text[i] == ":" and before.isdigit() and after.isdigit()):
                    changed[i] = mapping[text[i]]
        k = end + 1
    if changed:
        chars = list(text)
        for i, ch in changed.items():
            chars[i] = ch
        text = "".join(chars)
    # A space beside a full-width mark is a leftover of half-width typing.
    return _SPACE_AROUND.sub("", text)


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
        blocks.append(Block(block.kind, fixed, block.source_lines, block.credit))
    metadata = article.metadata
    for name in ("title", "subtitle"):
        value = getattr(metadata, name)
        if value and (fixed := fix_punctuation(value)) != value:
            metadata = replace(metadata, **{name: fixed})
            edits.append(Edit(STEP, "punct.full-width", "replace", value, fixed, None))
    return article.evolve(metadata=metadata, blocks=blocks, edits=edits)
