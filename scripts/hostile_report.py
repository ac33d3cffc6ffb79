"""Run every hostile input through the CLI and write the table in docs/hostile-input.md.

    .venv/bin/python scripts/hostile_report.py [--out docs/hostile-input.md]

The single-file inputs of tests/bad/corpus.py go through one real batch (``convert
--report``), so each result is the batch's own record for that input; TEI inputs are also
given to ``validate``. The scenarios of tests/bad/scenarios.py (special files, sidecars,
state files, several runs, odd names) run one by one in a scratch folder, each with a
timeout, and are judged for tracebacks, hangs, partial files and files written or deleted
outside the output folder. "Partial files" counts temporary or truncated editions. Last, a
real batch is stopped by each signal of tests/bad/signals.py (processes left, partials).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from bad.corpus import CASES, leftovers, write_corpus  # noqa: E402
from bad.scenarios import OPEN, SCENARIOS, judge, snapshot  # noqa: E402
from bad.signals import CASES as SIGNAL_CASES  # noqa: E402
from bad.signals import stop  # noqa: E402

TIMEOUT = 900


def cli(args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess[str] | None, bool]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    try:
        return subprocess.run([sys.executable, "-m", "newsarchive", *args], capture_output=True,
                              text=True, cwd=cwd, env=env, timeout=TIMEOUT), False
    except subprocess.TimeoutExpired:
        return None, True


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")[:110]


def corpus_rows(tmp: Path) -> tuple[list[tuple[str, str, str, str]], dict[str, int]]:
    corpus, out = tmp / "in", tmp / "out"
    write_corpus(corpus)
    before = snapshot(tmp)
    report = tmp / "report.jsonl"
    run, hung = cli(["convert", "-o", str(out), "--jobs", "1", "--report", str(report), "--",
                     *(str(corpus / c.name) for c in CASES)], tmp)
    records = {}
    if report.exists():
        for line in report.read_text("utf-8").splitlines():
            record = json.loads(line)
            records[Path(record["input"]).name] = record
    after = snapshot(tmp)
    outside = [r for r in set(before) | set(after)
               if before.get(r) != after.get(r) and r != "report.jsonl"]
    stderr = run.stderr if run else ""
    totals = {"crashes": int("Traceback" in stderr), "hangs": int(hung),
              "partial": len(leftovers(out)) if out.exists() else 0, "outside": len(outside),
              "wrong": 0}
    rows = []
    for case in CASES:
        record = records.get(case.name, {})
        error = record.get("error") or ""
        if case.tei_input and case.expect != "ok":
            checked, _ = cli(["validate", str(corpus / case.name)], tmp)
            if checked is not None and checked.returncode:
                error = error or checked.stderr.strip()
        crashed = "internal error" in error
        totals["crashes"] += crashed
        if record.get("status") in ("converted", "skipped") and not error:
            seen = "converted"
        else:
            seen = f"refused: `{_cell(error.split(': ', 1)[-1])}`" if error else "no record"
        if case.expect == "ok":
            right = seen == "converted"
        elif case.expect == "editions":
            right = seen == "converted" or "glyph" in error
        else:
            right = case.expect.lower() in error.lower()
        totals["wrong"] += not right
        expected = {"ok": "converted", "editions": "TEI + DOCX (PDF if a font has the glyphs)"
                    }.get(case.expect, f"refused ({case.expect})")
        rows.append((case.what, expected, seen, "yes" if right else "**no**"))
    return rows, totals


def scenario_rows(tmp: Path) -> tuple[list[tuple[str, str, str, str]], dict[str, int]]:
    totals = {"crashes": 0, "hangs": 0, "partial": 0, "outside": 0, "wrong": 0, "open": 0}
    rows = []
    for scenario in SCENARIOS:
        outcome = judge(tmp / scenario.name, scenario)
        totals["crashes"] += outcome.crashed
        totals["hangs"] += outcome.hung
        totals["partial"] += outcome.partial
        totals["outside"] += len(outcome.outside)
        if scenario.name in OPEN and not outcome.ok:
            totals["open"] += 1
            verdict = "open (issue 14)"
        else:
            totals["wrong"] += not outcome.ok
            verdict = "yes" if outcome.ok else f"**no**: {_cell(outcome.problem)}"
        expected = "converted" if scenario.expect == "ok" else f"refused ({scenario.expect})"
        # Paths relative to the scenario's scratch folder: the cause fits in the cell.
        message = (outcome.message or "converted").replace(f"{tmp / scenario.name}/", "")
        rows.append((scenario.what, expected, _cell(message), verdict))
    return rows, totals


def signal_rows(tmp: Path) -> tuple[list[tuple[str, str, str, str]], dict[str, int]]:
    """A real ``convert -j 2`` on 40 inputs, signalled mid-run (tests/bad/signals.py)."""
    totals = {"crashes": 0, "hangs": 0, "partial": 0, "outside": 0, "wrong": 0, "open": 0,
              "left": 0}
    rows = []
    for case in SIGNAL_CASES:
        if "dask" in case.extra:
            try:
                import distributed  # noqa: F401
            except ImportError:
                continue
        outcome, _out, _total = stop(case, tmp / case.name)
        totals["hangs"] += outcome.hung
        totals["left"] += outcome.left
        totals["partial"] += len(outcome.partial)
        totals["crashes"] += outcome.traceback and case.signum != 9
        totals["wrong"] += not outcome.ok
        seen = (f"exit {outcome.code} after {outcome.exited:.1f} s; its {outcome.processes} "
                f"child processes gone after {outcome.gone:.1f} s; {outcome.recorded} inputs "
                "recorded")
        expected = f"exit {case.expect}, no process left, nothing partial"
        verdict = "yes" if outcome.ok else f"**no**: {_cell(outcome.problem)}"
        rows.append((case.what, expected, _cell(seen if outcome.ok else outcome.problem),
                     verdict))
    return rows, totals


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "hostile-input.md")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows, totals = corpus_rows(Path(tmp) / "corpus")
        more, more_totals = scenario_rows(Path(tmp) / "scenarios")
        stops, stop_totals = signal_rows(Path(tmp) / "signals")
    n = len(rows) + len(more) + len(stops)
    total = {k: totals.get(k, 0) + more_totals.get(k, 0) + stop_totals.get(k, 0)
             for k in stop_totals}
    table = ["| input | expected | what happens | as expected |", "|---|---|---|---|"]
    lines = [
        "# Hostile and broken input: what was tried and what happens",
        "",
        "Produced by `scripts/hostile_report.py`: the single-file inputs of `tests/bad/corpus.py`",
        "through one `convert` batch (each row is the batch's record for that input; TEI inputs",
        "also through `validate`), then the scenarios of `tests/bad/scenarios.py` one by one in a",
        "scratch folder, each under a timeout. `tests/test_hostile.py` runs the same cases",
        "(SIGKILL mid-batch, unreadable files, symlink loops, a full disk and a read-only output",
        "folder are tested there too). How time and memory grow with the size of one input:",
        "[docs/scaling.md](scaling.md) (`benchmarks/scaling.py`).",
        "",
        f"**Inputs tried: {n} — crashes (tracebacks, internal errors): {total['crashes']} — "
        f"hangs: {total['hangs']} — partial files left: {total['partial']} — files outside "
        f"the output folder written or deleted: {total['outside']} — processes left "
        f"after a stop: {total['left']} — not as expected: "
        f"{total['wrong']} — known open: {total['open']}.**",
        "",
        f"## Single files ({len(rows)})",
        "",
        *table,
        *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows),
        "",
        f"## Scenarios ({len(more)})",
        "",
        *table,
        *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in more),
        "",
        f"## Stopped by a signal ({len(stops)})",
        "",
        "A real `convert -j 2` on 40 inputs, signalled once two are recorded",
        "(`tests/bad/signals.py`, also `tests/test_signals.py`, which re-runs and checks the",
        "skip). Times are wall seconds on a loaded 2-vCPU machine; SIGKILL may leave",
        "temporary `.part` files, which the next run sweeps.",
        "",
        *table,
        *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in stops),
        "",
    ]
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text("\n".join(lines), "utf-8")
    print("\n".join(lines[:12]))


if __name__ == "__main__":
    main()
