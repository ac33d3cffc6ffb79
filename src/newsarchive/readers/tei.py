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
import re
from pathlib import Path

from lxml import etree

from newsarchive.errors import InputError
from newsarchive.fsio import display_name
from newsarchive.model import Article, Block, Credit, Edit, Metadata
from newsarchive.writers.tei import (
    DEFAULT_RESP,
    DIGITAL_EDITION_KEY,
    TEI_NS,
    TOOL_NAME,
    XML_ID,
    XML_LANG,
    parse_lines_uri,
    undo_spans,
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


# the elements MAX_DEPTH + 1 deep (in document order): one XPath in C instead of a Python
# step per element (iterwalk), which cost an edition more than its parse
_TOO_DEEP = etree.XPath("self::*" + "/*" * MAX_DEPTH)


def _check_depth(root: etree._Element, name: str) -> None:
    deep = _TOO_DEEP(root)
    if deep:
        raise InputError(
            f"{deep[0].sourceline or 0}:0: elements nested more than {MAX_DEPTH} deep", name
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


_STRING_RANGE = re.compile(r"#string-range\(([^,()\s]+),(\d+),(\d+)\)")


def _lines(el: etree._Element) -> tuple[int, ...]:
    parsed = parse_lines_uri(el.get("source") or "")
    return parsed[1] if parsed else ()


def _edits(standoff: etree._Element | None, texts: dict[str, str], name: str) -> tuple[Edit, ...]:
    """The provenance log from ``standOff/listChange`` (see writers/tei.py for the form).

    Read from the last change to the first: a change written as character spans is
    undone on its element's text, which is then what the earlier changes point into."""
    if standoff is None:
        return ()
    current = dict(texts)
    edits = []
    for change in reversed(standoff.xpath("t:listChange/t:change", namespaces=NS)):
        where = f"{change.sourceline}:0: change"
        step, action, rule = change.get("subtype"), change.get("type"), change.get("n")
        if not (step and action and rule is not None):
            raise InputError(f"{where} lacks @type, @subtype or @n", name)
        lines = _lines(change)
        line = lines[-1] if lines else None
        choices = change.xpath("t:choice", namespaces=NS)
        if choices:
            pointers = _STRING_RANGE.findall(change.get("target") or "")
            targets = {p[0] for p in pointers}
            pairs = [(_first(c, "t:orig"), _first(c, "t:reg")) for c in choices]
            if len(pointers) != len(choices) or len(targets) != 1 or any(
                o is None or r is None for o, r in pairs
            ):
                raise InputError(f"{where}: @target does not match its orig/reg pairs", name)
            target = targets.pop()
            result = current.get(target, "")
            spans = [(int(o), int(n), orig.text or "") for (_, o, n), (orig, _) in
                     zip(pointers, pairs, strict=True)]
            regs = [reg.text or "" for _, reg in pairs]
            if target in current and all(
                result[o : o + n] == reg for (o, n, _), reg in zip(spans, regs, strict=True)
            ):
                text = current[target] = undo_spans(result, spans)
            else:
                # The text was corrected by hand after the edition was made (or the element
                # is gone): the stretches no longer fit, so the edit keeps only them.
                text = "…".join(orig for _, _, orig in spans)
                result = "…".join(regs)
        else:
            seg_text = _first(change, "t:seg[@type='text']")
            seg_result = _first(change, "t:seg[@type='result']")
            text = (seg_text.text or "") if seg_text is not None else ""
            result = (seg_result.text or "") if seg_result is not None else ""
        edits.append(Edit(step, rule, action, text, result, line, change.get("cert") == "low"))
    return tuple(reversed(edits))


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
            self.blocks.append(Block(kind, text, _lines(el), credit))  # type: ignore[arg-type]

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
                self.blocks.append(Block("figure", caption, _lines(el), credit))
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
    index, count = _story(scraped, name)
    field_sources = _field_sources(text_at(scraped, "t:note[@type='field-sources']") or "", name)
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
        source_script=text_at(scraped, "t:textLang"),
        # A foreign TEI names no scraped file: the TEI file itself is the source.
        source_file=text_at(scraped, "t:name[@type='file']") or display_name(Path(name).name),
        source_sha256=sha or hashlib.sha256(data).hexdigest(),
        source_encoding=text_at(scraped, "t:note[@type='encoding']") or "",
        article_index=index,
        article_count=count,
        field_sources=field_sources,
    )
    texts = {
        str(el.get(XML_ID)): _string(el, ours=ours_flag)
        for el in (body_root.iter() if body_root is not None else ())
        if isinstance(el.tag, str) and el.get(XML_ID)
    }
    return Article(md, tuple(body.blocks), _edits(_first(root, "t:standOff"), texts, name))


def _story(scraped: etree._Element | None, name: str) -> tuple[int, int]:
    """(article_index, article_count) from biblScope/measure unit="story" (else 1 of 1)."""
    if scraped is None:
        return 1, 1
    scope = _first(scraped, "t:biblScope[@unit='story']")
    measure = _first(scraped, "t:extent/t:measure[@unit='story']")
    try:
        index = int(scope.get("from", "1")) if scope is not None else 1
        count = int(measure.get("quantity", "1")) if measure is not None else 1
    except ValueError as exc:
        cause = f"{scraped.sourceline}:0: story number is not a number: {exc}"
        raise InputError(cause, name) from exc
    if not 1 <= index <= count:
        raise InputError(f"{scraped.sourceline}:0: story {index} of {count} is impossible", name)
    return index, count


def _field_sources(text: str, name: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for item in text.split():
        field, sep, source = item.partition("=")
        if not (sep and field and source):
            raise InputError(f"field-sources note: {item!r} is not field=source", name)
        pairs.append((field, source))
    return tuple(sorted(pairs))
