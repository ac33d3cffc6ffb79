"""Speed of the PDF writer alone (write_pdf: layout, reportlab, the pikepdf PDF/A step),
one process, on the normalised seeds and evaluation cases.

    .venv/bin/python benchmarks/pdf.py                 # every --pdfa level, 5 rounds
    .venv/bin/python benchmarks/pdf.py --pdfa 1b --repeat 10
    .venv/bin/python benchmarks/pdf.py --pdfa 2a --copies 300 --repeat 1   # copies of seeds/
    .venv/bin/python benchmarks/pdf.py --pdfa 2a --copies 50 --before main~3 --repeat 8
    PYTHONPATH=OLD_CHECKOUT/src .venv/bin/python benchmarks/pdf.py   # an older revision

Prints per level the mean CPU milliseconds per article (process CPU time, so other work on
a shared machine disturbs it less; wall time beside it) and the mean file size. Inputs that
cannot be set (a glyph missing from every font) are counted and left out.

``--before REV``: that commit's ``src/`` (``git archive``) and this checkout's each write the
same articles (normalised once, by this checkout, and pickled) in a process of their own, a
fresh pair of processes per round, the two alternating, so both see the same load and each
has its own reportlab font registry (one process holding both mixed their fonts, which broke
any revision before 294b3ad); each process warms up (fonts, caches: one pass) and then times
one pass. Printed per version: the least and the median round (CPU ms per article).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
INPUTS = sorted((ROOT / "seeds").glob("*.txt")) + sorted(
    (ROOT.parent / "shared" / "eval" / "cases").glob("*.txt")
)
CREATED = datetime(2025, 1, 1, tzinfo=UTC)


def _copies(folder: Path, articles: int) -> list[Path]:
    from run import articles_per_seed, make_corpus

    return make_corpus(folder, articles, articles_per_seed())[0]


def _import() -> dict[str, Any]:
    from newsarchive import errors, options, pipeline
    from newsarchive.writers import pdf

    return {"Options": options.Options, "write_pdf": pdf.write_pdf,
            "normalize_file": pipeline.normalize_file, "Error": errors.NewsarchiveError,
            "levels": getattr(options, "PDFA_LEVELS", ("1b", "2b", "3b"))}


def _settable(write_pdf: Any, options: Any, articles: list[Any], error: type) -> list[Any]:
    """The articles ``write_pdf`` can set, each written once (the warm-up: fonts registered,
    caches filled)."""
    ok = []
    for art in articles:
        try:
            write_pdf(art, options, created=CREATED)
            ok.append(art)
        except error:
            pass
    return ok


def _timed(write_pdf: Any, options: Any, articles: list[Any],
           repeat: int) -> tuple[float, float, int]:
    """(CPU ms, wall ms per article, total bytes) of ``repeat`` passes over ``articles``."""
    size = 0
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(repeat):
        for art in articles:
            size += len(write_pdf(art, options, created=CREATED))
    n = repeat * len(articles)
    return ((time.process_time() - cpu) * 1000 / n, (time.perf_counter() - wall) * 1000 / n,
            size)


def _child(pickled: Path, level: str, script: str) -> None:
    """One timed pass (after a warm-up pass) of this process's newsarchive over the pickled
    articles; prints CPU ms per article, total bytes and the articles set."""
    import pickle

    v = _import()
    options = v["Options"](script=script, pdfa=level)
    ok = _settable(v["write_pdf"], options, pickle.loads(pickled.read_bytes()), v["Error"])
    cpu_ms, _wall, size = _timed(v["write_pdf"], options, ok, 1)
    print(cpu_ms, size, len(ok))


def _side_by_side(versions: dict[str, Path], pickled: Path, level: str, repeat: int,
                  script: str) -> None:
    rounds: dict[str, list[float]] = {name: [] for name in versions}
    sizes: dict[str, float] = {}
    counts: dict[str, int] = {}
    for _ in range(repeat):
        for name, src in versions.items():
            env = {**os.environ, "PYTHONPATH": str(src), "PYTHONHASHSEED": "0"}
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(pickled), "--pdfa", level,
                 "--script", script],
                env=env, check=True, capture_output=True, text=True, cwd=ROOT,
            ).stdout.split()
            ms, size, count = float(out[-3]), int(out[-2]), int(out[-1])
            rounds[name].append(ms)
            sizes[name], counts[name] = size / count, count
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    for name, times in rounds.items():
        print(f"--pdfa {level} {name}: least {min(times):6.1f}, median "
              f"{statistics.median(times):6.1f} ms CPU/article over {repeat} rounds, "
              f"{sizes[name] / 1024:.1f} KiB/article, {counts[name]} set (load {load})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pdfa", action="append", help="level(s) to time (default: all)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--script", default="hans")
    parser.add_argument("--copies", type=int, default=0, metavar="N",
                        help="time N articles of copies of seeds/ (as benchmarks/run.py "
                             "makes them) instead of the seeds and cases")
    parser.add_argument("--before", metavar="REV",
                        help="also time this commit's code, alternating processes")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.pdfa[0], args.script)
        return
    sys.path.insert(0, str(ROOT / "benchmarks"))  # run.py's corpus and export_src
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        current = _import()
        base = current["Options"](script=args.script)
        inputs = _copies(Path(tmp), args.copies) if args.copies else INPUTS
        articles = [a for p in inputs for a in current["normalize_file"](p, base)]
        print(f"{len(articles)} articles from {len(inputs)} inputs")
        levels = args.pdfa or current["levels"]
        if args.before:
            import pickle

            from run import export_src

            pickled = Path(tmp) / "articles.pickle"
            pickled.write_bytes(pickle.dumps(articles))
            versions = {f"before ({args.before})": export_src(args.before, Path(tmp)),
                        "this checkout": ROOT / "src"}
            for level in levels:
                _side_by_side(versions, pickled, level, args.repeat, args.script)
            return
    write_pdf, options_of, error = current["write_pdf"], current["Options"], current["Error"]
    for level in levels:
        options = options_of(script=args.script, pdfa=level)
        ok = _settable(write_pdf, options, articles, error)
        failed = len(articles) - len(ok)
        cpu_ms, wall_ms, size = _timed(write_pdf, options, ok, args.repeat)
        n = args.repeat * len(ok)
        print(f"--pdfa {level}: {cpu_ms:6.1f} ms CPU/article ({wall_ms:.1f} wall), "
              f"{size / n / 1024:.0f} KiB/article, {len(ok)} set, {failed} not settable")


if __name__ == "__main__":
    main()
