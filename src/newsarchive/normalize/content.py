"""Step: main-content detection for line-based text (the first half of the chrome stage).

Web pages saved as text (w3m, lynx, ``get_text``) and PDF text keep the page around the
article: menus, link lists, login forms, share bars, notices, footers. Whole-line rules
(``chrome.py``) miss them once a converter adds bullets, brackets or indentation, so this
step decides by position and density, like line-block-density extractors and jusText:

1. every line gets a class from general signals — *body* (long, punctuated), *near*
   (short but punctuated: verse, captions), *short* (no punctuation: headings, labels,
   menu items), *bad* (a boilerplate family of ``data/content.toml`` or a chrome rule),
   *image* (a bracketed placeholder), *meta* (credits, dates, fields), *barrier* (a
   breadcrumb, a "related articles" header, a copyright footer);
2. the main region is the maximum-sum run of lines (body adds its length, boilerplate
   costs), never crossing a barrier — several stories on one page stay in one region;
3. inside the region only boilerplate goes (a short line between two boilerplate lines
   goes too); above it the headline zone (title, kicker, subtitle, byline, date) stays for
   ``title.py``; after it credits and metadata stay for ``credits.py``; the rest goes.

Every removal is an ``Edit`` (step ``chrome``, rule ``content.*``); a removed line that
carries facts (newspaper, edition) gives them to the metadata. Rules run on a Simplified
shadow of the text, whatever the target script.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from newsarchive.model import Article, Block, Edit, Metadata
from newsarchive.normalize import chrome
from newsarchive.normalize._lines import SENTENCE_PUNCT, TERMINAL, han_count, load_data
from newsarchive.normalize.credits import is_name

STEP = "chrome"  # the review page and the TEI header list these edits as page chrome

BODY, NEAR, SHORT, LONG, BAD, IMAGE, META, BARRIER = (
    "body", "near", "short", "long", "bad", "image", "meta", "barrier",
)
TEXT_CLASSES = (BODY, NEAR, SHORT, LONG)


@cache
def _data() -> dict[str, Any]:
    return load_data("content.toml")


@cache  # asked ~250 times per input; the rule file is read once per process
def _t(name: str) -> float:
    return float(_data()["thresholds"][name])


def _words(table: str, key: str) -> tuple[str, ...]:
    return tuple(_data()[table][key])


@cache
def _bullet_re() -> re.Pattern[str]:
    chars = re.escape(_data()["bullets"]["chars"])
    return re.compile(f"^(?:[{chars}]\\s*)+")


@cache
def _family_re(key: str) -> re.Pattern[str]:
    return re.compile(_data()["families"][key])


@cache
def _list_header_re() -> re.Pattern[str]:
    families = _data()["families"]
    qualifiers = "|".join(map(re.escape, sorted(families["list_qualifiers"], key=len)[::-1]))
    nouns = "|".join(map(re.escape, sorted(families["list_nouns"], key=len)[::-1]))
    return re.compile(f"(?:{qualifiers})[^，。；！？]{{0,6}}?(?:{nouns})")


_PLACEHOLDER = re.compile(r"^(?:\s*(?:\[[^\[\]]{0,60}\]|【\s*[^【】]{0,12}\s*】))+\s*$")
_PLACEHOLDER_LEAD = re.compile(r"^\[[^\[\]]{1,40}\]")
_PAGINATION = re.compile(r"^(?:\s*[【\[]\s*\d{1,3}\s*[】\]])+\s*$")
_URL = re.compile(r"^(?:https?://|www\.)\S+$")
_LATIN = re.compile(r"[A-Za-z]{2,}")
_DIGITS_ONLY = re.compile(r"^[\d\s.:/%()（）+\-]+$")
_BRACKETS = str.maketrans("", "", "[]【】〔〕()（）:：")


@dataclass
class Line:
    index: int  # position in article.blocks
    text: str  # the line as it stands
    shadow: str  # its Simplified form, bullets stripped: what the rules read
    han: int
    punct: int
    bulleted: bool
    kind: str = SHORT
    rule: str = ""
    facts: dict[str, str] | None = None


# --- classification -------------------------------------------------------------------


@cache
def _notice_re(kind: str) -> re.Pattern[str]:
    """One alternation of a notice word list: a search is ``any(w in text …)`` in one call."""
    words = sorted(_data()["notice"][kind], key=len, reverse=True)
    return re.compile("|".join(map(re.escape, words)) or "(?!)")


def _is_notice(text: str, inside: bool) -> bool:
    if len(text) > _t("notice_max_len"):
        return False
    # Each word list is searched only when the answer still depends on it.
    reader = _notice_re("reader").search(text) is not None
    if inside:
        if not (reader and _notice_re("action").search(text)):
            return False
        return (len(text) <= _data()["notice"]["short_max_len"]
                or _notice_re("site").search(text) is not None)
    site = _notice_re("site").search(text) is not None
    if not (reader or site):
        return False
    action = _notice_re("action").search(text) is not None
    return (reader and (site or action)) or (site and action and han_count(text) <= 30)


def _is_list_header(core: str) -> bool:
    # The brackets, colons and edges ``stripped`` loses are neither sentence punctuation
    # nor Han, so both tests read ``core`` (its Han count is known) before the translate.
    if not SENTENCE_PUNCT.isdisjoint(core) or han_count(core) > _t("list_header_max_han"):
        return False
    stripped = core.translate(_BRACKETS).strip(" -_|｜")
    found = _list_header_re().search(stripped)
    # The header is (nearly) the whole line: "日报新闻-相关报道" yes, a headline no.
    return bool(found) and len(stripped) - len(found.group()) <= 6


def _is_button(core: str) -> bool:
    if han_count(core) > _t("button_max_han") or not SENTENCE_PUNCT.isdisjoint(core):
        return False
    stripped = core.translate(_BRACKETS).strip()
    if any(stripped.endswith(w) for w in _words("families", "button_words")):
        return True
    # "关注新华网", "下载东网APP": a web action on the site or one of its channels.
    return bool(_family_re("follow").match(stripped))


def _base_class(line: Line, inside_hint: bool = False) -> tuple[str, str]:
    """(class, rule) of one line from its own text; context comes later."""
    core = line.shadow
    if not core:
        return IMAGE, "content.bullet-only"
    if _family_re("markup").search(core):
        return BAD, "content.markup"
    if _PAGINATION.match(core):
        return BAD, "content.pagination"
    if _is_list_header(core):  # before placeholders: "【相关阅读】" opens a list
        return BARRIER, "content.list-header"
    if _PLACEHOLDER.match(core):
        # A bracketed credit ("【编辑：…】") is a credit, not an image slot.
        if _family_re("credit").search(core) and han_count(core) <= 60:
            return META, "content.credit"
        return IMAGE, "content.placeholder"
    if _family_re("breadcrumb").search(core) and len(core) <= 80:
        return BARRIER, "content.breadcrumb"
    matched = chrome.match_line(core)
    if matched is not None:
        rule, facts = matched
        line.facts = facts
        if rule in ("footer.copyright", "footer.icp"):
            return BARRIER, f"content.footer:{rule}"
        if rule == "web.related":  # "推荐阅读", "相关新闻": a list header, as below
            return BARRIER, f"content.list-header:{rule}"
        return (META if facts else BAD), rule
    if _family_re("credit").search(core) and han_count(core) <= 60:
        return META, "content.credit"
    if _URL.match(core):
        return BAD, "content.url"
    if _is_notice(core, inside=True):
        return BAD, "content.notice"
    if _is_foreign_ui(core, line.han):
        return BAD, "content.foreign-ui"
    if line.han == 0:
        if _LATIN.search(core) and len(core) <= 80:
            return BAD, "content.latin-ui"
        if _DIGITS_ONLY.match(core) and len(core) <= 6:
            return BAD, "content.counter"
        return SHORT, ""
    if _PLACEHOLDER_LEAD.match(core) and line.punct == 0:
        return BAD, "content.placeholder"
    no_end = not line.text.rstrip().endswith(("。", "！", "？", "!", "?", "…", "”", "」"))
    if line.bulleted and (line.han <= _t("link_item_max_han") or (no_end and line.han <= 40)):
        return BAD, "content.link-item"
    if _is_button(core):
        return BAD, "content.button"
    if _family_re("media_label").match(core):
        return BAD, "content.media-label"
    if line.punct == 0 or no_end:
        if _family_re("dated_item").fullmatch(core) and line.han <= 40:
            return BAD, "content.dated-item"
        if _family_re("numbered_item").match(core) and line.han <= 35 and line.punct <= 1:
            return BAD, "content.numbered-item"
    if line.punct == 0:
        return (LONG if line.han >= _t("long_unpunct_min_han") else SHORT), ""
    if line.han >= _t("near_min_han"):
        return NEAR, ""
    return SHORT, ""


_KANA = re.compile(r"[\u3040-\u30ff]")


def _is_foreign_ui(core: str, han: int) -> bool:
    """A line in Japanese on a Chinese page (the language check refused Japanese pages):
    a language switch or a sister-site link ("日本語版に移動しますか", "Focus …フォーカス")."""
    kana = len(_KANA.findall(core))
    return kana >= 3 and kana >= han


def _is_body(han: int, punct: int) -> bool:
    return han >= _t("body_min_han") and punct >= 1 and han / punct <= _t("body_han_per_punct")


def _width(text: str) -> int:
    """Characters from U+2E80 on (CJK) count two: the length plus what is left once the
    runs below U+2E80 go (one substitution, not a Python loop per character)."""
    return len(text) + len(_BELOW_CJK_RUN.sub("", text))


_BELOW_CJK_RUN = re.compile("[\x00-\u2e7f]+")


def _mark_body(lines: list[Line]) -> None:
    """Lines of one wrapped paragraph are judged together: body if the paragraph is."""
    widths = sorted(_width(ln.text) for ln in lines if ln.kind in TEXT_CLASSES)
    wrap = widths[int(len(widths) * 0.95)] if widths else 0
    i = 0
    while i < len(lines):
        if lines[i].kind not in TEXT_CLASSES:
            i += 1
            continue
        j = i
        # A line of (nearly) the wrap width that does not end a sentence continues on the
        # next line, if that one directly follows it.
        while (
            j + 1 < len(lines)
            and lines[j + 1].kind in TEXT_CLASSES
            and lines[j + 1].index == lines[j].index + 1
            and _width(lines[j].text) >= _t("wrap_share") * wrap
            and lines[j].text[-1:] not in TERMINAL
        ):
            j += 1
        unit = lines[i : j + 1]
        if _is_body(sum(u.han for u in unit), sum(u.punct for u in unit)):
            for u in unit:
                u.kind = BODY
        i = j + 1


def _weight(line: Line) -> float:
    if line.kind == BODY:
        return float(line.han) + line.punct
    if line.kind == NEAR:
        return _t("near_weight") * line.han
    if line.kind == LONG:
        return -_t("long_unpunct_cost") * line.han
    if line.kind == IMAGE:
        return -_t("image_cost")
    if line.kind == META:
        return 0.0
    if line.kind == BAD:
        return -max(_t("bad_cost"), 0.5 * line.han)
    return -_t("short_cost")


def _main_region(lines: list[Line]) -> tuple[int, int] | None:
    """Positions (in ``lines``) of the first and last line of the maximum-sum region.

    Kadane's maximum-sum subarray over the line weights, reset at every barrier and at
    every gap of more than ``gap_max`` lines without any text (body or near body): an
    article's headings, captions and even a video player fit in such a gap, the run of
    menus and link lists between two parts of a page does not.
    """
    best: tuple[float, int, int] | None = None
    total, start, gap = 0.0, 0, 0
    for k, line in enumerate(lines):
        gap = 0 if line.kind in (BODY, NEAR) else gap + 1
        if line.kind == BARRIER or gap > _t("gap_max"):
            total, start = 0.0, k + 1
            continue
        if total <= 0:
            total, start = 0.0, k
        total += _weight(line)
        if line.kind in (BODY, NEAR) and (best is None or total > best[0]):
            best = (total, start, k)
    if best is None or not any(ln.kind == BODY for ln in lines[best[1] : best[2] + 1]):
        return None
    _, first, last = best
    while lines[first].kind not in (BODY, NEAR):  # the region starts and ends with text
        first += 1
    return first, last


# --- zones ----------------------------------------------------------------------------


def _echo_words(lines: list[Line]) -> set[str]:
    """Parts of breadcrumbs and field values: a short line repeating one is a label."""
    words: set[str] = set()
    for line in lines:
        if line.kind == BARRIER and line.rule == "content.breadcrumb":
            words.update(p.strip() for p in re.split(r">>|>|»|›|＞|/|→|[:：]", line.shadow))
        elif line.kind == META:
            words.update(p.strip() for p in re.split(r"[:：]", line.shadow)[1:])
    return {w for w in words if w}


def _headline_zone(lines: list[Line], first: int) -> set[int]:
    """Positions kept above the region: the headline block and its date/byline lines."""
    kept: set[int] = set()
    candidates = skipped = run = 0
    k = first - 1
    echo = _echo_words(lines)
    while k >= 0 and first - k <= _t("head_max_lines"):
        line = lines[k]
        if line.kind == BARRIER or line.kind == BODY or line.kind == LONG:
            break
        if line.kind in (BAD, IMAGE):
            skipped += 1
            run += 1
            if (candidates and run >= 2) or skipped > _t("head_max_skipped"):
                break
        elif line.kind == META:
            kept.add(k)
        else:
            if line.han <= _t("echo_max_han") and line.shadow in echo:
                line.kind, line.rule = BAD, "content.echo"
                run += 1
            elif line.han < _t("head_min_han") and _is_label(lines, k):
                line.kind, line.rule = BAD, "content.short-label"
                run += 1
            else:
                run = 0
                kept.add(k)
                candidates += 1
                if candidates >= _t("head_max_kept"):
                    break
        k -= 1
    return kept


def _is_label(lines: list[Line], k: int) -> bool:
    """A very short line beside boilerplate ("图集" after a share bar), unless it is a name."""
    if is_name(lines[k].shadow):
        return False
    around = [lines[j].kind for j in (k - 1, k + 1) if 0 <= j < len(lines)]
    return any(kind in (BAD, IMAGE) for kind in around)


def _tail_zone(lines: list[Line], last: int) -> set[int]:
    """Positions kept after the region: text right after it, then credits and metadata."""
    kept: set[int] = set()
    clean = True  # no boilerplate yet between the region and this line
    for k in range(last + 1, min(len(lines), last + 1 + int(_t("tail_max_lines")))):
        line = lines[k]
        if line.kind == BARRIER:
            break
        if line.kind == META:
            kept.add(k)
        elif line.kind in (BAD, IMAGE, LONG):
            clean = False
        elif clean and line.kind in (NEAR, SHORT):
            kept.add(k)
    return kept


def _between_bad(lines: list[Line], k: int, first: int, last: int) -> bool:
    """A short line whose nearest classified neighbours on both sides are boilerplate."""

    def neighbour(step: int) -> str | None:
        j = k + step
        while first <= j <= last:
            if lines[j].kind not in (SHORT, IMAGE):
                return lines[j].kind
            j += step
        return None

    return neighbour(-1) == BAD and neighbour(1) == BAD


# --- the step -------------------------------------------------------------------------


def _lines(article: Article) -> list[Line]:
    lines: list[Line] = []
    bullet = _bullet_re()
    for index, (block, shadow) in enumerate(zip(article.blocks, chrome.shadow_texts(article),
                                                 strict=True)):
        if not block.text:
            continue
        stripped = bullet.sub("", shadow).strip()
        core = stripped or ("" if bullet.match(shadow) else shadow)
        lines.append(
            Line(
                index=index,
                text=block.text,
                shadow=core,
                han=han_count(core),
                punct=sum(map(core.count, SENTENCE_PUNCT)),
                bulleted=core != shadow.strip(),
            )
        )
    return lines


def _apply_facts(metadata: Metadata, facts: dict[str, str], keep_date: bool) -> Metadata:
    kept = {k: v for k, v in facts.items() if keep_date or k not in ("date", "authors")}
    return chrome.apply_facts(metadata, kept)


def detect_content(article: Article) -> Article:
    lines = _lines(article)
    for line in lines:
        line.kind, line.rule = _base_class(line)
    _mark_body(lines)
    region = _main_region(lines)
    if region is None:
        return article  # no body text anywhere: leave the page to the line rules
    first, last = region
    keep = set(range(first, last + 1)) | _headline_zone(lines, first) | _tail_zone(lines, last)
    drop: dict[int, tuple[str, Line]] = {}
    repeated = chrome.repeated_lines(article)  # a title printed twice: chrome keeps one
    carousel = _carousel(lines)
    for k, line in enumerate(lines):
        if article.blocks[line.index].kind != "line":
            continue  # typed by an earlier pass or an edited TEI: structure, not page lines
        if k in carousel:
            drop[line.index] = ("content.carousel", line)
            continue
        if k not in keep and k < first and line.kind == SHORT and line.text in repeated:
            continue
        if k not in keep:
            if line.kind == META and line.facts is not None:
                drop[line.index] = ("content.outside-main:" + line.rule, line)
            else:
                drop[line.index] = ("content.outside-main" + _suffix(line), line)
        elif line.kind in (BAD, IMAGE, BARRIER) and not line.facts:
            drop[line.index] = (line.rule or "content.boilerplate", line)
        elif line.kind == SHORT and first <= k <= last and _between_bad(lines, k, first, last):
            drop[line.index] = ("content.between-boilerplate", line)
    if not drop:
        return article
    metadata = article.metadata
    edits: list[Edit] = []
    blocks: list[Block] = []
    for index, block in enumerate(article.blocks):
        if index not in drop:
            blocks.append(block)
            continue
        rule, line = drop[index]
        where = block.source_lines[0] if block.source_lines else None
        if line.facts:
            # Facts far from the article keep the newspaper but not the date: a page
            # prints today's date and other articles' dates around the one it shows.
            metadata = _apply_facts(metadata, line.facts, keep_date=False)
            summary = ", ".join(f"{k}={v}" for k, v in line.facts.items())
            edits.append(Edit(STEP, rule, "metadata", block.text, summary, where))
        else:
            edits.append(Edit(STEP, rule, "remove", block.text, "", where))
    metadata = _nearest_date(metadata, lines, first, keep, drop)
    return article.evolve(metadata=metadata, blocks=blocks, edits=edits)


def _carousel(lines: list[Line]) -> set[int]:
    """Positions of a run of short lines the page prints again in the same order (a
    headline ticker or slide show: both copies go). A headline printed twice is one line,
    a title with its kicker two: a run of ``carousel_min_run`` or more is never that."""
    min_run = int(_t("carousel_min_run"))
    seen: dict[str, list[int]] = {}
    found: set[int] = set()
    for k, line in enumerate(lines):
        if line.kind == BODY:
            continue
        for earlier in seen.get(line.text, ()):
            if earlier in found or k in found:
                continue
            run = 0
            while (
                k + run < len(lines) and earlier + run < k
                and lines[earlier + run].kind != BODY
                and lines[earlier + run].text == lines[k + run].text
            ):
                run += 1
            if run >= min_run:
                found.update(range(earlier, earlier + run))
                found.update(range(k, k + run))
        seen.setdefault(line.text, []).append(k)
    return found


def _suffix(line: Line) -> str:
    return f":{line.rule}" if line.rule else f":{line.kind}"


def _nearest_date(
    metadata: Metadata, lines: list[Line], first: int, keep: set[int], drop: dict[int, Any]
) -> Metadata:
    """No kept line dates the article: take the date printed nearest above the region."""
    if metadata.date is not None:
        return metadata
    if any(lines[k].facts and "date" in (lines[k].facts or {}) for k in keep):
        return metadata  # the chrome step will take it from a kept line
    for k in range(first - 1, max(-1, first - 1 - int(_t("head_max_lines"))), -1):
        facts = lines[k].facts or {}
        if "date" in facts and lines[k].index in drop:
            return metadata.with_field("date", facts["date"], "chrome")
    return metadata
