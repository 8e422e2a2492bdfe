"""Result objects shared by every estimator and analysis (bottom of the import graph).

Results are frozen dataclasses that state their unit in field names (``mi_nats``; ``mi_bits`` derived),
their sample sizes, split, seed and estimator. ``to_dict()`` gives a JSON-ready mapping: the CLI's JSON
output is exactly that mapping.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

NATS_PER_BIT = math.log(2.0)
#: An InfoNCE estimate within 10 % of its ceiling log(n_eval) is capped by the bound, not by the data.
CEILING_FRACTION = 0.9


def nats_to_bits(value: float) -> float:
    """Convert nats to bits (``value / ln 2``); NaN stays NaN."""
    return float(value) / NATS_PER_BIT


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _jsonable(v) for k, v in value.to_dict().items()} if hasattr(value, "to_dict") else {
            f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)
        }
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else value
    return value


class Member:
    """JSON round trip of a frozen dataclass of plain fields (one row of an analysis's member table).

    ``to_dict`` gives JSON-ready values; ``from_dict`` reads them back: ``*_nats`` fields read null as NaN,
    tuple fields read lists as tuples, and keys :attr:`RENAMED` lists (old name -> field) are accepted.
    """

    RENAMED: dict[str, str] = {}

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls, d: dict[str, Any]):  # noqa: ANN206 (the subclass)
        d = {**{new: d[old] for old, new in cls.RENAMED.items() if old in d}, **d}
        kw = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.name not in d:
                if f.default is dataclasses.MISSING:
                    raise KeyError(f"member field {f.name!r} is missing")
                continue
            v = d[f.name]
            if f.name.endswith("_nats"):
                v = float("nan") if v is None else float(v)
            elif isinstance(v, list):
                v = tuple(v)
            kw[f.name] = v
        return cls(**kw)


@dataclass(frozen=True)
class MemberRecord:
    """One trained ensemble member: its held-out and training MI at the chosen checkpoint.

    ``mi_test_nats`` is the smoothed held-out MI at the best checkpoint (the number an estimate reports);
    ``mi_train_nats`` is the smoothed MI on a fixed training subsample at that same checkpoint;
    ``mi_test_raw_nats`` is the held-out MI of the network state that is kept (the end of the best
    smoothing window), so re-evaluating the returned objective reproduces it.
    ``curve_test_nats`` / ``curve_train_nats`` are the raw per-evaluation curves (subsampled to at most
    ``max_curve_points`` points for storage) and ``curve_epochs`` the epoch of each point.
    """

    member: int
    n_train: int
    n_test: int
    n_eval: int
    mi_test_nats: float
    mi_train_nats: float
    mi_test_raw_nats: float
    best_epoch: int
    epochs_run: int
    stopped_early: bool
    curve_epochs: tuple[int, ...] = ()
    curve_test_nats: tuple[float, ...] = ()
    curve_train_nats: tuple[float, ...] = ()
    info: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}


@dataclass(frozen=True)
class MIResult:
    """A mutual-information estimate with everything needed to judge it.

    Attributes
    ----------
    mi_nats : float
        The estimate in nats (mean over seeds when ``n_seeds > 1``), on held-out data for neural estimators.
    mi_std_nats : float
        Standard deviation over seeds (NaN with one seed).
    mi_train_nats : float
        The same critic's MI on training data at the chosen checkpoint (overfitting shows as
        ``mi_train_nats >> mi_nats``).
    estimator, critic : str
        Estimator name (``infonce``, ``smile``, ``ksg``, ...) and critic (None for non-neural estimators).
    n_train, n_test, n_eval : int
        Training and held-out sample counts, and the number of held-out samples the final estimate was
        computed on (InfoNCE's ceiling is ``log(n_eval)``).
    near_ceiling : bool
        InfoNCE only: the estimate is within 10 % of ``ceiling_nats = log(n_eval)``; a larger evaluation
        set or another estimator is needed.
    """

    mi_nats: float
    estimator: str
    critic: str | None
    n_train: int
    n_test: int
    n_eval: int
    seed: int
    seconds: float
    mi_std_nats: float = float("nan")
    mi_train_nats: float = float("nan")
    n_seeds: int = 1
    split: str | None = None
    device: str = "cpu"
    ceiling_nats: float | None = None
    near_ceiling: bool = False
    history: dict[str, Any] = field(default_factory=dict, compare=False)
    params: dict[str, Any] = field(default_factory=dict, compare=False)
    members: tuple[MemberRecord, ...] = field(default=(), compare=False)
    warnings: tuple[str, ...] = ()

    @property
    def mi_bits(self) -> float:
        return nats_to_bits(self.mi_nats)

    @property
    def mi_std_bits(self) -> float:
        return nats_to_bits(self.mi_std_nats)

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}
        out["mi_bits"] = _jsonable(self.mi_bits)
        out["mi_std_bits"] = _jsonable(self.mi_std_bits)
        out["unit_note"] = "mi_nats in nats (natural log); mi_bits = mi_nats / ln 2"
        return out

    def summary_line(self) -> str:
        """One line for the command line: the estimate in nats and bits."""
        return f"{self.mi_nats:.4f} nats ({self.mi_bits:.4f} bits) [{self.estimator}]"

    def __repr__(self) -> str:  # short, human-first
        sd = "" if math.isnan(self.mi_std_nats) else f" ± {self.mi_std_nats:.3f}"
        return (
            f"MIResult({self.estimator}/{self.critic}: {self.mi_nats:.4f}{sd} nats = {self.mi_bits:.4f} bits, "
            f"n_train={self.n_train}, n_test={self.n_test}, seed={self.seed})"
        )


def infonce_ceiling_nats(n_eval: int) -> float:
    """InfoNCE's ceiling on ``n_eval`` held-out samples: ``log(n_eval)`` (the bound cannot exceed it)."""
    return math.log(max(int(n_eval), 2))


def near_ceiling(mi_nats: float, ceiling_nats: float | None) -> bool:
    """The one rule for "near its ceiling": ``mi >= CEILING_FRACTION * ceiling`` (False without a ceiling)."""
    if ceiling_nats is None or not math.isfinite(ceiling_nats) or not math.isfinite(mi_nats):
        return False
    return mi_nats >= CEILING_FRACTION * ceiling_nats


#: InfoNCE on K samples loses about E log(1 + (r - 1) / K) to the bound itself (r the density ratio; the
#: oracle critic loses 6 % at 5 nats with K = 1000, 22 % with K = 100: benchmarks/DIAGNOSIS.md section 3).
#: A single estimate is flagged from e^MI >= 0.05 K (a loss of several percent, which training cannot
#: recover); rigorous mode from e^MI >= 0.2 K at its smallest members, where the loss is curved in 1/K
#: and the 1/N extrapolation cannot remove it. 0.2 (log 5) was chosen on the whole accuracy suite
#: (benchmarks/DIAGNOSIS.md section 15): the rows that miss for this reason sit at e^MI >= 0.29 K
#: (the 5-nat Gaussian, 3.5-7 % low at N = 20000 and 5000); head-direction and mixed-selectivity
#: populations at 0.11-0.16 K were within 0-5 % and covered (the oracle's curvature at 0.15 K is
#: under 0.5 %), and 0.1 flagged them: 5 of the 18 flags on covered rows.
K_BIAS_RATIO = {"estimate": 0.05, "rigorous": 0.2}


def infonce_k_biased(mi_nats: float, n_eval: int, mode: str = "rigorous") -> bool:
    """True when InfoNCE on ``n_eval`` samples is biased low by the bound itself: ``e^mi >= ratio * n_eval``.

    >>> infonce_k_biased(5.5, 1000), infonce_k_biased(1.0, 100), infonce_k_biased(2.4, 100)
    (True, False, False)
    >>> infonce_k_biased(4.5, 1000), infonce_k_biased(4.5, 1000, "estimate")
    (False, True)
    """
    if not math.isfinite(mi_nats) or n_eval < 2:
        return False
    return mi_nats >= math.log(K_BIAS_RATIO[mode] * n_eval)


def member_mi(member: Any, kind: str) -> float:
    """The member MI that ``extrapolate=kind`` regresses (a RigorousMember or its dict), in nats."""
    get = member.get if isinstance(member, dict) else lambda k: getattr(member, k)

    def value(k: str) -> float:
        v = get(k)
        return float("nan") if v is None else float(v)

    if kind == "average":
        return 0.5 * (value("mi_train_nats") + value("mi_test_nats"))
    return value(f"mi_{kind}_nats")
