#!/usr/bin/env bash
# Install (if needed) and run the whole test suite, then lint.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m pytest -q
.venv/bin/ruff check src tests benchmarks
