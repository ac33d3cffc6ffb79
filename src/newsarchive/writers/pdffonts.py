"""The PDF edition's fonts: each TrueType face a document uses embedded once, as a
composite (Type0) font with 2-byte codes.

reportlab embeds a TrueType face as simple fonts of up to 256 glyphs each, a font file,
/Widths array and ToUnicode CMap per subset: a seed article (about 500 CJK glyphs) carried
4-5 programs of its main face, each with the face's `name` table (UMing's is 22 KB, mostly
the licence text), and a CJK line switched subsets ~18 times (a ``Tf`` per run).
:class:`CIDFont` (registered in reportlab's place, so its metrics and ``stringWidth`` are
reportlab's own and the line breaks do not move) writes instead one Type0 font per face:
/Encoding /Identity-H over a CIDFontType2 whose CIDs are the glyph indexes of a compact
font program (/CIDToGIDMap /Identity), made by :class:`Subsetter` from what it has read
once per process; /W in its compact form around the commonest width (/DW); a ToUnicode
CMap in UTF-16 (surrogate pairs for CJK Extension B and later); /CIDSet where PDF/A-1 requires
it of an embedded CID font subset (PDF/A-2 and -3 only check one that is there).

A character gets the next CID when it is first drawn in a document (CID 0 is .notdef; a
character the face lacks is set as .notdef, as reportlab does), so each character has its
own ToUnicode entry even where two share an outline; the subset tag comes from the glyph
list, so the same document gives the same bytes.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from contextlib import suppress
from struct import pack, unpack
from typing import Any

from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase import pdfdoc, ttfonts
from reportlab.pdfbase.ttfonts import (
    GF_ARG_1_AND_2_ARE_WORDS,
    GF_MORE_COMPONENTS,
    GF_WE_HAVE_A_SCALE,
    GF_WE_HAVE_A_TWO_BY_TWO,
    GF_WE_HAVE_AN_X_AND_Y_SCALE,
    TTFontMaker,
)

# A glyph: where its bytes are in ``glyf`` (start, end) and the offsets (in them) of its
# component glyph indexes, with the original index at each; () for a simple glyph. Offsets
# only: the glyf table is held once (the face's cached get_table), not a copy per glyph.
_Glyph = tuple[int, int, tuple[tuple[int, int], ...]]


def _set_ushort(data: bytes, offset: int, value: int) -> bytes:
    return data[:offset] + pack(">H", value) + data[offset + 2:]


class Subsetter:
    """Font programs of chosen glyphs of one reportlab ``TTFontFace``."""

    # Copied unchanged into every program (those present), as reportlab does.
    COPIED = ("name", "OS/2", "cvt ", "fpgm", "prep")

    def __init__(self, face: Any) -> None:
        self.face = face
        self.glyf = face.get_table("glyf")
        self.glyphs: dict[int, _Glyph] = {}
        # A simple glyph's bytes padded to 4 (each starts at a multiple of 4), by index:
        # sliced from glyf once per process, not once per document.
        self.padded: dict[int, bytes] = {}
        self.copied: list[tuple[str, bytes]] = []
        for tag in self.COPIED:
            with suppress(KeyError):  # cvt, fpgm, prep are optional
                self.copied.append((tag, face.get_table(tag)))
        self.post = b"\x00\x03\x00\x00" + face.get_table("post")[4:16] + b"\x00" * 16
        self.hhea = face.get_table("hhea")
        self.maxp = face.get_table("maxp")
        self.head = face.get_table("head")
        # (advance, lsb) per glyph in font units, from the table: reportlab's hmetrics give
        # the glyphs after the last full pair its advance scaled to 1000 units (HanaMin's
        # em is 1024), which its subsets copied into their hmtx.
        count = unpack(">H", self.hhea[34:36])[0]
        hmtx = face.get_table("hmtx")
        pairs = list(zip(*[iter(unpack(f">{2 * count}H", hmtx[:4 * count]))] * 2, strict=True))
        rest = len(face.hmetrics) - count
        lsbs = unpack(f">{rest}H", hmtx[4 * count:4 * count + 2 * rest])
        self.metrics = pairs + [(pairs[-1][0], lsb) for lsb in lsbs]

    def glyph(self, index: int) -> _Glyph:
        """Where the glyph is and its component references (a non-empty glyph too short to
        have a header is copied as an empty one)."""
        try:
            return self.glyphs[index]
        except KeyError:
            pass
        pos, end = self.face.glyphPos[index], self.face.glyphPos[index + 1]
        data = self.glyf[pos:end]
        found: _Glyph = (pos, end, ())
        if 0 < len(data) <= 2:
            found = (pos, pos, ())
        elif data and unpack(">h", data[:2])[0] < 0:  # composite
            refs = []
            at = 10
            flags = GF_MORE_COMPONENTS
            while flags & GF_MORE_COMPONENTS:
                flags, component = unpack(">HH", data[at:at + 4])
                refs.append((at + 2, component))
                at += 4
                at += 4 if flags & GF_ARG_1_AND_2_ARE_WORDS else 2
                if flags & GF_WE_HAVE_A_SCALE:
                    at += 2
                elif flags & GF_WE_HAVE_AN_X_AND_Y_SCALE:
                    at += 4
                elif flags & GF_WE_HAVE_A_TWO_BY_TWO:
                    at += 8
            found = (pos, end, tuple(refs))
        self.glyphs[index] = found
        return found

    def program(self, chosen: list[int]) -> tuple[bytes, list[int]]:
        """(font program, its glyphs' original indexes) whose glyph ``i`` is the face's
        glyph ``chosen[i]`` (``chosen[0]`` should be 0, .notdef); the components of
        composite glyphs not chosen follow, renumbered in the composites."""
        glyph_map = list(chosen)  # new glyph index -> old
        new_of: dict[int, int] = {}  # old -> its first new index
        for new, old in enumerate(glyph_map):
            new_of.setdefault(old, new)
        glyphs = []
        cache = self.glyphs
        n = 0
        while n < len(glyph_map):  # components join the map after the glyphs using them
            old = glyph_map[n]
            found = cache[old] if old in cache else self.glyph(old)
            glyphs.append(found)
            for _, component in found[2]:
                if component not in new_of:
                    new_of[component] = len(glyph_map)
                    glyph_map.append(component)
            n += 1

        output = TTFontMaker()
        for tag, table in self.copied:
            output.add(tag, table)
        output.add("post", self.post)

        metrics = self.metrics
        hmtx = [value for old in glyph_map for value in metrics[old]]
        # The last run of equal advances is written as left side bearings only.
        k = len(hmtx) - 2
        while k and hmtx[k] == hmtx[k - 2]:
            k -= 2
        k += 2
        hmtx = hmtx[:k] + hmtx[k + 1::2]
        output.add("hmtx", pack(f">{len(hmtx)}H", *hmtx))
        output.add("hhea", _set_ushort(self.hhea, 34, k >> 1))
        output.add("maxp", _set_ushort(self.maxp, 4, len(glyph_map)))

        parts: list[bytes] = []
        offsets = []
        pos = 0
        glyf = self.glyf
        padded = self.padded
        for old, (start, end, refs) in zip(glyph_map, glyphs, strict=True):
            offsets.append(pos)
            if refs:
                data = glyf[start:end]
                for at, component in refs:
                    data = _set_ushort(data, at, new_of[component])
                data += b"\0" * (-len(data) % 4)
            else:  # a simple glyph: the same bytes in every program
                data = padded.get(old)
                if data is None:
                    data = padded[old] = glyf[start:end] + b"\0" * (-(end - start) % 4)
            parts.append(data)
            pos += len(data)
        offsets.append(pos)
        output.add("glyf", b"".join(parts))
        if (pos + 1) >> 1 > 0xFFFF:
            loc_format = 1
            loca = pack(f">{len(offsets)}L", *offsets)
        else:
            loc_format = 0
            loca = pack(f">{len(offsets)}H", *(o >> 1 for o in offsets))
        output.add("loca", loca)
        output.add("head", _set_ushort(self.head, 50, loc_format))
        return bytes(output.makeStream()), glyph_map


class _Raw(pdfdoc.PDFObject):
    """An indirect object whose bytes are written here, not by reportlab's generic
    formatter (number by number, with type checks)."""

    __RefOnly__ = 1

    def __init__(self, content: bytes = b"") -> None:
        self.content = content

    def format(self, document: Any) -> bytes:
        return self.content


def _stream(entries: bytes, data: bytes) -> bytes:
    return b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(data), entries, data)


def widths_array(widths: list[Any]) -> tuple[Any, bytes]:
    """(/DW, /W) for CIDs 1.. with ``widths``: the commonest width as the default, every
    other run of consecutive CIDs as ``first [w …]``."""
    default = Counter(widths).most_common(1)[0][0] if widths else 1000
    runs: list[tuple[int, list[str]]] = []  # (first CID, its widths)
    last = -1
    for cid, width in enumerate(widths, 1):
        if width != default:
            if cid != last + 1:
                runs.append((cid, []))
            runs[-1][1].append(fp_str(width))
            last = cid
    return default, ("[" + " ".join(f"{c} [{' '.join(w)}]" for c, w in runs) + "]").encode()


# Character -> its UTF-16BE code units in hex, as the CMaps write it (per process: a
# document's ~700 characters are mostly those of the one before).
_UTF16: dict[str, str] = {}


def to_unicode_cmap(texts: list[str]) -> bytes:
    """ToUnicode CMap mapping CID ``i + 1`` to ``texts[i]`` (UTF-16BE): runs of consecutive
    CIDs and code points within one last byte as bfrange, the rest as bfchar, at most 100
    entries a block (ISO 32000-1, 9.10.3)."""
    ranges: list[str] = []
    chars: list[str] = []
    codes = list(map(ord, texts))
    utf16 = _UTF16
    i, n = 0, len(texts)
    while i < n:
        code = codes[i]
        j = i + 1
        while (j < n and codes[j] == code + (j - i) and (i + 1) >> 8 == (j + 1) >> 8
               and code <= 0xFFFF and code >> 8 == (code + j - i) >> 8):
            j += 1
        if j - i > 1:
            ranges.append(f"<{i + 1:04X}> <{j:04X}> <{code:04X}>")
        else:
            ch = texts[i]
            hex16 = utf16.get(ch)
            if hex16 is None:
                hex16 = utf16[ch] = ch.encode("utf-16-be").hex().upper()
            chars.append(f"<{i + 1:04X}> <{hex16}>")
        i = j
    body = []
    for kind, entries in (("bfchar", chars), ("bfrange", ranges)):
        for k in range(0, len(entries), 100):
            block = entries[k:k + 100]
            body += [f"{len(block)} begin{kind}", *block, f"end{kind}"]
    return "\n".join([
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <FFFF>",
        "endcodespacerange",
        *body,
        "endcmap",
        "CMapName currentdict /CMap defineresource pop",
        "end",
        "end",
    ]).encode("ascii")


def cid_set(count: int) -> bytes:
    """The CIDSet bit string of CIDs 0 … count-1 (high-order bit first)."""
    full, rest = divmod(count, 8)
    return b"\xff" * full + (bytes([(0xFF00 >> rest) & 0xFF]) if rest else b"")


def subset_tag(glyphs: list[int]) -> str:
    """Six capital letters from the glyph list (ISO 32000-1, 9.6.4): the same document
    gives the same tag, another set of glyphs (almost always) another."""
    digest = hashlib.sha1(pack(f">{len(glyphs)}H", *glyphs)).digest()
    return "".join(chr(65 + b % 26) for b in digest[:6])


class _State:
    """One face in one document: its resource name and the characters drawn, by CID."""

    def __init__(self, name: str) -> None:
        self.name = name  # "/F1"
        self.chars: list[str] = []  # CID i + 1 -> the character
        self.glyphs: list[int] = [0]  # CID -> the face's glyph index


class CIDFont(ttfonts.TTFont):
    """A reportlab TrueType font written as one Type0 font per document (module doc)."""

    def __init__(self, name: str, filename: str, subfontIndex: int = 0) -> None:
        super().__init__(name, filename, subfontIndex=subfontIndex)
        self.subsetter: Subsetter | None = None

    def _state(self, doc: Any) -> _State:
        table: dict[str, _State] = doc.__dict__.setdefault("_na_cid_fonts", {})
        state = table.get(self.fontName)
        if state is None:
            name = f"F{len(doc.fontMapping) + 1}"
            doc.fontMapping[self.fontName] = "/" + name
            doc.delayedFonts.append(self)
            state = table[self.fontName] = _State("/" + name)
        return state

    def code(self, ch: str, doc: Any) -> tuple[str, int]:
        """(resource name, CID) of ``ch`` in ``doc``; call once per character and document
        (each call gives the character a new CID)."""
        state = self._state(doc)
        return state.name, self.coder(state)(ch)

    def coder(self, state: _State) -> Any:
        """``code`` for one document's state of this face, as a closure: the lookups done
        once, not per character (a document gives ~700 characters their CIDs)."""
        to_glyph = self.face.charToGlyph.get
        chars, glyphs = state.chars, state.glyphs
        add_char, add_glyph = chars.append, glyphs.append

        def code(ch: str) -> int:
            # A no-break space is set as a space (reportlab's splitString does the same).
            glyph = to_glyph(32 if ch == "\xa0" else ord(ch))
            if glyph is None:
                return 0
            add_char(ch)
            add_glyph(glyph)
            return len(glyphs) - 1

        return code

    def splitString(self, text: str, doc: Any, encoding: str = "utf-8") -> Any:
        raise NotImplementedError("CIDFont text is drawn with its codes (pdf._Codes)")

    def addObjects(self, doc: Any) -> None:
        state = self._state(doc)
        face = self.face
        if self.subsetter is None:
            self.subsetter = Subsetter(face)
        program, glyph_map = self.subsetter.program(state.glyphs)
        ps_name = (face.name + face.subfontNameX).decode("latin-1")
        base = f"/{subset_tag(glyph_map)}+{ps_name}"
        # Type0, CIDFont, FontDescriptor, FontFile2, ToUnicode and a CIDSet if the writer
        # asks for one (doc.na_cid_set: PDF/A-1 requires it) or does not say.
        with_cid_set = getattr(doc, "na_cid_set", True)
        objects = [_Raw() for _ in range(6 if with_cid_set else 5)]
        internal = state.name[1:]
        doc.Reference(objects[0], internal)
        doc.idToObject["BasicFonts"].dict[internal] = objects[0]
        refs = [b"%d 0 R" % doc.idToObjectNumberAndVersion[doc.Reference(obj).name][0]
                for obj in objects[1:]]
        descendant, descriptor, font_file, cmap, *cidsets = refs
        cidset = cidsets[0] if cidsets else b""
        char_width = face.getCharWidth
        default, widths = widths_array(
            [char_width(32 if ch == "\xa0" else ord(ch)) for ch in state.chars])
        num = fp_str
        objects[1].content = (
            b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont %s /CIDSystemInfo << /Registry "
            b"(Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor %s /DW %s /W %s "
            b"/CIDToGIDMap /Identity >>"
            % (base.encode(), descriptor, num(default).encode(), widths))
        flags = (face.flags & ~ttfonts.FF_NONSYMBOLIC) | ttfonts.FF_SYMBOLIC
        objects[2].content = (
            b"<< /Type /FontDescriptor /FontName %s /Flags %d /FontBBox [%s] /ItalicAngle %s "
            b"/Ascent %s /Descent %s /CapHeight %s /StemV %s /FontFile2 %s%s >>"
            % (base.encode(), flags, num(*face.bbox).encode(), num(face.italicAngle).encode(),
               num(face.ascent).encode(), num(face.descent).encode(),
               num(face.capHeight).encode(), num(face.stemV).encode(), font_file,
               b" /CIDSet " + cidset if cidset else b""))
        objects[3].content = _stream(b" /Length1 %d" % len(program), program)
        objects[4].content = _stream(b"", to_unicode_cmap(state.chars))
        if cidset:
            objects[5].content = _stream(b"", cid_set(len(glyph_map)))
        objects[0].content = (
            b"<< /Type /Font /Subtype /Type0 /BaseFont %s /Encoding /Identity-H "
            b"/DescendantFonts [%s] /ToUnicode %s >>" % (base.encode(), descendant, cmap))
