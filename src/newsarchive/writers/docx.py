"""DOCX writer: an :class:`Article` as a styled, Chinese-aware Word document (python-docx).

Everything is carried by named styles (Title, Subtitle, Heading 2, Body Text, Caption and
the custom Byline, Dateline, Label, Credits, Colophon Heading, Colophon), never by direct
formatting, so an archivist can restyle the edition in one place.

python-docx's template is English-centric (see /work/shared/notes/pdf-docx.md): its styles
use theme fonts that override explicit names, its language is en-US and settings.xml says
``themeFontLang eastAsia="ja-JP"``. We strip every theme-font attribute, set explicit
fonts with ``w:hint="eastAsia"`` and zh-CN/zh-TW on the defaults and every style we use.

Output is reproducible: the same Article gives byte-identical bytes (fixed core-property
dates and zip timestamps, see :func:`_timestamp`).

Speed: the article-independent work is done once per (fonts, language) in
:func:`_template`, and the parts no article changes are kept as their bytes
(:func:`_freeze_constant_parts`); each article opens a copy, gets its paragraphs written
as WordprocessingML text and parsed once (:class:`_Body`) and is zipped once
(:func:`_package_bytes`).
"""

from __future__ import annotations

import copy
import functools
import io
import os
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import CONTENT_TYPES_URI, PACKAGE_URI, PackURI
from docx.opc.part import Part, XmlPart
from docx.opc.parts.coreprops import CorePropertiesPart
from docx.opc.pkgwriter import _ContentTypesItem  # python-docx's own [Content_Types].xml
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.parts.document import DocumentPart
from docx.parts.hdrftr import HeaderPart
from docx.shared import Cm, Pt
from lxml import etree

from newsarchive import TOOL_NAME, __version__
from newsarchive.model import Article, Block, Metadata
from newsarchive.options import Options

__all__ = [
    "DEFAULT_EAST_ASIAN_FONT",
    "TRADITIONAL_EAST_ASIAN_FONT",
    "warm_up",
    "word_language",
    "write_docx",
]

DEFAULT_EAST_ASIAN_FONT = "AR PL UMing CN"  # the PDF's font (Debian fonts-arphic-uming)
# Traditional editions use the face with Taiwan glyph forms and centred punctuation.
TRADITIONAL_EAST_ASIAN_FONT = "AR PL UMing TW"

# Before any timestamp a DOS zip header can hold; used when nothing else fixes the time.
_FALLBACK_TIME = datetime(1980, 1, 1, tzinfo=UTC)

_EP_NS = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
_CP_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
_CUSTOM_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"  # the fixed FMTID Word uses
_RT_STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"

# Characters XML 1.0 cannot carry: python-docx would raise on them mid-document.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# Colophon and credit labels, Simplified / Traditional.
_LABELS: dict[str, dict[str, str]] = {
    "colophon": {"hans": "版本说明", "hant": "版本說明"},
    "source": {"hans": "来源文件", "hant": "來源文件"},
    "encoding": {"hans": "源文件编码", "hant": "源文件編碼"},
    "steps": {"hans": "规范化处理", "hant": "規範化處理"},
    "none": {"hans": "无", "hant": "無"},
    "edits": {"hans": "处", "hant": "處"},
    "doubtful": {"hans": "待人工核查", "hant": "待人工核查"},
    "supplied": {"hans": "标题为整理者所拟", "hant": "標題為整理者所擬"},
    "position": {"hans": "本版第{i}篇，共{n}篇", "hant": "本版第{i}篇，共{n}篇"},
    "publisher": {"hans": "数字版出版者", "hant": "數字版出版者"},
    "licence": {"hans": "许可", "hant": "許可"},
    "tool": {"hans": "生成工具", "hant": "生成工具"},
    "editor": {"hans": "责任编辑", "hant": "責任編輯"},
    "photographer": {"hans": "摄影", "hant": "攝影"},
    "photo-credit": {"hans": "图片", "hant": "圖片"},
    "photo": {"hans": "摄", "hant": "攝"},
}


def word_language(language: str) -> str:
    """The Word/OOXML language tag for a BCP 47 tag of the normalised text."""
    tag = language.lower()
    if tag.startswith("zh-hant-hk") or tag in ("zh-hk", "zh-mo"):
        return "zh-HK"
    if tag.startswith(("zh-hant", "zh-tw")):
        return "zh-TW"
    return "zh-CN"


def write_docx(
    article: Article,
    options: Options,
    *,
    east_asian_font: str | None = None,
    latin_font: str | None = None,
    timestamp: datetime | None = None,
) -> bytes:
    """Render ``article`` as DOCX bytes.

    ``latin_font`` defaults to ``east_asian_font`` (UMing has Latin glyphs, and one face
    keeps mixed runs even). ``timestamp`` sets the core-property dates and zip times;
    by default it is ``SOURCE_DATE_EPOCH``, else the article's date, else 1980-01-01, so
    the same Article always gives the same bytes.
    """
    md = article.metadata
    lang = word_language(md.language)
    script = "hans" if lang == "zh-CN" else "hant"
    when = _timestamp(md, timestamp)
    if east_asian_font is None:
        traditional = md.language.startswith("zh-Hant")
        east_asian_font = TRADITIONAL_EAST_ASIAN_FONT if traditional else DEFAULT_EAST_ASIAN_FONT

    # Every call gets its own deep copy of the template Document, opened once per process:
    # nothing mutable is shared between articles (or threads), and the copy costs half of
    # re-reading the package (zip, XML parse, relationship walk) each time. The parts no
    # article changes are not copied (``shared``, the deep copy's memo).
    template, shared = _template_document(east_asian_font, latin_font or east_asian_font, lang)
    doc = copy.deepcopy(template, dict(shared))
    _write_header(doc, md)
    body = _Body()
    _write_front(body, md)
    figure_credits = _write_blocks(body, article.blocks, script)
    _write_back(body, md, figure_credits, script)
    _write_colophon(body, article, script)
    body.into(doc)

    _set_core_properties(doc, md, options, when)
    _add_custom_properties(doc, md, options)
    return _package_bytes(doc, when, zipfile.ZIP_DEFLATED, shared)


def warm_up(language: str = "zh-Hans") -> None:
    """Build the default template for ``language`` now (a batch worker does this at start),
    so the first article of a worker does not pay the ~30 ms."""
    traditional = language.startswith("zh-Hant")
    font = TRADITIONAL_EAST_ASIAN_FONT if traditional else DEFAULT_EAST_ASIAN_FONT
    _template_document(font, font, word_language(language))


@functools.lru_cache(maxsize=16)
def _template_document(east_asian: str, latin: str, lang: str) -> tuple[Any, dict[int, Any]]:
    """The template package read back as python-docx opens a file: what each article copies,
    and the parts no article changes, by id (to share rather than copy). Never changed."""
    doc = Document(io.BytesIO(_template(east_asian, latin, lang)))
    _freeze_constant_parts(doc)
    shared = {id(part): part for part in doc.part.package.iter_parts()
              if not isinstance(part, XmlPart)}  # the live parts are XmlParts too
    return doc, shared


# The parts an article writes into; every other XML part (styles, settings, numbering,
# footer) is the same for every article.
_LIVE_PARTS = (DocumentPart, HeaderPart, CorePropertiesPart)


def _freeze_constant_parts(doc: Any) -> None:
    """Turn the XML parts no article changes into plain parts holding their serialised
    bytes (python-docx's own ``Part``): the per-article deep copy then shares those bytes
    instead of copying their element trees (styles.xml alone is 40 KB), and saving does
    not serialise them again. The bytes are what python-docx writes for them."""
    pkg = doc.part.package
    for part in list(pkg.iter_parts()):
        for rid, rel in part.rels.items():
            target = rel.target_part if not rel.is_external else None
            if (not isinstance(target, XmlPart) or isinstance(target, _LIVE_PARTS)
                    or len(target.rels)):
                continue
            frozen = Part(target.partname, target.content_type, target.blob, target.package)
            rel._target = frozen
            part.rels._target_parts_by_rId[rid] = frozen


@functools.lru_cache(maxsize=16)
def _template(east_asian: str, latin: str, lang: str) -> bytes:
    """The pruned, styled package that every article with these fonts and language starts from.

    Everything that does not depend on the article (template clean-up, font table, styles,
    page setup, the header and footer skeletons, app.xml) is done once per process: with
    python-docx's linear style look-ups and its large default template this work was over
    half the cost of :func:`write_docx`. The bytes are a stored (uncompressed) zip, as they
    are only read back in this process; the caller adds the article to a fresh copy.
    """
    doc = Document()
    _prune_template(doc, lang)
    _add_font_to_table(doc, east_asian, lang)
    _setup_styles(doc, east_asian, latin, lang)
    _setup_page(doc)
    _set_app_properties(doc)
    return _package_bytes(doc, _FALLBACK_TIME, zipfile.ZIP_STORED)


# --------------------------------------------------------------------------- content


def _clean(text: str) -> str:
    return _XML_INVALID.sub("", text)


def _style_id(name: str) -> str:
    # python-docx's rule for new styles, and the template's ids for the built-ins we use
    # (checked in _setup_styles); looking a style up by name costs ~1 ms per paragraph
    return name.replace(" ", "")


_W_SECTPR = qn("w:sectPr")
_RUN_BREAKS = re.compile(r"(\t|\r|\n)")
# A number or Latin word ("583", "3.6", "COVID-19", "www.gov.cn"): its own run in a Latin
# language. With the styles' zh-CN as the Latin-script language, LibreOffice breaks lines
# between digits ("5" / "83家"); en-US there keeps them whole.
_LATIN_RUN = re.compile(r"[0-9A-Za-z\u00C0-\u024F]+(?:[-.,/:'_@&+#%][0-9A-Za-z\u00C0-\u024F%]+)*%?")
LATIN_STYLE, LATIN_LANG = "Latin Text", "en-US"  # a character style (see _setup_styles)


_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_FRAGMENT_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


class _Body:
    """The article's paragraphs as WordprocessingML text, parsed once (:meth:`into`).

    One lxml parse of a string instead of python-docx proxies (``add_paragraph``,
    ``add_run``) or an lxml call per element: the same elements, attributes and text, so
    the same document.xml.
    """

    def __init__(self) -> None:
        self.parts: list[str] = []

    def para(self, text: str, style: str, *more: str) -> None:
        """A ``w:p`` in ``style`` with ``text`` as its runs (none if empty) and each of
        ``more`` as further runs of its own."""
        self.parts.append(f'<w:p><w:pPr><w:pStyle w:val="{_style_id(style)}"/></w:pPr>')
        if text:
            self.parts.append(_runs(text))
        self.parts.extend(map(_runs, more))
        self.parts.append("</w:p>")

    def into(self, doc: Any) -> None:
        """Add the paragraphs at the end of the body, before its sectPr."""
        if not self.parts:
            return
        fragment = _parsed(self.parts)
        body = doc.element.body
        # The body ends with its sectPr. ``body.sectPr`` scans every child (quadratic over
        # a long article); the last child is reached directly.
        at = len(body) - 1 if len(body) and body[-1].tag == _W_SECTPR else len(body)
        body[at:at] = list(fragment)


def _parsed(parts: list[str]) -> Any:
    return etree.fromstring(f'<w:body xmlns:w="{_W_NS}">{"".join(parts)}</w:body>',
                            _FRAGMENT_PARSER)


def _runs(text: str) -> str:
    """The runs of ``text`` (python-docx's ``Paragraph.add_run(text)``, without its
    character-by-character loop): tabs become ``w:tab``, CR/LF ``w:br``, the rest ``w:t``
    (``xml:space="preserve"`` when it starts or ends with whitespace); XML-invalid
    characters are dropped. Numbers and Latin words are runs of their own
    (``_LATIN_RUN``), in the Latin character style."""
    text = _clean(text)
    # Most texts hold no & < > and no tab or line break: their runs need neither the
    # escaping (str.translate looks up every character, ~0.4 ms an article) nor the split.
    plain = _MARKUP.search(text) is None and _RUN_BREAK.search(text) is None
    out: list[str] = []
    pos = 0
    for m in _LATIN_RUN.finditer(text):
        if m.start() > pos:
            out.append(_plain_run(text[pos : m.start()], "", plain))
        out.append(_plain_run(m.group(), _LATIN_RPR, plain))
        pos = m.end()
    if pos < len(text) or not text:
        out.append(_plain_run(text[pos:], "", plain))
    return "".join(out)


_LATIN_RPR = f'<w:rPr><w:rStyle w:val="{_style_id(LATIN_STYLE)}"/></w:rPr>'


_MARKUP = re.compile("[&<>]")
_RUN_BREAK = re.compile("[\t\r\n]")


def _plain_run(text: str, rpr: str = "", plain: bool = False) -> str:
    """One ``w:r``; ``plain``: ``text`` has nothing to escape and no break (one ``w:t``)."""
    if plain and text:
        space = ' xml:space="preserve"' if len(text.strip()) < len(text) else ""
        return f"<w:r>{rpr}<w:t{space}>{text}</w:t></w:r>"
    out = ["<w:r>", rpr]
    for piece in _RUN_BREAKS.split(text):
        if piece == "\t":
            out.append("<w:tab/>")
        elif piece in ("\r", "\n"):
            out.append("<w:br/>")
        elif piece:
            space = ' xml:space="preserve"' if len(piece.strip()) < len(piece) else ""
            out.append(f"<w:t{space}>{piece.translate(_TEXT_ESCAPES)}</w:t>")
    out.append("</w:r>")
    return "".join(out)



def _format_date(date: str | None) -> str | None:
    """ISO ``2022-10-20`` as printed in Chinese papers: ``2022年10月20日``."""
    if not date:
        return None
    m = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?", date)
    if not m:
        return date
    year, month, day = m.group(1), int(m.group(2)), m.group(3)
    return f"{year}年{month}月{int(day)}日" if day else f"{year}年{month}月"


def _edition(md: Metadata) -> str | None:
    if md.edition:
        return md.edition
    return f"第{md.page}版" if md.page else None


def _dateline(md: Metadata) -> str:
    parts = (md.newspaper, _edition(md), md.section, _format_date(md.date))
    return "\u3000".join(p for p in parts if p)


def _write_front(body: _Body, md: Metadata) -> None:
    if md.subtitle:
        body.para(md.subtitle, "Subtitle")
    if md.title:
        body.para(md.title, "Title")
    if md.authors:
        # ideographic space: the separator Chinese bylines use between names
        body.para("\u3000".join(md.authors), "Byline")
    dateline = _dateline(md)
    if dateline:
        body.para(dateline, "Dateline")


def _photo_credit(credit: str, script: str) -> str:
    credit = credit.strip()
    mark = _LABELS["photo"][script]
    if credit.startswith(("摄", "攝")) or credit.endswith(("摄", "攝")):
        return credit  # already printed form ("摄/汪新", "汪新摄")
    return f"{mark}/{credit}"


def _write_blocks(body: _Body, blocks: Iterable[Block], script: str) -> set[str]:
    """The blocks in order; returns the photographers already credited under figures."""
    credited: set[str] = set()
    for block in blocks:
        if block.kind == "heading":
            body.para(block.text, "Heading 2")
        elif block.kind == "label":
            body.para(block.text, "Label")
        elif block.kind == "figure":
            if not block.text and not block.credit:
                continue  # no image data and nothing printed: nothing to show
            if block.credit:
                # a separate run in the same Caption paragraph, after the caption
                sep = "\u3000" if block.text else ""
                body.para(block.text, "Caption", sep + _photo_credit(block.credit, script))
                credited.add(block.credit.strip())
            else:
                body.para(block.text, "Caption")
        else:  # paragraph, and unsegmented "line" blocks
            body.para(block.text, "Body Text")
    return credited


def _write_back(body: _Body, md: Metadata, figure_credits: set[str], script: str) -> None:
    """Affiliation and the editor/photo credits, where the paper prints them: at the end."""
    if md.author_affiliation:
        body.para(md.author_affiliation, "Credits")
    groups: dict[str, list[str]] = {}
    for credit in md.credits:
        if credit.role == "author":
            continue
        if credit.role == "photographer" and credit.name in figure_credits:
            continue  # already shown under its photo
        label = credit.label or _LABELS.get(credit.role, {}).get(script, credit.role)
        groups.setdefault(label, []).append(credit.name)
    for label, names in groups.items():
        body.para(f"{label}：{'、'.join(names)}", "Credits")


def _write_colophon(body: _Body, article: Article, script: str) -> None:
    md = article.metadata

    def label(key: str) -> str:
        return _LABELS[key][script]

    body.para(label("colophon"), "Colophon Heading")
    lines: list[str] = []
    if md.source_file:
        lines.append(f"{label('source')}：{md.source_file}")
    if md.source_sha256:
        lines.append(f"SHA-256：{md.source_sha256}")
    if md.source_encoding:
        lines.append(f"{label('encoding')}：{md.source_encoding}")
    counts = article.edit_counts()
    steps = "；".join(f"{step} {n} {label('edits')}" for step, n in counts.items())
    lines.append(f"{label('steps')}：{steps or label('none')}")
    doubtful = sum(1 for e in article.provenance if e.doubtful)
    if doubtful:
        lines.append(f"{label('doubtful')}：{doubtful} {label('edits')}")
    if md.title_supplied:
        lines.append(label("supplied"))
    if md.article_count > 1:
        lines.append(label("position").format(i=md.article_index, n=md.article_count))
    if md.publisher:
        lines.append(f"{label('publisher')}：{md.publisher}")
    if md.licence:
        lines.append(f"{label('licence')}：{md.licence}")
    lines.append(f"{label('tool')}：{TOOL_NAME} {__version__}")
    for line in lines:
        body.para(line, "Colophon")


# --------------------------------------------------------------------------- page


def _setup_page(doc: Any) -> None:
    """Page size, margins and the header/footer skeletons (the header text is per article)."""
    section = doc.sections[0]
    # A4 portrait, like the PDF edition (the template is US Letter)
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2.54)
    section.left_margin = section.right_margin = Cm(3.0)
    section.header_distance = section.footer_distance = Cm(1.5)

    section.header.paragraphs[0].style = doc.styles["Header"]
    footer = section.footer.paragraphs[0]
    footer.style = doc.styles["Footer"]
    _add_field(footer, "PAGE", "1")


def _write_header(doc: Any, md: Metadata) -> None:
    header_text = "\u3000".join(p for p in (md.newspaper, _format_date(md.date)) if p)
    if header_text:
        doc.sections[0].header.paragraphs[0]._p.extend(list(_parsed([_runs(header_text)])))


def _add_field(paragraph: Any, instruction: str, placeholder: str) -> None:
    """A complex field (begin/instr/separate/result/end): Word and LibreOffice update it."""

    def fld_char(kind: str) -> Any:
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        return el

    paragraph.add_run()._r.append(fld_char("begin"))
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    paragraph.add_run()._r.append(instr)
    paragraph.add_run()._r.append(fld_char("separate"))
    paragraph.add_run(placeholder)
    paragraph.add_run()._r.append(fld_char("end"))


# --------------------------------------------------------------------------- styles

# name -> (base, size pt, bold, alignment, first-line indent, space before/after pt, extra)
_ALIGN = WD_ALIGN_PARAGRAPH
_STYLE_SPECS: dict[str, dict[str, Any]] = {
    "Normal": {"size": 12},
    "Title": {"size": 22, "bold": True, "align": _ALIGN.CENTER, "before": 6, "after": 12},
    "Subtitle": {"size": 14, "align": _ALIGN.CENTER, "before": 12, "after": 6},
    "Byline": {"size": 12, "align": _ALIGN.CENTER, "after": 3},
    "Dateline": {"size": 10.5, "align": _ALIGN.CENTER, "after": 12},
    "Heading 2": {"size": 14, "bold": True, "before": 12, "after": 6, "keep": True},
    "Body Text": {"size": 12, "align": _ALIGN.JUSTIFY, "indent": True, "line": 1.5},
    "Caption": {"size": 10.5, "align": _ALIGN.CENTER, "before": 3, "after": 9},
    "Label": {"size": 10.5, "bold": True, "before": 9, "after": 3, "keep": True},
    "Credits": {"size": 10.5, "align": _ALIGN.RIGHT, "before": 6},
    "Colophon Heading": {"size": 10.5, "bold": True, "before": 24, "after": 3, "rule": True},
    "Colophon": {"size": 9, "after": 0},
    "Header": {"size": 9, "align": _ALIGN.CENTER, "after": 0},
    "Footer": {"size": 9, "align": _ALIGN.CENTER, "after": 0},
}
_CUSTOM_STYLES = ("Byline", "Dateline", "Label", "Credits", "Colophon Heading", "Colophon")


def _setup_styles(doc: Any, east_asian: str, latin: str, lang: str) -> None:
    styles = doc.styles
    for name in _CUSTOM_STYLES:
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = styles["Normal"]
        style.quick_style = True
    styles["Colophon Heading"].next_paragraph_style = styles["Colophon"]

    root = styles.element
    # Theme fonts win over explicit names: drop them from every style, used or not.
    for rfonts in root.iter(qn("w:rFonts")):
        for attr in list(rfonts.attrib):
            if etree.QName(attr).localname.lower().endswith("theme"):
                del rfonts.attrib[attr]
    defaults = root.find(qn("w:docDefaults"))
    _set_fonts(defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")), east_asian, latin, lang)

    for name, spec in _STYLE_SPECS.items():
        style = styles[name]
        if style.style_id != _style_id(name):
            raise RuntimeError(f"unexpected python-docx template: style id {style.style_id}")
        element = style.element
        if name not in _CUSTOM_STYLES and name != "Normal":
            # start clean: no theme colours, borders, italics or the Subtitle's numPr
            element._remove_pPr()
            element._remove_rPr()
        _apply_spec(style, spec)
        _set_fonts(element.get_or_add_rPr(), east_asian, latin, lang)
        # the linked character style ("Title Char") would otherwise keep its old look
        link = element.find(qn("w:link"))
        if link is not None:
            linked = _style_by_id(root, link.get(qn("w:val")))
            if linked is not None:
                old = linked.find(qn("w:rPr"))
                if old is not None:
                    linked.remove(old)
                linked.insert_element_before(
                    copy.deepcopy(element.rPr), "w:tblPr", "w:trPr", "w:tcPr", "w:tblStylePr"
                )
    # Numbers and Latin words (_LATIN_RUN) are set in this character style: a Latin-script
    # language of their own keeps LibreOffice from breaking lines inside them.
    latin_style = styles.add_style(LATIN_STYLE, WD_STYLE_TYPE.CHARACTER)
    lang_el = OxmlElement("w:lang")
    lang_el.set(qn("w:val"), LATIN_LANG)
    lang_el.set(qn("w:eastAsia"), lang)
    latin_style.element.get_or_add_rPr().append(lang_el)


def _style_by_id(root: Any, style_id: str | None) -> Any:
    for style in root.findall(qn("w:style")):
        if style.get(qn("w:styleId")) == style_id:
            return style
    return None


def _apply_spec(style: Any, spec: dict[str, Any]) -> None:
    font, fmt = style.font, style.paragraph_format
    font.size = Pt(spec["size"])
    font.bold = spec.get("bold") or None
    if "align" in spec:
        fmt.alignment = spec["align"]
    if "before" in spec:
        fmt.space_before = Pt(spec["before"])
    fmt.space_after = Pt(spec.get("after", 6))
    if "line" in spec:
        fmt.line_spacing = spec["line"]
    else:
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    if spec.get("keep"):
        fmt.keep_with_next = True
    if spec.get("indent"):
        # two characters, whatever the font size: firstLineChars (hundredths of a char)
        # wins in Word; firstLine in twips is the fallback for readers that ignore it
        ind = style.element.get_or_add_pPr().get_or_add_ind()
        ind.set(qn("w:firstLineChars"), "200")
        ind.set(qn("w:firstLine"), str(int(spec["size"] * 2 * 20)))
    if spec.get("rule"):
        _top_rule(style.element.get_or_add_pPr())


def _top_rule(ppr: Any) -> None:
    bdr = OxmlElement("w:pBdr")
    top = OxmlElement("w:top")
    for key, value in (("val", "single"), ("sz", "4"), ("space", "6"), ("color", "auto")):
        top.set(qn(f"w:{key}"), value)
    bdr.append(top)
    # pBdr comes after keepNext..pageBreakBefore/framePr/widowControl/numPr/suppressLineNumbers
    ppr.insert_element_before(
        bdr, "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
        "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi",
        "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
        "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection",
        "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle",
        "w:rPr", "w:sectPr", "w:pPrChange",
    )  # fmt: skip


def _set_fonts(rpr: Any, east_asian: str, latin: str, lang: str) -> None:
    """Explicit fonts for all four slots, the eastAsia hint and the zh language on ``rpr``."""
    rfonts = rpr.get_or_add_rFonts()
    for attr in list(rfonts.attrib):
        del rfonts.attrib[attr]
    rfonts.set(qn("w:ascii"), latin)
    rfonts.set(qn("w:hAnsi"), latin)
    rfonts.set(qn("w:eastAsia"), east_asian)
    rfonts.set(qn("w:cs"), latin)
    # ambiguous characters (“” ‘’ … —) take the East Asian font, as in a Chinese Word
    rfonts.set(qn("w:hint"), "eastAsia")
    lang_el = rpr.find(qn("w:lang"))
    if lang_el is None:
        lang_el = OxmlElement("w:lang")
        rpr.insert_element_before(lang_el, "w:eastAsianLayout", "w:specVanish", "w:oMath")
    lang_el.set(qn("w:val"), lang)
    lang_el.set(qn("w:eastAsia"), lang)


# --------------------------------------------------------------------------- package


def _prune_template(doc: Any, lang: str) -> None:
    pkg = doc.part.package
    # the template's stale thumbnail (a picture of an empty page) and its relationship
    for rid, rel in list(pkg.rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            del pkg.rels[rid]
    # stylesWithEffects is a Word 2010 copy of styles.xml still full of theme fonts
    for rid, rel in list(doc.part.rels.items()):
        if rel.reltype == _RT_STYLES_WITH_EFFECTS:
            del doc.part.rels[rid]
    # ~100 table styles ("Light Shading Accent 1" ...) are 335 of styles.xml's 346 KB and
    # an article has no tables: keep only the default one (Word's "Normal Table"). Word
    # brings its built-in table styles itself when someone inserts a table later
    styles = doc.styles.element
    for style in styles.findall(qn("w:style")):
        if style.get(qn("w:type")) == "table" and style.get(qn("w:default")) != "1":
            styles.remove(style)

    settings = doc.settings.element
    for tag in ("w:savePreviewPicture",):
        for el in settings.findall(qn(tag)):
            settings.remove(el)
    zoom = settings.find(qn("w:zoom"))
    if zoom is not None and zoom.get(qn("w:percent")) is None:
        # CT_Zoom requires w:percent (ECMA-376 Part 1, 17.15.1.95); the template has only
        # w:val="bestFit", which Word and LibreOffice apply over the percentage anyway.
        zoom.set(qn("w:percent"), "100")
    theme_lang = settings.find(qn("w:themeFontLang"))
    if theme_lang is not None:
        theme_lang.set(qn("w:val"), lang)
        theme_lang.set(qn("w:eastAsia"), lang)
    spacing = settings.find(qn("w:characterSpacingControl"))
    if spacing is not None:
        # what a Chinese Word template uses: compress full-width punctuation pairs
        spacing.set(qn("w:val"), "compressPunctuation")


def _add_font_to_table(doc: Any, name: str, lang: str) -> None:
    """Declare the font in fontTable.xml with a Chinese charset, for substitution."""
    for rel in doc.part.rels.values():
        if rel.reltype != RT.FONT_TABLE:
            continue
        part = rel.target_part
        root = etree.fromstring(part.blob)
        w = root.nsmap["w"]
        font = etree.SubElement(root, f"{{{w}}}font", {f"{{{w}}}name": name})
        charset = "86" if lang == "zh-CN" else "88"  # GB2312 / CHINESEBIG5
        for tag, value in (("charset", charset), ("family", "roman"), ("pitch", "variable")):
            etree.SubElement(font, f"{{{w}}}{tag}", {f"{{{w}}}val": value})
        part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                    standalone=True)  # fmt: skip


def _truncate(value: str, limit: int = 255) -> str:
    # python-docx refuses core-property strings longer than 255 characters
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _set_core_properties(doc: Any, md: Metadata, options: Options, when: datetime) -> None:
    cp = doc.core_properties
    cp.title = _truncate(_clean(md.title or ""))
    cp.author = _truncate(_clean("; ".join(md.authors)))
    cp.subject = _truncate(_clean(md.newspaper or ""))
    keywords = [p for p in re.split(r"[·・•]", md.section or "") if p.strip()]
    cp.keywords = _truncate(_clean("; ".join(k.strip() for k in keywords)))
    cp.category = _truncate(_clean(md.section or ""))
    cp.language = md.language
    cp.identifier = f"sha256:{md.source_sha256}" if md.source_sha256 else ""
    cp.last_modified_by = TOOL_NAME
    cp.revision = 1
    cp.created = cp.modified = when.astimezone(UTC).replace(tzinfo=None)
    where = " ".join(p for p in (md.newspaper, _edition(md), md.date) if p)
    source = f"{md.source_file} (SHA-256 {md.source_sha256})" if md.source_file else ""
    description = f"Archival edition of {where or 'a newspaper article'}"
    description += f", normalised from {source}" if source else ""
    description += f"; generated by {TOOL_NAME} {__version__}."
    cp.comments = _truncate(_clean(description))


def _set_app_properties(doc: Any) -> None:
    """Replace the template's app.xml ("Microsoft Macintosh Word", stale counts)."""
    pkg = doc.part.package
    for rel in pkg.rels.values():
        if rel.reltype == RT.EXTENDED_PROPERTIES:
            root = etree.Element(f"{{{_EP_NS}}}Properties", nsmap={None: _EP_NS, "vt": _VT_NS})
            etree.SubElement(root, f"{{{_EP_NS}}}Application").text = TOOL_NAME
            etree.SubElement(root, f"{{{_EP_NS}}}DocSecurity").text = "0"
            rel.target_part._blob = etree.tostring(
                root, xml_declaration=True, encoding="UTF-8", standalone=True
            )


def _custom_fields(md: Metadata, options: Options) -> Iterator[tuple[str, str | None]]:
    yield from (
        ("newspaper", md.newspaper),
        ("edition", md.edition),
        ("page", md.page),
        ("section", md.section),
        ("date", md.date),
        ("sourceFile", md.source_file),
        ("sourceSha256", md.source_sha256),
        ("url", md.url),
        ("publisher", md.publisher or options.publisher),
        ("licence", md.licence or options.licence),
    )


def _add_custom_properties(doc: Any, md: Metadata, options: Options) -> None:
    """docProps/custom.xml: python-docx has no API for it, so add the part by hand."""
    root = etree.Element(f"{{{_CP_NS}}}Properties", nsmap={None: _CP_NS, "vt": _VT_NS})
    pid = 2  # pids 0 and 1 are reserved
    for name, value in _custom_fields(md, options):
        if not value:
            continue
        prop = etree.SubElement(
            root, f"{{{_CP_NS}}}property", fmtid=_CUSTOM_FMTID, pid=str(pid), name=name
        )
        etree.SubElement(prop, f"{{{_VT_NS}}}lpwstr").text = _clean(value)
        pid += 1
    if pid == 2:
        return
    blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    pkg = doc.part.package
    part = Part(PackURI("/docProps/custom.xml"), CT.OFC_CUSTOM_PROPERTIES, blob, pkg)
    pkg.relate_to(part, RT.CUSTOM_PROPERTIES)


def _timestamp(md: Metadata, explicit: datetime | None) -> datetime:
    """A time that depends only on the input: never "now" (reproducible builds)."""
    if explicit is not None:
        return explicit if explicit.tzinfo else explicit.replace(tzinfo=UTC)
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return max(datetime.fromtimestamp(int(epoch), tz=UTC), _FALLBACK_TIME)
    if md.date and re.fullmatch(r"\d{4}-\d{2}-\d{2}", md.date):
        try:
            return max(datetime.fromisoformat(md.date).replace(tzinfo=UTC), _FALLBACK_TIME)
        except ValueError:
            pass
    return _FALLBACK_TIME


def _package_bytes(
    doc: Any, when: datetime, compression: int, shared: dict[int, Any] | None = None
) -> bytes:
    """The package as a zip with fixed member times and attributes, written in one pass.

    Members and their order are exactly those of python-docx's ``save`` (its
    ``PackageWriter``: content types, package rels, then each part followed by its rels),
    but every ZipInfo is ours, so no "now" gets in and nothing needs re-zipping. The parts
    in ``shared`` (the same bytes for every article) are deflated once per process.
    """
    pkg = doc.part.package
    parts = list(pkg.iter_parts())
    for part in parts:
        part.before_marshal()
    types = tuple((part.partname, part.content_type) for part in parts)
    members: list[tuple[str, bytes, bool]] = [
        (CONTENT_TYPES_URI.membername, _content_types(types, parts), False),
        (PACKAGE_URI.rels_uri.membername, _rels_xml(PACKAGE_URI.baseURI, pkg.rels), False),
    ]
    for part in parts:
        members.append((part.partname.membername, part.blob, id(part) in (shared or ())))
        if len(part.rels):
            members.append((part.partname.rels_uri.membername,
                            _rels_xml(part.partname.baseURI, part.rels), False))

    stamp = when.astimezone(UTC).timetuple()[:6]
    deflate = compression == zipfile.ZIP_DEFLATED
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as dst:
        for name, blob, constant in members:
            member = zipfile.ZipInfo(name, date_time=stamp)  # type: ignore[arg-type]
            member.compress_type = compression
            member.create_system = 0
            member.external_attr = 0
            # A small member (content types, relationships, app.xml, a header) is mostly
            # the same bytes from article to article, and deflating it costs zlib's set-up
            # (~40 us) more than its bytes: it is looked up by content like the shared parts.
            if deflate and (constant or len(blob) <= _SMALL_MEMBER):
                # what writestr does, with the deflated bytes known: zipfile still writes
                # the headers, sizes and CRC, so the member's bytes are the same
                member.file_size = len(blob)
                with dst.open(member, mode="w") as dest:
                    dest._compressor = _Deflated(_deflated(blob))  # type: ignore[attr-defined]
                    dest.write(blob)
            else:
                dst.writestr(member, blob)
    return out.getvalue()


# [Content_Types].xml and the .rels items are the same for nearly every article, and
# python-docx builds each from an element tree (and a relative path per relationship):
# each is made by python-docx once per distinct input, which is all its bytes depend on.
_SERIALISED: dict[tuple[Any, ...], bytes] = {}
_SERIALISED_MAX = 256


def _remembered(key: tuple[Any, ...], make: Callable[[], bytes]) -> bytes:
    blob = _SERIALISED.get(key)
    if blob is None:
        if len(_SERIALISED) >= _SERIALISED_MAX:
            _SERIALISED.clear()  # a batch of many shapes: start again rather than grow
        blob = _SERIALISED[key] = make()
    return blob


def _content_types(types: tuple[tuple[str, str], ...], parts: list[Any]) -> bytes:
    """python-docx's [Content_Types].xml of ``parts`` (``types``: their names and types,
    all it reads of them)."""
    return _remembered(("types", types), lambda: _ContentTypesItem.from_parts(parts).blob)


def _rels_xml(base: str, rels: Any) -> bytes:
    """python-docx's .rels item of ``rels`` (relative to ``base``): its bytes depend on
    each relationship's id, type, external flag and target (a part's name, made relative
    to ``base``, or the external address)."""
    key = ("rels", base, tuple(
        (rel.rId, rel.reltype, rel.is_external,
         rel.target_ref if rel.is_external else rel.target_part.partname)
        for rel in rels.values()))
    return _remembered(key, lambda: rels.xml)


_SMALL_MEMBER = 4096  # bytes; document.xml (~20 KB, new every article) is deflated as it is


@functools.lru_cache(maxsize=128)
def _deflated(blob: bytes) -> bytes:
    """``blob`` as zipfile deflates it (raw deflate, zlib's default level, one write)."""
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    return compressor.compress(blob) + compressor.flush()


class _Deflated:
    """A compressor that gives known output (zipfile's write calls compress, then flush)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def compress(self, _data: bytes) -> bytes:
        out, self.data = self.data, b""
        return out

    def flush(self) -> bytes:
        return b""
