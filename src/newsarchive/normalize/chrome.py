"""Step: strip page chrome, keeping the facts it carries as metadata.

Rules live in ``data/chrome.toml``. Chrome that carries facts (newspaper name, edition and
page, section, date) becomes metadata; everything removed is recorded with its rule id.
A title line the page repeats (e-paper pages print it up to three times) keeps its first
occurrence only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from newsarchive.model import Article, Block, Edit, Metadata
from newsarchive.normalize._lines import has_sentence_punct, is_heading_like, load_data
from newsarchive.normalize.script import converter

STEP = "chrome"


@dataclass(frozen=True)
class LineRule:
    id: str
    pattern: re.Pattern[str]
    max_len: int
    no_punct: bool
    keep_as: str | None = None  # metadata field that keeps the whole line (rights notice)
    anchored: bool = False  # matches at the start of the line only (``at_start``)


@dataclass(frozen=True)
class Piece:
    id: str
    pattern: re.Pattern[str]
    separator: bool


@cache
def line_rules() -> tuple[LineRule, ...]:
    return tuple(
        LineRule(
            r["id"],
            # Anchored here, so that the rule is known to match at the start only (the gate
            # below relies on it) without parsing its pattern.
            re.compile(f"^(?:{r['pattern']})" if r.get("at_start") else r["pattern"]),
            r.get("max_len", 80),
            r.get("no_punct", False),
            r.get("keep_as"),
            r.get("at_start", False),
        )
        for r in load_data("chrome.toml")["line"]
    )


def _ungrouped(pattern: str) -> str:
    """``pattern`` with its named groups made plain, so that several can share one
    alternation (the groups are read from each rule's own pattern)."""
    return re.sub(r"\(\?P<\w+>", "(?:", pattern)


@cache
def _anchored_gate() -> re.Pattern[str]:
    """Every start-anchored line rule in one alternation, matched once at the start of a
    line: most lines match none, and then none of those rules is tried one by one (one
    C-level match instead of ~20 Python calls per line)."""
    anchored = [r.pattern.pattern for r in line_rules() if r.anchored]
    return re.compile("|".join(f"(?:{_ungrouped(p)})" for p in anchored) or "(?!)")


@cache
def _pieces_gate() -> re.Pattern[str]:
    """Every piece in one alternation: a line no piece starts is not made of pieces."""
    return re.compile("|".join(f"(?:{_ungrouped(p.pattern.pattern)})" for p in pieces()))


@cache
def pieces() -> tuple[Piece, ...]:
    compiled: list[Piece] = []
    for piece in load_data("chrome.toml")["piece"]:
        if "words" in piece:
            words = sorted([*piece["words"], *piece.get("controls", ())], key=len, reverse=True)
            body = "|".join(re.escape(w) for w in words)
        else:
            body = piece["pattern"]
        compiled.append(Piece(piece["id"], re.compile(body), piece.get("separator", False)))
    return tuple(compiled)


@cache
def page_controls() -> tuple[str, ...]:
    """The page controls among the navigation words ("打印", "纠错", "分享"…), longest first."""
    words = (w for piece in load_data("chrome.toml")["piece"] for w in piece.get("controls", ()))
    return tuple(sorted(words, key=len, reverse=True))


def _iso_date(groups: dict[str, str | None]) -> str | None:
    try:
        year, month, day = (
            int(groups["year"] or 0),
            int(groups["month"] or 0),
            int(groups["day"] or 0),
        )
    except (KeyError, ValueError):
        return None
    if 1 <= month <= 12 and 1 <= day <= 31:
        return f"{year:04d}-{month:02d}-{day:02d}"
    return None


def _facts(groups: dict[str, str | None]) -> dict[str, str]:
    facts: dict[str, str] = {}
    if groups.get("newspaper"):
        facts["newspaper"] = groups["newspaper"] or ""
    if groups.get("page"):
        page = (groups["page"] or "").upper()
        digits = page.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        facts["edition"] = f"第{page}版"
        facts["page"] = str(int(digits)) if digits.isdigit() else page
    if groups.get("section"):
        facts["section"] = (groups["section"] or "").strip()
    if groups.get("year") and (date := _iso_date(groups)):
        facts["date"] = date
    if groups.get("author"):
        facts["authors"] = groups["author"] or ""
    return facts


# List bullets converters add (not ■ ◆ ●, which papers put before bylines and labels).
_BULLETS = re.compile(r"^(?:[•*+□○▪▫►▸‣∙·\-–]\s*)+(?=\S)")


def match_line(text: str) -> tuple[str, dict[str, str]] | None:
    """If ``text`` is chrome, return (rule id, facts it carries).

    A list bullet a converter put in front (w3m "•", lynx "*"/"+") does not hide the line.
    """
    # Content detection and this step ask about the same lines: answered once per input
    # (``forget_matches`` at the start of each normalisation), the facts a fresh copy.
    if text in _MATCHES:
        found = _MATCHES[text]
    else:
        if len(_MATCHES) >= _MAX_MATCHES:
            _MATCHES.clear()
        if (unbulleted := _BULLETS.sub("", text)) != text:
            found = _match(unbulleted) or _match(text)
        else:
            found = _match(text)
        _MATCHES[text] = found
    return None if found is None else (found[0], dict(found[1]))


_MATCHES: dict[str, tuple[str, dict[str, str]] | None] = {}
_MAX_MATCHES = 4096  # a page of many lines: memory stays bounded


def forget_matches() -> None:
    """Drop the answers for the previous input (no input is faster for sharing lines with
    the one before)."""
    _MATCHES.clear()


def _match(text: str) -> tuple[str, dict[str, str]] | None:
    maybe_anchored = _anchored_gate().match(text) is not None
    for rule in line_rules():
        if rule.anchored and not maybe_anchored:
            continue  # the gate found no start-anchored rule matching, guards aside
        if len(text) > rule.max_len or (rule.no_punct and has_sentence_punct(text)):
            continue
        if found := rule.pattern.search(text):
            return rule.id, _facts(found.groupdict())
    return _match_pieces(text)


# Pieces that make chrome only beside other chrome: a heading may be "物联网" or "体育".
_NOT_ALONE = frozenset({"masthead.site", "section.word"})


def _match_pieces(text: str) -> tuple[str, dict[str, str]] | None:
    if len(text) > 120 or _pieces_gate().match(text) is None:
        return None
    position = 0
    used: list[str] = []
    facts: dict[str, str] = {}
    longest_word = 0
    while position < len(text):
        # The longest piece wins, so a date beats the digits of its year.
        best: tuple[int, Piece, re.Match[str]] | None = None
        for piece in pieces():
            found = piece.pattern.match(text, position)
            if found and found.end() > position and (best is None or found.end() > best[0]):
                best = (found.end(), piece, found)
        if best is None:
            return None
        position, piece, found = best
        if not piece.separator:
            used.append(piece.id)
            longest_word = max(longest_word, len(found.group()))
            for key, value in _facts(found.groupdict()).items():
                facts.setdefault(key, value)
    # Single-character words (大 中 小) only count as chrome beside longer chrome, and so do
    # site and section names.
    if not used or longest_word < 2 or set(used) <= _NOT_ALONE:
        return None
    if set(used) == {"masthead.newspaper"} and text.rstrip().endswith((":", "：")):
        return None  # "《某某晚报》：" introduces what the paper says: a kicker
    return "+".join(dict.fromkeys(used)), facts


def apply_facts(metadata: Metadata, facts: dict[str, str]) -> Metadata:
    for key, value in facts.items():
        if key == "authors":
            names = tuple(n for n in re.split(r"[、,，]", value) if n)
            authors = tuple(dict.fromkeys(metadata.authors + names))
            metadata = metadata.with_field("authors", authors, "chrome")
        elif value and getattr(metadata, key) is None:
            metadata = metadata.with_field(key, value, "chrome")
    return metadata


def strip_chrome(article: Article) -> Article:
    edits: list[Edit] = []
    blocks: list[Block] = []
    metadata = article.metadata
    seen_repeated: set[str] = set()
    repeated = repeated_lines(article)
    for block, shadow in zip(article.blocks, shadow_texts(article), strict=True):
        text = block.text
        line = block.source_lines[0] if block.source_lines else None
        if not text:
            blocks.append(block)
            continue
        matched = match_line(shadow)
        if matched is not None:
            matched = (matched[0], original_facts(matched[1], shadow, text))
        if matched is None:
            if text in repeated:  # a title the page template prints again: keep the first
                if text in seen_repeated:
                    edits.append(Edit(STEP, "title.repeat", "remove", text, "", line))
                    continue
                seen_repeated.add(text)
            blocks.append(block)
            continue
        rule, facts = matched
        metadata = apply_facts(metadata, facts)
        summary = ", ".join(f"{k}={v}" for k, v in facts.items())
        edits.append(Edit(STEP, rule, "metadata" if facts else "remove", text, summary, line))
    metadata = kept_lines(metadata, (*article.provenance, *edits))
    return article.evolve(metadata=metadata, blocks=blocks, edits=edits)


def kept_lines(metadata: Metadata, edits: tuple[Edit, ...]) -> Metadata:
    """Fields filled from removed lines whose rule says ``keep_as`` (the first such line;
    a value already set wins). Content detection removes footers with the same rule ids
    (``content.outside-main:content.footer:footer.copyright``), so the last part counts."""
    keep = {r.id: r.keep_as for r in line_rules() if r.keep_as}
    for edit in edits:
        field = keep.get(edit.rule.rsplit(":", 1)[-1]) if edit.action == "remove" else None
        if field and getattr(metadata, field) is None and edit.text.strip():
            metadata = metadata.with_field(field, edit.text.strip(), "chrome")
    return metadata


def shadow_texts(article: Article) -> list[str]:
    """The lines in Simplified script: the rules are written for it (zh-Hant output too)."""
    texts = [b.text for b in article.blocks]
    if article.metadata.language == "zh-Hans":
        return texts
    converted = converter("t2s").convert("\n".join(texts)).split("\n")
    return converted if len(converted) == len(texts) else texts


def original_facts(facts: dict[str, str], shadow: str, text: str) -> dict[str, str]:
    """Facts read on the Simplified shadow, cut from the original line where it aligns."""
    if shadow == text or len(shadow) != len(text):
        return facts
    result = dict(facts)
    for key in ("newspaper", "section", "authors"):
        value = facts.get(key)
        if value and (at := shadow.find(value)) >= 0:
            result[key] = text[at : at + len(value)]
    return result


def repeated_lines(article: Article) -> set[str]:
    """Heading-like lines printed more than once (a title repeated by the page template)."""
    counts: dict[str, int] = {}
    for block in article.blocks:
        if is_heading_like(block.text, max_len=60) and len(block.text) >= 4:
            counts[block.text] = counts.get(block.text, 0) + 1
    return {text for text, count in counts.items() if count > 1}
