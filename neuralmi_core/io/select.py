"""From files to paired sample matrices: selectors, observed-bin masks, windows and lags.

A *spec* names the samples of one variable:

* ``file.npy``, ``file.npz[:key]`` -- an array with samples on axis 0 (see :mod:`neuralmi_core.io.arrays`);
* ``file.nc:VARIABLE`` -- a variable of a netCDF file; for a binned session (layout in
  :mod:`neuralmi_core.io.netcdf`) e.g. ``binned.nc:spikes`` or ``binned.nc:position``;
* ``file.nc:VARIABLE[coord=value,coord2=v1|v2]`` -- the same, keeping only the entries of the non-time
  dimension(s) whose coordinate matches: ``=`` equals, ``|`` separates alternatives, ``,`` joins
  conditions (AND). Values are compared as text. Examples: ``binned.nc:spikes[region=A]``,
  ``binned.nc:spikes[region=A,quality=good]``, ``binned.nc:spikes[unit=3|7|9]``,
  ``binned.nc:position[position_component=x]``, ``binned.nc:ophys[location=VISp,is_cell=1]``,
  ``binned.nc:stim[column=orientation]``, ``binned.nc:choice[label=left]``. The reserved condition
  ``half=1`` / ``half=2`` keeps every other entry of the selection (1st, 3rd, ... / 2nd, 4th, ... in the
  file's order): two disjoint halves of a region's units, e.g. ``binned.nc:spikes[region=A,half=1]``. A
  coordinate stored as ``<dim>_<name>`` because its plain name was taken (``roi_location`` next to a
  units column ``location``; ``stim_feature_column`` of an intervals variable) is found by the plain
  name too. Shell-quote the brackets.

For netCDF variables with a ``time`` dimension, time is put first and the other dims flattened into
features. A bin is *invalid* for a variable when the dataset's ``observed`` variable is 0, when the
variable's mask (attr ``mask_variable``, e.g. ``spikes_observed``, or ``stim_in_interval`` for an intervals
variable) is 0 for any selected entry, or when any selected value is NaN. Invalid bins of X and of Y are dropped jointly so rows stay paired.

A selector may end in ``@CONDITION``, keeping only the bins of a condition (the workflow's ``conditions:``):
``binned.nc:spikes[region=A]@running`` keeps bins where ``running_in_interval`` is 1 (a row of the intervals
variable ``running`` holds the bin centre: the rule of :mod:`neuralmi_core.io.events`);
``binned.nc:spikes[region=A]@trials[column=trial_type,label=go|nogo]`` keeps bins whose row has one of those
labels (bins where a selected one-hot feature of ``trials`` is 1). Bins outside are invalid with reason
``outside_condition``, so that windows and lags never reach across the condition's gaps.

``window`` stacks X over the current and previous ``window - 1`` bins: row ``t`` of X holds bins
``t - window + 1 .. t`` (feature ``k * n_features + f``, ``k = 0`` the oldest bin); ``lag`` pairs X at bin
``t`` with Y at bin ``t + lag`` (negative allowed). A row is kept only when every bin it uses is valid.
Windows are built with ``numpy.lib.stride_tricks.sliding_window_view`` and only the kept rows are copied.

Examples
--------
>>> a, b = "binned.nc:spikes[region=A]", "binned.nc:spikes[region=B]"
>>> x, y = load_xy(a, b, window=2, lag=1)                      # doctest: +SKIP
>>> sel = select_xy(a, "binned.nc:position")                   # doctest: +SKIP
>>> sel.summary["n_rows"], sel.summary["invalid_bins_y"]        # doctest: +SKIP
(27093, 2173)
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..validation import NeuralMIError, SignalAbsent, check_int
from .arrays import load_array, split_spec
from .features import feature_coords, feature_info, feature_labels, signal_info

log = logging.getLogger(__name__)

_SEL_RE = re.compile(r"^(?P<var>[^\[\]]+?)\s*(?:\[(?P<sel>[^\[\]]*)\])?\s*$")


def parse_selector(key: str, where: str = "") -> tuple[str, list[tuple[str, list[str]]]]:
    """Split a variable selector into the variable name and its conditions.

    ``"spikes[region=A,quality=good|mua]"`` ->
    ``("spikes", [("region", ["A"]), ("quality", ["good", "mua"])])``.

    Conditions are ANDed (a coordinate named twice must satisfy both); ``|`` alternatives are ORed.

    Examples
    --------
    >>> parse_selector("spikes[region=A,unit=1|2]")
    ('spikes', [('region', ['A']), ('unit', ['1', '2'])])
    >>> parse_selector("position")
    ('position', [])
    """
    m = _SEL_RE.match(key or "")
    pre = f"{where}: " if where else ""
    if not m:
        raise NeuralMIError(
            f"{pre}cannot parse variable selector {key!r}; expected VARIABLE or "
            "VARIABLE[coord=value,coord2=v1|v2]."
        )
    conds: list[tuple[str, list[str]]] = []
    sel = m.group("sel")
    if sel is not None:
        if not sel.strip():
            raise NeuralMIError(f"{pre}empty selector in {key!r}; expected [coord=value,...].")
        for part in sel.split(","):
            if "=" not in part:
                raise NeuralMIError(
                    f"{pre}selector condition {part.strip()!r} in {key!r} has no '='; expected "
                    "coord=value or coord=v1|v2."
                )
            coord, vals = (s.strip() for s in part.split("=", 1))
            values = [v.strip() for v in vals.split("|")]
            if not coord or not all(values):
                raise NeuralMIError(
                    f"{pre}selector condition {part.strip()!r} in {key!r} needs a coordinate name "
                    "and non-empty values."
                )
            conds.append((coord, values))
    return m.group("var").strip(), conds


def _pop_half(conds: list[tuple[str, list[str]]], da: Any, where: str
              ) -> tuple[list[tuple[str, list[str]]], int | None]:
    """The conditions without ``half``, and the half asked for (1 or 2; None without ``half``).

    ``half=1`` keeps the 1st, 3rd, 5th, ... entries of the selection along the variable's one non-time dim (in
    the file's order, i.e. by unit id for spikes), ``half=2`` the 2nd, 4th, ...: a deterministic split (no seed)
    whose halves differ by at most one entry and span the same range of ids (the diagonal of a ``pairs:``
    network with ``within: true``). Refused for a variable with a coordinate of that name, or more than one
    non-time dim.
    """
    halves = [v for c, v in conds if c == "half"]
    if not halves:
        return conds, None
    if "half" in da.coords:
        raise NeuralMIError(f"{where}: `half` selects a half of the entries, but the variable has a coordinate "
                            "named 'half'; rename that column.")
    if len(halves) > 1 or len(halves[0]) != 1 or halves[0][0] not in ("1", "2"):
        raise NeuralMIError(f"{where}: expected one condition half=1 or half=2; got "
                            f"{', '.join('half=' + '|'.join(v) for v in halves)}.")
    other = [d for d in da.dims if d != "time"]
    if len(other) != 1:
        raise NeuralMIError(f"{where}: half=1|2 needs a variable with one non-time dimension; it has {other}.")
    return [(c, v) for c, v in conds if c != "half"], int(halves[0][0])


@dataclass
class Loaded:
    """Samples of one spec: (n_bins, n_features) values, a (n_bins,) validity mask, why bins are invalid."""

    values: np.ndarray
    valid: np.ndarray
    spec: str
    has_time: bool = False
    time: np.ndarray | None = None
    invalid_counts: dict[str, int] = field(default_factory=dict)
    raw: np.ndarray | None = None  # the array as stored, for inputs without a time dimension
    labels: list[str] | None = None  # one per feature column, e.g. "unit=17" (netCDF inputs with time)
    bin_width_s: float | None = None
    trial: np.ndarray | None = None  # (n_bins,) the binned file's trial index (-1 outside trials), when it has one
    coords: list[dict[str, str]] | None = None  # per feature column: every coordinate along its dims
    features: dict[str, Any] = field(default_factory=dict)  # what the feature columns are (feature_info)
    signal: dict[str, Any] = field(default_factory=dict)  # signal kind and preprocessing (signal_info)


def _fmt_values(vals: np.ndarray, limit: int = 30) -> str:
    uniq = list(dict.fromkeys(vals.astype(str).tolist()))
    return repr(uniq[:limit]) + (f" (and {len(uniq) - limit} more)" if len(uniq) > limit else "")


def _absent_reason(attr: Any, var: str) -> str | None:
    """Why the binning left ``var`` out (the binned file's ``absent_signals`` attr), else None."""
    import json

    try:
        absent = json.loads(attr) if attr else {}
    except (TypeError, ValueError):
        return None
    return absent.get(var) if isinstance(absent, dict) else None


def split_condition(key: str) -> tuple[str, str | None]:
    """``"spikes[region=A]@running"`` -> ``("spikes[region=A]", "running")``; no ``@``: ``(key, None)``.

    >>> split_condition("spikes[region=A]@trials[column=trial_type,label=go]")
    ('spikes[region=A]', 'trials[column=trial_type,label=go]')
    >>> split_condition("position")
    ('position', None)
    """
    head, at, cond = key.partition("@")
    return (head.strip(), cond.strip()) if at else (key, None)


def condition_bins(ds: Any, cond: str, where: str) -> np.ndarray:
    """Boolean (n_bins,) mask of the bins of condition ``cond`` in binned dataset ``ds``.

    ``NAME`` -- the bins a row of intervals variable ``NAME`` holds (``NAME_in_interval``);
    ``NAME[column=C,label=V|W]`` -- the bins where any selected one-hot feature of ``NAME`` is 1.

    Raises
    ------
    SignalAbsent
        the file has no intervals variable ``NAME`` (lists those it has), or no label ``V`` (lists the labels).
    NeuralMIError
        a selected feature that is numeric rather than one-hot (list the column under ``categorical``).
    """
    name, conds = parse_selector(cond, where)
    have = sorted(str(v)[: -len("_in_interval")] for v in ds.data_vars if str(v).endswith("_in_interval"))
    if name not in ds.data_vars or f"{name}_in_interval" not in ds.data_vars:
        why = _absent_reason(ds.attrs.get("absent_signals"), name)
        raise SignalAbsent(
            f"{where}: condition {cond!r}: the file has no intervals variable {name!r} (intervals variables: "
            f"{have or 'none'}; declare the table under signals.intervals)" + (f"; binning left it out: {why}" if why
                                                                             else "") + ".")
    if not conds:
        return np.asarray(ds[f"{name}_in_interval"].values).reshape(-1) != 0
    da = ds[name]
    dim = f"{name}_feature"
    ok = np.ones(da.sizes[dim], bool)
    for coord, wanted in conds:
        c = f"{dim}_{coord}" if f"{dim}_{coord}" in da.coords else coord
        if c not in da.coords:
            raise NeuralMIError(f"{where}: condition {cond!r}: {name!r} has no coordinate {coord!r}; expected "
                                "column or label.")
        text = np.asarray(da[c].values).astype(str)
        for w in wanted:
            if not (text == w).any():
                raise SignalAbsent(f"{where}: condition {cond!r}: {coord} value {w!r} not found in {name!r}; "
                                   f"available {coord} values: {_fmt_values(text)}.")
        ok &= np.isin(text, wanted)
    kinds = np.asarray(da[f"{dim}_kind"].values).astype(str) if f"{dim}_kind" in da.coords else None
    if not ok.any():
        raise SignalAbsent(f"{where}: condition {cond!r} selects no feature of {name!r}.")
    if kinds is not None and (kinds[ok] != "one-hot").any():
        raise NeuralMIError(f"{where}: condition {cond!r} selects a numeric column of {name!r}; a condition needs "
                            "labels: list the column under signals.intervals.<name>.categorical.")
    vals = np.asarray(da.isel({dim: np.flatnonzero(ok)}).transpose("time", ...).values)
    return (np.nan_to_num(vals) != 0).any(axis=1)


def load_selected(spec: str, role: str = "X") -> Loaded:
    """Load one spec (see module docstring) as a 2-d array with its validity mask.

    Raises
    ------
    SignalAbsent
        (a :class:`NeuralMIError`) the binned file has no such variable (lists the variables, and why the
        binning left it out when its attr ``absent_signals`` says), or a selector value matches no entry
        (``spikes[region=CA1]`` in a session without CA1; lists the available values): the session lacks
        the signal.
    NeuralMIError
        missing file, unknown coordinate (lists the coordinates), selector on a non-netCDF input.
    """
    path, key = split_spec(spec)
    if path.suffix.lower() != ".nc":
        var_sel = key or ""
        if "[" in var_sel:
            raise NeuralMIError(
                f"{role}: {path}: coordinate selectors like {var_sel!r} need a netCDF input "
                f"(file.nc:VARIABLE[...])."
            )
        arr = np.asarray(load_array(spec, role))
        if arr.ndim == 0:
            raise NeuralMIError(f"{role}: {path} holds a scalar; expected samples on axis 0.")
        return Loaded(arr.reshape(arr.shape[0], -1), np.ones(arr.shape[0], bool), spec, raw=arr)

    from .netcdf import open_binned

    if not key:
        raise NeuralMIError(
            f"{role}: name the variable of the netCDF file as {path}:VARIABLE "
            "(e.g. binned.nc:spikes[region=A])."
        )
    key, cond = split_condition(key)
    var, conds = parse_selector(key, f"{role}: {path}")
    ds = open_binned(path)
    try:
        if var not in ds.variables:
            why = _absent_reason(ds.attrs.get("absent_signals"), var)
            raise SignalAbsent(
                f"{role}: {path} has no variable {var!r}; it holds {sorted(map(str, ds.data_vars))}"
                + (f" (binning left {var!r} out: {why})" if why else "") + "."
            )
        da = ds[var]
        conds, half = _pop_half(conds, da, f"{role}: {path}:{var}")
        index: dict[str, np.ndarray] = {}
        for coord, wanted in conds:
            if coord not in da.coords and coord not in da.dims:
                # a column stored as <dim>_<name> because the plain name was taken (roi_location, unit_time)
                alias = [f"{d}_{coord}" for d in da.dims if d != "time" and f"{d}_{coord}" in da.coords]
                coord = alias[0] if len(alias) == 1 else coord
            if coord not in da.coords and coord not in da.dims:
                other = [str(c) for c in da.coords if "time" not in da[c].dims]
                raise NeuralMIError(
                    f"{role}: {path}:{var}: no coordinate {coord!r} to select on; coordinates "
                    f"along its non-time dims: {sorted(other)}."
                )
            c = da[coord]
            if c.ndim != 1 or c.dims[0] == "time":
                raise NeuralMIError(
                    f"{role}: {path}:{var}: coordinate {coord!r} must be 1-d along a non-time "
                    f"dimension; it has dims {c.dims}."
                )
            dim = c.dims[0]
            text = np.asarray(c.values).astype(str)
            for w in wanted:
                if not (text == w).any():
                    raise SignalAbsent(
                        f"{role}: {path}:{var}[{coord}={'|'.join(wanted)}]: value {w!r} matched no "
                        f"{dim}; available {coord} values: {_fmt_values(text)}."
                    )
            ok = np.isin(text, wanted)
            index[dim] = ok if dim not in index else index[dim] & ok
        isel = {}
        for dim, ok in index.items():
            if not ok.any():
                desc = ",".join(f"{k}={'|'.join(v)}" for k, v in conds)
                raise SignalAbsent(
                    f"{role}: {path}:{var}[{desc}]: selector matched no {dim} (the conditions "
                    "exclude each other)."
                )
            isel[dim] = np.flatnonzero(ok)
        if half is not None:
            dim = next(d for d in da.dims if d != "time")
            chosen = isel.get(dim, np.arange(da.sizes[dim]))[half - 1::2]
            if chosen.size == 0:
                raise SignalAbsent(
                    f"{role}: {path}:{var}[{key.split('[', 1)[1]}: half {half} is empty: the selection holds "
                    f"{isel.get(dim, np.arange(da.sizes[dim])).size} {dim}(s); halves need at least 2."
                )
            isel[dim] = chosen
        sub = da.isel(isel) if isel else da
        if "time" not in sub.dims:
            arr = np.asarray(sub.values)
            if arr.ndim == 0:
                raise NeuralMIError(f"{role}: {path}:{var} is a scalar; expected samples on axis 0.")
            return Loaded(arr.reshape(arr.shape[0], -1), np.ones(arr.shape[0], bool), spec, raw=arr)
        sub = sub.transpose("time", ...)
        arr = np.asarray(sub.values)
        n = arr.shape[0]
        vals = arr.reshape(n, -1)
        if vals.shape[1] == 0:
            raise NeuralMIError(f"{role}: {path}:{var} selection has no features; expected at least one.")
        valid = np.ones(n, bool)
        counts: dict[str, int] = {}
        if "observed" in ds.data_vars and ds["observed"].dims == ("time",):
            obs = np.asarray(ds["observed"].values) != 0
            counts["outside_observed"] = int((~obs).sum())
            valid &= obs
        mask_name = da.attrs.get("mask_variable")
        if mask_name:
            if mask_name not in ds.data_vars:
                raise NeuralMIError(
                    f"{role}: {path}:{var} names mask variable {mask_name!r}, which the file lacks."
                )
            m = ds[mask_name]
            m = m.isel({d: i for d, i in isel.items() if d in m.dims}).transpose("time", ...)
            mv = np.asarray(m.values).reshape(n, -1) != 0
            unobs = ~mv.all(axis=1)
            counts[str(da.attrs.get("mask_reason", "unobserved_units"))] = int((unobs & valid).sum())
            valid &= ~unobs
        if cond is not None:
            inside = condition_bins(ds, cond, f"{role}: {path}")
            counts["outside_condition"] = int((~inside & valid).sum())
            valid &= inside
        if vals.dtype.kind == "f":
            nan = ~np.isfinite(vals).all(axis=1)
            counts["nan"] = int((nan & valid).sum())
            valid &= ~nan
        time = np.asarray(ds["time"].values) if "time" in ds.coords else None
        width = ds.attrs.get("bin_width_s")
        trial = np.asarray(ds["trial"].values) if "trial" in ds.data_vars and ds["trial"].dims == ("time",) else None
        return Loaded(vals, valid, spec, True, time, counts, labels=feature_labels(sub),
                      bin_width_s=float(width) if width not in (None, "") else None, trial=trial,
                      coords=feature_coords(sub), features=feature_info(sub), signal=signal_info(sub))
    finally:
        ds.close()


def pair_rows(
    n_bins: int, valid_x: np.ndarray, valid_y: np.ndarray | None, window: int, lag: int
) -> np.ndarray:
    """Bin indices ``t`` (the current X bin) of the rows kept for the given window and lag.

    Examples
    --------
    >>> pair_rows(6, np.ones(6, bool), np.ones(6, bool), window=2, lag=1).tolist()
    [1, 2, 3, 4]
    """
    t = np.arange(window - 1, n_bins)
    if t.size == 0:
        return t
    ok = sliding_window_view(valid_x, window).all(axis=-1)  # (n_bins - window + 1,), index t - window + 1
    if valid_y is not None:
        ty = t + lag
        inside = (ty >= 0) & (ty < n_bins)
        ok = ok & inside
        ok[inside] &= valid_y[ty[inside]]
    return t[ok]


def window_rows(values: np.ndarray, rows: np.ndarray, window: int) -> np.ndarray:
    """Rows ``rows`` of ``values`` (n_bins, F) stacked over ``window`` bins: (len(rows), window * F).

    Examples
    --------
    >>> window_rows(np.arange(5)[:, None], np.array([2, 4]), 3).tolist()
    [[0, 1, 2], [2, 3, 4]]
    """
    if window == 1:
        return values[rows]
    view = sliding_window_view(values, window, axis=0)  # (n_bins - window + 1, F, window), no copy
    out = view[rows - window + 1]  # (n_rows, F, window), copies only the kept rows
    return out.transpose(0, 2, 1).reshape(len(rows), -1)


@dataclass
class Selection:
    """Paired samples ready for an estimator, and how they were cut.

    ``x`` (n_rows, window * n_x_features), ``y`` (n_rows, n_y_features) or None; ``bins`` the X bin index
    of each row; ``time`` the bin centre (s) of each row when known; ``summary`` counts of bins dropped.
    """

    x: np.ndarray
    y: np.ndarray | None
    bins: np.ndarray
    time: np.ndarray | None
    summary: dict[str, Any]
    x_labels: list[str] | None = None
    y_labels: list[str] | None = None
    bin_width_s: float | None = None
    trials: np.ndarray | None = None  # trial index of each row (-1 outside trials), when the file has trials
    x_coords: list[dict[str, str]] | None = None  # per X column: its coordinates (unit id, region, ...)

    def provenance(self) -> dict[str, Any]:
        """What a result records of the selection: specs, window and lag (bins and seconds), bins kept and
        dropped with reasons, one label per feature column of X and Y (``x_columns``: ``unit=17``; windowed
        X columns carry their bin offset, ``unit=17@t-1``) and what the columns are (``x_features``: per
        dim its size, ids and units per region/location/quality; ``x_signal``: the signal kind and its
        preprocessing for ophys, lfp, events and intervals variables)."""
        s = self.summary
        width = self.bin_width_s
        window, lag = s.get("window", 1), s.get("lag", 0)
        return {
            "x": s.get("x_spec"), "y": s.get("y_spec"),
            "window_bins": window, "lag_bins": lag, "bin_width_s": width,
            "window_s": None if width is None else window * width,
            "lag_s": None if width is None else lag * width,
            "n_bins": s["n_bins"], "n_rows": s["n_rows"], "dropped_bins": s["n_bins"] - s["n_rows"],
            "invalid_bins_x": s.get("invalid_x_by_reason", {}), "invalid_bins_y": s.get("invalid_y_by_reason", {}),
            "dropped_note": "a row needs every bin of X's window and Y's bin at t + lag valid and inside the "
                            "session; invalid_bins_* count the bins that failed each check",
            "x_columns": self.x_labels, "y_columns": self.y_labels,
            "x_features": s.get("x_features", {}), "y_features": s.get("y_features", {}),
            "x_signal": s.get("x_signal", {}), "y_signal": s.get("y_signal", {}),
        }


def select_xy(x_spec: str, y_spec: str | None, window: int = 1, lag: int = 0) -> Selection:
    """Load X (and Y), drop invalid bins jointly, apply ``window`` and ``lag``; see the module docstring.

    Raises
    ------
    NeuralMIError
        bad specs (see :func:`load_selected`), X and Y with different numbers of bins, ``window < 1``,
        a ``lag`` without Y, or no row left.
    """
    window = check_int("window", window, 1)
    lag = check_int("lag", lag)
    lx = load_selected(x_spec, "X")
    ly = load_selected(y_spec, "Y") if y_spec else None
    n = lx.values.shape[0]
    if ly is not None and ly.values.shape[0] != n:
        raise NeuralMIError(
            f"X ({x_spec}) has {n} samples but Y ({y_spec}) has {ly.values.shape[0]}; expected "
            "the same time bins."
        )
    if ly is None and lag != 0:
        raise NeuralMIError(f"`lag` ({lag}) pairs X with a later/earlier Y; give Y or use lag 0.")
    if window + abs(lag) > n:
        raise NeuralMIError(
            f"`window` ({window}) + |`lag`| ({abs(lag)}) exceeds the {n} samples of X ({x_spec})."
        )
    if (
        ly is not None
        and lx.has_time
        and ly.has_time
        and lx.time is not None
        and ly.time is not None
        and not np.array_equal(lx.time, ly.time)
    ):
        raise NeuralMIError(
            f"X ({x_spec}) and Y ({y_spec}) have different time bins; bin both with the same grid."
        )
    plain = not lx.has_time and (ly is None or not ly.has_time) and window == 1 and lag == 0
    specs = {"x_spec": x_spec, "y_spec": y_spec}
    if plain:  # arrays exactly as stored: no masks, no reshaping
        x = lx.raw
        y = None if ly is None else ly.raw
        return Selection(x, y, np.arange(n), None, {"n_bins": n, "n_rows": n, **specs}, lx.labels,
                         None if ly is None else ly.labels, lx.bin_width_s, lx.trial, lx.coords)
    rows = pair_rows(n, lx.valid, None if ly is None else ly.valid, window, lag)
    if rows.size == 0:
        raise NeuralMIError(
            f"no paired samples left for X={x_spec} Y={y_spec} (window {window}, lag {lag}): "
            f"X has {int(lx.valid.sum())} valid bins of {n}"
            + ("" if ly is None else f", Y {int(ly.valid.sum())}")
            + "."
        )
    x = window_rows(lx.values, rows, window)
    y = None if ly is None else ly.values[rows + lag]
    summary = {
        "n_bins": n,
        "n_rows": int(rows.size),
        "window": window,
        "lag": lag,
        "invalid_bins_x": int((~lx.valid).sum()),
        "invalid_bins_y": 0 if ly is None else int((~ly.valid).sum()),
        "invalid_x_by_reason": lx.invalid_counts,
        "invalid_y_by_reason": {} if ly is None else ly.invalid_counts,
        "dropped_rows": int(n - rows.size),
        **specs,
        "x_features": lx.features,
        "y_features": {} if ly is None else ly.features,
        "x_signal": lx.signal,
        "y_signal": {} if ly is None else ly.signal,
    }
    time = lx.time[rows] if lx.time is not None else None
    x_labels, x_coords = lx.labels, lx.coords
    if x_labels is not None and window > 1:
        x_labels = [f"{lab}@t{k - window + 1}" for k in range(window) for lab in x_labels]
        x_coords = [c for _ in range(window) for c in x_coords]
    trials = None if lx.trial is None else lx.trial[rows]
    return Selection(x, y, rows, time, summary, x_labels, None if ly is None else ly.labels, lx.bin_width_s,
                     trials, x_coords)


def load_xy(
    x_spec: str, y_spec: str | None, window: int = 1, lag: int = 0
) -> tuple[np.ndarray, np.ndarray | None]:
    """Paired (X, Y) sample matrices for an estimator (Y None when ``y_spec`` is None).

    See the module docstring for specs, masks, windows and lags; the dropped-bin summary is logged
    (warning level when bins were dropped as unobserved or NaN). Use :func:`select_xy` to get it returned.
    """
    sel = select_xy(x_spec, y_spec, window, lag)
    s = sel.summary
    if s.get("invalid_bins_x") or s.get("invalid_bins_y"):
        log.warning(
            "X=%s Y=%s: kept %d of %d bins (X invalid: %s, Y invalid: %s; window %d, lag %d)",
            x_spec,
            y_spec,
            s["n_rows"],
            s["n_bins"],
            s["invalid_x_by_reason"],
            s["invalid_y_by_reason"],
            s["window"],
            s["lag"],
        )
    else:
        log.info("X=%s Y=%s: %d rows from %d bins", x_spec, y_spec, s["n_rows"], s["n_bins"])
    return sel.x, sel.y


__all__ = [
    "Loaded",
    "Selection",
    "load_selected",
    "load_xy",
    "pair_rows",
    "parse_selector",
    "select_xy",
    "split_condition",
    "condition_bins",
    "window_rows",
]
