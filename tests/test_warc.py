"""Web archives: every HTML response of a WARC is an input (archive built at test time)."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from lxml import etree
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsarchive.batch import collect_inputs
from newsarchive.options import Options
from newsarchive.pipeline import normalize_bytes, normalize_file, render
from newsarchive.readers.warc import iter_records, list_records

ROOT = Path(__file__).resolve().parent.parent
EVAL_HTML = ROOT.parent / "shared" / "eval" / "html"
TEI = "{http://www.tei-c.org/ns/1.0}"


def write_warc(path: Path, pages: list[tuple[str, bytes]], *, extra: bool = True) -> None:
    """A WARC as a crawler writes it: request/response pairs, plus a non-HTML response."""
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=path.name.endswith(".gz"))
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))
        for uri, body in pages:
            headers = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            record = writer.create_warc_record(
                uri,
                "response",
                payload=io.BytesIO(body),
                http_headers=headers,
                warc_headers_dict={"WARC-Date": "2024-05-06T07:08:09Z"},
            )
            writer.write_record(record)
        if extra:
            headers = StatusAndHeaders("200 OK", [("Content-Type", "image/png")], "HTTP/1.1")
            writer.write_record(
                writer.create_warc_record(
                    "https://example.cn/a.png",
                    "response",
                    payload=io.BytesIO(b"\x89PNG...."),
                    http_headers=headers,
                )
            )


def body_of(article) -> bytes:  # type: ignore[no-untyped-def]
    tei = etree.fromstring(render(article, "tei", Options()))
    return etree.tostring(tei.find(f"{TEI}text"))


def test_each_record_converts_like_its_html_file(tmp_path: Path) -> None:
    # Never skipped: CI has ../shared beside the checkout, as the eval gate requires.
    assert EVAL_HTML.is_dir(), f"the evaluation corpus is missing: {EVAL_HTML}"
    pages = sorted(EVAL_HTML.glob("*.html"))
    assert pages
    warc = tmp_path / "crawl.warc.gz"
    write_warc(warc, [(f"https://example.cn/{p.stem}", p.read_bytes()) for p in pages])
    records = list(iter_records(warc))
    assert len(records) == len(pages)  # the PNG response is not an input
    for page, record in zip(pages, records, strict=True):
        from_file = normalize_file(page)
        from_record = normalize_bytes(record.payload, page.name, Options())
        assert [body_of(a) for a in from_record] == [body_of(a) for a in from_file], page.name
        assert record.uri == f"https://example.cn/{page.stem}"
        assert record.payload == page.read_bytes()  # byte for byte


PAGE = """<html><head><meta charset="utf-8"><title>{t}_示例网</title></head><body>
<h1>{t}</h1><p>本报讯 记者从市交通局获悉，今年全市将新建公交线路十二条，优化调整线路三十条，
方便市民出行。</p><p>据介绍，新线路将重点覆盖新建住宅小区和产业园区，高峰时段发车间隔不超过十分钟。</p>
</body></html>"""


def make_pages(n: int) -> list[tuple[str, bytes]]:
    return [
        (f"https://example.cn/n{i}.html", PAGE.format(t=f"公交线路调整第{i}批").encode())
        for i in range(n)
    ]


def test_record_metadata_uri_and_capture(tmp_path: Path) -> None:
    warc = tmp_path / "a.warc"
    write_warc(warc, make_pages(2))
    articles = normalize_file(warc)
    assert [a.metadata.url for a in articles] == [
        "https://example.cn/n0.html",
        "https://example.cn/n1.html",
    ]
    assert any(
        e.rule == "warc.capture" and e.text.startswith("2024-05-06") for e in articles[0].provenance
    )


def test_batch_reports_per_record(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    write_warc(src / "crawl.warc.gz", make_pages(3))
    (src / "notes.json").write_text("{}")
    out, report = tmp_path / "out", tmp_path / "report.jsonl"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "newsarchive",
            "convert",
            str(src),
            "-r",
            "-o",
            str(out),
            "--to",
            "tei",
            "--report",
            str(report),
            "--jobs",
            "1",
        ],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin"},
    )
    assert run.returncode == 0, run.stderr
    assert "notes.json: skipped" in run.stderr
    lines = [json.loads(x) for x in report.read_text().splitlines() if x.strip()]
    assert len(lines) == 3 and all(x["status"] == "converted" for x in lines)
    assert len(list(out.rglob("*.tei.xml"))) == 3


def test_folder_walk_picks_inputs_by_type(tmp_path: Path) -> None:
    for name in ("a.txt", "b.html", "c.htm", "d.xhtml", "e.tei.xml", "f.json", "g.csv"):
        (tmp_path / name).write_text("x")
    inputs, notes = collect_inputs([str(tmp_path)], recursive=True)
    assert sorted(Path(i.path).name for i in inputs) == [
        "a.txt",
        "b.html",
        "c.htm",
        "d.xhtml",
        "e.tei.xml",
    ]
    assert len([n for n in notes if "skipped (not an input type" in n]) == 2


def test_streaming_memory_is_flat(tmp_path: Path) -> None:
    warc = tmp_path / "big.warc.gz"
    write_warc(warc, make_pages(1000), extra=False)
    assert len(list_records(warc)) == 1000
    tracemalloc.start()
    count = sum(1 for _ in iter_records(warc))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == 1000
    assert peak < 5 * 1024 * 1024  # one record at a time, not the archive (~1 MB of pages)


def test_not_a_warc_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.warc.gz"
    bad.write_bytes(gzip.compress(b"this is not a web archive\n" * 10))
    from newsarchive.errors import InputError

    with pytest.raises(InputError, match="WARC"):
        normalize_file(bad)


def test_dask_executor_keeps_each_record(tmp_path: Path) -> None:
    """Workers get absolute paths; each record keeps its offset and index on the way."""
    distributed = pytest.importorskip("distributed")
    warc = tmp_path / "crawl.warc.gz"
    write_warc(warc, make_pages(3))
    outputs = {}
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        for executor in ("local", "dask"):
            args = [sys.executable, "-m", "newsarchive", "convert", str(warc), "-o",
                    str(tmp_path / executor), "--to", "tei", "-j", "1", "--json"]
            if executor == "dask":
                args += ["--executor", "dask", "--scheduler", cluster.scheduler_address]
            run = subprocess.run(args, capture_output=True, text=True, timeout=300,
                                 env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin"})
            assert run.returncode == 0, run.stderr
            assert json.loads(run.stdout)["converted"] == 3
            outputs[executor] = {p.relative_to(tmp_path / executor): p.read_bytes()
                                 for p in sorted((tmp_path / executor).rglob("*.tei.xml"))}
    assert len(outputs["local"]) == 3
    assert outputs["dask"] == outputs["local"]
