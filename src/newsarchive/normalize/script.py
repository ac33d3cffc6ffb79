"""Step: unify the script with OpenCC (Simplified by default).

The script of the document is detected first: a document is converted only when a real
share of its Han characters changes under conversion (Traditional source for t2s). Running
t2s blindly over Simplified text rewrites the variant characters of proper nouns (閤乐祠,
甯州), which an archive must keep. Only OpenCC's character-level configurations are used,
never the phrase ones (tw2sp…), which rewrite words.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from functools import cache, lru_cache

import opencc

from newsarchive.model import Article, Block, Credit, Edit, Metadata
from newsarchive.normalize._lines import HAN_RE, count_han, han_count

STEP = "script"

# target -> (OpenCC config converting *to* the target, BCP 47 tag of the target)
# s2tw/s2hk are OpenCC's character-level regional configurations (為/裡, not s2t's 爲/裏).
TARGETS: dict[str, tuple[str, str]] = {
    "hans": ("t2s", "zh-Hans"),
    "hant": ("s2t", "zh-Hant"),
    "hant-tw": ("s2tw", "zh-Hant-TW"),
    "hant-hk": ("s2hk", "zh-Hant-HK"),
}
# Share of Han characters that must change before a document counts as the other script.
# Measured on the seeds: 36.65 % for the Traditional one, at most 0.02 % for the others.
THRESHOLD = 0.05
MIN_CHANGED = 2


@cache
def converter(config: str) -> opencc.OpenCC:
    """OpenCC dictionaries load once per process per configuration."""
    return opencc.OpenCC(f"{config}.json" if not config.endswith(".json") else config)


def convert_text(config: str, text: str) -> str:
    """``converter(config).convert(text)``, the last answer kept: the script step converts
    the page's lines joined to detect its script, and the fields step converts the same
    lines again (a page already in the working script is not changed in between)."""
    key = (config, text)
    converted = _LAST.get(key)
    if converted is None:
        _LAST.clear()
        converted = _LAST[key] = converter(config).convert(text)
    return converted


_LAST: dict[tuple[str, str], str] = {}  # the last (config, text) and its conversion


def forget_conversion() -> None:
    """Drop the previous input's page (no input is faster for repeating the one before)."""
    _LAST.clear()


def convert_lines(config: str, lines: list[str]) -> list[str]:
    """``[convert(line) for line in lines]`` in one OpenCC call (a call costs more than a
    short line's characters). OpenCC segments by the longest dictionary
    entry at each position and no entry holds a line feed, so a line's conversion does not
    depend on the lines around it; a line holding a line feed itself is converted alone."""
    if not lines:
        return []
    converted = convert_text(config, "\n".join(lines)).split("\n")
    if len(converted) != len(lines):
        convert = converter(config).convert
        return [convert(line) for line in lines]
    return converted


def changed_han(before: str, after: str) -> int:
    if len(before) != len(after):  # phrase-level change of length: count all Han of before
        return han_count(before)
    if before == after:
        return 0
    # Compared a slice at a time (C-level), characters only inside the slices that differ:
    # t2s over a Simplified page changes a handful of characters among thousands.
    count = 0
    for start in range(0, len(before), _SLICE):
        old, new = before[start : start + _SLICE], after[start : start + _SLICE]
        if old != new:
            # The differing characters joined, then counted by one substitution: a
            # Traditional page differs at most of its Han (no regex match per character).
            differing = "".join([x for x, y in zip(old, new, strict=True) if x != y])
            count += count_han(differing)
    return count


_SLICE = 64


def detect_script(text: str) -> tuple[str, float]:
    """Return (zh-Hans | zh-Hant | none, share of Han characters t2s would change)."""
    han = han_count(text)
    if not han:
        return "none", 0.0
    changed = changed_han(text, convert_text("t2s", text))
    share = changed / han
    # Two changed characters at least, so one variant character in a short text (閤乐祠)
    # does not make it Traditional.
    if share > THRESHOLD and changed >= MIN_CHANGED:
        return "zh-Hant", share
    return "zh-Hans", share


def unify_script(article: Article, target: str = "hans") -> Article:
    if article.metadata.source_script is not None:
        # Already unified: detecting again on a part of the page (one story of it) could
        # decide differently, so a second pass must not run.
        return article
    full_text = "\n".join(b.text for b in article.blocks)
    source, share = detect_script(full_text)
    edits = [
        Edit(
            STEP,
            "script.detect",
            "metadata",
            source,
            f"{share:.2%} of Han characters differ from Simplified",
            None,
        )
    ]
    metadata = article.metadata.with_field("source_script", source, "derived")
    if target == "keep" or source == "none":
        language = source if source != "none" else "zh-Hans"
        metadata = metadata.with_field("language", language, "derived")
        return article.evolve(metadata=metadata, edits=edits)
    config, language = TARGETS[target]
    metadata = metadata.with_field("language", language, "derived")
    if source == language:  # already in the target script: leave every character alone
        return article.evolve(metadata=metadata, edits=edits)
    blocks: list[Block] = []
    total = 0
    for block, converted in zip(article.blocks,
                                convert_lines(config, [b.text for b in article.blocks]),
                                strict=True):
        if converted != block.text:
            count = changed_han(block.text, converted)
            total += count
            line = block.source_lines[0] if block.source_lines else None
            edits.append(Edit(STEP, f"opencc.{config}", "convert", block.text, converted, line))
        blocks.append(Block(block.kind, converted, block.source_lines, block.credit))
    edits.append(
        Edit(
            STEP,
            f"opencc.{config}",
            "metadata",
            f"{source} -> {language}",
            f"{total} characters converted",
        )
    )
    return article.evolve(metadata=metadata, blocks=blocks, edits=edits)


# The script every rule runs in: rules and word lists are written in Simplified, so a
# Traditional target is reached by normalising a Simplified working text and converting it
# at the end (``to_target_script``), never by matching rules against Traditional text.
WORKING = "hans"


def working_script(target: str) -> str:
    """The script the rules see for a given target: Simplified unless the user keeps the
    source script untouched."""
    return WORKING if target in TARGETS else target


@lru_cache(maxsize=2)  # every story of a page shares its source: learn it once
def learned_characters(source_text: str) -> dict[str, str]:
    """Simplified -> Traditional characters as the source itself printed them.

    Built from a character-aligned t2s shadow of each source line; a Simplified character
    the source prints in two forms (发: 發/髮; 于: 于/於) is left out, so OpenCC's phrase
    dictionary decides it. Linear in the source."""
    pairs: dict[str, Counter[str]] = {}
    # The Han lines converted in one OpenCC call (``convert_lines``), not one call a line.
    lines = [line for line in source_text.splitlines() if HAN_RE.search(line)]
    for line, shadow in zip(lines, convert_lines("t2s", lines), strict=True):
        if len(shadow) != len(line):
            continue
        for simple, original in zip(shadow, line, strict=True):
            # Unchanged characters count too: a source printing 于 keeps 于 (s2t: 於).
            if simple != original or HAN_RE.match(original):
                pairs.setdefault(simple, Counter())[original] += 1
    return {s: next(iter(c)) for s, c in pairs.items() if len(c) == 1}


def _to_target(text: str, convert: object, learned: dict[str, str]) -> str:
    converted: str = convert(text)  # type: ignore[operator]
    if not learned or len(converted) != len(text):
        return converted
    return "".join(learned.get(a, b) for a, b in zip(text, converted, strict=True))


def to_target_script(article: Article, target: str) -> Article:
    """Convert the normalised (Simplified working) article into the target script.

    A Traditional source converted back keeps its own characters where the source shows
    them unambiguously (learned from the source lines); elsewhere OpenCC s2t decides."""
    if target not in TARGETS or target == WORKING:
        return article
    config, language = TARGETS[target]
    convert = converter(config).convert
    source = article.metadata.source_script
    learned = (  # a Traditional source keeps its own forms in every Traditional target
        learned_characters(article.source_text)
        if source in ("zh-Hans", "zh-Hant") and language.startswith(source)
        else {}
    )
    edits: list[Edit] = []
    blocks: list[Block] = []
    total = 0
    for block in article.blocks:
        converted = _to_target(block.text, convert, learned)
        if converted != block.text:
            total += changed_han(block.text, converted)
            line = block.source_lines[0] if block.source_lines else None
            edits.append(Edit(STEP, f"opencc.{config}", "convert", block.text, converted, line))
        credit = block.credit and _to_target(block.credit, convert, learned)  # "摄" too
        blocks.append(replace(block, text=converted, credit=credit))
    metadata = _metadata_to_target(article.metadata, lambda t: _to_target(t, convert, learned))
    metadata = metadata.with_field("language", language, "derived")
    edits.append(
        Edit(
            STEP,
            f"opencc.{config}",
            "metadata",
            f"{WORKING} working text -> {language}",
            f"{total} characters converted",
        )
    )
    return article.evolve(metadata=metadata, blocks=blocks, edits=edits)


def _metadata_to_target(md: Metadata, convert: object) -> Metadata:
    def c(value: str | None) -> str | None:
        return convert(value) if value else value  # type: ignore[operator]

    return replace(
        md,
        title=c(md.title),
        subtitle=c(md.subtitle),
        authors=tuple(c(a) or a for a in md.authors),
        author_affiliation=c(md.author_affiliation),
        credits=tuple(
            Credit(c(x.name) or x.name, x.role, c(x.label) or x.label) for x in md.credits
        ),
        newspaper=c(md.newspaper),
        section=c(md.section),
    )
