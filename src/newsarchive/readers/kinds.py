"""Which reader an input's name selects, without importing the readers (lxml.html and the
HTML reader's rules cost start-up time a text input never needs)."""

from __future__ import annotations

HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".shtml")


def is_html_name(name: str) -> bool:
    return name.lower().endswith(HTML_SUFFIXES)
