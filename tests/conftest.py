"""Shared fixtures: the seeds, normalised once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsarchive.model import Article
from newsarchive.pipeline import normalize_file

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="session")
def seed_articles() -> dict[str, list[Article]]:
    """{seed file stem: its normalised articles}."""
    return {path.stem[:3]: normalize_file(path) for path in sorted(SEEDS.glob("*.txt"))}
