"""Read a TEI P5 article (our own editions losslessly, simple foreign TEI reasonably).

Parsing is defensive because TEI files come from outside: no DTD loading, no entity
expansion, no network, the size guard, a depth limit, and any DOCTYPE is refused outright:
an article edition never needs one, and internal entities are the vector for "billion
laughs" and external ones for reading local files. libxml2's 10 MB limit on one text node
is lifted (``huge_tree``): a 10 MB line is a valid article, and the size guard already
bounds the whole file.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import fields
from pathlib import Path

from lxml import etree

from newsarchive.errors import InputError
from newsarchive.model import Article, Block, Credit, Edit, Metadata
from newsarchive.writers.tei import (
    DEFAULT_RESP,
    DIGITAL_EDITION_KEY,
    TEI_NS,
    TOOL_NAME,
    XENO_TYPE,
    XML_LANG,
)

NS = {"t": TEI_NS}
MAX_BYTES = 50 * 1024 * 1024
MAX_DEPTH = 100  # our editions nest 8 deep; libxml2 itself stops at 256
_DTD_MARKERS = (
    b"<!DOCTYPE",
    b"<!ENTITY",
    "<!DOCTYPE".encode("utf-16-le"),
    "<!DOCTYPE".encode("utf-16-be"),
)
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WRAP_HAN = re.compile(f"(?<=[{_HAN}])\\s*\\n\\s*(?=[{_HAN}])")
_WRAP = re.compile(r"\s*\n\s*")
_SKIP = {"note", "fw", "pb", "lb", "cb", "milestone", "gap", "graphic", "figDesc", "bibl"}


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=True,  # text nodes over 10 MB; depth stays bounded by libxml2 and _check_depth
        remove_comments=False,
    )


def parse_xml(data: bytes, name: str, *, max_bytes: int = MAX_BYTES) -> etree._ElementTree:
    """Parse untrusted XML bytes safely; every refusal is an :class:`InputError`
    whose cause starts with ``line:col:`` where a position is known."""
    if len(data) > max_bytes:
        raise InputError(f"XML file is larger than {max_bytes} bytes", name)
    if any(marker in data for marker in _DTD_MARKERS):
        # Refuse before libxml2 reads the DTD at all.
        raise InputError(
            "1:1: DOCTYPE/ENTITY declarations are not accepted "
            "(entity expansion and external entities are unsafe; TEI editions need none)",
            name,
        )
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except etree.XMLSyntaxError as exc:
        line, col = exc.position if exc.position else (0, 0)
        msg = str(exc.msg) if exc.msg else str(exc)
        msg = re.sub(r",? line \d+, column \d+$", "", msg)
        if "depth" in msg.lower():
            msg = f"nesting too deep ({msg})"
        raise InputError(f"{line}:{col}: not well-formed XML: {msg}", name) from exc
    except ValueError as exc:  # e.g. a str with an encoding declaration
        raise InputError(f"0:0: cannot parse XML: {exc}", name) from exc
    docinfo = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise InputError("1:1: DOCTYPE declarations are not accepted", name)
    _check_depth(tree.getroot(), name)
    return tree


def _check_depth(root: etree._Element, name: str) -> None:
    depth = 0
    for event, el in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        if depth > MAX_DEPTH:
            raise InputError(
                f"{el.sourceline or 0}:0: elements nested more than {MAX_DEPTH} deep", name
            )


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _string(el: etree._Element | None, *, ours: bool = True) -> str:
    """Text content of ``el``: exact for a text-only element (our editions write text
    verbatim), else its string value with pretty-printing whitespace removed."""
    if el is None:
        return ""
    text = (el.text or "") if len(el) == 0 else str(el.xpath("string()")).strip()
    if not ours:
        text = _WRAP.sub(" ", _WRAP_HAN.sub("", text)).strip()
    return text


def _first(el: etree._Element, path: str) -> etree._Element | None:
    found = el.xpath(path, namespaces=NS)
    return found[0] if found else None


def _opt(text: str) -> str | None:
    return text if text.strip() else None


def _date_of(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    return el.get("when") or _opt(_string(el))


def _credit(stmt: etree._Element, ours: bool) -> Credit | None:
    resp = _first(stmt, "t:resp")
    who = _first(stmt, "t:persName | t:name | t:orgName")
    if who is None or (resp is not None and resp.get("key") == DIGITAL_EDITION_KEY):
        return None
    if who.get("type") == "software":
        return None
    label = _string(resp, ours=ours)
    role = resp.get("key") if resp is not None and resp.get("key") else _role_of(label)
    if label == DEFAULT_RESP.get(role, role):
        label = ""  # the writer's fallback wording, not a printed label
    return Credit(_string(who, ours=ours), role, label)


def _role_of(label: str) -> str:
    if "摄" in label or "photo" in label.lower():
        return "photographer"
    if "编" in label or "edit" in label.lower():
        return "editor"
    return label.lower() or "contributor"


def _xeno(header: etree._Element, name: str) -> dict[str, object]:
    el = _first(header, f"t:xenoData[@type='{XENO_TYPE}']")
    if el is None:
        return {}
    try:
        record = json.loads(el.text or "{}")
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{el.sourceline}:0: xenoData[@type='{XENO_TYPE}'] is not valid JSON: {exc.msg}", name
        ) from exc
    if not isinstance(record, dict):
        raise InputError(f"{el.sourceline}:0: xenoData record is not a JSON object", name)
    return record


def _edits(record: dict[str, object], name: str) -> tuple[Edit, ...]:
    known = {f.name for f in fields(Edit)}
    edits = []
    for item in record.get("provenance") or []:
        if not isinstance(item, dict) or not {"step", "rule", "action"} <= item.keys():
            raise InputError("xenoData provenance entry lacks step/rule/action", name)
        edits.append(Edit(**{k: v for k, v in item.items() if k in known}))
    return tuple(edits)


class _Body:
    """Collects blocks from a body in reading order."""

    def __init__(self, ours: bool) -> None:
        self.ours = ours
        self.blocks: list[Block] = []
        self.authors: list[str] = []
        self.affiliation: str | None = None
        self.heads: dict[str, str] = {}

    def add(self, kind: str, el: etree._Element, credit: str | None = None) -> None:
        text = _string(el, ours=self.ours)
        if text.strip() or credit:
            self.blocks.append(Block(kind, text, credit=credit))  # type: ignore[arg-type]

    def article(self, div: etree._Element) -> None:
        for child in div:
            tag = _local(child)
            if tag == "head" and child.get("type") in ("main", "sub") and not self.blocks:
                self.heads.setdefault(child.get("type", ""), _string(child, ours=self.ours))
            elif tag == "byline" and child.getparent() is div:
                self.byline(child)
            else:
                self.element(child)

    def byline(self, el: etree._Element) -> None:
        names = [_string(a, ours=self.ours) for a in el.xpath("t:docAuthor", namespaces=NS)]
        self.authors += [n for n in names if n.strip()]
        aff = _first(el, "t:affiliation")
        if aff is not None:
            self.affiliation = _string(aff, ours=self.ours)
        if not names and aff is None:
            self.add("paragraph", el)

    def element(self, el: etree._Element) -> None:
        tag = _local(el)
        if tag in ("p",):
            self.add("paragraph", el)
        elif tag == "head":
            self.add("heading", el)
        elif tag == "label":
            self.add("label", el)
        elif tag == "ab":
            self.add("line" if el.get("type") == "line" else "paragraph", el)
        elif tag == "figure":
            head = _first(el, "t:head")
            who = _first(el, ".//t:persName[@role='photographer']")
            if who is None:
                who = _first(el, "t:byline")
            credit = _opt(_string(who, ours=self.ours)) if who is not None else None
            if head is not None or credit:
                caption = _string(head, ours=self.ours) if head is not None else ""
                self.blocks.append(Block("figure", caption, credit=credit))
        elif tag in ("div", "list", "quote", "floatingText", "body", "group", "lg", "sp"):
            for child in el:
                self.element(child)
        elif tag in ("item", "l", "byline", "dateline", "trailer", "closer", "opener"):
            self.add("paragraph", el)
        elif tag in _SKIP or not tag:
            return
        elif len(el):
            for child in el:
                self.element(child)
        else:
            self.add("paragraph", el)


def read_tei(data: bytes, name: str, *, max_bytes: int | None = None) -> Article:
    """The :class:`Article` in TEI bytes ``data`` (``name`` is used in error messages).

    ``max_bytes`` is the size guard every reader applies (``--max-size``)."""
    from newsarchive.readers.text import check_size

    check_size(data, name, max_bytes)
    root = parse_xml(data, name).getroot()
    if root.tag != f"{{{TEI_NS}}}TEI":
        raise InputError(f"{root.sourceline}:0: root element is {root.tag}, not TEI P5 <TEI>", name)
    header = _first(root, "t:teiHeader")
    if header is None:
        raise InputError(f"{root.sourceline}:0: TEI file has no teiHeader", name)
    ours = _first(header, f"t:encodingDesc/t:appInfo/t:application[@ident='{TOOL_NAME}']")
    ours_flag = ours is not None
    ts = _first(header, "t:fileDesc/t:titleStmt")
    ps = _first(header, "t:fileDesc/t:publicationStmt")
    sd = _first(header, "t:fileDesc/t:sourceDesc")
    record = _xeno(header, name)

    def text_at(ctx: etree._Element | None, path: str) -> str | None:
        if ctx is None:
            return None
        el = _first(ctx, path)
        return _opt(_string(el, ours=ours_flag)) if el is not None else None

    # Title: a <supplied> child marks a title the normaliser derived (reason="not-printed")
    # or the writer's stand-in for an untitled article (reason="untitled").
    title: str | None = None
    supplied = False
    t_el = _first(ts, "t:title[@type='main'] | t:title[not(@type)]") if ts is not None else None
    if t_el is not None:
        sup = _first(t_el, "t:supplied")
        if sup is not None:
            if sup.get("reason") != "untitled":
                title, supplied = _string(sup, ours=ours_flag), True
        else:
            title = _opt(_string(t_el, ours=ours_flag))
    authors = (
        tuple(
            a
            for a in (_string(e, ours=ours_flag) for e in ts.xpath("t:author", namespaces=NS))
            if a.strip()
        )
        if ts is not None
        else ()
    )
    credits = tuple(
        c
        for c in (
            _credit(s, ours_flag)
            for s in (ts.xpath("t:respStmt", namespaces=NS) if ts is not None else [])
        )
        if c is not None
    )

    body_root = _first(root, "t:text/t:body")
    body = _Body(ours_flag)
    if body_root is not None:
        articles = body_root.xpath("t:div[@type='article']", namespaces=NS)
        if articles:
            body.article(articles[0])
        else:
            body.element(body_root)

    scraped = _first(sd, "t:bibl[@type='scraped-file']") if sd is not None else None
    date = None
    if sd is not None:
        date = _date_of(
            _first(sd, ".//t:imprint/t:date | t:bibl[not(@type='scraped-file')]/t:date")
        )
    if date is None:
        date = _date_of(_first(header, "t:profileDesc/t:creation/t:date"))
    language = (
        root.get(XML_LANG)
        or (header.xpath("string(t:profileDesc/t:langUsage/t:language[1]/@ident)", namespaces=NS))
        or "zh-Hans"
    )
    sha = text_at(ps, "t:idno[@type='sha256']") or text_at(scraped, "t:idno[@type='sha256']")
    try:  # a hand-edited or foreign xenoData record must fail as bad input, not crash
        index, count = (int(n) for n in record.get("article") or (1, 1))  # type: ignore[attr-defined]
        field_sources = tuple(
            sorted((str(k), str(v)) for k, v in dict(record.get("field_sources") or {}).items())  # type: ignore[call-overload]
        )
    except (TypeError, ValueError) as exc:
        raise InputError(f"xenoData record is malformed: {exc}", name) from exc
    md = Metadata(
        title=title or body.heads.get("main"),
        title_supplied=supplied,
        subtitle=text_at(ts, "t:title[@type='sub']") or body.heads.get("sub"),
        authors=authors or tuple(body.authors),
        author_affiliation=body.affiliation,
        credits=credits,
        newspaper=text_at(sd, ".//t:title[@level='j'] | .//t:monogr/t:title[1]"),
        edition=text_at(sd, ".//t:monogr/t:edition | t:bibl[@type='article']/t:edition"),
        page=text_at(sd, ".//t:biblScope[@unit='page']"),
        section=text_at(sd, ".//t:biblScope[@unit='section']"),
        date=date,
        url=text_at(sd, ".//t:idno[@type='URI' or @type='URL']"),
        licence=text_at(ps, "t:availability/t:licence | t:availability/t:p"),
        publisher=text_at(ps, "t:publisher"),
        language=str(language),
        source_script=record.get("source_script"),  # type: ignore[arg-type]
        # A foreign TEI names no scraped file: the TEI file itself is the source.
        source_file=text_at(scraped, "t:name[@type='file']") or Path(name).name,
        source_sha256=sha or hashlib.sha256(data).hexdigest(),
        source_encoding=text_at(scraped, "t:note[@type='encoding']") or "",
        article_index=index,
        article_count=count,
        field_sources=field_sources,
    )
    lines = record.get("source_lines")
    blocks = body.blocks
    if (
        isinstance(lines, list)
        and len(lines) == len(blocks)
        and all(isinstance(ls, list) and all(isinstance(n, int) for n in ls) for ls in lines)
    ):
        blocks = [
            Block(b.kind, b.text, tuple(ls), b.credit) for b, ls in zip(blocks, lines, strict=True)
        ]
    return Article(md, tuple(blocks), _edits(record, name))
