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
