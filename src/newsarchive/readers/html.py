"""Reader for saved web pages: HTML bytes -> Article of typed blocks and page metadata.

Main-content extraction is trafilatura's (the well-kept library made for the job); around
it sit our own rules: the encoding checked against the bytes, the headline found where the
page prints it (the ``<title>`` minus the site suffix), dates from the page's meta tags or
its URL, captions told from paragraphs (a paragraph right after an image that repeats the
image's alt text or is short), link lists and what follows the closing editor line dropped.
Every block records the line of the source HTML it came from, so every later edit is
locatable in the page; what the reader drops is recorded as an ``Edit`` of step ``html``.

Nothing is fetched: trafilatura only parses the string it is given, and images, frames and
scripts are never loaded.
"""

from __future__ import annotations

import bisect
import codecs
import hashlib
import html as html_lib
import re
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from lxml import html as lxml_html

from newsarchive.errors import InputError
from newsarchive.fsio import display_name
from newsarchive.model import Article, Block, Edit, Metadata
from newsarchive.normalize._lines import han_count, has_sentence_punct
from newsarchive.readers.text import BOMS, check_size, decode

STEP = "html"

_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I
)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]{0,200}\?>", re.I)
# Declared names that mean a wider encoding in practice (browsers do the same).
_WIDER = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "big5": "big5hkscs",
    "iso-8859-1": "windows-1252",
    "latin1": "windows-1252",
    "ascii": "windows-1252",
    "us-ascii": "windows-1252",
}
# Elements whose content is never article text.
_INVISIBLE = {
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "object",
    "embed",
    "svg",
    "head",
    "title",
    "select",
    "option",
    "button",
    "textarea",
}
# "Title - Section - Site" / "Title_Site" / "Title | Site"
_TITLE_SEPARATORS = re.compile(r"\s+[-|–—·]\s+|\s*[_|｜]\s*|\s+-\s*|-(?=[^-]{2,16}$)")
_URL_DATE = re.compile(r"(?<!\d)(20\d\d|19\d\d)[/-]?([01]\d)[/-]?([0-3]\d)(?!\d)")
_ISO_DATE = re.compile(r"(20\d\d|19\d\d)[-/.年]\s?(\d{1,2})[-/.月]\s?(\d{1,2})")
_DATE_META = (
    "article:published_time",
    "pubdate",
    "publishdate",
    "publish_date",
    "publishtime",
    "datepublished",
    "date",
    "dc.date",
    "dc.date.issued",
    "sailthru.date",
    "og:published_time",
    "parsely-pub-date",
    "release_date",
)
_TITLE_META = ("articletitle", "og:title", "twitter:title", "title", "headline")
_SOURCE_META = ("contentsource", "source", "og:site_name", "application-name", "publisher")
_SOURCE_LABEL = re.compile(r"(?:来源|來源|稿源)\s*(?:于|於)?\s*[:：]\s*([^\s:：|｜/]{2,20})")
# libxml2 stops nesting elements at 256 levels (a guard against hostile pages).
MAX_DEPTH = 255
CAPTION_MAX = 60  # longest caption set below an image without a cue (measured: 15–45)


@dataclass
class Item:
    """One block of trafilatura's output, before it becomes a Block."""

    kind: str  # heading | p | item | row | image
    text: str
    alt: str = ""
    link_share: float = 0.0  # share of the text inside links
    line: int | None = None
    pos: int = -1  # offset in the page's text (document order)


def looks_like_html(data: bytes) -> bool:
    """A page saved without an .html suffix (a WARC payload, stdin)."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return (
        head.startswith((b"<!doctype html", b"<html", b"<?xml")) and b"<html" in data[:4096].lower()
    )


# --------------------------------------------------------------------------- encoding


def _declared_wrong(declared: str, why: str) -> Edit:
    return Edit(STEP, "encoding.declared-wrong", "flag", declared, why, None)


def decode_html(data: bytes, name: str) -> tuple[str, str, list[Edit]]:
    """(text, encoding, notes): the BOM first, then ``<meta charset>`` checked against the
    bytes (a page that declares GB2312 but is valid UTF-8 is UTF-8), then detection."""
    notes: list[Edit] = []
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding.replace("-sig", "") + " (BOM)", notes
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"undecodable {encoding} after its BOM: {exc.reason}", name
                ) from exc
    found = _META_CHARSET.search(data[:8192])
    declared = found.group(1).decode("ascii").lower() if found else None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        if declared and codecs_name(declared) not in ("utf-8", None):
            notes.append(_declared_wrong(declared, "the bytes are valid UTF-8: read as UTF-8"))
        return text, "utf-8", notes
    if declared and (codec := codecs_name(declared)):
        try:
            return data.decode(codec), codec, notes
        except UnicodeDecodeError:
            notes.append(_declared_wrong(declared, "the bytes do not decode as declared: detected"))
    text, encoding = decode(data, name)
    return text, encoding, notes


def codecs_name(declared: str) -> str | None:
    declared = _WIDER.get(declared, declared)
    try:
        return codecs.lookup(declared).name.replace("_", "-")
    except LookupError:
        return None


# --------------------------------------------------------------------------- source text


_HIDDEN_SPAN = re.compile(
    r"<(script|style|noscript|template)\b[^>]*>.*?</\1\s*>|<!--.*?-->|<[^>]*>", re.I | re.S
)


def visible_lines(text: str) -> str:
    """The page's text with markup removed, line for line: line N is what line N of the HTML
    shows, so that the review page and every edit's line number point into the HTML."""

    def keep_newlines(found: re.Match[str]) -> str:
        return "\n" * found.group(0).count("\n")

    stripped = _HIDDEN_SPAN.sub(keep_newlines, text)
    return "\n".join(
        re.sub(r"[ \t\u3000\xa0]+", " ", html_lib.unescape(line)).strip()
        for line in stripped.split("\n")
    )


class SourceIndex:
    """Text of the parsed page without whitespace, with the source line of every piece:
    finds the HTML line an extracted block came from."""

    def __init__(self, root: etree._Element) -> None:
        parts: list[str] = []
        self.starts: list[int] = []
        self.lines: list[int] = []
        offset = 0
        for el, text in _text_pieces(root):
            piece = _squash(text)
            if not piece:
                continue
            self.starts.append(offset)
            self.lines.append(el.sourceline or 0)
            parts.append(piece)
            offset += len(piece)
        self.text = "".join(parts)
        self.cursor = 0

    def locate(self, text: str, *, move: bool = True) -> tuple[int | None, int]:
        """(source line, offset in the page text) of ``text``; (None, -1) if not found."""
        probe = _squash(text)[:24]
        if not probe:
            return None, -1
        pos = self.text.find(probe, self.cursor)
        if pos < 0:
            pos = self.text.find(probe)
        if pos < 0:
            return None, -1
        if move:
            self.cursor = pos
        return self.lines[bisect.bisect_right(self.starts, pos) - 1] or None, pos


def _text_pieces(root: etree._Element):  # type: ignore[no-untyped-def]
    for el in root.iter():
        if not isinstance(el.tag, str):
            if el.tail:
                yield el, el.tail
            continue
        tag = el.tag.lower()
        if tag not in _INVISIBLE and el.text:
            yield el, el.text
        if el.tail:
            yield el, el.tail


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --------------------------------------------------------------------------- metadata


def _meta(root: etree._Element) -> dict[str, str]:
    """name/property -> content of the page's <meta> tags (first one wins), lower-cased keys."""
    found: dict[str, str] = {}
    for el in root.iter("meta"):
        content = (el.get("content") or "").strip()
        if not content:
            continue
        for attr in ("property", "name", "itemprop"):
            key = (el.get(attr) or "").strip().lower()
            if key and key not in found:
                found[key] = content
    return found


def _first(meta: dict[str, str], keys: tuple[str, ...]) -> str | None:
    return next((meta[k] for k in keys if meta.get(k)), None)


def iso_date(text: str | None) -> str | None:
    if not text:
        return None
    found = _ISO_DATE.search(text) or _URL_DATE.search(text)
    if not found:
        return None
    year, month, day = (int(g) for g in found.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def page_title(root: etree._Element) -> str:
    title = root.find(".//title")
    return _clean(title.text_content()) if title is not None else ""


def headline(title: str, meta: dict[str, str], candidates: list[str]) -> str | None:
    """The headline: the longest text the page prints that the <title> (or og:title)
    starts with, else the title's first part before a site/section separator."""
    titles = [t for t in (_first(meta, ("articletitle",)), meta.get("og:title"), title) if t]
    for full in titles:
        squashed = _squash(full)
        best = max(
            (c for c in candidates if len(_squash(c)) >= 4 and squashed.startswith(_squash(c))),
            key=len,
            default=None,
        )
        if best:
            return best
    for full in titles:
        first = _TITLE_SEPARATORS.split(full)[0].strip()
        if len(first) >= 4:
            return first
    return None


def site_name(meta: dict[str, str], page_text: str) -> str | None:
    source = _first(meta, _SOURCE_META)
    if source and not source.startswith("http"):
        source = re.sub(r"^(?:来源|來源)\s*[:：]\s*", "", source)
        return _TITLE_SEPARATORS.split(source)[0].split()[0].strip() or None
    if found := _SOURCE_LABEL.search(page_text):
        return found.group(1)
    return None


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# --------------------------------------------------------------------------- extraction


# Never article text, whatever a fallback inside says ("请开启脚本", an iframe's filler).
_DROP_TAGS = ("noscript", "iframe", "frame", "object", "embed", "template", "applet")


def _cleaned(root: etree._Element) -> etree._Element:
    """A copy of the page without fallback content and hidden elements, for the extractor."""
    copy = deepcopy(root)
    doomed = [el for el in copy.iter(*_DROP_TAGS)]
    doomed += [
        el
        for el in copy.iter()
        if isinstance(el.tag, str) and el.get("style") and _hidden_style(el.get("style") or "")
    ]
    for el in doomed:
        if el.getparent() is not None:
            el.drop_tree()  # keeps the tail text, which belongs to the parent
    return copy


def _hidden_style(style: str) -> bool:
    style = style.replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style


def _extract(page: str) -> etree._Element | None:
    import trafilatura  # imported on first use: it is slow to import

    xml = trafilatura.extract(
        page,
        output_format="xml",
        include_comments=False,
        include_tables=True,
        include_images=True,
        include_links=True,
        include_formatting=True,
        favor_recall=True,
        deduplicate=False,
        with_metadata=False,
    )
    if not xml:
        return None
    return etree.fromstring(xml.encode("utf-8"), etree.XMLParser(recover=True, huge_tree=False))


def _text_of(el: etree._Element) -> tuple[str, float]:
    whole = _clean("".join(el.itertext()))
    linked = sum(len(_clean("".join(r.itertext()))) for r in el.iter("ref"))
    return whole, (linked / len(whole) if whole else 0.0)


def _all_bold(el: etree._Element) -> bool:
    """Every character of the element is set in bold (a heading the page did not mark up)."""
    whole = _squash("".join(el.itertext()))
    bold = "".join(
        _squash("".join(h.itertext())) for h in el.iter("hi") if "#b" in (h.get("rend") or "")
    )
    return bool(whole) and bold == whole


def _items(doc: etree._Element) -> list[Item]:
    """trafilatura's <main> as a flat list in reading order."""
    main = doc.find("main")
    if main is None:
        return []
    items: list[Item] = []

    def images(el: etree._Element) -> None:
        for g in el.iter("graphic"):
            items.append(Item("image", "", alt=_clean(g.get("alt") or g.get("title") or "")))

    def paragraph(el: etree._Element) -> None:
        images(el)
        text, share = _text_of(el)
        if text:
            kind = "bold" if _all_bold(el) else "p"
            items.append(Item(kind, text, link_share=share))

    def walk(el: etree._Element) -> None:
        tag = el.tag
        if tag == "graphic":
            images(el)
        elif tag == "head":
            text, share = _text_of(el)
            items.append(Item("heading", text, link_share=share))
        elif tag in ("p", "quote"):
            paragraph(el)
        elif tag == "list":
            for item in el.iter("item"):
                text, share = _text_of(item)
                images(item)
                if text:
                    items.append(Item("item", text, link_share=share))
        elif tag == "table":
            for row in el.iter("row"):
                cells = list(row.iter("cell"))
                if any(c.find("p") is not None or c.find("head") is not None for c in cells):
                    for cell in cells:  # a layout table: the page's paragraphs sit in it
                        if cell.text and cell.text.strip():
                            items.append(Item("row", _clean(cell.text)))
                        for child in cell:
                            walk(child)
                            if child.tail and child.tail.strip():
                                items.append(Item("row", _clean(child.tail)))
                    continue
                images(row)
                text = " ".join(t for c in cells if (t := _clean("".join(c.itertext()))))
                if text:
                    share = _text_of(row)[1]
                    kind = (
                        "bold"
                        if all(_all_bold(c) for c in cells if "".join(c.itertext()).strip())
                        else "row"
                    )
                    items.append(Item(kind, text, link_share=share))
        elif tag in ("lb", "ref", "hi"):
            return
        elif tag == "div" or any(c.tag in _BLOCK_TAGS for c in el):
            walk_children(el)  # a container: its blocks one by one
        else:
            paragraph(el)

    def walk_children(parent: etree._Element) -> None:
        if parent.text and parent.text.strip() and parent.tag != "main":
            items.append(Item("p", _clean(parent.text)))
        for child in parent:
            walk(child)
            # Loose text after an image is its caption when it says so; other loose text
            # is the extractor's leftover (a player's clock, a widget's label).
            tail = _clean(child.tail or "")
            if tail and child.tag == "graphic" and _CAPTION_CUE.search(tail):
                items.append(Item("p", tail))

    walk_children(main)
    return items


def _centred(el: etree._Element) -> bool:
    style = (el.get("style") or "").replace(" ", "").lower()
    return (
        el.tag == "center"
        or (el.get("align") or "").lower() == "center"
        or ("text-align:center" in style)
    )


# A line that is only a 《title》 names a work (a poem, a book): a heading, not a caption.
_WORK_TITLE = re.compile(r"^[《〈「『][^》〉」』]{1,30}[》〉」』]$")


def _hidden(el: etree._Element) -> bool:
    for node in (el, *el.iterancestors()):
        style = (node.get("style") or "").replace(" ", "").lower()
        if (
            "display:none" in style
            or "visibility:hidden" in style
            or node.get("hidden") is not None
        ):
            return True
    return False


def _after_image_slot(el: etree._Element) -> bool:
    """The element right before is a centred image, or a centred element left empty (the
    saved page lost its image)."""
    before = el.getprevious()
    if before is None or not isinstance(before.tag, str) or not _centred(before):
        return False
    return before.find(".//img") is not None or not _squash(before.text_content())


def _recover_captions(root: etree._Element, index: SourceIndex, items: list[Item]) -> list[Item]:
    """Captions the extractor dropped: a <figcaption>, or a short centred line without links
    set between the body paragraphs (how Chinese CMS pages caption a photo)."""
    body = [it.pos for it in items if it.kind == "p" and _is_body(it.text) and it.pos >= 0]
    if not body:
        return items
    have = "".join(_squash(it.text) + "\x00" for it in items)
    by_text = {_squash(it.text): it for it in items if it.kind in ("p", "bold")}
    found: list[Item] = []
    seen: set[str] = set()
    for el in root.iter("figcaption", "center", "p", "div", "span", "strong", "font", "td"):
        if el.tag != "figcaption" and not _centred(el):
            continue
        if _hidden(el):
            continue
        text = _clean(el.text_content())
        squashed = _squash(text)
        if (
            (it := by_text.get(squashed)) is not None
            and len(squashed) <= 40
            and not has_sentence_punct(text)
            and not _WORK_TITLE.match(squashed)
            and _after_image_slot(el)
        ):
            it.kind = "caption"  # a centred line under a centred image (or its empty slot)
            continue
        limit = 2 * CAPTION_MAX if el.tag == "figcaption" else 40
        if not (2 <= len(squashed) <= limit) or squashed in seen or squashed in have:
            continue
        if el.tag != "figcaption" and (el.find(".//a") is not None or has_sentence_punct(text)):
            continue
        line, pos = index.locate(text, move=False)
        low = body[0] if el.tag != "figcaption" else min(it.pos for it in items if it.pos >= 0)
        if pos < 0 or not (low <= pos <= body[-1]):
            continue
        seen.add(squashed)
        found.append(Item("caption", text, line=line, pos=pos))
    if not found:
        return items
    found.sort(key=lambda it: it.pos)
    merged: list[Item] = []
    for it in items:
        while found and it.pos >= 0 and found[0].pos <= it.pos:
            merged.append(found.pop(0))
        merged.append(it)
    return merged + found


_BLOCK_TAGS = frozenset({"p", "head", "list", "table", "graphic", "quote", "div"})


def _is_body(text: str) -> bool:
    return has_sentence_punct(text) and han_count(text) >= 15


def _same(a: str, b: str) -> bool:
    a, b = _squash(a).rstrip("。."), _squash(b).rstrip("。.")
    return bool(a) and bool(b) and (a == b or (len(b) >= 8 and a.startswith(b)))


# A caption set below an image says so: a photographer, "图为", or it is a sentence.
_CAPTION_CUE = re.compile(
    r"摄|攝|图为|圖為|图：|圖：|截图|截圖|供图|供圖|提供|资料图|資料圖|[。！？]$"
)
# An editor credit, alone or closing the last paragraph: the story ends there.
_EDITOR_END = re.compile(
    r"[（(【\[〔]?\s*(?:责任编辑|責任編輯|责编|責編|编辑|編輯|审核|審核|校对|校對)\s*[:：]\s*"
    r"[^（）()【】\[\]]{1,30}[）)】\]〕]?\s*\d{0,8}\s*$"
)
_SENTENCE_END = ("。", "！", "？", "…", "!", "?", ".")
_GALLERY_COUNTER = re.compile(r"^\d{1,3}\s*/\s*\d{1,3}$")
# "发布日期：2019-03-06 责任编辑：某某": several labelled fields on one line.
_LABEL_FIELD = re.compile(r"(?:(?<=\s)|^)[\u4e00-\u9fff]{2,6}\s*[:：]")
_DATE_LABEL = re.compile(
    r"(?:发布|發布|发表|發表|更新|出版|刊登)?(?:日期|时间|時間)\s*[:：]\s*"
    r"((?:19|20)\d\d[-/.年]\s?\d{1,2}[-/.月]\s?\d{1,2})"
)
_SOURCE_LINE = re.compile(r"^(?:来源|來源|稿源)(?:于|於)?\s*[:：]\s*(\S{2,20})$")


def _is_page_chrome(text: str) -> bool:
    """A copyright notice or another line the chrome rules remove: it does not extend the
    body (a footer in sentences, letter-spaced: "版 权 所 有 ，未 经 授 权…")."""
    from newsarchive.normalize.chrome import match_line
    from newsarchive.normalize.script import converter

    return match_line(converter("t2s").convert(_squash(text))) is not None


def _counts_as_body(it: Item) -> bool:
    """Body text: a paragraph (or a list item or table row that is not a link) in sentences."""
    if it.kind not in ("p", "item", "row") or (it.kind != "p" and it.link_share > 0.3):
        return False
    return _is_body(it.text) and not _is_page_chrome(it.text)


def _split_fields(text: str) -> list[str]:
    """A short line of labelled fields -> one piece per field (so each rule sees its own)."""
    if len(text) > 80 or has_sentence_punct(text):
        return [text]
    starts = [m.start() for m in _LABEL_FIELD.finditer(text)]
    if len(starts) < 2:
        return [text]
    pieces = [text[: starts[0]]] if starts[0] else []
    pieces += [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]
    return [p.strip() for p in pieces if p.strip()]


def _blocks(items: list[Item], title: str | None) -> tuple[list[Block], list[Edit], dict[str, str]]:
    """Blocks for the normaliser, what was dropped (as edits), and facts for the metadata."""
    blocks: list[Block] = []
    edits: list[Edit] = []
    facts: dict[str, str] = {}
    body = [i for i, it in enumerate(items) if _counts_as_body(it)]
    first_body = body[0] if body else len(items)
    last_body = body[-1] if body else -1
    end = len(items)
    # The story ends with its editor line: what follows is the site's (related links,
    # copyright, app promotion). A heading or a list after the last body paragraph that
    # no body text follows is a widget's title ("新闻评论", "相关阅读") or its links.
    for i in range(first_body, len(items)):
        it = items[i]
        if it.kind != "image" and _EDITOR_END.search(it.text):
            end = i + 1
            break
        if i > last_body and (it.kind in ("heading", "item") or it.link_share > 0.5):
            end = i
            break
    pending_alt: str | None = None

    def add(kind: str, text: str, lines: tuple[int, ...]) -> None:
        blocks.append(Block("line", "", lines))
        blocks.append(Block(kind, text, lines))  # type: ignore[arg-type]

    for i, it in enumerate(items):
        lines = (it.line,) if it.line else ()
        if i >= end:
            if it.kind != "image":
                edits.append(Edit(STEP, "html.after-story", "remove", it.text, "", it.line))
            continue
        if it.kind == "image":
            pending_alt = it.alt
            continue
        after_image, alt = pending_alt is not None, pending_alt or ""
        pending_alt = None
        before_body = i < first_body
        if title and _squash(it.text) == _squash(title) and i <= first_body:
            edits.append(Edit(STEP, "html.headline", "remove", it.text, "title", it.line))
            continue
        if title and before_body and _squash(it.text).startswith(_squash(title)):
            # the headline and a field after it in one cell ("标题 来源于：某办事处")
            edits.append(Edit(STEP, "html.headline", "remove", title, "title", it.line))
            it.text = it.text[len(title) :].strip() if it.text.startswith(title) else it.text
        if it.link_share > 0.5 and not _is_body(it.text):
            edits.append(Edit(STEP, "html.link-list", "remove", it.text, "", it.line))
            continue
        if _GALLERY_COUNTER.match(it.text):
            edits.append(Edit(STEP, "html.gallery-counter", "remove", it.text, "", it.line))
            continue
        pieces = _split_fields(it.text) if it.kind in ("p", "row", "bold") else [it.text]
        for piece in pieces:
            if found := _DATE_LABEL.search(piece):
                facts.setdefault("date", found.group(1))
                if len(piece) - len(found.group(0)) < 4:
                    edits.append(Edit(STEP, "html.date-line", "metadata", piece, "date", it.line))
                    continue
            if (found := _SOURCE_LINE.match(piece)) and not _is_body(piece):
                facts.setdefault("source", found.group(1))
                edits.append(
                    Edit(STEP, "html.source-line", "metadata", piece, "newspaper", it.line)
                )
                continue
            if it.kind == "heading":
                add("heading", piece, lines)
            elif it.kind == "caption":
                add("figure", piece, lines)
                edits.append(
                    Edit(STEP, "html.caption-recovered", "classify", piece, "figure", it.line)
                )
            elif (
                after_image
                and not _EDITOR_END.search(piece)
                and (
                    _same(alt, piece)
                    or (
                        len(piece) <= CAPTION_MAX and i != first_body and _CAPTION_CUE.search(piece)
                    )
                )
            ):
                add("figure", piece, lines)
                edits.append(
                    Edit(STEP, "html.caption-below-image", "classify", piece, "figure", it.line)
                )
            elif it.kind == "bold" and len(piece) <= 40 and not piece.endswith(_SENTENCE_END):
                add("heading", piece, lines)
            elif it.kind in ("item", "row"):
                # a list or a table keeps one block per item/row: never run into prose
                add("paragraph" if _is_body(piece) else "line", piece, lines)
            else:
                add("line", piece, lines)
    return blocks, edits, facts


# --------------------------------------------------------------------------- reader


def read_html(
    data: bytes,
    name: str,
    *,
    max_bytes: int | None = None,
    url: str | None = None,
    capture_date: str | None = None,
) -> Article:
    """The Article of one saved page (``url``/``capture_date`` from a WARC record)."""
    check_size(data, name, max_bytes)
    if not data.strip():
        raise InputError("empty file (no text)", name)
    if b"\x00" in data[:4096] and not data.startswith(tuple(b for b, _ in BOMS)):
        raise InputError("binary file (contains NUL bytes), not a web page", name)
    text, encoding, notes = decode_html(data, name)
    text = _XML_DECL.sub("", text, count=1)
    try:
        root = lxml_html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise InputError(f"not an HTML page ({exc})", name) from exc
    if root.find(".//frameset") is not None and root.find(".//body") is None:
        raise InputError(
            "a frameset page: the article is in its frames, which are not fetched", name
        )
    meta = _meta(root)
    title_text = page_title(root)
    index = SourceIndex(root)
    doc = _extract(lxml_html.tostring(_cleaned(root), encoding="unicode"))
    items = _items(doc) if doc is not None else []
    for it in items:
        if it.text:
            it.line, it.pos = index.locate(it.text)
    items = _recover_captions(root, index, items)
    if not any(it.text for it in items):
        raise InputError(_why_empty(root), name)
    candidates = [
        _clean(el.text_content())
        for el in root.iter("h1", "h2", "h3", "strong", "b", "p", "div", "td", "span")
        if len(el) < 4 and el.text_content() and len(el.text_content()) < 200
    ]
    candidates += [it.text for it in items if it.kind in ("heading", "p")]
    title = headline(title_text, meta, candidates)
    blocks, edits, facts = _blocks(items, title)
    body_text = root.find("body")
    page_text = _clean(body_text.text_content()) if body_text is not None else ""
    canonical = next(
        (
            el.get("href")
            for el in root.iter("link")
            if (el.get("rel") or "").lower() == "canonical" and el.get("href")
        ),
        None,
    )
    page_url = url or canonical or meta.get("og:url")
    date = (
        iso_date(_first(meta, _DATE_META))
        or iso_date(facts.get("date"))
        or (
            iso_date(_URL_DATE.search(page_url).group(0))
            if page_url and _URL_DATE.search(page_url)
            else None
        )
        or _date_near_title(page_text, title)
    )
    metadata = Metadata(
        source_file=display_name(Path(name).name),
        source_sha256=hashlib.sha256(data).hexdigest(),
        source_encoding=encoding,
    )
    if title:
        metadata = metadata.with_field("title", title, "text")
        edits.append(Edit(STEP, "html.title", "metadata", title_text or title, title, None))
    if date:
        metadata = metadata.with_field("date", date, "text")
    if newspaper := facts.get("source") or site_name(meta, page_text):
        metadata = metadata.with_field("newspaper", newspaper, "text")
    if page_url:
        metadata = metadata.with_field("url", page_url, "text")
    if capture_date:
        edits.append(Edit(STEP, "warc.capture", "metadata", capture_date, "capture date", None))
    source = visible_lines(text)
    if credit := _editor_below(items, blocks, source):
        blocks.append(Block("line", "", (credit[1],)))
        blocks.append(Block("line", credit[0], (credit[1],)))
        edits.append(Edit(STEP, "html.editor-below", "restore", credit[0],
                          "the editor credit the extractor left out", credit[1]))
    return Article(
        metadata=metadata, blocks=tuple(blocks), provenance=tuple(notes + edits), source_text=source
    )


# An editor label, its name on the same line or the next ("责任编辑：" / "某某某").
_EDITOR_LABEL = re.compile(
    r"^[（(【\[〔]?\s*(?P<label>责任编辑|責任編輯|责编|責編|编辑|編輯)\s*[:：]\s*"
    r"(?P<name>[^（）()【】\[\]\s:：，。]{0,12})\s*[）)】\]〕]?$"
)
_NAME_LINE = re.compile(r"^[\u4e00-\u9fff·]{2,4}(?:[、，,\s][\u4e00-\u9fff·]{2,4}){0,3}$")
EDITOR_WINDOW = 15  # visible lines below the last paragraph where its editor credit stands


def _editor_below(
    items: list[Item], blocks: list[Block], source: str
) -> tuple[str, int] | None:
    """The editor credit printed below the story's last paragraph, which the extractor may
    leave out with the page furniture around it (the name often sits in its own node)."""
    if any(_EDITOR_END.search(b.text) for b in blocks if b.text):
        return None
    last = max((it.line for it in items if it.line and _counts_as_body(it)), default=None)
    if last is None:
        return None
    lines = source.split("\n")
    seen = 0
    for number in range(last, len(lines)):
        if not lines[number]:
            continue  # markup only: the line count of HTML says nothing
        seen += 1
        if seen > EDITOR_WINDOW:
            return None
        found = _EDITOR_LABEL.match(lines[number])
        if not found:
            continue
        name, at = found.group("name"), number + 1
        if not name:
            following = next((n for n in range(number + 1, len(lines)) if lines[n]), None)
            if following is None or not _NAME_LINE.match(lines[following]):
                return None
            name = lines[following]
        return f"{found.group('label')}：{name}", at
    return None


def _date_near_title(page_text: str, title: str | None) -> str | None:
    """A page without date meta tags prints its date below the headline."""
    if not page_text:
        return None
    start = page_text.find(title) if title else -1
    window = page_text[max(0, start) : max(0, start) + 400] if start >= 0 else page_text[:2000]
    return iso_date(window)


def _depth(root: etree._Element, limit: int) -> int:
    """Nesting depth of the parsed page, counted up to ``limit`` (linear in the page)."""
    deepest = depth = 0
    for event, _ in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        deepest = max(deepest, depth)
        if deepest >= limit:
            break
    return deepest


def _why_empty(root: etree._Element) -> str:
    if _depth(root, MAX_DEPTH) >= MAX_DEPTH:
        return (
            f"markup nested too deeply (over {MAX_DEPTH} levels): the parser stops there, "
            "no article text before it"
        )
    body = root.find("body")
    if body is None:
        return "no article text: the page has no body"
    text = _clean(body.text_content())
    if not text and body.find(".//img") is not None:
        return "no article text: the page shows only images"
    if body.find(".//iframe") is not None and len(text) < 200:
        return "no article text: the article is in a frame, which is not fetched"
    return "no article text: nothing in the page reads as an article"


def unify_page_metadata(article: Article) -> Article:
    """The headline and site name come from the page's markup, not its text blocks, so the
    script step did not see them: convert them as it converted the text."""
    from newsarchive.normalize.script import TARGETS, converter

    md = article.metadata
    target = next((cfg for cfg, lang in TARGETS.values() if lang == md.language), None)
    if md.source_script in (None, "none", md.language) or target is None:
        return article
    convert = converter(target).convert
    edits: list[Edit] = []
    for field in ("title", "newspaper", "subtitle"):
        value = getattr(md, field)
        if value and md.source_of(field) == "text" and (new := convert(value)) != value:
            md = md.with_field(field, new, "text")
            edits.append(Edit("script", f"opencc.{target}", "convert", value, new, None))
    return article.evolve(metadata=md, edits=edits) if edits else article
