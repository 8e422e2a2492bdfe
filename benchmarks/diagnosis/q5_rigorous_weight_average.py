"""Rigorous mode with the trainer's weight averaging forced on (measured for issue 20; not adopted).

``estimate()`` averages the critic's weights (``weight_average``, DIAGNOSIS.md section 23); rigorous mode does
not. This runs ``benchmarks/suite.py`` with every fit of the process averaged (``WA=1``) or as today (``WA=0``),
same arguments otherwise:

    WA=0 OMP_NUM_THREADS=1 python benchmarks/diagnosis/q5_rigorous_weight_average.py --tasks conj-60 mixture3 \\
        student-df1 swissroll xmixture gauss-sparse-25 place2d-50 asinh --n 5000 --data-seeds 1 --modes rigorous \\
        --json q5_rig5000_s1_wa0.json          # and WA=1 ... --json q5_rig5000_s1_wa1.json
"""

import dataclasses
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import neuralmi_core.training.trainer as trainer  # noqa: E402

if os.environ.get("WA") == "1":
    _train = trainer._train

    def _averaged(objective, data, cfg, desc):
        return _train(objective, data, dataclasses.replace(cfg, weight_average=True), desc)

    trainer._train = _averaged

import suite  # noqa: E402

if __name__ == "__main__":
    sys.exit(suite.main(sys.argv[1:]))
