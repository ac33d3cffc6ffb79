"""Scaling benchmark: does every stage stay linear as one input grows? (a script, not a test)

    .venv/bin/python benchmarks/scaling.py                      # 1, 5, 20 MB + 1 M paragraphs
    .venv/bin/python benchmarks/scaling.py --sizes 1 2 --paragraphs 100000   # a quick look

For each input, one real ``newsarchive convert`` (all three editions, in-process worker,
``--jobs 1``) in a fresh process; wall time, CPU time (user + system: what a shared machine
disturbs least) and the peak RSS of that process (``wait4``); each run is stopped after
``--timeout`` seconds. The 1 M-paragraph TEI is over the default size guard (20 MB): it is
also given to ``convert`` without ``--max-size``, to time the refusal.
Inputs, made from the seeds' own text so every character has a glyph:

* many lines: the seeds' text hard-wrapped at 12-20 characters (what a PDF copy gives);
* one long line: the seeds' Han characters with the punctuation taken out, no newline at
  all (the worst case for the punctuation step's protected spans);
* a foreign TEI with N ``<p>`` (``--max-size`` raised for it: 1 M paragraphs is ~40 MB),
  also given to ``validate``.

Linear means seconds/MB (and RSS/MB) stay flat from the smallest input to the largest.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
MB = 1024 * 1024


def _seed_text() -> str:
    return "\n".join(p.read_text("utf-8") for p in SEEDS)


def many_lines(size: int) -> bytes:
    text = re.sub(r"\s+", "", _seed_text())
    out: list[str] = []
    n = i = width = 0
    while n < size:
        width = 12 + (i * 7) % 9
        line = (text * 2)[(i * 13) % len(text):][:width]
        out.append(line)
        n += len(line.encode()) + 1
        i += 1
    return "\n".join(out).encode()


def long_line(size: int) -> bytes:
    han = "".join(re.findall(r"[\u4e00-\u9fff]", _seed_text()))
    reps = size // len(han.encode()) + 1
    return (han * reps).encode()[: size // 3 * 3]


def tei(paragraphs: int) -> bytes:
    head = ('<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt>'
            "<title>长文</title></titleStmt><publicationStmt><p>x</p></publicationStmt>"
            "<sourceDesc><p>x</p></sourceDesc></fileDesc></teiHeader><text><body>\n")
    body = "".join(f"<p>这是第{i}段，内容完整。</p>\n" for i in range(paragraphs))
    return (head + body + "</body></text></TEI>\n").encode()


def measure(args: list[str], cwd: Path, timeout: float = 1800) -> tuple[float, float, float, int]:
    """(wall seconds, CPU seconds, peak RSS in MB, exit code) of one CLI run in a fresh
    process (exit -9: stopped at ``timeout``)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "newsarchive", *args], cwd=cwd, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    timer = threading.Timer(timeout, process.kill)  # wait4 must reap it: no communicate()
    timer.start()
    err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    timer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    if process.returncode:
        print(f"  exit {process.returncode}: {err.decode(errors='replace')[-300:]}", flush=True)
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, process.returncode


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=float, nargs="+", default=[1, 5, 20], help="MB")
    parser.add_argument("--paragraphs", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--kinds", nargs="+", default=["lines", "long", "tei"])
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per run")
    options = parser.parse_args()
    print("| run | size | wall s | CPU s | CPU s/MB | peak RSS MB | exit |", flush=True)
    print("|---|---:|---:|---:|---:|---:|---:|", flush=True)

    def row(label: str, mb: float, run: tuple[float, float, float, int]) -> None:
        wall, cpu, rss, code = run
        print(f"| {label} | {mb:.1f} MB | {wall:.1f} | {cpu:.1f} | {cpu / mb:.1f} | {rss:.0f} "
              f"| {code} |", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        jobs: list[tuple[str, str, bytes]] = []
        for kind, make in (("lines", many_lines), ("long", long_line)):
            if kind in options.kinds:
                jobs += [(f"{kind}-{mb:g}mb.txt", f"{kind}, {mb:g} MB", make(int(mb * MB)))
                         for mb in options.sizes]
        if "tei" in options.kinds:
            jobs += [(f"p{n}.tei.xml", f"TEI, {n:,} <p>", tei(n)) for n in options.paragraphs]
        for name, label, data in jobs:
            path = work / name
            path.write_bytes(data)
            mb = len(data) / MB
            convert = ["convert", "--jobs", "1", "-o", str(work / "out"), "--force", str(path)]
            if mb > 20:  # over the default guard: first the refusal, then the work
                row(f"convert {label}, default guard", mb, measure(convert, work, options.timeout))
            limit = ["--max-size", str(max(20, int(mb) + 1))]
            row(f"convert {label}", mb, measure(convert + limit, work, options.timeout))
            if name.endswith(".tei.xml"):
                row(f"validate {label}", mb, measure(["validate", str(path)], work,
                                                     options.timeout))
            path.unlink()


if __name__ == "__main__":
    main()
