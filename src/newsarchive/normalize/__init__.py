"""Normalisation: each step is a pure function over the Article, in this order.

language (Korean or Japanese is refused) -> characters -> pinyin -> script -> fields (a corpus
header block) -> content -> chrome -> split (one page, several stories) -> credits -> title ->
dates -> newspaper -> segment -> punctuation -> target script -> sidecar. Script comes early
so that every later rule sees one script, Simplified (the rules are written in it), whatever
the target; a Traditional target is reached at the end. The header block is read before
content and chrome can take its lines. Content (main-content detection: menus, link lists,
notices and footers around the article's region go) runs before the whole-line chrome rules.
Credits come after the split so each story keeps its own credits; the date and the newspaper
are chosen per story once its headline and opening are known (the one nearest them wins).
"""

from __future__ import annotations

from newsarchive.errors import InputError
from newsarchive.model import Article
from newsarchive.normalize._lines import forget_counts
from newsarchive.normalize.characters import clean_characters
from newsarchive.normalize.chrome import forget_matches, strip_chrome
from newsarchive.normalize.content import detect_content
from newsarchive.normalize.credits import extract_credits
from newsarchive.normalize.dates import pick_date
from newsarchive.normalize.fields import header_fields, pick_newspaper
from newsarchive.normalize.language import check_language
from newsarchive.normalize.pinyin import remove_pinyin
from newsarchive.normalize.punctuation import unify_punctuation
from newsarchive.normalize.script import (
    forget_conversion,
    to_target_script,
    unify_script,
    working_script,
)
from newsarchive.normalize.segment import segment
from newsarchive.normalize.sidecar import apply_sidecar
from newsarchive.normalize.split import split_page
from newsarchive.normalize.title import extract_title, supply_title
from newsarchive.options import Options

STEPS = (
    "language",
    "characters",
    "pinyin",
    "script",
    "fields",
    "content",
    "chrome",
    "split",
    "credits",
    "title",
    "dates",
    "newspaper",
    "segment",
    "punctuation",
    "target script",
    "sidecar",
)


def normalize(
    article: Article, options: Options, sidecar: dict[str, str] | None = None
) -> list[Article]:
    forget_counts()
    forget_matches()
    forget_conversion()
    page = clean_characters(check_language(article))  # Korean or Japanese: refused
    page = remove_pinyin(page)
    page = unify_script(page, working_script(options.script))
    page = header_fields(page)
    page = detect_content(page)
    page = strip_chrome(page)
    stories: list[Article] = []
    for story in split_page(page):
        story = extract_credits(story)
        story = extract_title(story)
        story = pick_date(story)
        story = pick_newspaper(story)
        story = segment(story)
        story = supply_title(story)
        if options.punctuation == "fix":
            story = unify_punctuation(story)
        story = to_target_script(story, options.script)
        if sidecar:  # the user's own values, verbatim: after the script conversion
            story = apply_sidecar(story, sidecar)
        if not any(b.text and b.kind in ("paragraph", "figure") for b in story.blocks):
            continue  # headings, chrome or credits only: no article text to keep
        stories.append(story)
    if not stories:
        raise InputError(
            "no article text: only a title, page chrome, credits or decoration",
            article.metadata.source_file,
        )
    return stories
