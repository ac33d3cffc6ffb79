"""Review before deposit: self-contained HTML pages showing every edit the normaliser made.

An index page lists every article, flagged ones first, each linked to the page of its input
(``review.html`` and ``review-pages/00001-stem.html``…): one page per input keeps each page
small enough for a browser to open at once, and lets a batch of any size be reviewed with
flat memory.

For each article the decoded source sits beside the normalised blocks, aligned by source line
(``Block.source_lines`` / ``Edit.line``). Removed and moved lines stay in place, struck or
marked; edits inside kept text (OpenCC, punctuation, joins) are marked character by character
on the normalised side. The pages need no network and no JavaScript: tooltips are ``title``
attributes, fonts come from the system, the CSS is inline, links are relative.
"""

from __future__ import annotations

import bisect
import contextlib
import difflib
import itertools
import operator
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from newsarchive import __version__
from newsarchive.errors import InputError, NewsarchiveError
from newsarchive.model import Article, Block, Credit, Edit
from newsarchive.normalize.pinyin import GLOSS
from newsarchive.options import Options

# kind -> (legend label, explanation). Order is the order of the legend and the counts.
KINDS: dict[str, tuple[str, str]] = {
    "chrome": ("chrome removed", "page furniture struck out; the rule id says which rule"),
    "credit": ("credit → metadata", "byline, editor or photo credit moved into the metadata"),
    "title": ("title → metadata", "printed title, kicker or subtitle moved into the metadata"),
    "join": ("lines joined", "a sentence broken across lines joined here (↩)"),
    "lift": ("caption lifted", "a caption cutting a sentence moved after its paragraph"),
    "opencc": ("OpenCC converted", "character converted; the original is in the tooltip"),
    "punct": ("punctuation", "half-width mark made full-width; the original in the tooltip"),
    "pinyin": ("pinyin gloss removed", "a tone-marked pinyin gloss after a character"),
    "chars": ("characters / spaces", "invisible or odd characters and spacing cleaned"),
    "classify": ("block classified", "a line typed as heading, figure caption or label"),
    "split": ("page split", "one page holding several stories cut into articles"),
    "sidecar": ("sidecar metadata", "a field set from the --metadata file"),
    "info": ("detection", "script detection and summaries"),
    "doubtful": ("check this", "the normaliser was not sure: an archivist should look"),
}
JOIN_MARK = "↩"


def edit_kind(edit: Edit) -> str:
    """The legend kind of one provenance entry."""
    if edit.step == "chrome":
        return "chrome"
    if edit.step == "credits":
        return "credit"
    if edit.step == "title":
        return "title"
    if edit.action == "join":
        return "join"
    if edit.action == "lift":
        return "lift"
    if edit.step == "script":
        return "opencc" if edit.action == "convert" else "info"
    simple = {"punctuation": "punct", "pinyin": "pinyin", "characters": "chars"}
    if edit.step in simple:
        return simple[edit.step]
    if edit.action == "classify":
        return "classify"
    if edit.step in ("split", "sidecar"):
        return edit.step
    return "doubtful" if edit.action == "flag" else "info"


# ---------------------------------------------------------------- view model


@dataclass
class Seg:
    """A run of text sharing one set of marks; ``join`` segs are a join mark between chars."""

    text: str
    cls: str = ""
    title: str = ""
    join: bool = False
    was: str = ""  # the original of a converted character, printed where tooltips cannot be


@dataclass
class Note:
    kind: str
    label: str
    title: str = ""
    doubtful: bool = False


@dataclass
class SourceLine:
    number: int
    segs: list[Seg]
    cls: str = ""  # "" kept | blank | chrome | credit | title | lost (removed, no edit says why)
    notes: list[Note] = field(default_factory=list)
    effect: list[Note] = field(default_factory=list)  # where a removed line went


@dataclass
class BlockView:
    kind: str
    segs: list[Seg]
    notes: list[Note] = field(default_factory=list)
    doubtful: bool = False
    credit: str | None = None


@dataclass
class Row:
    id: str
    lines: list[SourceLine]
    blocks: list[BlockView]
    blank_run: int = 0  # a collapsed run of blank lines
    doubtful: bool = False
    blank: bool = False  # one blank line: drawn compact

    @property
    def span(self) -> str:
        if not self.lines:
            return ""
        first, last = self.lines[0].number, self.lines[-1].number
        return f"L{first}" if first == last else f"L{first}–{last}"


@dataclass
class Flag:
    row: str  # anchor of the row
    line: int | None
    rule: str
    text: str


@dataclass
class ArticleView:
    anchor: str
    source_file: str
    index: int
    count: int
    title: str
    title_supplied: bool
    metadata: list[tuple[str, str, str, str]]  # field, value, source, lines
    rows: list[Row]
    counts: dict[str, int]
    flags: list[Flag]
    notes: list[Note]  # edits without a line: detection, summaries, sidecar
    line_range: str


@dataclass
class Failure:
    path: str
    error: str


# ---------------------------------------------------------------- text helpers


def _visible(ch: str) -> str | None:
    """A visible stand-in for a character HTML cannot carry or a reader cannot see."""
    category = unicodedata.category(ch)
    if ch == "\t":
        return None
    if category in ("Cc", "Cf", "Cs", "Co", "Cn") or (ord(ch) & 0xFFFE) == 0xFFFE:
        return f"⟨U+{ord(ch):04X}⟩"
    return None


def _odd_space(ch: str) -> bool:
    return ch != " " and unicodedata.category(ch) == "Zs"


Mark = tuple[str, str, str]  # (css class, tooltip, original text)


def _segments(
    text: str, marks: dict[int, list[Mark]], joins: dict[int, list[Mark]] | None = None
) -> list[Seg]:
    """Cut ``text`` into runs of equal marks; join marks go before the char they precede.

    Only marked positions are looked at one by one: a stretch between them that is all
    printable (no control, format or odd space character) is one plain run.
    """
    if not marks and not joins and text.isprintable():  # most source lines
        return [Seg(text)] if text else []
    joins = joins or {}
    segs: list[Seg] = []

    def add(piece: str, cls: str, title: str, was: str) -> None:
        if (
            segs
            and not segs[-1].join
            and (segs[-1].cls, segs[-1].title, segs[-1].was) == (cls, title, was)
        ):
            segs[-1].text += piece
        else:
            segs.append(Seg(piece, cls, title, was=was))

    def char(i: int) -> None:
        ch = text[i]
        own = marks.get(i, [])
        if len(own) == 1 and ch.isprintable():
            # One mark on a printable character (most marks): its own fields as they are.
            # isprintable() is false for every character _visible or _odd_space shows.
            add(ch, *own[0])
            return
        cls = " ".join(dict.fromkeys(c for c, _, _ in own))
        title = "; ".join(dict.fromkeys(t for _, t, _ in own if t))
        was = "".join(dict.fromkeys(w for _, _, w in own if w))
        shown = _visible(ch)
        if shown:
            cls, title = (cls + " chars").strip(), title or f"U+{ord(ch):04X} {_name(ch)}"
        elif _odd_space(ch):
            cls = (cls + " chars").strip()
            title = title or f"U+{ord(ch):04X} {_name(ch)} (became a plain space)"
        add(shown or ch, cls, title, was)

    def plain(start: int, end: int) -> None:
        run = text[start:end]
        if run.isprintable():  # false for every character _visible or _odd_space shows
            if run:
                add(run, "", "", "")
        else:
            for i in range(start, end):
                char(i)

    pos = 0
    for stop in sorted({i for i in (*marks, *joins) if 0 <= i <= len(text)}):
        plain(pos, stop)
        for cls, title, _ in joins.get(stop, ()):
            segs.append(Seg(JOIN_MARK, cls, title, join=True))
        if stop < len(text):
            char(stop)
        pos = stop + 1
    plain(pos, len(text))
    return segs


def _name(ch: str) -> str:
    return unicodedata.name(ch, "unnamed").lower()


@cache  # a few thousand distinct characters, each looked up again on every line
def _fold(ch: str) -> str:
    """Full-width and half-width forms compare equal (the punctuation step swaps them)."""
    folded = unicodedata.normalize("NFKC", ch)
    return folded if len(folded) == 1 else ch


class _FoldTable(dict[int, str | None]):
    """``str.translate`` table: a space goes, any other character becomes its fold. Filled
    as characters come (``translate`` looks each one up): one C pass per text."""

    def __missing__(self, code: int) -> str | None:
        ch = chr(code)
        value = None if ch.isspace() else _fold(ch)
        self[code] = value
        return value


_FOLD_TABLE = _FoldTable()


def _folded(text: str) -> tuple[str, list[int]]:
    """``text`` folded and without spaces, with the index in ``text`` of each folded char."""
    folded = text.translate(_FOLD_TABLE)
    if len(folded) == len(text):  # no space: every character kept its place
        return folded, list(range(len(text)))
    return folded, [i for i, ch in enumerate(text) if not ch.isspace()]


def _find(needle: str, haystack: str, start: int = 0) -> int:
    """Index in ``haystack`` where ``needle`` starts, ignoring width and spaces; -1 if absent."""
    hay, index = _folded(haystack)
    pin, _ = _folded(needle)
    if not pin:
        return -1
    found = hay.find(pin, bisect.bisect_left(index, start))
    return index[found] if found >= 0 else -1


def _index_map(before: str, after: str, rule: str) -> tuple[list[int], dict[int, list[Mark]]]:
    """Map each index of ``before`` into ``after``; mark what changed in ``after``."""
    marks: dict[int, list[Mark]] = {}
    if len(before) == len(after):
        # Marks swapped one for one (the usual case): the change is where the chars differ.
        for k in itertools.compress(itertools.count(), map(operator.ne, before, after)):
            was = before[k]
            marks[k] = [("punct", f"{rule}: was “{was}”", was)]
        return list(range(len(before) + 1)), marks
    mapping = [0] * (len(before) + 1)
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal" or (op == "replace" and i2 - i1 == j2 - j1):
            for k in range(i2 - i1):
                mapping[i1 + k] = j1 + k
        else:
            for k in range(i1, i2):
                mapping[k] = min(j1, max(len(after) - 1, 0))
        if op == "replace":
            for k in range(j1, j2):
                was = before[i1 + k - j1] if i2 - i1 == j2 - j1 else before[i1:i2]
                marks.setdefault(k, []).append(("punct", f"{rule}: was “{was}”", was))
        elif op == "insert":
            for k in range(j1, j2):
                marks.setdefault(k, []).append(("punct", f"{rule}: added", ""))
        elif op == "delete" and after:
            gone = before[i1:i2].replace(" ", "␣")
            at = min(j1, len(after) - 1)
            marks.setdefault(at, []).append(("punct", f"{rule}: removed “{gone}” here", ""))
    mapping[len(before)] = len(after)
    return mapping, marks


# ---------------------------------------------------------------- one article


def _story_ranges(articles: Sequence[Article]) -> list[tuple[int, int]]:
    """Source line range of each story of one input: a page split shares one source."""
    total = max(1, len(articles[0].source_text.split("\n"))) if articles[0].source_text else 0
    starts: list[int] = []
    for number, article in enumerate(articles):
        # The split step records where each story starts; its title has left the blocks.
        split = next((e.line for e in article.provenance if e.step == "split" and e.line), None)
        lines = [n for b in article.blocks for n in b.source_lines]
        start = split or (min(lines) if lines else 1)
        starts.append(1 if number == 0 else start)
    ends = [s - 1 for s in starts[1:]] + [total]
    return list(zip(starts, ends, strict=True))


def _in(line: int | None, first: int, last: int) -> bool:
    return line is not None and first <= line <= last


def _describe(edit: Edit) -> str:
    where = f"L{edit.line} " if edit.line else ""
    change = edit.text.replace("\n", "⏎")
    if edit.result:
        change = f"{change} → {edit.result}" if change else edit.result
    return f"{where}{edit.step}/{edit.rule} ({edit.action}): {change}"


def _block_view(block: Block, edits: list[Edit], row_id: str, flags: list[Flag]) -> BlockView:
    text = block.text
    first = block.source_lines[0] if block.source_lines else None
    lines = set(block.source_lines)
    # The punctuation step is the last to touch block text: its "before" is the text every
    # earlier position refers to, its "after" is what the block holds now.
    punct = next(
        (e for e in edits if e.step == "punctuation" and e.line == first and e.result == text),
        None,
    )
    before = punct.text if punct else text
    if punct:
        mapping, marks = _index_map(before, text, punct.rule)
    else:
        mapping, marks = list(range(len(text) + 1)), {}
    joins: dict[int, list[Mark]] = {}
    view = BlockView(block.kind, [], credit=block.credit)
    for edit in edits:
        if edit.line not in lines or edit is punct:
            continue
        kind = edit_kind(edit)
        if kind == "opencc":
            _mark_opencc(edit, before, mapping, marks)
        elif kind == "join":
            tail, _, head = edit.text.partition("\n")
            at = _find(tail + head, before)
            if at >= 0:
                # The join point lies after the tail's last char (spaces are not in the fold).
                folded_tail = len(_folded(tail)[0])
                _, index = _folded(before[at:])
                point = at + index[folded_tail] if folded_tail < len(index) else len(before)
                cls = "join doubtful" if edit.doubtful else "join"
                tip = _describe(edit) + (" — CHECK: doubtful join" if edit.doubtful else "")
                joins.setdefault(mapping[point], []).append((cls, tip, ""))
            else:
                view.notes.append(Note("join", edit.rule, _describe(edit), edit.doubtful))
        elif kind == "lift" and block.kind == "figure" and edit.line == first:
            view.notes.append(Note("lift", "lifted: " + edit.result, _describe(edit)))
        elif kind == "classify" and edit.line == first and edit.result == block.kind:
            if block.kind != "paragraph":
                view.notes.append(Note("classify", edit.rule, _describe(edit)))
        elif (
            kind == "doubtful" and block.kind == "paragraph" and edit.line == block.source_lines[-1]
        ):
            view.notes.append(Note("doubtful", edit.rule, _describe(edit), True))
        if edit.doubtful and kind in ("join", "doubtful"):
            view.doubtful = True
            flags.append(Flag(row_id, edit.line, edit.rule, edit.text.replace("\n", "⏎")))
    view.segs = _segments(text, marks, joins)
    return view


def _mark_opencc(edit: Edit, before: str, mapping: list[int], marks: dict[int, list[Mark]]) -> None:
    """Mark each character OpenCC changed in this line, with the original as tooltip."""
    original, converted = edit.text, edit.result
    # The line may have lost a trailing credit since: anchor on its opening.
    at = before.find(converted)
    if at < 0:
        at = before.find(converted[:12])
    if at < 0:
        return
    for k, was in _replaced(original, converted):
        position = at + k
        if position >= len(before) or before[position] != converted[k]:
            continue
        tip = f"{edit.rule}: original “{was}”"
        marks.setdefault(mapping[position], []).append(("opencc", tip, was))


def _replaced(original: str, converted: str) -> Iterator[tuple[int, str]]:
    """(index in ``converted``, its original) of every character a conversion replaced.

    OpenCC's t2s/s2t keep the length almost always: then the changes are where the
    characters differ, found by one comparison instead of a SequenceMatcher (quadratic
    in the worst case, and a fifth of a review's own time)."""
    if len(original) == len(converted):
        for k in itertools.compress(itertools.count(), map(operator.ne, original, converted)):
            yield k, original[k]
        return
    matcher = difflib.SequenceMatcher(None, original, converted, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op != "replace":
            continue
        for k in range(j1, j2):
            yield k, (original[i1 + k - j1] if i2 - i1 == j2 - j1 else original[i1:i2])


def _source_line(number: int, raw: str, edits: list[Edit], covered: bool) -> SourceLine:
    marks: dict[int, list[Mark]] = {}
    notes: list[Note] = []
    effect: list[Note] = []
    cls = "" if covered else ("blank" if not raw.strip() else "lost")
    for edit in edits:
        kind = edit_kind(edit)
        tip = _describe(edit)
        if kind == "pinyin":
            for found in GLOSS.finditer(raw):
                for k in range(found.start(), found.end()):
                    marks.setdefault(k, []).append(("pinyin", "pinyin gloss removed", ""))
            notes.append(Note("pinyin", f"{edit.rule} ×{edit.result.split()[0]}", tip))
        elif kind in ("chrome", "credit", "title"):
            whole = not covered
            if not whole and (span := _locate(edit.text, raw)):
                for k in range(*span):
                    marks.setdefault(k, []).append((kind, tip, ""))
            if whole:
                cls = kind
            notes.append(Note(kind, edit.rule, tip))
            effect.append(Note(kind, "→ " + (edit.result or "removed"), tip))
        elif kind == "chars":
            notes.append(Note("chars", edit.rule, tip))
        elif kind == "opencc":
            notes.append(Note("opencc", edit.rule, tip))
        elif kind == "join":
            label = f"{JOIN_MARK} joined to the line above"
            notes.append(Note("join", label, tip, edit.doubtful))
        elif kind == "lift":
            notes.append(Note("lift", "↓ caption lifted after the paragraph", tip))
        elif kind == "split":
            notes.append(Note("split", edit.result, tip))
        elif kind == "doubtful":
            notes.append(Note("doubtful", edit.rule, tip, True))
    if cls == "lost":
        effect.append(Note("doubtful", "removed: no edit explains it", "", True))
    return SourceLine(number, _segments(raw, marks), cls, notes, effect)


def _locate(text: str, raw: str) -> tuple[int, int] | None:
    """Where a removed piece (a trailing credit) sits in the raw source line.

    The edit holds the piece as later steps saw it: without pinyin glosses, converted by
    OpenCC (t2s keeps the length), with unified widths; the raw line is searched in that form.
    """
    needle, _ = _folded(text)
    if not needle:
        return None
    from newsarchive.normalize.script import converter

    kept = [True] * len(raw)
    for found in GLOSS.finditer(raw):
        kept[found.start() : found.end()] = [False] * (found.end() - found.start())
    simplified = converter("t2s").convert(raw)
    for form in (raw, simplified if len(simplified) == len(raw) else raw):
        chars: list[str] = []
        index: list[int] = []
        for i, ch in enumerate(form):
            if kept[i] and not ch.isspace():
                chars.append(_fold(ch))
                index.append(i)
        at = "".join(chars).find(needle)
        if at >= 0:
            return index[at], index[at + len(needle) - 1] + 1
    return None


_FIELD_FROM_RESULT = {
    "author": "authors",
    "editor": "credits",
    "photographer": "credits",
    "photo-credit": "credits",
    "affiliation": "author_affiliation",
}


def _field_lines(edits: Iterable[Edit]) -> dict[str, list[int]]:
    """Which source lines each metadata field was taken from."""
    found: dict[str, list[int]] = {}
    for edit in edits:
        if edit.action != "metadata" or edit.line is None:
            continue
        names: list[str] = []
        if edit.step == "title":
            names = [edit.result] if edit.result in ("title", "subtitle") else ["title"]
        for part in edit.result.split(", "):
            key = part.split("=", 1)[0]
            if "=" in part:
                names.append(_FIELD_FROM_RESULT.get(key, key))
        for name in names:
            found.setdefault(name, [])
            if edit.line not in found[name]:
                found[name].append(edit.line)
    return found


def _metadata_rows(article: Article, edits: list[Edit]) -> list[tuple[str, str, str, str]]:
    md = article.metadata
    lines = _field_lines(edits)
    rows: list[tuple[str, str, str, str]] = []
    for item in fields(md):
        name = item.name
        if name in ("field_sources", "article_index", "article_count"):
            continue
        value = getattr(md, name)
        if value in (None, "", ()) or (name == "title_supplied" and not value):
            continue
        if name == "credits":
            shown = "\n".join(_credit(c) for c in value)
        elif isinstance(value, tuple):
            shown = "、".join(str(v) for v in value)
        else:
            shown = str(value)
        source = md.source_of(name) or (
            "reader" if name.startswith("source_") and name != "source_script" else "default"
        )
        where = ", ".join(f"L{n}" for n in lines.get(name, []))
        rows.append((name, shown, source, where))
    return rows


def _credit(credit: Credit) -> str:
    label = f" ({credit.label})" if credit.label else ""
    return f"{credit.role}: {credit.name}{label}"


def _anchor(number: int, article: Article) -> str:
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(article.metadata.source_file or "input").stem)
    return f"a{number}-{stem}-{article.metadata.article_index}"


def article_view(
    article: Article, number: int = 1, line_range: tuple[int, int] | None = None
) -> ArticleView:
    """Everything the template shows for one article."""
    anchor = _anchor(number, article)
    raw_lines = article.source_text.split("\n") if article.source_text else []
    first, last = line_range or (1, len(raw_lines))
    story = article.metadata.article_count > 1
    # A split page's stories share the page-level edits: keep those of this story's lines.
    edits = [
        e for e in article.provenance if e.line is None or _in(e.line, first, last) or not story
    ]
    by_line: dict[int, list[Edit]] = {}
    for edit in edits:
        if edit.line is not None:
            by_line.setdefault(edit.line, []).append(edit)
    flags: list[Flag] = []
    blocks = [b for b in article.blocks if b.text]
    covered = {n for b in blocks for n in b.source_lines}

    # Blocks whose line ranges overlap (a joined paragraph and the caption lifted out of it)
    # share one row, so each block sits beside every source line it came from.
    groups: list[tuple[int, int, list[int]]] = []
    loose: list[int] = []
    spans = sorted(
        (min(b.source_lines), max(b.source_lines), i)
        for i, b in enumerate(blocks)
        if b.source_lines
    )
    loose = [i for i, b in enumerate(blocks) if not b.source_lines]
    for start, end, i in spans:
        if groups and start <= groups[-1][1]:
            g_start, g_end, members = groups[-1]
            groups[-1] = (g_start, max(g_end, end), [*members, i])
        else:
            groups.append((start, end, [i]))
    group_at = {g[0]: g for g in groups}

    rows: list[Row] = []

    def line_view(n: int) -> SourceLine:
        raw = raw_lines[n - 1] if 0 < n <= len(raw_lines) else ""
        return _source_line(n, raw, by_line.get(n, []), n in covered)

    n = first
    while n <= last:
        row_id = f"{anchor}-L{n}"
        if n in group_at:
            _, end, members = group_at[n]
            views = [
                _block_view(blocks[i], by_line_edits(blocks[i], by_line), row_id, flags)
                for i in sorted(members)
            ]
            src = [line_view(k) for k in range(n, end + 1)]
            rows.append(Row(row_id, src, views, doubtful=any(v.doubtful for v in views)))
            n = end + 1
            continue
        view = line_view(n)
        if view.cls == "blank" and not view.notes:
            # Runs of blank lines collapse into one row, so the page stays readable.
            run = n
            while run + 1 <= last and run + 1 not in group_at:
                nxt = line_view(run + 1)
                if nxt.cls != "blank" or nxt.notes:
                    break
                run += 1
            if run > n:
                rows.append(Row(row_id, [view, line_view(run)], [], blank_run=run - n + 1))
                n = run + 1
                continue
        doubtful = any(note.doubtful for note in view.notes + view.effect)
        if doubtful:
            for edit in by_line.get(n, []):
                if edit.doubtful:
                    flags.append(Flag(row_id, n, edit.rule, edit.text.replace("\n", "⏎")))
            if view.cls == "lost":
                flags.append(Flag(row_id, n, "unexplained", "removed without an edit"))
        rows.append(Row(row_id, [view], [], doubtful=doubtful, blank=view.cls == "blank"))
        n += 1
    # Blocks whose lines are not in the source shown (a TEI input has no source text) still
    # appear, without a left side: the page must never hide a block.
    for start, _, members in groups:
        if not first <= start <= last:
            row_id = f"{anchor}-L{start}"
            views = [
                _block_view(blocks[i], by_line_edits(blocks[i], by_line), row_id, flags)
                for i in sorted(members)
            ]
            rows.append(Row(row_id, [], views, doubtful=any(v.doubtful for v in views)))
    for i in loose:  # blocks without source lines
        row_id = f"{anchor}-b{i}"
        rows.append(Row(row_id, [], [_block_view(blocks[i], [], row_id, flags)]))

    counts: dict[str, int] = dict.fromkeys(KINDS, 0)
    for edit in edits:
        counts[edit_kind(edit)] += 1
    counts["doubtful"] = sum(1 for e in edits if e.doubtful) + sum(
        1 for f in flags if f.rule == "unexplained"
    )
    md = article.metadata
    notes = [
        Note(edit_kind(e), f"{e.step}/{e.rule}", _describe(e)) for e in edits if e.line is None
    ]
    return ArticleView(
        anchor=anchor,
        source_file=md.source_file,
        index=md.article_index,
        count=md.article_count,
        title=md.title or "(untitled)",
        title_supplied=md.title_supplied,
        metadata=_metadata_rows(article, edits),
        rows=rows,
        counts={k: v for k, v in counts.items() if v},
        flags=flags,
        notes=notes,
        line_range=f"lines {first}–{last}" if raw_lines else "no source text",
    )


def by_line_edits(block: Block, by_line: dict[int, list[Edit]]) -> list[Edit]:
    seen: list[Edit] = []
    for n in block.source_lines:
        seen.extend(e for e in by_line.get(n, []) if e not in seen)
    return seen


# ---------------------------------------------------------------- the page


def _esc(text: str) -> str:
    """markupsafe's ``escape`` of a plain string (the same five entities), without its
    per-call wrapping: the page escapes several fields of every marked character."""
    return (
        text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
        .replace("'", "&#39;").replace('"', "&#34;")
    )  # fmt: skip


def segs_html(items: Iterable[Seg]) -> Markup:
    """Runs of marked text as HTML, every value escaped as the template's autoescape does.

    Built here rather than by a Jinja macro: a macro call per source line and per block,
    with an attribute look-up and an escape per field, was most of a page's rendering."""
    # A class is made of our own kind names (letters and spaces): nothing to escape.
    parts: list[str] = []
    for s in items:
        if s.join:
            tip = _esc(s.title)
            parts.append(f'<span class="{s.cls} jm" title="{tip}">{_esc(s.text)}</span>')
        elif s.cls:
            title = f' title="{_esc(s.title)}"' if s.title else ""
            was = f' data-was="{_esc(s.was)}"' if s.was else ""
            parts.append(f'<span class="{s.cls}"{title}{was}>{_esc(s.text)}</span>')
        else:
            parts.append(_esc(s.text))
    return Markup("".join(parts))


def note_html(n: Note) -> Markup:
    """One note's badge as HTML (see :func:`segs_html` for why not a macro)."""
    return Markup(_note_str(n))


def _note_str(n: Note) -> str:
    flag = " doubtful" if n.doubtful else ""
    title = f' title="{_esc(n.title)}"' if n.title else ""
    mark = "⚑ " if n.doubtful else ""
    return f'<span class="badge {_esc(n.kind)}{flag}"{title}>{mark}{_esc(n.label)}</span>'


def rows_html(rows: Iterable[Row]) -> Markup:
    """The rows of an article's alignment table, as the template's row loop wrote them.

    The bulk of a page (every source line and block) built in one pass: the loop in Jinja,
    with an attribute look-up, a test and an escape per field and a call per line for the
    runs and badges, was most of a page's rendering time."""
    out: list[str] = []
    add = out.append
    for r in rows:
        rid, span = _esc(r.id), _esc(r.span)
        if r.blank_run:
            add(
                f'<tr id="{rid}" class="blank-run"><td class="ln">{span}</td>'
                f'<td class="src" colspan="2">{r.blank_run} blank lines</td></tr>\n'
            )
            continue
        cls = ' class="doubtful-row"' if r.doubtful else ' class="blank-row"' if r.blank else ""
        add(f'<tr id="{rid}"{cls}>\n<td class="ln">{span}</td>\n<td class="src">\n')
        several = len(r.lines) > 1
        for ln in r.lines:
            number = f'<span class="n">{ln.number}</span>' if several else ""
            badges = "".join(" " + _note_str(n) for n in ln.notes)
            add(
                f'<div class="line {_esc(ln.cls)}" data-line="{ln.number}">{number}'
                f'<span class="t">{segs_html(ln.segs)}</span>{badges}</div>\n'
            )
        add('</td>\n<td class="out">\n')
        if r.blocks:
            for b in r.blocks:
                kind = _esc(b.kind)
                flag = " doubtful" if b.doubtful else ""
                fig = '<span class="fig">▣</span> ' if b.kind == "figure" else ""
                credit = (
                    ' <span class="credit-tag" title="photographer, kept with the figure">'
                    f"摄/{_esc(b.credit)}</span>"
                    if b.credit
                    else ""
                )
                badges = "".join(" " + _note_str(n) for n in b.notes)
                add(
                    f'<div class="block k-{kind}{flag}"><span class="kind">{kind}</span>{fig}'
                    f"{segs_html(b.segs)}{credit}{badges}</div>\n"
                )
        else:
            for ln in r.lines:
                for n in ln.effect:
                    add(f'<div class="effect">{_note_str(n)}</div>')
        add("</td>\n</tr>\n")
    return Markup("".join(out))


@cache
def _environment() -> Environment:
    # Autoescape everywhere: scraped text may hold "<script>" or "&".
    env = Environment(
        loader=PackageLoader("newsarchive", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(note=note_html, rows=rows_html)
    return env


def pages_dir(index: Path) -> Path:
    """The folder of the per-input pages beside the index: ``review.html`` -> ``review-pages/``."""
    return index.with_name(f"{index.stem}-pages")


_POOL_FROM = 50  # inputs: below this a worker pool's start-up costs more than it saves
_PAGE_NAME = re.compile(r"\d{5,}-[A-Za-z0-9_-]*\.html|index-\d{4,}\.html")  # ours only


def page_name(number: int, path: str) -> str:
    """The file name of input ``number``'s page: its place in the batch, then its stem."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(path).stem)[:60].strip("-")
    return f"{number:05d}-{stem}.html"


@dataclass
class Entry:
    """What the index keeps of one article: memory stays flat however many inputs there are."""

    page: str  # file name of its page, in the pages' folder
    anchor: str
    number: int  # the input's place in the batch
    title: str
    title_supplied: bool
    source_file: str
    index: int
    count: int
    flags: list[Flag]
    counts: dict[str, int]


@dataclass
class Review:
    """What ``write_review`` wrote."""

    index: Path
    pages: int = 0
    articles: int = 0
    inputs: int = 0
    failures: list[Failure] = field(default_factory=list)


@cache
def _css() -> Markup:
    env = _environment()
    assert env.loader is not None
    return Markup(env.loader.get_source(env, "review.css")[0])  # our own file: no escaping


def input_views(number: int, articles: Sequence[Article]) -> list[ArticleView]:
    """The views of one input's articles (a split page's stories share its source)."""
    if not articles:
        return []
    return [
        article_view(article, number, span if article.source_text else None)
        for article, span in zip(articles, _story_ranges(articles), strict=True)
    ]


def render_page(
    views: Sequence[ArticleView], number: int, source: str, index: str, title: str
) -> str:
    """One input's page: its articles, source beside result, linked back to the index."""
    return (
        _environment()
        .get_template("review-page.html.j2")
        .render(
            title=f"{views[0].title if views else source} · {title}",
            css=_css(),
            kinds=KINDS,
            articles=views,
            number=number,
            source=source,
            index=index,
            version=__version__,
        )
    )


# Entries per index page. Headless Chromium took 2.5 s to open one index of 1,192 rows and
# 1.5 s for 250 (1.0 s for an article page; process start included): the index is split so
# every page opens in under 2 s however large the batch.
INDEX_ENTRIES = 200


def index_page_name(number: int) -> str:
    """The file name of index page ``number`` (2 and on; page 1 is the index itself), in
    the pages' folder so a later review may remove it without touching the user's files."""
    return f"index-{number:04d}.html"


def render_index(
    entries: Sequence[Entry],
    failures: Sequence[Failure],
    inputs: int,
    title: str = "newsarchive review",
    stopped: str = "",
    *,
    index_name: str = "review.html",
    pages_name: str = "review-pages",
    per_page: int | None = None,
) -> list[str]:
    """The index, as pages of ``per_page`` entries: flagged articles first (those an
    archivist must open), then the rest in input order, each linked to its page; totals per
    kind of edit and the failures on the first page, links to every index page on each.
    Page 1 is ``index_name``; the others are :func:`index_page_name` in ``pages_name``."""
    per_page = per_page or INDEX_ENTRIES  # read here, so a test may lower it
    ordered = sorted(entries, key=lambda e: (not e.flags, e.number, e.index))
    totals: dict[str, int] = {}
    for entry in entries:
        for kind, count in entry.counts.items():
            totals[kind] = totals.get(kind, 0) + count
    flagged = sum(1 for e in entries if e.flags)
    count = max(1, -(-len(ordered) // per_page))
    template = _environment().get_template("review.html.j2")
    rendered = []
    for number in range(1, count + 1):
        first = number == 1

        def href(target: int, first: bool = first) -> str:
            if target == 1:
                return index_name if first else f"../{index_name}"
            name = index_page_name(target)
            return f"{pages_name}/{name}" if first else name

        rendered.append(
            template.render(
                title=title if first else f"{title} · {number}/{count}",
                heading=title,
                css=_css(),
                kinds=KINDS,
                entries=ordered[(number - 1) * per_page : number * per_page],
                offset=(number - 1) * per_page,
                articles=len(ordered),
                flagged=flagged,
                base=f"{pages_name}/" if first else "",
                nav=[(k, href(k)) for k in range(1, count + 1)] if count > 1 else [],
                current=number,
                failures=list(failures) if first else [],
                totals={k: totals[k] for k in KINDS if k in totals},
                version=__version__,
                inputs=inputs,
                stopped=stopped,
            )
        )
    return rendered


@dataclass(frozen=True)
class _Batch:
    """What every input of one review shares: sent to each worker once, not per input."""

    pages: str  # folder of the pages
    index: str  # href of the index from a page
    title: str
    options: Options


_batch: _Batch | None = None  # this process's, set by _start_worker (or in-process)
_Job = tuple[int, str, "bytes | None"]  # number, path, the bytes of stdin (read by the parent)
_Result = tuple[list[Entry], "Failure | None"]


def _review_one(job: _Job) -> _Result:
    """Normalise one input and write its page; only the index entries come back."""
    from newsarchive.fsio import atomic_write_bytes
    from newsarchive.pipeline import normalize_bytes, normalize_file

    assert _batch is not None
    number, path, data = job
    options = _batch.options
    try:
        if data is not None:
            articles = normalize_bytes(data, "stdin.txt", options)
        else:
            articles = normalize_file(Path(path), options)
    except NewsarchiveError as exc:
        exc.path = exc.path or path
        return [], Failure(path, str(exc))
    except (UnicodeError, ValueError, OSError) as exc:  # never a traceback for one input
        return [], Failure(path, str(InputError(f"{type(exc).__name__}: {exc}", path)))
    views = input_views(number, articles)
    if not views:
        return [], None
    name = page_name(number, path)
    html = render_page(views, number, path, _batch.index, _batch.title)
    # A file name in GBK bytes holds surrogate escapes: shown as \udcxx, never a crash.
    # Not synced one by one (~8 ms of wall time per page): write_review syncs the pages
    # once, before the index that links them is written.
    atomic_write_bytes(
        Path(_batch.pages) / name, html.encode("utf-8", "backslashreplace"), durable=False
    )
    return [
        Entry(
            name, v.anchor, number, v.title, v.title_supplied, v.source_file, v.index,
            v.count, v.flags, v.counts,
        )
        for v in views
    ], None


def _review_chunk(jobs: list[_Job]) -> list[_Result]:
    from newsarchive.batch import signals

    assert _batch is not None
    # A SIGTERM mid-page removes this worker's temporary file there (batch.signals).
    with signals.writing_into(Path(_batch.pages)):
        return [_review_one(job) for job in jobs]


def _warm_up(options: Options) -> None:
    """What every input needs, loaded once: the normaliser's modules, OpenCC, the page
    template. Done in the parent before the workers fork, they share it."""
    from newsarchive.batch.task import warm_up
    from newsarchive.pipeline import normalize_bytes

    warm_up(options, ())
    # One small normalisation: the rule modules imported, their patterns compiled.
    normalize_bytes("标题\n\n正文第一句，第二句。\n".encode(), "warm-up.txt", options)
    _environment().get_template("review-page.html.j2")


def _start_worker(batch: _Batch, parent: int, warmed: bool) -> None:
    from newsarchive.batch import signals

    global _batch
    _batch = batch
    # SIGINT and SIGHUP ignored (the parent decides), SIGTERM a clean stop, and the worker
    # ends when the parent does, even by SIGKILL: the same as convert's workers.
    signals.setup_worker(parent)
    if not warmed:  # a forked worker has the parent's warm-up; a spawned one does its own
        _warm_up(batch.options)


_CHUNK = 8  # inputs per task: ~0.2 s of work, few round trips, a prompt stop


def _pooled(jobs: list[_Job], workers: int, batch: _Batch) -> Iterator[_Result]:
    """The results of ``jobs`` in input order, from ``workers`` processes.

    Chunks of inputs go out with a bounded window (memory flat, the workers never idle
    between two of the parent's wake-ups). On Ctrl-C, SIGTERM or SIGHUP (``Stopped``) the
    chunks not started are dropped, those in hand finish (their pages are complete) and
    their results come out, then the stop is raised again; a second signal stops the
    workers at once. A worker that dies fails the inputs that were in flight."""
    import multiprocessing
    import os
    import threading
    from collections import deque
    from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    from newsarchive.batch import signals
    from newsarchive.batch.executors import _stop_workers, _workers

    # fork: the workers start at once with what the parent loaded (no imports, no
    # warm-up of their own); forkserver when the parent has threads (convert --review
    # after a dask run, say), which a forked child could deadlock on.
    methods = multiprocessing.get_all_start_methods()
    method = "forkserver" if "forkserver" in methods else "spawn"
    if threading.active_count() == 1 and "fork" in methods:
        method = "fork"
    if method == "fork":
        _warm_up(batch.options)
    else:
        signals.start_helpers(method)

    def pool() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context(method),
            initializer=_start_worker,
            initargs=(batch, os.getpid(), method == "fork"),
        )

    chunks = iter([jobs[i : i + _CHUNK] for i in range(0, len(jobs), _CHUNK)])
    window: deque[tuple[Future[list[_Result]], list[_Job]]] = deque()
    executor = pool()
    stopped: KeyboardInterrupt | None = None
    forget = signals.on_second_signal(lambda: _stop_workers(_workers(executor)))
    try:
        while True:
            while not stopped and len(window) < workers * 4:
                chunk = next(chunks, None)
                if chunk is None:
                    break
                window.append((executor.submit(_review_chunk, chunk), chunk))
            if not window:
                break
            future, chunk = window[0]
            try:
                results = future.result()
            except KeyboardInterrupt as exc:
                if stopped:
                    raise  # a second signal: on_second_signal stopped the workers
                stopped = exc
                executor.shutdown(wait=False, cancel_futures=True)
                continue
            except BrokenProcessPool:
                # A worker died (the OOM killer, a crash, a SIGTERM to it alone): its
                # inputs and every other in flight fail; a new pool takes the rest.
                # After a stop they are only not reviewed (a SIGTERM to the whole group
                # ends the workers too).
                cause = "the review worker died while this input was in flight"
                lost = [] if stopped else [path for _, chunk in window for _, path, _ in chunk]
                window.clear()
                executor.shutdown(wait=False, cancel_futures=True)
                for path in lost:
                    yield [], Failure(path, str(InputError(cause, path)))
                if stopped:
                    break
                executor = pool()
                continue
            except CancelledError:
                window.popleft()  # not started when the stop came
                continue
            window.popleft()
            yield from results
        if stopped:
            raise stopped
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        forget()


def write_review(
    paths: Iterable[str],
    index: Path,
    options: Options | None = None,
    *,
    jobs: int | None = None,
    title: str = "newsarchive review",
) -> Review:
    """Review ``paths``: one page per input in ``pages_dir(index)``, then the index page.

    Each page is written as soon as its input is normalised and only a small entry per
    article is kept, so memory does not grow with the batch. Every file is written
    atomically; pages of an earlier review that this one did not write are removed (only
    files named like ours), so the index never sits beside stale pages. ``jobs`` None:
    one process for a small batch (a worker's start-up costs more than it saves), else
    one per CPU.

    Ctrl-C, SIGTERM and SIGHUP stop it as they stop ``convert``: no new input starts, the
    ones in hand finish, an index of what was reviewed is written (saying it stopped), and
    :class:`~newsarchive.batch.signals.Stopped` is raised (exit 130, 143, 129); no worker
    stays behind and no page is left half written.
    """
    global _batch
    from newsarchive.batch import signals
    from newsarchive.fsio import atomic_write_bytes

    options = options or Options()
    pages = pages_dir(index)
    pages.mkdir(parents=True, exist_ok=True)
    batch = _Batch(str(pages), f"../{index.name}", title, options)
    jobs_list: list[_Job] = [
        (number, path, sys.stdin.buffer.read() if path == "-" else None)
        for number, path in enumerate(paths, 1)
    ]
    review = Review(index, inputs=len(jobs_list))
    entries: list[Entry] = []
    if jobs is None:
        from newsarchive.batch.executors import default_jobs

        jobs = default_jobs() if len(jobs_list) >= _POOL_FROM else 1
    workers = min(jobs, len(jobs_list))
    written: set[str] = set()
    stopped: KeyboardInterrupt | None = None
    done = 0
    with signals.stop_on_signals():
        try:
            if workers > 1:
                results: Iterable[_Result] = _pooled(jobs_list, workers, batch)
            else:
                _batch = batch
                results = (_review_chunk([job])[0] for job in jobs_list)
            for found, failure in results:
                done += 1
                if failure:
                    review.failures.append(failure)
                if found:
                    written.add(found[0].page)
                    entries.extend(found)
        except KeyboardInterrupt as exc:
            stopped = exc
        review.pages, review.articles = len(written), len(entries)
        note = ""
        if stopped is not None:
            why = str(stopped) or "interrupted"  # Stopped says its signal's name
            note = f"stopped ({why}) after {done} of {review.inputs} inputs: run it again"
        first, *more = render_index(
            entries, review.failures, review.inputs, title, stopped=note,
            index_name=index.name, pages_name=pages.name,
        )
        for number, html in enumerate(more, 2):
            name = index_page_name(number)
            atomic_write_bytes(pages / name, html.encode("utf-8", "backslashreplace"),
                               durable=False)
            written.add(name)
        # The pages of this run are synced in one pass (each was written atomically, not
        # durably): only then is the index that links them written, durably.
        _sync_pages(pages)
        for old in pages.iterdir():
            if _PAGE_NAME.fullmatch(old.name) and old.name not in written:
                old.unlink(missing_ok=True)
        atomic_write_bytes(index, first.encode("utf-8", "backslashreplace"))
    if stopped is not None:
        raise stopped
    return review


def _sync_pages(folder: Path) -> None:
    """Make the pages just written durable in one pass: ``syncfs`` of their file system
    (Linux), else one ``fsync`` per page. A page is a view that a re-run rebuilds from the
    inputs, so unlike an edition it need not be durable the moment it is renamed into
    place; but the index, which links the pages, must not outlive them after a crash."""
    import ctypes
    import os

    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        libc = ctypes.CDLL(None, use_errno=True)  # this process's own symbols: libc's
        if getattr(libc, "syncfs", None) is not None and libc.syncfs(fd) == 0:
            return
    except OSError:
        pass
    finally:
        os.close(fd)
    for page in folder.iterdir():
        if _PAGE_NAME.fullmatch(page.name):
            with contextlib.suppress(OSError), page.open("rb") as handle:
                os.fsync(handle.fileno())
