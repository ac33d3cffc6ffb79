"""The review at batch scale (a script, not a test).

    .venv/bin/python benchmarks/review.py              # 1,000 inputs, 25 pages opened
    .venv/bin/python benchmarks/review.py --inputs 100 --open 5

Builds copies of seeds/ (as benchmarks/run.py does), runs ``newsarchive review`` on them in
a fresh process (wall and CPU seconds, peak RSS), then opens the index and a sample of the
pages in headless Chromium and prints how long each took to load and dump its DOM.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import ROOT, articles_per_seed, code_env, make_corpus, measured

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=1000)
    parser.add_argument("--open", type=int, default=25, help="pages to open in Chromium")
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="newsarchive-review-"))
    try:
        per_seed = articles_per_seed()
        # make_corpus counts articles; one article per input on average is close enough
        # to stop at the wanted number of inputs, trimmed below.
        files, _ = make_corpus(work / "corpus", args.inputs * 2, per_seed)
        for extra in files[args.inputs :]:
            extra.unlink()
        index = work / "out" / "review.html"
        command = [sys.executable, "-m", "newsarchive", "review", str(work / "corpus"), "-o",
                   str(index)]
        if args.jobs:
            command += ["--jobs", str(args.jobs)]
        run = measured(command, code_env(ROOT / "src"))
        pages = sorted((work / "out" / "review-pages").iterdir())
        size = sum(p.stat().st_size for p in pages) / 2**20
        print(
            f"review of {args.inputs} inputs: {run.seconds:.1f} s wall, {run.cpu:.1f} s CPU, "
            f"peak RSS {run.rss:.0f} MB; index {index.stat().st_size / 1024:.0f} KiB, "
            f"{len(pages)} pages, {size:.1f} MiB in all (largest "
            f"{max(p.stat().st_size for p in pages) / 1024:.0f} KiB)"
        )
        step = max(1, len(pages) // max(1, args.open))
        sample = [index, *pages[::step][: args.open]]
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
            f"({worst[1]})"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
