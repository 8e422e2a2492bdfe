#!/usr/bin/env bash
# CI check of the SLURM profile: start a one-node SLURM cluster on loopback
# (../shared/tools/local_slurm/start_local_slurm.sh), run the tiny test config through
# `--profile profiles/slurm` (+ the overlay tests/configs/slurm_overlay: partition `debug`, squeue status
# polling, no accounting), run the same config locally, and check that both runs' summaries match.
#
#   bash scripts/slurm_ci.sh            # as root (CI); work folder under /tmp, kept on failure
#
# Skips with a clear message (exit 0) when the cluster cannot be started: not root, recipe missing,
# packages not installable. Set NEURALMI_SLURM_REQUIRED=1 to turn a skip into a failure.
# Env: NEURALMI_LOCAL_SLURM (folder of start_local_slurm.sh), NEURALMI_SLURM_WORK (work folder),
# NEURALMI_SLURM_TOL (absolute tolerance of the comparison, default 1e-6).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
TOOLS=${NEURALMI_LOCAL_SLURM:-$REPO/../shared/tools/local_slurm}
WORK=${NEURALMI_SLURM_WORK:-$(mktemp -d /tmp/neuralmi_slurm_ci.XXXXXX)}
TOL=${NEURALMI_SLURM_TOL:-1e-6}
CONFIG=$REPO/tests/configs/tiny.yaml

skip() {
  echo "[slurm_ci] SKIPPED: $*" >&2
  if [ "${NEURALMI_SLURM_REQUIRED:-0}" = "1" ]; then exit 1; fi
  exit 0
}

[ "$(id -u)" -eq 0 ] || skip "starting the local SLURM cluster needs root (this is user $(id -un))"
[ -f "$TOOLS/start_local_slurm.sh" ] || skip "no cluster recipe at $TOOLS/start_local_slurm.sh"
bash scripts/setup.sh
export PATH="$REPO/.venv/bin:$PATH" MPLBACKEND=Agg PYTHONUNBUFFERED=1
mkdir -p "$WORK"
echo "[slurm_ci] starting the local SLURM cluster (log: $WORK/start_local_slurm.log)" >&2
if ! bash "$TOOLS/start_local_slurm.sh" > "$WORK/start_local_slurm.log" 2>&1; then
  tail -n 20 "$WORK/start_local_slurm.log" >&2 || true
  skip "the local SLURM cluster did not start (see $WORK/start_local_slurm.log)"
fi

SMK=(snakemake -s "$REPO/Snakefile" --configfile "$CONFIG")
echo "[slurm_ci] SLURM run in $WORK/slurm" >&2
mkdir -p "$WORK/slurm" "$WORK/local"
if ! "${SMK[@]}" --directory "$WORK/slurm" --profile "$REPO/profiles/slurm" \
    --workflow-profile "$REPO/tests/configs/slurm_overlay" > "$WORK/slurm.log" 2>&1; then
  tail -n 60 "$WORK/slurm.log" >&2
  for f in "$WORK"/slurm/.snakemake/slurm_logs/*/*/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }; done >&2
  echo "[slurm_ci] FAILED: the SLURM run failed (work folder kept: $WORK)" >&2
  exit 1
fi
grep -q "sbatch\|Job .* has been submitted with SLURM jobid" "$WORK/slurm.log" \
  || { echo "[slurm_ci] FAILED: no job was submitted to SLURM" >&2; exit 1; }

echo "[slurm_ci] local run in $WORK/local" >&2
if ! "${SMK[@]}" --directory "$WORK/local" --cores 2 > "$WORK/local.log" 2>&1; then
  tail -n 60 "$WORK/local.log" >&2
  echo "[slurm_ci] FAILED: the local run failed (work folder kept: $WORK)" >&2
  exit 1
fi

python - "$WORK/slurm/results/summary.csv" "$WORK/local/results/summary.csv" "$TOL" <<'PY'
import csv, math, sys

a_path, b_path, tol = sys.argv[1], sys.argv[2], float(sys.argv[3])
rows = [list(csv.DictReader(open(p))) for p in (a_path, b_path)]
skip = {"source_sha256", "warnings"}  # the demo NWB files differ in object ids, not in content
assert len(rows[0]) == len(rows[1]) > 0, f"row counts differ: {len(rows[0])} vs {len(rows[1])}"
bad = []
for ra, rb in zip(*rows):
    for k in ra:
        if k in skip:
            continue
        va, vb = ra[k], rb[k]
        try:
            fa, fb = float(va), float(vb)
        except ValueError:
            ok = va == vb
        else:
            ok = (math.isnan(fa) and math.isnan(fb)) or abs(fa - fb) <= tol
        if not ok:
            bad.append(f"{ra['session']}/{ra['analysis']}/{ra['mode']} {k}: slurm {va!r} vs local {vb!r}")
if bad:
    sys.exit("[slurm_ci] FAILED: SLURM and local summaries differ:\n  " + "\n  ".join(bad))
print(f"[slurm_ci] OK: SLURM and local runs agree on {len(rows[0])} summary row(s) (tolerance {tol})")
PY
rm -rf "$WORK"
