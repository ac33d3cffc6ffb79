"""veraPDF (the reference PDF/A and PDF/UA validator) over every seed's PDF at every --pdfa
level, the Traditional editions (hant, hant-tw, hant-hk) and every evaluation case at the
default level, and control files that must fail.
One JVM start validates every file (flavour 0: each file against every flavour its XMP
declares; which profiles were applied is checked too: PDF/A-xy and, from part 2 on,
PDF/UA-1)."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest
import verapdf

from newsarchive.options import DEFAULT_PDFA, PDFA_LEVELS, Options
from newsarchive.pipeline import normalize_file, output_stem, render
from newsarchive.writers.pdf import DEFAULT_FONT

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
EVAL_CASES = sorted((ROOT.parent / "shared" / "eval" / "cases").glob("*.txt"))
UA1 = "PDF/UA-1 validation profile"


def profiles(level: str) -> set[str]:
    """The validation profiles veraPDF must apply to a file written at ``level``."""
    pdfa = f"PDF/A-{level.upper()} validation profile"
    return {pdfa} if level.startswith("1") else {pdfa, UA1}

pytestmark = pytest.mark.skipif(not DEFAULT_FONT.is_file(), reason="needs fonts-arphic-uming")


@pytest.fixture(scope="module")
def editions(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, str]:
    """{PDF path: its --pdfa level} for every seed article at every level, written as
    `convert` writes them (3b with the TEI attached)."""
    verapdf.launcher()  # skip/fail before building anything
    out = tmp_path_factory.mktemp("verapdf")
    made: dict[Path, str] = {}
    for seed in SEEDS:
        for article in normalize_file(seed):
            for level in PDFA_LEVELS:
                path = out / f"{output_stem(article)}.{level}.pdf"
                path.write_bytes(render(article, "pdf", Options(pdfa=level)))
                made[path] = level
    for script in ("hant", "hant-tw", "hant-hk"):
        for seed in SEEDS:
            for article in normalize_file(seed, Options(script=script)):
                path = out / f"{output_stem(article)}.{script}.pdf"
                path.write_bytes(render(article, "pdf", Options(script=script)))
                made[path] = DEFAULT_PDFA
    return made


@pytest.fixture(scope="module")
def eval_editions(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The real pages of ../shared/eval (read here, never copied), at the default level."""
    out = tmp_path_factory.mktemp("verapdf-eval")
    made: list[Path] = []
    for case in EVAL_CASES:
        for article in normalize_file(case):
            path = out / f"{output_stem(article)}.pdf"
            path.write_bytes(render(article, "pdf", Options()))
            made.append(path)
    return made


@pytest.fixture(scope="module")
def controls(editions: dict[Path, str], tmp_path_factory: pytest.TempPathFactory
             ) -> dict[Path, str]:
    """Broken copies of a valid edition, each with the rule clause that must fail."""
    out = tmp_path_factory.mktemp("verapdf-controls")
    source = next(p for p, lvl in editions.items() if lvl == "2b")
    made: dict[Path, str] = {}
    with pikepdf.open(source) as pdf:  # no OutputIntent, device colour used: 6.2.4.3
        del pdf.Root["/OutputIntents"]
        path = out / "no-output-intent.pdf"
        pdf.save(path)
        made[path] = "6.2.4.3-"
    tagged = next(p for p, lvl in editions.items() if lvl == "2a")
    with pikepdf.open(tagged) as pdf:  # untagged, yet declared 2a and UA-1
        del pdf.Root["/StructTreeRoot"]
        del pdf.Root["/MarkInfo"]
        path = out / "untagged.pdf"
        pdf.save(path)
        made[path] = "7.1-11:"
    with pikepdf.open(source) as pdf:  # a font program removed (not embedded): 6.2.11.4.1
        for page in pdf.pages:
            for font in page.Resources.Font.values():  # Type0 fonts over a CIDFontType2
                descriptor = font.DescendantFonts[0].FontDescriptor
                if "/FontFile2" in descriptor:
                    del descriptor["/FontFile2"]
        path = out / "font-not-embedded.pdf"
        pdf.save(path)
        made[path] = "6.2.11.4.1-"
    part1 = next(p for p, lvl in editions.items() if lvl == "1b")
    with pikepdf.open(part1) as pdf:  # PDF/A-1 wants a CID font subset's CIDSet: 6.3.5-3
        for font in pdf.pages[0].Resources.Font.values():
            del font.DescendantFonts[0].FontDescriptor["/CIDSet"]
        path = out / "no-cidset.pdf"
        pdf.save(path)
        made[path] = "6.3.5-3:"
    with pikepdf.open(source) as pdf:  # a CIDSet (optional at 2b) missing CIDs: 6.2.11.4.2
        for font in pdf.pages[0].Resources.Font.values():
            descriptor = font.DescendantFonts[0].FontDescriptor
            descriptor.CIDSet = pdf.make_stream(b"\xff")
        path = out / "short-cidset.pdf"
        pdf.save(path)
        made[path] = "6.2.11.4.2-2:"
    return made


@pytest.fixture(scope="module")
def results(editions: dict[Path, str], controls: dict[Path, str], eval_editions: list[Path]
            ) -> dict[Path, verapdf.FileResult]:
    return verapdf.validate([*editions, *controls, *eval_editions])


def test_every_seed_compliant_at_every_level(editions: dict[Path, str],
                                             results: dict[Path, verapdf.FileResult]) -> None:
    assert set(editions.values()) == set(PDFA_LEVELS)
    assert len(editions) >= len(SEEDS) * len(PDFA_LEVELS)
    bad = {p.name: results[p].failures() for p in editions if not results[p].compliant()}
    assert not bad, bad
    for path, level in editions.items():
        assert results[path].profiles() == profiles(level), (path.name, level)


def test_every_eval_case_compliant(eval_editions: list[Path],
                                   results: dict[Path, verapdf.FileResult]) -> None:
    if not EVAL_CASES:
        pytest.skip("../shared/eval/cases not present")
    assert len(eval_editions) >= len(EVAL_CASES)
    bad = {p.name: results[p].failures() for p in eval_editions if not results[p].compliant()}
    assert not bad, bad
    for path in eval_editions:
        assert results[path].profiles() == profiles(DEFAULT_PDFA), path.name


def test_controls_fail_on_their_rule(controls: dict[Path, str],
                                     results: dict[Path, verapdf.FileResult]) -> None:
    for path, clause in controls.items():
        res = results[path]
        assert not res.compliant(), path.name
        assert any(f.split(": ", 1)[1].startswith(clause) for f in res.failures()), (
            path.name, res.failures())
