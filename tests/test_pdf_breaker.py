"""The PDF line breaker (pdf.units, pdf.break_lines, pdf._prefix_widths) against the
straightforward one it replaced (a Python step per atom, per unit, per character; kept here
as the reference): the same units, lines and widths to the last bit, on random mixes of
Han, kana, opening and closing marks, Latin words, numbers and spaces, at random widths,
sizes and indents; and the invariants a line breaker owes whatever it is compared with.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsarchive.writers import pdf
from newsarchive.writers.pdf import (
    COMPRESSIBLE,
    DEFAULT_FONT,
    NO_END,
    NO_START,
    FontSpec,
    Line,
    _char_width,
    _em,
    _end_trim,
    _kern,
    _may_break,
    _prefix_widths,
    _width,
    break_lines,
    register_font,
    units,
)

pytestmark = pytest.mark.skipif(not DEFAULT_FONT.is_file(), reason="needs fonts-arphic-uming")

# ------------------------------------------------------------------------ the reference

_ATOM = re.compile(f"({pdf._LATIN_WORD.pattern})|(\\s+)|(.)", re.S)


def ref_units(text: str) -> list[str]:
    out: list[str] = []
    pending = ""
    for word, space, char in _ATOM.findall(text):
        if space:
            if pending:
                pending += " "
            else:
                out.append(" ")
            continue
        atom = word or char
        opening = not word and char in NO_END
        if not pending and out and out[-1] != " " and not word and char in NO_START:
            out[-1] += atom
        elif pending:
            pending += atom
            if not opening:
                out.append(pending)
                pending = ""
        elif opening:
            pending = atom
        else:
            out.append(atom)
    if pending:
        if out and out[-1] != " ":
            out[-1] += pending
        else:
            out.append(pending)
    return out


def ref_break_lines(text: str, font: str, size: float, width: float,
                    first_indent: float = 0.0) -> list[Line]:
    lines: list[Line] = []
    cur: list[str] = []
    cur_w = 0.0
    room = width - first_indent

    def flush(last: bool) -> None:
        nonlocal cur, cur_w, room
        while cur and cur[-1] == " ":
            cur_w -= _width(cur.pop(), font, size)
        indent = first_indent if not lines else 0.0
        line = "".join(cur)
        trim = _end_trim(font, line[-1]) * size if line else 0.0
        lines.append(Line(line, max(cur_w - trim, 0.0), indent, last))
        cur, cur_w, room = [], 0.0, width

    for unit in ref_units(text):
        if unit == " " and not cur:
            continue
        em, trim = _em(unit, font), _end_trim(font, unit[-1])
        w = em * size
        if cur and unit[0] in COMPRESSIBLE and (a := cur[-1][-1]) in COMPRESSIBLE:
            w += _kern(font, a, unit[0]) * size
        if cur_w + w - trim * size <= room + 1e-6:
            cur.append(unit)
            cur_w += w
            continue
        w = em * size
        if unit == " ":
            flush(last=False)
            continue
        if cur:
            flush(last=False)
        if w <= room + 1e-6:
            cur, cur_w = [unit], w
            continue
        piece = ""
        over, start = False, 1
        for ch in unit:
            if piece and (over or cur_w + _width(piece + ch, font, size) > room + 1e-6):
                cut = max(
                    (i for i in range(start, len(piece) + 1) if _may_break(piece, ch, i)),
                    default=0,
                )
                if not cut:
                    over, start = True, len(piece) + 1
                    piece += ch
                    continue
                cur.append(piece[:cut])
                cur_w += _width(piece[:cut], font, size)
                flush(last=False)
                piece = piece[cut:]
                over, start = False, 1
            piece += ch
        cur.append(piece)
        cur_w += _width(piece, font, size)
    if cur or not lines:
        flush(last=True)
    else:
        last = lines[-1]
        lines[-1] = Line(last.text, last.width, last.indent, True)
    return lines


def ref_prefix_widths(text: str, font: str, size: float) -> list[float]:
    out = [0.0]
    w = 0.0
    for k, ch in enumerate(text):
        w += _char_width(font, ch)
        if k and ch in COMPRESSIBLE and text[k - 1] in COMPRESSIBLE:
            w += _kern(font, text[k - 1], ch)
        out.append(w * size)
    return out


# ------------------------------------------------------------------------ the texts

HAN = "党建引领聚合力奋进新征程沿滩区高质量发展"
KANA = "ぁっャョー々ゝ"
CLOSING = "，。、；：？！”’）》」』】〕〉］｝〗〙〛,.;:?!)]}%…—～·"
OPENING = "“‘（《「『【〔〈［｛〖〘〚([{"
LATIN = ["COVID-19", "3154.5", "1+N", "www.zg.gov.cn", "GDP", "5G", "a", "Zürich", "x_y",
         "https://example.org/a/b?c=1", "0123456789" * 4]
SPACES = [" ", "  ", "\n", "\u3000", " \t "]

pieces = st.one_of(
    st.sampled_from(HAN),
    st.sampled_from(HAN),
    st.sampled_from(KANA),
    st.sampled_from(CLOSING),
    st.sampled_from(OPENING),
    st.sampled_from(LATIN),
    st.text(alphabet="abcdefgijlmw ,.-", min_size=1, max_size=12),  # widths not dyadic
    st.sampled_from(SPACES),
    st.text(alphabet=CLOSING, min_size=2, max_size=60),  # runs a line cannot hold
    st.text(alphabet=OPENING, min_size=2, max_size=8),
)
texts = st.lists(pieces, max_size=120).map("".join)
widths = st.one_of(st.sampled_from([60.0, 97.0, 150.0, 233.5, 451.0]),
                   st.floats(min_value=5.0, max_value=500.0))


def _font() -> str:
    return register_font(FontSpec(DEFAULT_FONT, 0))  # once: register_font is cached


# ------------------------------------------------------------------------ the tests


@settings(deadline=None)  # the font is registered by the first example
@given(texts)
def test_units_equal_the_reference(text: str) -> None:
    assert units(text) == ref_units(text)


@settings(deadline=None)  # the font is registered by the first example
@given(texts, widths, st.sampled_from([10.5, 9.03, 21.0, 7.875]),
       st.sampled_from([0.0, 21.0, 12.6]))
def test_lines_equal_the_reference(text: str, width: float, size: float,
                                   indent: float) -> None:
    # Line is a dataclass: equal texts, indents, last flags and widths as floats (==).
    assert break_lines(text, _font(), size, width, indent) == ref_break_lines(
        text, _font(), size, width, indent)


@settings(deadline=None)  # the font is registered by the first example
@given(texts, st.sampled_from([10.5, 9.03]))
def test_prefix_widths_equal_the_reference(text: str, size: float) -> None:
    assert _prefix_widths(text, _font(), size) == ref_prefix_widths(text, _font(), size)


@settings(deadline=None)  # the font is registered by the first example
@given(texts, widths)
def test_line_invariants(text: str, width: float) -> None:
    font, size = _font(), 10.5
    lines = break_lines(text, font, size, width, 21.0)
    flat = re.sub(r"\s+", " ", text)
    assert [ln.last for ln in lines] == [False] * (len(lines) - 1) + [True]
    # Nothing lost: the lines are the text, less the spaces at the breaks and at the ends.
    pos = 0
    for i, ln in enumerate(lines):
        if flat[pos:pos + 1] == " " and not flat[pos:].startswith(ln.text or " "):
            pos += 1  # a space dropped at the break (or at the start)
        elif i > 0:
            # Kinsoku where the break is between two characters.
            assert lines[i - 1].text[-1] not in NO_END, (lines[i - 1].text, ln.text)
            assert ln.text[0] not in NO_START, (lines[i - 1].text, ln.text)
        assert flat.startswith(ln.text, pos), (flat[pos:], ln.text)
        pos += len(ln.text)
        if ln.width > width - ln.indent + 1e-6:
            # Over the line only where kinsoku leaves no place to break it.
            t = ln.text
            assert not any(t[j - 1] not in NO_END and t[j] not in NO_START
                           for j in range(1, len(t))), t
    assert flat[pos:].strip(" ") == ""


def test_reference_sees_the_cases_that_matter() -> None:
    """The comparison above is worth something only if the texts reach the breaker's
    corners: compressed pairs across a break unit's join, units cut by character, lines
    over the width, trailing trims, a text ending in an opening mark."""
    font, size = _font(), 10.5
    assert units("x（") == ["x（"] and units(" （") == [" ", "（"]
    assert units("（ x，。 ，") == ["（ x，。", " ", "，"]
    text = "党，“建”。" * 30 + "，" * 80 + "“" + "www.example.org/" * 6
    for width in (40.0, 97.0, 233.5):
        lines = break_lines(text, font, size, width)
        assert lines == ref_break_lines(text, font, size, width)
        assert any(ln.width > width for ln in lines)  # the comma run: no place to break
    kerned = [i for i in pdf._pairs(text) if _kern(font, text[i - 1], text[i])]
    assert kerned  # "，“" across a join is compressed
    # A unit that fits a whole line only without its trim, after another unit: it does not
    # fit the rest of that line and is then cut by character (the trim counts only there).
    word = "abcdefgh，"
    a, t = _width(word, font, size), _end_trim(font, "，") * size
    assert t > 0
    lines = break_lines("党" + word, font, size, a - t / 2)
    assert lines == ref_break_lines("党" + word, font, size, a - t / 2)
    assert word not in [ln.text for ln in lines]
    assert break_lines(word, font, size, a - t / 2)[0].text == word  # at a line start
