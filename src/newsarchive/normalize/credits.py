"""Step: credits -> metadata. Bylines, editors, photographers and photo credits leave the text.

Rules live in ``data/credits.toml``; a list of surnames (``data/surnames.txt``) tells a
line of personal names ("王静 刘廷") from a short heading ("讲故事 说变化"). Matching runs on a
Simplified shadow of the line so that Traditional text (責編/劉艷梅) matches the same rules;
the names themselves are cut from the original line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from newsarchive.model import Article, Block, Credit, Edit, Metadata
from newsarchive.normalize._lines import ends_terminal, has_sentence_punct, load_data, load_list
from newsarchive.normalize.script import converter

STEP = "credits"
_SEPARATORS = re.compile(r"[^\s、，,]+")


@dataclass
class Found:
    """What one credit line (or credit tail) says."""

    rule: str
    authors: list[str] = field(default_factory=list)
    credits: list[Credit] = field(default_factory=list)
    newspaper: str | None = None
    affiliation: str | None = None


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


def _names_pattern() -> str:
    return str(_rules()["names"])


@cache
def _photo_rules() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple(
        (r["id"], re.compile(r["pattern"].replace("NAMES", _names_pattern())))
        for r in _rules()["photo"]  # type: ignore[union-attr]
    )


@cache
def _caption_rules() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple(
        (r["id"], re.compile(r["pattern"].replace("NAMES", _names_pattern())))
        for r in _rules()["caption_credit"]  # type: ignore[union-attr]
    )


@cache
def _editor_re() -> re.Pattern[str]:
    labels = "|".join(sorted(_rules()["editor_labels"], key=len, reverse=True))  # type: ignore[arg-type]
    # Names end where the next "label:" or the line ends ("编辑：张三 校对：李四").
    names = r"[\u4e00-\u9fff·]{2,4}(?:[\s、，,]+[\u4e00-\u9fff·]{2,4})*?"
    return re.compile(
        f"(?P<label>{labels})\\s*[:：/]\\s*(?P<names>{names})"
        f"(?=[\\s|｜/、，,;；]*(?:(?:{labels})\\s*[:：/]|$))"
    )


@cache
def _reporter_re() -> re.Pattern[str]:
    words = sorted(_rules()["reporter_words"], key=len, reverse=True)  # type: ignore[arg-type]
    return re.compile(
        f"(?P<org>[\u4e00-\u9fff]{{0,12}}?)(?P<word>{'|'.join(words)})[:：/]?(?P<name>.*)"
    )


def shadow(text: str, language: str) -> str:
    """Simplified form of ``text`` with the same length, for matching Simplified rules."""
    if language != "zh-Hant":
        return text
    simplified = converter("t2s").convert(text)
    return simplified if len(simplified) == len(text) else text


def names_in(text: str) -> list[str] | None:
    tokens = _SEPARATORS.findall(text)
    return tokens if tokens and all(is_name(t) for t in tokens) else None


def match_photo(text: str, original: str) -> Found | None:
    for rule, pattern in _photo_rules():
        if found := pattern.match(text):
            who = original[found.start("who") : found.end("who")].strip()
            label = original[found.start("label") : found.end("label")]
            return Found(rule, credits=[Credit(who, "photo-credit", label)])
    return None


def match_editors(text: str, original: str) -> Found | None:
    result = Found("credit.editor")
    position = 0
    for found in _editor_re().finditer(text):
        if text[position : found.start()].strip(" |｜/、，,;；"):
            return None
        names = names_in(found.group("names"))
        if not names:
            return None
        label = found.group("label")
        start = found.start("names")
        for name_match in _SEPARATORS.finditer(found.group("names")):
            name = original[start + name_match.start() : start + name_match.end()]
            result.credits.append(Credit(name, "editor", label))
        position = found.end()
    if not result.credits or text[position:].strip(" |｜/、，,;；"):
        return None
    return result


def match_byline(text: str, original: str) -> Found | None:
    """ "■中国城市报记者 郭文治 李彤彤", "本报记者 张三 通讯员 李四", "文/张三"."""
    bullets = str(_rules()["bullets"])
    body = text.lstrip(bullets + " ")
    offset = len(text) - len(body)
    prefix = re.match(r"(?:文|文字|撰文|文/图|图/文|文图)\s*[/:：·]\s*", body)
    result = Found("credit.byline")
    saw_reporter = bool(prefix)
    if prefix:
        offset += prefix.end()
        body = body[prefix.end() :]
    for token in _SEPARATORS.finditer(body):
        word = token.group()
        name_span = (offset + token.start(), offset + token.end())
        if not is_name(word):
            reporter = _reporter_re().fullmatch(word)
            if not reporter:
                return None
            saw_reporter = True
            org = reporter.group("org")
            if org.endswith(("报", "報")) and org not in ("本报", "本報"):
                result.newspaper = original[name_span[0] : name_span[0] + len(org)]
            if not reporter.group("name"):
                continue
            if not is_name(reporter.group("name")):
                return None
            name_span = (name_span[0] + reporter.start("name"), name_span[1])
        result.authors.append(original[name_span[0] : name_span[1]])
    return result if saw_reporter and result.authors else None


def match_names_line(text: str, original: str) -> Found | None:
    """A line of names only, optionally followed by a photo credit: "王静 刘廷 图片…提供"."""
    tokens = list(_SEPARATORS.finditer(text))
    for cut in range(len(tokens), 0, -1):
        head = [t.group() for t in tokens[:cut]]
        if not all(is_name(t) for t in head) or len(head) > 8:
            continue
        authors = [original[t.start() : t.end()] for t in tokens[:cut]]
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


_TRAILING_PAREN = re.compile(r"[(（](?P<inner>[^()（）]{1,60})[)）]\s*$")


def strip_trailing_credits(text: str, original: str) -> tuple[str, list[Found]]:
    """Peel "(作者系…)", "(责编/…)", "(韩慧林)" off the end of a closing paragraph."""
    found_all: list[Found] = []
    while match := _TRAILING_PAREN.search(text):
        before = text[: match.start()].rstrip()
        if not before or not ends_terminal(before):
            break
        inner = match.group("inner")
        inner_original = original[match.start("inner") : match.end("inner")]
        if inner.startswith("作者系") or inner.startswith("作者为"):
            found = Found("credit.affiliation", affiliation=inner_original[3:].strip())
        elif editors := match_editors(inner, inner_original):
            found = editors
            found.rule = "credit.trailing-editor"
        elif names_in(inner):
            found = Found(
                "credit.trailing-author",
                authors=[inner_original[m.start() : m.end()] for m in _SEPARATORS.finditer(inner)],
            )
        elif byline := match_byline(inner, inner_original):
            found = byline
            found.rule = "credit.trailing-byline"
        else:
            break
        found_all.insert(0, found)
        text, original = text[: match.start()].rstrip(), original[: match.start()].rstrip()
    return original, found_all


def caption_credit(text: str, original: str) -> tuple[str, str, str] | None:
    """(caption without credit, photographer, rule) for "开展廉洁主题教育 摄/汪新"."""
    for rule, pattern in _caption_rules():
        found = pattern.search(text)
        if found and found.start() > 0 and names_in(found.group("who")):
            who = original[found.start("who") : found.end("who")]
            return original[: found.start()].rstrip(), who, rule
    return None


def _is_body(text: str) -> bool:
    return has_sentence_punct(text) and len(text) >= 21


def _merge(metadata: Metadata, found: Found) -> Metadata:
    if found.authors:
        authors = tuple(dict.fromkeys(metadata.authors + tuple(found.authors)))
        metadata = metadata.with_field("authors", authors, "text")
    if found.credits:
        credits = tuple(dict.fromkeys(metadata.credits + tuple(found.credits)))
        metadata = metadata.with_field("credits", credits, "text")
    if found.newspaper and metadata.newspaper is None:
        metadata = metadata.with_field("newspaper", found.newspaper, "text")
    if found.affiliation and metadata.author_affiliation is None:
        metadata = metadata.with_field("author_affiliation", found.affiliation, "text")
    return metadata


def _describe(found: Found) -> str:
    parts = [f"author={a}" for a in found.authors]
    parts += [f"{c.role}={c.name}" for c in found.credits]
    if found.newspaper:
        parts.append(f"newspaper={found.newspaper}")
    if found.affiliation:
        parts.append(f"affiliation={found.affiliation}")
    return ", ".join(parts)


# A caption that carries sentence punctuation still ends in its photographer ("…会见某国总统。
# 新华社记者 王五 摄"); up to this length such a line is taken for a caption.
PUNCTUATED_CAPTION_MAX = 90


@cache
def _lead_re() -> re.Pattern[str]:
    return re.compile(str(_rules()["lead_credit"]))


def _caption_cut(simple: str, text: str) -> tuple[str, str, str] | None:
    if has_sentence_punct(simple) and len(simple) > PUNCTUATED_CAPTION_MAX:
        return None
    return caption_credit(simple, text)


def strip_lead_credit(simple: str, text: str) -> tuple[str, Found] | None:
    """ "新华社北京5月1日电（记者张三、李四）国家主席…" -> the text without the credit."""
    found = _lead_re().match(simple)
    if not found:
        return None
    inner, inner_text = found.group("inner"), text[found.start("inner") : found.end("inner")]
    byline = match_byline(inner, inner_text)
    if byline is None:
        return None
    byline.rule = "credit.dateline-byline"
    return text[: found.end("lead")] + text[found.end() :], byline


def extract_credits(article: Article) -> Article:
    language = article.metadata.language
    captions = {
        i: cut for i, b in enumerate(article.blocks)
        if b.text and (cut := _caption_cut(shadow(b.text, language), b.text))
    }
    body_indexes = [
        i for i, b in enumerate(article.blocks) if _is_body(b.text) and i not in captions
    ]
    first_body = body_indexes[0] if body_indexes else len(article.blocks)
    last_body = body_indexes[-1] if body_indexes else -1
    metadata = article.metadata
    edits: list[Edit] = []
    blocks: list[Block] = []
    for index, block in enumerate(article.blocks):
        text = block.text
        line = block.source_lines[0] if block.source_lines else None
        if not text:
            blocks.append(block)
            continue
        simple = shadow(text, language)
        outside_body = index < first_body or index > last_body
        found = (
            match_editors(simple, text)
            or (None if has_sentence_punct(simple) else match_byline(simple, text))
            or match_photo(simple, text)
            or (match_names_line(simple, text) if outside_body else None)
        )
        if found:
            metadata = _merge(metadata, found)
            edits.append(Edit(STEP, found.rule, "metadata", text, _describe(found), line))
            continue
        if index in captions:
            caption, who, rule = captions[index]
            metadata = _merge(metadata, Found(rule, credits=[Credit(who, "photographer", "摄")]))
            credit_text = text[len(caption) :].strip()
            edits.append(Edit(STEP, rule, "metadata", credit_text, f"photographer={who}", line))
            blocks.append(Block(block.kind, caption, block.source_lines, who))
            continue
        if index == first_body and (lead := strip_lead_credit(simple, text)):
            kept, byline = lead
            metadata = _merge(metadata, byline)
            removed = _removed(text, kept)
            edits.append(Edit(STEP, byline.rule, "metadata", removed, _describe(byline), line))
            text = kept
            simple = shadow(text, language)
        if index == last_body:
            kept, tails = strip_trailing_credits(simple, text)
            for tail in tails:
                metadata = _merge(metadata, tail)
                removed = text[len(kept) :].strip()
                edits.append(Edit(STEP, tail.rule, "metadata", removed, _describe(tail), line))
            if tails:
                text = kept
        blocks.append(Block(block.kind, text, block.source_lines, block.credit))
    return article.evolve(metadata=metadata, blocks=blocks, edits=edits)


def _removed(before: str, after: str) -> str:
    """The middle part of ``before`` that ``after`` lacks (same prefix and suffix)."""
    start = 0
    while start < len(after) and before[start] == after[start]:
        start += 1
    return before[start : start + len(before) - len(after)]
