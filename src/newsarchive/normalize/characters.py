"""Step: characters XML forbids or scrapers smuggle in, and whitespace, per line.

Removes C0/C1 controls, noncharacters (U+FFFE/U+FFFF…), zero-width and bidi-control
characters, unpaired surrogates; turns NBSP, U+3000 and other spaces into ASCII spaces;
strips line indentation and trailing blanks; collapses runs of spaces.
"""

from __future__ import annotations

import re
import unicodedata

from newsarchive.model import Article, Block, Edit

STEP = "characters"

_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u180e"
_BIDI = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
    f"{_ZERO_WIDTH}{_BIDI}]"
    "|[\U0001fffe\U0001ffff\U0002fffe\U0002ffff\U0003fffe\U0003ffff\U000ffffe\U000fffff"
    "\U0010fffe\U0010ffff]"
)
_SPACES = re.compile("[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_MULTI_SPACE = re.compile(" {2,}")
# Anything the step would change or record: most lines have none and are kept as they are
# after this one scan, instead of five. White space at either end is asked of the end
# characters (``^\\s|\\s$`` in the alternation cost a try at every position).
_NEEDS_WORK_INSIDE = re.compile(f"{_FORBIDDEN.pattern}|{_SPACES.pattern}|{_MULTI_SPACE.pattern}")


def _needs_work(text: str) -> bool:
    return (
        text[:1].isspace() or text[-1:].isspace() or _NEEDS_WORK_INSIDE.search(text) is not None
    )


def _rule_for(char: str) -> str:
    if char in _ZERO_WIDTH:
        return "char.zero-width"
    if char in _BIDI:
        return "char.bidi-control"
    if "\ud800" <= char <= "\udfff":
        return "char.lone-surrogate"
    if unicodedata.category(char) == "Cc":
        return "char.control"
    return "char.noncharacter"


def clean_line(text: str) -> str:
    """The cleaned form of one line (used by the step and by other readers)."""
    text = _FORBIDDEN.sub("", text)
    text = _SPACES.sub(" ", text)
    return _MULTI_SPACE.sub(" ", text).strip()


# lynx -dump (without -nolist) numbers every link "[12]首页" and lists the addresses at the
# end under "References" ("  12. http://…"); w3m with link numbers does the same.
_LINK_NUMBER = re.compile(r"\[(\d{1,4})\]")
_REFERENCES = re.compile(r"^\s*(?:References|Visible links|Hidden links)\s*:?\s*$")
_REFERENCE = re.compile(r"^\s*(\d{1,4})\.\s+(?:https?|ftp|file|mailto|javascript):\S*\s*$")


def _reference_count(blocks: tuple[Block, ...]) -> int:
    """The highest link number a dump's reference list gives (0: no such list)."""
    highest, listing = 0, False
    for block in blocks:
        if _REFERENCES.match(block.text):
            listing = True
        elif listing and (found := _REFERENCE.match(block.text)):
            highest = max(highest, int(found.group(1)))
    return highest


def _drop_link_numbers(text: str, highest: int) -> str:
    return _LINK_NUMBER.sub(lambda m: "" if int(m.group(1)) <= highest else m.group(), text)


def clean_characters(article: Article) -> Article:
    edits: list[Edit] = []
    blocks: list[Block] = []
    source = article.blocks
    if highest := _reference_count(source):
        source, count = _without_link_numbers(source, highest)
        edits.append(Edit(STEP, "char.link-number", "remove", f"link numbers on {count} lines"))
    indented = 0
    for block in source:
        original = block.text
        if not _needs_work(original):
            blocks.append(block)
            continue
        line = block.source_lines[0] if block.source_lines else None
        removed: dict[str, list[str]] = {}
        for match in _FORBIDDEN.finditer(original):
            removed.setdefault(_rule_for(match.group()), []).append(match.group())
        for rule, chars in removed.items():
            codes = " ".join(sorted({f"U+{ord(c):04X}" for c in chars}))
            edits.append(Edit(STEP, rule, "remove", codes, "", line))
        without_forbidden = _FORBIDDEN.sub("", original)
        spaced = _SPACES.sub(" ", without_forbidden)
        if spaced != without_forbidden:
            kinds = sorted({f"U+{ord(c):04X}" for c in _SPACES.findall(without_forbidden)})
            edits.append(Edit(STEP, "space.unify", "replace", " ".join(kinds), " ", line))
        cleaned = _MULTI_SPACE.sub(" ", spaced).strip()
        if cleaned and spaced[: len(spaced) - len(spaced.lstrip())]:
            indented += 1
        if _MULTI_SPACE.search(spaced.strip()):
            edits.append(Edit(STEP, "space.collapse", "replace", spaced.strip(), cleaned, line))
        blocks.append(Block(block.kind, cleaned, block.source_lines, block.credit))
    if indented:
        edits.append(Edit(STEP, "space.indent", "remove", f"{indented} indented lines", ""))
    return article.evolve(blocks=blocks, edits=edits)


def _without_link_numbers(blocks: tuple[Block, ...], highest: int) -> tuple[tuple[Block, ...], int]:
    """The lines without lynx's link numbers ("[3]新闻 | [4]本地" -> "新闻 | 本地"), and how
    many lines had them."""
    result: list[Block] = []
    count = 0
    for block in blocks:
        text = _drop_link_numbers(block.text, highest) if "[" in block.text else block.text
        count += text != block.text
        result.append(Block(block.kind, text, block.source_lines, block.credit))
    return tuple(result), count
