"""TEI P5 edition of an :class:`Article` (valid against tei_all 4.12.0 and the project schema).

Where the model's fields go (``readers/tei.py`` reads them back from the same places, so
TEI -> Article -> TEI is byte-identical for our own editions written with the same options
on the same day):

* title, subtitle, authors, editor/photographer/photo credits -> ``titleStmt``; a title the
  normaliser derived from the opening (``title_supplied``) is wrapped in
  ``<supplied reason="not-printed">`` (TEI's element for text an editor supplies); an article
  with no title at all gets the file name in ``<supplied reason="untitled">``.
* credits -> ``respStmt`` with ``resp/@key`` = role and the printed label as its text.
* newspaper, edition, page, section, date, url -> ``sourceDesc/biblStruct``; the scraped
  file (name, encoding, sha256) -> ``sourceDesc/bibl[@type="scraped-file"]``.
* the scraped file -> ``sourceDesc/bibl[@type="scraped-file"]``: its name, encoding,
  sha256, the script it was in (``textLang``), the story's place on a multi-story page
  (``biblScope unit="story"`` + ``extent/measure unit="story"``) and where each header
  field came from (``note type="field-sources"``, ``field=source`` pairs).
* every ``head``, ``p``, ``figure``, ``label`` and ``ab`` of the body has an ``xml:id``
  and, in ``@source``, the lines of the scraped file it came from as RFC 5147 fragments
  (``file.txt#line=9,12`` = lines 10-12).
* the provenance log -> ``standOff/listChange``, one ``change`` per edit in order:
  ``@type`` = action, ``@subtype`` = step, ``@n`` = rule id, ``@source`` = the source line,
  ``@cert="low"`` = doubtful. An edit whose result is the text of a body element is
  written character by character: ``@target`` lists ``#string-range(ID,offset,length)``
  pointers (TEI's pointer scheme; offsets from 0 in the element's text as it stood right
  after this edit, i.e. with the later character edits of the log undone — the text as
  written for the last one) and the content one ``choice/orig+reg`` per pointer; any
  other edit keeps its text and result in ``seg[@type="text"]`` and
  ``seg[@type="result"]`` (``@target`` then names the element it concerns, where one
  does). ``editorialDecl`` summarises the steps for people and says
  (``@method="markup"``) that edits are recorded; ``revisionDesc`` counts them.
* body: ``div[@type="article"]``; TEI allows ``head`` only at the top of a ``div``, so every
  heading block opens a ``div[@type="section"]``; photographer of a figure ->
  ``figure/byline/persName[@role="photographer"]``; label blocks -> ``label``; unclassified
  lines -> ``ab[@type="line"]``; the author affiliation -> closing ``byline/affiliation``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
from collections import Counter
from urllib.parse import quote, unquote

from lxml import etree

from newsarchive import TOOL_NAME, __version__
from newsarchive.model import Article, Block, Credit, Edit
from newsarchive.options import Options

TEI_NS = "http://www.tei-c.org/ns/1.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"
XML_LANG = f"{{{XML_NS}}}lang"
XML_ID = f"{{{XML_NS}}}id"
RNG_NS = "http://relaxng.org/ns/structure/1.0"
SCH_NS = "http://purl.oclc.org/dsdl/schematron"
# Relative: an archive package ships the two schemas beside its editions (schemas/README.md).
SCHEMA_HREF = "newsarchive.rng"
SCHEMATRON_HREF = "newsarchive.sch"
TOOL_ID = "newsarchive"  # xml:id of appInfo/application, the target of change/@who

# Characters XML 1.0 forbids (C0 controls except tab/LF/CR, surrogates, U+FFFE/FFFF).
_XML_FORBIDDEN = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")
_NOT_HAN = re.compile("[^\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]+")
# teidata.temporal.w3c forms we emit in @when; anything else stays as element text only.
_W3C_DATE = re.compile(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?")  # ASCII: what XSD accepts
# application/@version must match TEI's teidata.versionNumber; "0.1.0+dev" -> "0.1.0".
_VERSION = re.compile(r"\d+[a-z]*\d*(\.\d+[a-z]*\d*){0,3}")

LANG_NAMES = {"zh-Hans": "简体中文", "zh-Hant": "繁體中文", "zh-Hant-TW": "繁體中文（臺灣）",
              "zh-Hant-HK": "繁體中文（香港）", "en": "English"}
# Printed wording for a credit whose source gave no label (resp/@key keeps the role).
DEFAULT_RESP = {"editor": "editor", "photographer": "摄影", "photo-credit": "photo credit"}
PERSON_ROLES = {"author", "editor", "photographer"}
DIGITAL_EDITION_KEY = "digital-edition"
# publicationStmt needs an agency; without a configured publisher or authority, say so
# (newsarchive.toml: publisher = …, authority = …) rather than name the software.
DEFAULT_AUTHORITY = "not published: no publisher or authority configured for this edition"

# Provenance step -> editorialDecl element; matched on substrings of the step name because
# each normalisation step is one module and the step is its module name.
_DECL_RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("script", "opencc", "t2s", "s2t", "convert"), "normalization"),
    (("gloss", "pinyin", "character", "unicode", "nfc", "space", "normal"), "normalization"),
    (("punct",), "punctuation"),
    (("hyphen", "join", "wrap", "break"), "hyphenation"),
    (("correct", "typo", "fix"), "correction"),
    (("segment", "classify", "split", "block", "structure", "page"), "segmentation"),
)


def clean_text(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot carry (lxml would refuse them)."""
    # nearly every text is clean: a search is about twice as fast as a substitution
    return text if _XML_FORBIDDEN.search(text) is None else _XML_FORBIDDEN.sub("", text)


def tool_version() -> str:
    match = _VERSION.match(__version__)
    return match.group(0) if match else "0"


def _t(tag: str) -> str:
    return f"{{{TEI_NS}}}{tag}"


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, _t(tag))
    for key, value in attrs.items():
        el.set(XML_LANG if key == "lang" else key, clean_text(value))
    if text is not None:
        el.text = clean_text(text)
    return el


def _date(parent: etree._Element, tag: str, value: str) -> etree._Element:
    if _W3C_DATE.fullmatch(value) and _real_date(value):  # 2022-02-30 stays text only
        return _sub(parent, tag, value, when=value)
    return _sub(parent, tag, value)


def _real_date(value: str) -> bool:
    year, month, day = ([*map(int, value.split("-")), 1, 1])[:3]
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def han_count(text: str) -> int:
    # what is left once the runs of other characters are gone: one string, not a list of
    # one string per Han character
    return len(_NOT_HAN.sub("", text))


def step_element(step: str) -> str | None:
    """The editorialDecl element that describes provenance step ``step`` (None: a ``p``)."""
    name = step.lower()
    for keys, element in _DECL_RULES:
        if any(k in name for k in keys):
            return element
    return None


def steps_in_order(provenance: tuple[Edit, ...]) -> list[str]:
    return list(dict.fromkeys(e.step for e in provenance))


def emitted_blocks(article: Article) -> list[Block]:
    """The blocks that appear in the body: empty text blocks carry nothing, except a
    figure that still has a photographer credit."""
    return [
        b
        for b in article.blocks
        if b.text.strip() or (b.kind == "figure" and b.credit and b.credit.strip())
    ]


def _people(parent: etree._Element, tag: str, names: tuple[str, ...]) -> None:
    for name in names:
        if name.strip():
            _sub(parent, tag, name)


def _resp_stmt(parent: etree._Element, credit: Credit) -> None:
    stmt = _sub(parent, "respStmt")
    if credit.label:
        _sub(stmt, "resp", credit.label, key=credit.role)
    else:
        fallback = DEFAULT_RESP.get(credit.role, credit.role)
        attrs = {"key": credit.role}
        if not _HAN.search(fallback):
            attrs["lang"] = "en"
        _sub(stmt, "resp", fallback, **attrs)
    _sub(stmt, "persName" if credit.role in PERSON_ROLES else "name", credit.name)


def _title_stmt(header_fd: etree._Element, article: Article) -> None:
    md = article.metadata
    ts = _sub(header_fd, "titleStmt")
    title = _sub(ts, "title", type="main")
    if md.title and md.title.strip():
        if md.title_supplied:
            _sub(title, "supplied", md.title, reason="not-printed")
        else:
            title.text = clean_text(md.title)
    else:
        _sub(title, "supplied", md.source_file or "newsarchive edition", reason="untitled")
    if md.subtitle and md.subtitle.strip():
        _sub(ts, "title", md.subtitle, type="sub")
    _people(ts, "author", md.authors)
    for credit in md.credits:
        if credit.name.strip() and credit.role != "author":
            _resp_stmt(ts, credit)
    tool = _sub(ts, "respStmt")
    _sub(tool, "resp", "normalised digital edition", key=DIGITAL_EDITION_KEY, lang="en")
    _sub(tool, "name", TOOL_NAME, type="software")


def _extent(fd: etree._Element, article: Article, blocks: list[Block]) -> None:
    extent = _sub(fd, "extent", lang="en")
    chars = han_count(article.plain_text())
    paras = sum(1 for b in blocks if b.kind == "paragraph")
    figs = sum(1 for b in blocks if b.kind == "figure")
    _sub(extent, "measure", f"{chars} Chinese characters", unit="char", quantity=str(chars))
    _sub(extent, "measure", _plural(paras, "paragraph"), unit="paragraph", quantity=str(paras))
    _sub(extent, "measure", _plural(figs, "figure"), unit="figure", quantity=str(figs))


def edition_id(article: Article) -> str | None:
    """The edition's archive identifier (the OCFL object id ``archive`` deposits it under)."""
    if not article.metadata.source_sha256:
        return None
    from newsarchive.archive.record import object_id  # the archive's own rule, not a copy

    return object_id(article.metadata)


def _publication_stmt(fd: etree._Element, article: Article, options: Options, today: str) -> None:
    md = article.metadata
    ps = _sub(fd, "publicationStmt")
    # TEI order: agencies (publisher, authority), then idno, availability, date.
    publisher = options.publisher or md.publisher
    if publisher and publisher.strip():
        _sub(ps, "publisher", publisher)
    authority = options.authority
    if authority and authority.strip():
        _sub(ps, "authority", authority)
    elif not (publisher and publisher.strip()):
        _sub(ps, "authority", DEFAULT_AUTHORITY, lang="en")
    urn = edition_id(article)
    if urn:
        _sub(ps, "idno", urn, type="URN")
    if md.source_sha256:
        _sub(ps, "idno", md.source_sha256, type="sha256")
    licence = options.licence or md.licence
    if licence and licence.strip():
        _sub(_sub(ps, "availability"), "licence", licence)
    _sub(ps, "date", today, when=today)


# textLang/@mainLang must be BCP 47: the detector's "mixed" and "none" are said in words.
_SCRIPT_LANG = {"zh-Hans": "zh-Hans", "zh-Hant": "zh-Hant", "mixed": "zh"}


def _text_lang(parent: etree._Element, script: str) -> None:
    el = _sub(parent, "textLang", script)
    if script in _SCRIPT_LANG:
        el.set("mainLang", _SCRIPT_LANG[script])
    if script == "mixed":
        el.set("otherLangs", "zh-Hans zh-Hant")


def _source_desc(fd: etree._Element, article: Article) -> None:
    md = article.metadata
    sd = _sub(fd, "sourceDesc")
    has_title = bool(md.title and md.title.strip() and not md.title_supplied)
    newspaper = md.newspaper if md.newspaper and md.newspaper.strip() else None
    # biblStruct's imprint must not be empty: without date/page/section use a plain bibl.
    if newspaper and (md.date or md.page or md.section):
        bs = _sub(sd, "biblStruct")
        an = _sub(bs, "analytic")
        if has_title:
            _sub(an, "title", md.title, level="a")
        _people(an, "author", md.authors)
        if md.url:
            _sub(an, "idno", md.url, type="URI")
        mo = _sub(bs, "monogr")
        _sub(mo, "title", newspaper, level="j")
        if md.edition:
            _sub(mo, "edition", md.edition)
        imprint = _sub(mo, "imprint")
        if md.date:
            _date(imprint, "date", md.date)
        if md.page:
            _sub(imprint, "biblScope", md.page, unit="page")
        if md.section:
            _sub(imprint, "biblScope", md.section, unit="section")
    elif newspaper or has_title or md.authors or md.url or md.edition or md.page or md.section:
        # What the scraped page itself tells about the article.
        bibl = _sub(sd, "bibl", type="article")
        if has_title:
            _sub(bibl, "title", md.title, level="a")
        _people(bibl, "author", md.authors)
        if newspaper:
            _sub(bibl, "title", newspaper, level="j")
        if md.edition:
            _sub(bibl, "edition", md.edition)
        if md.date:
            _date(bibl, "date", md.date)
        if md.page:
            _sub(bibl, "biblScope", md.page, unit="page")
        if md.section:
            _sub(bibl, "biblScope", md.section, unit="section")
        if md.url:
            _sub(bibl, "idno", md.url, type="URI")
    sources = " ".join(f"{k}={v}" for k, v in md.field_sources if _is_token(k + v))
    story = md.article_count > 1 or md.article_index != 1
    if md.source_file or md.source_encoding or md.source_sha256 or md.source_script or (
        sources or story
    ):
        f = _sub(sd, "bibl", type="scraped-file")
        if md.source_file:
            _sub(f, "name", md.source_file, type="file")
        if md.source_encoding:
            _sub(f, "note", md.source_encoding, type="encoding")
        if md.source_sha256:
            _sub(f, "idno", md.source_sha256, type="sha256")
        if md.source_script:
            _text_lang(f, md.source_script)
        if story:
            n, count = str(md.article_index), str(md.article_count)
            scope = _sub(f, "biblScope", f"story {n} of {count} on the page", unit="story")
            scope.set("from", n)
            scope.set("to", n)
            scope.set(XML_LANG, "en")
            _sub(_sub(f, "extent"), "measure", _plural(md.article_count, "story").replace(
                "storys", "stories"), unit="story", quantity=count, lang="en")
        if sources:
            _sub(f, "note", sources, type="field-sources")
    if not len(sd):
        _sub(sd, "p", "No source was recorded for this text.", lang="en")


# What a step does, for people reading editorialDecl (matched like _DECL_RULES).
_STEP_PROSE: tuple[tuple[tuple[str, ...], str], ...] = (
    (("gloss", "pinyin"), "Pinyin glosses printed after characters removed."),
    (("punct",), "Half-width punctuation inside Chinese text replaced by full-width forms."),
    (
        ("hyphen", "join", "wrap", "break"),
        "Sentences broken across source lines rejoined; source line breaks are not kept.",
    ),
    (("chrome", "nav", "boiler"), "Web page chrome (navigation, page furniture, footers) removed."),
    (
        ("segment", "classify", "block", "structure"),
        "Source lines classified as headings, paragraphs, photo captions and labels.",
    ),
    (("split", "page"), "A page of several articles split into one edition per article."),
    (
        ("metadata", "meta", "credit", "byline"),
        "Title, credits, date and edition lifted from the text into the header.",
    ),
    (("correct", "typo", "fix"), "Errors in the source corrected silently."),
    (
        ("unicode", "nfc", "space", "whitespace", "normal"),
        "Characters and spacing normalised (Unicode forms, stray spaces).",
    ),
)


def _is_script_step(name: str) -> bool:
    return any(k in name for k in ("script", "opencc", "t2s", "s2t"))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _decl_text(
    step: str, element: str | None, edits: list[Edit], md_script: str | None, language: str
) -> str:
    actions = Counter(e.action for e in edits)
    summary = f"step {step}: {_plural(len(edits), 'edit')}" + (
        f" ({', '.join(f'{a} {n}' for a, n in sorted(actions.items()))})" if actions else ""
    )
    name = step.lower()
    if _is_script_step(name) and "convert" not in actions:
        return (
            f"Chinese script of the source identified as {md_script or 'not recorded'}; "
            f"no conversion to {language} was needed. {summary[0].upper()}{summary[1:]}."
        )
    if element == "normalization" and ("convert" in actions or _is_script_step(name)):
        config = {"zh-Hans": "t2s", "zh-Hant": "s2t", "zh-Hant-TW": "s2tw",
                  "zh-Hant-HK": "s2hk"}.get(language, "")
        return (
            f"Chinese script converted with OpenCC{f' ({config})' if config else ''} "
            f"from source script {md_script or 'not recorded'} to {language}; {summary}."
        )
    for keys, prose in _STEP_PROSE:
        if any(k in name for k in keys):
            return f"{prose} {summary[0].upper()}{summary[1:]}."
    return f"Normalisation {summary}."


def _encoding_desc(header: etree._Element, article: Article) -> None:
    md = article.metadata
    ed = _sub(header, "encodingDesc", lang="en")
    app = _sub(_sub(ed, "appInfo"), "application", ident=TOOL_NAME, version=tool_version())
    app.set(XML_ID, TOOL_ID)
    _sub(app, "label", TOOL_NAME)
    steps = steps_in_order(article.provenance)
    if not steps:
        return
    decl = _sub(ed, "editorialDecl")
    _sub(
        decl,
        "p",
        f"Every edit is recorded, in order, as a change in standOff/listChange "
        f"({_plural(len(article.provenance), 'edit')}): type = action, subtype = step, "
        "n = rule; changes of characters point at the changed text with "
        "#string-range(id,offset,length) and give orig/reg for each stretch.",
    )
    for step in steps:
        edits = [e for e in article.provenance if e.step == step]
        element = step_element(step)
        if _is_script_step(step.lower()) and not any(e.action == "convert" for e in edits):
            element = None  # nothing was converted: a note, not a normalisation
        text = _decl_text(step, element, edits, md.source_script, md.language)
        if element is None:
            _sub(decl, "p", text)
            continue
        attrs: dict[str, str] = {}
        if element in ("normalization", "correction"):
            attrs["method"] = "markup"  # every edit is a change in standOff/listChange
        elif element == "hyphenation":
            attrs["eol"] = "none"  # lines broken mid-sentence are rejoined, no break kept
        el = _sub(decl, element, **attrs)
        _sub(el, "p", text)
        joins = sum(1 for e in edits if e.action == "join")
        if joins and element != "hyphenation":
            # a step that also rejoins broken lines (segment does): declare that too
            hy = _sub(decl, "hyphenation", eol="none")
            _sub(
                hy,
                "p",
                f"{_plural(joins, 'line')} broken mid-sentence rejoined by step "
                f"{step}; source line breaks are not kept.",
            )


def _profile_desc(header: etree._Element, article: Article) -> None:
    md = article.metadata
    pd = _sub(header, "profileDesc")
    if md.date:
        _date(_sub(pd, "creation"), "date", md.date)
    lu = _sub(pd, "langUsage")
    for ident in dict.fromkeys((md.language, "en")):
        attrs = {"lang": "en"} if ident == "en" else {}
        _sub(lu, "language", LANG_NAMES.get(ident, ident), ident=ident, **attrs)


def _revision_desc(header: etree._Element, article: Article, today: str) -> None:
    rd = _sub(header, "revisionDesc", lang="en")
    who = f"#{TOOL_ID}"
    _sub(
        rd,
        "change",
        f"Normalised edition made by {TOOL_NAME} {tool_version()}.",
        when=today,
        who=who,
    )
    for step in steps_in_order(article.provenance):
        edits = [e for e in article.provenance if e.step == step]
        doubtful = sum(1 for e in edits if e.doubtful)
        text = f"{step}: {_plural(len(edits), 'edit')}"
        if doubtful:
            text += f", {doubtful} flagged for review"
        _sub(
            rd, "change", text + ".", when=today, who=who, type=step if _is_token(step) else "step"
        )


_TOKEN = re.compile(r"[^\s\x00-\x1f]+")


def _is_token(value: str) -> bool:
    return bool(_TOKEN.fullmatch(value))


def lines_uri(file: str, lines: tuple[int, ...]) -> str | None:
    """RFC 5147 fragments of the scraped file for 1-based ``lines``: each run of
    consecutive lines is one ``file#line=a,b`` (the text between line breaks a and b)."""
    if not file or not lines or any(n < 1 for n in lines):
        return None
    base = _quoted(file)
    if len(lines) == 1:  # an edit's one line (every change of the log): no runs to find
        return f"{base}#line={lines[0] - 1},{lines[0]}"
    runs: list[list[int]] = []
    for n in lines:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return " ".join(f"{base}#line={run[0] - 1},{run[-1]}" for run in runs)


@functools.lru_cache(maxsize=64)
def _quoted(file: str) -> str:
    """The file name as a URI path segment (once per file, not once per edit)."""
    return quote(file, safe="")


def parse_lines_uri(value: str) -> tuple[str, tuple[int, ...]] | None:
    """Inverse of :func:`lines_uri`: (file name, lines), None if not of that form."""
    file = None
    lines: list[int] = []
    for part in value.split():
        m = re.fullmatch(r"([^#]*)#line=(\d+),(\d+)", part)
        if not m or (file is not None and unquote(m[1]) != file) or int(m[2]) >= int(m[3]):
            return None
        file = unquote(m[1])
        lines += range(int(m[2]) + 1, int(m[3]) + 1)
    return (file, tuple(lines)) if file is not None else None


_ID_PREFIX = {"heading": "h", "paragraph": "p", "figure": "f", "label": "l", "line": "ab"}


class _Ids:
    """xml:id per element kind, numbered in document order (h1, p1, f1, l1, ab1)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def __call__(self, el: etree._Element, prefix: str) -> str:
        self.counts[prefix] += 1
        ident = f"{prefix}{self.counts[prefix]}"
        el.set(XML_ID, ident)
        return ident


def _body(
    text_el: etree._Element, article: Article, blocks: list[Block]
) -> tuple[list[str], dict[str, str]]:
    """Write the body; return the xml:id that carries each block's text (in order) and the
    id of the printed title/subtitle heads ("title"/"subtitle")."""
    md = article.metadata
    new_id = _Ids()
    body = _sub(text_el, "body")
    div = _sub(body, "div", type="article")
    heads: dict[str, str] = {}
    if md.subtitle and md.subtitle.strip():
        heads["subtitle"] = new_id(_sub(div, "head", md.subtitle, type="sub"), "h")
    if md.title and md.title.strip() and not md.title_supplied:
        heads["title"] = new_id(_sub(div, "head", md.title, type="main"), "h")
    names = [a for a in md.authors if a.strip()]
    if names:
        byline = _sub(div, "byline")
        for i, name in enumerate(names):
            el = _sub(byline, "docAuthor", name)
            if i < len(names) - 1:
                el.tail = " "
    current = div
    ids: list[str] = []
    for block in blocks:
        el: etree._Element
        if block.kind == "heading":
            current = _sub(div, "div", type="section")
            el = _sub(current, "head", block.text)
        elif block.kind == "paragraph":
            el = _sub(current, "p", block.text)
        elif block.kind == "label":
            el = _sub(current, "label", block.text)
        elif block.kind == "line":
            el = _sub(current, "ab", block.text, type="line")
        else:  # figure: the caption is its head
            el = _sub(current, "figure")
        ident = new_id(el, _ID_PREFIX[block.kind])
        where = lines_uri(md.source_file, block.source_lines)
        if where:
            el.set("source", where)
        if block.kind == "figure":
            if block.text.strip():
                ident = new_id(_sub(el, "head", block.text), "h")
            if block.credit and block.credit.strip():
                credit = _sub(el, "byline", "摄影：")
                _sub(credit, "persName", block.credit, role="photographer")
        ids.append(ident)
    if md.author_affiliation and md.author_affiliation.strip():
        _sub(_sub(div, "byline"), "affiliation", md.author_affiliation)
    return ids, heads


# Beyond this length an edit's two texts are not diffed (difflib is quadratic); an edit of
# equal length is compared position by position at any length.
_DIFF_LIMIT = 5000
_CHUNK = 32  # characters compared at once by char_spans


def char_spans(before: str, after: str) -> list[tuple[int, int, str, str]] | None:
    """(offset in ``after``, length in ``after``, original, regularised) for each changed
    stretch, or None when the two are too long to diff."""
    spans: list[tuple[int, int, str, str]] = []
    if len(before) == len(after):
        # Runs of differing positions. Chunks that are equal (most of them: an edit changes a
        # few characters of a paragraph) are compared as strings, in C; only the others are
        # walked character by character.
        start = None
        n = len(after)
        for c in range(0, n, _CHUNK):
            if before[c : c + _CHUNK] == after[c : c + _CHUNK]:
                if start is not None:
                    spans.append((start, c - start, before[start:c], after[start:c]))
                    start = None
                continue
            for i in range(c, min(c + _CHUNK, n)):
                if before[i] != after[i]:
                    if start is None:
                        start = i
                elif start is not None:
                    spans.append((start, i - start, before[start:i], after[start:i]))
                    start = None
        if start is not None:
            spans.append((start, n - start, before[start:], after[start:]))
        return spans
    if max(len(before), len(after)) > _DIFF_LIMIT:
        return None
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op != "equal":
            spans.append((j1, j2 - j1, before[i1:i2], after[j1:j2]))
    return spans


def undo_spans(after: str, spans: list[tuple[int, int, str]]) -> str:
    """The text before the edit: ``after`` with each (offset, length, original) put back."""
    text = after
    for offset, length, orig in sorted(spans, reverse=True):
        text = text[:offset] + orig + text[offset + length :]
    return text


def _plan(
    edits: tuple[Edit, ...], blocks: list[Block], ids: list[str], texts: dict[str, str]
) -> list[tuple[str | None, list[tuple[int, int, str, str]] | None]]:
    """Per edit: (xml:id it concerns, character spans or None for the full form).

    Edits are walked from the last to the first, undoing each one that is written as spans,
    so an earlier edit (script conversion) is located in the text as the later ones
    (punctuation) found it: its offsets count in the element's text as it stood right
    after that edit. The reader undoes them in the same order."""
    current = dict(texts)
    # Indexes instead of a scan of every block per edit (quadratic: a 1 MB page of short
    # lines has ~100,000 edits): source line -> ids, current text -> ids (in order).
    by_line: dict[int, list[str]] = {}
    for ident, b in zip(ids, blocks, strict=True):
        for n in b.source_lines:
            by_line.setdefault(n, []).append(ident)
    by_text: dict[str, dict[str, None]] = {}
    for ident, t in current.items():
        by_text.setdefault(t, {})[ident] = None
    plan: list[tuple[str | None, list[tuple[int, int, str, str]] | None]] = []
    for edit in reversed(edits):
        located = list(dict.fromkeys(by_line.get(edit.line, ()))) if edit.line is not None else []
        target = None
        if edit.result and edit.text and edit.text != edit.result:
            target = next((i for i in located if current.get(i) == edit.result), None)
            if target is None:
                same = by_text.get(edit.result, {})
                target = next(iter(same)) if len(same) == 1 else None
        spans = None
        if target is not None and clean_text(edit.text) == edit.text:
            spans = char_spans(edit.text, edit.result)
            if spans and undo_spans(edit.result, [s[:3] for s in spans]) == edit.text:
                by_text[current[target]].pop(target, None)
                current[target] = edit.text
                by_text.setdefault(edit.text, {})[target] = None
            else:
                spans = None
        plan.append((target if spans else (located[0] if located else None), spans))
    return plan[::-1]


# Each edit's change as XML text, the whole edit log parsed once: one lxml parse of a
# string instead of ~650 SubElement/set calls per article (the tree, and so the
# serialisation, is the same as building it element by element).
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTR_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;", "\n": "&#10;",
     "\t": "&#9;"}
)
_NEEDS_ESCAPE = re.compile('[&<>"\r\n\t]')


def _text(value: str) -> str:
    """``value`` cleaned (:func:`clean_text`) and escaped as element content."""
    value = clean_text(value)
    return value.translate(_TEXT_ESCAPES) if _NEEDS_ESCAPE.search(value) else value


def _escaped(value: str) -> str:
    return value.translate(_TEXT_ESCAPES)


def _attr(value: str) -> str:
    """``value`` cleaned and escaped as a double-quoted attribute value (a tab or line
    break as a character reference, or the parser would normalise it to a space)."""
    value = clean_text(value)
    return value.translate(_ATTR_ESCAPES) if _NEEDS_ESCAPE.search(value) else value


# orig, reg and seg always get text (lxml writes "" as <orig></orig>, the parse of the
# string leaves no text at all: <orig/>): the ones left empty get their "" back
_EMPTY_TEXT = etree.XPath(
    ".//t:orig[not(node())] | .//t:reg[not(node())] | .//t:seg[not(node())]",
    namespaces={"t": TEI_NS},
)


def _stand_off(root: etree._Element, article: Article, blocks: list[Block], ids: list[str],
               heads: dict[str, str]) -> None:
    if not article.provenance:
        return
    md = article.metadata
    texts = {ident: clean_text(b.text) for ident, b in zip(ids, blocks, strict=True)}
    if "title" in heads and md.title:
        texts[heads["title"]] = clean_text(md.title)
    if "subtitle" in heads and md.subtitle:
        texts[heads["subtitle"]] = clean_text(md.subtitle)
    plan = _plan(article.provenance, blocks, ids, texts)
    out = [f'<standOff xmlns="{TEI_NS}"><listChange type="normalisation" xml:lang="en">']
    add = out.append
    empty = False  # some orig, reg or seg of no characters
    # An article's edits have a handful of actions, steps and rules: each attribute text is
    # made once (the same function of the value), not once per change.
    words: dict[str, str] = {}
    rules: dict[str, str] = {}
    base = _quoted(md.source_file) if md.source_file else None
    for number, (edit, (target, spans)) in enumerate(zip(article.provenance, plan, strict=True), 1):
        action, step, rule = edit.action, edit.step, edit.rule
        if action not in words:
            words[action] = _attr(_token(action))
        if step not in words:
            words[step] = _attr(_token(step))
        if rule not in rules:
            rules[rule] = _attr(rule)
        add(f'<change type="{words[action]}" subtype="{words[step]}"'
            f' xml:id="e{number}" n="{rules[rule]}"')
        # The form the body's @source has (lines_uri of the one line; the reader parses
        # both with parse_lines_uri); percent-encoded and digits, nothing to escape.
        if base is not None and edit.line is not None and edit.line >= 1:
            add(f' source="{base}#line={edit.line - 1},{edit.line}"')
        if edit.doubtful:
            add(' cert="low"')
        # one line per change: a space between the parts keeps pretty-printing out of it
        if spans:
            pointers = " ".join(f"#string-range({target},{o},{n})" for o, n, _, _ in spans)
            add(f' target="{_attr(pointers)}">')
            # the spans are stretches of two texts already clean (_plan): escape only
            raw = [(orig, reg) for _, _, orig, reg in spans]
            escape = _NEEDS_ESCAPE.search(edit.text) or _NEEDS_ESCAPE.search(edit.result)
            readings = [(_escaped(o), _escaped(r)) for o, r in raw] if escape else raw
            add(" ".join(f"<choice><orig>{orig}</orig><reg>{reg}</reg></choice>"
                         for orig, reg in readings))
            empty = empty or any(not orig or not reg for orig, reg in readings)
        else:
            if target:
                add(f' target="#{_attr(target)}"')
            add(">")
            segs = [(kind, _text(value)) for kind, value in (("text", edit.text),
                                                             ("result", edit.result)) if value]
            add(" ".join(f'<seg type="{kind}">{value}</seg>' for kind, value in segs))
            empty = empty or any(not value for _, value in segs)
        add("</change>")
    add("</listChange></standOff>")
    stand_off = etree.fromstring("".join(out), _FRAGMENT_PARSER)
    if empty:
        for el in _EMPTY_TEXT(stand_off):
            el.text = ""
    root.append(stand_off)


_FRAGMENT_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def _token(value: str) -> str:
    if not _is_token(value):
        raise ValueError(f"edit step/action {value!r} is not a single word")
    return value


def build_tei(article: Article, options: Options, *, when: dt.date | None = None) -> etree._Element:
    """The TEI element tree of ``article`` (the root ``TEI`` element)."""
    today = (when or dt.date.today()).isoformat()
    md = article.metadata
    blocks = emitted_blocks(article)
    root = etree.Element(_t("TEI"), nsmap={None: TEI_NS})
    root.set(XML_LANG, md.language)
    header = _sub(root, "teiHeader")
    fd = _sub(header, "fileDesc")
    _title_stmt(fd, article)
    es = _sub(fd, "editionStmt", lang="en")
    _sub(es, "edition", f"normalised edition, made with {TOOL_NAME} {tool_version()}")
    _extent(fd, article, blocks)
    _publication_stmt(fd, article, options, today)
    _source_desc(fd, article)
    _encoding_desc(header, article)
    _profile_desc(header, article)
    _revision_desc(header, article, today)
    ids, heads = _body(_sub(root, "text"), article, blocks)
    _stand_off(root, article, blocks, ids, heads)
    return root


def serialize(root: etree._Element) -> bytes:
    """UTF-8 bytes with the XML declaration and the ``xml-model`` lines for both schemas."""
    doc = etree.ElementTree(root)
    rng = etree.ProcessingInstruction(
        "xml-model",
        f'href="{SCHEMA_HREF}" type="application/xml" schematypens="{RNG_NS}"',
    )
    sch = etree.ProcessingInstruction(
        "xml-model",
        f'href="{SCHEMATRON_HREF}" type="application/xml" schematypens="{SCH_NS}"',
    )
    root.addprevious(rng)
    root.addprevious(sch)
    return etree.tostring(doc, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def write_tei(article: Article, options: Options, *, when: dt.date | None = None) -> bytes:
    """The TEI P5 edition of ``article`` as UTF-8 XML bytes.

    ``when`` is the date of the edition (publicationStmt/date, revisionDesc/change/@when);
    default today. Pass it to make output reproducible across days.
    """
    return serialize(build_tei(article, options, when=when))
