"""Instructions per article of one stage, counted by valgrind (a script, not a test).

    .venv/bin/python benchmarks/icount.py --stage tei --articles 40 --before main~2

The machine is shared, so CPU time of a short run is blurred by the neighbours; the
instruction count is not. The corpus is ``benchmarks/run.py``'s (copies of seeds/),
normalised once in this process and pickled; each code (``--before REV``'s ``src/`` and
this checkout's) then runs in a fresh process under ``valgrind --tool=cachegrind
--cache-sim=no`` twice: once warming up only (imports, schemas, fonts, one article of the
stage), once warming up and then running the stage over the articles. The difference,
divided by the articles, is what the stage costs per article. Stages: ``tei`` (write +
validate, as ``pipeline.render``), ``docx``, ``pdf``, ``normalise`` (from the input's
bytes).
"""

from __future__ import annotations

import argparse
import os
import pickle
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


def _child(pickled: Path, stage: str, count: int) -> None:
    from newsarchive.options import Options
    from newsarchive.pipeline import normalize_bytes, render

    options = Options()
    inputs, articles = pickle.loads(pickled.read_bytes())
    if stage == "normalise":
        normalize_bytes(*inputs[0], options)
        for data, name in inputs[:count]:
            normalize_bytes(data, name, options)
        return
    fmt = {"tei": "tei", "docx": "docx", "pdf": "pdf"}[stage]
    render(articles[0], fmt, options)
    for article in articles[:count]:
        render(article, fmt, options)


def _instructions(src: Path, pickled: Path, stage: str, count: int, work: Path) -> int:
    out = work / f"cg.{os.getpid()}.{count}"
    env = {**os.environ, "PYTHONPATH": str(src), "PYTHONHASHSEED": "0",
           "SOURCE_DATE_EPOCH": "1700000000"}
    subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", f"--cachegrind-out-file={out}",
         sys.executable, __file__, "--child", str(pickled), "--stage", stage,
         "--count", str(count)],
        env=env, check=True, capture_output=True, cwd=ROOT,
    )
    text = out.read_text()
    out.unlink()
    m = re.search(r"^summary:\s+(\d+)", text, re.M)
    assert m, text[-300:]
    return int(m[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", default="tei", choices=["tei", "docx", "pdf", "normalise"])
    parser.add_argument("--articles", type=int, default=40)
    parser.add_argument("--before", metavar="REV", help="also count this commit's src/")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.stage, args.count)
        return
    from run import articles_per_seed, export_src, make_corpus

    from newsarchive.options import Options
    from newsarchive.pipeline import normalize_file

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        files, _ = make_corpus(work / "corpus", args.articles, articles_per_seed())
        articles = [a for f in files for a in normalize_file(f, Options())][: args.articles]
        inputs = [(f.read_bytes(), str(f)) for f in files]
        pickled = work / "articles.pickle"
        pickled.write_bytes(pickle.dumps((inputs, articles)))
        per = len(inputs) if args.stage == "normalise" else len(articles)
        versions = {}
        if args.before:
            versions[f"before ({args.before})"] = export_src(args.before, work)
        versions["this checkout"] = ROOT / "src"
        unit = "input" if args.stage == "normalise" else "article"
        print(f"{args.stage}: instructions per {unit} over {per} (valgrind, warm-up subtracted):")
        for label, src in versions.items():
            warm = _instructions(src, pickled, args.stage, 0, work)
            full = _instructions(src, pickled, args.stage, per, work)
            print(f"  {label:<28} {(full - warm) / per / 1e6:8.2f} M")


if __name__ == "__main__":
    main()
