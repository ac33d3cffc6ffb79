"""Labelled fields a page prints about its article -> metadata.

* ``header_fields`` (step, on the whole page, before chrome): a corpus header block, a run
  of "【 label 】value" lines (title, author, date, paper; labels padded with spaces inside
  the brackets), up to its "【 正  文 】" line. The lines leave the text with an edit each.
* ``parse_field_line``: an info line made only of "label：value" fields ("• 时间：2019-09-18
  06:23 来源：某某日报", "发布日期：… 责任编辑：张三"); the credits step removes such lines.
* ``pick_newspaper`` (step, per story): the paper named by the story's own mark
  ("【某某报讯】"), by a "来源：某某日报" line near the story, or by a headline prefixed with
  the paper and page ("某某日报A1：…") wins over a name chrome found elsewhere on the page.

Rules in ``data/fields.toml``; matching runs on a Simplified shadow of each line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from newsarchive.model import Article, Block, Edit, Metadata
from newsarchive.normalize._lines import has_sentence_punct, load_data
from newsarchive.normalize.dates import find_full_date, parse_compact
from newsarchive.normalize.script import convert_lines, converter

STEP = "fields"
# A thousands separator inside a number ("1,235"), which is no sentence punctuation.
THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_NAME = re.compile(r"[^\s、，,;；/]+")


@cache
def _rules() -> dict[str, object]:
    return load_data("fields.toml")


def _simple(text: str) -> str:
    simplified = converter("t2s").convert(text)
    return simplified if len(simplified) == len(text) else text


def _simple_lines(texts: list[str]) -> list[str]:
    """``[_simple(t) for t in texts]`` with one OpenCC call."""
    return [s if len(s) == len(t) else t for s, t in zip(convert_lines("t2s", texts), texts,
                                                          strict=True)]


# ---- the corpus header block ------------------------------------------------------------


@cache
def _header_re() -> re.Pattern[str]:
    return re.compile(_rules()["header"]["pattern"])  # type: ignore[index]


def _header_kind(label: str) -> str:
    labels: dict[str, str] = _rules()["header"]["labels"]  # type: ignore[index]
    return labels.get(re.sub(r"\s+", "", label), "other")


def _header_run(blocks: tuple[Block, ...]) -> list[int]:
    """Indexes of the first run of header lines (blank lines may sit between them)."""
    minimum = int(_rules()["header"]["min_run"])  # type: ignore[index]
    run: list[int] = []
    simples = _simple_lines([b.text for b in blocks])
    for index, block in enumerate(blocks):
        if not block.text.strip():
            continue
        if found := _header_re().match(simples[index]):
            run.append(index)
            if _header_kind(found.group("label")) == "body":
                break
            continue
        if len(run) >= minimum:
            break
        run = []
    return run if len(run) >= minimum else []


def _date_value(value: str) -> str | None:
    compact = re.sub(r"\D", "", value)
    if re.fullmatch(r"\d{7,8}", compact) and (date := parse_compact(compact)):
        return date
    full = find_full_date(value)
    return full[0] if full else None


def header_fields(article: Article) -> Article:
    run = _header_run(article.blocks)
    if not run:
        return article
    metadata = article.metadata
    blocks = list(article.blocks)
    edits: list[Edit] = []
    for index in run:
        block = blocks[index]
        found = _header_re().match(_simple(block.text))
        assert found is not None
        kind = _header_kind(found.group("label"))
        value = block.text[found.start("value") :].strip()
        line = block.source_lines[0] if block.source_lines else None
        result = ""
        if kind == "title" and value and metadata.source_of("title") != "sidecar":
            metadata = metadata.with_field("title", value, "text")
            result = f"title={value}"
        elif kind == "authors" and value:
            names = tuple(n for n in _NAME.findall(value))
            metadata = metadata.with_field(
                "authors", tuple(dict.fromkeys(metadata.authors + names)), "text"
            )
            result = ", ".join(f"author={n}" for n in names)
        elif kind == "date" and (date := _date_value(value)):
            metadata = metadata.with_field("date", date, "text")
            result = f"date={date}"
        elif kind == "newspaper" and value:
            paper = value.strip("《》〈〉 ")
            if metadata.newspaper is None or metadata.source_of("newspaper") == "chrome":
                metadata = metadata.with_field("newspaper", paper, "text")
            result = f"newspaper={paper}"
        if kind == "body" and value:  # "【 正  文 】text…": the text stays
            blocks[index] = Block(block.kind, value, block.source_lines, block.credit)
            edits.append(Edit(STEP, "fields.header", "remove", block.text[: found.start("value")],
                              "", line))
            continue
        blocks[index] = Block(block.kind, "", block.source_lines)
        edits.append(Edit(STEP, "fields.header", "metadata" if result else "remove",
                          block.text, result, line))
    return article.evolve(metadata=metadata, blocks=blocks, edits=edits)


# ---- info lines -------------------------------------------------------------------------


@dataclass
class FieldLine:
    """What an info line says."""

    date: str | None = None
    newspaper: str | None = None
    source: str | None = None
    authors: list[tuple[str, str]] = field(default_factory=list)  # (name, label)
    editors: list[tuple[str, str]] = field(default_factory=list)  # (name, label)


@cache
def _line_re() -> tuple[re.Pattern[str], dict[str, str]]:
    from newsarchive.normalize.credits import editor_labels

    rules: dict[str, list[str]] = _rules()["line"]  # type: ignore[assignment]
    kinds = {w: k for k in ("date", "source", "author", "ignore") for w in rules[k]}
    kinds.update({w: "editor" for w in editor_labels()})
    words = sorted(kinds, key=len, reverse=True)
    pattern = re.compile(
        r"(?:^|(?<=[\s|｜/【\[［（(]))(?P<label>"
        + "|".join(map(re.escape, words))
        + r")\s*[:：]\s*"
    )
    return pattern, kinds


@cache
def _paper_re() -> re.Pattern[str]:
    press = str(_rules()["press_words"])
    return re.compile(rf"《?(?P<paper>[\u4e00-\u9fff]{{1,12}}?{press})(?:社)?》?")


def paper_name(value: str) -> str | None:
    """The newspaper a source value names ("某某日报", "《某某报》"), or None for a website."""
    found = _paper_re().fullmatch(value.strip())
    if not found or found.group("paper") in ("本报", "该报", "此报", "海报", "情报", "简报"):
        return None
    return found.group("paper")


def parse_field_line(text: str) -> FieldLine | None:
    """A line made only of labelled fields (and an unlabelled date first), else None."""
    rules = _rules()["line"]
    if len(text) > int(rules["max_len"]):  # type: ignore[index]
        return None
    from newsarchive.normalize.credits import names_in

    body = text.strip().lstrip(str(rules["bullets"]) + " ")  # type: ignore[index]
    body = THOUSANDS.sub("", body)  # "点击：1,235": a count, not a comma
    pattern, kinds = _line_re()
    labels = list(pattern.finditer(body))
    if not labels:
        return None
    result = FieldLine()
    trim = " |｜" + str(rules["field_brackets"])  # type: ignore[index]
    head = body[: labels[0].start()].strip(trim)
    if head:
        full = find_full_date(head)
        if not full or full[2].start() > 0 or len(head) - full[2].end() > 9:
            return None
        result.date = full[0]
    for position, found in enumerate(labels):
        end = labels[position + 1].start() if position + 1 < len(labels) else len(body)
        value = body[found.end() : end].strip(trim)
        label, kind = found.group("label"), kinds[found.group("label")]
        if kind == "date":
            full = find_full_date(value)
            if not full:
                return None
            result.date = result.date or full[0]
        elif kind == "source":
            if not value or has_sentence_punct(value) or len(value) > 24:
                return None
            result.source = value
            result.newspaper = paper_name(value.split()[0])
        elif kind in ("author", "editor"):
            if not value:
                continue
            names = names_in(value) or _names_before_controls(value)
            if not names:
                return None
            (result.authors if kind == "author" else result.editors).extend(
                (name, label) for name in names
            )
        elif has_sentence_punct(value) or len(value) > 24:
            return None
    return result


def _names_before_controls(value: str) -> list[str] | None:
    """Names followed by the page's controls on the info line: "张三 我要评论 打印"."""
    from newsarchive.normalize.chrome import match_line
    from newsarchive.normalize.credits import names_in

    words = value.split()
    for cut in range(len(words) - 1, 0, -1):
        names = names_in(" ".join(words[:cut]))
        if names and match_line(" ".join(words[cut:])):
            return names
    return None


# ---- the story's newspaper --------------------------------------------------------------


@cache
def _compiled(key: str) -> re.Pattern[str]:
    press = str(_rules()["press_words"])
    return re.compile(str(_rules()[key]).replace("PRESS", press))


_NOT_PAPERS = ("本报", "该报", "此报")


def _mark_paper(text: str) -> str | None:
    found = _compiled("mark").match(text)
    if not found:
        return None
    paper = found.group("paper") or found.group("paper2")
    return None if paper in _NOT_PAPERS else paper


def _source_paper(article: Article, first: int, last: int) -> tuple[str, int] | None:
    window = int(_rules()["source_window"])  # type: ignore[arg-type]
    best: tuple[str, int] | None = None
    source_words = "|".join(map(re.escape, _rules()["line"]["source"]))  # type: ignore[index]
    pattern = re.compile(rf"(?:{source_words})\s*[:：]\s*(?P<value>[^\s|｜]+)")
    lines = article.source_text.splitlines()
    for number in range(max(1, first - window), min(len(lines), last + window // 4) + 1):
        raw = lines[number - 1]
        if "源" not in raw and "處" not in raw and "处" not in raw:
            continue
        for found in pattern.finditer(_simple(raw)):
            paper = paper_name(found.group("value"))
            distance = first - number if number < first else number - last
            if paper and (best is None or distance < best[1]):
                best = (paper, max(distance, 0))
    return best


def pick_newspaper(article: Article) -> Article:
    metadata = article.metadata
    if metadata.source_of("newspaper") not in (None, "chrome"):
        return article
    body = [b for b in article.blocks if b.text and b.source_lines]
    if not body:
        return article
    found: tuple[str, str, str, int | None] | None = None  # (paper, rule, text, line)
    for block in body[:12]:
        if paper := _mark_paper(block.text):
            found = (paper, "fields.mark", block.text[:20], block.source_lines[0])
            break
    lines = [n for b in body for n in b.source_lines]
    if found is None and article.source_text:
        near = _source_paper(article, min(lines), max(lines))
        if near:
            found = (near[0], "fields.source-line", f"来源：{near[0]}", None)
    if found is None:
        titles = [e for e in article.provenance  # the headline line the title step took
                  if e.step == "title" and e.action == "metadata" and e.result == "title"]
        texts = [(e.text, e.line) for e in titles] + [(b.text, b.source_lines[0]) for b in body[:3]]
        texts += _removed_above(article, min(lines))
        for text, line in texts:
            if head := _compiled("headline").match(text):
                found = (head.group("paper"), "fields.headline-paper", text[: head.end()], line)
                break
    if found is None or found[0] == metadata.newspaper:
        return article
    paper, rule, text, line = found
    metadata = _set_newspaper(metadata, paper)
    return article.evolve(
        metadata=metadata, edits=[Edit(STEP, rule, "metadata", text, f"newspaper={paper}", line)]
    )


def _removed_above(article: Article, first: int) -> list[tuple[str, int | None]]:
    """Lines the chrome steps removed above the story, nearest first: a page label
    "某某日报A1：…" printed over a web copy of a print story stands among the page chrome."""
    window = int(_rules()["source_window"])  # type: ignore[arg-type]
    removed = [
        (e.text, e.line) for e in article.provenance
        if e.step == "chrome" and e.action in ("remove", "metadata") and e.line is not None
        and first - window <= e.line < first
    ]
    return sorted(removed, key=lambda item: -(item[1] or 0))


def _set_newspaper(metadata: Metadata, paper: str) -> Metadata:
    return metadata.with_field("newspaper", paper, "text")
