"""What `neuralmi --version` and the workflow's planning import (issue 23 item 4): the registry and the CLI
parser load neither torch nor scipy.stats (scipy.stats alone cost 1.7 s of every CLI start and every
Snakemake parse; both are imported where a fit or a training first needs them)."""

from __future__ import annotations

import subprocess
import sys


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"],
                         capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_registry_and_cli_parser_stay_light():
    for code in ("import neuralmi_core.analysis.registry",
                 "from neuralmi_core.cli import build_parser\nbuild_parser()"):
        loaded = _modules_after(code)
        heavy = sorted(m for m in ("torch", "scipy.stats", "statsmodels", "matplotlib") if m in loaded)
        assert not heavy, f"{code!r} imports {heavy}"


def test_training_and_the_rigorous_fit_import_only_what_they_use():
    """A trained estimator's import path leaves scipy.spatial to KSG, and the 1/N fit imports statsmodels'
    regression module only, not statsmodels.api (its datasets, distributions and the rest: 2 s of every
    rigorous run's start on a busy 2-core machine)."""
    loaded = _modules_after("import neuralmi_core.estimators")
    assert "scipy.spatial" not in loaded
    loaded = _modules_after("import numpy as np\nfrom neuralmi_core.analysis.extrapolation import training_mi_trend\n"
                            "g = np.repeat(np.arange(1.0, 7.0), 2)\nprint(training_mi_trend(g, 1.0 - 0.05 * g + "
                            "0.01 * np.cos(np.arange(g.size))))")
    assert "statsmodels.regression.linear_model" in loaded
    heavy = sorted(m for m in ("statsmodels.api", "statsmodels.datasets", "statsmodels.distributions") if m in loaded)
    assert not heavy, heavy
