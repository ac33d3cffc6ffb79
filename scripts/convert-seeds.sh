#!/usr/bin/env bash
# Install the Debian packages the editions need (when root), install newsarchive (the
# runtime only; nothing when it is installed already), and convert seeds/ into output/
# (TEI + DOCX + PDF/A for every article; a re-run skips what is unchanged).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
apt_ensure python3-venv fonts-arphic-uming icc-profiles-free
install_newsarchive ""
.venv/bin/newsarchive convert seeds -o output
