#!/usr/bin/env bash
# Install what the tests need (the Debian packages of the real clients that check the
# outputs, when run as root on Debian; newsarchive with its test tools), then run the tests
# (pytest) and lint (ruff). A second run installs nothing: packages already there are not
# asked for again, and pip is skipped while pyproject.toml is unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
# poppler (pdftotext/pdffonts/pdftoppm), qpdf, PDFBox preflight (PDF/A) + Java,
# LibreOffice writer (second DOCX reader), jing (TEI), pandoc and chromium (review page),
# the PDF's fonts (UMing; fallbacks and Latin face, src/newsarchive/data/fonts.toml) and
# the sRGB ICC profile the PDFs embed, maven (fetches veraPDF).
packages="python3-venv poppler-utils qpdf fonts-arphic-uming fonts-hanazono
  fonts-liberation2 fonts-dejavu-core icc-profiles-free
  libreoffice-writer-nogui libpdfbox2-java default-jre-headless libactivation-java
  libjaxb-api-java jing pandoc chromium maven"
# shellcheck disable=SC2086
apt_ensure $packages
install_newsarchive test,dask
# veraPDF (PDF/A + PDF/UA validator) from Maven Central into .tools/; without mvn (not root,
# not installed) its tests skip, except in CI (CI=true), where they fail.
if command -v mvn >/dev/null; then bash scripts/install-verapdf.sh; fi
.venv/bin/python -m pytest -q
.venv/bin/ruff check src tests benchmarks scripts
