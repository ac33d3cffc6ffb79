"""``newsarchive validate`` on 1,000 TEI files, in one process.

    .venv/bin/python benchmarks/validate.py             # project schema (the ODD's)
    .venv/bin/python benchmarks/validate.py --tei-all   # also tei_all (one jing run)
    .venv/bin/python benchmarks/validate.py --files 200 --no-jing

The files are the TEI editions of the seeds and of ``../shared/eval/cases`` (read at run
time, written to a temporary folder, never kept), repeated under different names up to
``--files``. Runs the CLI once, as a user would (``python -m newsarchive validate …``), and
prints the wall and CPU time of that one process (CPU includes jing), files per CPU
second, and the time of the editions' making apart. ``--no-jing`` hides jing so that
tei_all goes through lxml.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from newsarchive.options import Options
from newsarchive.pipeline import normalize_file
from newsarchive.writers.tei import write_tei

ROOT = Path(__file__).resolve().parents[1]
INPUTS = sorted((ROOT / "seeds").glob("*.txt")) + sorted(
    (ROOT.parent / "shared" / "eval" / "cases").glob("*.txt")
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--tei-all", action="store_true")
    parser.add_argument("--no-jing", action="store_true")
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, jing: {shutil.which('jing') or 'none'}"
    )
    start = time.perf_counter()
    editions = [
        write_tei(article, Options(), when=dt.date(2024, 1, 1))
        for path in INPUTS
        for article in normalize_file(path, Options())
    ]
    print(f"{len(editions)} distinct editions made in {time.perf_counter() - start:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i in range(args.files):
            path = Path(tmp) / f"{i:04d}.tei.xml"
            path.write_bytes(editions[i % len(editions)])
            files.append(str(path))
        env = dict(os.environ)
        if args.no_jing:
            env["PATH"] = os.pathsep.join(
                p for p in env.get("PATH", "").split(os.pathsep) if not (Path(p) / "jing").exists()
            )
        command = [sys.executable, "-m", "newsarchive", "validate", *files]
        if args.tei_all:
            command.insert(4, "--tei-all")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        run = subprocess.run(command, capture_output=True, text=True, env=env)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    summary = run.stdout.strip().splitlines()
    print(summary[0] if summary else run.stderr[-500:])
    print(summary[-1] if summary else "")
    # CPU time of the process (and its jing child): less disturbed by a shared machine
    print(f"validate {args.files} files, one process: {wall:.2f} s wall, {cpu:.2f} s CPU, "
          f"{args.files / cpu:.0f} files per CPU second (exit {run.returncode})")
    return 0 if run.returncode == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
