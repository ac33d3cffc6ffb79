"""Step: credits -> metadata. Bylines, editors, photographers and photo credits leave the text.

Families (rules in ``data/credits.toml``):

* whole-line credits, bare or in brackets: editors ("责任编辑：张三", "【编辑：张三】",
  "(责编：张三、李四)", "（编辑：张三）1120823" with a date code), bylines ("本报记者 张 三",
  "■记者 张三 通讯员 李四", "文/张三", a reporter word on one line and the names on the next),
  a dateline with its byline ("（新华社北京2月3日电 记者张三、李四）"), photographer lines
  ("某报记者王五摄"), photo credits, info lines ("发布日期：… 责任编辑：…", see ``fields``), and
  a line of names only (beside the body);
* credits opening the first paragraph: "新华社某地5月1日电（记者张三）…" and "（某社记者张三台北
  23日电）…" keep their dateline, "〔记者张三／某地报导〕…" and "【某报讯】记者张三报道：…"
  lose the byline;
* credits closing a paragraph: "（张三）", "(文/图 张三 李四)", "（作者系…）", "(责编/张三)".

Layout, proofreading and production labels (版式设计, 校对, 统筹…) are filed under their own
role, not as editors. A surname list (``data/surnames.txt``) tells a line of personal
names ("王静 刘廷") from a short heading ("讲故事 说变化"). Matching runs on a Simplified shadow
of the line, so Traditional text matches the same rules; names are cut from the original.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from newsarchive.model import Article, Block, Credit, Edit, Metadata
from newsarchive.normalize._lines import ends_terminal, has_sentence_punct, load_data, load_list
from newsarchive.normalize.chrome import page_controls
from newsarchive.normalize.dates import parse_compact
from newsarchive.normalize.script import converter

STEP = "credits"
# The rule of an edit that hands a date printed with a credit to the dates step.
DATE_RULE = "credit.date"
_SEPARATORS = re.compile(r"[^\s、，,;；]+")
_SPLIT = " |｜/、，,;；"


@dataclass
class Found:
    """What one credit line (or credit tail) says."""

    rule: str
    authors: list[str] = field(default_factory=list)
    credits: list[Credit] = field(default_factory=list)
    newspaper: str | None = None
    affiliation: str | None = None
    date: str | None = None


@cache
def _rules() -> dict[str, object]:
    return load_data("credits.toml")


@cache
def surnames() -> frozenset[str]:
    simplified = {w for line in load_list("surnames.txt") for w in line.split()}
    to_traditional = converter("s2t").convert
    return frozenset(simplified | {to_traditional(s) for s in simplified})


def is_name(token: str) -> bool:
    """A plausible Chinese personal name: surname + one to two characters (or a 复姓)."""
    token = token.replace("·", "")
    if not re.fullmatch(r"[\u4e00-\u9fff]{2,4}", token):
        return False
    names = surnames()
    if len(token) == 4:
        return token[:2] in names
    return token[0] in names or token[:2] in names


def name_spans(text: str) -> list[tuple[int, int]] | None:
    """Spans of the names in ``text`` if it holds names only ("张三、李四", "马  晨 王五").

    E-papers pad two-character names to the width of three ("马  晨"): a lone surname
    followed, across spaces only, by one or two characters is one name."""
    tokens = [(m.start(), m.end()) for m in _SEPARATORS.finditer(text)]
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens):
        start, end = tokens[i]
        word = text[start:end]
        if len(word) == 1 and i + 1 < len(tokens):
            nxt = tokens[i + 1]
            gap = text[end : nxt[0]]
            if not gap.strip() and nxt[1] - nxt[0] <= 2 and is_name(word + text[nxt[0] : nxt[1]]):
                spans.append((start, nxt[1]))
                i += 2
                continue
        if not is_name(word):
            return None
        spans.append((start, end))
        i += 1
    return spans or None


def _cut(original: str, span: tuple[int, int], offset: int = 0) -> str:
    return re.sub(r"\s+", "", original[offset + span[0] : offset + span[1]])


def names_in(text: str) -> list[str] | None:
    spans = name_spans(text)
    return [_cut(text, s) for s in spans] if spans else None


@cache
def editor_labels() -> tuple[str, ...]:
    return tuple(sorted(_rules()["editor_labels"], key=len, reverse=True))  # type: ignore[arg-type]


def role_of(label: str) -> str:
    roles: dict[str, str] = _rules()["label_roles"]  # type: ignore[assignment]
    return roles.get(label, "editor")


def _names_pattern() -> str:
    return str(_rules()["names"])


@cache
def _compiled(section: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple(
        (r["id"], re.compile(r["pattern"].replace("NAMES", _names_pattern())))
        for r in _rules()[section]  # type: ignore[union-attr]
    )


@cache
def _pattern(key: str) -> re.Pattern[str]:
    return re.compile(str(_rules()[key]))


@cache
def _editor_re() -> re.Pattern[str]:
    labels = "|".join(editor_labels())
    # Names end where the next "label:" or the line ends ("编辑：张三 校对：李四").
    names = r"[\u4e00-\u9fff·]{1,4}(?:[\s、，,]+[\u4e00-\u9fff·]{1,4})*?"
    return re.compile(
        f"(?P<label>{labels})\\s*[:：/|｜]\\s*(?P<names>{names})"
        f"(?=[\\s|｜/、，,;；]*(?:(?:{labels})\\s*[:：/|｜]|$))"
    )


@cache
def _reporter_re() -> re.Pattern[str]:
    words = sorted(_rules()["reporter_words"], key=len, reverse=True)  # type: ignore[arg-type]
    return re.compile(
        f"(?P<org>[\u4e00-\u9fff]{{0,12}}?)(?P<word>{'|'.join(words)})[:：/]?(?P<name>.*)"
    )


@cache
def _action_re() -> re.Pattern[str]:
    words = sorted(_rules()["byline_actions"], key=len, reverse=True)  # type: ignore[arg-type]
    # "／金门报导", "/北京报道", "报道：", " 整合" closing a byline.
    return re.compile(
        rf"\s*(?:[／/]\s*[\u4e00-\u9fff]{{1,8}}?(?:{'|'.join(words)}|电)|(?:{'|'.join(words)}))"
        r"\s*[:：]?\s*$"
    )


def shadow(text: str, language: str = "zh-Hant") -> str:
    """Simplified form of ``text`` with the same length, for matching Simplified rules."""
    if language == "zh-Hans":
        return text
    simplified = converter("t2s").convert(text)
    return simplified if len(simplified) == len(text) else text


def match_photo(text: str, original: str) -> Found | None:
    for rule, pattern in _compiled("photo"):
        if found := pattern.match(text):
            who = original[found.start("who") : found.end("who")].strip()
            label = original[found.start("label") : found.end("label")]
            return Found(rule, credits=[Credit(who, "photo-credit", label)])
    return None


def match_photographer_line(text: str, original: str) -> Found | None:
    """ "本报记者 张 三摄", "李四摄（某某社发）", "某报记者王五、赵六摄" on a line of their own."""
    for rule, pattern in _compiled("photographer_line"):
        found = pattern.match(text)
        if not found:
            continue
        spans = name_spans(found.group("who"))
        if not spans:
            continue
        offset = found.start("who")
        label = original[found.start("label") : found.end("label")]
        return Found(rule, credits=[Credit(_cut(original, s, offset), "photographer", label)
                                    for s in spans])
    return None


def match_editors(text: str, original: str) -> Found | None:
    result = Found("credit.editor")
    position = 0
    for found in _editor_re().finditer(text):
        if text[position : found.start()].strip(_SPLIT):
            return None
        spans = name_spans(found.group("names"))
        if not spans:
            return None
        label = found.group("label")
        for span in spans:
            name = _cut(original, span, found.start("names"))
            result.credits.append(Credit(name, role_of(label), original[found.start("label"):
                                                                         found.end("label")]))
        position = found.end()
    if not result.credits or text[position:].strip(_SPLIT):
        return None
    return result


def _strip_action(text: str) -> str:
    """The byline without a closing "／某地报导", "报道：", " 整合"."""
    found = _action_re().search(text)
    return text[: found.start()] if found and found.start() > 0 else text


def match_byline(text: str, original: str) -> Found | None:
    """ "■中国城市报记者 郭文治 李彤彤", "本报记者 张三 通讯员 李四", "文/张三", "记者张三报道"."""
    bullets = str(_rules()["bullets"])
    body = _strip_action(text.lstrip(bullets + " "))
    offset = len(text) - len(text.lstrip(bullets + " "))
    body = body[: len(body)]
    prefix = re.match(
        r"(?:文/图|图/文)\s*[/:：·|｜]?\s*|(?:文图|图文|文字|撰文|文)\s*[/:：·|｜]\s*", body
    )
    result = Found("credit.byline")
    saw_reporter = bool(prefix)
    if prefix:
        offset += prefix.end()
        body = body[prefix.end() :]
    tokens = list(_SEPARATORS.finditer(body))
    i = 0
    while i < len(tokens):
        token = tokens[i]
        word = token.group()
        start = offset + token.start()
        if not is_name(word):
            # A padded name ("马  晨") spans two tokens.
            if len(word) == 1 and i + 1 < len(tokens):
                pair = name_spans(body[token.start() : tokens[i + 1].end()])
                if pair and len(pair) == 1:
                    result.authors.append(_cut(original, (start, offset + tokens[i + 1].end())))
                    i += 2
                    continue
            reporter = _reporter_re().fullmatch(word)
            if not reporter:
                return None
            saw_reporter = True
            org = reporter.group("org")
            if org.endswith(("报", "報")) and org not in ("本报", "本報"):
                result.newspaper = original[start : start + len(org)]
            if not reporter.group("name"):
                i += 1
                continue
            if not is_name(reporter.group("name")):
                return None
            start += reporter.start("name")
        result.authors.append(_cut(original, (start, offset + token.end())))
        i += 1
    return result if saw_reporter and result.authors else None


def _reporter_paper(text: str, original: str) -> str | None:
    """The paper a reporter's line names ("某某报记者"; not "本报记者", not an agency)."""
    stripped = text.strip().lstrip(str(_rules()["bullets"]) + " ")
    found = _reporter_re().fullmatch(stripped)
    org = found.group("org") if found else ""
    if not org.endswith(("报", "報")) or org in ("本报", "本報"):
        return None
    at = len(text) - len(text.lstrip()) + (len(text.strip()) - len(stripped))
    return original[at : at + len(org)]


def reporter_only(text: str) -> bool:
    """A byline whose names went to the next line: "某某报记者", "本报记者"."""
    body = text.strip().lstrip(str(_rules()["bullets"]) + " ")
    found = _reporter_re().fullmatch(body)
    return bool(found and not found.group("name").strip() and len(found.group("org")) <= 10)


def match_dateline_byline(text: str, original: str) -> Found | None:
    """ "新华社北京2月3日电 记者张三、李四" (the whole credit, usually in brackets)."""
    found = _pattern("dateline_byline").match(text)
    if not found or not re.search(r"\d|[一二三四五六七八九十]", found.group("lead")):
        return None
    start = found.start("byline")
    byline = match_byline(text[start:], original[start:])
    if byline:
        byline.rule = "credit.dateline-byline"
    return byline


def match_names_line(text: str, original: str) -> Found | None:
    """A line of names only, optionally followed by a photo credit: "王静 刘廷 图片…提供"."""
    tokens = list(_SEPARATORS.finditer(text))
    for cut in range(min(len(tokens), 8), 0, -1):
        end = tokens[cut - 1].end()
        spans = name_spans(text[:end])
        if not spans:
            continue
        authors = [_cut(original, s) for s in spans]
        result = Found("credit.names", authors=authors)
        if cut == len(tokens):
            return result
        tail_start = tokens[cut].start()
        photo = match_photo(text[tail_start:], original[tail_start:])
        if photo:
            result.credits.extend(photo.credits)
            result.rule = "credit.names+" + photo.rule
            return result
        return None
    return None


def _unwrap(text: str) -> tuple[int, int, str | None] | None:
    """(start, end) of a whole-line credit inside brackets, and a date code after them."""
    opens, closes = str(_rules()["open_brackets"]), str(_rules()["close_brackets"])
    stripped = text.strip()
    if not stripped or stripped[0] not in opens:
        return None
    lead = len(text) - len(text.lstrip())
    code = None
    body_end = len(text.rstrip())
    if found := _pattern("date_code").search(text):
        code = parse_compact(found.group("code"))
        if code:
            body_end = len(text[: found.start()].rstrip())
    if body_end <= lead + 1 or text[body_end - 1] not in closes:
        return None
    inner = text[lead + 1 : body_end - 1]
    if any(c in inner for c in opens + closes):
        return None
    return lead + 1, body_end - 1, code


@cache
def spaced_editor_labels() -> tuple[str, ...]:
    return tuple(_rules()["spaced_editor_labels"])  # type: ignore[arg-type]


@cache
def _spaced_editor_re(labels: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(rf"(?P<label>{'|'.join(map(re.escape, labels))})\s+(?=\S)")


def _spaced_editor(text: str, original: str, labels: tuple[str, ...]) -> Found | None:
    """ "编辑 张三": an editor label followed by a space, not a colon, then names only."""
    found = _spaced_editor_re(labels).match(text)
    if not found:
        return None
    cut = found.end("label")
    text = text[:cut] + "：" + text[found.end():]
    original = original[:cut] + "：" + original[found.end():]
    return match_editors(text, original)


# A photographer's part after the byline on one line: "文/张三 图/李四", "记者：张三 摄影：李四".
_PHOTO_PART = re.compile(r"\s+(?=(?:摄影|摄|图片|图)\s*[/:：|｜])")


def match_byline_and_photo(text: str, original: str) -> Found | None:
    for found in _PHOTO_PART.finditer(text):
        byline = match_byline(text[: found.start()], original[: found.start()])
        photo = match_photo(text[found.end() :], original[found.end() :])
        if byline and photo:
            byline.rule = "credit.byline+photographer"
            byline.credits += [Credit(c.name, "photographer", c.label) for c in photo.credits]
            return byline
    return None


# Who the author is, in brackets after the byline: "作者：张三（某某大学教授）".
_AFFILIATION = re.compile(r"\s*[(（](?P<inner>[^()（）]{2,30})[)）]$")


def match_byline_with_affiliation(text: str, original: str) -> Found | None:
    found = _AFFILIATION.search(text)
    if not found or found.start() == 0 or has_sentence_punct(text[: found.start()]):
        return None
    if name_spans(found.group("inner")):
        return None
    byline = match_byline(text[: found.start()], original[: found.start()])
    if byline is None:
        return None
    byline.rule = "credit.byline+affiliation"
    byline.affiliation = original[found.start("inner") : found.end("inner")].strip()
    return byline


@cache
def _control_edge() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(a page control word, one at an edge of the line beside an editor's credit: "责任编辑：
    张三 | 纠错", "【我要纠错】责任编辑：张三"). The words are chrome.toml's page controls; the
    edge is searched only on a line holding one of them (the edge pattern is tried at every
    position, the word alternation skips ahead by its first characters)."""
    control = "(?:" + "|".join(map(re.escape, page_controls())) + ")"
    edge = re.compile(
        rf"^[【\[]{control}[】\]]\s*[|｜]?\s*"
        rf"|\s*[|｜]?\s*(?:[【\[]{control}[】\]]|(?<=[|｜ ]){control})$"
    )
    return re.compile(control), edge


def match_line(text: str, original: str) -> Found | None:
    """A whole line that is a credit (bare or in brackets), else None."""
    word, edge = _control_edge()
    if word.search(text) and (control := edge.search(text)) and control.group().strip():
        start, end = control.span()
        found = match_line(text[:start] + text[end:], original[:start] + original[end:])
        if found and found.credits and not found.authors:
            return found  # only an editor's credit sits beside the page's controls
    unwrapped = _unwrap(text)
    if unwrapped:
        start, end, code = unwrapped
        inner, inner_original = text[start:end], original[start:end]
        found = (
            match_editors(inner.strip(), inner_original.strip())
            or _spaced_editor(inner.strip(), inner_original.strip(), editor_labels())
            or match_dateline_byline(inner.strip(), inner_original.strip())
            or match_byline(inner, inner_original)
            or match_byline_and_photo(inner.strip(), inner_original.strip())
            or match_photo(inner.strip(), inner_original.strip())
            or _affiliation(inner, inner_original)
        )
        if found:
            found.date = code
        return found
    spaced = spaced_editor_labels()
    punctuated = has_sentence_punct(text)  # a byline holds no sentence punctuation
    return (
        match_editors(text, original)
        or _spaced_editor(text, original, spaced)
        or match_photographer_line(text, original)
        or (None if punctuated else match_byline(text, original))
        or (None if punctuated else match_byline_and_photo(text, original))
        or match_byline_with_affiliation(text, original)
        or match_photo(text, original)
        or _affiliation(text, original)
    )


_TRAILING_PAREN = re.compile(r"[(（](?P<inner>[^()（）]{1,60})[)）]\s*$")


# A wire story's end mark closing its last paragraph: "…举行。（完）".
_END_MARKS = ("完", "全文完", "本文完")


def _affiliation(inner: str, inner_original: str) -> Found | None:
    """ "作者系某大学教授", "本文作者为…", "作者单位：…": who the author is."""
    found = re.match(r"(?:本文)?作者(?:系|为|单位)\s*[:：]?", inner.strip())
    if not found or has_sentence_punct(inner[found.end():]):
        return None
    value = inner_original.strip()[found.end() :].strip()
    return Found("credit.affiliation", affiliation=value) if value else None


def _tail(inner: str, inner_original: str, run_end: bool) -> Found | None:
    if run_end and inner.strip() in _END_MARKS:
        return Found("text.end-mark")
    if found := _affiliation(inner, inner_original):
        return found
    if editors := match_editors(inner.strip(), inner_original.strip()) or _spaced_editor(
        inner.strip(), inner_original.strip(), editor_labels()
    ):
        editors.rule = "credit.trailing-editor"
        return editors
    if byline := match_dateline_byline(inner.strip(), inner_original.strip()):
        byline.rule = "credit.trailing-dateline-byline"
        return byline
    if byline := match_byline(inner, inner_original) or match_byline_and_photo(
        inner.strip(), inner_original.strip()
    ):
        byline.rule = "credit.trailing-byline"
        return byline
    # A bare name closes the story ("……举行。（张三）") only where the body run ends.
    if run_end and (spans := name_spans(inner)):
        return Found("credit.trailing-author", authors=[_cut(inner_original, s) for s in spans])
    return None


def strip_trailing_credits(
    text: str, original: str, run_end: bool = True
) -> tuple[str, list[tuple[Found, str]]]:
    """Peel "(作者系…)", "(责编/…)", "(韩慧林)", "（编辑：…）1120823" off a paragraph's end.

    Returns the kept original text and each credit with the text it removed."""
    found_all: list[tuple[Found, str]] = []
    while True:
        code = None
        body_end = len(text)
        if (date_code := _pattern("date_code").search(text)) and (
            parsed := parse_compact(date_code.group("code"))
        ):
            head = text[: date_code.start()].rstrip()
            if head.endswith((")", "）")):
                code, body_end = parsed, len(head)
        match = _TRAILING_PAREN.search(text[:body_end])
        if not match:
            break
        before = text[: match.start()].rstrip()
        if not before or not ends_terminal(before):
            break
        inner = match.group("inner")
        inner_original = original[match.start("inner") : match.end("inner")]
        found = _tail(inner, inner_original, run_end)
        if found is None:
            break
        found.date = code
        found_all.insert(0, (found, original[match.start() :].strip()))
        text, original = text[: match.start()].rstrip(), original[: match.start()].rstrip()
    return original, found_all


@cache
def _caption_rules() -> tuple[tuple[str, tuple[str, ...], re.Pattern[str]], ...]:
    """(id, labels, pattern): the pattern built around the alternation of its labels."""
    return tuple(
        (r["id"], tuple(r["labels"]), re.compile(
            r["pattern"].replace("LABEL", "|".join(map(re.escape, r["labels"])))
            .replace("NAMES", _names_pattern())
        ))
        for r in _rules()["caption_credit"]  # type: ignore[union-attr]
    )


def caption_credit(text: str, original: str) -> tuple[str, str, str] | None:
    """(caption without credit, photographer, rule) for "开展廉洁主题教育 摄/汪新"."""
    for rule, labels, pattern in _caption_rules():
        if not any(label in text for label in labels):
            continue  # no match holds none of the labels
        found = pattern.search(text)
        if found and found.start() > 0 and (spans := name_spans(found.group("who"))):
            who = "、".join(_cut(original, s, found.start("who")) for s in spans)
            return original[: found.start()].rstrip(), who, rule
    return None


def _is_body(text: str) -> bool:
    from newsarchive.normalize.fields import THOUSANDS

    return has_sentence_punct(THOUSANDS.sub("", text)) and len(text) >= 21


# A line opening with a closing mark continues the line above (a wrap before "。").
_CONTINUES = tuple("，。、；：？！）」』”’》")


def _body_lines(simples: list[str], captions: dict[int, object]) -> list[bool]:
    """Which lines are body text, a line and the lines that continue it judged together
    (segment joins them into one paragraph later: the second pass sees it whole)."""
    body = [False] * len(simples)
    i = 0
    while i < len(simples):
        j = i
        while j + 1 < len(simples) and simples[j] and simples[j + 1].startswith(_CONTINUES):
            j += 1
        is_body = _is_body("".join(simples[i : j + 1]))
        for k in range(i, j + 1):
            body[k] = is_body and k not in captions
        i = j + 1
    return body


def merge(metadata: Metadata, found: Found) -> Metadata:
    if found.authors:
        authors = tuple(dict.fromkeys(metadata.authors + tuple(found.authors)))
        metadata = metadata.with_field("authors", authors, "text")
    if found.credits:
        credits = tuple(dict.fromkeys(metadata.credits + tuple(found.credits)))
        metadata = metadata.with_field("credits", credits, "text")
    if found.newspaper and metadata.source_of("newspaper") in (None, "chrome"):
        metadata = metadata.with_field("newspaper", found.newspaper, "text")
    if found.affiliation and metadata.author_affiliation is None:
        metadata = metadata.with_field("author_affiliation", found.affiliation, "text")
    return metadata


def describe(found: Found) -> str:
    parts = [f"author={a}" for a in found.authors]
    parts += [f"{c.role}={c.name}" for c in found.credits]
    if found.newspaper:
        parts.append(f"newspaper={found.newspaper}")
    if found.affiliation:
        parts.append(f"affiliation={found.affiliation}")
    if found.date:
        parts.append(f"date={found.date}")
    return ", ".join(parts)


# A caption that carries sentence punctuation still ends in its photographer ("…会见某国总统。
# 新华社记者 王五 摄"); up to this length such a line is taken for a caption.
PUNCTUATED_CAPTION_MAX = 90


def _caption_cut(simple: str, text: str) -> tuple[str, str, str] | None:
    if has_sentence_punct(simple) and len(simple) > PUNCTUATED_CAPTION_MAX:
        return None
    return caption_credit(simple, text)


def strip_lead_credit(simple: str, text: str) -> tuple[str, Found] | None:
    """A byline opening a paragraph -> (the paragraph without it, the credit).

    "新华社北京5月1日电（记者张三、李四）国家主席…" and "（某社记者张三台北23日电）…" keep
    their dateline; "〔记者张三／某地报导〕…" and "【某报讯】记者张三报道：…" lose the byline."""
    if found := _pattern("lead_credit").match(simple):
        inner = found.group("inner")
        byline = match_byline(inner, text[found.start("inner") : found.end("inner")])
        if byline:
            byline.rule = "credit.dateline-byline"
            return text[: found.end("lead")] + text[found.end() :], byline
    if found := _pattern("agency_dateline").match(simple):
        start, end = found.start("names"), found.end("names")
        for give in range(0, 3):  # hand characters to the place until the names are names
            if end - give - start < 2:
                break
            if spans := name_spans(simple[start : end - give]):
                names = [_cut(text, s, start) for s in spans]
                credit = Found("credit.agency-dateline", authors=names)
                return text[: found.start("credit")] + text[end - give :], credit
    if found := _pattern("mark_byline").match(simple):
        spans = name_spans(found.group("names"))
        if spans:
            names = [_cut(text, s, found.start("names")) for s in spans]
            credit = Found("credit.mark-byline", authors=names)
            return text[: found.start("credit")] + text[found.end("credit") :].lstrip(), credit
    if (found := _pattern("lead_bracket").match(simple)) and found.end() < len(simple):
        inner = found.group("inner")
        byline = match_byline(inner, text[found.start("inner") : found.end("inner")])
        if byline and re.search(r"记者|通讯员|特约|撰文|文/", inner):
            byline.rule = "credit.lead-bracket"
            return text[found.end() :].lstrip(), byline
    return None


def _at_body_edge(index: int, body: list[bool], texts: list[str]) -> bool:
    """Body text on exactly one side (the nearest non-empty lines): where a byline stands.

    A line of names between two body lines is a tag list or a line inside the text."""
    sides = []
    for step in (-1, 1):
        j = index + step
        while 0 <= j < len(texts) and not texts[j]:
            j += step
        # Body above must have ended its last sentence ("…举行。" then the byline).
        sides.append(0 <= j < len(texts) and body[j] and (step > 0 or ends_terminal(texts[j])))
    return sides[0] != sides[1]


def _next_text(blocks: list[Block], index: int) -> int | None:
    for j in range(index + 1, min(len(blocks), index + 4)):
        if blocks[j].text:
            return j
    return None


def _previous_text(blocks: list[Block], index: int) -> int | None:
    for j in range(index - 1, -1, -1):
        if blocks[j].text:
            return j
    return None


def _field_line(simple: str, text: str) -> Found | None:
    from newsarchive.normalize.fields import parse_field_line

    parsed = parse_field_line(simple)
    if parsed is None:
        return None
    found = Found("fields.info-line", newspaper=parsed.newspaper, date=parsed.date)
    found.authors = [name for name, _ in parsed.authors]
    found.credits = [Credit(name, role_of(label), label) for name, label in parsed.editors]
    return found


def _harvest_chrome(article: Article, lines: list[int]) -> list[tuple[Found, Edit]]:
    """Editors and authors printed on an info line that chrome removed ("发布日期：…
    责任编辑：张三", "时间：… 来源：… 作者：李四")."""
    if not lines:
        return []
    first, last = min(lines), max(lines)
    harvested = []
    for edit in article.provenance:
        if edit.step != "chrome" or not edit.line or not first - 15 <= edit.line <= last + 15:
            continue
        if not any(label in edit.text for label in _CHROME_CREDIT_HINTS):
            continue
        simple = shadow(edit.text)
        found = (_field_line(simple, edit.text) or match_editors(simple, edit.text)
                 or match_line(simple, edit.text))
        if found and (found.credits or found.authors):
            found = Found("credit.from-chrome", authors=found.authors, credits=found.credits)
            harvested.append((found, edit))
    return harvested


# Characters an info line's people labels hold (编辑, 审核, 作者, 记者, 撰文, 通讯员).
_CHROME_CREDIT_HINTS = ("编", "編", "审", "審", "作者", "记者", "記者", "撰", "通讯员", "通訊員")


def extract_credits(article: Article) -> Article:
    language = article.metadata.language
    blocks = list(article.blocks)
    simples = [shadow(b.text, language) for b in blocks]
    captions = {
        i: cut for i, b in enumerate(blocks) if b.text and (cut := _caption_cut(simples[i], b.text))
    }
    body = _body_lines(simples, captions)
    body_indexes = [i for i, is_body in enumerate(body) if is_body]
    first_body = body_indexes[0] if body_indexes else len(blocks)
    last_body = body_indexes[-1] if body_indexes else -1
    metadata = article.metadata
    edits: list[Edit] = []
    out: list[Block] = []
    texts = [b.text for b in blocks]

    def record(found: Found, removed: str, line: int | None) -> None:
        nonlocal metadata
        metadata = merge(metadata, found)
        edits.append(Edit(STEP, found.rule, "metadata", removed, describe(found), line))
        if found.date:
            edits.append(Edit(STEP, DATE_RULE, "metadata", removed,
                              f"date={found.date}", line))

    skip: set[int] = set()
    for index, block in enumerate(blocks):
        text, simple = block.text, simples[index]
        line = block.source_lines[0] if block.source_lines else None
        if index in skip:
            continue
        if not text:
            out.append(block)
            continue
        outside_body = index < first_body or index > last_body
        found = match_line(simple, text) or (_field_line(simple, text) if not body[index] else None)
        if found is None and reporter_only(simple):
            nxt = _next_text(blocks, index)
            if nxt is not None and (names := names_in(simples[nxt])):
                spans = name_spans(blocks[nxt].text) or []
                found = Found("credit.byline-two-lines",
                              authors=[_cut(blocks[nxt].text, s) for s in spans] or names,
                              newspaper=_reporter_paper(simple, text))
                record(found, text + "⏎" + blocks[nxt].text, line)
                skip.add(nxt)
                continue
        # A bare names line is a byline by position only; a block an earlier pass (or an
        # editor's TEI) typed keeps its type, so normalising twice changes nothing.
        if (
            found is None and block.kind == "line" and outside_body and not body[index]
            and _at_body_edge(index, body, texts)
        ):
            found = match_names_line(simple, text)
        if found:
            if found.rule == "photo.photographer-line":
                out = _credit_caption(out, found)
            record(found, text, line)
            continue
        if index in captions:
            caption, who, rule = captions[index]
            metadata = merge(metadata, Found(rule, credits=[Credit(who, "photographer", "摄")]))
            credit_text = text[len(caption) :].strip()
            edits.append(Edit(STEP, rule, "metadata", credit_text, f"photographer={who}", line))
            out.append(Block(block.kind, caption, block.source_lines, who))
            continue
        if lead := strip_lead_credit(simple, text):
            kept, byline = lead
            record(byline, _removed(text, kept), line)
            text = kept
            simple = shadow(text, language)
        # The last wrapped line of a paragraph is short, but carries the paragraph's credit.
        wrapped_end = (
            index > 0 and body[index - 1] and bool(blocks[index - 1].text)
            and has_sentence_punct(simple)
        )
        if body[index] or wrapped_end:
            nxt = _next_text(blocks, index)
            run_end = index == last_body or nxt is None or not body[nxt]
            kept, tails = strip_trailing_credits(simple, text, run_end)
            for tail, removed in tails:
                record(tail, removed, line)
            if tails:
                text = kept
        out.append(Block(block.kind, text, block.source_lines, block.credit))
    lines = [n for b in blocks if b.text for n in b.source_lines]
    for found, edit in _harvest_chrome(article, lines):
        metadata = merge(metadata, found)
        edits.append(Edit(STEP, found.rule, "metadata", edit.text, describe(found), edit.line))
    return article.evolve(metadata=metadata, blocks=out, edits=edits)


def _credit_caption(out: list[Block], found: Found) -> list[Block]:
    """A photographer's line under a one-line caption credits that caption."""
    previous = _previous_text(out, len(out))
    if previous is None or previous != len(out) - 1 or out[previous].credit:
        return out
    caption = out[previous]
    before = _previous_text(out, previous)
    if before == previous - 1 or len(caption.text) > PUNCTUATED_CAPTION_MAX:
        return out  # the line above is not a caption of its own (a wrapped one, or body)
    who = "、".join(c.name for c in found.credits)
    return [*out[:previous], Block(caption.kind, caption.text, caption.source_lines, who)]


def _removed(before: str, after: str) -> str:
    """The middle part of ``before`` that ``after`` lacks (same prefix and suffix)."""
    start = 0
    while start < len(after) and before[start] == after[start]:
        start += 1
    return before[start : start + len(before) - len(after)]
