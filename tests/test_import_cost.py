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
