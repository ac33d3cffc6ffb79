"""The review at batch scale (a script, not a test).

    .venv/bin/python benchmarks/review.py              # 1,000 inputs, 25 pages opened
    .venv/bin/python benchmarks/review.py --inputs 100 --open 5
    .venv/bin/python benchmarks/review.py --before main~3 --runs 3 --open 0   # side by side

Builds copies of seeds/ (as benchmarks/run.py does), runs ``newsarchive review`` on them in
a fresh process (wall and CPU seconds of the process tree, peak RSS, and the overlap: CPU
seconds over wall seconds, 2.0 when two workers are busy all the time), then opens the
index and a sample of the pages in headless Chromium and prints how long each took to load
and dump its DOM. With ``--before REV`` that commit's ``src/`` is run too, alternately with
this checkout's, on the same corpus; the load average is printed with every run, since
the wall time on a shared machine measures the neighbours as much as this code.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import ROOT, Run, articles_per_seed, code_env, export_src, make_corpus, measured

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def review(src: Path, corpus: Path, index: Path, jobs: int | None) -> Run:
    shutil.rmtree(index.parent, ignore_errors=True)
    command = [sys.executable, "-m", "newsarchive", "review", str(corpus), "-o", str(index)]
    if jobs:
        command += ["--jobs", str(jobs)]
    return measured(command, code_env(src))


def load() -> str:
    return "load {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=1000)
    parser.add_argument("--open", type=int, default=25, help="pages to open in Chromium")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--before", metavar="REV", help="also run this commit's code")
    parser.add_argument("--runs", type=int, default=1, help="runs of each version")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="newsarchive-review-"))
    try:
        per_seed = articles_per_seed()
        # make_corpus counts articles; one article per input on average is close enough
        # to stop at the wanted number of inputs, trimmed below.
        files, _ = make_corpus(work / "corpus", args.inputs * 2, per_seed)
        for extra in files[args.inputs :]:
            extra.unlink()
        versions = {"this checkout": ROOT / "src"}
        if args.before:
            versions = {f"before ({args.before})": export_src(args.before, work), **versions}
        index = work / "out" / "review.html"
        runs: dict[str, list[Run]] = {name: [] for name in versions}
        for _ in range(args.runs):
            for name, src in versions.items():  # alternated: both see the same neighbours
                run = review(src, work / "corpus", index, args.jobs)
                runs[name].append(run)
                print(
                    f"{name:>24}: {args.inputs} inputs, {run.seconds:5.1f} s wall, "
                    f"{run.cpu:5.1f} s CPU, overlap {run.cpu / run.seconds:.2f}, "
                    f"peak RSS {run.rss:.0f} MB, exit {run.rc} ({load()})",
                    flush=True,
                )
        for name, done in runs.items():
            best = min(done, key=lambda r: r.cpu)
            print(f"{name:>24}: least CPU of {len(done)}: {best.cpu:.1f} s "
                  f"({1000 * best.cpu / args.inputs:.1f} ms per input), {best.seconds:.1f} s wall")
        # The pages of the last run (this checkout's) are the ones opened.
        pages = sorted((work / "out" / "review-pages").iterdir())
        size = sum(p.stat().st_size for p in pages) / 2**20
        print(
            f"index {index.stat().st_size / 1024:.0f} KiB, {len(pages)} pages, {size:.1f} MiB "
            f"in all (largest {max(p.stat().st_size for p in pages) / 1024:.0f} KiB)"
        )
        if not args.open:
            return
        # Every index page, and a sample of the article pages.
        index_pages = [p for p in pages if p.name.startswith("index-")]
        articles = [p for p in pages if not p.name.startswith("index-")]
        step = max(1, len(articles) // max(1, args.open))
        sample = [index, *index_pages, *articles[::step][: args.open]]
        profile = work / "chromium"
        times = []
        for page in sample:
            start = time.perf_counter()
            measured([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                      f"--user-data-dir={profile}", "--dump-dom", page.as_uri()])
            times.append((time.perf_counter() - start, page.name))
        worst = max(times)
        print(
            f"Chromium --dump-dom (process start included), {len(times)} pages: median "
            f"{sorted(t for t, _ in times)[len(times) // 2]:.2f} s, slowest {worst[0]:.2f} s "
            f"({worst[1]}) ({load()})"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
