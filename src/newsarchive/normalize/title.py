"""Step: the headline block -> metadata (kicker/subtitle and title).

The title is chosen by scoring candidates, never by taking the first line. Candidates are
heading-like lines in the zone right above the story's main body: short, no sentence-ending
punctuation (a quoted title may hold a comma, a title may end in ？ or ！). Lines shaped like
site furniture (edition numbers, mastheads, section words, menus, dates, placeholders,
datelines) are not candidates. The score prefers the line closest above the body, of a
headline's length, directly below a kicker, and agreeing with a page ``<title>`` line once
its site suffix is cut ("标题_栏目_网站"). A kicker (ending "——" or "：", or a shorter line
set directly above) and a subtitle (opening "——") go to the subtitle field.
Where the text prints no title, one is derived from the opening sentence and marked as
supplied, so the TEI header and the catalogue are never empty and never pretend.
Rules are data: ``data/stories.toml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from newsarchive.model import Article, Block, Edit
from newsarchive.normalize._lines import (
    han_count,
    in_narrow_run,
    joins_at_hyphen,
    load_data,
    narrow_run,
    narrow_run_rule,
)
from newsarchive.normalize.credits import shadow

STEP = "title"
SUPPLIED_MAX = 30
# Marks that end a sentence inside a line: a line holding one is body text, not a title.
_SENTENCE_END = set("。；;")
# A title may end in these; any other sentence mark at its end makes it body text.
_TITLE_END_OK = set("？！?!…”’」』）)")
_COMMAS = set("，,、")
_LONE_BODY_END = set("。！？!?")
_QUOTED = re.compile(r"^[“「『\"《].*[”」』\"》]$")
_CAPTION_MARK = re.compile(r"^\s*[▲▼◀▶△▽◁▷]")
_URL = re.compile(r"https?://|www\.")
_SPACES = re.compile(r"[\s\u3000]+")


@cache
def rules() -> dict[str, object]:
    return load_data("stories.toml")


def _cfg(name: str) -> object:
    return rules()["title"][name]  # type: ignore[index]


@cache
def _not_title() -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in _cfg("not_title"))  # type: ignore[union-attr]


@cache
def _openers() -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in _cfg("openers"))  # type: ignore[union-attr]


@cache
def _series_mark() -> re.Pattern[str]:
    return re.compile(str(_cfg("series_mark")))


@cache
def _menu_words() -> re.Pattern[str]:
    words = sorted(set(_cfg("menu_words")), key=len, reverse=True)  # type: ignore[arg-type]
    return re.compile("|".join(re.escape(w) for w in words))


@cache
def _masthead() -> re.Pattern[str]:
    return re.compile(str(_cfg("masthead")))


def squash(text: str) -> str:
    """Whitespace removed, half-width marks made full-width: for comparing two titles."""
    table = str.maketrans(",?!:;()", "，？！：；（）")
    return _SPACES.sub("", text).translate(table)


def is_opener(simple: str) -> bool:
    """A dateline or byline that opens a story: "【某报讯】", "本报记者 张三", "新华社…电"."""
    stripped = simple.strip()
    return any(p.search(stripped) for p in _openers())


def is_caption_marked(simple: str) -> bool:
    return bool(_CAPTION_MARK.match(simple))


def is_menu(simple: str) -> bool:
    """A run of short menu words, or a line mostly made of section/menu words."""
    words = [w for w in re.split(r"[\s\u3000|｜/·•・]+", simple.strip()) if w]
    limit = int(_cfg("menu_word_max"))  # type: ignore[call-overload]
    if len(words) >= int(_cfg("menu_min_words")) and all(  # type: ignore[call-overload]
        len(w) <= limit for w in words
    ):
        return True
    packed = "".join(words)
    covered = sum(len(m.group()) for m in _menu_words().finditer(packed))
    return bool(packed) and covered >= 0.6 * len(packed)


def furniture(simple: str) -> str | None:
    """Why a line is site/page furniture rather than a headline (None: it is not)."""
    stripped = simple.strip()
    if not han_count(stripped):
        return "no-han"
    for pattern in _not_title():
        if pattern.search(stripped):
            return "shape"
    if _masthead().fullmatch(squash(stripped)):
        return "masthead"
    if is_menu(stripped):
        return "menu"
    if is_opener(stripped):
        return "dateline"
    return None


def title_shaped(simple: str) -> bool:
    """Short, no sentence inside: a headline, kicker or subtitle (may hold a quoted comma)."""
    stripped = simple.strip()
    max_len = int(_cfg("max_len"))  # type: ignore[call-overload]
    if not stripped or len(stripped) > max_len or any(ch in _SENTENCE_END for ch in stripped):
        return False
    if stripped[-1] in "，,、：:" and not stripped.endswith(("——", "：", ":")):
        return False
    if stripped[-1] in "。.":
        return False
    commas = sum(ch in _COMMAS for ch in stripped)
    if commas == 0:
        return not any(ch in "！？!?" for ch in stripped[:-1]) or len(stripped) <= 30
    # "“路好了，精气神更足了”" (quoted: a comma or two), "女儿出嫁，某某画了几笔兰花当嫁妆"
    # (unquoted: one comma, short).
    if _QUOTED.match(stripped):
        return commas <= 2
    return commas <= 1 and len(stripped) <= 26


def is_kicker(simple: str) -> bool:
    return simple.strip().endswith(tuple(_cfg("kicker_end")))  # type: ignore[arg-type]


def is_subtitle(simple: str) -> bool:
    return simple.strip().startswith(tuple(_cfg("subtitle_start")))  # type: ignore[arg-type]


def is_headline(simple: str) -> bool:
    """Could head a story: title-shaped, not furniture, not a kicker/subtitle, 6+ characters."""
    stripped = simple.strip()
    return (
        title_shaped(stripped)
        and len(squash(stripped)) >= 6
        and furniture(stripped) is None
        and not is_kicker(stripped)
        and not is_subtitle(stripped)
        and not is_caption_marked(stripped)
        and not _mostly_digits(stripped)
    )


def _mostly_digits(simple: str) -> bool:
    """A number line (a phone number, a code, a table row) is no headline."""
    text = squash(simple)
    return sum(ch.isdigit() for ch in text) * 2 > len(text)


def page_title(simple: str) -> str | None:
    """The headline part of a page ``<title>`` line ("标题_栏目_网站" -> "标题")."""
    stripped = simple.strip()
    if len(stripped) > 160:
        return None
    seps = [s for s in _cfg("page_title_separators") if s in stripped]  # type: ignore[union-attr]
    if not seps:
        return None
    site_max = int(_cfg("page_title_site_max"))  # type: ignore[call-overload]
    pattern = "|".join(re.escape(s) for s in seps)
    parts = [p.strip() for p in re.split(pattern, stripped)]
    head, rest = parts[0], [p for p in parts[1:] if p]
    if not rest or any(len(p) > site_max for p in rest) or len(squash(head)) < 6:
        return None
    if furniture(head) is not None or is_menu(head):
        return None
    return head


# ---------------------------------------------------------------------------------------
# Where the body starts


def _strong_body(simple: str, standalone: bool = True) -> bool:
    """Certainly body text: a sentence mark and enough Han, not a short title set apart.

    A short line holding a comma is a title only when quoted or set apart (``standalone``:
    a blank line above or below it); inside a block of lines it is a wrapped body line.
    """
    stripped = simple.strip()
    if han_count(stripped) < 6 or is_caption_marked(stripped) or _URL.search(stripped):
        return False
    if not any(ch in "，。；！？、,;!?" for ch in stripped):
        return False
    if not title_shaped(stripped):
        return True
    has_comma = any(ch in _COMMAS for ch in stripped)
    return has_comma and not standalone and not _QUOTED.match(stripped)


def _standalone(blocks: list[Block] | tuple[Block, ...], i: int) -> bool:
    """Set apart: a blank line (or the story's edge) right above or below line ``i``, or no
    sentence on either side (menu words, a date line)."""
    if i == 0 or i == len(blocks) - 1 or not blocks[i - 1].text or not blocks[i + 1].text:
        return True
    return not (_punctuated(blocks[i - 1].text) or _punctuated(blocks[i + 1].text))


def _strong_at(blocks: list[Block] | tuple[Block, ...], simples: list[str], i: int,
               agree: str | None = None) -> bool:
    if agree and squash(simples[i]) == agree:
        return False  # the headline the page <title> names
    return _strong_body(simples[i], _standalone(blocks, i))


def _punctuated(simple: str) -> bool:
    return (
        han_count(simple) >= 4 and any(ch in "，。；！？、,;!?" for ch in simple)
        and not is_caption_marked(simple) and not _URL.search(simple)
    )


def _inside_block(blocks: list[Block] | tuple[Block, ...], i: int) -> bool:
    """Set between two non-empty lines: a wrapped line of a paragraph, not a lone line."""
    return 0 < i < len(blocks) - 1 and bool(blocks[i - 1].text) and bool(blocks[i + 1].text)


def _opens_body(blocks: list[Block] | tuple[Block, ...], simples: list[str], i: int) -> bool:
    """A paragraph, not a lone notice: 20+ Han on the line or with the next line set below."""
    han = han_count(simples[i])
    if i + 1 < len(blocks) and blocks[i + 1].text and not blocks[i + 1].credit:
        han += han_count(simples[i + 1])
    return han >= 20


def _continues(upper: str, lower: str) -> bool:
    """``upper`` is a wrapped part of the paragraph that ``lower`` continues (hard wraps)."""
    upper, lower = upper.strip(), lower.strip()
    if not upper or upper[-1] in "。！？!?…”’」』：:—" or is_opener(lower):
        return False
    if joins_at_hyphen(upper, lower):
        return True  # a Latin word wrapped at its hyphen ("Smart-" / "Market…")
    if furniture(upper) is not None or is_kicker(upper) or is_subtitle(upper):
        return False
    return len(lower) <= 32 and len(upper) >= 0.75 * len(lower) and len(upper) <= len(lower) + 2


def body_start(
    blocks: list[Block] | tuple[Block, ...], simples: list[str], floor: int = -1,
    agree: str | None = None,
) -> int | None:
    """Index of the first line of the story's main body (None: no body text).

    ``floor``: a line known to be the headline (the top of a story cut from a page); the
    body never climbs over it.
    """
    text_idx = [i for i, b in enumerate(blocks) if b.text and not b.credit]
    clusters: list[tuple[int, int]] = []  # (first strong index, han chars)
    first: int | None = None
    weight = 0
    gap = 0
    for i in text_idx:
        if first is None:
            if _strong_at(blocks, simples, i, agree) and _opens_body(blocks, simples, i):
                first, weight, gap = i, han_count(simples[i]), 0
            continue  # a lone short sentence (a notice, a caption) opens no body
        if _punctuated(simples[i]):
            weight += han_count(simples[i])
            gap = 0
        elif not is_caption_marked(simples[i]) and not _inside_block(blocks, i):
            gap += 1
            if gap > 4:
                clusters.append((first, weight))
                first, weight, gap = None, 0, 0
    if first is not None:
        clusters.append((first, weight))
    if not clusters:
        return None
    best = max(w for _, w in clusters)
    start = next(f for f, w in clusters if w >= 0.4 * best)
    # Climb over the wrapped opening lines of the first paragraph (pdftotext, w3m).
    position = text_idx.index(start)
    while position > 0:
        above = text_idx[position - 1]
        # A blank line between (a new block above) or the known headline: stop.
        if above != text_idx[position] - 1 or above <= floor:
            break
        if not _continues(simples[above], simples[text_idx[position]]):
            break
        position -= 1
    return text_idx[_narrow_opening(simples, text_idx, position, floor)]


def _narrow_opening(simples: list[str], text_idx: list[int], position: int, floor: int) -> int:
    """Climb over a run of unpunctuated lines of one length set straight above the body's
    first line and shorter than it (a story's opening set narrow beside a picture, as
    pdftotext prints it); a stacked headline has fewer lines. Returns the new position."""
    below = len(simples[text_idx[position]].strip())
    slack = narrow_run_rule()["slack_chars"]  # lengths in characters
    run: list[int] = []  # from the line above the body's first upwards
    k = position
    while k > 0 and text_idx[k - 1] == text_idx[k] - 1 and text_idx[k - 1] > floor:
        s = simples[text_idx[k - 1]].strip()
        if (_punctuated(s) or han_count(s) < 6 or s[-1] in "。！？!?…”’」』：:—"
                or furniture(s) is not None or is_kicker(s) or is_subtitle(s)):
            break
        if run and not in_narrow_run(len(s), run[0], slack):
            break
        run.append(len(s))
        k -= 1
    return k if narrow_run(run, below, slack) else position


# ---------------------------------------------------------------------------------------
# Scoring


@dataclass
class Candidate:
    index: int
    text: str
    score: float


def _length_score(text: str) -> float | None:
    n = len(squash(text))
    if n < 2:
        return None
    if n < 4:
        return -8.0
    if n < 6:
        return -6.0
    if n < int(_cfg("ideal_min")):  # type: ignore[call-overload]
        return -3.0
    if n > int(_cfg("ideal_max")):  # type: ignore[call-overload]
        return -3.0
    return 0.0


def _candidates(
    blocks: list[Block], simples: list[str], start: int, agree: str | None
) -> list[Candidate]:
    zone = [i for i in range(start) if blocks[i].text and not blocks[i].credit]
    zone = zone[-int(_cfg("zone")) :]  # type: ignore[call-overload]
    found: list[Candidate] = []
    distance = 0
    for i in reversed(zone):
        simple = simples[i].strip()
        if _strong_at(blocks, simples, i, agree):
            if found:
                break  # earlier body text: the headline is below it
            continue  # a lone sentence (a lede, a notice) between the headline and the body
        if not title_shaped(simple) or is_kicker(simple) or is_subtitle(simple):
            continue
        if _next_text(blocks, i) is None and _sentence_ended(blocks[i]):
            continue  # a headline heads something: this is the story's last sentence
        if any(ch in _COMMAS for ch in simple) and not _QUOTED.match(simple) and not (
            _standalone(blocks, i) or (agree and squash(simple) == agree)
        ):
            continue  # a comma inside a block of lines: a wrapped sentence, not a title
        if furniture(simple) is not None or is_caption_marked(simple):
            continue
        length = _length_score(simple)
        if length is None:
            continue
        score = 10.0 - 1.5 * distance + length
        if _series_mark().search(simple):
            score -= 6
        above = _previous_text(blocks, i)
        if above is not None and is_kicker(simples[above]) and above in zone:
            score += 3
        elif above is not None and above in zone and _is_deck_below(blocks, simples, above, i):
            score -= 2.5  # a longer line set just below a shorter headline: the subtitle
        if agree and squash(simple) == agree:
            score += 15
        found.append(Candidate(i, blocks[i].text, score))
        distance += 1
    return found


def _story_top(article: Article, blocks: list[Block], simples: list[str]) -> int | None:
    """The headline a later story of a page was cut at (its first headline-like line)."""
    if article.metadata.article_index < 2:
        return None
    for i in [i for i, b in enumerate(blocks) if b.text][:3]:
        if is_headline(simples[i]) or (title_shaped(simples[i]) and _QUOTED.match(simples[i])):
            return i
    return None


def _is_deck_below(blocks: list[Block], simples: list[str], above: int, i: int) -> bool:
    """``i`` is a longer deck right below the headline ``above`` (at most one blank between)."""
    if i - above > 2 or not is_headline(simples[above]):
        return False
    short, long_ = len(squash(simples[above])), len(squash(simples[i]))
    return int(_cfg("ideal_min")) <= short <= 0.8 * long_  # type: ignore[call-overload]


def _previous_text(blocks: list[Block], i: int) -> int | None:
    return next((j for j in range(i - 1, -1, -1) if blocks[j].text), None)


def _next_text(blocks: list[Block], i: int) -> int | None:
    return next((j for j in range(i + 1, len(blocks)) if blocks[j].text), None)


def _page_title(
    blocks: list[Block], simples: list[str], limit: int
) -> tuple[int, str] | None:
    top = [i for i in range(limit) if blocks[i].text][: int(_cfg("page_title_zone"))]  # type: ignore[call-overload]
    for i in top:
        head = page_title(simples[i])
        if head:
            return i, head
    return None


def _first_sentence(text: str) -> str:
    sentence = re.split(r"[。！？!?]", text, maxsplit=1)[0]
    if len(sentence) <= SUPPLIED_MAX:
        return sentence.strip()
    clause = re.split(r"[，,；;：:]", sentence, maxsplit=1)[0]
    if 4 <= len(clause) <= SUPPLIED_MAX:
        return clause.strip()
    return sentence[:SUPPLIED_MAX].rstrip() + "…"


def _line(block: Block) -> int | None:
    return block.source_lines[0] if block.source_lines else None


def extract_title(article: Article) -> Article:
    if article.metadata.title is not None:
        return article  # a header field, a sidecar or an earlier pass already gave it
    blocks = list(article.blocks)
    language = article.metadata.language
    simples = [shadow(b.text, language) if b.text else "" for b in blocks]
    metadata = article.metadata
    edits: list[Edit] = []
    top = _story_top(article, blocks, simples)
    page = _page_title(blocks, simples, len(blocks))
    agree = squash(page[1]) if page else None
    start = body_start(blocks, simples, -1 if top is None else top, agree)
    limit = start if start is not None else _before_first_sentence(blocks, simples, agree)
    candidates = _candidates(blocks, simples, limit, agree) if limit else []
    repeated = {squash(e.text) for e in article.provenance if e.rule == "title.repeat"}
    for candidate in candidates:
        if candidate.index == top:
            candidate.score += 6  # the headline the page was cut at
        if squash(candidate.text) in repeated:
            candidate.score += 8  # the page template prints its headline more than once
    sentences = [c for c in candidates if c.text.strip()[-1:] in _LONE_BODY_END]
    if len(sentences) >= 2:
        # Several headline-shaped sentences ("…！", "…？") above the body are its opening
        # sentences, not a headline and its lede: whichever were chosen, the second pass
        # would find the other one closer to the body.
        candidates = [c for c in candidates if c not in sentences]
    chosen = max(candidates, key=lambda c: c.score, default=None)
    title: str | None = None
    title_lines: list[int] = []
    rule = "title.scored"
    if chosen is not None and chosen.score > 0:
        title, title_lines = chosen.text.strip(), [chosen.index]
        if agree and squash(chosen.text) == agree:
            rule = "title.page-title-agrees"
        else:
            title, title_lines = _two_lines(blocks, simples, chosen, limit)
            last = title_lines[-1]
            if _next_text(blocks, last) is None and _sentence_ended(blocks[last]):
                title, title_lines = chosen.text.strip(), [chosen.index]  # see the filter above
    elif page is not None:
        index, head = page
        head_text = blocks[index].text.strip()[: len(head)]
        title, title_lines, rule = head_text, [], "title.page-title"
    if title is not None:
        metadata = metadata.with_field("title", title, "text")
        at = title_lines[0] if title_lines else page[0] if page else None
        where = _line(blocks[at]) if at is not None else None
        edits.append(Edit(STEP, rule, "metadata", title, "title", where))
        for i in title_lines:
            blocks[i] = Block(blocks[i].kind, "", blocks[i].source_lines)
        if page is not None and agree == squash(title):
            index = page[0]
            if blocks[index].text:
                edits.append(
                    Edit(STEP, "title.page-title-line", "remove", blocks[index].text,
                         "the page <title>: headline + site names", _line(blocks[index]))
                )
                blocks[index] = Block(blocks[index].kind, "", blocks[index].source_lines)
        if title_lines and not _left_nothing(blocks):
            kept = list(edits)
            with_deck = _kicker_and_subtitle(metadata, list(blocks), simples, title_lines, limit,
                                             kept)
            if not _left_nothing(with_deck[1]):  # a deck over no text is the text itself
                (metadata, blocks), edits = with_deck, kept
    if title_lines and _left_nothing(blocks) and _sentence_ended(article.blocks[title_lines[-1]]):
        # Headline-shaped sentences and nothing else: they are the article's few sentences,
        # not a headline over nothing (a title is supplied from them later).
        return article
    return article.evolve(metadata=metadata, blocks=blocks, edits=edits)


def _before_first_sentence(blocks: list[Block], simples: list[str], agree: str | None) -> int:
    """With no body to stand above, a headline can only stand above every sentence: a
    headline-shaped line among short sentences is one of them (the title printed above
    them on a second pass would otherwise compete with it)."""
    return next((i for i, b in enumerate(blocks) if b.text and not b.credit
                 and _strong_at(blocks, simples, i, agree)), len(blocks))


def _left_nothing(blocks: list[Block]) -> bool:
    """No sentence is left: at most short labels, which are no article text."""
    return not any(ch in _LONE_BODY_END for b in blocks for ch in b.text)


def _sentence_ended(block: Block) -> bool:
    return block.text.strip()[-1:] in _LONE_BODY_END


def _two_lines(
    blocks: list[Block], simples: list[str], chosen: Candidate, limit: int
) -> tuple[str, list[int]]:
    """A headline set on two adjacent lines of similar length is one title, joined by a space."""
    i = chosen.index
    for j in (i - 1, i + 1):
        if not (0 <= j < limit) or not blocks[j].text or blocks[j].credit:
            continue
        a, b = squash(simples[min(i, j)]), squash(simples[max(i, j)])
        if not (is_headline(simples[j]) and len(a) <= 20 and len(b) <= 20):
            continue
        if min(len(a), len(b)) < 0.6 * max(len(a), len(b)):
            continue
        if j == i - 1 and j - 1 >= 0 and blocks[j - 1].text:
            continue  # three stacked lines: a kicker, not half a headline
        first, second = (j, i) if j < i else (i, j)
        return f"{blocks[first].text.strip()} {blocks[second].text.strip()}", [first, second]
    return chosen.text.strip(), [i]


def _kicker_and_subtitle(
    metadata, blocks: list[Block], simples: list[str], title_lines: list[int], limit: int,
    edits: list[Edit],
):  # type: ignore[no-untyped-def]
    parts: list[tuple[int, str, str]] = []
    above = _previous_text(blocks, title_lines[0])
    if above is not None:
        s = simples[above].strip()
        adjacent = above == title_lines[0] - 1
        shorter = len(squash(s)) <= 0.7 * len(squash(blocks[title_lines[0]].text))
        if title_shaped(s) and furniture(s) is None and (
            is_kicker(s) or (adjacent and shorter and len(squash(s)) >= 4 and is_headline(s))
        ):
            parts.append((above, "title.kicker", blocks[above].text.strip()))
    below = _next_text(blocks, title_lines[-1])
    if below is not None and below < limit and is_subtitle(simples[below]):
        if len(simples[below].strip()) <= 80:
            parts.append((below, "title.subtitle", blocks[below].text.strip()))
    elif below is not None and below < limit and _is_deck_below(
        blocks, simples, title_lines[-1], below
    ) and is_headline(simples[below]):
        parts.append((below, "title.deck", blocks[below].text.strip()))
    if not parts or metadata.subtitle is not None:
        return metadata, blocks
    metadata = metadata.with_field("subtitle", " ".join(p[2] for p in parts), "text")
    for index, rule, text in parts:
        edits.append(Edit(STEP, rule, "metadata", text, "subtitle", _line(blocks[index])))
        blocks[index] = Block(blocks[index].kind, "", blocks[index].source_lines)
    return metadata, blocks


def supply_title(article: Article) -> Article:
    """Where the page prints no title, one made from the opening of the first paragraph,
    marked as supplied. Runs after segment: the opening of the joined paragraph, so that
    normalising the result again supplies the same title."""
    if article.metadata.title is not None:
        return article
    blocks = article.blocks
    body = next((b for b in blocks if b.kind == "paragraph" and han_count(b.text)), None)
    body = body or next((b for b in blocks if b.text and han_count(b.text)), None)
    if body is None:
        return article
    supplied = _first_sentence(body.text)
    metadata = article.metadata.with_field("title", supplied, "derived")
    metadata = metadata.with_field("title_supplied", True, "derived")
    edit = Edit(STEP, "title.supplied", "metadata", "", f"supplied from the opening: {supplied}",
                _line(body))
    return article.evolve(metadata=metadata, edits=[edit])
