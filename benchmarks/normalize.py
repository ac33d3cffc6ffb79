"""Throughput of the normaliser alone (read + normalise, no editions), one process.

    .venv/bin/python benchmarks/normalize.py            # seeds + the evaluation corpus
    .venv/bin/python benchmarks/normalize.py --repeat 20

Inputs: the seeds and ``../shared/eval/cases`` (read at run time, never copied). Prints
inputs/s and MB/s per corpus (per second of this process's CPU time, so that other work on a
shared machine disturbs the figure less; wall time beside it), the slowest input, and the
machine it ran on. The warm-up
(OpenCC dictionaries, rule files) is timed on its own.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

from newsarchive.options import Options
from newsarchive.pipeline import normalize_file

ROOT = Path(__file__).resolve().parents[1]
CORPORA = {
    "seeds": sorted((ROOT / "seeds").glob("*.txt")),
    "eval cases": sorted((ROOT.parent / "shared" / "eval" / "cases").glob("*.txt")),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    start = time.perf_counter()
    normalize_file(CORPORA["seeds"][0], Options())
    print(
        f"warm-up (first input, dictionaries and rules loaded): {time.perf_counter() - start:.2f} s"
    )
    for name, files in CORPORA.items():
        if not files:
            print(f"{name}: not found")
            continue
        size = sum(f.stat().st_size for f in files)
        slowest = (0.0, "")
        start, cpu = time.perf_counter(), time.process_time()
        for _ in range(args.repeat):
            for f in files:
                t = time.perf_counter()
                normalize_file(f, Options())
                slowest = max(slowest, (time.perf_counter() - t, f.name))
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        n = len(files) * args.repeat
        print(
            f"{name}: {n / cpu:7.1f} inputs/s  {size * args.repeat / cpu / 1e6:5.2f} MB/s of CPU"
            f"  ({n / elapsed:.1f} inputs/s wall; slowest {slowest[1]}: "
            f"{slowest[0] * 1000:.0f} ms)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
