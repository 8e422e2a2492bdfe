"""The result of dimensionality mode: its member table and the MI-vs-embedding-dim curve with saturation dims.

:func:`summarize_dimensionality` is the pure second half of
:func:`~neuralmi_core.analysis.dimensionality.dimensionality` (and of its gather).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ...collapse import collapse_warning
from ...flags import warning_text
from ...results import Member, _jsonable, nats_to_bits
from ...settings import FloatList
from ...validation import NeuralMIError, emit_warnings
from ..saturation import (
    HEADLINE_STRICTNESS,
    STRICTNESS,
    ZERO_FLOOR_NATS,
    curve_summary,
    indistinguishable_from_zero,
    saturation_table,
    strictness_key,
)


@dataclass(frozen=True)
class DimensionalityMember(Member):
    """One member: halving (or replicate) ``halving`` at embedding dim ``embedding_dim``, trained with ``seed``."""

    embedding_dim: int
    halving: int
    seed: int
    n_train: int
    n_test: int
    n_eval: int
    mi_test_nats: float
    mi_train_nats: float
    best_epoch: int
    epochs_run: int
    channels_a: tuple[int, ...] = ()
    channels_b: tuple[int, ...] = ()

    RENAMED = {"split": "halving"}  # files written before 0.2 call the halving index `split`



@dataclass(frozen=True)
class DimensionalityResult:
    """MI-vs-embedding-dim curve and saturation dims (see :func:`dimensionality`).

    Attributes
    ----------
    target : str
        ``internal`` (I(X_A; X_B) over channel halvings of X) or ``interaction`` (I(X; Y)).
    curve : tuple of dict
        Per embedding dim: ``embedding_dim``, ``n_members``, ``mean_nats``, ``std_nats`` (held-out MI over
        halvings × seeds), plus ``mean_bits``/``std_bits`` in ``to_dict()``.
    saturation : dict
        Saturation dim per strictness s, keyed by s as the CLI and config write it (``"0.1"``, ``"1"``,
        ``"15"``); None when the curve does not saturate within the dims swept (or the run holds a single
        dim).
    saturation_dim : int or None
        The saturation dim at strictness 1 (the headline number).
    no_shared_information : bool
        The MI at every dim is below 0.01 nats or not significantly above 0
        (:func:`~.saturation.indistinguishable_from_zero`): there is no dimensionality to report, and every
        saturation dim is None.
    members : tuple of DimensionalityMember
        The per-member table.
    """

    target: str
    embedding_dims: tuple[int, ...]
    seeds: tuple[int, ...]
    n_splits: int
    curve: tuple[dict[str, Any], ...]
    saturation: dict[str, int | None]
    saturation_dim: int | None
    members: tuple[DimensionalityMember, ...]
    settings: dict[str, Any]
    data: dict[str, Any]
    fit_settings: dict[str, Any] = field(default_factory=dict)
    dropped_channel: bool = False
    seconds: float = 0.0
    cells: tuple[dict[str, Any], ...] = field(default=(), compare=False)
    warnings: tuple[str, ...] = ()
    no_shared_information: bool = False

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}
        for row in out["curve"]:
            for k in ("mean", "std"):
                v = row[f"{k}_nats"]
                row[f"{k}_bits"] = None if v is None else nats_to_bits(v)
        out["unit_note"] = "*_nats in nats (natural log); *_bits = *_nats / ln 2"
        return out

    def summary_line(self) -> str:
        """One line for the command line: the saturation dims."""
        if self.no_shared_information:
            return f"{self.target}: no shared information (no saturation dim)"
        return f"{self.target}: saturation dim {self.saturation_dim} (s=1); {self.saturation}"

    def __repr__(self) -> str:
        head = ("no shared information" if self.no_shared_information
                else f"saturation dim {self.saturation_dim} (s=1)")
        return f"DimensionalityResult({self.target}: {head}, {self.saturation}, dims {list(self.embedding_dims)})"

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DimensionalityResult:
        """Rebuild a result from :meth:`to_dict` output or its JSON (``*_bits`` and extra keys ignored).

        Saturation keys written by older versions (``"1.0"``) are read as today's (``"1"``).
        """
        kw: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name not in d:
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    raise NeuralMIError(f"not a dimensionality result: field {f.name!r} is missing")
                continue
            kw[f.name] = d[f.name]
        for name in ("embedding_dims", "seeds", "cells", "warnings"):
            if name in kw:
                kw[name] = tuple(kw[name] or ())
        kw["curve"] = tuple({k: (float("nan") if v is None else float(v)) if k.endswith("_nats") else v
                             for k, v in r.items() if not k.endswith("_bits")} for r in kw["curve"] or ())
        kw["saturation"] = {strictness_key(k): v for k, v in (kw["saturation"] or {}).items()}
        kw["members"] = tuple(DimensionalityMember.from_dict(m) for m in kw["members"] or ())
        if "seconds" in kw:
            kw["seconds"] = float(kw["seconds"] or 0.0)
        return cls(**kw)

    def plot(self, ax: Any = None, unit: str = "bits") -> Any:
        """MI against embedding dim (members, mean ± sd) with the saturation dims marked; returns the Figure.

        The figure is a plain matplotlib Figure (not managed by pyplot): save it with
        ``fig.savefig("dims.png")``, or pass ``ax`` from ``plt.subplots()`` and call ``plt.show()``.
        """
        from .plot import plot_dimensionality

        return plot_dimensionality(self, ax=ax, unit=unit)


def summarize_dimensionality(members: Sequence[DimensionalityMember], settings: dict[str, Any],
                             data: dict[str, Any], *, strictness: Sequence[float] = STRICTNESS,
                             seconds: float = 0.0, cells: Sequence[dict[str, Any]] = (),
                             dropped_channel: bool = False, extra_warnings: Sequence[str] = ()
                             ) -> DimensionalityResult:
    """Curve and saturation dims from a member table: the pure second half of :func:`dimensionality`."""
    strict = FloatList(0.0).check("strictness", strictness)  # as declared by the analysis
    rows = tuple(sorted(members, key=lambda m: (m.embedding_dim, m.seed, m.halving)))
    keys = [(m.embedding_dim, m.seed, m.halving) for m in rows]
    if len(set(keys)) != len(keys):
        raise NeuralMIError("the member table holds duplicate (embedding_dim, seed, halving) rows; each cell may "
                            "appear once (were the same parts given twice?).")
    curve = tuple(curve_summary([m.embedding_dim for m in rows], [m.mi_test_nats for m in rows]))
    sat = saturation_table(list(curve), strict)
    dims = tuple(r["embedding_dim"] for r in curve)
    no_info = indistinguishable_from_zero(curve)
    if no_info:
        sat = {k: None for k in sat}
    warnings = list(extra_warnings)
    collapsed = collapse_warning(cells, len(rows))
    if collapsed:
        warnings.append(collapsed)
    if dropped_channel:
        warnings.append(warning_text("odd_channels", dim_x=data["dim_x"], half=data["dim_x"] // 2))
    if len(dims) < 2:
        warnings.append(warning_text("single_dim", dims=list(dims)))
    if no_info:
        largest = max(r["mean_nats"] for r in curve if math.isfinite(r["mean_nats"]))
        warnings.append(warning_text("no_shared_information", floor=ZERO_FLOOR_NATS, largest=largest))
    elif len(dims) >= 2 and sat.get(HEADLINE_STRICTNESS, next(iter(sat.values()), None)) is None:
        warnings.append(warning_text("still_rising", dim=dims[-1]))
    if any(not math.isfinite(m.mi_test_nats) for m in rows):
        warnings.append(warning_text("diverged"))
    s1 = sat.get(HEADLINE_STRICTNESS)
    emit_warnings(warnings)
    return DimensionalityResult(
        target=settings["target"], embedding_dims=dims, seeds=tuple(sorted({m.seed for m in rows})),
        n_splits=int(settings["n_splits"]), curve=curve, saturation=sat, saturation_dim=s1, members=rows,
        settings=dict(settings), data=dict(data), fit_settings={"strictness": list(strict)},
        dropped_channel=dropped_channel, seconds=seconds,
        cells=tuple(sorted(cells, key=lambda c: (c["embedding_dim"], c["seed"]))), warnings=tuple(warnings),
        no_shared_information=no_info)
