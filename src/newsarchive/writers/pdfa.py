"""PDF/A post-step: turn reportlab's PDF into PDF/A-1b (or 2b/3b) with pikepdf.

reportlab already embeds subset TrueType fonts with ToUnicode maps; what PDF/A still needs is
an XMP packet mirroring the Info dictionary, an OutputIntent with an ICC profile, a trailer
/ID, and (for part 1) PDF 1.4 without object streams. The XMP is written here as text: the
packet pikepdf's ``open_metadata()`` writes declares namespaces per element, which PDFBox
preflight rejects ("Schema is not set").
"""

from __future__ import annotations

import functools
import mimetypes
import zlib
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import escape

import pikepdf
from pikepdf import Array, Dictionary, Name, Pdf, Stream, String

from newsarchive.errors import OutputError

SRGB_ICC = Path("/usr/share/color/icc/sRGB.icc")  # icc-profiles-free; ICC v2.3 as PDF/A-1 needs

PdfaLevel = Literal["1b", "2b", "3b"]


@dataclass(frozen=True)
class DocInfo:
    title: str
    author: str
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


def xmp_packet(info: DocInfo, part: int) -> bytes:
    """The XMP packet, one rdf:Description per schema with its namespace on it."""
    dc = ["<dc:format>application/pdf</dc:format>", f"<dc:title>{_alt(info.title)}</dc:title>"]
    if info.author:  # preflight: exactly one dc:creator entry, equal to Info /Author
        dc.append(
            f"<dc:creator><rdf:Seq><rdf:li>{escape(info.author)}</rdf:li></rdf:Seq></dc:creator>"
        )
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

    def desc(ns: str, uri: str, body: list[str]) -> str:
        inner = "\n    ".join(body)
        head = f'  <rdf:Description rdf:about="" xmlns:{ns}="{uri}">'
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
                "<pdfaid:conformance>B</pdfaid:conformance>",
            ],
        ),
    ]
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


@functools.cache
def _compressed_icc(icc: bytes) -> bytes:
    return zlib.compress(icc, 9)


def _output_intent(pdf: Pdf) -> Dictionary:
    try:
        icc = SRGB_ICC.read_bytes()
    except OSError as exc:
        raise OutputError(
            f"sRGB ICC profile missing (install icc-profiles-free): {exc}", str(SRGB_ICC)
        ) from exc
    # Compressed here because the save below passes streams through untouched.
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


def make_pdfa(
    data: bytes,
    info: DocInfo,
    *,
    level: PdfaLevel = "1b",
    attachments: dict[str, bytes] | None = None,
) -> bytes:
    """Return ``data`` (a reportlab PDF) as PDF/A-``level``.

    Only 1b is checked by a validator here (PDFBox preflight); 2b/3b follow the same recipe
    with PDF 1.7 and, for 3b, embedded source files. ``attachments`` are ignored below 3b:
    PDF/A-1 forbids embedded files and PDF/A-2 allows only PDF/A ones.
    """
    part = int(level[0])
    with Pdf.open(BytesIO(data)) as pdf:
        if part == 3 and attachments:
            _attach(pdf, attachments, info.created)
        stamp = pdf_date(info.created)
        docinfo = Dictionary(
            Title=String(info.title),
            Creator=String(info.creator),
            Producer=String(info.producer),
            CreationDate=String(stamp),
            ModDate=String(stamp),
        )
        if info.author:
            docinfo.Author = String(info.author)
        if info.subject:
            docinfo.Subject = String(info.subject)
        if info.keywords:
            docinfo.Keywords = String(info.keywords)
        pdf.trailer.Info = pdf.make_indirect(docinfo)
        meta = Stream(pdf, xmp_packet(info, part))
        meta.Type = Name.Metadata
        meta.Subtype = Name.XML
        pdf.Root.Metadata = pdf.make_indirect(meta)
        pdf.Root.OutputIntents = Array([pdf.make_indirect(_output_intent(pdf))])
        pdf.Root.Lang = String(info.language)
        out = BytesIO()
        pdf.save(
            out,
            force_version="1.4" if part == 1 else "1.7",
            object_stream_mode=pikepdf.ObjectStreamMode.disable,
            # reportlab has compressed what is worth compressing; letting qpdf compress
            # the rest again costs 17 ms of the ~19 ms this step takes. Attached source
            # files (3b) are new, uncompressed streams: those are compressed.
            compress_streams=bool(part == 3 and attachments),
            # Reproducible /ID from the content; PDF/A requires one in the trailer.
            deterministic_id=True,
            fix_metadata_version=False,
        )
    return out.getvalue()
