"""Flatten gathered result records (rigorous, dimensionality JSON) into report rows in one MI unit.

Records are read as plain dicts (the JSON written by ``neuralmi gather``); every MI value in them is
in nats (``*_nats``). Rows carry the unit in their field names: ``mi_bits`` or ``mi_nats``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ..results import NATS_PER_BIT
from ..validation import NeuralMIError

UNITS = ("bits", "nats")
STRICTNESS_KEYS = ("0.1", "1.0", "15.0")
CEILING_FRACTION = 0.9


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


def _get(d: Mapping[str, Any], *keys: str, default: Any = None) -> Any:
    for k in keys:
        if k in d and d[k] is not None:
            return d[k]
    return default


def _median(values: Sequence[float]) -> float:
    vals = sorted(v for v in values if finite(v))
    if not vals:
        return float("nan")
    mid = len(vals) // 2
    return float(vals[mid]) if len(vals) % 2 else float((vals[mid - 1] + vals[mid]) / 2)


def training_summary(members: Sequence[Mapping[str, Any]], max_epochs: Any = None) -> dict[str, Any]:
    """Training-curve summary over members: counts, median best/last epoch, how many hit the epoch cap."""
    best = [m.get("best_epoch") for m in members if finite(m.get("best_epoch"))]
    run = [m.get("epochs_run") for m in members if finite(m.get("epochs_run"))]
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


def rigorous_row(name: str, record: Mapping[str, Any], unit: str = "bits") -> dict[str, Any]:
    """One analysis's rigorous result as a flat row in ``unit`` (see module docstring).

    Fields: analysis, mode, estimator, critic, mi_<unit>, ci_low/ci_high/pi_low/pi_high/se/shared_se/systematic/naive_mi/
    slope_<unit>, confidence, reliable, flags, gammas_used, gammas, n_members, n_samples, warnings,
    training (a :func:`training_summary`).
    """
    check_unit(unit)
    if "members" not in record or not any(k in record for k in ("mi_nats", "mi_bits")):
        raise NeuralMIError(f"analysis {name!r}: not a gathered rigorous record (expected 'mi_nats' and "
                            f"'members'); got keys {sorted(record)[:12]}")
    settings = record.get("settings") or {}
    data = record.get("data") or {}
    members = list(record.get("members") or [])
    u = unit
    row: dict[str, Any] = {
        "analysis": name,
        "mode": "rigorous",
        "estimator": settings.get("estimator"),
        "critic": settings.get("critic"),
        f"mi_{u}": to_unit(record.get("mi_nats"), u),
        f"ci_low_{u}": to_unit(record.get("ci_low_nats"), u),
        f"ci_high_{u}": to_unit(record.get("ci_high_nats"), u),
        f"pi_low_{u}": to_unit(record.get("pi_low_nats"), u),
        f"pi_high_{u}": to_unit(record.get("pi_high_nats"), u),
        f"se_{u}": to_unit(record.get("se_nats"), u),
        f"shared_se_{u}": to_unit(record.get("shared_se_nats"), u),
        f"systematic_{u}": to_unit(record.get("systematic_nats"), u),
        f"naive_mi_{u}": to_unit(record.get("naive_mi_nats"), u),
        f"slope_{u}_per_gamma": to_unit(record.get("slope_nats"), u),
        "confidence": record.get("confidence"),
        "reliable": bool(record.get("reliable", False)),
        "flags": list(record.get("flags") or []),
        "gammas": list(record.get("gammas") or []),
        "gammas_used": list(record.get("gammas_used") or []),
        "n_members": len(members),
        "n_samples": data.get("n_samples"),
        "extrapolate": record.get("extrapolate"),
        "warnings": list(record.get("warnings") or []),
        "training": training_summary(members, settings.get("epochs")),
    }
    if not row["reliable"] and not any("unreliable" in w or "no extrapolation" in w for w in row["warnings"]):
        row["warnings"].append("fit unreliable: " + (", ".join(row["flags"]) or record.get("fit_reason") or "?"))
    if settings.get("estimator") == "infonce" and not any("ceiling" in w for w in row["warnings"]):
        near = [m for m in members if finite(m.get("mi_test_nats")) and finite(m.get("n_eval"))
                and m["mi_test_nats"] >= CEILING_FRACTION * math.log(max(m["n_eval"], 2))]
        if near:
            row["warnings"].append(f"InfoNCE near its log N ceiling in {len(near)} member(s)")
    if row["training"]["n_best_at_last_epochs"]:
        row["warnings"].append(f"{row['training']['n_best_at_last_epochs']} member(s) still improving at the "
                               "last epochs: raise training.epochs")
    return row


def _curve(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    curve = _get(record, "curve", "per_dim", "per_embedding_dim", default=[])
    out = []
    for r in curve:
        out.append({"embedding_dim": int(_get(r, "embedding_dim", "dim")),
                    "mean_nats": _get(r, "mean_nats", "mi_nats", default=float("nan")),
                    "std_nats": _get(r, "std_nats", "mi_std_nats", default=float("nan")),
                    "n_members": r.get("n_members")})
    return sorted(out, key=lambda r: r["embedding_dim"])


def _saturation(record: Mapping[str, Any]) -> dict[str, Any]:
    sat = _get(record, "saturation", "saturation_dims", "saturation_dim", default={})
    if not isinstance(sat, Mapping):
        return {"1.0": sat}
    out = {}
    for k, v in sat.items():
        try:
            out[str(float(k))] = v
        except ValueError:
            out[str(k)] = v
    return out


def dimensionality_row(name: str, record: Mapping[str, Any], unit: str = "bits") -> dict[str, Any]:
    """One analysis's dimensionality result as a flat row in ``unit``.

    Fields: analysis, mode, estimator, curve (rows of embedding_dim, mean_<unit>, std_<unit>),
    saturation_dim_s0.1 / _s1 / _s15 (None: not saturated within the dims swept), mi_max_<unit>,
    n_splits, warnings, training.
    """
    check_unit(unit)
    curve = _curve(record)
    if not curve:
        raise NeuralMIError(f"analysis {name!r}: not a gathered dimensionality record (expected a 'curve' of "
                            f"per-embedding-dim MI); got keys {sorted(record)[:12]}")
    settings = record.get("settings") or {}
    sat = _saturation(record)
    u = unit
    members = list(record.get("members") or [])
    means = [to_unit(r["mean_nats"], u) for r in curve]
    row: dict[str, Any] = {
        "analysis": name,
        "mode": "dimensionality",
        "estimator": settings.get("estimator"),
        "critic": settings.get("critic", "separable"),
        "of": {"internal": "I(X_A;X_B)", "interaction": "I(X;Y)"}.get(record.get("target") or settings.get("target"),
                                                                     "I(X_A;X_B)"),
        "curve": [{"embedding_dim": r["embedding_dim"], f"mean_{u}": to_unit(r["mean_nats"], u),
                   f"std_{u}": to_unit(r["std_nats"], u), "n_members": r["n_members"]} for r in curve],
        "saturation_dim_s0.1": sat.get("0.1"),
        "saturation_dim_s1": sat.get("1.0"),
        "saturation_dim_s15": sat.get("15.0"),
        f"mi_max_{u}": max((m for m in means if finite(m)), default=float("nan")),
        "n_splits": _get(record, "n_splits", default=settings.get("n_splits")),
        "n_members": len(members),
        "warnings": list(record.get("warnings") or []),
        "training": training_summary(members, settings.get("epochs")),
    }
    if row["saturation_dim_s1"] is None and not any("saturat" in w or "still rises" in w for w in row["warnings"]):
        row["warnings"].append("no saturation at strictness 1 within the embedding dims swept: add larger dims")
    if row["training"]["n_best_at_last_epochs"]:
        row["warnings"].append(f"{row['training']['n_best_at_last_epochs']} member(s) still improving at the "
                               "last epochs: raise training.epochs")
    return row
