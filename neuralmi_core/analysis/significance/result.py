"""The result of a shuffle-significance run: the observed MI, the surrogates' null distribution, the p-value.

:func:`summarize_significance` is the pure second half of
:func:`~neuralmi_core.analysis.significance.significance` (and of its gather).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...flags import warning_text
from ...results import Member, _jsonable, nats_to_bits
from ...validation import NeuralMIError

QUANTILES = (0.05, 0.5, 0.95, 0.99)


@dataclass(frozen=True)
class SurrogateMember(Member):
    """One member: index 0 is the observed pairing, the others surrogates (``shift``: circular offset, or -1)."""

    index: int
    shift: int
    n_train: int
    n_test: int
    n_eval: int
    mi_test_nats: float
    mi_train_nats: float
    best_epoch: int
    epochs_run: int



@dataclass(frozen=True)
class SignificanceResult:
    """Observed held-out MI against its surrogate null (see :func:`significance`; ``*_nats`` also ``*_bits``).

    Attributes
    ----------
    observed_mi_nats : float
        Held-out MI of the observed pairing (NaN in a partial run without cell 0).
    p_value : float
        ``(1 + #{null >= observed}) / (1 + n_surrogates)``; NaN without the observed member.
    significant : bool
        ``p_value <= alpha``.
    null_nats : tuple of float
        Every surrogate's held-out MI; ``null_mean_nats``, ``null_sd_nats`` and ``null_quantiles_nats``
        summarise it.
    min_shift_bins, block_length_bins : int
        The circular surrogates' smallest shift and the block length used (bins; ``*_s`` in seconds).
    decorrelation_bins : dict
        The measured decorrelation times of X and Y (bins).
    """

    observed_mi_nats: float
    p_value: float
    significant: bool
    alpha: float
    method: str
    n_surrogates: int
    null_nats: tuple[float, ...]
    null_mean_nats: float
    null_sd_nats: float
    null_quantiles_nats: dict[str, float]
    min_shift_bins: int
    block_length_bins: int
    decorrelation_bins: dict[str, int]
    bin_width_s: float | None
    members: tuple[SurrogateMember, ...]
    settings: dict[str, Any]
    data: dict[str, Any]
    seconds: float = 0.0
    cells: tuple[dict[str, Any], ...] = field(default=(), compare=False)
    warnings: tuple[str, ...] = ()

    def _s(self, bins: int | None) -> float | None:
        return None if bins is None or self.bin_width_s is None else bins * self.bin_width_s

    @property
    def p_floor(self) -> float:
        """The smallest p-value these surrogates can give: 1 / (n_surrogates + 1)."""
        return 1.0 / (self.n_surrogates + 1) if self.n_surrogates else float("nan")

    @property
    def p_text(self) -> str:
        """The p-value in words; at its floor: "p ≤ 0.05 (the smallest possible with 19 surrogates)"."""
        return p_text(self.p_value, self.n_surrogates)

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}
        out["p_floor"] = _jsonable(self.p_floor)
        out["p_text"] = self.p_text
        for k in ("observed_mi", "null_mean", "null_sd"):
            out[f"{k}_bits"] = _jsonable(nats_to_bits(getattr(self, f"{k}_nats")))
        out["null_quantiles_bits"] = {q: _jsonable(nats_to_bits(v)) for q, v in self.null_quantiles_nats.items()}
        out["min_shift_s"] = self._s(self.min_shift_bins)
        out["block_length_s"] = self._s(self.block_length_bins)
        out["decorrelation_s"] = {k: self._s(v) for k, v in self.decorrelation_bins.items()}
        out["unit_note"] = "*_nats in nats (natural log); *_bits = *_nats / ln 2"
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SignificanceResult:
        nan = float("nan")
        kw: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            v = d.get(f.name)
            if f.name == "members":
                v = tuple(SurrogateMember.from_dict(m) for m in v or ())
            elif f.name == "null_nats":
                v = tuple(nan if e is None else float(e) for e in v or ())
            elif f.name in ("cells", "warnings"):
                v = tuple(v or ())
            elif f.name == "null_quantiles_nats":
                v = {k: nan if e is None else float(e) for k, e in (v or {}).items()}
            elif f.name in ("observed_mi_nats", "p_value", "null_mean_nats", "null_sd_nats"):
                v = nan if v is None else float(v)
            kw[f.name] = v
        return cls(**kw)

    def summary_line(self) -> str:
        if not math.isfinite(self.p_value):
            return f"{len(self.members)} members, no observed member in these parts (gather the cells)"
        return (f"observed {self.observed_mi_nats:.4f} nats, null mean {self.null_mean_nats:.4f} (95 %: "
                f"{self.null_quantiles_nats.get('0.95', float('nan')):.4f}); {self.p_text}, {self.method} surrogates")

    def plot(self, ax: Any = None, unit: str = "bits") -> Any:
        """Histogram of the null MI with the observed MI marked (:func:`~.plots.plot_significance`); a plain
        matplotlib Figure: save it with ``fig.savefig(...)``."""
        from .plot import plot_significance

        return plot_significance(self, ax=ax, unit=unit)


def p_text(p_value: float | None, n_surrogates: int | None) -> str:
    """A p-value with its floor: at the floor 1/(n+1) the surrogates only bound it ("p ≤ 0.05 (the smallest
    possible with 19 surrogates)"), else "p = 0.35 (19 surrogates)"."""
    if p_value is None or not math.isfinite(p_value) or not n_surrogates:
        return "p not available"
    floor = 1.0 / (n_surrogates + 1)
    if p_value <= floor * (1 + 1e-9):
        return f"p ≤ {floor:.3g} (the smallest possible with {n_surrogates} surrogates)"
    return f"p = {p_value:.3g} ({n_surrogates} surrogates)"


def summarize_significance(members: Sequence[SurrogateMember], settings: Mapping[str, Any],
                           data: Mapping[str, Any], *, n_surrogates: int, alpha: float, method: str,
                           min_shift: int, block: int, decorrelation: Mapping[str, int],
                           bin_width: float | None, seconds: float = 0.0,
                           cells: Sequence[dict[str, Any]] = ()) -> SignificanceResult:
    """p-value and null summary from a member table (the pure second half of :func:`significance`)."""
    rows = tuple(sorted(members, key=lambda m: m.index))
    if len({m.index for m in rows}) != len(rows):
        raise NeuralMIError("the member table holds a member twice; each cell may appear once (were the same parts "
                            "given twice?).")
    obs = [m.mi_test_nats for m in rows if m.index == 0]
    null = np.array([m.mi_test_nats for m in rows if m.index > 0], dtype=float)
    finite = null[np.isfinite(null)]
    observed = obs[0] if obs else float("nan")
    warnings = []
    if finite.size < null.size:
        warnings.append(warning_text("diverged_surrogates", n=null.size - finite.size))
    if len(rows) < 1 + n_surrogates:
        warnings.append(warning_text("partial_significance", n_members=len(rows), expected=1 + n_surrogates))
    if method == "iid":
        warnings.append(warning_text("iid_surrogates"))
    p = (1 + int(np.sum(finite >= observed))) / (1 + finite.size) if obs and finite.size else float("nan")
    quant = {f"{q:g}": float(np.quantile(finite, q)) if finite.size else float("nan") for q in QUANTILES}
    return SignificanceResult(
        observed_mi_nats=float(observed), p_value=float(p), significant=bool(math.isfinite(p) and p <= alpha),
        alpha=alpha, method=method, n_surrogates=int(finite.size), null_nats=tuple(float(v) for v in null),
        null_mean_nats=float(finite.mean()) if finite.size else float("nan"),
        null_sd_nats=float(finite.std(ddof=1)) if finite.size > 1 else float("nan"), null_quantiles_nats=quant,
        min_shift_bins=int(min_shift), block_length_bins=int(block), decorrelation_bins=dict(decorrelation),
        bin_width_s=bin_width, members=rows, settings=dict(settings), data=dict(data), seconds=seconds,
        cells=tuple(sorted(cells, key=lambda c: c["block"])), warnings=tuple(warnings))
