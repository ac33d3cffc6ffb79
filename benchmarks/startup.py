"""Start-up times of the command line: what a person waits for before any work is done.

    python benchmarks/startup.py                 # this checkout's src/
    python benchmarks/startup.py --src OTHER/src # another checkout, to compare
    python benchmarks/startup.py --imports       # also the slowest imports of each command

Times (wall clock, best and median of --runs fresh processes) of:

- ``newsarchive --version``;
- ``newsarchive convert ONE_SEED --to tei -o FILE`` (one small input, the lightest edition);
- ``newsarchive convert ONE_SEED -o DIR`` (the batch path: TEI, DOCX and PDF/A, warm-up);
- ``newsarchive convert seeds -o DIR`` re-run with every input unchanged (a no-op).

Each command runs as ``python -m newsarchive`` with ``PYTHONPATH=SRC``, so the checkout
measured is the one given, whatever is installed in the environment. CPU seconds (user +
system, ``wait4``) are shown beside wall time: on a shared machine they are what does not
depend on the other tenants. Bytecode is cached (``PYTHONPYCACHEPREFIX`` in a temporary
folder, warmed by the first run), as for an installed package, even where the environment
sets ``PYTHONDONTWRITEBYTECODE`` (then each run would compile ~50 of our modules from
source, ~0.1 CPU s); ``--no-bytecode`` measures that way.
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


BYTECODE: str | None = None  # PYTHONPYCACHEPREFIX, or None to run as the environment says


def run(
    src: Path, args: list[str], cwd: Path, importtime: bool = False
) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds, stderr) of one fresh ``newsarchive ARGS``."""
    env = dict(os.environ, PYTHONPATH=str(src))
    env.pop("COLUMNS", None)
    if BYTECODE is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = BYTECODE
    cmd = [sys.executable, *(["-X", "importtime"] if importtime else []), "-m", "newsarchive"]
    start = time.perf_counter()
    proc = subprocess.Popen([*cmd, *args], cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if (code := os.waitstatus_to_exitcode(status)) != 0:
        raise SystemExit(f"{' '.join(args)}: exit {code}\n{stderr[-2000:]}")
    return seconds, usage.ru_utime + usage.ru_stime, stderr


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
    parser.add_argument("--no-bytecode", action="store_true",
                        help="no bytecode cache beyond what the environment allows")
    args = parser.parse_args()
    seeds = sorted((ROOT / "seeds").glob("*.txt"))
    work = Path(tempfile.mkdtemp(prefix="na-startup-"))
    global BYTECODE
    BYTECODE = None if args.no_bytecode else str(work / "pycache")
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
            "convert ONE -o DIR (3 editions)": [
                "convert", one, "-o", str(work / "one"), "--force", "-q"
            ],
            "convert seeds (all unchanged)": [
                "convert", str(work / "seeds"), "-r", "-o", str(work / "out")
            ],
        }
        bytecode = "no bytecode cache" if args.no_bytecode else "bytecode cached"
        print(f"{args.src}  (python {sys.version.split()[0]}, {args.runs} runs each, "
              f"{bytecode}, load {os.getloadavg()[0]:.1f})")
        print(f"{'command':<32} {'wall best':>10} {'median':>8} {'CPU best':>9} {'median':>8}")
        for label, cmd in commands.items():
            runs = [run(args.src, cmd, work) for _ in range(args.runs)]
            wall, cpu = [r[0] for r in runs], [r[1] for r in runs]
            print(f"{label:<32} {min(wall):>9.3f}s {statistics.median(wall):>7.3f}s "
                  f"{min(cpu):>8.3f}s {statistics.median(cpu):>7.3f}s")
            if args.imports:
                for seconds, name in slowest_imports(run(args.src, cmd, work, True)[2], 8):
                    print(f"    {seconds:6.3f}s  {name}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
