"""Step: lines -> typed blocks. Classify headings, captions and labels; rejoin broken lines;
lift captions that cut a sentence out of it.

Signals (measured on the seeds and on real dumps, written for any paper): body text has
sentence punctuation; headings and captions are short and have none; a paper sets a
two-part heading either on one line with a space ("5个支柱产业党建联盟 激活高质量发展红色引擎")
or on two adjacent lines; captions sit apart (several blank lines above, or stacked before
the body), open with a figure mark (▲, 图①：, 图为), carry a photographer, or describe an
event. A body line that does not end a sentence continues on the next body line, across
blank lines and across any caption in between.

Hard-wrapped pages (terminal dumps at 64/80 columns, pdftotext columns) are rejoined first,
from the page's own layout: its wrap width (lines of about that width were wrapped, even
when the wrap fell right after a full stop) and its paragraph indents (an indented line
opens a paragraph). A line that starts with a comma or full stop always continues.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cache

from newsarchive.model import Article, Block, Edit
from newsarchive.normalize._lines import (
    HAN,
    display_width,
    ends_terminal,
    han_count,
    has_sentence_punct,
    in_narrow_run,
    indent_width,
    is_heading_like,
    joins_at_hyphen,
    load_data,
    narrow_run,
    narrow_run_rule,
)

STEP = "segment"
_INNER_SPACE = re.compile(f"[{HAN}“”\"'‘’》」』）)0-9A-Za-z][ ][{HAN}“”\"'‘’《「『（(0-9A-Za-z]")
_SENTENCE_END = set("。！？!?")


@dataclass
class Line:
    text: str
    source_lines: tuple[int, ...]
    credit: str | None
    blank_before: int  # blank lines between this line and the previous non-empty one
    kind: str = ""  # body | heading | figure | label | line | credit
    reason: str = ""
    indent: int = 0  # columns of indentation of its first source line
    last_indent: int = 0  # ... and of its last one
    width: int = 0  # display columns of its last physical line, indentation included
    original: str = ""  # the line as printed, where a rule cut a marker off it


@dataclass
class Page:
    """The layout of a page's text lines: whether it is hard-wrapped, at what width."""

    wrapped: bool = False
    width: int = 0
    indents: bool = False  # paragraphs open with an indent (relative to the lines around)
    rows: list[tuple[int, int]] = field(default_factory=list)  # (index, width) of wrapped lines


@cache
def _config() -> dict[str, object]:
    return load_data("segment.toml")


def _int(name: str) -> int:
    return int(_config()[name])  # type: ignore[call-overload]


def _float(name: str) -> float:
    return float(_config()[name])  # type: ignore[arg-type]


@cache
def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(str(_config()[name]))


@cache
def _chars(name: str) -> frozenset[str]:
    return frozenset(str(_config()[name]))


def is_body_text(text: str) -> bool:
    return has_sentence_punct(text) or len(text) > _int("heading_max_len")


def has_inner_space(text: str) -> bool:
    return bool(_INNER_SPACE.search(text))


def _has_cue(text: str) -> bool:
    return any(cue in text for cue in _config()["caption_cues"])  # type: ignore[union-attr]


def _ends_with_cue(text: str) -> bool:
    return any(text.endswith(cue) for cue in _config()["caption_cues"])  # type: ignore[union-attr]


def starts_continuation(text: str) -> bool:
    """A line that opens with a comma, full stop, closing quote… only continues another."""
    return bool(text) and text[0] in _chars("continuation_start")


def opens_onward(text: str) -> bool:
    """A line that stops on a function word ("…在下一阶段的"): its sentence goes on."""
    return bool(text) and text[-1] in _chars("open_ending")


def is_dangling(text: str) -> bool:
    """A line made only of closing punctuation ("。"): the end of the line before."""
    stripped = text.strip()
    return bool(stripped) and all(ch in _chars("continuation_start") for ch in stripped)


def is_caption_start(text: str) -> bool:
    return bool(_pattern("caption_prefix").match(text))


# --- Lines, as they reach the step ---------------------------------------------------------


def _restore_punctuation(article: Article) -> tuple[list[Block], list[Edit]]:
    """Lines holding only closing punctuation ("。" after a wrap) that an earlier step took
    for decoration: they end a sentence, so they go back where they were."""
    blocks = list(article.blocks)
    numbers = [n for b in blocks if b.text for n in b.source_lines]  # between text lines
    if not numbers:
        return blocks, []
    first, last = min(numbers), max(numbers)
    present = set(numbers)
    text_above = set(present)  # the mark ends the line right above it, or nothing
    edits: list[Edit] = []
    restored: list[Block] = []
    for edit in article.provenance:
        if (
            edit.action == "remove"
            and edit.step not in (STEP, "characters")
            and edit.line is not None
            and first < edit.line < last
            and edit.line not in present
            and edit.line - 1 in text_above
            and len(edit.text.strip()) <= 3
            and is_dangling(edit.text)
        ):
            present.add(edit.line)
            restored.append(Block("line", edit.text.strip(), (edit.line,)))
            edits.append(Edit(STEP, "text.restore-punctuation", "restore", edit.text.strip(),
                              f"closing punctuation removed by {edit.step}/{edit.rule}",
                              edit.line))
    for block in restored:
        line = block.source_lines[0]
        at = next((i for i, b in enumerate(blocks)
                   if b.source_lines and b.source_lines[0] > line), len(blocks))
        blocks.insert(at, block)
    return blocks, edits


def _collect(article: Article, blocks: list[Block]) -> list[Line]:
    raw = article.source_text.split("\n") if article.source_text else []
    lines: list[Line] = []
    blanks = 0
    for block in blocks:
        if not block.text:
            blanks += 1
            continue
        number = block.source_lines[0] if block.source_lines else 0
        source = raw[number - 1] if 0 < number <= len(raw) else ""
        indent = indent_width(source) if block.text[:1] in source else 0
        width = indent + display_width(block.text)
        kind, reason = ("", "") if block.kind == "line" else (block.kind, "typed")
        lines.append(Line(block.text, block.source_lines, block.credit, blanks, kind, reason,
                          indent, indent, width))
        blanks = 0
    return lines


# --- Hard-wrapped pages ---------------------------------------------------------------------


def _text_line(line: Line) -> bool:
    """A line long enough to have been wrapped (menus and link lists are shorter)."""
    return not line.kind and han_count(line.text) >= 4 and line.width >= _int("wrap_min_width")


def _profile(lines: list[Line]) -> Page:
    texts = [ln for ln in lines if _text_line(ln) and has_sentence_punct(ln.text)]
    rows = [
        (i, ln.width)
        for i, ln in enumerate(lines[:-1])
        if _text_line(ln) and lines[i + 1].blank_before == 0 and not ends_terminal(ln.text)
        and not lines[i + 1].kind
    ]
    # The wrap width: the densest band of widths among wrapped lines of text (link lists
    # are wrapped lines too, but carry no sentence punctuation).
    slack = _int("wrap_slack")
    punctuated = sorted(ln.width for i, _ in rows if has_sentence_punct((ln := lines[i]).text))
    best, band, low = 0, (0, 0), 0
    for high, w in enumerate(punctuated):
        while punctuated[low] < w - slack:
            low += 1
        if high - low + 1 >= best:
            best, band = high - low + 1, (low, high)
    width = punctuated[band[0] + int(0.7 * (band[1] - band[0]))] if punctuated else 0
    if best < _int("wrap_min_lines") or best < _float("wrap_min_share") * len(texts):
        return Page()
    base = min(ln.indent for ln in texts)
    indented = sum(1 for ln in texts if ln.indent > base)
    return Page(True, width, 2 <= indented <= 0.7 * len(texts), rows)


def _local_width(page: Page, index: int) -> int:
    window = _int("width_window")
    near = sorted(w for i, w in page.rows if abs(i - index) <= window)
    if len(near) < 3:
        return page.width
    return near[int(0.7 * (len(near) - 1))]


def _full(line: Line, width: int) -> bool:
    return line.width >= width - _int("full_slack")


def _short_first(line: Line, width: int) -> bool:
    """Short of the wrap width by about a paragraph indent (pdftotext drops the indent)."""
    low, high = (int(x) for x in _config()["first_line_short"])  # type: ignore[attr-defined]
    return low <= width - line.width <= high


def _merge_rule(a: Line, b: Line, page: Page, width: int) -> str | None:
    """The rule that joins adjacent lines ``a`` and ``b`` (no blank line between), or None."""
    if a.kind or b.kind or b.blank_before:
        return None
    if starts_continuation(b.text):
        return "join.continuation-punct"
    if joins_at_hyphen(a.text, b.text):
        return "join.hyphen"  # "Smart-" / "Market…": a Latin word wrapped at its hyphen
    if not page.wrapped or is_caption_start(b.text) or _is_marked_heading(b.text):
        return None
    if page.indents and b.indent > a.last_indent:
        return None  # an indented line opens a paragraph
    if is_caption_start(a.text):  # a caption wraps until its sentence ends
        return None if ends_terminal(a.text) else "join.wrapped-caption"
    if _full(a, width):
        if ends_terminal(a.text):
            if is_heading_like(b.text) and not _full(b, width):
                return None  # a short line after a closed sentence: a heading
            if not page.indents and _short_first(b, width) and not ends_terminal(b.text):
                return None  # the next paragraph's first line, short by its indent
        if (
            not has_sentence_punct(a.text)
            and not a.source_lines[1:]
            and a.blank_before == 0
            and not has_sentence_punct(b.text)
        ):
            return None  # two unpunctuated full-width lines: a wrapped heading or a nav run
        return "join.wrapped"
    if a.text.endswith(("：", ":")) and b.text.startswith(("「", "“", "『")):
        return "join.wrapped-quote"  # "某某说：" wrapped before the quotation it opens
    if ends_terminal(a.text):
        return None
    if has_sentence_punct(a.text) and not is_heading_like(b.text):
        return "join.wrapped"  # broke early before a long word or number
    if (
        not a.source_lines[1:]
        and ((page.indents and a.indent > 0) or (not page.indents and _short_first(a, width)))
        and has_sentence_punct(b.text)
    ):
        return "join.wrapped-first-line"  # a paragraph's first line, indented
    return None


def _narrow_column(previous: Line, lines: list[Line], index: int, page: Page) -> bool:
    """``previous`` opens a column narrower than the page's (beside a picture or a drop
    cap): it and the next two lines share one width, and the next one is punctuated text."""
    if not page.wrapped or index + 1 >= len(lines) or previous.source_lines[1:]:
        return False
    line, after = lines[index], lines[index + 1]
    if previous.kind or line.kind or after.kind or line.blank_before or after.blank_before:
        return False
    if ends_terminal(previous.text) or han_count(previous.text) < 6:
        return False
    if not has_sentence_punct(line.text) or is_caption_start(line.text):
        return False
    slack = _int("wrap_slack")  # one width, as the page's wrap width is found
    widths = (previous.width, line.width, after.width)
    return max(widths) - min(widths) <= slack and not ends_terminal(line.text)


def _narrow_runs(lines: list[Line], page: Page) -> set[int]:
    """Lines that continue a run of at least three unpunctuated lines of one width, set
    straight above a wider punctuated line (a story's opening beside a picture, as pdftotext
    prints it): the run and the line below it are one paragraph. A stacked headline has
    fewer lines, or is set apart from the text."""
    joins: set[int] = set()
    if not page.wrapped:
        return joins
    slack, least = narrow_run_rule()["slack_columns"], narrow_run_rule()["min_lines"]
    index = 0
    while index < len(lines):
        end = index
        while (
            end < len(lines)
            and not lines[end].kind
            and (end == index or lines[end].blank_before == 0)
            and han_count(lines[end].text) >= 6
            and not has_sentence_punct(lines[end].text)
            and not ends_terminal(lines[end].text)
            and in_narrow_run(lines[end].width, lines[index].width, slack)
        ):
            end += 1
        if end - index >= least and end < len(lines):  # (narrow_run checks it too)
            after = lines[end]
            if (
                not after.kind
                and after.blank_before == 0
                and has_sentence_punct(after.text)
                and narrow_run([ln.width for ln in lines[index:end]], after.width, slack)
            ):
                joins.update(range(index + 1, end + 1))
        index = max(end, index + 1)
    return joins


def _merge_wrapped(lines: list[Line], page: Page, edits: list[Edit]) -> list[Line]:
    merged: list[Line] = []
    narrow = _narrow_runs(lines, page)
    for index, line in enumerate(lines):
        previous = merged[-1] if merged else None
        rule = None
        if previous is not None:
            rule = _merge_rule(previous, line, page, _local_width(page, index))
            if rule is None and _narrow_column(previous, lines, index, page):
                rule = "join.wrapped-column"
            if rule is None and index in narrow:
                rule = "join.wrapped-narrow-run"
        if previous is None or rule is None:
            merged.append(line)
            continue
        edits.append(Edit(STEP, rule, "join", f"{previous.text[-8:]}\n{line.text[:8]}",
                          f"{previous.text[-8:]}{line.text[:8]}",
                          line.source_lines[0] if line.source_lines else None))
        previous.text = _glue(previous.text, line.text)
        previous.source_lines += line.source_lines
        previous.width = line.width
        previous.last_indent = line.indent
    return merged


# --- Labels, captions, headings -------------------------------------------------------------


def _is_marked_heading(text: str) -> bool:
    return (
        len(text) > 1
        and text[0] in _chars("heading_marks")
        and not any(ch in _SENTENCE_END for ch in text)
        and len(text) <= _int("heading_max_len")
    )


def _label(line: Line, text: str, reason: str) -> Line:
    return Line(text, line.source_lines, None, line.blank_before, "label", reason,
                original=line.text)


def _is_label_line(text: str) -> bool:
    found = _pattern("label_line").match(text)
    if not found or has_sentence_punct(text):
        return False
    # "《诫子诗》" is a book title, not a label followed by a marker
    return not (text.endswith("》") and text.count("《") >= text.count("》"))


def _split_labels(lines: list[Line]) -> list[Line]:
    label_line = _pattern("label_line")
    label_prefix = _pattern("label_prefix")
    result: list[Line] = []
    for line in lines:
        if line.kind:
            result.append(line)
            continue
        if found := label_prefix.match(line.text):
            result.append(_label(line, found.group("label"), "label.prefix"))
            heading = found.group("rest")
            result.append(Line(heading, line.source_lines, line.credit, 0, "heading",
                               "label.prefix"))
        elif _is_label_line(line.text) and (found := label_line.match(line.text)):
            result.append(_label(line, found.group("label"), "label.line"))
        else:
            result.append(line)
    return result


def _mark_furniture(lines: list[Line]) -> None:
    """Lines whose kind their own form decides: caption marks, photographer lines, caption
    block headers, stacked sidebar labels, marked headings, datelines."""
    stacked = _int("stacked_label_max")
    in_caption_block = False
    for i, line in enumerate(lines):
        if line.kind:
            in_caption_block = in_caption_block and line.kind == "figure"
            continue
        text = line.text
        if in_caption_block and line.blank_before > 1:
            in_caption_block = False
        if _pattern("caption_block_header").match(text):
            line.kind, line.reason = "drop", "caption.block-header"
            in_caption_block = True
        elif _pattern("photographer_line").match(text) and len(text) <= 30:
            line.kind, line.reason = "credit", "caption.photographer-line"
        elif is_caption_start(text) or in_caption_block:
            line.kind, line.reason = "figure", (
                "caption.mark" if is_caption_start(text) else "caption.block")
        elif _pattern("caption_suffix").search(text) and len(text) <= 2 * _int("caption_max_len"):
            line.kind, line.reason = "figure", "caption.picture-word"
        elif _is_marked_heading(text):
            line.kind, line.reason = "heading", "heading.marked"
        elif _pattern("dateline_line").match(text):
            line.kind, line.reason = "dateline", "dateline.alone"
        elif len(text) <= stacked and not has_sentence_punct(text) and (
            _stack_neighbour(lines, i - 1, stacked) or _stack_neighbour(lines, i, stacked)
        ):
            line.kind, line.reason = "label", "label.stacked"


def _stack_neighbour(lines: list[Line], index: int, stacked: int) -> bool:
    """``lines[index]`` and ``lines[index + 1]`` are two very short Han-only lines set one
    under the other (no blank line between)."""
    if not 0 <= index < len(lines) - 1 or lines[index + 1].blank_before:
        return False
    return all(
        len(ln.text) <= stacked and han_count(ln.text) == len(ln.text)
        and ln.kind in ("", "label")
        for ln in lines[index : index + 2]
    )


def _classify(lines: list[Line]) -> None:
    first_body = next((i for i, ln in enumerate(lines) if is_body_text(ln.text)), len(lines))
    caption_gap = _int("caption_gap")
    for i, line in enumerate(lines):
        if line.kind:
            continue
        previous = lines[i - 1] if i else None
        following = lines[i + 1] if i + 1 < len(lines) else None
        if line.credit:  # the credits step found a photographer at its end
            line.kind, line.reason = "figure", "caption.photographer"
            continue
        if _list_item(line, previous):
            line.kind, line.reason = "body", "body.list-item"
            continue
        if (
            previous is not None
            and previous.kind == "heading"
            and previous.text.endswith(("：", ":", "——"))
            and len(line.text) <= _int("heading_max_len")
            and not ends_terminal(line.text)
            and not any(ch in _SENTENCE_END for ch in line.text)
            and (following is None or is_body_text(following.text))
        ):
            # Under a kicker ("某报：", "……——") a line that closes no sentence is the
            # headline it introduces, even with a comma in it.
            line.kind, line.reason = "heading", "heading.after-kicker"
            continue
        if is_body_text(line.text):
            line.kind, line.reason = "body", "body.punctuation"
            # A short sentence set far below an unfinished sentence is a caption cutting it.
            if (
                len(line.text) <= _int("caption_max_len")
                and line.blank_before >= caption_gap - 1
                and previous is not None
                and previous.kind == "body"
                and not ends_terminal(previous.text)
                and following is not None
                and is_body_text(following.text)
                and following.blank_before >= 1
            ):
                line.kind, line.reason = "figure", "caption.interrupts-sentence"
            continue
        if (
            opens_onward(line.text)
            and han_count(line.text) >= 4
            and line.blank_before == 0
            and following is not None
            and following.blank_before <= 1
            and following.indent <= line.indent
            and not following.kind
            and is_body_text(following.text)
        ):
            # "…在下一阶段的" / (blank) / "需要，政府…": one sentence, broken by the layout
            # (a heading would be set off above, or its paragraph indented below).
            line.kind, line.reason = "body", "body.open-ending"
            continue
        if previous is not None and previous.kind == "label":
            line.kind, line.reason = "heading", "heading.after-label"
        elif (
            following is not None
            and following.blank_before == 0
            and not following.kind
            and not is_body_text(following.text)
            and not following.credit
        ) or (
            previous is not None
            and previous.reason == "heading.two-line-first"
            and line.blank_before == 0
        ):
            first = not (
                previous is not None
                and previous.reason == "heading.two-line-first"
                and line.blank_before == 0
            )
            line.kind = "heading"
            line.reason = "heading.two-line-first" if first else "heading.two-line-second"
        elif (
            previous is not None
            and previous.kind == "body"
            and not ends_terminal(previous.text)
            and line.blank_before == 0
        ):
            # A hard-wrapped sentence (text copied from a PDF): short line, no gap.
            line.kind, line.reason = "body", "body.wrapped-continuation"
        elif line.blank_before >= caption_gap:
            line.kind, line.reason = "figure", "caption.set-apart"
        elif has_inner_space(line.text):
            line.kind, line.reason = "heading", "heading.spaced"
        elif i < first_body:
            line.kind, line.reason = "figure", "caption.before-body"
        elif (
            line.blank_before >= 1
            and following is not None
            and following.blank_before == 0
            and is_body_text(following.text)
            and not _ends_with_cue(line.text)
        ):
            # Set off above and running straight into a paragraph, a clause ("…活动取消")
            # heads that paragraph; a caption there names the scene ("…专场活动").
            line.kind, line.reason = "heading", "heading.above-paragraph"
        elif _has_cue(line.text):
            line.kind, line.reason = "figure", "caption.cue-word"
        else:
            line.kind, line.reason = "heading", "heading.short-line"


def _mark_centred_captions(lines: list[Line]) -> None:
    """A short line set far right of the body's left edge (centred under a picture, as
    converters of centred HTML print it) beside a caption set the same way is a caption
    too: a picture's caption group shares its layout."""
    body = [ln.indent for ln in lines if ln.kind == "body"]
    if not body:
        return
    base, offset = min(body), _int("centred_min_offset")

    def centred(line: Line) -> bool:
        return line.indent >= base + offset and not line.source_lines[1:]

    for i, line in enumerate(lines):
        if line.reason not in ("heading.short-line", "heading.spaced") or not centred(line):
            continue
        # (the previous line and the gap above this one, the next line and the gap above it)
        pairs = [(lines[i - 1], line.blank_before)] if i else []
        pairs += [(lines[i + 1], lines[i + 1].blank_before)] if i + 1 < len(lines) else []
        if any(ln.kind == "figure" and centred(ln) and gap <= 1 for ln, gap in pairs):
            line.kind, line.reason = "figure", "caption.centred-group"


_FIELD = re.compile(r"^[（(]?[^：:，。；！？]{1,12}[：:]\s*\S")


def _list_item(line: Line, previous: Line | None) -> bool:
    """A "label：value" line under a sentence that announces a list ("…资料如下：") or under
    another such item: the text's own list (accounts, addresses, hotlines), not headings."""
    if previous is None or line.blank_before > 1 or len(line.text) > _int("heading_max_len"):
        return False
    if any(ch in _SENTENCE_END for ch in line.text) or not _FIELD.match(line.text):
        return False
    announced = previous.kind == "body" and previous.text.endswith(("：", ":"))
    return announced or previous.reason == "body.list-item"


def _short_sentence(line: Line) -> bool:
    text = line.text
    return (
        line.kind == "body"
        and len(text) <= _int("caption_max_len")
        and text[-1] in _SENTENCE_END
        and not any(ch in _SENTENCE_END for ch in text[:-1])
    )


def _mark_galleries(lines: list[Line]) -> None:
    """A run of one-sentence lines among credited captions is a gallery: all captions."""
    start = 0
    while start < len(lines):
        end = start
        while end < len(lines) and (lines[end].kind == "figure" or _short_sentence(lines[end])):
            end += 1
        run = lines[start:end]
        credited = sum(1 for ln in run if ln.kind == "figure" and ln.credit)
        figures = sum(1 for ln in run if ln.kind == "figure")
        if len(run) >= 3 and credited >= 2 and figures >= 0.4 * len(run):
            for line in run:
                if line.kind == "body":
                    line.kind, line.reason = "figure", "caption.gallery"
        start = max(end, start + 1)


def _caption_like(line: Line) -> bool:
    return bool(
        line.credit
        or is_caption_start(line.text)
        or _pattern("caption_suffix").search(line.text)
    )


def _dedupe_captions(lines: list[Line], edits: list[Edit]) -> list[Line]:
    """A caption printed twice (image alt text, then the caption): keep one, record the other."""
    result: list[Line] = []
    for line in lines:
        twin = next((ln for ln in result[-2:] if ln.text == line.text), None)
        if twin is not None and not line.kind and _caption_like(line):
            edits.append(Edit(STEP, "caption.printed-twice", "remove", line.text,
                              "the same caption printed again",
                              line.source_lines[0] if line.source_lines else None))
            continue
        result.append(line)
    return result


def _glue(left: str, right: str) -> str:
    """Join two pieces of one sentence; only Latin words need a space between them."""
    if (
        left
        and right
        and left[-1].isascii()
        and left[-1].isalnum()
        and right[0].isascii()
        and right[0].isalnum()
    ):
        if left.endswith("-") and right[0].islower():
            return left[:-1] + right
        return f"{left} {right}"
    return left + right


def _photographer(text: str) -> str:
    found = _pattern("photographer_line").match(text)
    if not found:
        return text
    return (found.group("who") + (found.group("agency") or "")).strip()


def segment(article: Article) -> Article:
    edits: list[Edit] = []
    source_blocks, restored = _restore_punctuation(article)
    edits += restored
    lines = _collect(article, source_blocks)
    page = _profile(lines)
    lines = _merge_wrapped(lines, page, edits)
    lines = _split_labels(lines)
    lines = _dedupe_captions(lines, edits)
    _mark_furniture(lines)
    _classify(lines)
    _mark_centred_captions(lines)
    _mark_galleries(lines)
    blocks: list[Block] = []
    paragraph: Line | None = None
    pending: list[Line] = []  # figures and labels lifted out of the open paragraph
    dateline: Line | None = None  # a dateline alone on its line, waiting for its paragraph

    def flush() -> None:
        nonlocal paragraph
        if paragraph is not None:
            blocks.append(Block("paragraph", paragraph.text, paragraph.source_lines))
            paragraph = None
        for lifted in pending:
            blocks.append(Block(lifted.kind, lifted.text, lifted.source_lines,  # type: ignore[arg-type]
                                lifted.credit))
        pending.clear()

    def open_sentence() -> bool:
        return paragraph is not None and not ends_terminal(paragraph.text)

    index = 0
    while index < len(lines):
        line = lines[index]
        first_line = line.source_lines[0] if line.source_lines else None
        if dateline is not None and line.kind != "body":
            blocks.append(Block("paragraph", dateline.text, dateline.source_lines))
            dateline = None
        if line.reason.startswith("heading.two-line-first"):
            second = lines[index + 1]
            flush()
            text = f"{line.text} {second.text}"
            blocks.append(Block("heading", text, line.source_lines + second.source_lines))
            edits.append(
                Edit(
                    STEP,
                    "heading.two-line",
                    "join",
                    f"{line.text}\n{second.text}",
                    text,
                    first_line,
                )
            )
            index += 2
            continue
        if line.kind == "drop":
            edits.append(Edit(STEP, line.reason, "remove", line.text, "", first_line))
        elif line.kind == "dateline":
            flush()
            edits.append(Edit(STEP, line.reason, "classify", line.text, "dateline", first_line))
            dateline = line
        elif line.kind == "body" and dateline is not None:
            flush()
            edits.append(Edit(STEP, "join.dateline", "join", f"{dateline.text}\n{line.text[:8]}",
                              f"{dateline.text}{line.text[:8]}", first_line))
            paragraph = Line(dateline.text + line.text, dateline.source_lines + line.source_lines,
                             None, 0, "body")
            dateline = None
        elif line.kind == "body" and line.reason == "body.list-item":
            flush()  # one item, one paragraph: a list line neither joins nor is joined
            paragraph = line
            flush()
        elif line.kind == "body":
            if paragraph is not None and (
                not ends_terminal(paragraph.text) or starts_continuation(line.text)
            ):
                tail, head = paragraph.text[-1], line.text[0]
                # A doubled character at the break (优势”指|指成拳”) or a wide gap with no
                # caption in it may be a real paragraph break or damage: an archivist looks.
                doubtful = tail == head or (line.blank_before > 1 and not pending)
                joined = _glue(paragraph.text, line.text)
                edits.append(
                    Edit(
                        STEP,
                        "join.broken-line",
                        "join",
                        f"{paragraph.text[-8:]}\n{line.text[:8]}",
                        f"{paragraph.text[-8:]}{line.text[:8]}",
                        first_line,
                        doubtful,
                    )
                )
                for lifted in pending:
                    lifted_line = lifted.source_lines[0] if lifted.source_lines else None
                    edits.append(
                        Edit(
                            STEP,
                            "caption.lift" if lifted.kind == "figure" else "label.lift",
                            "lift",
                            lifted.text,
                            f"{lifted.kind} after the paragraph",
                            lifted_line,
                        )
                    )
                paragraph = Line(
                    joined, paragraph.source_lines + line.source_lines, None, 0, "body"
                )
            else:
                flush()
                paragraph = line
        elif line.kind == "credit":
            _attach_credit(line, blocks, pending, edits)
        elif line.kind == "figure":
            edits.append(Edit(STEP, line.reason, "classify", line.text, "figure", first_line))
            if open_sentence():
                pending.append(line)
            else:
                flush()
                blocks.append(Block("figure", line.text, line.source_lines, line.credit))
        elif line.kind == "label" and line.reason == "label.stacked" and open_sentence():
            edits.append(Edit(STEP, line.reason, "classify", line.text, "label", first_line))
            pending.append(line)  # a sidebar label set inside a sentence: lifted after it
        else:  # heading | label | line
            if open_sentence():
                assert paragraph is not None
                edits.append(
                    Edit(
                        STEP,
                        "paragraph.unterminated",
                        "flag",
                        paragraph.text[-12:],
                        "paragraph ends without closing punctuation",
                        paragraph.source_lines[-1],
                        True,
                    )
                )
            flush()
            # The printed form (with its ">>>" marker) is what the edit records as affected.
            edits.append(Edit(STEP, line.reason, "classify", line.original or line.text,
                              line.kind, first_line))
            blocks.append(Block(line.kind, line.text, line.source_lines))  # type: ignore[arg-type]
        index += 1
    flush()
    if dateline is not None:
        blocks.append(Block("paragraph", dateline.text, dateline.source_lines))
    return article.evolve(blocks=blocks, edits=edits)


def _attach_credit(line: Line, blocks: list[Block], pending: list[Line],
                   edits: list[Edit]) -> None:
    """A photographer line credits the captions just before it that have no credit yet
    (a caption block prints one photographer under several captions)."""
    who = _photographer(line.text)
    first_line = line.source_lines[0] if line.source_lines else None
    targets = [ln for ln in pending if ln.kind == "figure"]
    if targets:
        for figure in reversed(targets):
            if figure.credit:
                break
            figure.credit = who
    else:
        credited = False
        for at in range(len(blocks) - 1, -1, -1):
            block = blocks[at]
            if block.kind != "figure" or block.credit:
                break
            blocks[at] = replace(block, credit=who)
            credited = True
        if not credited:
            blocks.append(Block("figure", "", line.source_lines, who))
    edits.append(Edit(STEP, line.reason, "lift", line.text, f"photographer={who}", first_line))
