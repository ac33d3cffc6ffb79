"""Where the "TEI+validate" stage of ``benchmarks/run.py`` spends its time (a script, not a test).

    .venv/bin/python benchmarks/tei.py                    # 300 articles, this checkout
    .venv/bin/python benchmarks/tei.py --before main~3    # and that commit, side by side
    .venv/bin/python benchmarks/tei.py --lines 1          # also one 1 MB page of short lines

The corpus is the one ``benchmarks/run.py`` makes (copies of seeds/, paragraphs permuted).
Per article, in CPU milliseconds (``time.process_time``, the best of ``--repeat`` passes: the
machine is shared, and CPU time is what the other tenants disturb least): the writer's tree
(``build_tei``), its serialisation, the parse ``check_tei`` makes of the bytes, the RELAX NG
and the Schematron (each on the whole tree), ``validate_tree`` (both as ``check_tei`` runs
them: the edit log's items by their shapes, the rest by the schemas), and the whole stage
as ``convert`` runs it (``render(article, "tei")``: write + validate). With ``--lines MB``
the same for one input of that many MB of short lines (seconds, one pass): the case that
made the Schematron quadratic.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

PARTS = ("build", "serialise", "parse", "RELAX NG", "Schematron", "validate_tree",
         "render tei (all)")


def _best(repeat: int, run: Callable[[], Any]) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best


def _parts(articles: list[Any], repeat: int) -> dict[str, float]:
    """Seconds per part over ``articles`` (the code on ``sys.path``)."""
    from newsarchive import validate
    from newsarchive.options import Options
    from newsarchive.pipeline import render
    from newsarchive.readers.tei import parse_xml
    from newsarchive.writers.tei import build_tei, serialize

    options = Options()
    datas = [serialize(build_tei(a, options)) for a in articles]
    trees = [parse_xml(d, "bench.tei.xml") for d in datas]
    rng = validate.project_rng()
    validate._schematron_problems(trees[0], "warm-up")  # compile once, outside the timing
    out = {
        "build": _best(repeat, lambda: [build_tei(a, options) for a in articles]),
        "serialise": _best(repeat, lambda: [serialize(build_tei(a, options)) for a in articles]),
        "parse": _best(repeat, lambda: [parse_xml(d, "bench.tei.xml") for d in datas]),
        "RELAX NG": _best(repeat, lambda: [rng.validate(t) for t in trees]),
        "Schematron": _best(
            repeat, lambda: [validate._schematron_problems(t, "bench") for t in trees]
        ),
        # what check_tei does after its parse (since issue 17 session 3 the edit log's
        # items are matched against the writer's shapes and the schemas check the rest)
        "validate_tree": _best(repeat, lambda: [validate.validate_tree(t) for t in trees]),
        "render tei (all)": _best(repeat, lambda: [render(a, "tei", options) for a in articles]),
    }
    out["serialise"] -= out["build"]  # serialise was timed with its build
    return out


def _child(listing: Path, repeat: int, lines_mb: float) -> None:
    """(In a fresh process with the code to measure on PYTHONPATH) JSON on stdout."""
    from newsarchive.options import Options
    from newsarchive.pipeline import normalize_file

    options = Options()
    paths = [Path(p) for p in listing.read_text(encoding="utf-8").splitlines()]
    articles = [a for p in paths for a in normalize_file(p, options)]
    result: dict[str, Any] = {"articles": len(articles), "parts": _parts(articles, repeat)}
    if lines_mb:
        from scaling import many_lines

        with tempfile.TemporaryDirectory() as tmp:
            page = Path(tmp) / "lines.txt"
            page.write_bytes(many_lines(int(lines_mb * 1024 * 1024)))
            big = normalize_file(page, options)
        result["lines"] = _parts(big, 1)
    print(json.dumps(result))


def _measure(src: Path, listing: Path, repeat: int, lines_mb: float) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(src), "PYTHONHASHSEED": "0"}
    run = subprocess.run(
        [sys.executable, __file__, "--child", str(listing), "--repeat", str(repeat),
         "--lines", str(lines_mb)],
        env=env, capture_output=True, text=True, cwd=ROOT, check=False,
    )
    if run.returncode:
        raise SystemExit(f"{src}: {run.stderr[-1500:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--before", metavar="REV", help="also measure this commit's src/")
    parser.add_argument("--lines", type=float, default=0.0, metavar="MB",
                        help="also one page of short lines of this size")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.repeat, args.lines)
        return
    from run import articles_per_seed, export_src, make_corpus

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        files, _ = make_corpus(work / "corpus", args.articles, articles_per_seed())
        listing = work / "files.txt"
        listing.write_text("\n".join(map(str, files)), encoding="utf-8")
        versions: dict[str, Path] = {}
        if args.before:
            versions[f"before ({args.before})"] = export_src(args.before, work)
        versions["this checkout"] = ROOT / "src"
        # the page of short lines only for this checkout: before the Schematron's key()
        # look-ups, 1 MB of it took over 10 minutes
        results = {label: _measure(src, listing, args.repeat,
                                   args.lines if label == "this checkout" else 0.0)
                   for label, src in versions.items()}
    count = next(iter(results.values()))["articles"]
    print(f"CPU ms per article, {count} articles, best of {args.repeat} "
          f"(load average {os.getloadavg()[0]:.1f}):")
    print(f"  {'part':<18}" + "".join(f"{label:>26}" for label in results))
    for part in PARTS:
        print(f"  {part:<18}" + "".join(
            f"{1000 * r['parts'][part] / r['articles']:>26.2f}" for r in results.values()))
    if args.lines:
        lines = results["this checkout"]["lines"]
        print(f"one page of {args.lines:g} MB of short lines, this checkout (CPU s, one pass):")
        for part in PARTS:
            print(f"  {part:<18}{lines[part]:>26.2f}")


if __name__ == "__main__":
    main()
