#!/usr/bin/env bash
# Install the Debian packages the editions need (when root), install newsarchive, and
# convert seeds/ into output/ (TEI + DOCX + PDF/A for every article).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends python3-venv fonts-arphic-uming \
    icc-profiles-free >/dev/null
fi
bash scripts/setup.sh
.venv/bin/newsarchive convert seeds -r -o output
