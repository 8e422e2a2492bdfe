"""Before training: what an analysis selects from a binned session, and whether the session is long enough.

:func:`preflight` loads an analysis's X (and Y) from a binned session exactly as the training jobs will
(:func:`~neuralmi_core.io.select.select_xy`: selectors, observed-bin masks, window, lag), and returns a
*selection record*: the selectors, window and lag in bins and seconds, how many bins were kept and why
the others were dropped, the units behind the feature columns (ids, counts per region/location) and which
features are constant over the kept bins (a unit that never spikes, a population without signal). It
then checks, without training, that every rigorous chunk and every train/test split the settings ask
for can be made, and raises :class:`NeuralMIError` naming the session, the analysis and the setting to
change when one cannot. The workflow runs it once per (session, analysis) right after binning, so a
session that is too short is refused before any training job starts, and the reports show the record.

Examples
--------
>>> rec = preflight("results/s1/binned.nc", "spikes[region=A]", "spikes[region=B]",
...                 rigorous={"gammas": [1, 2, 3]}, training={"split": "blocked"})   # doctest: +SKIP
>>> rec["n_rows"], rec["dropped_bins"], rec["x"]["units"]["region"]                 # doctest: +SKIP
(13998, 1002, {'A': 40})
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..analysis.plan import parse_int_list
from ..analysis.rigorous import check_chunk_sizes
from ..training.split import train_test_split
from ..validation import NeuralMIError, constant_input_warning
from .select import select_xy

#: Training settings the check reads, with the library's defaults.
TRAINING_DEFAULTS = {"split": "blocked", "test_fraction": 0.2, "gap": 10}


def _side(spec: str, role: str, values: np.ndarray, invalid: Mapping[str, int], features: Mapping[str, Any],
          window: int) -> dict[str, Any]:
    """Selection record of X or Y: selector, feature count, units and their coords, constant features."""
    n_feat = values.shape[1]
    constant = np.all(values == values[:1], axis=0) if values.shape[0] else np.ones(n_feat, bool)
    entry: dict[str, Any] = {"selector": spec, "n_features": int(n_feat), "invalid_bins_by_reason": dict(invalid),
                             "n_constant_features": int(constant.sum()), "constant": bool(constant.all())}
    for dim, info in features.items():
        entry["feature_dim"] = dim
        entry["units" if dim == "unit" else dim] = {k: v for k, v in info.items()}
        ids = info.get("ids")
        if ids is not None and window == 1 and len(ids) == n_feat:
            entry["constant_ids"] = [ids[i] for i in np.flatnonzero(constant)][:50]
    warning = constant_input_warning(role, values)
    entry["warning"] = warning
    return entry


def _fmt_ints(values: Sequence[int]) -> str:
    vals = list(values)
    return str(vals) if len(vals) <= 8 else f"[{vals[0]}, {vals[1]}, ..., {vals[-1]}] ({len(vals)} values)"


def _split_problem(n: int, split: str, test_fraction: float, gap: int) -> str | None:
    try:
        train_test_split(n, split, test_fraction, gap=gap)
    except NeuralMIError as exc:
        return str(exc)
    return None


def preflight(binned: str | os.PathLike, x: str, y: str | None = None, *, window: int = 1, lag: int = 0,
              rigorous: Mapping[str, Any] | None = None, dimensionality: Mapping[str, Any] | None = None,
              training: Mapping[str, Any] | None = None, where: str = "",
              keys: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Selection record of one analysis on one binned session; raises when the session is too short.

    Parameters
    ----------
    binned : the session's binned netCDF file.
    x, y : variable selectors inside it (``spikes[region=A]``); ``y`` None for X alone.
    window, lag : as in :func:`~neuralmi_core.io.select.select_xy` (bins).
    rigorous : ``{"gammas": [...], "min_chunk": 1000}`` when rigorous mode runs (None: not checked).
    dimensionality : ``{"with_y": bool}`` when dimensionality mode runs (None: not checked).
    training : ``split``, ``test_fraction``, ``gap`` (defaults: :data:`TRAINING_DEFAULTS`).
    where : prefix of error messages (e.g. ``"session S, analysis A"``).
    keys : how to name a setting in messages (e.g. ``{"gammas": "analyses[0].rigorous.gammas"}``).

    Returns
    -------
    dict
        JSON-ready record (see module docstring) with ``warnings`` (constant inputs, small chunks).
    """
    keys = dict(keys or {})
    name = {k: keys.get(k, k) for k in ("gammas", "split", "test_fraction", "gap", "window", "lag", "x", "y",
                                         "min_chunk")}
    pre = f"{where}: " if where else ""
    t = {**TRAINING_DEFAULTS, **(training or {})}
    sel = select_xy(f"{binned}:{x}", f"{binned}:{y}" if y else None, window=window, lag=lag)
    s = sel.summary
    bin_width = _bin_width(binned)
    n = int(s["n_rows"])
    rec: dict[str, Any] = {
        "binned": str(binned), "bin_width_s": bin_width,
        "window_bins": window, "lag_bins": lag,
        "window_s": None if bin_width is None else window * bin_width,
        "lag_s": None if bin_width is None else lag * bin_width,
        "n_bins": int(s["n_bins"]), "n_rows": n, "dropped_bins": int(s["n_bins"]) - n,
        "x": _side(x, "x", sel.x, s.get("invalid_x_by_reason", {}), s.get("x_features", {}), window),
        "y": None if y is None else _side(y, "y", sel.y, s.get("invalid_y_by_reason", {}), s.get("y_features", {}),
                                          1),
        "training": t, "checks": {},
    }
    warnings = [f"{side.upper()} ({rec[side]['selector']}): {rec[side]['warning']}" for side in ("x", "y")
                if rec[side] and rec[side]["warning"]]
    length = (f"the session has {n} usable samples ({s['n_bins']} bins" + (f" of {bin_width:g} s" if bin_width else "")
              + f"; {rec['dropped_bins']} dropped by masks, window and lag)")
    split_keys = f"{name['test_fraction']} (now {t['test_fraction']}) or {name['gap']} (now {t['gap']})"
    if rigorous is not None:
        gammas = parse_int_list(rigorous.get("gammas", "1-10"), "gammas")
        try:
            check_chunk_sizes(n, gammas)
        except NeuralMIError as exc:
            raise NeuralMIError(f"{pre}{length}; {exc} Change {name['gammas']} (now {_fmt_ints(gammas)}) or analyse a "
                                f"longer session.") from None
        for g in gammas:
            problem = _split_problem(n // g, t["split"], t["test_fraction"], t["gap"])
            if problem:
                raise NeuralMIError(f"{pre}{length}; at gamma {g} each chunk holds {n // g} samples: {problem} "
                                    f"Change {name['gammas']} (now {_fmt_ints(gammas)}), {split_keys}.")
        min_chunk = int(rigorous.get("min_chunk", 1000))
        small = [g for g in gammas if n // g < min_chunk]
        rec["checks"]["rigorous"] = {"gammas": list(gammas), "smallest_chunk": n // max(gammas),
                                     "gammas_below_min_chunk": small}
    if dimensionality is not None:
        n_dim = n
        if y is not None and not dimensionality.get("with_y"):  # the sweep trains X alone: X's bins only
            n_dim = int(select_xy(f"{binned}:{x}", None, window=window).summary["n_rows"])
        problem = _split_problem(n_dim, t["split"], t["test_fraction"], t["gap"])
        if problem:
            raise NeuralMIError(f"{pre}the session has {n_dim} usable samples for the dimensionality sweep: "
                                f"{problem} Change {split_keys}.")
        if not dimensionality.get("with_y") and rec["x"]["n_features"] < 2:
            raise NeuralMIError(f"{pre}{name['x']} selects {rec['x']['n_features']} feature; the dimensionality "
                                f"sweep halves X's features and needs at least 2.")
        rec["checks"]["dimensionality"] = {"n_samples": n_dim, "dropped_bins": int(s["n_bins"]) - n_dim,
                                           "x_alone": y is not None and not dimensionality.get("with_y")}
    rec["warnings"] = warnings
    return rec


def _bin_width(binned: str | os.PathLike) -> float | None:
    from .netcdf import open_binned

    with open_binned(binned) as ds:
        bw = ds.attrs.get("bin_width_s")
    return None if bw is None else float(bw)


def read_selection(path: str | os.PathLike) -> dict[str, Any]:
    """Read a selection record written by the workflow (error names the file)."""
    try:
        with open(path) as fh:
            return json.load(fh)
    except (OSError, json.JSONDecodeError) as exc:
        raise NeuralMIError(f"cannot read selection record {path}: {exc}") from exc


__all__: Sequence[str] = ["TRAINING_DEFAULTS", "preflight", "read_selection"]
