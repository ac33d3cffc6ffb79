"""Step: the article's publication date, chosen among every date the page prints.

A scraped page prints many dates: the page's "today" line, a calendar widget, dates in
link lists, and the article's own date beside its headline, byline or source line. Every
source line is scanned (also lines an earlier step removed as chrome); each date scores
by what stands beside it (a label such as 发布时间, a 来源 on the same line, nothing but
a weekday or time) and loses points with its distance from the story's headline and
opening. A date without a year ("11月28日(五)") takes its year from the page, checked
against its weekday. Minguo years (民国112年, 112年8月23日, a 1120823 code) become AD years.
Rules in ``data/dates.toml``. A date the text header (``fields``) or a sidecar gave is kept.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache, lru_cache

from newsarchive.model import Article, Edit
from newsarchive.normalize._lines import has_sentence_punct, load_data
from newsarchive.normalize.script import convert_lines

STEP = "dates"
# Field sources this step may replace: a guess from chrome, or nothing yet.
REPLACEABLE = (None, "chrome", "derived")
_WEEKDAYS = "一二三四五六日"
_TIME_OR_WEEKDAY = r"\d{1,2}:\d\d|星期|礼拜|周[一二三四五六日天]|[(（][一二三四五六日天][)）]"
_DIGIT = re.compile(r"\d")
# A headline this far above the opening is not this story's (a wrong title candidate).
TITLE_REACH = 12


@dataclass(frozen=True)
class Candidate:
    line: int  # 1-based source line
    date: str  # ISO 8601
    rule: str
    points: float  # what stands beside it, before distance
    text: str


def iso(year: int, month: int, day: int) -> str | None:
    """``YYYY-MM-DD`` if it is a real calendar date, else None."""
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def parse_compact(code: str) -> str | None:
    """ "20010404" -> 2001-04-04; "1120823" (Minguo 112) -> 2023-08-23."""
    if re.fullmatch(r"(?:19|20)\d{6}", code):
        return iso(int(code[:4]), int(code[4:6]), int(code[6:]))
    if re.fullmatch(r"1[0-4]\d{5}", code):
        return iso(int(code[:3]) + 1911, int(code[3:5]), int(code[5:]))
    return None


@cache
def _rules() -> dict[str, object]:
    return load_data("dates.toml")


@cache
def _full() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((r["id"], re.compile(r["pattern"])) for r in _rules()["full"])  # type: ignore[union-attr]


@cache
def _partial() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((r["id"], re.compile(r["pattern"])) for r in _rules()["partial"])  # type: ignore[union-attr]


@cache
def _score() -> dict[str, object]:
    return _rules()["score"]  # type: ignore[return-value]


@cache
def _words(key: str) -> re.Pattern[str]:
    words = sorted(_score()[key], key=len, reverse=True)  # type: ignore[arg-type]
    return re.compile("|".join(re.escape(w) for w in words))


@cache
def _pattern(key: str) -> re.Pattern[str]:
    return re.compile(str(_score()[key]), re.IGNORECASE)


def _date_of(found: re.Match[str]) -> str | None:
    groups = found.groupdict()
    month, day = int(groups["month"]), int(groups["day"])
    if groups.get("year"):
        return iso(int(groups["year"]), month, day)
    roc = groups.get("roc") or groups.get("roc2")
    if roc:
        return iso(int(roc) + 1911, month, day)
    return None


def find_full_date(text: str) -> tuple[str, str, re.Match[str]] | None:
    """The first full date printed in ``text`` (Simplified): (ISO date, rule, match)."""
    best: tuple[str, str, re.Match[str]] | None = None
    for rule, pattern in _full():
        found = pattern.search(text)
        if not found or (best is not None and found.start() >= best[2].start()):
            continue
        if date := _date_of(found):
            best = (date, rule, found)
    return best


def _alone(text: str, found: re.Match[str]) -> bool:
    rest = text[: found.start()] + " " + text[found.end() :]
    return len(_pattern("filler").sub("", rest)) <= 2


def _points(text: str, found: re.Match[str]) -> float:
    score = _score()
    points = 0.0
    if _words("labels").search(text[: found.start()]):
        points += float(score["label"])  # type: ignore[arg-type]
    if _words("source_words").search(text):
        points += float(score["source"])  # type: ignore[arg-type]
    if _alone(text, found):
        points += float(score["alone"])  # type: ignore[arg-type]
    if _pattern("calendar").search(text):
        points -= float(score["calendar_penalty"])  # type: ignore[arg-type]
    return points


def _weekday(text: str) -> int | None:
    found = re.search(r"(?:星期|礼拜|周)([一二三四五六日天])|[(（]([一二三四五六日天])[)）]", text)
    if not found:
        return None
    char = (found.group(1) or found.group(2)).replace("天", "日")
    return _WEEKDAYS.index(char)


def _year_hints(lines: list[str]) -> list[tuple[int, int]]:
    pattern = re.compile(str(_rules()["year_hint"]["pattern"]), re.IGNORECASE)  # type: ignore[index]
    hints = []
    for number, text in enumerate(lines, start=1):
        for found in pattern.finditer(text):
            hints.append((number, int(found.group("year") or found.group("year2"))))
    return hints


def _body_like(text: str) -> bool:
    return has_sentence_punct(text) and len(text) > int(_score()["body_len"])  # type: ignore[call-overload]


@lru_cache(maxsize=8)
def candidates(source_text: str) -> tuple[Candidate, ...]:
    """Every date the page prints outside body sentences, with its points."""
    lines = source_text.splitlines()
    dated = [i for i, line in enumerate(lines) if _DIGIT.search(line)]
    simplified = convert_lines("t2s", [lines[i] for i in dated])
    lines = [""] * len(lines)  # a line without a digit holds no date
    for i, text in zip(dated, simplified, strict=True):
        lines[i] = text
    found_all: list[Candidate] = []
    partial: list[tuple[int, str, str, re.Match[str]]] = []
    full_years: list[tuple[int, int]] = []
    for number, text in enumerate(lines, start=1):
        text = text.strip()
        if not text:
            continue
        labelled = bool(_words("labels").match(text.lstrip("•·*+-[]【】 ")))
        if _body_like(text) and not labelled:
            continue
        if full := find_full_date(text):
            date, rule, match = full
            full_years.append((number, int(date[:4])))
            found_all.append(Candidate(number, date, rule, _points(text, match), text))
            continue
        for rule, pattern in _partial():
            match = pattern.search(text)
            # Without a year, only a date standing alone with its weekday or time counts.
            if match and _alone(text, match) and re.search(_TIME_OR_WEEKDAY, text):
                partial.append((number, rule, text, match))
                break
    years = full_years + _year_hints(lines)
    for number, rule, text, match in partial:
        if date := _with_year(number, text, match, years):
            found_all.append(Candidate(number, date, rule, _points(text, match), text))
    return tuple(found_all)


def _with_year(
    number: int, text: str, match: re.Match[str], years: list[tuple[int, int]]
) -> str | None:
    if not years:
        return None
    month, day = int(match.group("month")), int(match.group("day"))
    nearest = sorted(years, key=lambda hint: abs(hint[0] - number))
    weekday = _weekday(text)
    tried: list[int] = []
    for _, year in nearest:
        for guess in (year, year - 1, year + 1):
            if guess in tried:
                continue
            tried.append(guess)
            date = iso(guess, month, day)
            if date and (weekday is None or dt.date.fromisoformat(date).weekday() == weekday):
                return date
        if weekday is None:
            break
    return None


def _story_span(article: Article) -> tuple[int, int, int, int] | None:
    """(anchor, first body line, last line, body lines): the anchor is the headline's line."""
    body = [
        min(b.source_lines)
        for b in article.blocks
        if b.text and b.source_lines and has_sentence_punct(b.text) and len(b.text) >= 21
    ]
    ends = [max(b.source_lines) for b in article.blocks if b.text and b.source_lines]
    if not body:
        return None
    first = body[0]
    titles = [
        e.line for e in article.provenance
        if e.step == "title" and e.action == "metadata" and e.result == "title" and e.line
    ]
    anchor = titles[-1] if titles and first - TITLE_REACH <= titles[-1] <= first else first
    return anchor, first, max(ends), len(body)


def distance(line: int, span: tuple[int, int, int, int]) -> float:
    anchor, first, end, _ = span
    score = _score()
    if line < anchor:
        return (anchor - line) * float(score["per_line"])  # type: ignore[arg-type]
    if line <= first:
        return 0.0
    if line <= end:
        return (line - first) * float(score["per_line"]) / 2  # type: ignore[arg-type]
    return float(score["after_story"]) + (line - end) * float(score["per_line"])  # type: ignore[arg-type]


# A date beyond this many points below zero is a calendar or a list: not the article's.
MIN_SCORE = -4.0
# Points by which a date must beat the one chrome found to replace it.
MARGIN = 2.0
MIN_BODY_LINES = 3


def best_date(article: Article) -> tuple[Candidate, float] | None:
    span = _story_span(article)
    if span is None:
        return None
    pool = list(candidates(article.source_text))
    for edit in article.provenance:  # a date code the credits step cut from the text
        if edit.step == "credits" and edit.rule == "credit.date" and edit.line:
            date = edit.result.removeprefix("date=")
            pool.append(Candidate(edit.line, date, edit.rule, 5.0, edit.text))
    # A date printed with the story's own credit is in the story: no distance.
    scored = [
        (c, c.points - (0.0 if c.rule == "credit.date" else distance(c.line, span))) for c in pool
    ]
    scored = [s for s in scored if s[1] >= MIN_SCORE]
    if not scored:
        return None
    best = max(scored, key=lambda s: (s[1], -abs(s[0].line - span[0])))
    if article.metadata.source_of("date") == "chrome":
        # Chrome's date stands unless another date is clearly better placed, beside a
        # story with body text enough to place it (not a menu cut off as a "story").
        if span[3] < MIN_BODY_LINES:
            return None
        held = [score for c, score in scored if c.date == article.metadata.date]
        if held and best[1] - max(held) < MARGIN:
            return None
    return best


def pick_date(article: Article) -> Article:
    metadata = article.metadata
    if metadata.source_of("date") not in REPLACEABLE or not article.source_text:
        return article
    chosen = best_date(article)
    if chosen is None:
        return article
    candidate, score = chosen
    if candidate.date == metadata.date:
        return article
    before = f" (was {metadata.date} from {metadata.source_of('date')})" if metadata.date else ""
    edit = Edit(
        STEP, candidate.rule, "metadata", candidate.text,
        f"date={candidate.date}, score {score:.1f}{before}", candidate.line,
    )
    metadata = metadata.with_field("date", candidate.date, "text")
    return article.evolve(metadata=metadata, edits=[edit])
