"""Plain-text writer: the normalised article, or its edit log, for the terminal."""

from __future__ import annotations

from newsarchive.model import Article


def format_text(article: Article) -> str:
    """Kicker, title, then blocks in reading order, one per paragraph.

    A supplied title is metadata, not text of the article, so it is not printed."""
    md = article.metadata
    title = None if md.title_supplied else md.title
    lines = [line for line in (md.subtitle, title) if line]
    for block in article.blocks:
        if block.kind == "figure":
            credit = f"（摄/{block.credit}）" if block.credit else ""
            lines.append(f"[图] {block.text}{credit}")
        elif block.kind == "heading":
            lines.append(f"## {block.text}")
        elif block.kind == "label":
            lines.append(f"【{block.text}】")
        else:
            lines.append(block.text)
    return "\n\n".join(lines)


def format_edits(article: Article) -> str:
    """Every provenance entry on one line: where, step/rule, action, before -> after."""
    rows = []
    for edit in article.provenance:
        where = f"L{edit.line}" if edit.line else "  -"
        flag = " [CHECK]" if edit.doubtful else ""
        before = edit.text.replace("\n", "⏎")
        after = edit.result.replace("\n", "⏎")
        change = f"{before!r} -> {after!r}" if after else repr(before)
        rows.append(f"{where:>5} {edit.step}/{edit.rule} {edit.action}: {change}{flag}")
    return "\n".join(rows)


def story_separator(index: int, count: int) -> str:
    """The line between two stories of one page in plain-text output."""
    return f"--- story {index} of {count} ---"


def format_articles(articles: list[Article]) -> str:
    """All stories of one input, set apart by a separator line when there are several."""
    parts: list[str] = []
    for number, article in enumerate(articles, 1):
        if len(articles) > 1:
            parts.append(story_separator(number, len(articles)))
        parts.append(format_text(article))
    return "\n\n".join(parts)


# Changed characters inside a changed line: reverse video on a terminal (within the red or
# green of the line), else git's --word-diff=plain marks.
_RED, _GREEN, _CYAN, _BOLD, _OFF = "\x1b[31m", "\x1b[32m", "\x1b[36m", "\x1b[1m", "\x1b[0m"
_REV, _NOREV = "\x1b[7m", "\x1b[27m"
JOIN_MARK = "⏎"  # a line break the normaliser removed (or added)


def _range(start: int, stop: int) -> str:
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start if not length else start + 1},{length}"


def _mark(text: str, sign: str, color: bool) -> str:
    """``text`` (one line's piece) as changed."""
    if not text:
        return ""
    if color:
        return f"{_REV}{text}{_NOREV}"
    return f"[-{text}-]" if sign == "-" else f"{{+{text}+}}"


def _marked_lines(pieces: list[tuple[bool, str]], sign: str, color: bool) -> list[str]:
    """Lines of one side of a changed block from (changed?, text) pieces; a changed line
    break is shown as ⏎ at the end of the line it ended."""
    lines, current = [], ""
    for changed, text in pieces:
        for n, part in enumerate(text.split("\n")):
            if n:
                if changed:
                    current += _mark(JOIN_MARK, sign, color)
                lines.append(current)
                current = ""
            current += _mark(part, sign, color) if changed else part
    lines.append(current)
    tint = _RED if sign == "-" else _GREEN
    return [f"{tint}{sign}{line}{_OFF}" if color else f"{sign}{line}" for line in lines]


def _changed_block(old: list[str], new: list[str], color: bool) -> list[str]:
    import difflib

    a, b = "\n".join(old), "\n".join(new)
    minus: list[tuple[bool, str]] = []
    plus: list[tuple[bool, str]] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            minus.append((False, a[i1:i2]))
            plus.append((False, b[j1:j2]))
        else:
            minus.append((True, a[i1:i2]))
            plus.append((True, b[j1:j2]))
    return _marked_lines(minus, "-", color) + _marked_lines(plus, "+", color)


def format_diff(
    before: str, after: str, name: str, *, color: bool = False, context: int = 3
) -> str:
    """A unified diff (``diff -u``) of the source text and the normalised text, with the
    changed characters inside changed lines marked. Empty when nothing changed."""
    import difflib

    old, new = before.splitlines(), after.splitlines()
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    groups = list(matcher.get_grouped_opcodes(context))
    if not groups:
        return ""
    head = [f"--- {name}", f"+++ {name} (normalised)"]
    out = [f"{_BOLD}{line}{_OFF}" for line in head] if color else head
    for group in groups:
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        hunk = f"@@ -{_range(i1, i2)} +{_range(j1, j2)} @@"
        out.append(f"{_CYAN}{hunk}{_OFF}" if color else hunk)
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                out += [" " + line for line in old[a1:a2]]
            elif tag == "delete":
                out += _marked_lines([(False, "\n".join(old[a1:a2]))], "-", color)
            elif tag == "insert":
                out += _marked_lines([(False, "\n".join(new[b1:b2]))], "+", color)
            else:
                out += _changed_block(old[a1:a2], new[b1:b2], color)
    return "\n".join(out)
