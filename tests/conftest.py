"""Shared fixtures: the seeds, normalised once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings
from lxml import etree

from newsarchive import validate
from newsarchive.model import Article
from newsarchive.pipeline import normalize_file

# CI (and a plain `pytest`) runs a fixed sequence of examples, so a red run is a change's
# doing, not the dice's; `HYPOTHESIS_PROFILE=explore pytest` searches with fresh seeds.
settings.register_profile("ci", derandomize=True)
settings.register_profile("explore", derandomize=False, max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="session")
def seed_articles() -> dict[str, list[Article]]:
    """{seed file stem: its normalised articles}."""
    return {path.stem[:3]: normalize_file(path) for path in sorted(SEEDS.glob("*.txt"))}


@pytest.fixture(scope="session")
def tei_all() -> etree.RelaxNG:
    """tei_all takes seconds to compile: once per test session (validate caches it)."""
    return validate.tei_all_rng()
