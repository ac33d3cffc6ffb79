"""The one document model every reader produces and every writer consumes.

An :class:`Article` is metadata + a list of typed :class:`Block` s + a provenance log.
Normalisation steps are pure functions ``Article -> Article`` (or ``-> list[Article]`` for
the page splitter); they never mutate their input, they return ``article.evolve(...)``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Literal

BlockKind = Literal["line", "heading", "paragraph", "figure", "label"]
"""``line``: an unclassified source line (only before segmentation);
``heading``: a section heading inside the article;
``paragraph``: body text;
``figure``: a photo, ``text`` is its printed caption, ``credit`` its photographer;
``label``: a sidebar/series label such as "链接》" or "讲故事 说变化>>>"."""

FieldSource = Literal["text", "sidecar", "derived", "chrome", "default"]


@dataclass(frozen=True)
class Block:
    kind: BlockKind
    text: str
    # 1-based line numbers in the decoded source file that this block came from.
    source_lines: tuple[int, ...] = ()
    credit: str | None = None  # figure: photographer (from "摄/汪新")


@dataclass(frozen=True)
class Edit:
    """One provenance entry: what a step changed, by which rule, and where."""

    step: str  # module name of the step, e.g. "chrome"
    rule: str  # rule id from the data file, e.g. "nav.prev-next"
    action: str  # remove | join | lift | convert | replace | metadata | split | classify | flag
    text: str = ""  # the text removed/affected (original form)
    result: str = ""  # what it became, where relevant
    line: int | None = None  # 1-based source line, where known
    doubtful: bool = False  # an archivist should look at this one


@dataclass(frozen=True)
class Credit:
    name: str
    role: str  # author | editor | photographer | photo-credit | ...
    label: str = ""  # the printed label, e.g. "责任编辑", "编审", "责编"


@dataclass(frozen=True)
class Metadata:
    title: str | None = None
    title_supplied: bool = False  # True when derived from the opening, not printed
    subtitle: str | None = None  # kicker / sub-headline
    authors: tuple[str, ...] = ()
    author_affiliation: str | None = None  # "(作者系…)"
    credits: tuple[Credit, ...] = ()  # editors, photographers, photo credits
    newspaper: str | None = None
    edition: str | None = None  # "第015版"
    page: str | None = None  # "15"
    section: str | None = None  # "奋进新时代·新发展理念在重庆"
    date: str | None = None  # ISO 8601 YYYY-MM-DD
    url: str | None = None
    licence: str | None = None
    publisher: str | None = None
    language: str = "zh-Hans"  # BCP 47 of the normalised text
    source_script: str | None = None  # zh-Hans | zh-Hant | mixed | none
    source_file: str = ""
    source_sha256: str = ""
    source_encoding: str = ""
    article_index: int = 1  # position on a multi-article page (1-based)
    article_count: int = 1
    # where each field came from (text | sidecar | derived | chrome | default)
    field_sources: tuple[tuple[str, str], ...] = ()

    def with_field(self, name: str, value: object, source: FieldSource) -> Metadata:
        sources = dict(self.field_sources)
        sources[name] = source
        return replace(self, **{name: value}, field_sources=tuple(sorted(sources.items())))

    def source_of(self, name: str) -> str | None:
        return dict(self.field_sources).get(name)

    def people(self, role: str) -> tuple[str, ...]:
        return tuple(c.name for c in self.credits if c.role == role)


@dataclass(frozen=True)
class Article:
    metadata: Metadata
    blocks: tuple[Block, ...]
    provenance: tuple[Edit, ...] = ()
    source_text: str = ""  # the decoded source, before any normalisation

    def evolve(
        self,
        *,
        metadata: Metadata | None = None,
        blocks: tuple[Block, ...] | list[Block] | None = None,
        edits: tuple[Edit, ...] | list[Edit] = (),
    ) -> Article:
        """A copy with new metadata/blocks and ``edits`` appended to the provenance."""
        return Article(
            metadata=self.metadata if metadata is None else metadata,
            blocks=self.blocks if blocks is None else tuple(blocks),
            provenance=self.provenance + tuple(edits),
            source_text=self.source_text,
        )

    def text_blocks(self) -> list[Block]:
        return [b for b in self.blocks if b.text]

    def plain_text(self) -> str:
        """The normalised article as text: title, subtitle, then blocks in reading order."""
        parts = [p for p in (self.metadata.subtitle, self.metadata.title) if p]
        parts += [b.text for b in self.blocks if b.text]
        return "\n".join(parts)

    def edit_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for e in self.provenance:
            counts[e.step] = counts.get(e.step, 0) + 1
        return counts

    def to_dict(self) -> dict[str, object]:
        return asdict(self)
