"""Before training: what an analysis selects from a binned session, and whether the session is long enough.

:func:`preflight` loads an analysis's X (and Y) from a binned session exactly as the training jobs will
(:func:`~neuralmi_core.io.select.select_xy`: selectors, observed-bin masks, window, lag), and returns a
*selection record*: the selectors, window and lag in bins and seconds, how many bins were kept and why
the others were dropped, the units behind the feature columns (ids, counts per region/location) and which
features are constant over the kept bins (a unit that never spikes, a population without signal). It
then asks every mode of the analysis (:meth:`~.base.Analysis.check_data`) whether its chunks, splits and
lags fit the session, without training, and raises :class:`NeuralMIError` naming the session, the
analysis and the config keys to change when one does not. The workflow runs it once per (session,
analysis) right after binning, so a session that is too short is refused before any training job
starts, and the reports show the record.

Examples
--------
>>> rec = preflight("results/s1/binned.nc", "spikes[region=A]", "spikes[region=B]",
...                 modes={"rigorous": {"gammas": [1, 2, 3]}})                      # doctest: +SKIP
>>> rec["n_rows"], rec["dropped_bins"], rec["x"]["units"]["region"]                 # doctest: +SKIP
(13998, 1002, {'A': 40})
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..io.select import select_xy, split_condition
from ..validation import NeuralMIError, SignalAbsent, constant_input_warning
from .registry import REGISTRY


def _side(spec: str, role: str, values: np.ndarray, invalid: Mapping[str, int], features: Mapping[str, Any],
          window: int, signal: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Selection record of X or Y: selector, feature count, units and their coords, constant features, and
    (``signal``) the signal kind and preprocessing of ophys, lfp, events and intervals variables."""
    n_feat = values.shape[1]
    constant = np.all(values == values[:1], axis=0) if values.shape[0] else np.ones(n_feat, bool)
    entry: dict[str, Any] = {"selector": spec, "n_features": int(n_feat), "invalid_bins_by_reason": dict(invalid),
                             "n_constant_features": int(constant.sum()), "constant": bool(constant.all())}
    for dim, info in features.items():
        entry["feature_dim"] = dim
        entry["units" if dim == "unit" else dim] = dict(info)
        ids = info.get("ids")
        if ids is not None and window == 1 and len(ids) == n_feat:
            entry["constant_ids"] = [ids[i] for i in np.flatnonzero(constant)][:50]
    if signal:
        entry["signal"] = dict(signal)
    entry["warning"] = constant_input_warning(role, values)
    return entry


def _now(value: Any) -> str:
    vals = list(value) if isinstance(value, (list, tuple)) else None
    if vals is None:
        return str(value)
    return str(vals) if len(vals) <= 8 else f"[{vals[0]}, {vals[1]}, ..., {vals[-1]}] ({len(vals)} values)"


def preflight(binned: str | os.PathLike, x: str, y: str | None = None, *, window: int = 1, lag: int = 0,
              modes: Mapping[str, Mapping[str, Any]] | None = None, use_y: Mapping[str, bool] | None = None,
              where: str = "", keys: Mapping[str, Mapping[str, str]] | None = None, z: str | None = None
              ) -> dict[str, Any]:
    """Selection record of one analysis on one binned session; raises when the session does not fit a mode.

    Parameters
    ----------
    binned : the session's binned netCDF file.
    x, y : variable selectors inside it (``spikes[region=A]``); ``y`` None for X alone.
    window, lag : as in :func:`~neuralmi_core.io.select.select_xy` (bins).
    modes : mode -> its settings (those the mode's ``data_settings`` names; missing ones take the
        declared defaults), e.g. ``{"rigorous": {"gammas": [1, 2, 3]}}``.
    use_y : mode -> whether it trains on Y (default: ``y`` is given); a mode on X alone is checked on X's
        bins only (Y's masks drop nothing there).
    where : prefix of error messages (e.g. ``"session S, analysis A"``).
    keys : mode -> setting -> config key, to name the setting to change in messages.
    z : the conditioning signal's selector (conditional MI, transfer entropy), taken on X's bins; its
        invalid bins drop rows too.

    Returns
    -------
    dict
        JSON-ready record (see module docstring): ``checks`` per mode, ``warnings`` (constant inputs).
    """
    pre = f"{where}: " if where else ""
    sel = select_xy(f"{binned}:{x}", f"{binned}:{y}" if y else None, window=window, lag=lag)
    s = sel.summary
    width = sel.bin_width_s
    n = int(s["n_rows"])
    rec: dict[str, Any] = {
        "binned": str(binned), "bin_width_s": width, "window_bins": window, "lag_bins": lag,
        "window_s": None if width is None else window * width, "lag_s": None if width is None else lag * width,
        "n_bins": int(s["n_bins"]), "n_rows": n, "dropped_bins": int(s["n_bins"]) - n,
        "x": _side(x, "x", sel.x, s.get("invalid_x_by_reason", {}), s.get("x_features", {}), window,
                   s.get("x_signal")),
        "y": None if y is None else _side(y, "y", sel.y, s.get("invalid_y_by_reason", {}), s.get("y_features", {}), 1,
                                          s.get("y_signal")),
        "checks": {}, "settings": {},
    }
    if z:
        zsel = select_xy(f"{binned}:{z}", None)
        if zsel.summary["n_bins"] != s["n_bins"]:
            raise NeuralMIError(f"{pre}Z ({z}) has {zsel.summary['n_bins']} bins but X has {s['n_bins']}; expected "
                                f"the same time bins.")
        n = int(np.isin(sel.bins, zsel.bins).sum())
        zs = zsel.summary
        rec["z"] = _side(z, "z", zsel.x, zs.get("invalid_x_by_reason", {}), zs.get("x_features", {}), 1,
                         zs.get("x_signal"))
        rec["n_rows"], rec["dropped_bins"] = n, int(s["n_bins"]) - n
    warnings = [f"{side.upper()} ({rec[side]['selector']}): {rec[side]['warning']}" for side in ("x", "y", "z")
                if rec.get(side) and rec[side]["warning"]]
    x_alone: int | None = None
    for mode, given in (modes or {}).items():
        analysis = REGISTRY[mode]
        values = {**{s.name: s.default for s in analysis.settings}, **given}
        with_y = bool(y) and (use_y or {}).get(mode, True)
        n_mode = n
        if not with_y:  # trained on X alone: Y's bins must not drop any of X's
            if x_alone is None:
                x_alone = int(select_xy(f"{binned}:{x}", None, window=window).summary["n_rows"])
            n_mode = x_alone
        info = {"n_features_x": rec["x"]["n_features"], "use_y": with_y, "bin_width_s": width}
        try:
            check = analysis.check_data(n_mode, values, info)
        except NeuralMIError as exc:
            k = (keys or {}).get(mode, {})
            change = [f"{k.get(name, name)} (now {_now(values[name])})" for name in analysis.data_settings]
            length = (f"the session has {n_mode} usable samples for {mode} ({s['n_bins']} bins"
                      + (f" of {width:g} s" if width else "") + f"; {int(s['n_bins']) - n_mode} dropped by masks, "
                      f"window and lag)")
            cond = split_condition(x)[1]
            if cond is not None:  # a workflow condition: name it and how many bins it holds
                held = int(s["n_bins"]) - int(s.get("invalid_x_by_reason", {}).get("outside_condition", 0))
                length += f"; condition {cond!r} holds {held} of the {s['n_bins']} bins"
            raise NeuralMIError(f"{pre}{length}; {exc} Change {', '.join(change)}, or analyse a longer "
                                f"session" + (" or a longer condition" if cond is not None else "") + ".") from None
        rec["checks"][mode] = {**check, "dropped_bins": int(s["n_bins"]) - n_mode}
        rec["settings"][mode] = {name: values[name] for name in analysis.data_settings}
    rec["warnings"] = warnings
    return rec


def preflight_or_skip(binned: str | os.PathLike, x: str, y: str | None = None, *, required: bool = True,
                      where: str = "", z: str | None = None, min_units: int = 1, **kwargs: Any) -> dict[str, Any]:
    """:func:`preflight`, or with ``required=False`` a *skipped* record when the session lacks the analysis's
    signal (:class:`~neuralmi_core.validation.SignalAbsent`: X's, Y's or Z's variable absent from the binned
    file, or a selector value matching no unit/ROI/channel).

    The skipped record is ``{"skipped": "<session and analysis>: <why>", "binned", "x", "y", "z",
    "required": false}``: the reason names the selector and what the file holds. Any other error (a session
    too short for a mode, bad settings) raises as with ``required=True``, which raises every error.

    Examples
    --------
    >>> rec = preflight_or_skip("results/s2/binned.nc", "spikes[region=CA1]", "position", required=False,
    ...                         where="session s2, analysis ca1")                  # doctest: +SKIP
    >>> rec["skipped"]                                                              # doctest: +SKIP
    "session s2, analysis ca1: X: results/s2/binned.nc:spikes[region=CA1]: value 'CA1' matched no unit; ..."

    ``min_units`` (a pair of a ``pairs:`` network, with ``required=False``): a side with fewer feature columns
    (units) than this skips the analysis too, with a reason that says how many it has.
    """
    try:
        rec = preflight(binned, x, y, where=where, z=z, **kwargs)
    except SignalAbsent as exc:
        if required:
            raise
        reason = " ".join(f"{where + ': ' if where else ''}{exc}".split())  # one line
        return {"skipped": reason, "binned": str(binned), "x": x, "y": y, "z": z, "required": False}
    def units(side: Mapping[str, Any]) -> int:  # units (not window x units) of a side
        return int((side.get("units") or {}).get("size", side["n_features"]))

    few = [f"{side.upper()} ({rec[side]['selector']}) has {units(rec[side])}" for side in ("x", "y")
           if rec.get(side) and units(rec[side]) < min_units]
    if few and not required:
        reason = f"{where + ': ' if where else ''}{' and '.join(few)} unit(s); the pairs declaration asks for at " \
                 f"least {min_units} (min_units)"
        return {"skipped": reason, "binned": str(binned), "x": x, "y": y, "z": z, "required": False}
    return rec


def is_skipped(record: Mapping[str, Any] | None) -> bool:
    """True for a selection record or gathered result of an analysis skipped in its session."""
    return bool(record) and bool(record.get("skipped"))


def merge_selections(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One analysis's selection record from the records of its modes (the workflow checks each mode on its
    own, so that adding a mode re-runs nothing else): the fields of the first record of a mode that trains
    on Y (else the first), with every mode's ``checks`` and ``settings``, and the union of the warnings.
    Skipped records (:func:`preflight_or_skip`) are left out; when every record is skipped, the first is
    returned."""
    if not records:
        raise ValueError("merge_selections: no records")
    kept = [r for r in records if not is_skipped(r)]
    if not kept:
        return dict(records[0])
    records = kept
    base = next((r for r in records if r.get("y")), records[0])
    out: dict[str, Any] = {**base, "checks": {}, "settings": {}, "warnings": []}
    for r in records:
        out["checks"].update(r.get("checks") or {})
        out["settings"].update(r.get("settings") or {})
        out["warnings"] += [w for w in r.get("warnings") or [] if w not in out["warnings"]]
    return out


def read_selection(path: str | os.PathLike) -> dict[str, Any]:
    """Read a selection record written by the workflow (error names the file)."""
    try:
        with open(path) as fh:
            return json.load(fh)
    except (OSError, json.JSONDecodeError) as exc:
        raise NeuralMIError(f"cannot read selection record {path}: {exc}") from exc


__all__: Sequence[str] = ["is_skipped", "merge_selections", "preflight", "preflight_or_skip", "read_selection"]
