#!/usr/bin/env bash
# Run the whole test suite (fast and slow tests) after making sure the environment exists.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -m "not slow"` for the fast tests only.
# Tests run in parallel processes (pytest-xdist, one per core, at most 8), each with one torch thread
# (OMP_NUM_THREADS=1 unless set): on 2 cores the suite takes about half the time of one process.
# NEURALMI_TEST_WORKERS=0 runs everything in one process (e.g. under a debugger); an explicit `-n N`
# or `-p no:xdist` among the arguments wins.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
par=(-n "${NEURALMI_TEST_WORKERS:-auto}" --maxprocesses 8)
for a in "$@"; do
  case "$a" in -n | -n[0-9]* | --numprocesses* | no:xdist) par=() ;; esac
done
[ "${NEURALMI_TEST_WORKERS:-auto}" = 0 ] && par=()
exec .venv/bin/python -m pytest "${par[@]}" "$@"
