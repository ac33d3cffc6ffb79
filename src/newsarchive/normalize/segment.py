"""Step: lines -> typed blocks. Classify headings, captions and labels; rejoin broken lines;
lift captions that cut a sentence out of it.

Signals (measured on the seeds, written for any paper): body text has sentence
punctuation; headings and captions are short and have none; a paper sets a two-part heading
either on one line with a space ("5个支柱产业党建联盟 激活高质量发展红色引擎") or on two
adjacent lines; captions sit apart (several blank lines above, or stacked before the body),
carry a photographer, or describe an event. A body line that does not end a sentence
continues on the next body line, across blank lines and across any caption in between.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from newsarchive.model import Article, Block, Edit
from newsarchive.normalize._lines import (
    HAN,
    ends_terminal,
    has_sentence_punct,
    load_data,
)

STEP = "segment"
_INNER_SPACE = re.compile(f"[{HAN}“”\"'‘’》」』）)0-9A-Za-z][ ][{HAN}“”\"'‘’《「『（(0-9A-Za-z]")


@dataclass
class Line:
    text: str
    source_lines: tuple[int, ...]
    credit: str | None
    blank_before: int  # blank lines between this line and the previous non-empty one
    kind: str = ""  # body | heading | figure | label
    reason: str = ""
    original: str = ""  # the line as printed, where a rule cut a marker off it


@cache
def _config() -> dict[str, object]:
    return load_data("segment.toml")


def _int(name: str) -> int:
    return int(_config()[name])  # type: ignore[call-overload]


def is_body_text(text: str) -> bool:
    return has_sentence_punct(text) or len(text) > _int("heading_max_len")


def has_inner_space(text: str) -> bool:
    return bool(_INNER_SPACE.search(text))


def _has_cue(text: str) -> bool:
    return any(cue in text for cue in _config()["caption_cues"])  # type: ignore[union-attr]


def _collect(article: Article) -> list[Line]:
    lines: list[Line] = []
    blanks = 0
    for block in article.blocks:
        if not block.text:
            blanks += 1
            continue
        if block.kind != "line":  # already typed (e.g. by a TEI reader): keep as is
            lines.append(
                Line(block.text, block.source_lines, block.credit, blanks, block.kind, "typed")
            )
        else:
            lines.append(Line(block.text, block.source_lines, block.credit, blanks))
        blanks = 0
    return lines


def _label(line: Line, text: str, reason: str) -> Line:
    return Line(text, line.source_lines, None, line.blank_before, "label", reason, line.text)


def _split_labels(lines: list[Line]) -> list[Line]:
    label_line = re.compile(str(_config()["label_line"]))
    label_prefix = re.compile(str(_config()["label_prefix"]))
    result: list[Line] = []
    for line in lines:
        if line.kind:
            result.append(line)
            continue
        if found := label_prefix.match(line.text):
            result.append(_label(line, found.group("label"), "label.prefix"))
            heading = found.group("rest")
            result.append(
                Line(heading, line.source_lines, line.credit, 0, "heading", "label.prefix")
            )
        elif (found := label_line.match(line.text)) and not has_sentence_punct(line.text):
            result.append(_label(line, found.group("label"), "label.line"))
        else:
            result.append(line)
    return result


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
        if line.credit:
            line.kind, line.reason = "figure", "caption.photographer"
        elif previous is not None and previous.kind == "label":
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
        elif _has_cue(line.text):
            line.kind, line.reason = "figure", "caption.cue-word"
        else:
            line.kind, line.reason = "heading", "heading.short-line"


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


def segment(article: Article) -> Article:
    lines = _split_labels(_collect(article))
    _classify(lines)
    edits: list[Edit] = []
    blocks: list[Block] = []
    paragraph: Line | None = None
    pending: list[Line] = []  # figures lifted out of the open paragraph

    def flush() -> None:
        nonlocal paragraph
        if paragraph is not None:
            blocks.append(Block("paragraph", paragraph.text, paragraph.source_lines))
            paragraph = None
        for figure in pending:
            blocks.append(Block("figure", figure.text, figure.source_lines, figure.credit))
        pending.clear()

    index = 0
    while index < len(lines):
        line = lines[index]
        first_line = line.source_lines[0] if line.source_lines else None
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
        if line.kind == "body":
            if paragraph is not None and not ends_terminal(paragraph.text):
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
                for figure in pending:
                    figure_line = figure.source_lines[0] if figure.source_lines else None
                    edits.append(
                        Edit(
                            STEP,
                            "caption.lift",
                            "lift",
                            figure.text,
                            "figure after the paragraph",
                            figure_line,
                        )
                    )
                paragraph = Line(
                    joined, paragraph.source_lines + line.source_lines, None, 0, "body"
                )
            else:
                flush()
                paragraph = line
        elif line.kind == "figure":
            edits.append(Edit(STEP, line.reason, "classify", line.text, "figure", first_line))
            if paragraph is not None and not ends_terminal(paragraph.text):
                pending.append(line)
            else:
                flush()
                blocks.append(Block("figure", line.text, line.source_lines, line.credit))
        else:  # heading | label
            if paragraph is not None and not ends_terminal(paragraph.text):
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
            edits.append(
                Edit(
                    STEP, line.reason, "classify", line.original or line.text, line.kind, first_line
                )
            )
            blocks.append(Block(line.kind, line.text, line.source_lines))  # type: ignore[arg-type]
        index += 1
    flush()
    return article.evolve(blocks=blocks, edits=edits)
