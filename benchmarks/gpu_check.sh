#!/usr/bin/env bash
# One prepared GPU check for issues 10/15 (run on a lent CUDA machine from the repo root; at most 9 min 40 s,
# inside the device tool's 10-minute limit per command).
# Every step has its own time cap; results land under $OUT (default ./gpu_out) as text and JSON.
#
#   OUT=/path/to/out bash benchmarks/gpu_check.sh
#
# 1. device-parametrised tests on CUDA (trainer, models, bounds, estimate API)
# 2. no host synchronisation inside the step loop: one small fit under torch.cuda.set_sync_debug_mode("warn")
# 3. benchmarks/session_scale.py:
#    session_scale.py, 10-min x 500-unit session first (cheap), then the full 60-min x 500-unit session
set -u
OUT=${OUT:-gpu_out}
mkdir -p "$OUT"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
PY=${PY:-python}

step() {  # step NAME SECONDS CMD...
  local name=$1 cap=$2; shift 2
  local t0=$(date +%s)
  timeout "$cap" "$@" > "$OUT/$name.txt" 2>&1
  local rc=$?
  echo "{\"step\": \"$name\", \"rc\": $rc, \"seconds\": $(( $(date +%s) - t0 ))}" >> "$OUT/steps.jsonl"
}

nvidia-smi --query-gpu=name,memory.total --format=csv > "$OUT/gpu.txt" 2>&1
step pytest_cuda 120 $PY -m pytest tests/test_trainer.py tests/test_models.py tests/test_bounds.py \
  tests/test_estimate_api.py -q -m "not slow" --device cuda -p no:cacheprovider
step sync_debug 40 $PY - <<'EOF'
import warnings, torch
import neuralmi_core as nmi
from neuralmi_core.samplers import CorrelatedGaussian
x, y = CorrelatedGaussian(20, 20, 2.0).sample(20000, seed=0)
torch.cuda.set_sync_debug_mode("warn")
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    r = nmi.estimate(x, y, device="cuda", epochs=5, progress=False)
sync = [str(m.message) for m in w if "synchron" in str(m.message).lower()]
print(r.mi_nats, r.history["timing"])
print(f"{len(sync)} synchronising calls in 5 epochs (expected about 2 per epoch: one read-back per evaluation"
      f" and the phase timer)")
for s in sorted(set(sync))[:10]:
    print(" ", s[:200])
EOF
step session_10min 100 $PY benchmarks/session_scale.py --minutes 10 --units 500 --device cuda \
  --json "$OUT/session_10min.json"
step session_60min 320 $PY benchmarks/session_scale.py --minutes 60 --units 500 --device cuda \
  --json "$OUT/session_60min.json"
cat "$OUT/steps.jsonl"
