"""Result types of transfer entropy and conditional MI (all values in nats)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from ...results import _jsonable

NO_EVIDENCE = ("a negative value whose CI contains 0 means 'no evidence of information', not an error: the "
               "chain-rule difference of two estimates scatters around 0 when there is none")


@dataclass
class ConditionalMIResult:
    """I(X; Y | Z) = I(XZ; Y) - I(Z; Y), the per-member paired difference extrapolated in 1/N.

    ``members`` rows, one per trained member of a term: gamma, chunk, seed, term (0: I(Z; Y), 1: I(XZ; Y)),
    sizes, training-subset and held-out MI and their average ``mi_nats`` (the value paired); ``pairs``
    rows: gamma, chunk, seed, term, mi_full_nats, mi_reduced_nats, diff_nats, diff_train_nats, diff_test_nats
    (the differences of the average, training-subset and held-out MI). ``mi_full_nats`` and
    ``mi_reduced_nats`` are the 1/N-extrapolated I(XZ; Y) and I(Z; Y).
    """

    mi_nats: float
    ci_low_nats: float
    ci_high_nats: float
    confidence: float
    mi_full_nats: float
    mi_reduced_nats: float
    members: list[dict[str, Any]] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    kind: str = "conditional_mi"
    pairs: list[dict[str, Any]] = field(default_factory=list)
    cells: list[dict[str, Any]] = field(default_factory=list)
    fit_settings: dict[str, Any] = field(default_factory=dict)

    @property
    def mi_bits(self) -> float:
        return self.mi_nats / math.log(2)

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(dataclasses.asdict(self))

    def plot(self, ax: Any = None, unit: str = "nats") -> Any:
        """I(Z; Y), I(XZ; Y) and I(X; Y | Z) (with its CI) side by side."""
        from .plot import plot_conditional

        return plot_conditional(self, ax, unit)

    def summary_line(self) -> str:
        """One line for the command line."""
        return (f"I(X;Y|Z) = {self.mi_nats:.4f} nats [{self.ci_low_nats:.4f}, {self.ci_high_nats:.4f}] "
                f"({self.confidence:.0%} CI); I(XZ;Y) {self.mi_full_nats:.4f}, I(Z;Y) {self.mi_reduced_nats:.4f}")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ConditionalMIResult:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


@dataclass
class TransferEntropyResult:
    """TE(X -> Y) = I(X_past; Y_future | Y_past[, Z_past]) per delay; the headline is at the peak delay.

    ``delays``: interaction delays u (bins): the newest source bin is u bins before the predicted target
    bin. ``te_nats``/``ci_low``/``ci_high`` are per delay; ``mi_nats``/``ci_*_nats`` the value at
    ``peak_delay``. ``peak_delay_range``: the delays whose CI overlaps the peak's CI (the delays not told
    apart from the peak). With ``bidirectional``, ``reverse`` holds TE(Y -> X) on the same cells and
    ``difference_nats`` (+CI) the paired TE(X->Y) - TE(Y->X) at the peak delay of X -> Y.
    """

    mi_nats: float
    ci_low_nats: float
    ci_high_nats: float
    confidence: float
    peak_delay: int
    peak_delay_range: list[int]
    delays: list[int]
    te_nats: list[float]
    ci_low: list[float]
    ci_high: list[float]
    reverse: dict[str, Any] | None = None
    difference_nats: float | None = None
    difference_ci_low_nats: float | None = None
    difference_ci_high_nats: float | None = None
    members: list[dict[str, Any]] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    kind: str = "transfer_entropy"
    pairs: list[dict[str, Any]] = field(default_factory=list)
    cells: list[dict[str, Any]] = field(default_factory=list)
    fit_settings: dict[str, Any] = field(default_factory=dict)

    @property
    def mi_bits(self) -> float:
        return self.mi_nats / math.log(2)

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(dataclasses.asdict(self))

    def plot(self, ax: Any = None, unit: str = "nats") -> Any:
        """TE against delay (both directions when bidirectional), CI bands, the peak delay marked."""
        from .plot import plot_transfer

        return plot_transfer(self, ax, unit)

    def summary_line(self) -> str:
        """One line for the command line."""
        line = (f"TE(X->Y) = {self.mi_nats:.4f} nats [{self.ci_low_nats:.4f}, {self.ci_high_nats:.4f}] "
                f"({self.confidence:.0%} CI) at delay {self.peak_delay} bins (range {self.peak_delay_range})")
        if self.difference_nats is not None:
            line += (f"; TE(X->Y) - TE(Y->X) = {self.difference_nats:.4f} [{self.difference_ci_low_nats:.4f}, "
                     f"{self.difference_ci_high_nats:.4f}]")
        return line

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TransferEntropyResult:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})
