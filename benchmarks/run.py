"""Throughput and memory benchmark of ``newsarchive convert`` (a script, not a test).

    .venv/bin/python benchmarks/run.py              # 2,000 articles, memory at 1k and 10k
    .venv/bin/python benchmarks/run.py --n 100 --mem 200 --peer-n 50   # a quick check

Builds a synthetic corpus from seeds/ (paragraphs permuted per copy, so no two inputs are
the same file) and prints, with 1 and N workers:

* articles/s and MB/s (of input text) per stage: read+normalise, TEI+validate, DOCX, PDF;
* end to end through the real batch code (all three editions, validation, writes, state);
* peak RSS per worker after 1k and 10k articles (it must stay flat);
* the peers on the same normalised texts: pandoc (markdown -> DOCX) and LibreOffice
  headless (DOCX -> PDF, many files per call, private profile per instance), and OpenCC
  alone as the floor of the script step.

Per-stage figures with N workers: every worker runs each stage over its share of the
articles and times it; the stage's throughput is all articles / the slowest worker's time.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from newsarchive.batch import BatchSettings, Input, Result, default_jobs, run_batch, warm_up
from newsarchive.model import Article
from newsarchive.options import Options
from newsarchive.pipeline import normalize_file, render

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
FORMATS = ("tei", "docx", "pdf")
STAGES = ("read+normalise", "TEI+validate", "DOCX", "PDF")
# Lines this long are body paragraphs; shorter ones (titles, headings, captions, credits)
# keep their place so every copy still has the structure of its seed.
PARAGRAPH = 60


# --------------------------------------------------------------------------- corpus


def make_corpus(folder: Path, articles: int, seed: int = 1) -> tuple[list[Path], int]:
    """Files until they hold ``articles`` articles; returns (files, input bytes)."""
    folder.mkdir(parents=True, exist_ok=True)
    per_seed = {s: len(normalize_file(s)) for s in SEEDS}
    rng = random.Random(seed)
    files: list[Path] = []
    count = size = i = 0
    while count < articles:
        src = SEEDS[i % len(SEEDS)]
        lines = src.read_text(encoding="utf-8").split("\n")
        slots = [k for k, line in enumerate(lines) if len(line) >= PARAGRAPH]
        body = [lines[k] for k in slots]
        rng.shuffle(body)
        for k, line in zip(slots, body, strict=True):
            lines[k] = line
        if slots:  # a mark of its own, so even a one-paragraph seed differs per copy
            lines[slots[-1]] += f"（样本{i}）"
        path = folder / f"{i // 1000:03}" / f"{i:06}_{src.stem}.txt"
        path.parent.mkdir(exist_ok=True)
        data = "\n".join(lines).encode("utf-8")
        path.write_bytes(data)
        files.append(path)
        size += len(data)
        count += per_seed[src]
        i += 1
    return files, size


# --------------------------------------------------------------------------- stages


def _stage_worker(paths: list[str]) -> dict[str, Any]:
    """Each stage over a share of the corpus, timed; runs in a worker process."""
    options = Options()
    warm_up(options, FORMATS)
    times = dict.fromkeys(STAGES, 0.0)
    start = time.perf_counter()
    articles: list[Article] = []
    for p in paths:
        articles.extend(normalize_file(Path(p), options))
    times["read+normalise"] = time.perf_counter() - start
    for stage, fmt in (("TEI+validate", "tei"), ("DOCX", "docx"), ("PDF", "pdf")):
        start = time.perf_counter()
        for article in articles:
            render(article, fmt, options)
        times[stage] = time.perf_counter() - start
    return {"times": times, "articles": len(articles)}


def stage_rates(files: list[Path], workers: int) -> tuple[dict[str, float], int]:
    """Per stage: seconds of the slowest worker; and the number of articles."""
    shares = [[str(f) for f in files[k::workers]] for k in range(workers)]
    if workers == 1:
        results = [_stage_worker(shares[0])]
    else:
        with ProcessPoolExecutor(workers) as pool:
            results = list(pool.map(_stage_worker, shares))
    slowest = {s: max(r["times"][s] for r in results) for s in STAGES}
    return slowest, sum(r["articles"] for r in results)


# --------------------------------------------------------------------------- end to end


def end_to_end(
    files: list[Path], out: Path, jobs: int, checkpoints: tuple[int, ...] = ()
) -> tuple[float, int, dict[int, dict[int, float]]]:
    """The real batch path (--force, all editions). Returns (seconds, articles,
    {checkpoint: {worker pid: peak RSS MB after that many articles}})."""
    shutil.rmtree(out, ignore_errors=True)
    root = files[0].parent.parent
    inputs = [Input(str(f), f.parent.relative_to(root)) for f in files]
    settings = BatchSettings(out, FORMATS, Options(), jobs=jobs, force=True, state=False)
    peaks: dict[int, float] = {}
    marks: dict[int, dict[int, float]] = {}
    done = [0]
    pending = sorted(checkpoints)

    def seen(result: Result) -> None:
        if result.error:
            print(f"  ! {result.error}", file=sys.stderr)
        done[0] += result.articles
        peaks[result.worker] = max(peaks.get(result.worker, 0.0), result.peak_rss_mb)
        while pending and done[0] >= pending[0]:
            marks[pending.pop(0)] = dict(peaks)

    summary = run_batch(inputs, settings, seen)
    if pending:
        marks[pending[-1]] = dict(peaks)
    return summary.seconds, summary.articles, marks


# --------------------------------------------------------------------------- peers


def markdown(article: Article) -> str:
    md = article.metadata
    parts = [f"# {md.title}"] if md.title else []
    for block in article.blocks:
        if not block.text:
            continue
        parts.append(f"## {block.text}" if block.kind == "heading" else block.text)
    return "\n\n".join(parts) + "\n"


def run_parallel(commands: list[list[str]], workers: int) -> float:
    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        for proc in pool.map(
            lambda c: subprocess.run(c, capture_output=True, check=False), commands
        ):
            if proc.returncode:
                print(f"  ! {proc.args[0]}: {proc.stderr.decode()[:200]}", file=sys.stderr)
    return time.perf_counter() - start


def peers(articles: list[Article], work: Path, workers: int) -> dict[str, float]:
    """Seconds for pandoc (md -> DOCX) and LibreOffice (DOCX -> PDF) over ``articles``."""
    times: dict[str, float] = {}
    md_dir, docx_dir = work / "md", work / "docx"
    md_dir.mkdir(parents=True)
    docx_dir.mkdir()
    for i, article in enumerate(articles):
        (md_dir / f"{i:06}.md").write_text(markdown(article), encoding="utf-8")
    if shutil.which("pandoc"):
        cmds = [
            [
                "pandoc",
                "-f",
                "markdown",
                "-t",
                "docx",
                "-o",
                str(docx_dir / f"{p.stem}.docx"),
                str(p),
            ]
            for p in sorted(md_dir.iterdir())
        ]
        times["pandoc"] = run_parallel(cmds, workers)
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    docx = sorted(docx_dir.iterdir())
    if soffice and docx:
        profiles = [work / f"lo-profile-{k}" for k in range(workers)]

        def call(k: int, batch: list[Path], out: Path) -> list[str]:
            return [
                soffice,
                f"-env:UserInstallation=file://{profiles[k]}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out),
                *map(str, batch),
            ]

        # First start of a profile creates it (seconds): not what is being measured.
        run_parallel([call(k, docx[:1], work / "warm") for k in range(workers)], workers)
        chunk = 200
        batches = [docx[i : i + chunk] for i in range(0, len(docx), chunk)]
        cmds = [call(i % workers, b, work / "pdf") for i, b in enumerate(batches)]
        # One instance per profile at a time: LibreOffice locks its profile.
        groups = [[c for i, c in enumerate(cmds) if i % workers == k] for k in range(workers)]
        start = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(lambda g: [subprocess.run(c, capture_output=True) for c in g], groups))
        times["libreoffice"] = time.perf_counter() - start
        made = len(list((work / "pdf").glob("*.pdf")))
        if made != len(docx):
            print(f"  ! LibreOffice made {made} PDFs of {len(docx)}", file=sys.stderr)
    return times


def opencc_floor(articles: list[Article]) -> float:
    from newsarchive.normalize.script import converter

    texts = [a.plain_text() for a in articles]
    convert = converter("t2s").convert
    start = time.perf_counter()
    for text in texts:
        convert(text)
    return time.perf_counter() - start


# --------------------------------------------------------------------------- report


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        import psutil

        mem = f", {psutil.virtual_memory().total / 2**30:.0f} GiB RAM"
    except ImportError:
        pass
    return (
        f"{os.cpu_count()} CPUs (nproc {default_jobs()}), {model}{mem}; "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def row(name: str, articles: int, mb: float, *secs: float | None) -> str:
    cells = [f"{name:<34}"]
    for s in secs:
        if s is None or s <= 0:
            cells.append(f"{'-':>10} {'-':>8}")
        else:
            cells.append(f"{articles / s:>10.1f} {mb / s:>8.2f}")
    return " ".join(cells)


def timed(label: str, fn: Callable[[], Any]) -> Any:
    print(f"… {label}", file=sys.stderr, flush=True)
    return fn()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="articles in the corpus")
    parser.add_argument("--jobs", type=int, default=default_jobs(), help="N workers")
    parser.add_argument(
        "--mem",
        default="1000,10000",
        help="article counts at which to read peak RSS per worker ('' = skip)",
    )
    parser.add_argument(
        "--peer-n",
        type=int,
        default=500,
        help="articles for the peers: the first of the same normalised texts (LibreOffice is "
        "slow; 0 = all)",
    )
    parser.add_argument("--work", type=Path, help="work folder (default: a temporary one)")
    args = parser.parse_args()
    n_jobs = max(1, args.jobs)
    work = args.work or Path(tempfile.mkdtemp(prefix="newsarchive-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        files, size = timed(
            f"corpus of {args.n} articles", lambda: make_corpus(work / "corpus", args.n)
        )
        mb = size / 1e6
        stage1, n_art = timed("stages, 1 worker", lambda: stage_rates(files, 1))
        stageN, _ = timed(f"stages, {n_jobs} workers", lambda: stage_rates(files, n_jobs))
        e2e1, a1, _ = timed("end to end, 1 worker", lambda: end_to_end(files, work / "o1", 1))
        e2eN, aN, _ = timed(
            f"end to end, {n_jobs} workers", lambda: end_to_end(files, work / "oN", n_jobs)
        )

        # Peers on the same normalised texts.
        options = Options()
        articles = [a for f in files for a in normalize_file(f, options)]
        peer_arts = articles[: args.peer_n] if args.peer_n else articles
        peer_mb = mb * len(peer_arts) / len(articles)
        peer = timed(
            f"peers on {len(peer_arts)} articles, {n_jobs} parallel",
            lambda: peers(peer_arts, work / "peers", n_jobs),
        )
        floor = opencc_floor(articles)

        marks: dict[int, dict[int, float]] = {}
        checkpoints = tuple(int(x) for x in args.mem.split(",") if x.strip())
        if checkpoints:
            mem_files, _ = timed(
                f"memory corpus of {max(checkpoints)} articles",
                lambda: make_corpus(work / "mem", max(checkpoints), seed=2),
            )
            _, _, marks = timed(
                f"memory run, {n_jobs} workers",
                lambda: end_to_end(mem_files, work / "om", n_jobs, checkpoints),
            )
            shutil.rmtree(work / "om", ignore_errors=True)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)

    avg_kb = size / len(files) / 1000
    print(f"machine: {machine()}")
    print(
        f"corpus: {len(files)} inputs, {n_art} articles, {mb:.1f} MB of text "
        f"({avg_kb:.1f} kB per input); N = {n_jobs} workers"
    )
    print()
    head = f"{'stage':<34} {'1 worker':>10} {'':>8} {f'{n_jobs} workers':>10} {'':>8}"
    print(head)
    print(f"{'':<34} {'art/s':>10} {'MB/s':>8} {'art/s':>10} {'MB/s':>8}")
    for stage in STAGES:
        print(row(stage, n_art, mb, stage1[stage], stageN[stage]))
    print(row("sum of stages", n_art, mb, sum(stage1.values()), sum(stageN.values())))
    print(row("end to end (3 editions, validated)", a1, mb, e2e1, e2eN))
    print(row("OpenCC t2s alone (script floor)", n_art, mb, floor, None))
    p_n = len(peer_arts)
    if "pandoc" in peer:
        print(row("pandoc md->DOCX", p_n, peer_mb, None, peer["pandoc"]))
    if "libreoffice" in peer:
        print(row("LibreOffice DOCX->PDF", p_n, peer_mb, None, peer["libreoffice"]))
    if "pandoc" in peer and "libreoffice" in peer:
        both = peer["pandoc"] + peer["libreoffice"]
        print(row("pandoc + LibreOffice (DOCX+PDF)", p_n, peer_mb, None, both))
        ours = aN / e2eN
        theirs = p_n / both
        print()
        print(
            f"ours end to end ({n_jobs} workers, TEI+DOCX+PDF/A+validation) vs pandoc + "
            f"LibreOffice (DOCX+PDF only): {ours:.1f} / {theirs:.1f} art/s = "
            f"{ours / theirs:.2f}x"
        )
    print(
        f"per worker, end to end: {a1 / e2e1:.1f} art/s with 1 worker, "
        f"{aN / e2eN / n_jobs:.1f} art/s each with {n_jobs}"
    )
    if marks:
        print()
        print(f"peak RSS per worker (MB), end to end with {n_jobs} workers, after N articles:")
        for mark, peaks in sorted(marks.items()):
            values = ", ".join(f"{v:.0f}" for _, v in sorted(peaks.items()))
            print(f"  {mark:>6}: {values}  (max {max(peaks.values()):.0f})")


if __name__ == "__main__":
    main()
