#!/usr/bin/env bash
# Create (or update) the project's virtual environment in .venv with everything the demo, the tests and
# the workflow need. Idempotent: a second run only checks. Needs Python >= 3.11 and pip, nothing else.
# The CPU build of PyTorch is installed first so that the package's own `torch` range never pulls the
# multi-GB CUDA build on a machine without a GPU (set NEURALMI_TORCH_SPEC to choose another build).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${NEURALMI_VENV:-.venv}
TORCH_SPEC=${NEURALMI_TORCH_SPEC:-torch==2.13.0}
stamp="$VENV/.neuralmi-installed"
want=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
  echo "[setup] installing $TORCH_SPEC (CPU build)" >&2
  "$VENV/bin/python" -m pip install -q "$TORCH_SPEC"
fi
echo "[setup] installing neuralmi_core with [dev] extras" >&2
"$VENV/bin/python" -m pip install -q -e ".[dev]"
echo "$want" > "$stamp"
