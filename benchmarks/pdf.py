"""Speed of the PDF writer alone (write_pdf: layout, reportlab, the pikepdf PDF/A step),
one process, on the normalised seeds and evaluation cases.

    .venv/bin/python benchmarks/pdf.py                 # every --pdfa level, 5 rounds
    .venv/bin/python benchmarks/pdf.py --pdfa 1b --repeat 10
    .venv/bin/python benchmarks/pdf.py --pdfa 2a --copies 300 --repeat 1   # copies of seeds/
    PYTHONPATH=OLD_CHECKOUT/src .venv/bin/python benchmarks/pdf.py   # an older revision

Prints per level the mean CPU milliseconds per article (process CPU time, so other work on
a shared machine disturbs it less; wall time beside it) and the mean file size. Inputs that
cannot be set (a glyph missing from every font) are counted and left out.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from newsarchive.errors import NewsarchiveError
from newsarchive.options import Options
from newsarchive.pipeline import normalize_file
from newsarchive.writers.pdf import write_pdf

ROOT = Path(__file__).resolve().parents[1]
INPUTS = sorted((ROOT / "seeds").glob("*.txt")) + sorted(
    (ROOT.parent / "shared" / "eval" / "cases").glob("*.txt")
)
CREATED = datetime(2025, 1, 1, tzinfo=UTC)


def _copies(folder: Path, articles: int) -> list[Path]:
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from run import articles_per_seed, make_corpus

    return make_corpus(folder, articles, articles_per_seed())[0]


def main() -> None:
    try:
        from newsarchive.options import PDFA_LEVELS as levels
    except ImportError:  # a checkout from before the tagged levels (--before runs)
        levels = ("1b", "2b", "3b")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pdfa", action="append", help="level(s) to time (default: all)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--script", default="hans")
    parser.add_argument("--copies", type=int, default=0, metavar="N",
                        help="time N articles of copies of seeds/ (as benchmarks/run.py "
                             "makes them) instead of the seeds and cases")
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    base = Options(script=args.script)
    with tempfile.TemporaryDirectory() as tmp:
        inputs = _copies(Path(tmp), args.copies) if args.copies else INPUTS
        articles = [a for p in inputs for a in normalize_file(p, base)]
    print(f"{len(articles)} articles from {len(inputs)} inputs")
    for level in args.pdfa or levels:
        options = Options(script=args.script, pdfa=level)
        ok, failed = [], 0
        for art in articles:  # warm-up: fonts registered, caches filled
            try:
                write_pdf(art, options, created=CREATED)
                ok.append(art)
            except NewsarchiveError:
                failed += 1
        size = 0
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(args.repeat):
            for art in ok:
                size += len(write_pdf(art, options, created=CREATED))
        n = args.repeat * len(ok)
        cpu_ms = (time.process_time() - cpu) * 1000 / n
        wall_ms = (time.perf_counter() - wall) * 1000 / n
        print(f"--pdfa {level}: {cpu_ms:6.1f} ms CPU/article ({wall_ms:.1f} wall), "
              f"{size / n / 1024:.0f} KiB/article, {len(ok)} set, {failed} not settable")


if __name__ == "__main__":
    main()
