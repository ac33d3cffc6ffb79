"""Quality gate on the team's evaluation corpus (``../shared/eval/``, read at run time).

Every case must score at least its committed baseline (``tests/eval-baseline.json``); raise
the baseline with ``python scripts/eval.py --update`` as scores rise. The corpus is never
copied into this repository.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("eval_script", ROOT / "scripts" / "eval.py")
assert spec and spec.loader
eval_script = importlib.util.module_from_spec(spec)
spec.loader.exec_module(eval_script)
BASELINE = json.loads((ROOT / "tests" / "eval-baseline.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("suite", sorted(BASELINE))
def test_no_case_scores_below_its_baseline(suite: str) -> None:
    assert (eval_script.EVAL / suite / "gold.json").is_file(), (
        f"the evaluation corpus is missing: {eval_script.EVAL / suite} (../shared beside the checkout)"
    )
    results = eval_script.run_suite(suite)
    assert set(results) == set(BASELINE[suite]), "the corpus and the baseline list other cases"
    dropped = {
        case: f"{r['passed']} < {BASELINE[suite][case]}: {r['failed'][:5]}"
        for case, r in results.items()
        if int(r["passed"]) < BASELINE[suite][case]
    }
    assert not dropped, dropped
