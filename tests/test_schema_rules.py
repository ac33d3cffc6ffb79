"""Every check of the project schema still made after issue 17 moved rules into the RELAX NG
and made the Schematron cheap, each with its kind of message; the fast Schematron run
reports exactly what ISO Schematron's reference skeleton reports.

``tests/data/schemas/newsarchive-before-issue17.sch`` is the Schematron as it was before
(every rule RELAX NG did not check then): whatever it rejects, the schema of today rejects.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree, isoschematron

sys.path.insert(0, str(Path(__file__).parent))

import tei_samples as samples

from newsarchive import validate
from newsarchive.options import Options
from newsarchive.writers.tei import write_tei

HERE = Path(__file__).parent
BEFORE = HERE / "data" / "schemas" / "newsarchive-before-issue17.sch"
SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}
SHA = samples.SHA
OTHER_SHA = "f" * 64


@pytest.fixture(scope="module")
def edition() -> str:
    return write_tei(samples.realistic(), Options(), when=dt.date(2024, 5, 6)).decode()


def _reference(schema: Path | etree._ElementTree) -> isoschematron.Schematron:
    doc = schema if isinstance(schema, etree._ElementTree) else etree.parse(str(schema))
    return isoschematron.Schematron(doc, store_report=True)


@pytest.fixture(scope="module")
def before() -> isoschematron.Schematron:
    return _reference(BEFORE)


@pytest.fixture(scope="module")
def reference() -> isoschematron.Schematron:
    """Today's newsarchive.sch through lxml's standard compilation (the skeleton's tree walk)."""
    return _reference(validate._schema_file("newsarchive.sch"))


def _failures(report: etree._ElementTree, tree: etree._ElementTree | None = None
              ) -> list[tuple[str, str]]:
    """(where, message) of each failure, sorted: the fast run reports a pattern's failures
    branch by branch, the reference in document order. ``where``: the fast run's
    ``line:name``; for the reference (``tree`` given) the same, of the node its XPath
    location names."""
    out = []
    for f in report.xpath("//svrl:failed-assert | //svrl:successful-report", namespaces=SVRL):
        where = f.get("location", "")
        if tree is not None:
            node = tree.xpath(where)[0]
            node = node if isinstance(node, etree._Element) else node.getparent()
            where = f"{node.sourceline or 0}:{etree.QName(node).localname}"
        out.append((where, " ".join(f.xpath("string(svrl:text)", namespaces=SVRL).split())))
    return sorted(out)


def _sub(text: str, old: str, new: str, count: int = 1) -> str:
    out, n = re.subn(old, new, text, count=max(count, 0))
    assert n, old
    return out


# rule of the Schematron before issue 17 -> (mutation, a part of the message now)
RULES: dict[str, tuple[tuple[str, str, int], str]] = {
    "archive-copy: TEI/@xml:lang": (('xml:lang="zh-Hans">', 'xml:lang="en">', 1),
                                    'TEI/@xml:lang="en" must be zh-Hans, zh-Hant'),
    "archive-copy: article div": (('<div type="article">', '<div type="section">', 1),
                                  "needs a div[@type='article']"),
    "archive-copy: application": (('ident="newsarchive"', 'ident="other"', 1),
                                   "application[@ident='newsarchive']"),
    "archive-copy: change/@when": ((r'<change when="2024-05-06" ', "<change ", -1),
                                   "revisionDesc needs a change with @when"),
    "archive-copy: main title first": (('<title type="main">', '<title type="sub">', 1),
                                       "titleStmt must open with title[@type='main']"),
    "archive-copy: one sha256": ((f'<idno type="sha256">{SHA}</idno>\n', "", 1),
                                 "exactly one idno[@type='sha256']"),
    "ids": ((r'<p xml:id="p2" ', "<p ", 1), "every p in the body has an xml:id"),
    "change-targets: #id": (('target="#p1"', 'target="#p9"', 1),
                            '@target="#p9" does not point to an xml:id'),
    "change-targets: string-range": (('target="#p1"', 'target="#string-range(q1,0,1)"', 1),
                                     "does not point to an xml:id"),
    "languages": ((r'<p xml:id="p1"', '<p xml:lang="ja" xml:id="p1"', 1),
                  'xml:lang="ja" is not declared'),
    "main-language": (('<language ident="zh-Hans">简体中文</language>\n        '
                       '<language ident="en" xml:lang="en">English</language>',
                       '<language ident="en" xml:lang="en">English</language>'
                       '<language ident="zh-Hans">简体中文</language>', 1),
                      "the first language in langUsage should be the text's language"),
    "no-empty-text": (("组织体系全面延伸</head>", " </head>", 1), "empty head"),
    "no-placeholders": (("<licence>CC BY 4.0</licence>", "<licence> Unknown </licence>", 1),
                        'placeholder text "Unknown" in licence'),
    "no-placeholders: 11 characters": (("<edition>第015版</edition>",
                                        "<edition>  PlaceHolder\n </edition>", 1),
                                       'placeholder text "PlaceHolder" in edition'),
    "dates: shape": (('when="2022-10-20"', 'when="20/10/2022"', 1),
                     'date/@when="20/10/2022" must be an ISO 8601 date'),
    "dates: month": (('when="2022-10-20"', 'when="2022-13-20"', 1),
                     'date/@when="2022-13-20" must be an ISO 8601 date that exists'),
    "dates: day": (('when="2022-10-20"', 'when="2022-10-32"', 1),
                   'date/@when="2022-10-32" must be an ISO 8601 date that exists'),
    "pointers": (('who="#newsarchive"', 'who="#nobody"', 1),
                 '@who="#nobody" does not point to an xml:id'),
    "sha256": ((SHA, "abc", -1), "must be 64 hexadecimal digits"),
    "source-identity": ((f'<idno type="sha256">{SHA}</idno>\n          <textLang',
                         f'<idno type="sha256">{OTHER_SHA}</idno>\n          <textLang', 1),
                        "the scraped file's sha256 differs"),
    "extent: paragraphs": (('quantity="3">3 paragraphs', 'quantity="4">3 paragraphs', 1),
                           "extent says 4 paragraphs, the body has 3"),
    "extent: figures": (('quantity="2">2 figures', 'quantity="1">2 figures', 1),
                        "extent says 1 figures, the body has 2"),
}


# A tree as the writer builds it (pipeline.render checks that, not a parse of its bytes):
# no pretty-printing white space between elements.
_BUILT = etree.XMLParser(remove_blank_text=True)


def _as_built(data: bytes) -> etree._Element | None:
    try:
        return etree.fromstring(data, _BUILT)
    except etree.XMLSyntaxError:
        return None  # a mutation that is no XML: nothing was built


def _check(data: bytes, built: etree._Element | None = None) -> str | None:
    """check_tei's verdict: None (valid) or the ValidationError's message."""
    try:
        validate.check_tei(data, "bad.tei.xml", built=built)
    except validate.ValidationError as exc:
        return str(exc)
    return None


@pytest.mark.parametrize("rule", sorted(RULES))
def test_every_rule_still_rejects_with_its_message(rule: str, edition: str, before) -> None:
    (old, new, count), message = RULES[rule]
    assert validate.validate_tei(edition.encode()) == []
    bad = _sub(edition, old, new, count).encode()
    # the tree it was built from is judged as the bytes are, with the same message
    assert _check(bad) is not None and _check(bad, _as_built(bad)) == _check(bad)
    tree = etree.ElementTree(etree.fromstring(bad))
    # the rule as it was catches the mutation (else the table tests nothing) ...
    assert not before.validate(tree) or rule.startswith("archive-copy: TEI")
    # ... and the schema of today still does, with the same kind of message and a line
    problems = validate.validate_tei(bad, name="bad.tei.xml")
    hits = [p for p in problems if message in p.message]
    assert hits, problems
    assert all(p.line > 0 for p in hits)


def test_dates_the_rule_let_through_are_refused_now(edition: str) -> None:
    # the Schematron only bounded the month by 12 and the day by 31
    for when in ("2022-02-30", "2023-02-29", "2022-04-31"):
        bad = edition.replace('when="2022-10-20"', f'when="{when}"', 1).encode()
        assert any(f'@when="{when}" must be an ISO 8601 date that exists' in p.message
                   for p in validate.validate_tei(bad))
    for when in ("2024-02-29", "2022", "2022-10"):
        ok = edition.replace('when="2022-10-20"', f'when="{when}"').encode()
        assert validate.validate_tei(ok) == [], when


@pytest.mark.parametrize("rule", sorted(RULES))
def test_fast_schematron_reports_what_the_reference_skeleton_does(
    rule: str, edition: str, reference
) -> None:
    (old, new, count), _ = RULES[rule]
    tree = etree.ElementTree(etree.fromstring(_sub(edition, old, new, count).encode()))
    reference.validate(tree)
    assert _failures(validate.project_schematron()(tree)) == _failures(
        reference.validation_report, tree
    )


def test_fast_schematron_on_the_seed_editions(reference) -> None:
    from newsarchive.pipeline import normalize_file

    root = HERE.parent / "seeds"
    for seed in sorted(root.glob("*.txt")):
        for article in normalize_file(seed, Options()):
            tree = etree.ElementTree(etree.fromstring(write_tei(article, Options())))
            assert reference.validate(tree)
            assert _failures(validate.project_schematron()(tree)) == []


@st.composite
def _mutated(draw: st.DrawFn, base: str) -> str:
    """Up to three rule-shaped mutations: values, ids, texts and attributes of the edition."""
    text = base
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["value", "drop-attr", "text", "rule"]))
        if kind == "rule":
            (old, new, count), _ = RULES[draw(st.sampled_from(sorted(RULES)))]
            if re.search(old, text):
                text = _sub(text, old, new, count)
            continue
        attrs = list(re.finditer(r' ([\w:]+)="([^"]*)"', text))
        if kind in ("value", "drop-attr") and attrs:
            m = draw(st.sampled_from(attrs))
            value = draw(st.sampled_from(["", "#p1", "#e1", "unknown", "2022-02-30", "zh-Hant",
                                          "ja", "p1", SHA, "3"]))
            repl = "" if kind == "drop-attr" else f' {m[1]}="{value}"'
            text = text[: m.start()] + repl + text[m.end() :]
        elif kind == "text":
            leaves = list(re.finditer(r">([^<>\n]+)</", text))
            m = draw(st.sampled_from(leaves))
            value = draw(st.sampled_from(["", " ", "N/A", "未知", " todo ", "x", SHA]))
            text = text[: m.start(1)] + value + text[m.end(1) :]
    return text


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_what_the_old_rules_rejected_is_still_rejected(
    data: st.DataObject, edition: str, before, reference
) -> None:
    bad = data.draw(_mutated(edition)).encode()
    try:
        tree = etree.ElementTree(etree.fromstring(bad))
    except etree.XMLSyntaxError:  # e.g. xml:id="": not even well-formed
        return
    if not before.validate(tree):
        assert validate.validate_tei(bad), _failures(before.validation_report)
    reference.validate(tree)
    assert _failures(validate.project_schematron()(tree)) == _failures(
        reference.validation_report, tree
    )


def test_a_page_of_short_lines_is_checked_in_linear_time() -> None:
    """change-targets and pointers look ids up in an xsl:key: 40,000 changes pointing at
    paragraphs took minutes when each compared itself with every id of the file."""
    import time

    def edition(n: int) -> etree._ElementTree:
        ns = "http://www.tei-c.org/ns/1.0"
        root = etree.fromstring(write_tei(samples.realistic(), Options()))
        body = root.find(f".//{{{ns}}}div")
        changes = root.find(f".//{{{ns}}}listChange")
        for i in range(n):
            etree.SubElement(body, f"{{{ns}}}p", {"{http://www.w3.org/XML/1998/namespace}id":
                                                   f"q{i}"}).text = "段落。"
            change = etree.SubElement(changes, f"{{{ns}}}change", type="join", subtype="join",
                                      target=f"#q{i}")
            change.set("{http://www.w3.org/XML/1998/namespace}id", f"x{i}")
            etree.SubElement(change, f"{{{ns}}}seg", type="text").text = "段"
        measure = root.find(f".//{{{ns}}}measure[@unit='paragraph']")
        measure.set("quantity", str(int(measure.get("quantity")) + n))
        return etree.ElementTree(root)

    def best_of_3(check: Callable[[], object]) -> float:
        """The least CPU time of three runs (a shared machine's noise only adds time)."""
        spent = []
        for _ in range(3):
            start = time.process_time()
            check()
            spent.append(time.process_time() - start)
        return min(spent)

    # Sixteen times the changes: linear is about 16 times the time, quadratic 256; the
    # bound (64) leaves room for noise and n log n but not for a pairwise comparison.
    small, large = 2_000, 32_000
    times = []
    for n in (small, large):
        tree = edition(n)
        assert _failures(validate.project_schematron()(tree)) == []
        times.append(best_of_3(lambda tree=tree: validate.project_schematron()(tree)))
    # and as many failures (paragraphs without an id) are reported in linear time too
    for n in (small, large):
        tree = edition(n)
        for p in tree.iter("{http://www.tei-c.org/ns/1.0}p"):
            p.attrib.pop("{http://www.w3.org/XML/1998/namespace}id", None)
        assert len(validate._schematron_problems(tree, "t")) >= n
        times.append(best_of_3(lambda tree=tree: validate._schematron_problems(tree, "t")))
    assert times[1] < 64 * times[0] + 0.05, times
    assert times[3] < 64 * times[2] + 0.05, times


# ---------- the edit log's fast way (validate._set_aside_edit_log) ----------


def _whole(data: bytes) -> list[validate.Problem]:
    """What validate_tei reports without the fast way: both schemas on the whole tree."""
    tree = validate._parse_source(data, "bad.tei.xml", max(len(data), validate.MAX_BYTES))
    if isinstance(tree, validate.Problem):
        return [tree]
    lines = data.split(b"\n")
    problems = validate._rng_problems(validate.project_rng(), tree, "bad.tei.xml",
                                      "newsarchive.rng", lines)
    problems += validate._schematron_problems(tree, "bad.tei.xml", lines)
    return sorted(problems, key=lambda p: (p.line, p.col))


@pytest.fixture(scope="module")
def seed_editions(seed_articles) -> list[bytes]:
    return [write_tei(a, Options(), when=dt.date(2024, 5, 6))
            for articles in seed_articles.values() for a in articles]


def test_the_shapes_were_checked_against_todays_schemas() -> None:
    assert validate.schema_fingerprints() == validate.SHAPES_CHECKED_AGAINST, (
        "newsarchive.sch or the definitions of listChange/change/seg/choice/orig/reg in "
        "newsarchive.rng changed: check the shapes in validate.py against them (each must "
        "stay a subset of what the schemas allow), then update SHAPES_CHECKED_AGAINST"
    )


def test_the_writers_edit_logs_take_the_fast_way_and_come_back(seed_editions) -> None:
    for data in seed_editions:
        tree = validate._parse_source(data, "x")
        before = etree.tostring(tree)
        kept = validate._set_aside_edit_log(tree)
        assert kept and sum(len(items) for _, items in kept) > 10
        for log, items in kept:
            log.extend(items)
        assert etree.tostring(tree) == before
        assert validate.validate_tree(tree) == [] and etree.tostring(tree) == before


# (what, old, new) applied to one change after the first of a seed's edit log: invalid
# items, each against a different constraint of the RELAX NG, the Schematron or the parser
INVALID_ITEMS = [
    ("type not a token", 'type="replace"', 'type="re place"'),
    ("seg type not allowed", '<seg type="text">', '<seg type="other">'),
    ("a p in a reading", "<orig>", "<orig><p>x</p>"),
    ("a choice of one", r"<reg>[^<]*</reg>", ""),
    ("#id to nothing", 'target="#[a-z]+[0-9]+"', 'target="#nowhere"'),
    ("string-range to nothing", r"string-range\([a-z]+[0-9]+,", "string-range(nowhere,"),
    ("undeclared language", ' n="', ' xml:lang="fr" n="'),
    ("@who to nothing", ' n="', ' who="#nobody" n="'),
    ("@when not a date", ' n="', ' when="yesterday" n="'),
    ("unknown attribute", ' n="', ' colour="red" n="'),
    ("cert not a certainty", r'(source="[^"]*")', r'\1 cert="maybe"'),
    ("not white space inside a choice", "<orig>", "\u3000<orig>"),
    ("text between changes", "</change>", "</change>stray"),
    ("repeated xml:id", r'xml:id="e[0-9]+"', 'xml:id="e1"'),
    ("xml:id not an NCName", r'xml:id="e[0-9]+"', 'xml:id="1e"'),
    ("element from another namespace", "<change ", '<change xmlns="urn:x-other" '),
    ("target not a URI list", 'target="#', 'target=" '),
]
# ... and items valid though not of the writer's shapes: valid still
VALID_ITEMS = [
    ("declared language on a seg", '<seg type="text">', '<seg type="text" xml:lang="en">'),
    ("resp", ' n="', ' resp="#newsarchive" n="'),
    ("a comment", "</change>", "</change><!-- checked -->"),
    ("cert high", ' n="', ' cert="high" n="'),
    ("attributes in another order", r'type="(\w+)" subtype="(\w+)"', r'subtype="\2" type="\1"'),
    ("a reading with a type", "<reg>", '<reg type="x">'),
]


def _item_line(data: str, old: str) -> tuple[int, int]:
    """Start and end of the first change after the first one whose line ``old`` matches
    (a change of characters if there is one: choice/orig/reg)."""
    log = data.index("<listChange")
    changes = list(re.finditer(r"      <change [^\n]*(?:\n        [^\n]*)*", data[log:]))
    fit = [m for m in changes[1:] if re.search(old, m[0])]
    m = next((m for m in fit if "<choice>" in m[0]), fit[0])
    return log + m.start(), log + m.end()


def test_a_repeated_id_in_a_built_tree_is_refused(seed_articles) -> None:
    """(A parsed tree never has one: the parser refuses it.)"""
    from newsarchive.writers.tei import XML_ID, build_tei

    article = seed_articles["001"][0]
    tree = build_tei(article, Options(), when=dt.date(2024, 5, 6))
    assert validate.validate_tree(tree) == []
    log = tree.find(".//{http://www.tei-c.org/ns/1.0}listChange")
    log[3].set(XML_ID, log[2].get(XML_ID))
    assert validate.validate_tree(tree)


@pytest.mark.parametrize("what,old,new", INVALID_ITEMS + VALID_ITEMS,
                         ids=[w for w, _, _ in INVALID_ITEMS + VALID_ITEMS])
def test_an_item_of_the_edit_log_is_checked_as_the_whole_tree_is(
    what: str, old: str, new: str, seed_editions: list[bytes]
) -> None:
    data = next(d for d in seed_editions if b"<choice>" in d).decode()
    start, end = _item_line(data, old)
    bad = (data[:start] + _sub(data[start:end], old, new) + data[end:]).encode()
    problems = validate.validate_tei(bad, name="bad.tei.xml")
    assert problems == _whole(bad)
    if (built := _as_built(bad)) is not None:
        assert _check(bad, built) == _check(bad)
    if (what, old, new) in INVALID_ITEMS:
        assert problems, what
        validate.check_tei(data.encode(), "ok.tei.xml")
        with pytest.raises(validate.ValidationError):
            validate.check_tei(bad, "bad.tei.xml")
    else:
        assert problems == [], what


@st.composite
def _log_mutated(draw: st.DrawFn, base: str) -> str:
    """One to three changes to values, attributes, texts and tags inside the edit log."""
    at = base.index("<listChange")
    head, log = base[:at], base[at:]
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["value", "drop-attr", "add-attr", "text", "tag"]))
        if kind in ("value", "drop-attr", "add-attr"):
            m = draw(st.sampled_from(list(re.finditer(r' ([\w:]+)="([^"]*)"', log))))
            value = draw(st.sampled_from(["", " ", "#p1", "#e1", "#zz", "e1", "x y", "low",
                                          "string-range(p1,0,1)", "#string-range(p1,0,1)",
                                          "zh-Hans", "ja", "中", "a\tb"]))
            name = draw(st.sampled_from(["type", "subtype", "n", "cert", "target", "source",
                                         "xml:id", "xml:lang", "who", "when", "resp"]))
            repl = {"value": f' {m[1]}="{value}"', "drop-attr": "",
                    "add-attr": f' {name}="{value}"{m[0]}'}[kind]
            log = log[: m.start()] + repl + log[m.end() :]
        elif kind == "text":
            m = draw(st.sampled_from(list(re.finditer(r">([^<>]*)<", log))))
            value = draw(st.sampled_from(["", " ", "x", "<seg/>", "<p>x</p>", "<!-- c -->",
                                          "<orig>x</orig>", "&amp;", "\u3000"]))
            log = log[: m.start(1)] + value + log[m.end(1) :]
        else:
            m = draw(st.sampled_from(list(re.finditer(r"<(/?)(seg|choice|orig|reg|change)\b",
                                                      log))))
            tag = draw(st.sampled_from(["seg", "choice", "orig", "reg", "change", "p", "note"]))
            log = log[: m.start(2)] + tag + log[m.end(2) :]
    return head + log


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_a_mutated_edit_log_is_judged_as_the_whole_tree_judges_it(
    data: st.DataObject, seed_editions: list[bytes]
) -> None:
    base = data.draw(st.sampled_from(seed_editions)).decode()
    bad = data.draw(_log_mutated(base)).encode()
    assert validate.validate_tei(bad, name="bad.tei.xml") == _whole(bad)
    if (built := _as_built(bad)) is not None:
        assert _check(bad, built) == _check(bad)


def test_convert_checks_the_tree_it_built_and_parses_only_what_fails(
    seed_articles, monkeypatch
) -> None:
    """pipeline.render validates the writer's tree, not a parse of its bytes; an edition
    that is not shown valid that way is parsed and checked whole, as before."""
    from newsarchive import pipeline
    from newsarchive.writers import tei

    parsed: list[str] = []
    real_parse = validate._parse_source
    monkeypatch.setattr(validate, "_parse_source",
                        lambda data, label, *a: parsed.append(label) or real_parse(data, label, *a))
    articles = [a for found in seed_articles.values() for a in found]
    for article in articles:
        assert pipeline.render(article, "tei", Options()) == tei.write_tei(article, Options())
    assert parsed == []
    real_build = tei.build_tei

    def wrong(article, options, **kw):  # a writer gone wrong: a pointer to nothing
        root = real_build(article, options, **kw)
        change = root.find(".//{http://www.tei-c.org/ns/1.0}change[@target]")
        change.set("target", "#nowhere")
        return root

    monkeypatch.setattr(tei, "build_tei", wrong)
    with pytest.raises(validate.ValidationError, match='"#nowhere" does not point'):
        pipeline.render(articles[0], "tei", Options())
    assert len(parsed) == 1  # the bytes, for the lines of the message
