#!/usr/bin/env bash
# Quick-start demo: installs the environment if needed, then runs the Snakemake workflow end to end on
# the embedded demo archive (config.yaml): synthetic NWB sessions with known ground truth are generated
# into resources/demo_archive/, binned, trained and reported under results/.
# Extra arguments go to snakemake (e.g. `bash scripts/demo.sh -n` for a dry run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH" MPLBACKEND=Agg
exec snakemake --cores "${NEURALMI_CORES:-2}" "$@"
