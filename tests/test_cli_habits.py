"""CLI transcripts for the habits pandoc, ruff and pytest users bring: each test is a
command, its expected output and its exit code, run as a user would (a fresh process)."""

from __future__ import annotations

import fcntl
import itertools
import json
import os
import pty
import re
import shutil
import struct
import subprocess
import sys
import termios
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from newsarchive import __version__

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
ONE_STORY = ROOT / "seeds" / "004_7463d6c868df6b1f.txt"
TWO_STORIES = ROOT / "seeds" / "003_870fa4bf9c956fbc.txt"
TEI_NS = "{http://www.tei-c.org/ns/1.0}"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def env(**extra: str) -> dict[str, str]:
    values = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "80", **extra}
    values.pop("NO_COLOR", None)
    return values


def cli(
    *args: str, cwd: Path, stdin: bytes | None = None, **extra: str
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "newsarchive", *args],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        env=env(XDG_CONFIG_HOME=str(cwd / "xdg"), **extra),
        timeout=300,
    )


def in_pty(*args: str, cwd: Path, columns: int = 80) -> str:
    """Run a command with stdout and stderr on a pseudo-terminal of ``columns`` columns;
    return everything it drew, ANSI codes removed."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsarchive", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=cwd,
        env=env(XDG_CONFIG_HOME=str(cwd / "xdg"), COLUMNS=str(columns), TERM="xterm"),
    )
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    assert proc.wait(timeout=300) == 0, out.decode(errors="replace")
    return out.decode("utf-8", errors="replace")


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A folder with a tree of inputs: in/a.txt, in/sub/b.txt."""
    (tmp_path / "in" / "sub").mkdir(parents=True)
    shutil.copy(ONE_STORY, tmp_path / "in" / "a.txt")
    shutil.copy(SEEDS[1], tmp_path / "in" / "sub" / "b.txt")
    return tmp_path


def test_a_folder_is_walked_without_r(work: Path) -> None:
    run = cli("convert", "in", "-o", "out", "--to", "tei", "-j", "1", cwd=work)
    assert run.returncode == 0, run.stderr
    assert (work / "out" / "a.tei.xml").is_file()
    assert (work / "out" / "sub" / "b.tei.xml").is_file()
    assert "converted 2 input(s)" in run.stderr.decode()
    assert b"-r" not in run.stderr


def test_o_names_one_edition_file_with_its_format(work: Path) -> None:
    run = cli("convert", "in/a.txt", "-o", "a.pdf", cwd=work)
    assert run.returncode == 0, run.stderr
    assert run.stderr.decode().strip() == "in/a.txt: 1 article(s) -> a.pdf"
    assert (work / "a.pdf").is_file() and (work / "a.pdf").read_bytes().startswith(b"%PDF-")
    text = subprocess.run(
        ["pdftotext", str(work / "a.pdf"), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "推动两新党建提质" in text
    assert not (work / "output").exists()  # nothing else written

    run = cli("convert", "in/a.txt", "-o", "a.docx", cwd=work)
    assert run.returncode == 0, run.stderr
    assert "word/document.xml" in zipfile.ZipFile(work / "a.docx").namelist()

    run = cli("convert", "in/a.txt", "-o", "a.tei.xml", cwd=work)
    assert run.returncode == 0, run.stderr
    assert etree.parse(str(work / "a.tei.xml")).getroot().tag == TEI_NS + "TEI"


def test_o_file_refuses_what_it_cannot_be(work: Path) -> None:
    run = cli("convert", "in/a.txt", "-o", "a.pdf", "--to", "tei", cwd=work)
    assert run.returncode == 2
    assert run.stderr.decode().strip() == (
        "newsarchive: -o a.pdf is pdf, but --to asks for tei"
    )
    run = cli("convert", "in", "-o", "a.pdf", cwd=work)
    assert run.returncode == 2
    assert "one output file needs one input file; name a folder" in run.stderr.decode()
    assert not (work / "a.pdf").exists()


def test_o_an_existing_file_is_overwritten_in_the_format_asked(work: Path) -> None:
    (work / "notes").write_text("old")
    run = cli("convert", "in/a.txt", "-o", "notes", "--to", "tei", cwd=work)
    assert run.returncode == 0, run.stderr
    assert etree.parse(str(work / "notes")).getroot().tag == TEI_NS + "TEI"


def test_o_dash_or_no_o_writes_tei_to_stdout(work: Path) -> None:
    dash = cli("convert", "in/a.txt", "-o", "-", cwd=work)
    assert dash.returncode == 0, dash.stderr
    assert etree.fromstring(dash.stdout).tag == TEI_NS + "TEI"
    bare = cli("convert", "in/a.txt", "--to", "tei", cwd=work)
    assert bare.returncode == 0 and bare.stdout == dash.stdout
    assert not (work / "output").exists() and not (work / "-").exists()
    piped = cli("convert", "-", "-t", "tei", cwd=work, stdin=ONE_STORY.read_bytes())
    assert piped.returncode == 0 and etree.fromstring(piped.stdout).tag == TEI_NS + "TEI"
    # A binary edition goes to stdout only when it is not a terminal (here: a pipe).
    pdf = cli("convert", "in/a.txt", "-o", "-", "--to", "pdf", cwd=work)
    assert pdf.returncode == 0 and pdf.stdout.startswith(b"%PDF-")


def test_two_stories_to_stdout_say_what_to_do(work: Path) -> None:
    run = cli("convert", str(TWO_STORIES), "--to", "tei", cwd=work)
    assert run.returncode == 3 and run.stdout == b""
    assert run.stderr.decode().strip() == (
        f"{TWO_STORIES}: a page of 2 stories, so 2 editions: give -o a folder, "
        "or -o NAME.tei.xml for NAME-1, NAME-2…"
    )
    run = cli("convert", str(TWO_STORIES), "-o", "page.tei.xml", cwd=work)
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in work.glob("page*")) == ["page-1.tei.xml", "page-2.tei.xml"]


def test_a_narrower_to_keeps_the_other_editions_and_says_so(work: Path) -> None:
    (work / "in" / "sub" / "b.txt").unlink()
    assert cli("convert", "in", "-o", "out", "-j", "1", cwd=work).returncode == 0
    names = {"a.tei.xml", "a.docx", "a.pdf"}
    assert {p.name for p in (work / "out").iterdir() if not p.name.startswith(".")} == names
    run = cli("convert", "in", "-o", "out", "--to", "tei", "-j", "1", cwd=work)
    assert run.returncode == 0, run.stderr
    assert {p.name for p in (work / "out").iterdir() if not p.name.startswith(".")} == names
    assert (
        "kept 2 earlier edition(s) in formats not asked for this time (docx, pdf); "
        "they were not updated"
    ) in run.stderr.decode()


def test_normalize_diff_prints_hunks_with_changed_characters_marked(work: Path) -> None:
    (work / "g.txt").write_text(
        "今天的新闻\n\n记者收到一份重要的報(bào)告(gào),内容很长,大家都很关心这件事情的进展。\n",
        encoding="utf-8",
    )
    run = cli("normalize", "--diff", "g.txt", cwd=work)
    assert run.returncode == 0, run.stderr
    assert run.stdout.decode() == (
        "--- g.txt\n"
        "+++ g.txt (normalised)\n"
        "@@ -1,3 +1,3 @@\n"
        " 今天的新闻\n"
        " \n"
        "-记者收到一份重要的報[-(bào)-]告[-(gào),-]内容很长[-,-]大家都很关心这件事情的进展。\n"
        "+记者收到一份重要的報告{+，+}内容很长{+，+}大家都很关心这件事情的进展。\n"
    )
    coloured = cli("normalize", "--diff", "--color", "always", "g.txt", cwd=work).stdout.decode()
    assert "\x1b[31m-" in coloured and "\x1b[7m(bào)\x1b[27m" in coloured
    assert ANSI.sub("", coloured).count("[-") == 0  # colour instead of marks, not both


def test_normalize_diff_is_coloured_on_a_terminal_only(work: Path) -> None:
    drawn = in_pty("normalize", "--diff", "in/a.txt", cwd=work)
    assert "\x1b[7m" in drawn and "\x1b[32m+" in drawn
    piped = cli("normalize", "--diff", "in/a.txt", cwd=work)
    assert b"\x1b[" not in piped.stdout and piped.stdout.startswith(b"--- in/a.txt\n")


def test_normalize_several_inputs_stories_and_json(work: Path) -> None:
    shutil.copy(TWO_STORIES, work / "in" / "c.txt")
    run = cli("normalize", "in/a.txt", "in/c.txt", cwd=work)
    assert run.returncode == 0, run.stderr
    text = run.stdout.decode()
    assert text.startswith("==> in/a.txt <==\n四川省广安市：\n")
    assert "\n\n==> in/c.txt <==\n--- story 1 of 2 ---\n" in text
    assert text.count("--- story 2 of 2 ---") == 1
    data = json.loads(cli("normalize", "--json", "in", cwd=work).stdout)
    assert [(d["input"], len(d["articles"])) for d in data] == [
        ("in/a.txt", 1), ("in/c.txt", 2), ("in/sub/b.txt", 1)
    ]
    first = data[0]["articles"][0]
    assert first["metadata"]["title"] == "实施“新兴甯州”行动 推动两新党建提质"
    assert any(e["step"] == "credits" for e in first["edits"])


def test_metadata_sidecar_warns_about_unknown_columns_and_names(work: Path) -> None:
    (work / "m.csv").write_text("file,titel,date\na.txt,新标题,2024-01-02\nnosuch.txt,x,\n")
    run = cli("convert", "in/a.txt", "-o", "out", "--to", "tei", "--metadata", "m.csv", cwd=work)
    assert run.returncode == 0, run.stderr
    err = run.stderr.decode().splitlines()
    assert "m.csv: unknown column 'titel' (did you mean 'title'?), ignored" in err
    assert "m.csv: 1 row(s) match no input file: nosuch.txt" in err
    tei = (work / "out" / "a.tei.xml").read_text(encoding="utf-8")
    assert "2024-01-02" in tei and "新标题" not in tei


def test_h_and_v(work: Path) -> None:
    run = cli("-V", cwd=work)
    assert (run.returncode, run.stdout.decode()) == (0, f"newsarchive {__version__}\n")
    assert cli("--version", cwd=work).stdout == run.stdout
    top = cli("-h", cwd=work)
    assert top.returncode == 0
    assert top.stdout.decode().startswith("Usage: newsarchive [OPTIONS] COMMAND [ARGS]...\n")
    sub = cli("convert", "-h", cwd=work)
    assert sub.returncode == 0
    assert sub.stdout.decode().startswith("Usage: newsarchive convert [OPTIONS] PATH...\n")


def test_flags_of_other_tools_suggest_ours(work: Path) -> None:
    run = cli("convert", "in/a.txt", "--format", "tei", cwd=work)
    assert run.returncode == 2
    assert "Error: no such option: --format (did you mean --to?)" in run.stderr.decode()
    run = cli("convert", "in/a.txt", "--forse", cwd=work)
    assert run.returncode == 2
    assert "no such option: --forse (did you mean --force?)" in run.stderr.decode()


HELP_PAGES = [
    [], ["convert"], ["normalize"], ["validate"], ["review"], ["archive"],
    ["archive", "deposit"], ["archive", "verify"], ["archive", "list"], ["archive", "export"],
]


@pytest.mark.parametrize("command", HELP_PAGES, ids=lambda c: " ".join(c) or "top")
def test_help_at_80_columns(command: list[str], tmp_path: Path) -> None:
    run = cli(*command, "-h", cwd=tmp_path)
    assert run.returncode == 0
    lines = run.stdout.decode().splitlines()
    assert all(len(line) <= 80 for line in lines), [x for x in lines if len(x) > 80]
    for clutter in ("<bool>", "<list[str]>", "<str>", "<path>", "<int", "{paths}", "\\["):
        assert clutter not in run.stdout.decode()
    # Greedy wrapping (to 78: click keeps a margin of 2): a line is broken only where the
    # next word would not fit (or after a hyphen), never where the source had a line break.
    for line, after in itertools.pairwise(lines):
        indent = len(after) - len(after.lstrip())
        if not line.strip() or not after.strip() or indent < 3 or line.endswith("-"):
            continue
        if indent >= len(line) - len(line.lstrip()) and not after.lstrip().startswith("-"):
            word = after.split()[0]
            assert len(line) + 1 + len(word) > 78, f"premature break: {line!r} / {after!r}"


def test_a_bad_font_is_a_usage_error(work: Path) -> None:
    run = cli("convert", "in/a.txt", "-o", "out", "--font", "/no/such.ttf", cwd=work)
    assert run.returncode == 2
    assert run.stderr.decode().strip() == (
        "newsarchive: --font: cannot read font /no/such.ttf: No such file or directory"
    )
    run = cli("convert", "in/a.txt", "-o", "out", "--font", "in/a.txt:0", cwd=work)
    assert run.returncode == 2
    assert "--font: in/a.txt is not a TrueType/OpenType font" in run.stderr.decode()
    assert not (work / "out").exists()


def test_review_walks_a_folder(work: Path) -> None:
    run = cli("review", "in", "-o", "r.html", cwd=work)
    assert run.returncode == 0, run.stderr
    assert run.stderr.decode().strip() == (
        "reviewed 2 article(s) from 2 of 2 inputs -> r.html (pages in r-pages)"
    )
    assert len(list((work / "r-pages").glob("*.html"))) == 2


def test_progress_bar_is_readable_at_80_columns(work: Path) -> None:
    for n, seed in enumerate(SEEDS * 2):
        shutil.copy(seed, work / "in" / f"s{n}.txt")
    drawn = ANSI.sub("", in_pty("convert", "in", "-o", "out", "--to", "tei", "-j", "1", cwd=work))
    bars = [line for line in re.split(r"[\r\n]+", drawn) if "converting" in line]
    assert bars, drawn
    for bar in bars:
        assert len(bar) <= 80 and "…" not in bar, bar
        assert re.search(r"converting ━+\S* +\d+/12 files · \d+ articles", bar), bar
    assert re.search(r"12/12 files · \d+ articles · [\d.]+ files/s · ETA 0:00:00$", bars[-1])
