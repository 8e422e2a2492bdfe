"""The lag sweep's declaration: its settings, cells, checks and ``neuralmi lag --help`` text."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ...settings import (
    CRITICS,
    TIMING,
    TRAINED_ESTIMATORS,
    Constraint,
    Setting,
    Settings,
)
from ...validation import NeuralMIError
from ..base import Analysis, check_split, seeds_of
from ..rigorous import ANALYSIS as RIGOROUS
from ..rigorous import check_chunk_sizes


@dataclass(frozen=True)
class Lags(Constraint):
    """Lags as a list of numbers, ``{start, stop, step}`` (stop included) or the string ``start:stop:step``."""

    metavar = "LAGS"

    def check(self, name, value, where=""):
        pre = f"{where}: " if where else ""
        try:
            if isinstance(value, str):
                if ":" in value:
                    start, stop, step = (float(v) for v in value.split(":"))
                    value = {"start": start, "stop": stop, "step": step}
                else:
                    value = [float(v) for v in value.split(",") if v.strip()]
            if isinstance(value, Mapping):
                if set(value) != {"start", "stop", "step"}:
                    raise ValueError
                start, stop, step = (float(value[k]) for k in ("start", "stop", "step"))
                if not (step > 0 and stop >= start):
                    raise ValueError
                n = int(math.floor((stop - start) / step + 1e-9)) + 1
                value = [start + i * step for i in range(n)]
            out = tuple(sorted({round(float(v), 12) for v in value}))
        except (TypeError, ValueError):
            raise NeuralMIError(f"{pre}`{name}` must be a list of lags, {{start, stop, step}} with step > 0 and "
                                f"stop >= start, or 'start:stop:step'. Got {value!r}.") from None
        if not out or not all(math.isfinite(v) for v in out):
            raise NeuralMIError(f"{pre}`{name}` must hold at least one finite lag. Got {value!r}.")
        return out

    def describe(self) -> str:
        return "a list of lags, {start, stop, step} or 'start:stop:step'"


RIG_FIT = RIGOROUS.stage("fit")

CLI_HELP = """Lag sweep: bias-corrected I(X_t; Y_{t+lag}) with a confidence interval at every lag, and the peak lag.

X at bin t is paired with Y at bin t + lag; negative lags mean Y leads. --lags is in seconds by default
(--time-unit s; the bin width comes from the binned file, or --bin-width for plain arrays) or in bins
(--time-unit bins); lags in seconds are rounded to the nearest whole bin, with a warning naming each lag
that moved (0.05 s at 0.02 s bins is run as 0.04 s). At every lag the MI is corrected by rigorous
mode's 1/N extrapolation over --gammas (see `neuralmi rigorous --help`); a (gamma, seed) cell trains the
chunks of all lags as one ensemble. The peak lag is the lag of the largest corrected MI; its confidence
range spans the neighbouring lags whose CI reaches the peak's lower CI bound.

JSON fields (every *_nats field also has a *_bits twin):
  curve              per lag: lag_bins, lag_s, mi_nats, ci_low_nats, ci_high_nats, naive_mi_nats,
                     reliable, flags (the rigorous fit of that lag)
  peak_lag_bins, peak_lag_s, peak_mi_nats, peak_ci_low_nats, peak_ci_high_nats
  peak_range_bins, peak_range_s   [first, last] lag of the confidence range around the peak
  lags_bins, lags_s, bin_width_s, n_pairs (samples per lag), members (lag_bins, gamma, chunk, seed,
  sizes, held-out and training MI), settings, fit_settings, data, cells, seconds, warnings, selection

Example:
  neuralmi lag-sweep 'binned.nc:spikes[region=A]' 'binned.nc:position' --lags=-0.5:0.5:0.05 --json lag.json
"""


class LagSweepAnalysis(Analysis):
    name = "lag_sweep"
    help = "bias-corrected MI at every lag between X and Y, with the peak lag and its confidence range"
    description = CLI_HELP
    y = "required"
    estimators = TRAINED_ESTIMATORS
    critics = CRITICS
    why_estimators = " (trained estimators: the baselines have no members to extrapolate)"
    cell_keys = (("gamma", "g"), ("seed", "s"))
    run = "neuralmi_core.analysis.lag:lag_sweep"
    gather = "neuralmi_core.analysis.lag:gather_lag_sweep"
    result = "neuralmi_core.analysis.lag:LagSweepResult"
    own = Settings([
        Setting("lags", Lags().check("lags", {"start": -0.5, "stop": 0.5, "step": 0.05}), Lags(),
                "lags of Y after X (negative: Y leads), in time_unit: a list, {start, stop, step} or "
                "'start:stop:step' (default -0.5 to 0.5 s in steps of 0.05 s)"),
        *TIMING,
        RIGOROUS.own["gammas"].with_default((1, 2, 3, 4, 5)),
        *(RIGOROUS.own[k] for k in ("seeds", "n_seeds", "seed", "chunking")),
        RIG_FIT["confidence"], RIG_FIT["extrapolate"], RIG_FIT["delta"], RIG_FIT["min_gammas"].with_default(4),
        RIG_FIT["min_chunk"],
    ])

    def cells(self, values: Mapping[str, Any]) -> list[dict[str, int]]:
        return [{"gamma": g, "seed": s} for g in values["gammas"] for s in seeds_of(values)]

    def cell_settings(self, cell: Mapping[str, int]) -> dict[str, Any]:
        return {"gammas": (cell["gamma"],), "seeds": (cell["seed"],)}

    def check_more(self, values: Mapping[str, Any], has_y: bool, pre: str) -> None:
        seeds_of(values)
        if values["time_unit"] == "bins" and any(v != round(v) for v in values["lags"]):
            raise NeuralMIError(f"{pre}`lags` in bins must be whole numbers. Got {values['lags']}.")

    data_settings = ("lags", "time_unit", "gammas", "split", "test_fraction", "gap")

    def check_data(self, n_samples: int, values: Mapping[str, Any], info: Mapping[str, Any]) -> dict[str, Any]:
        lags = lags_in_bins({**values, "bin_width": values.get("bin_width") or info.get("bin_width_s")})
        span = max(lags) - min(lags)
        n_pairs = n_samples - span  # at most: gaps in the bins drop more
        if n_pairs < 20:
            raise NeuralMIError(f"`lags` span {span} bins but the selection holds {n_samples} samples; expected at "
                                f"least 20 pairs at every lag. Use a shorter lag range.")
        check_chunk_sizes(n_pairs, values["gammas"])
        for g in values["gammas"]:
            check_split(n_pairs // g, values, f"at gamma {g} each chunk holds {n_pairs // g} samples: ")
        return {"lags_bins": list(lags), "n_pairs": n_pairs}

    def check_config(self, values: Mapping[str, Any]) -> None:
        if len(values["gammas"]) < values["min_gammas"]:
            raise NeuralMIError(f"`gammas` holds {len(values['gammas'])} gamma(s) but `min_gammas` is "
                                f"{values['min_gammas']}; the fit needs at least min_gammas gammas")

    def selection_inputs(self, selection: Any) -> dict[str, Any]:
        return {"time_index": selection.bins, "bin_width": selection.bin_width_s}


ANALYSIS = LagSweepAnalysis()


def lags_in_bins(values: Mapping[str, Any]) -> tuple[int, ...]:
    """The lags of a run in whole bins (seconds rounded to the nearest bin)."""
    if values["time_unit"] == "bins":
        return tuple(sorted({int(round(v)) for v in values["lags"]}))
    width = values.get("bin_width")
    if width is None:
        raise NeuralMIError("`lags` are in seconds (time_unit 's') but no `bin_width` is known; give bin_width "
                            "(seconds per sample) or lags in bins (time_unit 'bins').")
    return tuple(sorted({int(round(v / width)) for v in values["lags"]}))
