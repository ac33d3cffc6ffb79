"""read -> normalise -> render: the one path every command and every batch worker takes."""

from __future__ import annotations

from pathlib import Path

from newsarchive.errors import FontError, InputError, NewsarchiveError, PartialOutput
from newsarchive.fsio import read_regular
from newsarchive.model import Article
from newsarchive.options import Options, attaches_source
from newsarchive.readers.kinds import is_html_name
from newsarchive.readers.text import read_path, read_text
from newsarchive.readers.warc import is_warc_name

TEI_SUFFIXES = (".tei.xml", ".xml", ".tei")


def is_tei(name: str) -> bool:
    return name.lower().endswith(TEI_SUFFIXES)


def normalize_bytes(data: bytes, name: str, options: Options | None = None) -> list[Article]:
    """Normalise one input given as bytes (``name`` is used for messages and metadata)."""
    options = options or Options()
    if is_tei(name):
        from newsarchive.readers.tei import read_tei  # a corrected edition: already normalised

        return [read_tei(data, name, max_bytes=options.max_bytes)]
    if is_html_name(name):
        return normalize_html(data, name, options)
    return _normalize(read_text(data, name, max_bytes=options.max_bytes), name, options)


def normalize_html(
    data: bytes, name: str, options: Options, url: str | None = None,
    capture_date: str | None = None,
) -> list[Article]:
    """A saved web page (or a WARC record's payload): read, normalise, and bring the page's
    own metadata (headline, site name) into the script of the text."""
    from newsarchive.readers.html import read_html, unify_page_metadata

    article = read_html(data, name, max_bytes=options.max_bytes, url=url,
                        capture_date=capture_date)
    return [unify_page_metadata(a) for a in _normalize(article, name, options)]


def normalize_warc_record(
    path: Path, offset: int, index: int, options: Options
) -> tuple[bytes, list[Article]]:
    """One HTML response of a web archive: (its payload, its article(s))."""
    from newsarchive.readers.warc import read_record, record_name

    record = read_record(path, offset, index, options.max_bytes)
    name = str(path.parent / record_name(path.name, record))
    return record.payload, normalize_html(record.payload, name, options, record.uri, record.date)


def normalize_file(path: Path, options: Options | None = None) -> list[Article]:
    """Read one scraped text file (or TEI file) and return its normalised article(s)."""
    options = options or Options()
    path = Path(path)
    if is_warc_name(path.name):  # every HTML response of the archive, one after the other
        from newsarchive.readers.warc import iter_records, record_name

        articles: list[Article] = []
        for record in iter_records(path, options.max_bytes):
            name = str(path.parent / record_name(path.name, record))
            articles += normalize_html(record.payload, name, options, record.uri, record.date)
        if not articles:
            raise InputError("no HTML response records in this web archive", str(path))
        return articles
    if is_tei(path.name) or is_html_name(path.name):
        data = read_regular(path, options.max_bytes)  # a FIFO or /dev/zero: refused
        return normalize_bytes(data, str(path), options)
    return _normalize(read_path(path, max_bytes=options.max_bytes), str(path), options)


def _normalize(article: Article, name: str, options: Options) -> list[Article]:
    # Imported here: the parent of a batch (names, state, unchanged inputs) and a no-op
    # re-run never normalise, and the normalisers' import is a fifth of a second; a
    # worker loads them once, in batch.task.warm_up.
    from newsarchive.normalize import normalize

    try:
        return normalize(article, options, options.metadata_overrides.get(Path(name).name))
    except NewsarchiveError as exc:
        exc.path = name  # the input as the user named it, not only its file name
        raise


FORMATS: dict[str, str] = {"tei": ".tei.xml", "docx": ".docx", "pdf": ".pdf"}


def render(article: Article, fmt: str, options: Options, tei: bytes | None = None) -> bytes:
    """One edition of ``article`` as bytes; TEI is checked against the project schema."""
    if fmt == "tei":
        from newsarchive.validate import check_tei
        from newsarchive.writers.tei import build_tei, serialize

        root = build_tei(article, options)
        data = serialize(root)  # = write_tei(article, options); the tree is checked
        check_tei(data, article.metadata.source_file or "<article>", built=root)
        return data
    if fmt == "docx":
        from newsarchive.writers.docx import write_docx

        return write_docx(article, options)
    if fmt == "pdf":
        from newsarchive.writers.pdf import write_pdf

        attachments = None
        if attaches_source(options.pdfa):
            from newsarchive.writers.tei import write_tei

            attachments = {output_stem(article) + ".tei.xml": tei or write_tei(article, options)}
        return write_pdf(article, options, attachments=attachments)
    raise ValueError(f"unknown format {fmt!r}")


STEM_SUFFIXES = (".tei.xml", ".txt", ".text", ".xml", ".tei", ".html", ".htm", ".xhtml",
                 ".shtml")


def input_stem(name: str) -> str:
    """The file name without the suffix of a scraped text or TEI input: what outputs are
    named after."""
    name = Path(name).name
    for suffix in STEM_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def output_stem(
    article: Article, input_name: str | None = None, numbered: bool | None = None
) -> str:
    """Output names derive from the input stem; stories of one page get -1, -2…

    ``input_name`` is the file the user gave; it differs from the article's source file
    when the input is a (corrected) TEI edition of it."""
    name = input_stem(input_name or article.metadata.source_file or "article")
    md = article.metadata
    if numbered is None:
        numbered = md.article_count > 1
    return f"{name}-{md.article_index}" if numbered else name


def render_all(
    articles: list[Article], formats: list[str], options: Options, input_name: str | None = None
) -> dict[str, bytes]:
    """Every edition of every article, keyed by output file name, rendered in memory first
    so that a failure in any of them writes nothing for this input — except a PDF that no
    font can set: then :class:`PartialOutput` carries the editions that could be made."""
    outputs: dict[str, bytes] = {}
    unset: FontError | None = None
    for article in articles:
        # One story per input (a TEI file holds one) keeps the bare input stem.
        stem = output_stem(article, input_name, numbered=len(articles) > 1)
        need_tei = "tei" in formats or attaches_source(options.pdfa)
        tei = render(article, "tei", options) if need_tei else None
        for fmt in formats:
            try:
                data = tei if fmt == "tei" and tei is not None else render(
                    article, fmt, options, tei)
            except FontError as exc:
                if fmt != "pdf":
                    raise
                unset = unset or exc
                continue
            outputs[stem + FORMATS[fmt]] = data
    if unset is not None:
        if input_name:  # the input as the user named it, like every other error
            unset.path = input_name
        raise PartialOutput(unset, outputs)
    return outputs
