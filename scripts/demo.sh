#!/usr/bin/env bash
# Quick-start demo: installs the environment if needed, then runs the library demo end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m neuralmi_core.demo "$@"
