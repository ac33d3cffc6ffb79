#!/usr/bin/env bash
# Create .venv and install newsarchive into it (editable), idempotently and quickly:
#   bash scripts/setup.sh            the runtime only
#   bash scripts/setup.sh test,dask  with these extras (pyproject.toml's optional groups)
# Debian packages: `source scripts/setup.sh` also defines apt_ensure PACKAGE... (root only).
# A stamp in .venv records the hash of pyproject.toml and the extras installed with it;
# when they already cover what is asked for, pip is not run at all (a re-run takes well
# under a second instead of pip resolving 70-odd packages again).
set -euo pipefail

apt_ensure() {
  # Install the Debian packages that are missing (when root on Debian); never
  # `apt-get update` when nothing is missing.
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || return 0
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' \
      || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_newsarchive() {
  local extras="${1:-}" python="${PYTHON:-python3}" stamp=.venv/.newsarchive-installed hash
  hash="$(sha256sum pyproject.toml | cut -d' ' -f1)"
  if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(head -n1 "$stamp")" = "$hash" ] \
      && [ -x .venv/bin/newsarchive ]; then
    local need e covered=1
    IFS=, read -r -a need <<< "$extras"
    for e in "${need[@]}"; do
      [ -z "$e" ] || grep -qx "extra $e" "$stamp" || covered=0
    done
    if [ "$covered" = 1 ]; then
      return 0
    fi
  fi
  if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
    .venv/bin/python -m pip install -q --upgrade pip
  fi
  local target=.
  [ -z "$extras" ] || target=".[$extras]"
  echo "installing newsarchive ${extras:+with $extras }into .venv" >&2
  .venv/bin/python -m pip install -q -e "$target"
  # Keep the extras an earlier run installed with the same pyproject.toml.
  local old=""
  if [ -f "$stamp" ] && [ "$(head -n1 "$stamp")" = "$hash" ]; then
    old="$(tail -n +2 "$stamp")"
  fi
  {
    echo "$hash"
    { [ -z "$old" ] || echo "$old"; tr ',' '\n' <<< "$extras" | sed '/^$/d; s/^/extra /'; } \
      | sort -u
  } > "$stamp.tmp"
  mv "$stamp.tmp" "$stamp"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then  # run, not sourced
  cd "$(dirname "$0")/.."
  install_newsarchive "${1:-}"
fi
