"""Start-up times of the command line: what a person waits for before any work is done.

    python benchmarks/startup.py                 # this checkout's src/
    python benchmarks/startup.py --src OTHER/src # another checkout, to compare
    python benchmarks/startup.py --imports       # also the slowest imports of each command

Times (wall clock, best and median of --runs fresh processes) of:

- ``newsarchive --version``;
- ``newsarchive convert ONE_SEED --to tei -o FILE`` (one small input, the lightest edition);
- ``newsarchive convert seeds -o DIR`` re-run with every input unchanged (a no-op).

Each command runs as ``python -m newsarchive`` with ``PYTHONPATH=SRC``, so the checkout
measured is the one given, whatever is installed in the environment.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(src: Path, args: list[str], cwd: Path, importtime: bool = False) -> tuple[float, str]:
    env = dict(os.environ, PYTHONPATH=str(src))
    env.pop("COLUMNS", None)
    cmd = [sys.executable, *(["-X", "importtime"] if importtime else []), "-m", "newsarchive"]
    start = time.perf_counter()
    done = subprocess.run(
        [*cmd, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)}: exit {done.returncode}\n{done.stderr[-2000:]}")
    return seconds, done.stderr


def slowest_imports(stderr: str, top: int) -> list[tuple[float, str]]:
    """Top-level imports by their cumulative time (``-X importtime``)."""
    found = []
    for line in stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| ( *)(\S+)", line)
        if m and len(m.group(2)) <= 2:  # the command's own imports and their children
            found.append((int(m.group(1)) / 1e6, m.group(3)))
    return sorted(found, reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="checkout's src/")
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per command")
    parser.add_argument("--imports", action="store_true", help="show the slowest imports")
    args = parser.parse_args()
    seeds = sorted((ROOT / "seeds").glob("*.txt"))
    work = Path(tempfile.mkdtemp(prefix="na-startup-"))
    try:
        shutil.copytree(ROOT / "seeds", work / "seeds")
        one = str(work / "seeds" / seeds[0].name)
        run(args.src, ["convert", str(work / "seeds"), "-r", "-o", str(work / "out")], work)
        commands = {
            "--version": ["--version"],
            # Before the -o FILE habit, -o was a folder: the same work, and the same command.
            "convert ONE --to tei -o FILE": [
                "convert", one, "--to", "tei", "-o", str(work / "out" / "one.tei.xml")
            ],
            "convert seeds (all unchanged)": [
                "convert", str(work / "seeds"), "-r", "-o", str(work / "out")
            ],
        }
        print(f"{args.src}  (python {sys.version.split()[0]}, {args.runs} runs each)")
        print(f"{'command':<32} {'best':>8} {'median':>8}")
        for label, cmd in commands.items():
            times = [run(args.src, cmd, work)[0] for _ in range(args.runs)]
            print(f"{label:<32} {min(times):>7.3f}s {statistics.median(times):>7.3f}s")
            if args.imports:
                for seconds, name in slowest_imports(run(args.src, cmd, work, True)[1], 8):
                    print(f"    {seconds:6.3f}s  {name}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
