"""The ODD customisation: compiled schema is the shipped one, a strict subset of tei_all,
and ``validate`` checks against it by default (one process for a batch)."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

sys.path.insert(0, str(Path(__file__).parent))

import tei_samples as samples

from newsarchive import validate
from newsarchive.errors import ValidationError
from newsarchive.options import Options
from newsarchive.writers.tei import TEI_NS, write_tei

ROOT = Path(__file__).resolve().parents[1]
ODD = ROOT / "schemas" / "newsarchive.odd"
SHIPPED = ROOT / "src" / "newsarchive" / "data" / "schemas"
RNG = "{http://relaxng.org/ns/structure/1.0}"


def _compiler():
    spec = importlib.util.spec_from_file_location("odd2rng", ROOT / "scripts" / "odd2rng.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


odd2rng = _compiler()



@pytest.fixture(scope="module")
def edition() -> bytes:
    import datetime as dt

    return write_tei(samples.realistic(), Options(), when=dt.date(2024, 5, 6))


def ours_ok(data: bytes) -> bool:
    return validate.validate_tei(data, name="m.xml") == []


def tei_all_ok(schema: etree.RelaxNG, data: bytes) -> bool:
    return bool(schema.validate(etree.ElementTree(etree.fromstring(data))))


# ---------- the compiled schema ----------


def test_shipped_schema_is_the_compiled_odd(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "odd2rng.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    rng, sch = odd2rng.compile_odd()
    assert (SHIPPED / "newsarchive.rng").read_bytes() == rng
    assert (SHIPPED / "newsarchive.sch").read_bytes() == sch
    # --check notices a stale copy
    (tmp_path / "newsarchive.rng").write_bytes(rng.replace(b"<define", b"<define ", 1))
    (tmp_path / "newsarchive.sch").write_bytes(sch)
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "odd2rng.py"), "--check", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1 and "newsarchive.rng" in run.stderr


def test_the_odd_is_itself_valid_tei(tei_all: etree.RelaxNG) -> None:
    assert tei_all.validate(etree.parse(str(ODD))), tei_all.error_log


def test_compiled_schema_keeps_only_the_listed_elements() -> None:
    odd = etree.parse(str(ODD))
    listed = set(
        " ".join(odd.xpath("//t:moduleRef/@include", namespaces={"t": TEI_NS})).split()
    )
    rng = etree.parse(str(SHIPPED / "newsarchive.rng"))
    names = {e.get("name") for e in rng.iter(RNG + "element")}
    assert names <= listed and "p" in names and "standOff" not in names - listed
    assert None not in names  # no wildcard element survives
    tei = etree.parse(str(ROOT / "schemas" / "tei_all.rng"))
    assert len(names) < len({e.get("name") for e in tei.iter(RNG + "element")}) / 5


def _odd_variant(tmp_path: Path, old: str, new: str) -> Path:
    text = ODD.read_text("utf-8")
    assert old in text
    path = tmp_path / "variant.odd"
    path.write_text(text.replace(old, new, 1), "utf-8")
    return path


def test_compiler_refuses_what_would_widen_tei_all(tmp_path: Path) -> None:
    # a closed value tei_all's datatype refuses (teidata.enumerated has no spaces)
    bad_value = _odd_variant(tmp_path, '<valItem ident="article">', '<valItem ident="an article">')
    with pytest.raises(odd2rng.OddError, match="not allowed by tei_all"):
        odd2rng.compile_odd(bad_value)
    unknown = _odd_variant(tmp_path, 'include="ab seg"', 'include="ab seg bogus"')
    with pytest.raises(odd2rng.OddError, match="bogus"):
        odd2rng.compile_odd(unknown)
    no_attr = _odd_variant(tmp_path, '<attDef ident="level"', '<attDef ident="nolevel"')
    with pytest.raises(odd2rng.OddError, match="nolevel"):
        odd2rng.compile_odd(no_attr)
    # a datatype must narrow one of tei_all's own alternatives (string is not one for @when)
    wider = _odd_variant(tmp_path, '<rng:data type="gYear">', '<rng:data type="string">')
    with pytest.raises(odd2rng.OddError, match="'string' is not a plain alternative"):
        odd2rng.compile_odd(wider)
    silent = _odd_variant(
        tmp_path, "<desc>must be an ISO 8601 date that exists: YYYY, YYYY-MM or YYYY-MM-DD</desc>",
        "")
    with pytest.raises(odd2rng.OddError, match="needs a desc"):
        odd2rng.compile_odd(silent)


# ---------- mutations: what tei_all rejects, ours rejects ----------


def _mutate(data: bytes, old: bytes, new: bytes, count: int = 1) -> bytes:
    """``data`` with the regular expression ``old`` replaced (``count`` -1: everywhere)."""
    out, n = re.subn(old, new, data, count=max(count, 0))
    assert n, old
    return out


MUTATIONS = {
    "unknown element in titleStmt": (b"<titleStmt>", b"<titleStmt><bogus/>", 1),
    "unknown attribute on every p": (rb"<p(?=[ >])", b'<p foo="1"', -1),
    "p inside head": (rb"</head>", b"<p>x</p></head>", 1),
    "div inside p": (rb"</p>", b"<div><p>x</p></div></p>", 1),
    "titleStmt after publicationStmt": (b"<sourceDesc>", b"<titleStmt><title>x</title>"
                                        b"</titleStmt><sourceDesc>", 1),
    "text inside teiHeader": (b"<fileDesc>", b"loose text<fileDesc>", 1),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_mutation_rejected_by_both(name: str, edition: bytes, tei_all: etree.RelaxNG) -> None:
    old, new, count = MUTATIONS[name]
    assert ours_ok(edition) and tei_all_ok(tei_all, edition)
    bad = _mutate(edition, old, new, count)
    assert not tei_all_ok(tei_all, bad)
    problems = validate.validate_tei(bad, name="bad.xml")
    assert problems and any("newsarchive.rng" in p.message for p in problems), problems
    with pytest.raises(ValidationError):  # convert and archive deposit use check_tei
        validate.check_tei(bad, "bad.xml")


def test_stricter_than_tei_all_where_the_odd_says(edition: bytes, tei_all) -> None:
    for old, new in (
        (b'<div type="section">', b'<div type="chapter">'),  # closed value list
        (rb"<p(?=[ >])", b'<p rend="bold"'),  # att.global.rendition deleted
        (b"<sourceDesc>", b"<sourceDesc><listBibl><bibl>x</bibl></listBibl>"),  # not kept
    ):
        bad = _mutate(edition, old, new)
        assert tei_all_ok(tei_all, bad), old
        assert not ours_ok(bad), old


def _tei_all_vocabulary() -> tuple[list[str], list[str]]:
    tei = etree.parse(str(ROOT / "schemas" / "tei_all.rng"))
    elements = sorted({e.get("name") for e in tei.iter(RNG + "element") if e.get("name")})
    attributes = sorted(
        {a.get("name") for a in tei.iter(RNG + "attribute") if a.get("name") and ":" not in
         a.get("name")}
    )
    return elements, attributes


ELEMENTS, ATTRIBUTES = _tei_all_vocabulary()


@st.composite
def mutated(draw: st.DrawFn, base: bytes) -> bytes:
    root = etree.fromstring(base)
    nodes = [e for e in root.iter() if isinstance(e.tag, str)]
    for _ in range(draw(st.integers(1, 3))):
        target = draw(st.sampled_from(nodes))
        kind = draw(st.sampled_from(["element", "attribute", "move", "value"]))
        if kind == "element":
            el = etree.Element(f"{{{TEI_NS}}}{draw(st.sampled_from(ELEMENTS))}")
            target.insert(draw(st.integers(0, len(target))), el)
        elif kind == "attribute":
            target.set(draw(st.sampled_from(ATTRIBUTES)), draw(st.sampled_from(["1", "x", "a b"])))
        elif kind == "move" and target.getparent() is not None:
            other = draw(st.sampled_from(nodes))
            if target not in other.iterancestors() and other is not target:
                other.append(target)
        elif target.attrib:
            key = draw(st.sampled_from(sorted(target.attrib)))
            target.set(key, draw(st.sampled_from(["", "x y", "main", "#nowhere"])))
    return etree.tostring(root)


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_mutations_rejected_by_tei_all_are_rejected_by_ours(
    data: st.DataObject, edition: bytes, tei_all: etree.RelaxNG
) -> None:
    bad = data.draw(mutated(edition))
    try:
        etree.fromstring(bad)
    except etree.XMLSyntaxError:  # e.g. xml:id="" : not even well-formed, both refuse it
        return
    if not tei_all_ok(tei_all, bad):
        # the RELAX NG alone, without the Schematron: the subset holds for the grammar
        assert not validate.project_rng().validate(etree.ElementTree(etree.fromstring(bad)))


# ---------- validate: default schema, one process, positions ----------


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsarchive", *args], capture_output=True, text=True, cwd=ROOT
    )


def test_validate_cli_batch_names_the_schema_and_positions(tmp_path: Path, edition: bytes) -> None:
    good = tmp_path / "good.tei.xml"
    good.write_bytes(edition)
    bad = tmp_path / "bad.tei.xml"
    bad.write_bytes(
        _mutate(_mutate(edition, b"<titleStmt>", b"<titleStmt><bogus/>"), rb"<p(?=[ >])",
                b'<p foo="1"')
    )
    run = _cli("validate", str(good), str(bad))
    assert run.returncode == 1
    assert "schema: newsarchive.rng + newsarchive.sch (ODD customisation" in run.stdout
    assert f"{good}: valid" in run.stdout and "1 of 2 valid" in run.stdout
    errors = run.stderr.strip().splitlines()
    assert errors and all(re.match(rf"^{re.escape(str(bad))}:\d+:\d+: ", e) for e in errors)
    line = next(i for i, s in enumerate(bad.read_text().splitlines(), 1) if "<bogus/>" in s)
    col = bad.read_text().splitlines()[line - 1].index("<bogus/>") + 1
    assert any(e.startswith(f"{bad}:{line}:{col}: ") and "bogus" in e for e in errors), errors
    assert any('foo' in e for e in errors), errors


@pytest.mark.skipif(shutil.which("jing") is None, reason="jing not installed")
def test_validate_tei_all_one_jing_run_for_the_batch(tmp_path: Path, edition: bytes) -> None:
    files = []
    for i in range(3):
        path = tmp_path / f"e{i}.tei.xml"
        path.write_bytes(edition if i else _mutate(edition, b"<titleStmt>", b"<titleStmt><x/>"))
        files.append(path)
    hostile = tmp_path / "lol.tei.xml"
    hostile.write_bytes(b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY a "b">]><TEI/>')
    results = validate.validate_files([*files, hostile], tei_all=True)
    assert [bool(results[str(f)]) for f in files] == [True, False, False]
    assert any(p.message.startswith("tei_all: ") and p.col > 0 for p in results[str(files[0])])
    assert len(results[str(hostile)]) == 1 and "DOCTYPE" in results[str(hostile)][0].message
    run = _cli("validate", "--tei-all", *map(str, files))
    assert "and tei_all.rng" in run.stdout and "2 of 3 valid" in run.stdout
