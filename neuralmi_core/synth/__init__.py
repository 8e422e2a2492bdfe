"""Synthetic NWB recordings with known ground truth (the demo archive and the tests' sessions).

:mod:`.model` simulates a session (two populations driven by smooth shared latents) and states its
ground truth; :mod:`.imaging` records the same model's population A as two-photon ROIs (dF/F at 30 Hz);
:mod:`.nwb` writes sessions and archives as NWB files with a JSON sidecar; :mod:`.network` simulates
multi-region study sessions with planted structure (coupled pairs, a condition, two genotypes).

Examples
--------
>>> from neuralmi_core.synth import generate_archive
>>> paths = generate_archive("demo", n_sessions=2, seed=0)          # doctest: +SKIP
>>> paths[0].name                                                  # doctest: +SKIP
'sub-01_ses-01_ecephys.nwb'
"""

from .imaging import *  # noqa: F403
from .imaging import __all__ as _imaging_all
from .model import *  # noqa: F403
from .model import __all__ as _model_all
from .network import *  # noqa: F403
from .network import __all__ as _network_all
from .nwb import *  # noqa: F403
from .nwb import __all__ as _nwb_all

__all__ = [*_model_all, *_imaging_all, *_nwb_all, *_network_all]
