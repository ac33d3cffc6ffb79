"""reportlab's embedded TrueType fonts, the same bytes, made faster.

Subsets: reportlab embeds a font as subsets of up to 256 glyphs, each a font file built by
``TTFontFace.makeSubset``: for every glyph it seeks and reads the glyph's header through
its parser to find composite components, slices the glyph out of the whole ``glyf`` table
and checks it again while copying. A seed article (about 500 CJK glyphs in 3-4 subsets)
spent ~3 ms there. :class:`Subsetter` makes byte-for-byte the same font file
(tests/test_pdf.py compares the two on every face of the chain) from what it has read once
per process: each glyph's bytes with where its component references are, and the tables
every subset copies unchanged.

Widths: each subset's font dictionary has a /Widths array of its 256 advances, which
reportlab's serialiser formats number by number through its generic ``format`` (type checks,
a codec call each): 0.7 ms per array, ~3 ms per seed article. :class:`TTFont` swaps in a
:class:`NumberArray` that writes the same bytes in one pass; the subsets' ToUnicode CMaps
(ASCII text) are handed to the serialiser as bytes, so it does not encode them through its
pdfdoc codec, a charmap lookup per character.
"""

from __future__ import annotations

from contextlib import suppress
from struct import pack, unpack
from typing import Any

from reportlab import rl_config
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
    """``makeSubset`` of one reportlab ``TTFontFace``; install with :func:`install`."""

    # Copied from the original into every subset, as reportlab does (those present).
    COPIED = ("name", "OS/2", "cvt ", "fpgm", "prep")

    def __init__(self, face: Any, original: Any) -> None:
        self.face = face
        self.original = original  # reportlab's own, for what this does not copy
        self.glyf = face.get_table("glyf")
        self.glyphs: dict[int, _Glyph | None] = {}
        self.copied: list[tuple[str, bytes]] = []
        for tag in self.COPIED:
            with suppress(KeyError):  # cvt, fpgm, prep are optional
                self.copied.append((tag, face.get_table(tag)))
        self.post = b"\x00\x03\x00\x00" + face.get_table("post")[4:16] + b"\x00" * 16
        self.hhea = face.get_table("hhea")
        self.maxp = face.get_table("maxp")
        self.head = face.get_table("head")
        self.metrics = [(int(aw), int(lsb)) for aw, lsb in face.hmetrics]

    def glyph(self, index: int) -> _Glyph | None:
        """Where the glyph is and its component references; None for one reportlab reads in a
        way this does not copy (a non-empty glyph too short to have a header)."""
        try:
            return self.glyphs[index]
        except KeyError:
            pass
        pos, end = self.face.glyphPos[index], self.face.glyphPos[index + 1]
        data = self.glyf[pos:end]
        found: _Glyph | None = (pos, end, ())
        if 0 < len(data) <= 2:
            found = None
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

    def __call__(self, subset: list[int]) -> bytes:
        face = self.face
        char_to_glyph = face.charToGlyph
        glyph_map = [0]  # new glyph index -> old
        glyph_set = {0: 0}  # old -> new
        code_to_glyph = {}
        for code in subset:
            old = char_to_glyph.get(code, 0)
            if old not in glyph_set:
                glyph_set[old] = len(glyph_map)
                glyph_map.append(old)
            code_to_glyph[code] = glyph_set[old]
        glyphs = []
        cache = self.glyphs
        n = 0
        while n < len(glyph_map):  # components join the map after the glyphs using them
            old = glyph_map[n]
            found = cache[old] if old in cache else self.glyph(old)
            if found is None:
                return bytes(self.original(subset))
            glyphs.append(found)
            for _, component in found[2]:
                if component not in glyph_set:
                    glyph_set[component] = len(glyph_map)
                    glyph_map.append(component)
            n += 1

        output = TTFontMaker()
        for tag, table in self.copied:
            output.add(tag, table)
        output.add("post", self.post)
        num_glyphs = len(glyph_map)

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
        output.add("maxp", _set_ushort(self.maxp, 4, num_glyphs))

        count = len(subset)
        cmap = [0, 1, 1, 0, 0, 12, 6, 10 + count * 2, 0, 0, count]
        cmap += map(code_to_glyph.get, subset)
        output.add("cmap", pack(f">{len(cmap)}H", *cmap))

        parts: list[bytes] = []
        offsets = []
        pos = 0
        glyf = self.glyf
        for start, end, refs in glyphs:
            offsets.append(pos)
            data = glyf[start:end]
            for at, component in refs:
                data = _set_ushort(data, at, glyph_set[component])
            parts.append(data)
            pos += len(data)
            if pad := -pos % 4:
                parts.append(b"\0" * pad)
                pos += pad
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
        return bytes(output.makeStream())


def install(face: Any) -> None:
    """Make ``face`` (a registered font's ``face``) subset with a :class:`Subsetter`, made
    when the first subset is (so a font reportlab can register but not subset fails where
    it did)."""
    original = face.makeSubset

    def make_subset(subset: list[int]) -> bytes:
        face.makeSubset = Subsetter(face, original)
        return face.makeSubset(subset)

    face.makeSubset = make_subset


class NumberArray(pdfdoc.PDFArray):
    """A PDFArray of numbers, formatted as PDFArray does (ten to a line) in one pass."""

    def format(self, document: Any, IND: bytes = b"\n ") -> bytes:
        if (self.multiline and rl_config.pdfMultiLine) or self.multiline == "forced":
            return bytes(super().format(document, IND))
        numbers = self.sequence
        lines = (" ".join(map(fp_str, numbers[i:i + 10])) for i in range(0, len(numbers), 10))
        return b"[ " + " \n  ".join(lines).encode("ascii") + b" ]"


class TTFont(ttfonts.TTFont):
    """reportlab's TTFont, its subsets' /Widths written as :class:`NumberArray`."""

    def addObjects(self, doc: Any) -> None:
        super().addObjects(doc)
        for font in doc.idToObject["BasicFonts"].dict.values():
            # The ToUnicode CMap is text that reportlab encodes through its pdfdoc codec, a
            # charmap lookup per character; it is ASCII, whose bytes are the same.
            cmap = getattr(font, "ToUnicode", None)
            stream = doc.idToObject.get(getattr(cmap, "name", None))
            content = getattr(stream, "content", None)
            if isinstance(content, str) and content.isascii():
                stream.content = content.encode("ascii")
            widths = getattr(font, "Widths", None)
            if type(widths) is pdfdoc.PDFArray and all(
                type(w) in (int, float) for w in widths.sequence
            ):
                font.Widths = NumberArray(widths.sequence)
