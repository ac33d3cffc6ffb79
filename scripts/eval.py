"""Score this checkout on the team's evaluation corpus and compare with the committed baseline.

    python scripts/eval.py                 # both suites, per case against the baseline
    python scripts/eval.py --suite cases   # the text dumps only
    python scripts/eval.py --update        # raise the baseline where scores rose (never lower)
    python scripts/eval.py --report docs/eval.md   # per case and per check kind, as Markdown

The corpus lives in ``../shared/eval/`` (beside the checkout) and is never copied here: the
scorer ``check.py`` converts each case with this checkout's code (``src/`` first on the
path, so a git worktree scores its own code) and compares with the editor's gold.
Exit 1 when any case scores below its baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVAL = Path(os.environ.get("NEWSARCHIVE_EVAL", ROOT.parent / "shared" / "eval"))
BASELINE = ROOT / "tests" / "eval-baseline.json"
SUITES = ("cases", "html")


def run_suite(suite: str) -> dict[str, dict[str, object]]:
    """{case: {"passed", "total", "failed"}} from check.py run on this checkout's code."""
    cmd = f"env PYTHONPATH={ROOT / 'src'} {sys.executable} -m newsarchive"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "results.json"
        subprocess.run(
            [sys.executable, str(EVAL / "check.py"), str(EVAL / suite), "--cmd", cmd,
             "--json", str(out)],
            capture_output=True, text=True, check=False,
        )
        if not out.is_file():
            raise SystemExit(f"{EVAL / suite}: the scorer wrote no results")
        return json.loads(out.read_text(encoding="utf-8"))


def check_kind(label: str) -> str:
    """The kind of a failed check: 'paragraph', 'no chrome', 'title', …"""
    label = re.sub(r"^\[\d+\] ", "", label)
    words = label.split(" ")
    if words[0] in ("no", "exit"):
        return " ".join(words[:2]).rstrip(":")
    if re.fullmatch(r"\d+", words[0]):
        return "article count"
    return words[0]


def load_baseline() -> dict[str, dict[str, int]]:
    if not BASELINE.is_file():
        return {}
    return json.loads(BASELINE.read_text(encoding="utf-8"))


def main() -> int:
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `| head` ends quietly
    parser = argparse.ArgumentParser()
    parser.add_argument("--suite", choices=SUITES, action="append")
    parser.add_argument("--update", action="store_true", help="raise the baseline")
    parser.add_argument("--report", type=Path, help="write per-case and per-kind Markdown")
    parser.add_argument("--failed", action="store_true", help="list the failed checks")
    args = parser.parse_args()
    baseline = load_baseline()
    worse = 0
    lines: list[str] = []
    for suite in args.suite or SUITES:
        results = run_suite(suite)
        base = baseline.setdefault(suite, {})
        passed = sum(int(r["passed"]) for r in results.values())
        total = sum(int(r["total"]) for r in results.values())
        kinds: Counter[str] = Counter(check_kind(f) for r in results.values() for f in r["failed"])
        print(f"== {suite}: {passed}/{total} (baseline {sum(base.values())})")
        lines += [f"## `{suite}`: {passed}/{total}", "", "| case | passed | total | baseline |",
                  "|---|---|---|---|"]
        for case, r in sorted(results.items()):
            was = base.get(case, 0)
            mark = "  DROP" if int(r["passed"]) < was else ("  up" if r["passed"] > was else "")
            worse += int(r["passed"]) < was
            print(f"{case:32} {r['passed']:>3}/{r['total']:<3} baseline {was:>3}{mark}")
            if args.failed:
                for label in r["failed"]:
                    print(f"    FAIL {label}")
            lines.append(f"| {case} | {r['passed']} | {r['total']} | {was} |")
            if args.update:
                base[case] = max(was, int(r["passed"]))
        lines += ["", "Failed checks by kind: " + (", ".join(
            f"{k} {n}" for k, n in kinds.most_common()) or "none"), ""]
        print("failed by kind:", dict(kinds.most_common()))
    if args.update:
        BASELINE.write_text(json.dumps(baseline, indent=1, sort_keys=True) + "\n", "utf-8")
    if args.report:
        args.report.write_text("# Evaluation corpus scores\n\nMade by `python scripts/eval.py "
                               "--report`.\n\n" + "\n".join(lines), encoding="utf-8")
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())
