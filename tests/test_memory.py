"""Memory stays flat in a long convert: 2,000 articles through the real command (one
worker, all three editions), peak RSS read from the per-input report, growth after warm-up
under 10 MB. A resource test, not a timed one: it asserts no figure of speed."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
ARTICLES = 2000
WARM_UP = 300  # articles: every cache that fills has filled by then (fonts, glyph widths)
GROWTH_MB = 10


def _corpus(folder: Path, articles: int) -> int:
    """Copies of the seeds, each different (paragraphs shuffled, a mark of its own), so no
    per-text cache can hide growth; returns the number of inputs."""
    from newsarchive.pipeline import normalize_file

    per_seed = {seed: len(normalize_file(seed)) for seed in SEEDS}
    rng = random.Random(7)
    count = i = 0
    while count < articles:
        seed = SEEDS[i % len(SEEDS)]
        lines = seed.read_text("utf-8").split("\n")
        long = [k for k, line in enumerate(lines) if len(line) >= 60]
        body = [lines[k] for k in long]
        rng.shuffle(body)
        for k, line in zip(long, body, strict=True):
            lines[k] = line
        if long:
            lines[long[-1]] += f"（副本{i}）"
        path = folder / f"{i // 500:02}" / f"{i:05}_{seed.name}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines), "utf-8")
        count += per_seed[seed]
        i += 1
    return i


def test_peak_rss_flat_over_2000_articles(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    inputs = _corpus(corpus, ARTICLES + 60)  # a copy may split into stories differently
    report = tmp_path / "report.jsonl"
    run = subprocess.run(
        [sys.executable, "-m", "newsarchive", "convert", str(corpus), "-r", "-o",
         str(tmp_path / "out"), "--jobs", "1", "--quiet", "--report", str(report)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    records = [json.loads(line) for line in report.read_text("utf-8").splitlines()]
    assert len(records) == inputs and all(r["status"] == "converted" for r in records)
    done = 0
    warm = None
    for record in records:
        done += record["articles"]
        if warm is None and done >= WARM_UP:
            warm = record["peak_rss_mb"]
    assert done >= ARTICLES and warm is not None
    peak = records[-1]["peak_rss_mb"]
    assert peak - warm < GROWTH_MB, f"{warm} MB after {WARM_UP} articles, {peak} MB after {done}"
