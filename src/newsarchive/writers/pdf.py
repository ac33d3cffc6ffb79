"""Article -> PDF (reportlab), with our own Chinese line breaker, then PDF/A via pdfa.py.

reportlab's ``wordWrap='CJK'`` cuts between any two characters and justifies only by
stretching spaces, so body text is set by :class:`_TextBlock`: a Flowable that breaks lines
itself (kinsoku: no closing mark at a line start, no opening mark at a line end, Latin words
and numbers kept whole) and justifies with inter-character spacing (PDF ``Tc``).

Layout (top to bottom), the same order as the DOCX: kicker, title, byline, dateline, the
blocks, the colophon; photo credits sit on their own line after the caption; every page but
the first (which has the dateline) has a running header line, every page a page-number
footer line.

Tagging (PDF/UA-1, PDF/A level a): everything drawn is marked content, either tagged with
an MCID for the structure element it belongs to (:class:`~newsarchive.writers.pdfa.Node`,
built here in reading order) or an ``/Artifact`` (running header, page numbers, rules);
pdfa.py turns the tree into the StructTreeRoot.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import operator
import os
import re
import struct
import threading
import unicodedata
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cached_property, lru_cache, reduce
from io import BytesIO
from pathlib import Path
from typing import Any, Literal

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.rl_accel import fp_str
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    PageTemplate,
    Spacer,
)
from reportlab.platypus.flowables import HRFlowable

from newsarchive import TOOL_NAME, __version__
from newsarchive.errors import FontError
from newsarchive.model import Article, Block, Metadata
from newsarchive.options import Options
from newsarchive.writers import pdffonts
from newsarchive.writers.pdfa import DocInfo, Mark, Node, make_pdfa

DEFAULT_FONT = Path("/usr/share/fonts/truetype/arphic/uming.ttc")
# Subfont order inside Debian's uming.ttc (checked with fontTools; fc-list order differs).
UMING_INDEX = {"CN": 0, "HK": 1, "TW": 2}

# Kinsoku shori: characters that may not begin a line / may not end one.
NO_START = frozenset(
    "，。、；：？！”’）》」』】〕〉］｝〗〙〛｠｡､,.;:?!)]}%‰℃°′″…‥·・—－～ー々〻ゝゞヽヾ"
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ"
)
NO_END = frozenset("“‘（《「『【〔〈［｛〖〘〚｟([{")
# A Latin word or number, kept on one line: "COVID-19", "3154.5", "1+N", "www.gov.cn".
_LATIN_WORD = re.compile(r"[A-Za-z0-9\u00C0-\u024F]+(?:[-.,/:'_@&+#][A-Za-z0-9\u00C0-\u024F]+)*")
_SPACE = re.compile(r"\s+")

BODY_SIZE = 10.5  # 五号, the usual newspaper-reprint body size


# --------------------------------------------------------------------------- fonts


@dataclass(frozen=True)
class FontSpec:
    path: Path
    index: int

    def __str__(self) -> str:
        return f"{self.path}:{self.index}"


def font_spec(options: Options, language: str) -> FontSpec:
    """``options.font`` ("PATH[:INDEX]") or AR PL UMing CN/HK/TW chosen by language."""
    if options.font:
        path, _, idx = options.font.rpartition(":")
        if path and idx.isdigit():
            return FontSpec(Path(path), int(idx))
        return FontSpec(Path(options.font), 0)
    lang = language.lower()
    if lang.startswith("zh-hant-hk") or lang in ("zh-hk", "zh-mo"):
        region = "HK"
    elif lang.startswith("zh-hant") or lang == "zh-tw":
        region = "TW"
    else:
        region = "CN"
    if not DEFAULT_FONT.is_file():
        raise FontError(
            "default font AR PL UMing not found (install fonts-arphic-uming) "
            "or give a TrueType font with --font PATH[:INDEX]",
            str(DEFAULT_FONT),
        )
    return FontSpec(DEFAULT_FONT, UMING_INDEX[region])


@lru_cache(maxsize=16)
def _outlines(spec: FontSpec) -> Any:
    """The face as fontTools reads it (lazily: a table is decoded on first use), opened
    once per process: the coverage check and the punctuation spacing share its cmap."""
    from fontTools.ttLib import TTCollection
    from fontTools.ttLib import TTFont as FTFont

    with spec.path.open("rb") as handle:
        is_collection = handle.read(4) == b"ttcf"
    if is_collection:
        fonts = TTCollection(str(spec.path), lazy=True).fonts
        if not 0 <= spec.index < len(fonts):
            raise FontError(
                f"font collection has {len(fonts)} fonts, no index {spec.index}",
                str(spec.path),
            )
        return fonts[spec.index]
    if spec.index != 0:
        raise FontError(f"not a font collection, index {spec.index} invalid", str(spec.path))
    return FTFont(str(spec.path), lazy=True)


@lru_cache(maxsize=16)
def _font_facts(spec: FontSpec) -> tuple[str, frozenset[int]]:
    """(family name, covered code points), read once per font with fontTools."""
    from fontTools.ttLib import TTLibError

    try:
        font = _outlines(spec)
        if "glyf" not in font and ("CFF " in font or "CFF2" in font):
            raise FontError(
                "font has PostScript (CFF) outlines, e.g. Noto/Source Han .otf/.ttc; reportlab "
                "can embed only TrueType (glyf) outlines: use a TrueType font such as AR PL "
                "UMing (fonts-arphic-uming) or convert it (fontTools otf2ttf)",
                str(spec.path),
            )
        cmap = font.getBestCmap() or {}
        name = font["name"].getDebugName(4) or spec.path.stem
    except OSError as exc:
        raise FontError(f"cannot read font: {exc.strerror or exc}", str(spec.path)) from exc
    except TTLibError as exc:
        raise FontError(f"not a usable font: {exc}", str(spec.path)) from exc
    return name, frozenset(cmap)


_register_lock = threading.Lock()
_SPECS: dict[str, FontSpec] = {}  # reportlab name -> font file


@lru_cache(maxsize=16)
def register_font(spec: FontSpec) -> str:
    """Register ``spec`` with reportlab once per process; return its reportlab name."""
    _font_facts(spec)  # CFF and bad-index errors first, with the clearer message
    name = "NA-" + hashlib.sha1(str(spec).encode()).hexdigest()[:10]
    with _register_lock:
        try:
            font = pdffonts.CIDFont(name, str(spec.path), subfontIndex=spec.index)
            # The subsetter copies tables out of the font file (UMing's glyf table is
            # megabytes); they never change, so each is read once.
            font.face.get_table = lru_cache(maxsize=None)(font.face.get_table)
            pdfmetrics.registerFont(font)
            _SPECS[name] = spec
        except (TTFError, OSError, ValueError) as exc:
            hint = ""
            if "postscript" in str(exc).lower():
                hint = " (CFF outlines are not supported: use a TrueType font)"
            raise FontError(f"reportlab cannot load font: {exc}{hint}", str(spec)) from exc
    return name


# Set in the Latin face: Latin letters, digits, ASCII punctuation (not the space).
_LATIN_CHAR = re.compile(r"[!-~\u00C0-\u024F]")


@dataclass(frozen=True)
class FontChain:
    """The faces a character is looked up in, in order (data/fonts.toml): the Latin face
    (Latin characters only), the main face, the fallbacks. ``missing`` names the packages of
    declared faces whose files are not installed."""

    main: FontSpec
    latin: FontSpec | None = None
    fallbacks: tuple[FontSpec, ...] = ()
    missing: tuple[str, ...] = ()

    @cached_property
    def key(self) -> str:
        """The name styles use for the chain (reportlab knows only its faces' names)."""
        return "NA-chain-" + hashlib.sha1(repr(self).encode()).hexdigest()[:10]


_CHAINS: dict[str, FontChain] = {}


@lru_cache(maxsize=1)
def _declared_fonts() -> dict[str, Any]:
    import tomllib
    from importlib import resources

    with resources.files("newsarchive.data").joinpath("fonts.toml").open("rb") as handle:
        return tomllib.load(handle)


def font_chain(options: Options, language: str) -> FontChain:
    """The chain for an article: ``font_spec`` as main face, the declared Latin face (only
    with the default main face) and fallbacks whose files exist."""
    main = font_spec(options, language)
    declared = _declared_fonts()
    missing: list[str] = []

    def present(entry: dict[str, str]) -> FontSpec | None:
        path = Path(entry["path"])
        if path.is_file():
            return FontSpec(path, int(entry.get("index", 0)))
        missing.append(entry.get("package", str(path)))
        return None

    latin = present(declared["latin"]) if not options.font and "latin" in declared else None
    fallbacks = tuple(f for f in map(present, declared.get("fallback", [])) if f)
    chain = FontChain(main, latin, fallbacks, tuple(dict.fromkeys(missing)))
    _CHAINS.setdefault(chain.key, chain)
    return chain


@lru_cache(maxsize=65536)
def _face(font: str, ch: str) -> str | None:
    """The reportlab font that sets ``ch`` in ``font`` (a chain's key, or a registered
    font's name); None if no face has it. Faces are registered on first use."""
    chain = _CHAINS.get(font)
    if chain is None:
        return font
    code = ord(ch)
    if ch.isspace():
        return register_font(chain.main)
    order = (chain.main, *chain.fallbacks)
    if chain.latin is not None and _LATIN_CHAR.match(ch):
        order = (chain.latin, *order)
    for spec in order:
        if code in _font_facts(spec)[1]:
            return register_font(spec)
    return None


class _PerChar(dict[str, Any]):
    """``fn(font, ch)`` by character, each computed on first use: the line breaker and the
    drawing ask for every character of the text, and a dict lookup (also through ``map``
    and ``groupby``, without a Python call) is several times cheaper than an lru_cache
    call. Bounded by the characters a font covers."""

    def __init__(self, fn: Any, font: str) -> None:
        super().__init__()
        self.fn, self.font = fn, font

    def __missing__(self, ch: str) -> Any:
        value = self[ch] = self.fn(self.font, ch)
        return value


@lru_cache(maxsize=64)
def _per_char(fn: Any, font: str) -> _PerChar:
    return _PerChar(fn, font)


def _face_or_font(font: str, ch: str) -> str:
    return _face(font, ch) or font


def main_face(font: str) -> str:
    chain = _CHAINS.get(font)
    return register_font(chain.main) if chain else font


# Per chain key, the characters of articles checked so far that one of its faces has: an
# article's text is looked up only for the ones not met before. Bounded by what the faces cover.
_COVERED: dict[str, set[str]] = {}


def check_coverage(chain: FontChain, texts: Iterable[str], source: str = "") -> None:
    """Raise FontError (naming ``source``, the input) listing every character of ``texts``
    no face of the chain has a glyph for.

    reportlab would silently draw an empty box and drop the character from the text layer.
    """
    _font_facts(chain.main)  # an unusable main face is reported as such
    key = chain.key
    joined = "".join(texts)
    covered = _COVERED.setdefault(key, set())
    unseen = set(joined).difference(covered)
    missing: dict[str, None] = {}
    if unseen:
        for ch in dict.fromkeys(joined):  # first-seen order, each once
            if ch not in unseen:
                continue
            if ch.isspace() or _face(key, ch) is not None:
                covered.add(ch)
            else:
                missing[ch] = None
    if missing:
        faces = ", ".join(_font_facts(s)[0] for s in (chain.main, *chain.fallbacks))
        listed = ", ".join(f"U+{ord(c):04X} {c!r}" for c in list(missing)[:20])
        more = f" and {len(missing) - 20} more" if len(missing) > 20 else ""
        hint = f"install {', '.join(chain.missing)} or " if chain.missing else ""
        raise FontError(
            f"no glyph in any PDF font ({faces}) for {len(missing)} character(s): "
            f"{listed}{more}; {hint}give a font that has them with --font PATH[:INDEX]",
            source or str(chain.main),
        )


# --------------------------------------------------------------------------- line breaking


@dataclass(frozen=True)
class Line:
    text: str
    width: float  # natural width at the block's size
    indent: float  # left offset (first-line indent)
    last: bool  # last line of the paragraph: not justified
    start: int = 0  # offset of the line in its block's text (set where spans need it)


@lru_cache(maxsize=65536)
def _char_width(font: str, ch: str) -> float:
    return pdfmetrics.stringWidth(ch, _face(font, ch) or main_face(font), 1000.0) / 1000.0


# --- punctuation compression (W3C clreq 3.1.6, 3.1.8): a full-width mark is set on a whole
# em with its ink on one side, so two marks side by side ("。”“", "，“", "）。") leave a
# hole of up to 1.3 em. Between two adjacent marks the blank is cut to PUNCT_GAP; a closing
# mark at a line end does not count its trailing blank (at most half an em), so a justified
# line ends flush with the ink. The blanks are measured on each face's own outlines.
COMPRESSIBLE = frozenset("，。、；：？！”’）》」』】〕〉］｝〗〙〛“‘（《「『【〔〈［｛〖〘〚")
PUNCT_GAP = 0.5  # em
MAX_SQUEEZE = 0.45  # em


def _glyph_box(ft: Any, name: str) -> tuple[int, int, int]:
    """(numberOfContours, xMin, xMax) from the glyph's header in the glyf table, as
    fontTools' Glyph gives them, without decoding the whole table (27,000 Glyph objects
    for UMing, ~0.1 s at start-up, for the few punctuation marks spaced)."""
    if getattr(ft.reader, "flavor", None) is not None:  # WOFF: no plain table offsets
        glyph = ft["glyf"][name]
        contours = getattr(glyph, "numberOfContours", 0)
        return (contours, glyph.xMin, glyph.xMax) if contours else (0, 0, 0)
    loca, gid = ft["loca"], ft.getGlyphID(name)
    start, end = loca[gid], loca[gid + 1]
    if end - start < 10:  # an empty glyph (a space): no header
        return 0, 0, 0
    reader = ft.reader
    reader.file.seek(reader.tables["glyf"].offset + start)
    contours, x_min, _, x_max, _ = struct.unpack(">hhhhh", reader.file.read(10))
    return contours, x_min, x_max


@lru_cache(maxsize=4096)
def _blank(font: str, ch: str) -> tuple[float, float]:
    """(left, right) blank of the glyph that sets ``ch`` in ``font``, in em."""
    spec = _SPECS.get(_face(font, ch) or main_face(font))
    if spec is None:
        return 0.0, 0.0
    ft = _outlines(spec)
    name = ft.getBestCmap().get(ord(ch))
    contours, x_min, x_max = _glyph_box(ft, name) if name else (0, 0, 0)
    if not contours:
        return 0.0, 0.0
    upm = ft["head"].unitsPerEm
    advance = ft["hmtx"][name][0]
    return max(x_min, 0) / upm, max(advance - x_max, 0) / upm


@lru_cache(maxsize=65536)
def _kern(font: str, a: str, b: str) -> float:
    """The adjustment (em, <= 0) between adjacent characters ``a`` and ``b``."""
    if a not in COMPRESSIBLE or b not in COMPRESSIBLE:
        return 0.0
    gap = _blank(font, a)[1] + _blank(font, b)[0]
    # At most MAX_SQUEEZE: a glyph starting further back over the one before reads, to
    # text extraction (poppler), as the start of another line.
    return max(min(PUNCT_GAP - gap, 0.0), -MAX_SQUEEZE)


def _end_trim(font: str, ch: str) -> float:
    """The blank (em) a closing mark at a line end does not count."""
    return min(_blank(font, ch)[1], 0.5) if ch in COMPRESSIBLE and ch not in NO_END else 0.0


def _em(text: str, font: str) -> float:
    """Natural width of ``text`` in em, compressed punctuation pairs included."""
    w = sum(map(_per_char(_char_width, font).__getitem__, text))
    if len(text) > 1:
        for i in _pairs(text):
            w += _kern(font, text[i - 1], text[i])
    return w


def _width(text: str, font: str, size: float) -> float:
    """Natural width of ``text`` at ``size``, compressed punctuation pairs included."""
    return _em(text, font) * size


class _UnitWidths(dict[str, float]):
    """A break unit's width (``_width(unit)``) at one font and size, by unit; ``trims``
    holds the blank of its last character a line end does not count (``_end_trim`` times
    the size). Most units are one character, or one with its marks, met again and again;
    emptied when full (Latin words are unbounded); a unit of over 32 characters (a URL, a
    run of marks) is not kept."""

    LIMIT = 65536

    def __init__(self, font: str, size: float) -> None:
        super().__init__()
        self.font, self.size = font, size
        self.trims = _UnitTrims(self)

    def __missing__(self, unit: str) -> float:
        width = _em(unit, self.font) * self.size
        if len(unit) <= 32:
            if len(self) >= self.LIMIT:
                self.clear()
                self.trims.clear()
            self[unit] = width
        return width


class _UnitTrims(dict[str, float]):
    def __init__(self, widths: _UnitWidths) -> None:
        super().__init__()
        self.widths = widths

    def __missing__(self, unit: str) -> float:
        trim = _end_trim(self.widths.font, unit[-1]) * self.widths.size
        if len(unit) <= 32:
            self[unit] = trim
        return trim


@lru_cache(maxsize=64)
def _unit_widths(font: str, size: float) -> _UnitWidths:
    return _UnitWidths(font, size)


_PAIR = re.compile("(?<=[{0}])[{0}]".format(re.escape("".join(sorted(COMPRESSIBLE)))))


def _pairs(text: str) -> list[int]:
    """Every ``i`` with ``text[i - 1]`` and ``text[i]`` both compressible marks."""
    return [m.start() for m in _PAIR.finditer(text)]


def _prefix_widths(text: str, font: str, size: float) -> list[float]:
    """``_width(text[:k])`` for every k, by one ``accumulate`` over the characters' widths
    with each compressed pair's adjustment after its second character: the additions
    ``_em`` makes, in its order, so the same floats (a line of 200,000 marks has as many
    segments; measuring each prefix again was quadratic)."""
    steps = list(map(_per_char(_char_width, font).__getitem__, text))
    pairs = _pairs(text)
    for i in reversed(pairs):
        steps.insert(i + 1, _kern(font, text[i - 1], text[i]))
    sums = list(itertools.accumulate(steps, initial=0.0))
    for j, i in reversed(list(enumerate(pairs))):
        del sums[i + j + 1]  # the sum between a pair's second character and its adjustment
    return list(map(operator.mul, sums, itertools.repeat(size)))


_OPEN = re.escape("".join(sorted(NO_END)))
_LATIN_START = "A-Za-z0-9\u00C0-\u024F"  # what _LATIN_WORD starts with
_CLOSE = re.escape("".join(sorted(NO_START)))
# A break unit, in a text whose runs of spaces are single spaces: a Latin word or any other
# character, with the opening marks (and spaces among them) before it and the closing marks
# after it; or a space; or opening marks ending the text (joined to the unit before).
_UNIT = re.compile(  # the single character tried first: the usual unit, found sooner
    f"(?:[{_OPEN}][{_OPEN} ]*)?(?:[^\\s{_OPEN}{_LATIN_START}]|{_LATIN_WORD.pattern})[{_CLOSE}]*"
    f"| |[{_OPEN}][{_OPEN} ]*\\Z"
)
_OPENING_RUN = re.compile(f"[{_OPEN}][{_OPEN} ]*")


def units(text: str) -> list[str]:
    """Break units: closing marks join the unit before them, opening marks the unit after
    them, so a break can only fall where kinsoku allows it; a run of spaces is a " " unit
    of its own or, among opening marks, part of theirs. One regex scan."""
    out = _UNIT.findall(_SPACE.sub(" ", text))
    # A paragraph ending in an opening mark: it stays on the line, with the unit before.
    if len(out) > 1 and out[-2] != " " and _OPENING_RUN.fullmatch(out[-1]):
        tail = out.pop()
        out[-1] += tail
    return out


def _may_break(piece: str, nxt: str, i: int) -> bool:
    """May a line end after ``piece[:i]`` (``nxt`` follows ``piece``)?"""
    after = piece[i] if i < len(piece) else nxt
    return piece[i - 1] not in NO_END and after not in NO_START


def break_lines(
    text: str, font: str, size: float, width: float, first_indent: float = 0.0
) -> list[Line]:
    """Greedy fill of kinsoku-glued units; a unit wider than the line is cut by character.

    A line's units are summed by ``accumulate`` and the first one that does not fit is
    found by C-level iterators, not a Python step per unit; the sums are those of adding
    one unit after the other, so every break and width is the same to the last bit."""
    lines: list[Line] = []
    us = units(text)
    n = len(us)
    # Per unit: its width at a line start, its trim (the blank of a closing mark at a line
    # end, not counted there) and its width after the unit before (with a compressed pair
    # across the join; those are rare).
    widths = _unit_widths(font, size)
    alone = list(map(widths.__getitem__, us))
    trims = list(map(widths.trims.__getitem__, us))
    joined = alone
    flat = "".join(us)
    if n > 1 and (pairs := _pairs(flat)):
        starts = list(itertools.accumulate(map(len, us), initial=0))
        joined = alone.copy()
        for p in pairs:
            k = bisect.bisect_left(starts, p)
            if starts[k] == p:
                joined[k] = alone[k] + _kern(font, flat[p - 1], flat[p]) * size
    cur: list[str] = []  # the start of the line: the rest of a unit cut by character
    first = 0  # and then the whole units us[first:k]
    cur_w = 0.0
    room = width - first_indent  # the first line's; the others have no indent
    limit = room + 1e-6

    def flush(end: int, last: bool) -> None:
        nonlocal cur, cur_w, room, limit
        while end > first and us[end - 1] == " ":  # a space at a line end is not printed
            end -= 1
            cur_w -= alone[end]
        indent = first_indent if not lines else 0.0
        line = "".join(cur) + "".join(us[first:end])
        # The blank of the line's last character: that of its last whole unit (the same
        # product, kept per unit), else of the cut piece before them.
        trim = (trims[end - 1] if end > first
                else _end_trim(font, line[-1]) * size if line else 0.0)
        lines.append(Line(line, max(cur_w - trim, 0.0), indent, last))
        cur, cur_w, room = [], 0.0, width
        limit = room + 1e-6

    def cut(unit: str) -> None:
        """Set a unit longer than a whole line (a URL, a hash, a long run of marks on a
        narrow column), the line empty: cut at the last place kinsoku allows; with none,
        let the line run over and be squeezed by negative character spacing when drawn.
        Linear in the unit's length (a 200,000-comma run): once the piece is over the line
        with no place to cut, it stays over, and only the positions added since the last
        look can allow a cut (``start``), so neither is measured again."""
        nonlocal cur_w
        piece = ""
        over, start = False, 1
        for ch in unit:
            if piece and (over or cur_w + _width(piece + ch, font, size) > limit):
                at = max(
                    (i for i in range(start, len(piece) + 1) if _may_break(piece, ch, i)),
                    default=0,
                )
                if not at:
                    over, start = True, len(piece) + 1
                    piece += ch
                    continue
                cur.append(piece[:at])
                cur_w += _width(piece[:at], font, size)
                flush(first, last=False)
                piece = piece[at:]
                over, start = False, 1
            piece += ch
        cur.append(piece)
        cur_w += _width(piece, font, size)

    k = 0
    while k < n:
        if not cur and first == k:  # the line is empty
            if us[k] == " ":  # not printed at a line start
                first = k = k + 1
            elif 0.0 + alone[k] - trims[k] <= limit:
                cur_w = 0.0 + alone[k]
                k += 1
            else:
                cut(us[k])
                first = k = k + 1
            continue
        # The first unit from k that does not fit on the line, looked for 64 units at a
        # time (more than a line holds but of narrow Latin), slices: an islice from k would
        # step over all the units before it.
        while True:
            stop = k + 64
            sums = itertools.accumulate(joined[k:stop], initial=cur_w)
            next(sums)
            over = map(limit.__lt__, map(operator.sub, sums, trims[k:stop]))
            end = next(itertools.compress(itertools.count(k), over), min(stop, n))
            cur_w = reduce(operator.add, joined[k:end], cur_w)
            if end < stop or end == n:
                break
            k = end
        if end == n:
            break
        flush(end, last=False)
        first = k = end
        if us[end] == " ":  # dropped at the break
            first = k = end + 1
        elif alone[end] <= limit:
            cur_w = alone[end]
            k = end + 1
        else:
            cut(us[end])
            first = k = end + 1
    if cur or first < n or not lines:
        flush(n, last=True)
    else:
        last = lines[-1]
        lines[-1] = Line(last.text, last.width, last.indent, True)
    return lines


# --------------------------------------------------------------------------- tagging


@contextmanager
def tagged(canv: Any, node: Node | None) -> Iterator[None]:
    """Bracket what is drawn inside in a marked-content sequence of ``node`` (the next MCID
    of the current page), or as an artifact when ``node`` is None."""
    if node is None:
        with artifact(canv):
            yield
        return
    page = canv.getPageNumber() - 1
    counts: dict[int, int] = canv.__dict__.setdefault("_na_mcids", {})
    mcid = counts.get(page, 0)
    counts[page] = mcid + 1
    node.attach()
    node.kids.append(Mark(page, mcid))
    canv.addLiteral(f"/{node.role} <</MCID {mcid}>> BDC")
    yield
    canv.addLiteral("EMC")


@contextmanager
def artifact(canv: Any, kind: str = "Layout", subtype: str = "") -> Iterator[None]:
    """Page furniture, skipped by assistive technology (ISO 32000-1, 14.8.2.2)."""
    props = f"/Type /{kind}" + (f" /Subtype /{subtype}" if subtype else "")
    canv.addLiteral(f"/Artifact <<{props}>> BDC")
    yield
    canv.addLiteral("EMC")


class _Rule(HRFlowable):
    """A horizontal rule, drawn as a layout artifact."""

    def draw(self) -> None:
        with artifact(self.canv):
            super().draw()


# --------------------------------------------------------------------------- flowables

Align = Literal["justify", "left", "center", "right"]


@dataclass(frozen=True)
class Style:
    font: str
    size: float
    leading: float
    align: Align = "justify"
    indent_chars: float = 0.0  # first-line indent in ems
    bold: bool = False  # UMing has no bold face: fill + stroke the outline
    gray: float = 0.0
    left: float = 0.0  # extra left inset
    rule: bool = False  # a vertical rule at the left (captions)
    box: bool = False  # a frame around the text (labels)


class _TextBlock(Flowable):
    """One paragraph set with :func:`break_lines`; splits across pages between lines."""

    def __init__(
        self,
        text: str,
        style: Style,
        *,
        space_before: float = 0.0,
        space_after: float = 0.0,
        outline: tuple[str, int] | None = None,
        lines: list[Line] | None = None,
        keep_with_next: bool = False,
        node: Node | None = None,
        spans: list[tuple[int, Node]] | None = None,
    ) -> None:
        super().__init__()
        self.text = text
        self.node = node  # the structure element the text belongs to
        # Parts of the text tagged as other elements: (offset where it starts, element),
        # ascending, e.g. a caption's figure label and credit. Offsets count in the text
        # with each run of spaces as one (as the line breaker sets it).
        self.spans = spans if spans else ([(0, node)] if node else [])
        self.style = style
        self.spaceBefore = space_before
        self.spaceAfter = space_after
        self.outline = outline
        self.keepWithNext = keep_with_next
        self._lines = lines
        self._for_width: float | None = None if lines is None else -1.0

    def _layout(self, avail_width: float) -> list[Line]:
        if self._lines is None or (self._for_width not in (-1.0, avail_width)):
            s = self.style
            self._lines = break_lines(
                self.text, s.font, s.size, avail_width - s.left, s.indent_chars * s.size
            )
            self._for_width = avail_width
            if len(self.spans) > 1:
                flat, pos, placed = _SPACE.sub(" ", self.text), 0, []
                for line in self._lines:
                    pos = flat.find(line.text, pos)
                    placed.append(replace(line, start=pos))
                    pos += len(line.text)
                self._lines = placed
        return self._lines

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.width = availWidth
        self.height = len(self._layout(availWidth)) * self.style.leading
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        lines = self._layout(availWidth)
        fit = int((availHeight + 1e-6) // self.style.leading)
        if len(lines) >= 4:  # no orphan or widow lines
            fit = min(fit, len(lines) - 2)
            if fit < 2:
                return []
        if fit <= 0 or fit >= len(lines):
            return []
        head, tail = lines[:fit], lines[fit:]
        first = _TextBlock(
            self.text, self.style, space_before=self.spaceBefore, outline=self.outline,
            lines=head, node=self.node, spans=self.spans,
        )
        rest = _TextBlock(self.text, self.style, space_after=self.spaceAfter, lines=tail,
                          node=self.node, spans=self.spans)
        return [first, rest]

    def draw(self) -> None:
        canv = self.canv
        s = self.style
        if self.outline:
            title, level = self.outline
            # A per-document counter, not id(): destination names end up in the file.
            n = getattr(canv, "_na_outline_count", 0) + 1
            canv._na_outline_count = n
            key = f"outline{n}"
            canv.bookmarkPage(key)
            canv.addOutlineEntry(title, key, level=level)
        # "q" … "Q" written, not saveState/restoreState: platypus' drawOn saves and restores
        # the canvas' own state around draw() already (what the line width and stroke gray
        # set here change), so only the PDF operators are needed (the same bytes).
        code = canv._code
        code.append("q")
        if s.rule or s.box:
            with artifact(canv):
                if s.rule:
                    canv.setLineWidth(1.2)
                    canv.setStrokeGray(0.55)
                    canv.line(s.left / 2, 0, s.left / 2, self.height)
                if s.box:
                    w = max(ln.width for ln in self._lines or []) + s.size * 1.1
                    canv.setLineWidth(0.6)
                    canv.rect(s.left - s.size * 0.4, 0, w, self.height)
        if len(self.spans) > 1:
            for i, line in enumerate(self._lines or []):
                self._draw_line(line, i)
        else:
            with tagged(canv, self.node):
                for i, line in enumerate(self._lines or []):
                    self._draw_line(line, i)
        code.append("Q")

    def _segments(self, line: Line) -> list[tuple[int, int, Node | None]]:
        """(start, end, element) pieces of ``line.text``: cut by span (element None when
        the block has one) and where a compressed pair moves the next glyph."""
        text, font = line.text, self.style.font
        if len(self.spans) <= 1:
            pieces = [(0, len(text), None)]
        else:
            end = line.start + len(text)
            cuts = [(max(a, line.start), min(b, end), node) for (a, node), (b, _) in
                    zip(self.spans, [*self.spans[1:], (end, None)], strict=True)]
            pieces = [(a - line.start, b - line.start, n) for a, b, n in cuts if a < b]
        kerned = [i for i in _pairs(text) if _kern(font, text[i - 1], text[i])]
        if not kerned:
            return pieces
        out = []
        for a, b, node in pieces:
            inner = [a, *(i for i in kerned if a < i < b), b]
            out += [(x, y, node) for x, y in itertools.pairwise(inner)]
        return out

    def _draw_line(self, line: Line, i: int) -> None:
        s = self.style
        avail = self.width - s.left - line.indent
        baseline = self.height - (i + 1) * s.leading + (s.leading - s.size) / 2 + 0.14 * s.size
        char_space = 0.0
        x = s.left + line.indent
        n = len(line.text)
        overfull = line.width > avail  # see break_lines: squeezed, whatever the alignment
        if n > 1 and (overfull or (s.align == "justify" and not line.last)):
            char_space = (avail - line.width) / (n - 1)
        elif s.align == "center":
            x += (avail - line.width) / 2
        elif s.align == "right":
            x += avail - line.width
        canv, text = self.canv, line.text
        segments = self._segments(line)
        if len(segments) == 1 and not s.bold and segments[0][2] is None:  # the usual line
            canv._code.append(_text(canv, x, baseline, text, s.font, s.size,
                                    char_space=char_space, gray=s.gray))
            return
        prefix = _prefix_widths(text, s.font, s.size) if len(segments) > 1 else []
        widths = _per_char(_char_width, s.font)
        for a, b, node in segments:
            # A piece starts where the text before it ends: its width (with compressed
            # pairs, the one at the cut too) plus the spacing.
            at = x + prefix[a + 1] - widths[text[a]] * s.size + a * char_space if a else x
            if s.bold:
                canv.setLineWidth(s.size * 0.03)
                canv.setStrokeGray(s.gray)
            code = _text(canv, at, baseline, text[a:b], s.font, s.size,
                         char_space=char_space, gray=s.gray, fill_stroke=s.bold)
            if node is None:
                canv._code.append(code)
            else:
                with tagged(canv, node):
                    canv._code.append(code)


# --------------------------------------------------------------------------- the document


def _date_cn(iso: str | None) -> str:
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", iso or "")
    if not m:
        return iso or ""
    return f"{int(m[1])}年{int(m[2])}月{int(m[3])}日"


def _say(text: str, language: str) -> str:
    """A string the edition adds (written in Simplified) in the article's script."""
    lang = language.lower()
    if not lang.startswith(("zh-hant", "zh-tw", "zh-hk", "zh-mo")):
        return text
    from newsarchive.normalize.script import converter

    config = "s2hk" if lang.endswith(("-hk", "-mo")) else "s2tw" if lang.endswith("-tw") else "s2t"
    return str(converter(config).convert(text))


def running_header(article: Article) -> str:
    """The text of the header line on every page (tests strip it from extracted text)."""
    md = article.metadata
    parts = [md.newspaper, md.edition, _date_cn(md.date)]
    # " · ", not an ideographic space: pdftotext splits a line at wide gaps into blocks.
    return " · ".join(p for p in parts if p) or (md.title or md.source_file or TOOL_NAME)


def page_footer(page: int, total: int, language: str = "zh-Hans") -> str:
    """The page-number line: "第 n 页 共 m 页" (Traditional: 頁)."""
    return "".join(_footer_parts(page, total, language))


def _footer_parts(page: int, total: int, language: str) -> tuple[str, str]:
    # The second part is drawn once for all pages when the count is known (a form XObject).
    return _say(f"第 {page} 页", language), _say(f" 共 {total} 页", language)


def credit_line(block: Block, language: str = "zh-Hans") -> str:
    """The printed photo credit under a caption ("摄/汪新"; kept as is if already labelled)."""
    credit = (block.credit or "").strip()
    if not credit or re.search(r"[摄攝/]|图|圖|供", credit):
        return credit
    hant = language.lower().startswith(("zh-hant", "zh-tw", "zh-hk"))
    return f"{'攝' if hant else '摄'}/{credit}"


def printed_title(md: Metadata) -> str:
    """The title as the PDF prints it: a supplied one in 〔 〕."""
    return f"〔{md.title}〕" if md.title and md.title_supplied else md.title or ""


def caption_parts(block: Block, number: int, language: str) -> tuple[str, str, str]:
    """(figure label "图1", caption text, its credit "摄/汪新" or ""), spaces collapsed."""
    text = _SPACE.sub(" ", block.text).strip()
    return _say(f"图{number}", language), text, _SPACE.sub(" ", credit_line(block, language))


def doc_title(article: Article) -> str:
    md = article.metadata
    if md.title:
        return md.title
    return "　".join(p for p in (md.newspaper, md.edition, md.date) if p) or (
        Path(md.source_file).stem or "untitled"
    )


def _dateline(article: Article) -> str:
    md = article.metadata
    parts = [
        f"《{md.newspaper}》" if md.newspaper else "",
        md.edition or (f"第{md.page}版" if md.page else ""),
        md.section or "",
        _date_cn(md.date),
    ]
    return " · ".join(p for p in parts if p)


def _byline(article: Article) -> str:
    md = article.metadata
    line = " ".join(md.authors)
    if md.author_affiliation:
        line = f"{line} {md.author_affiliation}" if line else md.author_affiliation
    return line


def _colophon(article: Article) -> list[str]:
    md = article.metadata

    def say(label: str) -> str:  # our own words, in the article's script
        return _say(label, md.language)

    out: list[str] = []
    editors = [
        f"{c.label or say('编辑')}：{c.name}"
        for c in md.credits
        if c.role not in ("author",) and c.role not in ("photographer", "photo-credit")
    ]
    if editors:
        out.append(" ".join(editors))
    pub = [
        f"{say('出版')}：{md.publisher}" if md.publisher else "",
        f"{say('许可')}：{md.licence}" if md.licence else "",
    ]
    if any(pub):
        out.append(" ".join(p for p in pub if p))
    if md.url:
        out.append(f"{say('原文')}：{md.url}")
    if md.source_file:
        src = f"{say('来源文件')}：{Path(md.source_file).name}"
        if md.source_sha256:
            src += f" SHA-256：{md.source_sha256}"
        out.append(src)
    if md.title and md.title_supplied:
        out.append(say("标题〔〕为整理者所拟"))
    out.append(f"{TOOL_NAME} {__version__} {say('制作')}")
    return out


@dataclass(frozen=True)
class _Styles:
    body: Style
    heading: Style
    caption: Style
    credit: Style
    label: Style
    title: Style
    supplied: Style
    kicker: Style
    dateline: Style
    byline: Style
    colophon: Style
    header: Style


def _styles(font: str, size: float) -> _Styles:
    def st(k: float, lead: float = 1.75, **kw: Any) -> Style:
        return Style(font=font, size=size * k, leading=size * k * lead, **kw)

    return _Styles(
        body=st(1.0, indent_chars=2.0),
        heading=st(1.25, 1.6, bold=True, align="left"),
        caption=st(0.86, 1.6, left=size * 1.2, align="left", gray=0.2),
        credit=st(0.8, 1.5, align="right", gray=0.35),
        label=st(0.95, 1.6, bold=True, align="left", box=True, left=size * 0.4),
        title=st(2.0, 1.35, bold=True, align="center"),
        supplied=st(1.5, 1.4, align="center", gray=0.2),
        kicker=st(1.15, 1.5, align="center", gray=0.2),
        dateline=st(0.8, 1.5, align="left", gray=0.35),
        byline=st(0.95, 1.5, align="left", gray=0.15),
        colophon=st(0.75, 1.5, align="left", gray=0.35),
        header=st(0.75, 1.2, align="left", gray=0.35),
    )


def _story(article: Article, st: _Styles, doc: Node) -> list[Flowable]:
    """The flowables in reading order; the structure elements are appended to ``doc``."""
    md = article.metadata
    size = st.body.size

    def node(role: str, parent: Node = doc, **kw: Any) -> Node:
        return Node(role, parent, **kw)

    # An unconverted text (--script keep, or a source already in the target script) may
    # mix scripts: a block in the other one gets its own /Lang.
    unconverted = md.source_script == md.language

    def lang(block: Block) -> str:
        if not unconverted:
            return ""
        from newsarchive.normalize.script import detect_script

        found = detect_script(block.text)[0]
        return found if found != "none" else ""

    story: list[Flowable] = []
    title_level = figures = 0
    if md.subtitle:
        story.append(_TextBlock(md.subtitle, st.kicker, space_before=size * 0.6,
                                keep_with_next=True, node=node("Kicker")))
    if md.title:
        # A supplied title (made from the opening words) is marked as the editor's, 〔…〕,
        # and set smaller: it is not the paper's headline.
        style = st.supplied if md.title_supplied else st.title
        story.append(_TextBlock(printed_title(md), style, space_before=size * 0.4,
                                outline=(md.title, 0), node=node("H1"), keep_with_next=True))
        title_level = 1
    if line := _byline(article):
        story.append(_TextBlock(line, st.byline, space_before=size * 0.6, node=node("Byline")))
    if line := _dateline(article):
        story.append(_TextBlock(line, st.dateline, node=node("Dateline")))
    # Below a title the section heads are H2; with no title they are the top level (PDF/UA:
    # the first heading is H1, no level skipped).
    head_role = "H2" if md.title else "H1"
    story.append(
        _Rule(
            width="100%",
            thickness=0.8,
            color=colors.black,
            spaceBefore=size * 0.6,
            spaceAfter=size * 1.0,
        )
    )
    for block in article.blocks:
        if not block.text:
            continue
        if block.kind in ("heading", "label"):
            # Not keepWithNext: reportlab then moves the whole next paragraph along.
            # Room for the heading/label and three body lines, else a new page.
            story.append(CondPageBreak(size * 7 + st.body.leading * 3))
        if block.kind == "heading":
            story.append(
                _TextBlock(
                    block.text,
                    st.heading,
                    space_before=size * 0.9,
                    space_after=size * 0.3,
                    outline=(block.text, title_level),
                    node=node(head_role, lang=lang(block)),
                )
            )
        elif block.kind == "figure":
            figures += 1
            # The edition has no image: the Figure says so; its Caption holds the figure
            # label, the caption and the caption's own credit, on the same lines.
            figure = node("Figure", alt=_say("图片未收录", md.language))
            caption = node("Caption", figure)
            label, text, credit = caption_parts(block, figures, md.language)
            spans = [(0, node("Lbl", caption)), (len(label), caption)]
            if credit:
                spans.append((len(label) + len(text) + 2, node("Credit", caption)))
            story.append(
                _TextBlock(
                    " ".join(p for p in (label, text, credit) if p),
                    st.caption,
                    space_before=size * 0.5,
                    space_after=size * 0.6,
                    node=caption,
                    spans=spans,
                )
            )
        elif block.kind == "label":
            story.append(
                _TextBlock(block.text, st.label, space_before=size * 0.8, space_after=size * 0.4,
                           node=node("Lbl"))
            )
        else:  # paragraph, or an unclassified line
            story.append(_TextBlock(block.text, st.body, node=node("P", lang=lang(block))))
    story.append(Spacer(1, size * 1.5))
    story.append(
        _Rule(
            width="30%", thickness=0.4, color=colors.grey, hAlign="LEFT", spaceAfter=size * 0.4
        )
    )
    colophon = node("Colophon")
    story.extend(_TextBlock(line, st.colophon, node=node("P", colophon))
                 for line in _colophon(article))
    return story


def _all_texts(article: Article) -> list[str]:
    md = article.metadata
    texts = [
        article.plain_text(),
        running_header(article),
        _dateline(article),
        _byline(article),
        "0123456789",
        _say("图〔〕第页共", md.language),  # figure labels, supplied title, page numbers
        *_colophon(article),
    ]
    texts += [credit_line(b, md.language) for b in article.blocks if b.credit]
    return [_SPACE.sub(" ", t) for t in texts if t] + [md.title or ""]


def _created(created: datetime | None) -> datetime:
    if created is not None:
        return created if created.tzinfo else created.replace(tzinfo=UTC)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")  # reproducible builds
    if epoch and epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC)
    return datetime.now(UTC).replace(microsecond=0)


def doc_info(article: Article, created: datetime) -> DocInfo:
    md = article.metadata
    keywords = [k for k in (md.section, md.newspaper, md.edition, md.date) if k]
    # Stable per source and content: the same article gives the same DocumentID.
    seed = md.source_sha256 + "\0" + str(md.article_index) + "\0" + article.plain_text()
    return DocInfo(
        title=doc_title(article),
        authors=tuple(md.authors),
        subject=md.newspaper or "",
        keywords="; ".join(keywords),
        creator=f"{TOOL_NAME} {__version__}",
        producer=f"{TOOL_NAME} {__version__} (reportlab, pikepdf)",
        language=md.language or "zh-Hans",
        created=created,
        document_id=f"uuid:{uuid.uuid5(uuid.NAMESPACE_URL, seed)}",
        publisher=md.publisher or md.newspaper or "",
        source=md.url or Path(md.source_file).name,
    )


def write_pdf(
    article: Article,
    options: Options | None = None,
    *,
    font_size: float = BODY_SIZE,
    created: datetime | None = None,
    attachments: dict[str, bytes] | None = None,
) -> bytes:
    """Render ``article`` as PDF/A (level ``options.pdfa``) and return the bytes.

    ``created`` defaults to $SOURCE_DATE_EPOCH or now; with it fixed the output is
    byte-for-byte reproducible. ``attachments`` (name -> bytes, e.g. the TEI file) are
    embedded as source files with ``pdfa="3b"`` and ignored otherwise.
    """
    options = options or Options()
    chain = font_chain(options, article.metadata.language)
    texts = _all_texts(article)
    check_coverage(chain, texts, article.metadata.source_file)
    font = chain.key
    st = _styles(font, font_size)
    when = _created(created)
    info = doc_info(article, when)

    header = running_header(article)
    page_w, page_h = A4
    margin_x, margin_top, margin_bottom = 22 * mm, 24 * mm, 22 * mm

    def on_page(canv: Any, doc: Any) -> None:
        canv.saveState()
        hs = st.header
        y = page_h - margin_top + hs.size * 1.6
        if canv.getPageNumber() > 1:  # page 1 has the dateline under the title instead
            with artifact(canv, "Pagination", "Header"):
                _draw_string(canv, margin_x, y, header, hs)
                canv.setLineWidth(0.4)
                canv.setStrokeGray(0.5)
                canv.line(margin_x, y - hs.size * 0.6, page_w - margin_x, y - hs.size * 0.6)
        with artifact(canv, "Pagination", "Footer"):
            n = canv.getPageNumber()
            here, count = _footer_parts(n, n, info.language)  # count's width: a guess
            x = (page_w - _width(here + count, hs.font, hs.size)) / 2
            y = margin_bottom - hs.size * 2.5
            _draw_string(canv, x, y, here, hs)
            canv.translate(x + _width(here, hs.font, hs.size), y)
            canv.doForm(_PAGE_COUNT)
        canv.restoreState()

    def page_count(canv: Any, total: int) -> None:
        _draw_string(canv, 0, 0, _footer_parts(total, total, info.language)[1], st.header)

    buf = BytesIO()
    doc = BaseDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=margin_x,
        rightMargin=margin_x,
        topMargin=margin_top,
        bottomMargin=margin_bottom,
        title=info.title,
        author="、".join(info.authors),
        subject=info.subject,
        keywords=info.keywords,
        creator=info.creator,
        producer=info.producer,
        lang=info.language,
        invariant=1,
        initialFontName=main_face(font),  # else reportlab adds an unembedded Helvetica
        initialFontSize=font_size,
        pageCompression=0,  # every stream is compressed once, in make_pdfa
    )
    frame = Frame(
        margin_x,
        margin_bottom,
        page_w - 2 * margin_x,
        page_h - margin_top - margin_bottom,
        id="body",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=on_page)])

    root = Node("Document")
    doc.build(_story(article, st, root),
              canvasmaker=_canvas_maker(page_count, cid_set=options.pdfa.startswith("1")))
    return make_pdfa(buf.getvalue(), info, level=options.pdfa, attachments=attachments,
                     structure=root)


_PAGE_COUNT = "NAPageCount"


def _draw_string(canv: Any, x: float, y: float, text: str, style: Style) -> None:
    """One line of ``text`` in ``style``'s font chain, unjustified."""
    canv.addLiteral(_text(canv, x, y, text, style.font, style.size, gray=style.gray))


class _Codes(dict[str, str]):
    """Character -> the resource name (``/F1``) of its face in one document, for a font
    chain (or a face); ``esc`` holds its CID as four hex digits. Each character is given
    its CID once per document (:meth:`pdffonts.CIDFont.code`), when first drawn; every
    later one is two dict lookups."""

    def __init__(self, doc: Any, font: str) -> None:
        super().__init__()
        self.doc = doc
        self.faces = _per_char(_face_or_font, font)
        self.esc: dict[str, str] = {}
        # face -> (its resource name, its CIDFont.coder for this document): the font and
        # its per-document state looked up once per face, not once per character.
        self.coders: dict[str, tuple[str, Any]] = {}

    def __missing__(self, ch: str) -> str:
        face = self.faces[ch]
        coder = self.coders.get(face)
        if coder is None:
            cid_font = pdfmetrics.getFont(face)
            state = cid_font._state(self.doc)
            coder = self.coders[face] = (state.name, cid_font.coder(state))
        name = coder[0]
        self.esc[ch] = f"{coder[1](ch):04X}"
        self[ch] = name
        return name



def _codes(canv: Any, font: str) -> _Codes:
    """The document's :class:`_Codes` for ``font`` (kept on the canvas: one per document)."""
    table: dict[str, _Codes] = canv.__dict__.setdefault("_na_codes", {})
    codes = table.get(font)
    if codes is None:
        codes = table[font] = _Codes(canv._doc, font)
    return codes


class _Numbers(dict[float, str]):
    """``fp_str(value)`` by value, for the few sizes and grays a document sets."""

    def __missing__(self, value: float) -> str:
        text = self[value] = fp_str(value)
        return text


_NUMBERS = _Numbers()


def _text(
    canv: Any,
    x: float,
    y: float,
    text: str,
    font: str,
    size: float,
    *,
    char_space: float | None = None,
    gray: float = 0.0,
    fill_stroke: bool = False,
) -> str:
    """The text object (BT … ET) that sets ``text`` in ``font`` (a chain's key) from (x, y):
    the operators reportlab's PDFTextObject writes for setCharSpace, setFillGray,
    setTextRenderMode(2) and setFont + textOut per run, without its cursor bookkeeping (a
    stringWidth per run) and its per-call set-up. One ``Tf`` and ``Tj`` per run of
    characters in the same face, their 2-byte codes as a hex string."""
    codes = _codes(canv, font)
    code = f"BT 1 0 0 1 {fp_str(x, y)} Tm"  # the canvas is bottom-up
    if char_space is not None:
        code += f" {fp_str(char_space)} Tc"
    if gray:
        code += f" {_NUMBERS[gray]} g"
    if fill_stroke:
        code += " 2 Tr"
    tf = f" {_NUMBERS[size]} Tf <"
    esc = codes.esc
    for name, chars in itertools.groupby(text, codes.__getitem__):
        code += " " + name + tf + "".join(map(esc.__getitem__, chars)) + "> Tj"
    return code + " ET"


def _canvas_maker(page_count: Any, cid_set: bool) -> Any:
    """A canvas that opens with the outline shown and, when saved, defines the form every
    footer draws the page count with (``page_count(canvas, total)``); its fonts carry a
    /CIDSet if ``cid_set`` (PDF/A-1 requires it; later parts only check one that is there)."""
    from reportlab.pdfgen.canvas import Canvas

    class _Canvas(Canvas):
        def showPage(self) -> None:
            super().showPage()
            # reportlab encodes a page's content (tens of KB of operators) to bytes through
            # its pdfdoc codec, a charmap lookup per character (~0.1 ms per KB); what we draw
            # is ASCII (every string is escaped), for which the ASCII bytes are the same.
            page = self._doc.Pages.pages[-1]
            if isinstance(page.stream, str) and page.stream.isascii():
                page.stream = page.stream.encode("ascii")

        def save(self) -> None:
            if len(self._code):
                self.showPage()
            self.beginForm(_PAGE_COUNT)
            page_count(self, self.getPageNumber() - 1)
            self.endForm()
            super().save()

    def make(*args: Any, **kwargs: Any) -> Canvas:
        canv = _Canvas(*args, **kwargs)
        canv._doc.na_cid_set = cid_set
        canv.showOutline()
        return canv

    return make


def normalise_for_compare(text: str) -> str:
    """Whitespace removed, NFC: what the fidelity check compares."""
    return unicodedata.normalize("NFC", "".join(text.split()))
