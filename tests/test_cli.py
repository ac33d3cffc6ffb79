"""CLI transcripts: command, input, expected output and exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from newsarchive import __version__

ROOT = Path(__file__).resolve().parent.parent
SEED_004 = ROOT / "seeds" / "004_7463d6c868df6b1f.txt"


def cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "newsarchive", *args], input=stdin,
                          capture_output=True, cwd=ROOT, timeout=300)


def test_version() -> None:
    run = cli("--version")
    assert run.returncode == 0 and run.stdout.decode().strip() == f"newsarchive {__version__}"


@pytest.mark.parametrize("command", ["convert", "normalize", "validate", "review", "archive"])
def test_help_on_every_command(command: str) -> None:
    run = cli(command, "--help")
    assert run.returncode == 0 and b"Usage" in run.stdout


def test_usage_error_exits_2() -> None:
    assert cli("convert", "--to", "odt", str(SEED_004)).returncode == 2
    assert cli("convert", "--no-such-option").returncode == 2
    assert cli("validate").returncode == 2


def test_normalize_prints_the_article() -> None:
    run = cli("normalize", str(SEED_004))
    text = run.stdout.decode()
    assert run.returncode == 0
    assert text.startswith("四川省广安市：\n\n实施“新兴甯州”行动 推动两新党建提质\n\n去年以来，")
    assert "## 提质“两个覆盖” 将空白点变为实点" in text
    assert "[图] 广安经济技术开发区举行党史学习教育“送学上门”启动仪式。" in text
    assert "■" not in text and "郭文治" not in text


def test_normalize_reads_stdin_and_edits_shows_located_edits() -> None:
    run = cli("normalize", "--edits", "-", stdin=SEED_004.read_bytes())
    lines = run.stdout.decode().splitlines()
    assert run.returncode == 0
    assert any(line.strip().startswith("L7 credits/credit.byline metadata") for line in lines)
    assert any("segment/join.broken-line join" in line for line in lines)
    assert any("title/title.kicker" in line for line in lines)


def test_sidecar_metadata_overrides(tmp_path: Path) -> None:
    sidecar = tmp_path / "meta.json"
    sidecar.write_text(json.dumps({SEED_004.name: {
        "date": "2022-01-12", "url": "https://example.org/a", "licence": "CC BY 4.0"}}), "utf-8")
    out = tmp_path / "out"
    run = cli("convert", "--to", "tei", "--metadata", str(sidecar), "-o", str(out), str(SEED_004))
    assert run.returncode == 0, run.stderr
    tei = (out / "004_7463d6c868df6b1f.tei.xml").read_text("utf-8")
    assert 'when="2022-01-12"' in tei and "https://example.org/a" in tei and "CC BY 4.0" in tei


def test_validate_valid_invalid_and_located(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli("convert", "--to", "tei", "-o", str(out), str(SEED_004)).returncode == 0
    good = out / "004_7463d6c868df6b1f.tei.xml"
    run = cli("validate", str(good))
    assert run.returncode == 0 and b"valid" in run.stdout
    broken = tmp_path / "broken.tei.xml"
    lines = good.read_text("utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, 1) if "<body>" in line) + 1
    lines.insert(number - 1, "<bogus>an element TEI does not have</bogus>")
    broken.write_text("\n".join(lines), "utf-8")
    run = cli("validate", str(broken))
    assert run.returncode == 1
    message = run.stderr.decode().splitlines()[0]
    assert message.startswith(f"{broken}:{number}:")


def test_tei_input_renders_docx_and_pdf(tmp_path: Path) -> None:
    """An archivist's corrected TEI goes back through convert to the other editions."""
    first = tmp_path / "first"
    assert cli("convert", "--to", "tei", "-o", str(first), str(SEED_004)).returncode == 0
    tei = first / "004_7463d6c868df6b1f.tei.xml"
    corrected = tmp_path / "corrected.tei.xml"
    corrected.write_text(tei.read_text("utf-8").replace("去年以来", "二〇二一年以来"), "utf-8")
    second = tmp_path / "second"
    run = cli("convert", "--to", "docx,pdf", "-o", str(second), str(corrected))
    assert run.returncode == 0, run.stderr
    pdf = subprocess.run(["pdftotext", str(second / "corrected.pdf"), "-"], capture_output=True,
                         check=True).stdout.decode()
    assert "二〇二一年以来" in pdf.replace("\n", "")


def test_convert_review_page_and_size_guard(tmp_path: Path) -> None:
    out = tmp_path / "out"
    page = tmp_path / "review.html"
    big = ROOT / "seeds" / "000_8a8d1d953e3f51ef.txt"  # 17.9 kB: over a 0.015 MB guard
    run = cli("convert", "--to", "tei", "--max-size", "0.015", "--review", str(page), "-o",
              str(out), str(SEED_004), str(big))
    assert run.returncode == 1
    assert f"{big}: file too large" in run.stderr.decode()
    index = page.read_text("utf-8")
    html = "".join(p.read_text("utf-8") for p in (tmp_path / "review-pages").iterdir())
    assert "实施“新兴甯州”行动" in html and "宏伟蓝图" not in html
    assert "review-pages/00001-004_7463d6c868df6b1f.html#" in index
    assert (out / "004_7463d6c868df6b1f.tei.xml").exists()
