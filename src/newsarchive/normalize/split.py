"""Step: one page holding several stories -> one Article per story.

A new story starts at a headline block (kicker / headline / subtitle) that is followed by
the structure of a story opening, never at a gap alone and never at a navigation block:

* ``split.dateline``: the block is followed by a dateline or byline ("【某报讯】", "本报讯",
  "本报记者 张三", "新华社…电"); the page must show this opening at least twice (one dateline
  is just the dateline of a single article);
* ``split.after-credits``: the previous story closed with its credits (a byline or a line
  of names right after its last sentence), then perhaps photo captions, then a headline;
* ``split.lede``: in a hard-wrapped page (pdftotext), the headline after a finished
  paragraph is followed by a lede set narrower than the column (a drop cap or a wider lede
  measure), which marks a story opening rather than a subheading.

Each story keeps at least ``min_story_han`` Han characters of body on both sides of a cut.
Page-level metadata (newspaper, date, edition) is shared; credits are found per story later.
Rules are data: ``data/stories.toml``.
"""

from __future__ import annotations

import statistics
from dataclasses import replace

from newsarchive.model import Article, Block, Edit
from newsarchive.normalize._lines import ends_terminal, han_count
from newsarchive.normalize.credits import match_byline, match_names_line, match_photo, shadow
from newsarchive.normalize.title import (
    furniture,
    is_caption_marked,
    is_headline,
    is_kicker,
    is_opener,
    is_subtitle,
    rules,
    title_shaped,
)

STEP = "split"


def _cfg(name: str) -> float:
    return float(rules()["split"][name])  # type: ignore[index]


def _is_body(simple: str) -> bool:
    return han_count(simple) >= 6 and any(ch in "，。；！？、,;!?" for ch in simple)


def _is_credit(simple: str) -> bool:
    return bool(
        match_byline(simple, simple) or match_names_line(simple, simple)
        or match_photo(simple, simple)
    )


def _is_photo_line(simple: str) -> bool:
    stripped = simple.strip()
    return bool(match_photo(stripped, stripped)) or stripped.endswith(("摄", "摄影", "供图"))


class _Page:
    """The page's lines with the shadows and neighbours the rules look at."""

    def __init__(self, article: Article) -> None:
        self.blocks = article.blocks
        language = article.metadata.language
        self.simple = [shadow(b.text, language).strip() if b.text else "" for b in self.blocks]
        self.text = [i for i, s in enumerate(self.simple) if s]

    def prev(self, i: int) -> int | None:
        return next((j for j in range(i - 1, -1, -1) if self.simple[j]), None)

    def next(self, i: int) -> int | None:
        return next((j for j in range(i + 1, len(self.simple)) if self.simple[j]), None)

    def blanks_above(self, i: int) -> int:
        above = self.prev(i)
        return i - (above if above is not None else -1) - 1

    def headline_top(self, i: int) -> int:
        """The top of the headline block ending at ``i``: kickers set directly above."""
        top = i
        for _ in range(2):
            above = self.prev(top)
            if above is None or top - above > 2:
                break
            s = self.simple[above]
            if not (title_shaped(s) and furniture(s) is None) or _is_credit(s):
                break
            if not (is_kicker(s) or is_headline(s)) or is_caption_marked(s):
                break
            if above == top - 1 or is_kicker(s):
                top = above
            else:
                break
        return top

    def body_han(self, start: int, end: int) -> int:
        return sum(han_count(self.simple[i]) for i in range(start, end) if _is_body(self.simple[i]))


def _dateline_cuts(page: _Page) -> list[tuple[int, str]]:
    """Headline blocks right above a dateline/byline opener."""
    found: list[tuple[int, str]] = []
    for i in page.text:
        if not is_opener(page.simple[i]):
            continue
        above = page.prev(i)
        if above is None or i - above > 2:
            continue
        s = page.simple[above]
        if is_subtitle(s):  # "——副题" between the headline and the byline
            above = page.prev(above)
            if above is None:
                continue
            s = page.simple[above]
        if not (is_headline(s) or _quoted_headline(s)) or _is_credit(s):
            continue
        found.append((page.headline_top(above), "split.dateline"))
    return found if len(found) >= 2 else []


def _closes_paragraph(page: _Page, i: int) -> bool:
    """Line ``i`` ends a sentence of body text (a short last line of a wrapped paragraph too)."""
    s = page.simple[i]
    if not ends_terminal(s) or not han_count(s) or is_caption_marked(s) or _is_credit(s):
        return False
    if _is_body(s):
        return True
    above = i - 1
    return above >= 0 and bool(page.simple[above]) and _is_body(page.simple[above])


def _quoted_headline(s: str) -> bool:
    return title_shaped(s) and s[:1] in "“「『\"" and furniture(s) is None


def _credit_cuts(page: _Page) -> list[tuple[int, str]]:
    """After a story's closing credits (and its last captions), the next headline."""
    found: list[tuple[int, str]] = []
    gap = int(_cfg("caption_gap"))
    for i in page.text:
        s = page.simple[i]
        if _is_body(s) or not _is_credit(s):
            continue
        above = page.prev(i)
        if above is None or not _closes_paragraph(page, above):
            continue  # credits that close a story follow its last sentence
        j = page.next(i)
        in_caption = False
        while j is not None:
            t = page.simple[j]
            if is_caption_marked(t) or in_caption:
                in_caption = not (ends_terminal(t) or _is_photo_line(t))
            elif _is_credit(t) or _is_photo_line(t):
                pass
            elif title_shaped(t) and page.blanks_above(j) >= gap and _headline_next(page, j):
                pass  # a photo caption set apart, before the next headline
            else:
                break
            j = page.next(j)
        if j is None or not is_headline(page.simple[j]):
            continue
        if not is_headline_followed(page, j):
            continue
        found.append((page.headline_top(j), "split.after-credits"))
    return found


def _headline_next(page: _Page, j: int) -> bool:
    k = page.next(j)
    return k is not None and is_headline(page.simple[k])


def is_headline_followed(page: _Page, j: int) -> bool:
    """Body text follows the headline at ``j`` within a few lines (a table may sit between)."""
    k = j
    for _ in range(12):
        k = page.next(k)  # type: ignore[assignment]
        if k is None:
            return False
        if _is_body(page.simple[k]) and not is_caption_marked(page.simple[k]):
            return True
    return False


def _lede_cuts(page: _Page) -> list[tuple[int, str]]:
    """A headline after a finished paragraph, then a lede narrower than the column."""
    found: list[tuple[int, str]] = []
    lede = int(_cfg("lede_lines"))
    for i in page.text:
        s = page.simple[i]
        if not is_headline(s) or page.blanks_above(i) < 1:
            continue
        above = page.prev(i)
        if above is None or not _closes_paragraph(page, above):
            continue
        run = _adjacent_run(page, i + 1, lede + 6)
        if len(run) < lede + 4:
            continue
        lengths = [len(page.simple[k]) for k in run]
        column = statistics.median(lengths[lede + 1 :])
        if column < _cfg("lede_min_column"):
            continue
        opening = lengths[:lede]
        if all(n <= _cfg("lede_ratio") * column for n in opening) and not any(
            ends_terminal(page.simple[k]) for k in run[:lede]
        ):
            found.append((page.headline_top(i), "split.lede"))
    return found


def _adjacent_run(page: _Page, start: int, limit: int) -> list[int]:
    run: list[int] = []
    k = start
    while k < len(page.simple) and page.simple[k] and len(run) < limit:
        run.append(k)
        k += 1
    return run


def _boundaries(article: Article) -> list[tuple[int, str]]:
    page = _Page(article)
    candidates = sorted(
        dict(
            sorted(
                _dateline_cuts(page) + _credit_cuts(page) + _lede_cuts(page),
                key=lambda c: c[0], reverse=True,
            )
        ).items()
    )
    cuts: list[tuple[int, str]] = []
    last = 0
    for index, (cut, rule) in enumerate(candidates):
        if cut <= last:
            continue
        minimum = int(_cfg("min_story_han_opened" if rule == "split.dateline" else "min_story_han"))
        following = candidates[index + 1][0] if index + 1 < len(candidates) else len(page.simple)
        if page.body_han(last, cut) < minimum or page.body_han(cut, following) < minimum:
            continue
        cuts.append((cut, rule))
        last = cut
    return cuts


def split_page(article: Article) -> list[Article]:
    cuts = _boundaries(article)
    if not cuts:
        return [article]
    starts = [0, *(c for c, _ in cuts)]
    reasons = ["", *(r for _, r in cuts)]
    ends = [*starts[1:], len(article.blocks)]
    pieces: list[Article] = []
    for number, (start, end) in enumerate(zip(starts, ends, strict=True), start=1):
        blocks: tuple[Block, ...] = article.blocks[start:end]
        lines = [n for b in blocks for n in b.source_lines]
        metadata = replace(article.metadata, article_index=number, article_count=len(starts))
        span = f"lines {min(lines)}-{max(lines)}" if lines else "no lines"
        rule = reasons[number - 1] or (reasons[1] if len(reasons) > 1 else "split.page")
        edit = Edit(
            STEP, rule, "split", "", f"story {number} of {len(starts)}: {span}",
            min(lines) if lines else None,
        )
        pieces.append(article.evolve(metadata=metadata, blocks=blocks, edits=[edit]))
    return pieces
