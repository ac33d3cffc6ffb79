"""The archive keeps exactly what convert made (issue #12, "must show"): from an empty root,
`convert -r seeds -o out`, `review -r seeds`, `archive deposit out/`; the archived bytes are
out/'s; depositing out/ again, the seeds again or a copy of a seed under another name adds
no version; a corrected TEI makes v2 and survives a later deposit of the scrape."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from ocfl import StorageRoot

from newsarchive.archive.record import PROVENANCE
from newsarchive.archive.store import Root, load_object

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
FIRST = SEEDS[1].name  # 001_…: one story


def run(cwd: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "newsarchive", *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        check=False,
    )
    if ok:
        assert done.returncode == 0, done.stderr
    return done


def objects(root: Path) -> dict[str, object]:
    return {o.id: o for o in map(load_object, Root.open(root).object_dirs())}


def inventories(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("inventory.json")}


def valid(root: Path) -> bool:
    sr = StorageRoot(root=str(root))
    sr.validate(validate_objects=True, check_digests=True, log_warnings=False)
    return sr.num_objects == sr.good_objects > 0


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working folder with seeds/ and out/ (convert's editions), converted once."""
    here = tmp_path_factory.mktemp("work")
    shutil.copytree(ROOT / "seeds", here / "seeds")
    run(here, "convert", "-r", "seeds", "-o", "out")
    run(here, "review", "-r", "seeds", "-o", "review.html")
    return here


@pytest.fixture(scope="module")
def archived(work: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("arch") / "root"
    done = run(work, "archive", "deposit", "out/", "--root", str(root))
    assert "Traceback" not in done.stderr
    return root


@pytest.fixture
def root(archived: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "root"
    shutil.copytree(archived, copy)
    return copy


def test_deposit_of_out_stores_its_exact_bytes(work: Path, archived: Path) -> None:
    out = work / "out"
    found = objects(archived)
    assert len(found) == 6 and valid(archived)
    stored = 0
    for obj in found.values():
        state = obj.state()
        record = json.loads(obj.read(PROVENANCE))
        assert record["basis"]["derivation"] == "converted"
        for logical in state:
            if logical.startswith("editions/"):
                assert obj.read(logical) == (out / logical.split("/", 1)[1]).read_bytes()
                stored += 1
            elif logical.startswith("source/"):
                seed = work / "seeds" / logical.split("/", 1)[1]
                assert obj.read(logical) == seed.read_bytes()
        message = obj.inventory["versions"]["v1"]["message"]
        assert "editions as newsarchive convert wrote them" in message
    assert stored == len(list(out.glob("*.tei.xml"))) * 3 == 18


def test_nothing_deposited_twice(work: Path, root: Path) -> None:
    before = inventories(root)
    again = run(work, "archive", "deposit", "out/", "--root", str(root))
    assert again.stderr.count("unchanged at v1") == 6
    seeds = run(work, "archive", "deposit", "seeds/", "--root", str(root))
    assert seeds.stderr.count("unchanged at v1") == 6
    copy = work / "renamed-copy.txt"
    shutil.copy(work / "seeds" / FIRST, copy)
    try:
        renamed = run(work, "archive", "deposit", str(copy), "--root", str(root))
    finally:
        copy.unlink()
    assert "unchanged at v1" in renamed.stderr and f"same bytes as {FIRST}" in renamed.stderr
    assert inventories(root) == before  # not one byte written


def test_one_source_under_two_names_is_one_stable_object(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    for name in ("b-copy.txt", "a-copy.txt"):
        shutil.copy(ROOT / "seeds" / FIRST, tmp_path / "in" / name)
    root = tmp_path / "root"
    run(tmp_path, "archive", "deposit", "in", "--root", str(root))
    [obj] = objects(root).values()
    record = json.loads(obj.read(PROVENANCE))
    assert record["source"]["names"] == ["a-copy.txt", "b-copy.txt"]
    assert [p for p in obj.state() if p.startswith("source/")] == ["source/a-copy.txt"]
    before = inventories(root)
    for args in (["in"], ["in/b-copy.txt"], ["in/a-copy.txt"]):
        done = run(tmp_path, "archive", "deposit", *args, "--root", str(root))
        assert "unchanged at v1" in done.stderr
    assert inventories(root) == before


def test_a_correction_sticks(work: Path, root: Path, tmp_path: Path) -> None:
    tei = work / "out" / FIRST.replace(".txt", ".tei.xml")
    obj = next(o for o in objects(root).values() if FIRST in str(o.state()))
    title = json.loads(obj.read(PROVENANCE))["metadata"]["title"]
    corrected = tmp_path / tei.name
    corrected.write_text(tei.read_text("utf-8").replace(title, "校对后的标题"), "utf-8")
    done = run(work, "archive", "deposit", str(corrected), "--root", str(root))
    assert "v2" in done.stderr
    obj = load_object(obj.path)
    assert obj.head == "v2" and obj.read(f"corrections/{tei.name}") == corrected.read_bytes()
    assert "correction corrections/" in obj.inventory["versions"]["v2"]["message"]
    assert "校对后的标题" in obj.read(f"editions/{tei.name}").decode()
    # The scrape, or convert's out/ (made before the correction), do not undo it.
    for again in (["seeds/"], ["out/"], [f"seeds/{FIRST}"]):
        kept = run(work, "archive", "deposit", *again, "--root", str(root))
        assert "kept the hand correction of v2; --rerender" in kept.stderr
        assert load_object(obj.path).head == "v2"
    # Only an explicit --rerender goes back to the scrape, and says so.
    back = run(work, "archive", "deposit", f"seeds/{FIRST}", "--rerender", "--root", str(root))
    assert "v3" in back.stderr
    obj = load_object(obj.path)
    assert "re-rendered from the scrape (--rerender)" in obj.inventory["versions"]["v3"]["message"]
    assert "校对后的标题" not in obj.read(f"editions/{tei.name}").decode()
    assert valid(root)


def test_moved_source_is_named_and_can_be_given(work: Path, tmp_path: Path) -> None:
    here = tmp_path / "w"
    (here / "scrape").mkdir(parents=True)
    shutil.copy(ROOT / "seeds" / FIRST, here / "scrape" / FIRST)
    run(here, "convert", "scrape/" + FIRST, "-o", "out")
    shutil.move(here / "scrape", here / "moved")
    root = tmp_path / "root"
    missing = run(here, "archive", "deposit", "out", "--root", str(root), ok=False)
    assert missing.returncode == 3
    [line] = missing.stderr.splitlines()
    assert line.startswith(f"out/{FIRST.replace('.txt', '.tei.xml')}: its scraped source ")
    assert f"scrape/{FIRST}" in line and "--source" in line
    assert not root.exists() or not list(Root.open(root).object_dirs())
    given = run(here, "archive", "deposit", "out", "--source", "moved", "--root", str(root))
    assert "v1 deposited" in given.stderr
    [obj] = objects(root).values()
    assert obj.read(f"source/{FIRST}") == (here / "moved" / FIRST).read_bytes()


def test_convert_deposit_archives_what_it_wrote(tmp_path: Path) -> None:
    here = tmp_path / "w"
    (here / "seeds").mkdir(parents=True)
    shutil.copy(ROOT / "seeds" / FIRST, here / "seeds" / FIRST)
    root = tmp_path / "root"
    run(here, "convert", "seeds/" + FIRST, "-o", "out", "--deposit", "--root", str(root))
    [obj] = objects(root).values()
    for logical in obj.state():
        if logical.startswith("editions/"):
            assert obj.read(logical) == (here / "out" / logical.split("/", 1)[1]).read_bytes()
    # Re-running the batch with --deposit is what archivists do: nothing new.
    again = run(here, "convert", "seeds/" + FIRST, "-o", "out", "--deposit", "--root", str(root))
    assert "unchanged at v1" in again.stderr and load_object(obj.path).head == "v1"


def test_ctrl_c_finishes_the_object_in_hand_and_says_what_was_deposited(tmp_path: Path) -> None:
    """SIGINT while an object is staged: it is published (not cut), the batch stops, the
    summary says what was deposited, exit 130; the root is valid with no leftovers."""
    root = tmp_path / "root"
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsarchive", "archive", "deposit", "seeds", "--root", str(root)],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), "NEWSARCHIVE_DEPOSIT_PAUSE": "2"},
    )
    assert proc.stderr is not None
    lines = []
    try:
        for line in proc.stderr:
            lines.append(line)
            if "staged, pausing" in line:
                proc.send_signal(signal.SIGINT)
                break
        lines += proc.stderr.readlines()
        assert proc.wait(timeout=120) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()
    err = "".join(lines)
    assert "Traceback" not in err
    assert "v1 deposited" in err and "interrupted: 1 article(s) deposited" in err
    assert len(objects(root)) == 1 and valid(root)
    assert not Root.open(root).staging_leftovers()


def _page(title: str, paragraphs: list[str]) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><title>{title}</title>"
        f"</head><body><article><h1>{title}</h1>{body}</article></body></html>"
    ).encode()


def test_web_archive_records_keep_their_payload_as_the_source(tmp_path: Path) -> None:
    """Issue #11: each HTML response of a WARC is an object whose source is the record's
    payload, byte for byte; through `archive deposit x.warc.gz` and `convert --deposit`."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    lines = [line.strip() for line in SEEDS[1].read_text("utf-8").splitlines() if len(line) > 40]
    pages = [
        ("https://example.cn/a.html", _page("第一篇报道的标题", lines[:4])),
        ("https://example.cn/b.html", _page("第二篇报道的标题", lines[4:8])),
    ]
    warc = tmp_path / "crawl.warc.gz"
    with warc.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for uri, body in pages:
            headers = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            writer.write_record(
                writer.create_warc_record(
                    uri, "response", payload=io.BytesIO(body), http_headers=headers
                )
            )
    payloads = {hashlib.sha256(body).hexdigest(): body for _, body in pages}
    for how in ("deposit", "convert"):
        root = tmp_path / f"root-{how}"
        if how == "deposit":
            run(tmp_path, "archive", "deposit", warc.name, "--root", str(root))
        else:
            run(tmp_path, "convert", warc.name, "-o", "out", "--deposit", "--root", str(root))
        found = objects(root)
        assert len(found) == 2 and valid(root)
        for obj in found.values():
            [source] = [p for p in obj.state() if p.startswith("source/")]
            data = obj.read(source)
            assert payloads[hashlib.sha256(data).hexdigest()] == data  # byte for byte
            record = json.loads(obj.read(PROVENANCE))
            assert record["metadata"]["url"] in {uri for uri, _ in pages}
            if how == "convert":
                for logical in obj.state():
                    if logical.startswith("editions/"):
                        name = logical.split("/", 1)[1]
                        [written] = (tmp_path / "out").rglob(name)  # out/crawl/… per WARC
                        assert obj.read(logical) == written.read_bytes()
        before = inventories(root)
        again = run(tmp_path, "archive", "deposit", warc.name, "--root", str(root))
        assert again.stderr.count("unchanged at v1") == 2 and inventories(root) == before
