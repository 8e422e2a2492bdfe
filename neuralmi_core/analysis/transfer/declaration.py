"""Transfer entropy's declaration as a registry analysis: settings, (gamma, seed) cells, checks, help text.

The workflow mode ``transfer_entropy`` trains one (gamma, seed) cell per job through ``neuralmi
transfer-entropy`` and combines them with ``neuralmi gather transfer-entropy`` (the numbers of one
``nmi.transfer_entropy`` call). Conditioning on a third signal (``z``) and the surrogate test are in the
library and in ``neuralmi transfer`` (not yet in the workflow).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...settings import CRITICS, TRAINED_ESTIMATORS, Bool, Int, IntList, Setting, Settings
from ...validation import NeuralMIError
from ..base import Analysis, check_split, seeds_of
from ..rigorous import ANALYSIS as RIGOROUS

CLI_HELP = """Transfer entropy TE(X -> Y) = I(X_past; Y_future | Y_past) per delay, bias-corrected in 1/N, in nats.

For every (gamma, seed) cell the bins are cut into gamma contiguous chunks; inside each chunk the windows are
built (the target's past --k-target bins, the source's past --k-source bins ending DELAY bins before the
predicted bin, --horizon bins ahead) and two networks are trained on the same split and seed: the full term
I(X_past Y_past; Y_future) and the reduced term I(Y_past; Y_future). Their difference per chunk (a paired
member) is extrapolated to 1/N = 0 over the gammas; the CI comes from the paired spread. The headline is the
TE at the peak delay; --bidirectional adds TE(Y -> X) on the same cells and the paired difference. A
negative TE whose CI contains 0 means "no evidence of transfer", not an error. One cell per job
(--gammas 3 --seeds 0) and `neuralmi gather transfer-entropy` give the numbers of one call; conditioning on a
third signal (--z) and the surrogate p-value are in `neuralmi transfer`.

JSON fields: mi_nats, ci_low_nats, ci_high_nats (TE at the peak delay), peak_delay, peak_delay_range, delays,
te_nats, ci_low, ci_high (per delay), reverse, difference_nats (+ CI), flags, warnings, members (gamma, chunk,
seed, delay, direction, mi_full_nats, mi_reduced_nats, diff_nats), cells, settings, fit_settings, data.

Example:
  neuralmi transfer-entropy 'binned.nc:spikes[region=A]' 'binned.nc:spikes[region=B]' --delays 1-5 --json te.json
"""


class TransferEntropyAnalysis(Analysis):
    name = "transfer_entropy"
    help = "transfer entropy X -> Y per delay with paired 1/N-corrected CIs (the workflow's TE mode)"
    description = CLI_HELP
    y = "required"
    estimators = TRAINED_ESTIMATORS
    critics = CRITICS
    why_estimators = " (trained estimators: the paired members are extrapolated)"
    cell_keys = (("gamma", "g"), ("seed", "s"))
    run = "neuralmi_core.analysis.transfer.compute:transfer_entropy"
    gather = "neuralmi_core.analysis.transfer.compute:gather_transfer_entropy"
    result = "neuralmi_core.analysis.transfer.result:TransferEntropyResult"
    own = Settings([
        Setting("delays", (1, 2, 3, 4, 5), IntList(1), "interaction delays in bins: the newest source bin is DELAY "
                "bins before the predicted target bin ('1-5', '1,3' or a list)"),
        Setting("k_source", 1, Int(1), "bins of the source's past"),
        Setting("k_target", 1, Int(1), "bins of the target's own past (conditioned on)"),
        Setting("horizon", 1, Int(1), "bins ahead of the present that the target is predicted"),
        Setting("bidirectional", False, Bool(), "also TE(Y -> X) on the same cells, and the paired difference"),
        *(RIGOROUS.own[k] for k in ("gammas", "seeds", "n_seeds", "seed")),
        *(RIGOROUS.own[k] for k in ("confidence", "delta", "min_gammas")),
    ])

    def cells(self, values: Mapping[str, Any]) -> list[dict[str, int]]:
        return [{"gamma": g, "seed": s} for g in values["gammas"] for s in seeds_of(values)]

    def cell_settings(self, cell: Mapping[str, int]) -> dict[str, Any]:
        return {"gammas": (cell["gamma"],), "seeds": (cell["seed"],)}

    def check_more(self, values: Mapping[str, Any], has_y: bool, pre: str) -> None:
        seeds_of(values)
        if values["split"] != "blocked":
            raise NeuralMIError(f"{pre}transfer_entropy needs split 'blocked' (windows of a time series). Got "
                                f"{values['split']!r}.")

    data_settings = ("gammas", "delays", "k_source", "k_target", "horizon", "split", "test_fraction", "gap")

    def check_data(self, n_samples: int, values: Mapping[str, Any], info: Mapping[str, Any]) -> dict[str, Any]:
        span = max(values["k_target"] - 1, max(values["delays"]) - values["horizon"] + values["k_source"] - 1, 0)
        span += values["horizon"]
        for g in values["gammas"]:
            windows = n_samples // g - span
            if windows < 20:
                raise NeuralMIError(f"at gamma {g} each chunk holds {n_samples // g} bins, {windows} windows after "
                                    f"the {span} bins of history and horizon; expected at least 20. Use fewer "
                                    "gammas, shorter delays or a longer session.")
            check_split(windows, values, f"at gamma {g} each chunk holds {windows} windows: ")
        return {"n_samples": n_samples, "history_bins": span}

    def check_config(self, values: Mapping[str, Any]) -> None:
        if len(values["gammas"]) < values["min_gammas"]:
            raise NeuralMIError(f"`gammas` holds {len(values['gammas'])} gamma(s) but `min_gammas` is "
                                f"{values['min_gammas']}; the fit needs at least min_gammas gammas")


ANALYSIS = TransferEntropyAnalysis()
