#!/usr/bin/env bash
# Build the documentation site with warnings as errors: `mkdocs build --strict` (mkdocs.yml) into a
# temporary folder, which is removed afterwards (the site is not committed; `.venv/bin/mkdocs serve`
# shows it while writing). Installs the `docs` extra into the environment first when it is missing.
# The tutorials execute while the site is built, so a tutorial that raises fails this script; it prints
# how long each took and the whole build. Usage: bash scripts/docs.sh [--keep DIR] (DIR: keep the site there).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${NEURALMI_VENV:-.venv}
PY="$VENV/bin/python"
if [ ! -x "$PY" ]; then
  bash scripts/setup.sh
fi
if ! "$PY" -c "import mkdocs, material, mkdocstrings_handlers.python, markdown_exec" 2>/dev/null; then
  echo "[docs] installing the docs extra" >&2
  "$PY" -m pip install -q -e ".[docs]"
fi
out=""
if [ "${1:-}" = "--keep" ]; then
  out=${2:?"--keep needs a folder"}
else
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi
# the pages document this checkout (scripts/mkdocs_hooks.py puts it first on sys.path); the tutorials
# train small networks on one thread each
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} MPLBACKEND=Agg NO_MKDOCS_2_WARNING=1
start=$(date +%s)
"$PY" -m mkdocs build --strict --site-dir "$out"
echo "[docs] mkdocs build --strict: $(( $(date +%s) - start )) s, no warnings" >&2
