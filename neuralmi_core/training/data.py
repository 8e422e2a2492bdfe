"""Per-member data for an ensemble: moved to the device once, preprocessed there (z-score, copula or none), padded."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..settings.declared import PREPROCESS
from ..validation import NeuralMIError


@dataclass(frozen=True)
class MemberData:
    """One member's training and held-out samples (numpy, samples on axis 0)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


@dataclass
class EnsembleData:
    """Padded tensors for K members (see :func:`make_ensemble_data`)."""

    x_train: torch.Tensor  # (K, n_max, dx)
    y_train: torch.Tensor  # (K, n_max, dy)
    n_train: np.ndarray  # (K,)
    n_test: np.ndarray  # (K,)
    x_eval: torch.Tensor  # (K, n_eval, dx) fixed held-out evaluation sample
    y_eval: torch.Tensor  # (K, n_eval, dy)
    x_train_eval: torch.Tensor  # (K, n_eval, dx) fixed training subsample (train MI)
    y_train_eval: torch.Tensor  # (K, n_eval, dy)
    timing: dict = field(default_factory=dict)  # seconds spent building it (see make_ensemble_data)
    #: (K,) or None: member i is a replica of member tie[i] (its evaluation rows, network initialisation and batch
    #: order are that member's; see make_ensemble_data)
    tie: np.ndarray | None = None

    @property
    def n_members(self) -> int:
        return int(self.x_train.shape[0])

    @property
    def n_eval(self) -> int:
        return int(self.x_eval.shape[1])

    def to(self, device: torch.device) -> EnsembleData:
        for name in ("x_train", "y_train", "x_eval", "y_eval", "x_train_eval", "y_train_eval"):
            setattr(self, name, getattr(self, name).to(device))
        return self




def _ndtri(p: torch.Tensor) -> torch.Tensor:
    """Standard-normal quantile. On the CPU through SciPy (the numbers of earlier releases, bit for bit);
    elsewhere ``torch.special.ndtri`` on the device (equal to within 1 ulp; tests check both on CPU)."""
    if p.device.type == "cpu":
        from scipy.special import ndtri

        return torch.from_numpy(ndtri(p.numpy()))
    return torch.special.ndtri(p)


def _standardise_t(train: torch.Tensor, *others: torch.Tensor, host: bool | None = None) -> list[torch.Tensor]:
    """z-score with the training mean and std; ``host`` (default: on the CPU) takes them from NumPy, the
    numbers of earlier releases bit for bit, else from torch's reductions on the device."""
    if train.device.type == "cpu" if host is None else host:
        a = train.numpy()
        mean, std = torch.from_numpy(a.mean(axis=0)), torch.from_numpy(a.std(axis=0))
    else:
        mean, std = train.mean(0), train.std(0, correction=0)
    std = torch.where(std > 1e-12, std, torch.ones_like(std))
    return [(a - mean) / std for a in (train, *others)]


def _copula_np(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """The copula transform on the host (NumPy): one sort per feature, tie groups and searches vectorised."""
    from scipy.special import ndtri

    n = train.shape[0]
    tr = np.ascontiguousarray(train.T)  # (d, n)
    order = np.argsort(tr, axis=1, kind="stable")
    srt = np.take_along_axis(tr, order, axis=1)  # (d, n) ascending per feature
    pos = np.arange(n)
    starts = np.ones(srt.shape, dtype=bool)
    starts[:, 1:] = srt[:, 1:] != srt[:, :-1]  # first of a run of equal values
    ends = np.ones(srt.shape, dtype=bool)
    ends[:, :-1] = starts[:, 1:]  # last of a run
    lt = np.maximum.accumulate(np.where(starts, pos, 0), axis=1)  # (d, n) values < srt
    le = np.minimum.accumulate(np.where(ends, pos + 1, n)[:, ::-1], axis=1)[:, ::-1]  # values <= srt
    cdf_s = (lt + le) / (2 * n)  # mid-rank CDF of every sorted training value
    outs = []
    for a in (train, *others):
        if a is train:
            cdf = np.empty_like(cdf_s)
            np.put_along_axis(cdf, order, cdf_s, axis=1)  # training values sit exactly on their CDF
        else:
            cdf = np.stack([np.interp(v, s, c) for v, s, c in zip(np.asarray(a, np.float64).T, srt, cdf_s,
                                                                    strict=True)])
        outs.append(ndtri(cdf).T)
    return outs


def _copula_t(train: torch.Tensor, *others: torch.Tensor, device_ndtri: bool = False) -> list[torch.Tensor]:
    """Per-feature rank -> standard-normal transform fitted on ``train`` (Gaussian copula), all features at once.

    Each feature goes through its training empirical CDF (mid-ranks: a training value v maps to
    (#{< v} + #{<= v}) / 2n, so ties share a value; linear interpolation between neighbouring distinct
    training values, clamped outside their range, exactly as ``np.interp``) and then the normal quantile
    function. The map is increasing per feature, so it preserves MI while taming heavy tails and skewed
    marginals. Sorting and binary searches run batched over features (on the data's device).
    """
    n = train.shape[0]
    srt = train.T.contiguous().sort(dim=1).values  # (d, n) each feature's training values, ascending
    # mid-rank CDF of every sorted training value: (#{< v} + #{<= v}) / 2n
    cdf_s = (torch.searchsorted(srt, srt) + torch.searchsorted(srt, srt, right=True)).to(srt.dtype) / (2 * n)
    outs = []
    for a in (train, *others):
        v = a.T.contiguous()  # (d, m)
        le = torch.searchsorted(srt, v, right=True)  # (d, m) training values <= v
        lt = torch.searchsorted(srt, v)  # (d, m) training values < v
        mid = (lt + le).to(v.dtype) / (2 * n)  # v's own mid-rank CDF (used when v is a training value)
        hi = le.clamp(1, n - 1)  # otherwise srt[hi - 1] < v < srt[hi] (inside the range)
        xa, xb = srt.gather(1, hi - 1), srt.gather(1, hi)
        ca, cb = cdf_s.gather(1, hi - 1), cdf_s.gather(1, hi)
        inner = (cb - ca) / (xb - xa) * (v - xa) + ca  # np.interp's slope * (x - x_j) + f_j
        cdf = torch.where(lt < le, mid, inner)
        cdf = torch.where(le == 0, cdf_s[:, :1].expand_as(cdf), cdf)  # below the range: the smallest's CDF
        cdf = torch.where(lt == n, cdf_s[:, -1:].expand_as(cdf), cdf)  # above: the largest's
        q = torch.special.ndtri(cdf) if device_ndtri else _ndtri(cdf)
        outs.append(q.T)  # (m, d); a constant feature maps to 0 (ndtri(0.5))
    return outs


def preprocess_tensors(kind: str, train: torch.Tensor, *others: torch.Tensor) -> list[torch.Tensor]:
    """Fit a per-feature transform on ``train`` (n, d) and apply it to ``train`` and ``others`` (torch, any device)."""
    if kind == "zscore":
        return _standardise_t(train, *others)
    if kind == "copula":
        if train.device.type == "cpu":  # NumPy is faster than torch's CPU sort and searchsorted here
            return [torch.from_numpy(o) for o in _copula_np(train.numpy(), *(o.numpy() for o in others))]
        return _copula_t(train, *others)
    if kind == "none":
        return [train, *others]
    raise NeuralMIError(f"`preprocess` must be one of {', '.join(map(repr, PREPROCESS))}. Got {kind!r}.")


def preprocess(kind: str, train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """Fit a per-feature transform on ``train`` and apply it to ``train`` and ``others`` (numpy in, numpy out)."""
    tensors = [torch.as_tensor(np.asarray(a, dtype=np.float64)) for a in (train, *others)]
    return [t.numpy() for t in preprocess_tensors(kind, *tensors)]


def make_ensemble_data(
    members: list[MemberData], eval_size: int = 2048, seed: int = 0, preprocessing: str | tuple[str, str] = "zscore",
    dtype: torch.dtype = torch.float32, device: torch.device | str | None = None, tie: Any = None,
) -> EnsembleData:
    """Stack K members into padded tensors on ``device`` (default: the CPU).

    Each member's features are transformed with statistics of its own training set: ``zscore``
    (default), ``copula`` (rank -> normal, MI-preserving, robust to heavy tails) or ``none``; a pair
    ``(for_x, for_y)`` transforms the two sides differently (count critics read raw counts). The raw
    samples go to the device once, in float64, and are transformed there. The
    evaluation sample is a fixed, seeded subsample of each member's held-out set of size ``n_eval =
    min(eval_size, smallest n_test)`` (shared so that all members are scored on equally sized matrices); a fixed
    training subsample of the same size gives the training MI. ``timing`` records ``transfer_s`` (host to
    device) and ``preprocess_s`` (the transform and stacking).

    ``tie`` (one index per member, ``tie[i] <= i``, ``tie[b] == b`` for a base member) makes member i a replica of
    member ``tie[i]`` in everything random: it takes that member's evaluation rows (when their sizes agree), and
    the trainer and the objective's construction give it that member's batch order and initial weights. Only the
    base members draw, in order, so each replica trains as its base would alone on its own data: several data
    sets trained as one ensemble get the numbers of separate ensembles (the surrogate test of transfer entropy).
    """
    import time

    if not members:
        raise NeuralMIError("an ensemble needs at least one member; got none.")
    pre_x, pre_y = (preprocessing, preprocessing) if isinstance(preprocessing, str) else preprocessing
    for kind in (pre_x, pre_y):
        if kind not in PREPROCESS:
            raise NeuralMIError(f"`preprocess` must be one of {', '.join(map(repr, PREPROCESS))}. Got {kind!r}.")
    dev = torch.device("cpu") if device is None else torch.device(device)
    dx, dy = members[0].x_train.shape[1], members[0].y_train.shape[1]
    for i, m in enumerate(members):
        if m.x_train.shape[1] != dx or m.y_train.shape[1] != dy:
            raise NeuralMIError(
                f"ensemble member {i} has feature dims ({m.x_train.shape[1]}, {m.y_train.shape[1]}); "
                f"all members must share ({dx}, {dy})."
            )
    rng = np.random.default_rng(seed)
    n_train = np.array([m.x_train.shape[0] for m in members])
    n_test = np.array([m.x_test.shape[0] for m in members])
    n_eval = int(min(eval_size, n_test.min(), n_train.min()))
    if n_eval < 2:
        raise NeuralMIError(
            f"too few samples for evaluation: smallest member has {n_test.min()} test and {n_train.min()} "
            f"training samples; expected at least 2 of each."
        )
    k, n_max = len(members), int(n_train.max())
    xtr = torch.zeros((k, n_max, dx), dtype=dtype, device=dev)
    ytr = torch.zeros((k, n_max, dy), dtype=dtype, device=dev)
    xev, yev, xtev, ytev = (torch.zeros((k, n_eval, d), dtype=dtype, device=dev) for d in (dx, dy, dx, dy))
    timing = {"transfer_s": 0.0, "preprocess_s": 0.0}
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda *a: None)
    cache: dict[int, tuple] = {}  # members given more than once (seed replicates) are transformed once
    tie = check_tie(tie, k)
    drawn: dict[int, tuple] = {}
    for i, m in enumerate(members):
        t0 = time.perf_counter()
        if id(m) not in cache:
            raw = [torch.as_tensor(np.asarray(a, dtype=np.float64)).to(dev)
                   for a in (m.x_train, m.x_test, m.y_train, m.y_test)]
            sync()
            t1 = time.perf_counter()
            timing["transfer_s"] += t1 - t0
            t0 = t1
            x_tr, x_te = preprocess_tensors(pre_x, raw[0], raw[1])
            y_tr, y_te = preprocess_tensors(pre_y, raw[2], raw[3])
            cache[id(m)] = (x_tr, x_te, y_tr, y_te)
        x_tr, x_te, y_tr, y_te = cache[id(m)]
        xtr[i, : n_train[i]], ytr[i, : n_train[i]] = x_tr, y_tr
        b = i if tie is None else int(tie[i])
        if b != i and b in drawn and (n_test[b], n_train[b]) == (n_test[i], n_train[i]):
            te, tr = drawn[b]
        else:
            te = torch.as_tensor(np.sort(rng.choice(n_test[i], n_eval, replace=False)), device=dev)
            tr = torch.as_tensor(np.sort(rng.choice(n_train[i], n_eval, replace=False)), device=dev)
            drawn[i] = te, tr
        xev[i], yev[i] = x_te[te], y_te[te]
        xtev[i], ytev[i] = x_tr[tr], y_tr[tr]
        sync()
        timing["preprocess_s"] += time.perf_counter() - t0
    return EnsembleData(xtr, ytr, n_train, n_test, xev, yev, xtev, ytev, timing=timing, tie=tie)


def check_tie(tie: Any, k: int) -> np.ndarray | None:
    """``tie`` as an int array of K indices with ``tie[i] <= i`` and ``tie[tie[i]] == tie[i]`` (None stays None)."""
    if tie is None:
        return None
    t = np.asarray(tie, dtype=np.int64)
    if t.shape != (k,) or np.any(t < 0) or np.any(t > np.arange(k)) or np.any(t[t] != t):
        raise NeuralMIError(f"`tie` must give each of the {k} members the index of an earlier (or its own) base "
                            f"member that is its own base; got {tie!r}.")
    return t


def tie_rows(tie: np.ndarray) -> tuple[int, np.ndarray]:
    """(number of base members, each member's row among the base members in order)."""
    bases = np.flatnonzero(tie == np.arange(len(tie)))
    rank = np.full(len(tie), -1)
    rank[bases] = np.arange(len(bases))
    return len(bases), rank[tie]


def split_member(x: np.ndarray, y: np.ndarray, split: str = "blocked", test_fraction: float = 0.2,
                 gap: int = 10, seed: int = 0, n_blocks: int = 5) -> MemberData:
    """One member from paired samples split by :func:`~neuralmi_core.training.split.train_test_split`."""
    from .split import train_test_split

    train, test = train_test_split(x.shape[0], split, test_fraction, n_blocks=n_blocks, gap=gap, seed=seed)
    return MemberData(x[train], y[train], x[test], y[test])
