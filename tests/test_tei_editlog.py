"""The edit log in TEI: xml:ids, stand-off change records, character-level spans, no JSON;
TEI -> Article -> TEI byte-identical; the review page from TEI; random articles valid."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from newsarchive import validate
from newsarchive.errors import InputError
from newsarchive.model import Article, Block, Credit, Edit, Metadata
from newsarchive.options import Options
from newsarchive.readers.tei import read_tei
from newsarchive.review import article_view, input_views, render_page
from newsarchive.writers.tei import (
    TEI_NS,
    XML_ID,
    char_spans,
    lines_uri,
    parse_lines_uri,
    write_tei,
)

NS = {"t": TEI_NS}
ROOT = Path(__file__).resolve().parents[1]
DAY = dt.date(2024, 5, 6)



@pytest.fixture(scope="module")
def seeds(seed_articles: dict[str, list[Article]]) -> dict[str, list[tuple[Article, bytes]]]:
    return {
        key: [(a, write_tei(a, Options(), when=DAY)) for a in articles]
        for key, articles in seed_articles.items()
    }


def _all(seeds: dict[str, list[tuple[Article, bytes]]]) -> list[tuple[str, Article, bytes]]:
    return [(key, a, data) for key, pairs in sorted(seeds.items()) for a, data in pairs]


def test_no_json_every_element_has_an_id_every_edit_a_change(seeds) -> None:
    for key, article, data in _all(seeds):
        root = etree.fromstring(data)
        assert not root.xpath("//t:xenoData", namespaces=NS), key
        assert b'":' not in data and b'{"' not in data, key  # no JSON anywhere
        body = root.xpath("//t:body//t:head | //t:body//t:p | //t:body//t:figure", namespaces=NS)
        assert body and all(el.get(XML_ID) for el in body), key
        changes = root.xpath("/t:TEI/t:standOff/t:listChange/t:change", namespaces=NS)
        assert len(changes) == len(article.provenance), key
        for change, edit in zip(changes, article.provenance, strict=True):
            assert (change.get("type"), change.get("subtype"), change.get("n")) == (
                edit.action, edit.step, edit.rule)


def _text_of(root: etree._Element, ident: str) -> str:
    (el,) = root.xpath(f"//*[@xml:id='{ident}']")
    return el.text or ""


def test_punctuation_and_script_edits_are_character_spans(seeds) -> None:
    spans = 0
    for key, _article, data in _all(seeds):
        root = etree.fromstring(data)
        for change in root.xpath("//t:change[t:choice]", namespaces=NS):
            pointers = re.findall(r"#string-range\((\w+),(\d+),(\d+)\)", change.get("target"))
            choices = change.xpath("t:choice", namespaces=NS)
            assert len(pointers) == len(choices)
            for (ident, offset, length), choice in zip(pointers, choices, strict=True):
                text = _text_of(root, ident)
                reg = choice.xpath("string(t:reg)", namespaces=NS)
                assert text[int(offset) : int(offset) + int(length)] == reg, (key, ident)
                assert len(reg) < 10, (key, reg)  # a stretch, not a paragraph
                spans += 1
        # every punctuation edit of a paragraph is written as spans, not two paragraphs
        for change in root.xpath("//t:change[@subtype='punctuation'][@source]", namespaces=NS):
            assert change.xpath("t:choice", namespaces=NS), (key, etree.tostring(change)[:200])
    assert spans > 200
    converted = [
        c
        for _, _, data in _all(seeds)
        for c in etree.fromstring(data).xpath("//t:change[@subtype='script'][t:choice]",
                                              namespaces=NS)
    ]
    assert converted  # seed 002 is Traditional: its conversions are spans too
    assert all(
        len(c.xpath("string(t:choice[1]/t:orig)", namespaces=NS)) <= 4 for c in converted
    )


def test_character_edits_store_stretches_not_paragraphs(seeds) -> None:
    """The old log kept each punctuation/script edit as two whole paragraphs; the text in the
    orig/reg pairs is now a small fraction of what those edits concern."""
    stored = concerned = 0
    for _, _article, data in _all(seeds):
        root = etree.fromstring(data)
        for change in root.xpath("//t:change[t:choice]", namespaces=NS):
            stored += sum(len(t) for t in change.xpath("t:choice/*/text()", namespaces=NS))
            ident = re.match(r"#string-range\((\w+),", change.get("target"))[1]
            concerned += 2 * len(_text_of(root, ident))
    assert 0 < stored < concerned / 10, (stored, concerned)  # seeds: 2,426 of 40,624


def test_round_trip_byte_identical_and_same_article(seeds, tei_all) -> None:
    for key, article, data in _all(seeds):
        back = read_tei(data, "edition.tei.xml")
        assert back.blocks == article.blocks, key
        assert back.provenance == article.provenance, key
        assert back.metadata == article.metadata, key
        assert write_tei(back, Options(), when=DAY) == data, key
        assert validate.validate_tei(data) == [], key
        assert tei_all.validate(etree.ElementTree(etree.fromstring(data))), key


def test_review_page_from_tei_equals_the_one_from_text(seeds) -> None:
    """A TEI edition carries no scraped text, so the text side is compared without it: every
    block, edit, mark and flag of the page must be the same."""
    for number, (key, pairs) in enumerate(sorted(seeds.items()), 1):
        text = [dataclasses.replace(a, source_text="") for a, _ in pairs]
        tei = [read_tei(data, f"{key}.tei.xml") for _, data in pairs]
        for a, b in zip(text, tei, strict=True):
            assert article_view(b) == article_view(a), key
        page_text = render_page(input_views(number, text), number, key, "index.html", "r")
        page_tei = render_page(input_views(number, tei), number, key, "index.html", "r")
        assert page_tei == page_text, key
        assert page_tei.count("<article") == len(pairs)


def test_lines_uri_round_trip() -> None:
    for lines in [(1,), (3, 4, 5), (5, 3), (7, 8, 10, 11, 11), (2, 1)]:
        value = lines_uri("a b#c.txt", lines)
        assert value and parse_lines_uri(value) == ("a b#c.txt", lines)
    assert lines_uri("x.txt", (10, 11, 12)) == "x.txt#line=9,12"  # RFC 5147: lines 10-12
    assert lines_uri("", (1,)) is None and lines_uri("x.txt", ()) is None


def test_char_spans_undo() -> None:
    from newsarchive.writers.tei import undo_spans

    for before, after in [("a,b,c", "a，b，c"), ("abc", "abxc"), ("工作制\n度", "工作制度"),
                          ("", "x"), ("x", "")]:
        spans = char_spans(before, after)
        assert spans is not None
        assert undo_spans(after, [s[:3] for s in spans]) == before


def _edit_log_element_by_element(article: Article) -> bytes:
    """The edit log built with one lxml call per element and attribute (how the writer
    built it before it wrote the log as text and parsed it once): the reference."""
    from newsarchive.writers import tei

    tree = tei.build_tei(article, Options(), when=DAY)
    blocks = tei.emitted_blocks(article)
    body = tree.find(f"{{{TEI_NS}}}text")
    ids = [el.get(XML_ID) for el in body.iter() if el.get(XML_ID)]
    texts = {i: el.text for el in body.iter() if (i := el.get(XML_ID)) and len(el) == 0}
    ids = [i for i in ids if i in texts]
    titles = {h.get("type"): h.get(XML_ID) for h in body.iterfind(".//t:div/t:head", NS)
              if h.get("type") in ("main", "sub")}
    block_ids = [i for i in ids if i not in titles.values()]
    texts = {i: tei.clean_text(b.text) for i, b in zip(block_ids, blocks, strict=True)}
    for kind, value in (("main", article.metadata.title), ("sub", article.metadata.subtitle)):
        if kind in titles and value:
            texts[titles[kind]] = tei.clean_text(value)
    root = etree.Element(f"{{{TEI_NS}}}TEI", nsmap={None: TEI_NS})
    changes = tei._sub(tei._sub(root, "standOff"), "listChange", type="normalisation",
                       lang="en")
    plan = tei._plan(article.provenance, blocks, block_ids, texts)
    for number, (edit, (target, spans)) in enumerate(zip(article.provenance, plan,
                                                         strict=True), 1):
        change = tei._sub(changes, "change", type=edit.action, subtype=edit.step)
        change.set(XML_ID, f"e{number}")
        change.set("n", tei.clean_text(edit.rule))
        where = tei.lines_uri(article.metadata.source_file, (edit.line,)) if edit.line else None
        if where:
            change.set("source", where)
        if edit.doubtful:
            change.set("cert", "low")
        parts = []
        if spans:
            change.set("target", " ".join(f"#string-range({target},{o},{n})"
                                          for o, n, _, _ in spans))
            for _, _, orig, reg in spans:
                choice = tei._sub(change, "choice")
                tei._sub(choice, "orig", orig)
                tei._sub(choice, "reg", reg)
                parts.append(choice)
        else:
            if target:
                change.set("target", f"#{target}")
            if edit.text:
                parts.append(tei._sub(change, "seg", edit.text, type="text"))
            if edit.result:
                parts.append(tei._sub(change, "seg", edit.result, type="result"))
        for part in parts[:-1]:
            part.tail = " "
    return etree.tostring(root[0], pretty_print=True)


# What XML escapes or refuses, in element text and in attribute values (a tab or line break
# in an attribute must stay a character reference), and texts that are nothing once the
# characters XML forbids are gone.
AWKWARD = ["a&b", "<p>", "x > y", 'say "hi"', "tab\there", "cr\rlf\r\n", "line\nbreak",
           "\x00\x01", "\ufffe", "]]>", "&amp;", "\ud800", "中&文\r"]


def test_edit_log_as_text_equals_the_tree_built_element_by_element(seeds) -> None:
    from newsarchive.writers import tei

    cases = [a for _, a, _ in _all(seeds)]
    base = cases[0]
    para = next(b for b in base.blocks if b.kind == "paragraph")
    awkward = [
        Edit("chrome", rule, "remove", text, result, line, doubtful)
        for i, text in enumerate(AWKWARD)
        for rule, result, line, doubtful in (
            (text, "", i + 1, False), ("r", text, None, True), (text, text + "!", 0, False))
    ]
    # a character edit whose stretches are an insertion and a deletion (empty orig, reg)
    spans = Edit("punctuation", "p", "replace", "&&" + para.text[:5] + para.text[6:], para.text,
                 para.source_lines[0])
    cases.append(dataclasses.replace(base, provenance=(*awkward, *base.provenance, spans)))
    for article in cases:
        tree = tei.build_tei(article, Options(), when=DAY)
        written = etree.tostring(tree.find(f"{{{TEI_NS}}}standOff"), pretty_print=True)
        assert written == _edit_log_element_by_element(article)
    data = write_tei(cases[-1], Options(), when=DAY)
    assert b"<orig></orig>" in data and b"&#9;" in data and b"&#13;" in data
    assert validate.validate_tei(data) == []


def test_malformed_edit_log_is_input_error(seeds) -> None:
    (_, data), = seeds["000"]
    text = data.decode()
    m = re.search(r"#string-range\((p\d+),(\d+),1\)", text)
    assert m
    # pointers that no longer fit (a hand-corrected text, a lost element) degrade that edit
    # to its stretches instead of refusing an archivist's corrected edition
    lost = text.replace(f'xml:id="{m[1]}"', f'xml:id="{m[1]}-gone"', 1)
    for broken in (text.replace(m[0], f"#string-range({m[1]},{int(m[2]) + 1},1)", 1), lost):
        art = read_tei(broken.encode(), "corrected.xml")
        changed = [e for e, o in zip(art.provenance, read_tei(data, "x").provenance,
                                     strict=True) if e != o]
        assert changed
        assert all("，" in e.result and len(e.text) < 40 for e in changed), changed
    counts = text.replace(m[0], "", 1)
    with pytest.raises(InputError, match="target"):
        read_tei(counts.encode(), "bad.xml")
    no_step = re.sub(r'(<change type="\w+") subtype="\w+"', r"\1", text, count=1)
    with pytest.raises(InputError, match="subtype"):
        read_tei(no_step.encode(), "bad.xml")
    story = text.replace('<bibl type="scraped-file">', '<bibl type="scraped-file">'
                         '<biblScope unit="story" from="x" to="x">x</biblScope>', 1)
    with pytest.raises(InputError, match="story"):
        read_tei(story.encode(), "bad.xml")
    sources = text.replace('type="field-sources">', 'type="field-sources">oops ', 1)
    with pytest.raises(InputError, match="field=source"):
        read_tei(sources.encode(), "bad.xml")


# ---------- random real-looking articles ----------

HAN = "党建引领发展全区坚持基层治理群众服务乡村振兴企业人才文化建设新时代中国特色社会主义思想"
TRAD = "黨建引領發展全區堅持基層治理群眾服務鄉村振興企業人才文化建設新時代"
NAMES = ["王静", "刘廷", "吴军", "李明", "张华", "陈丽", "韩慧林"]
HALF = {"，": ",", "；": ";", "：": ":", "？": "?", "！": "!", "（": "(", "）": ")"}


@st.composite
def sentence(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.text(alphabet=HAN, min_size=2, max_size=14), min_size=1,
                          max_size=4))
    marks = draw(st.lists(st.sampled_from(list(HALF)), min_size=len(parts), max_size=len(parts)))
    body = "".join(p + m for p, m in zip(parts, marks, strict=True))[:-1]
    return body + draw(st.sampled_from(["。", "！", "？", "……"]))


@st.composite
def articles(draw: st.DrawFn) -> Article:
    line = 1
    blocks: list[Block] = []
    edits: list[Edit] = []
    for number in range(draw(st.integers(1, 8))):
        # the pipeline keeps no story without a paragraph: the first block is one
        kind = "paragraph" if number == 0 else draw(st.sampled_from(
            ["paragraph", "paragraph", "paragraph", "heading", "figure", "label", "line"]))
        if kind == "paragraph":
            text = "".join(draw(st.lists(sentence(), min_size=1, max_size=3)))
        else:
            text = draw(st.text(alphabet=HAN, min_size=2, max_size=16))
        credit = draw(st.sampled_from([None, *NAMES])) if kind == "figure" else None
        span = draw(st.integers(1, 3))
        lines = tuple(range(line, line + span))
        line += span + draw(st.integers(0, 2))
        blocks.append(Block(kind, text, lines, credit))  # type: ignore[arg-type]
        if kind == "paragraph" and draw(st.booleans()):
            # what the punctuation step records: the whole paragraph before and after
            before = "".join(HALF.get(ch, ch) for ch in text)
            if before != text:
                edits.append(Edit("punctuation", "punct.full-width", "replace", before, text,
                                  lines[0]))
        if draw(st.booleans()):
            edits.append(Edit("chrome", draw(st.sampled_from(["nav.words", "footer.copyright"])),
                              "remove", draw(st.text(alphabet=HAN + " ", min_size=1,
                                                     max_size=20)), "", line))
        if kind in ("figure", "heading", "label") and draw(st.booleans()):
            edits.append(Edit("segment", "caption.cue-word", "classify", text, kind, lines[0],
                              draw(st.booleans())))
        if kind == "paragraph" and span > 1 and draw(st.booleans()):
            cut = draw(st.integers(1, max(1, len(text) - 1)))
            edits.append(Edit("segment", "join.broken-line", "join",
                              text[:cut] + "\n" + text[cut:], text, lines[0],
                              draw(st.booleans())))
    script = draw(st.sampled_from([None, "zh-Hans", "zh-Hant", "mixed", "none"]))
    if script == "zh-Hant":
        edits.insert(0, Edit("script", "opencc.t2s", "metadata", "zh-Hant -> zh-Hans",
                             "3 characters converted"))
    count = draw(st.integers(1, 3))
    title = draw(st.one_of(st.none(), st.text(alphabet=HAN + TRAD, min_size=4, max_size=20)))
    supplied = title is not None and draw(st.booleans())
    if supplied:
        edits.append(Edit("title", "title.supplied", "metadata", "", f"supplied: {title}", 1))
    authors = tuple(draw(st.lists(st.sampled_from(NAMES), max_size=2, unique=True)))
    md = Metadata(
        title=title,
        title_supplied=supplied,
        subtitle=draw(st.one_of(st.none(), st.text(alphabet=HAN, min_size=3, max_size=10))),
        authors=authors,
        author_affiliation=draw(st.sampled_from([None, "作者系重庆日报记者"])),
        credits=tuple(Credit(n, "editor", draw(st.sampled_from(["", "责任编辑", "编审"])))
                      for n in draw(st.lists(st.sampled_from(NAMES), max_size=2, unique=True))),
        newspaper=draw(st.sampled_from([None, "重庆日报", "人民日报", "中国城市报"])),
        edition=draw(st.sampled_from([None, "第015版"])),
        page=draw(st.sampled_from([None, "15", "A3"])),
        section=draw(st.sampled_from([None, "要闻", "奋进新时代·新发展理念在重庆"])),
        date=draw(st.sampled_from([None, "2022-10-20", "2025-01-05"])),
        url=draw(st.sampled_from([None, "https://epaper.example.cn/a.htm?x=1&y=2"])),
        licence=draw(st.sampled_from([None, "CC BY 4.0", "重庆日报版权所有 未经书面授权 不得复制"])),
        language=draw(st.sampled_from(["zh-Hans", "zh-Hant"])),
        source_script=script,
        source_file=draw(st.sampled_from(["000_8a8d1d953e3f51ef.txt", "页 面 1.txt",
                                          "stdin.txt"])),
        source_sha256=draw(st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)),
        source_encoding=draw(st.sampled_from(["", "utf-8", "gb18030"])),
        article_index=draw(st.integers(1, count)),
        article_count=count,
        field_sources=tuple(sorted(draw(st.dictionaries(
            st.sampled_from(["title", "date", "licence", "newspaper", "authors"]),
            st.sampled_from(["text", "sidecar", "chrome", "derived", "default"]),
            max_size=4)).items())),
    )
    return Article(md, tuple(blocks), tuple(edits))


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(article=articles())
def test_random_articles_valid_against_ours_and_tei_all_and_round_trip(article, tei_all):
    data = write_tei(article, Options(), when=DAY)
    problems = validate.validate_tei(data, name="random.tei.xml")
    assert problems == [], "\n".join(map(str, problems)) + "\n" + data.decode()
    assert tei_all.validate(etree.ElementTree(etree.fromstring(data))), tei_all.error_log
    back = read_tei(data, "random.tei.xml")
    assert back.metadata == article.metadata
    assert back.blocks == tuple(b for b in article.blocks if b.text.strip() or b.credit)
    assert back.provenance == article.provenance
    assert write_tei(back, Options(), when=DAY) == data
