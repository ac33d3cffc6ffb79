"""PDF/A + PDF/UA post-step: turn reportlab's PDF into a tagged PDF/A (default 2a) that is
also PDF/UA-1, with pikepdf.

reportlab already embeds subset TrueType fonts with ToUnicode maps; what PDF/A still needs is
an XMP packet mirroring the Info dictionary, an OutputIntent with an ICC profile, a trailer
/ID, and (for part 1) PDF 1.4 without object streams. The XMP is written here as text: the
packet pikepdf's ``open_metadata()`` writes declares namespaces per element, which PDFBox
preflight rejects ("Schema is not set").

Tagging: reportlab has no tagging API, so the writer brackets what it draws in marked
content (``/P <</MCID n>> BDC … EMC``, page furniture as ``/Artifact``) and records a tree
of :class:`Node` s; here that tree becomes the StructTreeRoot with its ParentTree (page ->
MCID -> element) and RoleMap, plus /MarkInfo, /ViewerPreferences /DisplayDocTitle and the
PDF/UA identification in the XMP.
"""

from __future__ import annotations

import functools
import mimetypes
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import get_args
from xml.sax.saxutils import escape

import deflate
import pikepdf
from pikepdf import Array, Dictionary, Name, Pdf, Stream, String

from newsarchive.errors import OutputError
from newsarchive.options import PdfaLevel

SRGB_ICC = Path("/usr/share/color/icc/sRGB.icc")  # icc-profiles-free; ICC v2.3 as PDF/A-1 needs

LEVELS: tuple[str, ...] = get_args(PdfaLevel)

# Our own structure types, each mapped to the standard type a reader falls back to.
ROLE_MAP = {
    "Kicker": "P",
    "Subtitle": "P",
    "Byline": "P",
    "Dateline": "P",
    "Credit": "Span",
    "Colophon": "Sect",
}


@dataclass(frozen=True)
class Mark:
    """A marked-content sequence: page index (0-based) and its MCID on that page."""

    page: int
    mcid: int


@dataclass(eq=False)
class Node:
    """A structure element: ``role`` (standard or in ROLE_MAP), kids in reading order.

    A node joins its parent's kids when :meth:`attach` is first called (when its first
    content is drawn), so the order of the tree is the order of drawing."""

    role: str
    parent: Node | None = field(default=None, repr=False)
    alt: str = ""  # /Alt (a Figure's replacement text)
    lang: str = ""  # /Lang where it differs from the document's
    title: str = ""  # /T
    kids: list[Node | Mark] = field(default_factory=list)
    attached: bool = field(default=False, repr=False)

    def attach(self) -> None:
        if self.parent is not None and not self.attached:
            self.parent.attach()
            self.parent.kids.append(self)
            self.attached = True


@dataclass(frozen=True)
class DocInfo:
    title: str
    authors: tuple[str, ...]
    subject: str
    keywords: str
    creator: str
    producer: str
    language: str
    created: datetime
    document_id: str  # "uuid:…"
    publisher: str = ""
    source: str = ""


def pdf_date(when: datetime) -> str:
    """Info-dictionary date; same instant as :func:`xmp_date` (preflight compares them)."""
    off = when.utcoffset()
    minutes = int(off.total_seconds() // 60) if off is not None else 0
    sign = "+" if minutes >= 0 else "-"
    hh, mm_ = divmod(abs(minutes), 60)
    return when.strftime("D:%Y%m%d%H%M%S") + f"{sign}{hh:02d}'{mm_:02d}'"


def xmp_date(when: datetime) -> str:
    return when.isoformat(timespec="seconds")


def _alt(value: str) -> str:
    return f'<rdf:Alt><rdf:li xml:lang="x-default">{escape(value)}</rdf:li></rdf:Alt>'


# PDF/A allows XMP properties outside its predefined schemas only when the packet describes
# them (extension schema): pdfuaid is one (ISO 14289-1, 5; PDF/A-2, 6.6.2.3).
_PDFUA_EXTENSION = """<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
      <pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>
      <pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>
      <pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>
      <pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">
        <pdfaProperty:name>part</pdfaProperty:name>
        <pdfaProperty:valueType>Integer</pdfaProperty:valueType>
        <pdfaProperty:category>internal</pdfaProperty:category>
        <pdfaProperty:description>Part of ISO 14289 the file conforms to</pdfaProperty:description>
      </rdf:li></rdf:Seq></pdfaSchema:property>
    </rdf:li></rdf:Bag></pdfaExtension:schemas>"""


def xmp_packet(info: DocInfo, level: str = "2a", ua: bool = True) -> bytes:
    """The XMP packet, one rdf:Description per schema with its namespace on it."""
    part, conformance = level[0], level[1:].upper()
    dc = ["<dc:format>application/pdf</dc:format>", f"<dc:title>{_alt(info.title)}</dc:title>"]
    if info.authors:  # each author an entry (Info /Author only mirrors a single one)
        items = "".join(f"<rdf:li>{escape(a)}</rdf:li>" for a in info.authors)
        dc.append(f"<dc:creator><rdf:Seq>{items}</rdf:Seq></dc:creator>")
    if info.subject:
        dc.append(f"<dc:description>{_alt(info.subject)}</dc:description>")
    if info.publisher:
        dc.append(
            f"<dc:publisher><rdf:Bag><rdf:li>{escape(info.publisher)}</rdf:li></rdf:Bag>"
            "</dc:publisher>"
        )
    if info.source:
        dc.append(f"<dc:source>{escape(info.source)}</dc:source>")
    dc.append(
        f"<dc:language><rdf:Bag><rdf:li>{escape(info.language)}</rdf:li></rdf:Bag></dc:language>"
    )
    date = xmp_date(info.created)
    pdf = [f"<pdf:Producer>{escape(info.producer)}</pdf:Producer>"]
    if info.keywords:
        pdf.append(f"<pdf:Keywords>{escape(info.keywords)}</pdf:Keywords>")

    def desc(ns: str, uri: str, body: list[str], extra: str = "") -> str:
        inner = "\n    ".join(body)
        head = f'  <rdf:Description rdf:about="" xmlns:{ns}="{uri}"{extra}>'
        return f"{head}\n    {inner}\n  </rdf:Description>"

    descs = [
        desc("dc", "http://purl.org/dc/elements/1.1/", dc),
        desc(
            "xmp",
            "http://ns.adobe.com/xap/1.0/",
            [
                f"<xmp:CreateDate>{date}</xmp:CreateDate>",
                f"<xmp:ModifyDate>{date}</xmp:ModifyDate>",
                f"<xmp:MetadataDate>{date}</xmp:MetadataDate>",
                f"<xmp:CreatorTool>{escape(info.creator)}</xmp:CreatorTool>",
            ],
        ),
        desc("pdf", "http://ns.adobe.com/pdf/1.3/", pdf),
        desc(
            "xmpMM",
            "http://ns.adobe.com/xap/1.0/mm/",
            [
                f"<xmpMM:DocumentID>{escape(info.document_id)}</xmpMM:DocumentID>",
            ],
        ),
        desc(
            "pdfaid",
            "http://www.aiim.org/pdfa/ns/id/",
            [
                f"<pdfaid:part>{part}</pdfaid:part>",
                f"<pdfaid:conformance>{conformance}</pdfaid:conformance>",
            ],
        ),
    ]
    if ua:
        descs.append(desc("pdfuaid", "http://www.aiim.org/pdfua/ns/id/",
                          ["<pdfuaid:part>1</pdfuaid:part>"]))
        descs.append(desc(
            "pdfaExtension", "http://www.aiim.org/pdfa/ns/extension/", [_PDFUA_EXTENSION],
            ' xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"'
            ' xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#"',
        ))
    body = "\n".join(descs)
    # Trailing padding lets other tools update the packet in place (XMP spec, 7.3.2).
    padding = ("\n" + " " * 99) * 20
    text = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        f"{body}\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>"
        f"{padding}\n"
        '<?xpacket end="w"?>'
    )
    return text.encode("utf-8")


# reportlab writes every stream uncompressed (its zlib level 6 was a third of the PDF's
# time); each stream is compressed once, here, with libdeflate (about 2.8 times as fast as
# zlib at level 6, no larger). Level 1, its fastest: the streams of 50 copies of the seeds
# (559 KiB raw per article) took 4.0 ms per article against 8.2 at level 6, for PDFs 6.6 %
# larger (280.5 against 263.1 KiB); levels 2-4 took 5.7-6.5 ms (+4.1 to +2.0 %).
DEFLATE_LEVEL = 1


def _flate(data: bytes) -> bytes:
    return bytes(deflate.zlib_compress(data, DEFLATE_LEVEL))


@functools.cache
def _compressed_icc(icc: bytes) -> bytes:
    return bytes(deflate.zlib_compress(icc, 12))  # once per process: the best level


def _output_intent(pdf: Pdf) -> Dictionary:
    try:
        icc = SRGB_ICC.read_bytes()
    except OSError as exc:
        raise OutputError(
            f"sRGB ICC profile missing (install icc-profiles-free): {exc}", str(SRGB_ICC)
        ) from exc
    profile = Stream(pdf, _compressed_icc(icc), Filter=Name.FlateDecode)
    profile["/N"] = 3
    return Dictionary(
        Type=Name.OutputIntent,
        S=Name.GTS_PDFA1,  # the same subtype serves PDF/A-1, -2 and -3
        OutputConditionIdentifier=String("sRGB IEC61966-2.1"),
        RegistryName=String("http://www.color.org"),
        Info=String("sRGB IEC61966-2.1"),
        DestOutputProfile=pdf.make_indirect(profile),
    )


def _attach(pdf: Pdf, attachments: dict[str, bytes], when: datetime) -> None:
    """Embed source files as PDF/A-3 associated files (/AF, /AFRelationship /Source)."""
    specs = []
    for name, data in attachments.items():
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if name.endswith(".xml"):
            mime = "application/xml"
        spec = pikepdf.AttachedFileSpec(
            pdf,
            data,
            description=f"Source of this edition: {name}",
            filename=name,
            mime_type=mime,
            creation_date=pdf_date(when),
            mod_date=pdf_date(when),
            relationship=Name.Source,
        )
        pdf.attachments[name] = spec
        specs.append(spec.obj)
    pdf.Root.AF = pdf.make_indirect(Array(specs))


def _compress(pdf: Pdf) -> None:
    """Compress every stream not yet filtered, except the XMP packet (left readable)."""
    for obj in pdf.objects:
        if (isinstance(obj, Stream) and Name.Filter not in obj
                and obj.get(Name.Type) != Name.Metadata):
            obj.write(_flate(obj.read_raw_bytes()), filter=Name.FlateDecode)


def _structure(pdf: Pdf, document: Node, language: str) -> None:
    """StructTreeRoot from ``document``: elements, ParentTree, RoleMap; pages get
    /StructParents (their key in the ParentTree) and /Tabs /S."""
    pages = [page.obj for page in pdf.pages]
    owner: dict[Mark, Dictionary] = {}
    roles: set[str] = set()
    root = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot))

    def element(node: Node, parent: Dictionary) -> Dictionary | None:
        elem = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name("/" + node.role),
                                            P=parent))
        kids = Array()
        home: int | None = None
        for kid in node.kids:
            if isinstance(kid, Mark):
                if home is None:
                    home = kid.page
                    elem.Pg = pages[home]
                if kid.page == home:
                    kids.append(kid.mcid)
                else:
                    kids.append(Dictionary(Type=Name.MCR, Pg=pages[kid.page], MCID=kid.mcid))
                owner[kid] = elem
            elif (child := element(kid, elem)) is not None:
                kids.append(child)
        if not kids:
            return None  # nothing drawn for it (an empty block)
        elem.K = kids
        roles.add(node.role)
        if node.alt:
            elem.Alt = String(node.alt)
        if node.lang and node.lang != language:
            elem.Lang = String(node.lang)
        if node.title:
            elem.T = String(node.title)
        return elem

    top = element(document, root)
    by_page: dict[int, list[Mark]] = {}  # one pass: a scan of every mark per page was quadratic
    for mark in owner:
        by_page.setdefault(mark.page, []).append(mark)
    nums = Array()
    for index, page in enumerate(pdf.pages):
        page.obj.Tabs = Name.S
        marks = sorted(by_page.get(index, ()), key=lambda m: m.mcid)
        if not marks:
            continue
        # MCIDs are 0..n-1 per page, in drawing order: the array index is the MCID.
        assert [m.mcid for m in marks] == list(range(len(marks))), "MCIDs not dense"
        page.obj.StructParents = index
        nums.extend([index, pdf.make_indirect(Array([owner[m] for m in marks]))])
    root.K = Array([top]) if top is not None else Array()
    root.ParentTree = pdf.make_indirect(Dictionary(Nums=nums))
    root.ParentTreeNextKey = len(pages)
    root.RoleMap = Dictionary({f"/{k}": Name("/" + v) for k, v in ROLE_MAP.items() if k in roles})
    pdf.Root.StructTreeRoot = root
    pdf.Root.MarkInfo = Dictionary(Marked=True)


def make_pdfa(
    data: bytes,
    info: DocInfo,
    *,
    level: PdfaLevel = "2a",
    attachments: dict[str, bytes] | None = None,
    structure: Node | None = None,
) -> bytes:
    """Return ``data`` (a reportlab PDF) as PDF/A-``level``, tagged and PDF/UA-1 when
    ``structure`` (the document's structure tree) is given.

    ``attachments`` are embedded in part 3 only: PDF/A-1 forbids embedded files and
    PDF/A-2 allows only PDF/A ones. Level "a" needs ``structure``. The fonts' ToUnicode
    CMaps are pdffonts.CIDFont's own, UTF-16 throughout (astral characters as surrogate
    pairs), so none needs mending here.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown PDF/A level {level!r}")
    if level.endswith("a") and structure is None:
        raise ValueError(f"PDF/A-{level} needs a structure tree")
    part = int(level[0])
    with Pdf.open(BytesIO(data)) as pdf:
        if part == 3 and attachments:
            _attach(pdf, attachments, info.created)
        if structure is not None:
            _structure(pdf, structure, info.language)
            pdf.Root.ViewerPreferences = Dictionary(DisplayDocTitle=True)
        stamp = pdf_date(info.created)
        docinfo = Dictionary(
            Title=String(info.title),
            Creator=String(info.creator),
            Producer=String(info.producer),
            CreationDate=String(stamp),
            ModDate=String(stamp),
        )
        if len(info.authors) == 1:  # must equal dc:creator, which lists each author
            docinfo.Author = String(info.authors[0])
        if info.subject:
            docinfo.Subject = String(info.subject)
        if info.keywords:
            docinfo.Keywords = String(info.keywords)
        pdf.trailer.Info = pdf.make_indirect(docinfo)
        # PDF/UA-1 builds on PDF 1.7: a PDF/A-1 (PDF 1.4) file is tagged but not declared UA.
        meta = Stream(pdf, xmp_packet(info, level, ua=structure is not None and part >= 2))
        meta.Type = Name.Metadata
        meta.Subtype = Name.XML
        pdf.Root.Metadata = pdf.make_indirect(meta)
        pdf.Root.OutputIntents = Array([pdf.make_indirect(_output_intent(pdf))])
        pdf.Root.Lang = String(info.language)
        _compress(pdf)
        out = BytesIO()
        pdf.save(
            out,
            force_version="1.4" if part == 1 else "1.7",
            object_stream_mode=pikepdf.ObjectStreamMode.disable,
            # Every stream is compressed already (_compress); qpdf passes them through.
            compress_streams=False,
            # Reproducible /ID from the content; PDF/A requires one in the trailer.
            deterministic_id=True,
            fix_metadata_version=False,
        )
    return out.getvalue()
