"""Issue 21, the common drive on spikes (DIAGNOSIS.md section 20): TE(X->Y | Z) per delay on the GLM network 0 of
``benchmarks/transfer.py --family glm --gain 0 --drive 1`` (18 source and 15 target neurons, a shared AR(1) drive
Z, no link; the exact TE given Z is 0 when k_target covers the GLM's 5-bin self-history), with the reduced term
seeing a row-shuffled source (``permuted``, the default since 2026-12-05) or no source (``none``, before).

    OMP_NUM_THREADS=1 python benchmarks/diagnosis/te1_common_drive.py none 2
    OMP_NUM_THREADS=1 python benchmarks/diagnosis/te1_common_drive.py none 5
    OMP_NUM_THREADS=1 python benchmarks/diagnosis/te1_common_drive.py permuted 5
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from neuralmi_core.analysis.transfer import transfer_entropy  # noqa: E402
from neuralmi_core.synth.glm import simulate_glm  # noqa: E402

reduced, k_target = sys.argv[1], int(sys.argv[2])
t0 = time.time()
net = simulate_glm(10000, n_source=18, n_target=15, delay=1, gain=0.0, drive_gain=1.0, seed=100)
c = transfer_entropy(net.x, net.y, z=net.drive, seed=0, delays=[1, 2, 3], k_target=k_target, gammas=[1, 2, 3, 4, 5],
                     epochs=30, progress=False, reduced_source=reduced)
print(f"reduced_source {reduced}, k_target {k_target}: TE(X->Y | Z) per delay 1-3: "
      + ", ".join(f"{v:+.4f} [{lo:+.4f}, {hi:+.4f}]" for v, lo, hi in zip(c.te_nats, c.ci_low, c.ci_high, strict=True))
      + f" ({time.time() - t0:.0f} s)")
