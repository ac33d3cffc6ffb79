"""Step: fields from a sidecar metadata file (``--metadata``) add to or override the text's."""

from __future__ import annotations

from newsarchive.errors import UsageError
from newsarchive.model import Article, Edit

STEP = "sidecar"
TEXT_FIELDS = (
    "title",
    "subtitle",
    "newspaper",
    "edition",
    "page",
    "section",
    "date",
    "url",
    "licence",
    "publisher",
    "author_affiliation",
)
LIST_FIELDS = ("authors",)


def apply_sidecar(article: Article, fields: dict[str, str]) -> Article:
    metadata = article.metadata
    edits: list[Edit] = []
    for name, value in fields.items():
        if name in ("file", "path", "filename") or value in ("", None):
            continue
        if name in LIST_FIELDS:
            parsed: object = tuple(
                v.strip() for v in value.replace("；", ";").split(";") if v.strip()
            )
        elif name in TEXT_FIELDS:
            parsed = value.strip()
        else:
            raise UsageError(f"unknown metadata field {name!r} in the sidecar file")
        before = getattr(metadata, name)
        metadata = metadata.with_field(name, parsed, "sidecar")
        if name == "title":
            metadata = metadata.with_field("title_supplied", False, "sidecar")
        edits.append(Edit(STEP, f"sidecar.{name}", "metadata", str(before or ""), str(parsed)))
    return article.evolve(metadata=metadata, edits=edits)
