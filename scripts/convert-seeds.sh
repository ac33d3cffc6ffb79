#!/usr/bin/env bash
# Install the Debian packages the editions need (when root), install newsarchive (the
# runtime only; nothing when it is installed already), and convert seeds/ into output/
# (TEI + DOCX + PDF/A for every article; a re-run skips what is unchanged).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
# UMing, then the fallback and Latin faces of src/newsarchive/data/fonts.toml.
apt_ensure python3-venv fonts-arphic-uming fonts-hanazono fonts-liberation2 fonts-dejavu-core \
  icc-profiles-free
install_newsarchive ""
.venv/bin/newsarchive convert seeds -o output
