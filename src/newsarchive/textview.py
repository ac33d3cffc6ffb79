"""``newsarchive normalize``: the normalised text of each input, its diff against the
source, its edit log, or all of it as JSON, on stdout."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import Any, Literal

from newsarchive.config import Settings
from newsarchive.errors import NewsarchiveError, UsageError

Mode = Literal["text", "diff", "edits", "json"]


def _use_color(choice: str) -> bool:
    if choice not in ("auto", "always", "never"):
        raise UsageError(f"--color must be auto, always or never, not {choice!r}")
    if choice != "auto":
        return choice == "always"
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get(
        "TERM"
    ) != "dumb"


def article_json(article: Any) -> dict[str, Any]:
    """One article for ``--json``: metadata, blocks in reading order, provenance."""
    return {
        "metadata": dataclasses.asdict(article.metadata),
        "text": article.plain_text(),
        "blocks": [dataclasses.asdict(b) for b in article.blocks],
        "edits": [dataclasses.asdict(e) for e in article.provenance],
    }


def show_normalized(paths: list[str], settings: Settings, mode: Mode, color: str) -> int:
    """Print each input's normalisation; returns the exit code (1 some failed, 3 all)."""
    from newsarchive.batch.inputs import collect_inputs
    from newsarchive.batch.task import read_articles
    from newsarchive.readers.warc import is_warc_name
    from newsarchive.writers.text import format_articles, format_diff, format_edits

    use_color = _use_color(color)
    for note in settings.notes:
        print(note, file=sys.stderr)
    inputs, notes = collect_inputs(paths)
    for note in notes:
        print(note, file=sys.stderr)
    if not inputs:
        raise UsageError("no input files")
    failed, shown, records = 0, 0, []
    for item in inputs:
        try:
            if item.path != "-" and is_warc_name(item.path):  # every HTML record in turn
                from newsarchive.pipeline import normalize_file

                name, articles = item.path, normalize_file(Path(item.path), settings.options)
            else:
                name, articles = read_articles(item.path, settings.options)
        except NewsarchiveError as exc:
            exc.path = exc.path or item.path
            print(str(exc), file=sys.stderr)
            failed += 1
            continue
        if mode == "json":
            records.append({"input": name, "articles": [article_json(a) for a in articles]})
            continue
        if mode == "diff":
            source = articles[0].source_text if articles else ""
            body = format_diff(source, format_articles(articles), name, color=use_color)
        else:
            if len(inputs) > 1:
                print(("\n" if shown else "") + f"==> {name} <==")
            if mode == "edits":
                body = "\n\n".join(format_edits(a) for a in articles)
            else:
                body = format_articles(articles)
        if body:
            print(body)
        shown += 1
    if mode == "json":
        print(json.dumps(records, ensure_ascii=False, indent=2))
    if failed:
        return 3 if failed == len(inputs) else 1
    return 0
