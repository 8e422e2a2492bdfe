"""Report rows from the library's result types, in one MI unit.

Gathered records (the JSON written by ``neuralmi gather``) are read back into
:class:`~neuralmi_core.analysis.rigorous.RigorousResult` /
:class:`~neuralmi_core.analysis.dimensionality.DimensionalityResult` (``from_dict``); rows carry the unit
in their field names (``mi_bits`` or ``mi_nats``). The warnings of a row are the result's own (the
library's rules, e.g. the InfoNCE ceiling, are not repeated here), those of the selection record (no
signal in X or Y) and the report's one training check (networks still improving at the last epoch).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..analysis.dimensionality import DimensionalityResult
from ..analysis.registry import REGISTRY
from ..analysis.rigorous import RigorousResult
from ..analysis.saturation import HEADLINE_STRICTNESS
from ..results import NATS_PER_BIT
from ..validation import NeuralMIError

UNITS = ("bits", "nats")
MODES = tuple(REGISTRY)
#: Prefix of the warnings of a session or analysis whose input carries no signal.
NO_SIGNAL = "NO SIGNAL"


def check_unit(unit: str) -> str:
    if unit not in UNITS:
        raise NeuralMIError(f"`unit` must be one of {list(UNITS)}. Got {unit!r}.")
    return unit


def to_unit(value_nats: Any, unit: str) -> float:
    """Convert an MI value in nats to ``unit``; None and non-numbers become NaN."""
    try:
        v = float(value_nats)
    except (TypeError, ValueError):
        return float("nan")
    return v / NATS_PER_BIT if unit == "bits" else v


def finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def load_result(name: str, mode: str, record: Any) -> Any:
    """The result object of a gathered record (its JSON dict, or the object itself), by the registry's type."""
    if mode not in REGISTRY:
        raise NeuralMIError(f"analysis {name!r}: unknown mode {mode!r}; expected one of {list(MODES)}")
    cls = REGISTRY[mode].result_type()
    if isinstance(record, cls):
        return record
    if not isinstance(record, Mapping):
        raise NeuralMIError(f"analysis {name!r} ({mode}): expected a gathered {mode} record, got {type(record).__name__}")
    try:
        return cls.from_dict(dict(record))
    except (KeyError, TypeError, ValueError) as exc:
        raise NeuralMIError(f"analysis {name!r}: not a gathered {mode} record ({exc}); got keys "
                            f"{sorted(record)[:12]}") from None


def _median(values: Sequence[float]) -> float:
    vals = sorted(v for v in values if finite(v))
    if not vals:
        return float("nan")
    mid = len(vals) // 2
    return float(vals[mid]) if len(vals) % 2 else float((vals[mid - 1] + vals[mid]) / 2)


def training_summary(members: Sequence[Any], max_epochs: Any = None) -> dict[str, Any]:
    """Training-curve summary over members: counts, median best/last epoch, how many hit the epoch cap."""
    best = [m.best_epoch for m in members if finite(m.best_epoch)]
    run = [m.epochs_run for m in members if finite(m.epochs_run)]
    at_cap = 0
    if finite(max_epochs):
        # a member whose best checkpoint is at the last allowed epochs was still improving
        at_cap = sum(1 for b in best if b >= max_epochs - max(1, int(0.05 * max_epochs)))
    return {
        "n_members": len(members),
        "median_best_epoch": _median(best),
        "median_epochs_run": _median(run),
        "max_epochs": max_epochs if finite(max_epochs) else None,
        "n_best_at_last_epochs": at_cap,
    }


def _selection_fields(selection: Mapping[str, Any] | None) -> dict[str, Any]:
    """The row fields taken from a selection record (what was measured); empty without one."""
    if not selection:
        return {}
    return {"x": (selection.get("x") or {}).get("selector"), "y": (selection.get("y") or {}).get("selector"),
            "window_bins": selection.get("window_bins"), "lag_bins": selection.get("lag_bins"),
            "bin_width_s": selection.get("bin_width_s"), "n_bins": selection.get("n_bins"),
            "dropped_bins": selection.get("dropped_bins")}


def effective_settings(res: Any) -> dict[str, Any]:
    """What the networks of a result actually ran with, from its cells (not from defaults or the config):
    the batch size used (the automatic one resolved), CPU threads, device. Each is one value, or the sorted
    distinct values when cells differ; absent when the result has no cell records."""
    cells = list(getattr(res, "cells", ()) or ())
    found: dict[str, set] = {"batch_size": set(), "threads": set(), "device": set()}
    for c in cells:
        timing = c.get("timing") or {}
        for key, value in (("batch_size", c.get("batch_size")), ("threads", timing.get("threads")),
                           ("device", c.get("device"))):
            if value is not None:
                found[key].add(value)
    return {k: (sorted(v, key=str)[0] if len(v) == 1 else sorted(v, key=str)) for k, v in found.items() if v}


def _common_warnings(row: dict[str, Any], members: Sequence[Any], settings: Mapping[str, Any],
                     selection: Mapping[str, Any] | None) -> None:
    if selection:
        n_bins, dropped = selection.get("n_bins"), row.get("dropped_bins")
        used = n_bins - dropped if n_bins is not None and dropped is not None else selection.get("n_rows")
        for side in ("x", "y"):
            s = selection.get(side) or {}
            if s.get("constant"):
                row["warnings"].insert(0, f"{NO_SIGNAL}: {side.upper()} ({s.get('selector')}) is constant in every "
                                          f"one of the {used} bins used (e.g. no spikes): the true MI is 0 and "
                                          f"this result is training noise")
                row["no_signal"] = True
    row["training"] = training_summary(members, settings.get("epochs"))
    if row["training"]["n_best_at_last_epochs"]:
        row["warnings"].append(f"{row['training']['n_best_at_last_epochs']} network(s) still improving at the "
                               "last epochs: raise training.epochs")


def rigorous_row(name: str, record: Mapping[str, Any] | RigorousResult, unit: str = "bits",
                 selection: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One analysis's rigorous result as a flat row in ``unit``.

    Fields: analysis, mode, estimator, critic, mi_<unit>, ci_low/ci_high/pi_low/pi_high/fit_ci_low/fit_ci_high/
    se/shared_se/systematic/naive_mi_<unit>, slope_<unit>_per_gamma, confidence, reliable, flags, gammas,
    gammas_used, n_members, n_samples, extrapolate, no_signal, settings, warnings, training (a
    :func:`training_summary`), and with a selection record x, y, window_bins, lag_bins, bin_width_s,
    n_bins, dropped_bins.
    """
    check_unit(unit)
    res = load_result(name, "rigorous", record)
    u = unit
    row: dict[str, Any] = {
        "analysis": name, "mode": "rigorous",
        "estimator": res.settings.get("estimator"), "critic": trained_critic(res),
        f"mi_{u}": to_unit(res.mi_nats, u),
        f"ci_low_{u}": to_unit(res.ci_low_nats, u), f"ci_high_{u}": to_unit(res.ci_high_nats, u),
        f"pi_low_{u}": to_unit(res.pi_low_nats, u), f"pi_high_{u}": to_unit(res.pi_high_nats, u),
        f"fit_ci_low_{u}": to_unit(res.fit_ci_low_nats, u), f"fit_ci_high_{u}": to_unit(res.fit_ci_high_nats, u),
        f"se_{u}": to_unit(res.se_nats, u), f"shared_se_{u}": to_unit(res.shared_se_nats, u),
        f"systematic_{u}": to_unit(res.systematic_nats, u), f"naive_mi_{u}": to_unit(res.naive_mi_nats, u),
        f"slope_{u}_per_gamma": to_unit(res.slope_nats, u),
        "confidence": res.confidence, "reliable": bool(res.reliable), "flags": list(res.flags),
        "gammas": list(res.gammas), "gammas_used": list(res.gammas_used), "n_members": len(res.members),
        "n_samples": res.data.get("n_samples"), "extrapolate": res.extrapolate, "no_signal": False,
        **_selection_fields(selection),
        "settings": dict(res.settings), "warnings": list(res.warnings),
    }
    row["effective"] = effective_settings(res)
    _common_warnings(row, res.members, res.settings, selection)
    return row


def dimensionality_row(name: str, record: Mapping[str, Any] | DimensionalityResult, unit: str = "bits",
                       selection: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One analysis's dimensionality result as a flat row in ``unit``.

    Fields: analysis, mode, estimator, critic, target, of, curve (rows of embedding_dim, mean_<unit>,
    std_<unit>, n_members), saturation_dim (the headline, strictness 1), saturation_dim_s<s> for every
    strictness s (``s0.1``, ``s1``, ``s15``; None: not saturated within the dims swept), mi_max_<unit>,
    embedding_dims, n_splits, n_members, n_samples, no_signal (the curve is indistinguishable from zero:
    "no shared information", no saturation dim), settings, warnings, training, and the selection fields of
    :func:`rigorous_row`.
    """
    check_unit(unit)
    res = load_result(name, "dimensionality", record)
    u = unit
    means = [to_unit(r["mean_nats"], u) for r in res.curve]
    row: dict[str, Any] = {
        "analysis": name, "mode": "dimensionality",
        "estimator": res.settings.get("estimator"), "critic": trained_critic(res, "separable"),
        "target": res.target,
        "of": "I(half 1 of X; half 2 of X)" if res.target == "internal" else "I(X; Y)",
        "curve": [{"embedding_dim": r["embedding_dim"], f"mean_{u}": to_unit(r["mean_nats"], u),
                   f"std_{u}": to_unit(r["std_nats"], u), "n_members": r.get("n_members")} for r in res.curve],
        "saturation_dim": res.saturation_dim, "headline_strictness": HEADLINE_STRICTNESS,
        **{f"saturation_dim_s{s}": d for s, d in res.saturation.items()},
        f"mi_max_{u}": max((m for m in means if finite(m)), default=float("nan")),
        "embedding_dims": list(res.embedding_dims), "n_splits": res.n_splits, "n_members": len(res.members),
        "n_samples": res.data.get("n_samples"), "no_signal": bool(res.no_shared_information),
        **_selection_fields(selection),
        "settings": dict(res.settings), "warnings": list(res.warnings),
    }
    if selection and res.target == "internal":  # the sweep trains X alone: Y's masks drop nothing
        row["y"] = None
        alone = (selection.get("checks") or {}).get("dimensionality") or {}
        row["dropped_bins"] = alone.get("dropped_bins", row["dropped_bins"])
    row["effective"] = effective_settings(res)
    _common_warnings(row, res.members, res.settings, selection if res.target == "interaction" or not selection
                     else {**selection, "y": None})
    return row


def trained_critic(res: Any, default: str | None = None) -> str | None:
    """The critic the result's networks were trained with: ``auto`` resolved (each fit records its critic in its
    cells' ``timing``); the setting when the cells do not say (older results) or disagree."""
    found = {(c.get("timing") or {}).get("critic") for c in (getattr(res, "cells", None) or ())} - {None}
    return found.pop() if len(found) == 1 else res.settings.get("critic", default)


def _base_row(name: str, mode: str, res: Any, selection: Mapping[str, Any] | None) -> dict[str, Any]:
    return {"analysis": name, "mode": mode, "estimator": res.settings.get("estimator"),
            "critic": trained_critic(res), "n_members": len(res.members),
            "n_samples": res.data.get("n_samples"), "no_signal": False, **_selection_fields(selection),
            "settings": dict(res.settings), "warnings": list(res.warnings)}


def lag_sweep_row(name: str, record: Any, unit: str = "bits", selection: Mapping[str, Any] | None = None
                  ) -> dict[str, Any]:
    """A lag sweep as a flat row: the curve (lag, corrected MI and CI per lag), the peak lag in bins and
    seconds with its confidence range, the peak's MI and CI, and the fields of :func:`rigorous_row`'s
    selection."""
    check_unit(unit)
    res = load_result(name, "lag_sweep", record)
    u = unit
    row = _base_row(name, "lag_sweep", res, selection)
    row.update({
        "curve": [{"lag_bins": r["lag_bins"], "lag_s": r["lag_s"], f"mi_{u}": to_unit(r["mi_nats"], u),
                   f"ci_low_{u}": to_unit(r["ci_low_nats"], u), f"ci_high_{u}": to_unit(r["ci_high_nats"], u),
                   "reliable": r["reliable"]} for r in res.curve],
        "peak_lag_bins": res.peak_lag_bins, "peak_lag_s": res.peak_lag_s,
        "peak_range_bins": list(res.peak_range_bins) if res.peak_range_bins else None,
        "peak_range_s": list(res.peak_range_s) if res.peak_range_s else None,
        f"peak_mi_{u}": to_unit(res.peak_mi_nats, u), f"peak_ci_low_{u}": to_unit(res.peak_ci_low_nats, u),
        f"peak_ci_high_{u}": to_unit(res.peak_ci_high_nats, u), "n_pairs": res.n_pairs,
        "confidence": res.fit_settings.get("confidence"),
        "reliable": all(r["reliable"] for r in res.curve),
    })
    row["effective"] = effective_settings(res)
    _common_warnings(row, res.members, res.settings, selection)
    return row


def significance_row(name: str, record: Any, unit: str = "bits", selection: Mapping[str, Any] | None = None
                     ) -> dict[str, Any]:
    """A significance test as a flat row: observed MI, p-value, null mean and quantiles, surrogates used."""
    check_unit(unit)
    res = load_result(name, "significance", record)
    u = unit
    row = _base_row(name, "significance", res, selection)
    row.update({
        f"observed_mi_{u}": to_unit(res.observed_mi_nats, u), "p_value": res.p_value, "p_floor": res.p_floor,
        "p_text": res.p_text,
        "significant": res.significant, "alpha": res.alpha, f"null_mean_{u}": to_unit(res.null_mean_nats, u),
        **{f"null_q{q}_{u}": to_unit(v, u) for q, v in res.null_quantiles_nats.items()},
        "n_surrogates": res.n_surrogates, "surrogate": res.method, "min_shift_bins": res.min_shift_bins,
        "block_length_bins": res.block_length_bins, "decorrelation_bins": dict(res.decorrelation_bins),
    })
    row["effective"] = effective_settings(res)
    _common_warnings(row, res.members, res.settings, selection)
    return row


def contributions_row(name: str, record: Any, unit: str = "bits", selection: Mapping[str, Any] | None = None
                      ) -> dict[str, Any]:
    """Per-group contributions as a flat row: full MI, the groups sorted by contribution, the top groups."""
    check_unit(unit)
    res = load_result(name, "contributions", record)
    u = unit
    row = _base_row(name, "contributions", res, selection)
    row.update({
        f"full_mi_{u}": to_unit(res.full_mi_nats, u), f"full_sd_{u}": to_unit(res.full_sd_nats, u),
        "group_by": res.group_by, "top_groups": list(res.top_groups), "note": res.note,
        "groups": [{"rank": g["rank"], "group": g["group"], "n_columns": g["n_columns"],
                    f"drop_{u}": to_unit(g["drop_nats"], u), f"drop_sd_{u}": to_unit(g["drop_sd_nats"], u),
                    f"alone_{u}": to_unit(g["alone_mi_nats"], u)} for g in res.groups],
    })
    row["warnings"] = [w for w in row["warnings"] if w != res.note]  # stated in the section, not a warning
    row["effective"] = effective_settings(res)
    _common_warnings(row, res.members, res.settings, selection)
    return row


def _dict_members(members: Sequence[Mapping[str, Any]]) -> list[Any]:
    from types import SimpleNamespace

    return [SimpleNamespace(best_epoch=m.get("best_epoch"), epochs_run=m.get("epochs_run")) for m in members]


def transfer_entropy_row(name: str, record: Any, unit: str = "bits", selection: Mapping[str, Any] | None = None
                         ) -> dict[str, Any]:
    """Transfer entropy as a flat row: TE(X -> Y) at the peak delay in the generic mi/ci columns, the peak
    delay (bins; seconds with the selection's bin width) and its range, the curve per delay of both
    directions, and the paired difference TE(X->Y) - TE(Y->X) at the peak."""
    check_unit(unit)
    res = load_result(name, "transfer_entropy", record)
    u = unit
    width = (selection or {}).get("bin_width_s")
    row = _base_row(name, "transfer_entropy", res, selection)
    rev = res.reverse or {}
    curve = []
    for i, d in enumerate(res.delays):
        c = {"delay_bins": d, "delay_s": None if width is None else d * width, f"te_{u}": to_unit(res.te_nats[i], u),
             f"ci_low_{u}": to_unit(res.ci_low[i], u), f"ci_high_{u}": to_unit(res.ci_high[i], u)}
        if rev:
            c.update({f"reverse_te_{u}": to_unit(rev["te_nats"][i], u),
                      f"reverse_ci_low_{u}": to_unit(rev["ci_low"][i], u),
                      f"reverse_ci_high_{u}": to_unit(rev["ci_high"][i], u)})
        curve.append(c)
    row.update({
        "n_samples": res.data.get("n_bins"),
        f"mi_{u}": to_unit(res.mi_nats, u), f"ci_low_{u}": to_unit(res.ci_low_nats, u),
        f"ci_high_{u}": to_unit(res.ci_high_nats, u), "confidence": res.confidence,
        "peak_delay_bins": res.peak_delay, "peak_delay_s": None if width is None else res.peak_delay * width,
        "peak_delay_range_bins": list(res.peak_delay_range), "curve": curve,
        "bidirectional": res.reverse is not None, "conditioned": bool(res.settings.get("conditioned")),
        f"difference_{u}": to_unit(res.difference_nats, u), f"difference_ci_low_{u}": to_unit(
            res.difference_ci_low_nats, u), f"difference_ci_high_{u}": to_unit(res.difference_ci_high_nats, u),
        "reliable": finite(res.mi_nats) and not res.flags, "flags": list(res.flags),
    })
    _common_warnings(row, _dict_members(res.members), res.settings, selection)
    return row


def conditional_mi_row(name: str, record: Any, unit: str = "bits", selection: Mapping[str, Any] | None = None
                       ) -> dict[str, Any]:
    """Conditional MI as a flat row: I(X; Y | Z) in the generic mi/ci columns, beside the 1/N-extrapolated
    I(XZ; Y) and I(Z; Y) it is the difference of."""
    check_unit(unit)
    res = load_result(name, "conditional_mi", record)
    u = unit
    row = _base_row(name, "conditional_mi", res, selection)
    row.update({
        f"mi_{u}": to_unit(res.mi_nats, u), f"ci_low_{u}": to_unit(res.ci_low_nats, u),
        f"ci_high_{u}": to_unit(res.ci_high_nats, u), "confidence": res.confidence,
        f"mi_full_{u}": to_unit(res.mi_full_nats, u), f"mi_reduced_{u}": to_unit(res.mi_reduced_nats, u),
        "z": (selection or {}).get("z", {}).get("selector") if isinstance((selection or {}).get("z"), Mapping)
        else (selection or {}).get("z"),
        "reliable": finite(res.mi_nats) and not res.flags, "flags": list(res.flags),
    })
    _common_warnings(row, _dict_members(res.members), res.settings, selection)
    return row


#: The report row of every registered analysis (a test checks that none is missing).
def skipped_row(name: str, mode: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """The row of an analysis skipped in its session (``required: false``, its signal absent): the reason,
    no numbers, no warnings (a skip is neither a failure nor a result without signal).

    Fields: analysis, mode, skipped (the one-line reason), status ``skipped``, no_signal false, x, y, z (the
    selectors), warnings [].
    """
    sel = record.get("selection") or {}
    return {"analysis": name, "mode": mode, "skipped": str(record["skipped"]), "status": "skipped",
            "no_signal": False, "x": sel.get("x"), "y": sel.get("y"), "z": sel.get("z"), "warnings": []}


ROWS = {"rigorous": rigorous_row, "dimensionality": dimensionality_row, "lag_sweep": lag_sweep_row,
        "significance": significance_row, "contributions": contributions_row,
        "transfer_entropy": transfer_entropy_row, "conditional_mi": conditional_mi_row}


#: Results named per kind of warning in a page's warnings box (the rest: "and N more").
MAX_NAMED = 8
_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)*(?:e[-+]?\d+)?")


def group_warnings(pairs: Iterable[tuple[str, str]]) -> list[str]:
    """The lines of a warnings box from (result, warning text) pairs: one line per kind of warning (its text with
    the numbers taken out), in the order first met. A kind on one result reads ``"<result>: <text>"``; on several,
    ``"<n> results: <text of the first> (numbers differ per result). In: <results>"`` (the first
    :data:`MAX_NAMED` named). One warning that fires on most results is one line, not a screen of repeats; each
    result's own text stays in its section, its session report and summary.csv."""
    groups: dict[str, dict[str, Any]] = {}
    for where, w in pairs:
        w = str(w).strip().rstrip(".")
        if w:
            g = groups.setdefault(_NUMBER.sub("#", w), {"text": w, "texts": set(), "where": []})
            g["texts"].add(w)
            g["where"].append(where)
    lines = []
    for g in groups.values():
        n, where = len(g["where"]), g["where"]
        if n == 1:
            lines.append(f"{where[0]}: {g['text']}")
            continue
        named = ", ".join(where[:MAX_NAMED]) + (f" and {n - MAX_NAMED} more" if n > MAX_NAMED else "")
        vary = " (numbers differ per result)" if len(g["texts"]) > 1 else ""
        lines.append(f"{n} results: {g['text']}{vary}. In: {named}")
    return lines


__all__ = ["MAX_NAMED", "MODES", "NO_SIGNAL", "ROWS", "UNITS", "check_unit", "conditional_mi_row",
           "contributions_row", "dimensionality_row", "finite", "group_warnings", "lag_sweep_row", "load_result",
           "rigorous_row", "significance_row", "skipped_row", "to_unit", "training_summary", "transfer_entropy_row"]

