"""Transfer entropy and conditional MI as paired chain-rule differences, bias-corrected in 1/N.

Both terms of each difference (``I(XZ; Y)`` and ``I(Z; Y)``; for TE ``I(X_past Y_past; Y_future)`` and
``I(Y_past; Y_future)``) are trained on the same contiguous chunk, the same train/test split and the same
network seed (a paired member); the per-member *difference* is extrapolated to gamma = 0 with
:func:`~neuralmi_core.analysis.extrapolation.fit_extrapolation`, so the CI comes from the paired spread.
Time windows are built inside each chunk and never contain a non-finite bin (rows with NaN are dropped bins).
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np

from ...validation import NeuralMIError, as_2d_samples, check_int, check_paired
from ..base import seeds_of
from ..extrapolation import fit_extrapolation
from ..plan import chunk_indices, derive_seed
from .result import ConditionalMIResult, TransferEntropyResult


def _check(estimator: str, critic: str, settings: dict[str, Any]) -> dict[str, Any]:
    from ..rigorous.declaration import ANALYSIS as RIGOROUS

    return RIGOROUS.check({"estimator": estimator, "critic": critic, **settings}, has_y=True)


def _train_pairs(blocks: list[list[tuple[np.ndarray, np.ndarray]]], gamma: int, seed: int, values: dict[str, Any],
                 spec: Any, cfg: Any) -> list[list[float]]:
    """Train each term (``blocks[term][chunk] = (a, b)``) on the chunks of one (gamma, seed) cell.

    Every term of a chunk uses the same split seed and the same network seed: paired members. Returns
    ``mi[term][chunk]``, the average of the training-subset and held-out MI at the best checkpoint.
    """
    from ...estimators import fit_ensemble
    from ...training import split_member
    from ...training.trainer import for_full_data

    out = []
    for term in blocks:
        members = [split_member(a, b, values["split"], values["test_fraction"], gap=values["gap"],
                                seed=derive_seed(seed, gamma, c)) for c, (a, b) in enumerate(term)]
        n_full = sum(a.shape[0] for a, _ in term)
        run = for_full_data(dataclasses.replace(cfg, seed=derive_seed(seed, gamma)),
                            round(n_full * (1 - values["test_fraction"])))
        fit = fit_ensemble(members, spec, run, desc=f"gamma={gamma} seed={seed}", preprocessing=values["preprocess"])
        out.append([0.5 * (m.mi_train_nats + m.mi_test_nats) for m in fit.members])
    return out


def _fit(gammas: list[int], diffs: list[float], values: dict[str, Any]) -> tuple[float, float, float, list[str]]:
    fit = fit_extrapolation(np.asarray(gammas), np.asarray(diffs), confidence=values["confidence"],
                            delta=values["delta"], min_gammas=values["min_gammas"])
    return fit.intercept_nats, fit.ci_low_nats, fit.ci_high_nats, list(fit.flags)


def conditional_mi(x: Any, y: Any, z: Any, estimator: str = "infonce", critic: str = "separable",
                   **settings: Any) -> ConditionalMIResult:
    """I(X; Y | Z) = I(XZ; Y) - I(Z; Y) in nats, with a 1/N-extrapolated paired CI.

    Settings are those of :func:`neuralmi_core.rigorous` (``gammas``, ``seeds``, ``split``, ``confidence``,
    training settings). Both terms are trained on the same chunks, splits and seeds and their per-member
    difference is extrapolated. A negative value whose CI contains 0 means "no evidence", not an error.
    """
    t0 = time.perf_counter()
    from ...estimators.neural import setup_training

    values = _check(estimator, critic, settings)
    xa, ya, za = as_2d_samples("x", x), as_2d_samples("y", y), as_2d_samples("z", z)
    check_paired(xa, ya)
    check_paired(za, ya)
    spec, cfg, record = setup_training(values)
    chunking = "contiguous" if values["split"] == "blocked" else "random"
    xz = np.concatenate([xa, za], axis=1)
    rows, gam, diffs = [], [], []
    for g in values["gammas"]:
        for s in seeds_of(values):
            idx = chunk_indices(xa.shape[0], g, chunking, s)
            full, reduced = _train_pairs([[(xz[i], ya[i]) for i in idx], [(za[i], ya[i]) for i in idx]], g, s,
                                         values, spec, cfg)
            for c, (f, r) in enumerate(zip(full, reduced, strict=True)):
                rows.append({"gamma": g, "chunk": c, "seed": s, "mi_full_nats": f, "mi_reduced_nats": r,
                             "diff_nats": f - r})
                gam.append(g)
                diffs.append(f - r)
    mi, lo, hi, flags = _fit(gam, diffs, values)
    full_i = _fit(gam, [r["mi_full_nats"] for r in rows], values)[0]
    red_i = _fit(gam, [r["mi_reduced_nats"] for r in rows], values)[0]
    warn = []
    if np.isfinite(mi) and mi < 0 and lo <= 0 <= hi:
        warn.append("negative I(X;Y|Z) inside a CI containing 0: no evidence of conditional dependence")
    return ConditionalMIResult(mi, lo, hi, values["confidence"], full_i, red_i, rows, flags, warn, record,
                               {"n_samples": xa.shape[0], "dim_x": xa.shape[1], "dim_y": ya.shape[1],
                                "dim_z": za.shape[1]}, time.perf_counter() - t0)


def _parse_delays(delays: Any) -> list[int]:
    if isinstance(delays, str):
        out: list[int] = []
        for part in delays.split(","):
            a, _, b = part.strip().partition("-")
            out.extend(range(int(a), int(b or a) + 1))
        delays = out
    if isinstance(delays, int):
        delays = [delays]
    delays = sorted({check_int("delay", d, 1) for d in delays})
    if not delays:
        raise NeuralMIError("delays: expected at least one delay >= 1 bin, e.g. '1-10'")
    return delays


def build_windows(x: np.ndarray, y: np.ndarray, z: np.ndarray | None, *, k_source: int, k_target: int,
                  horizon: int, delays: list[int]) -> tuple[dict[int, np.ndarray], np.ndarray, np.ndarray]:
    """Windows of one contiguous segment: ``(source_past per delay, conditioning past, target future)``.

    For present bin t: target future ``y[t + horizon]``, target past ``y[t-k_target+1 .. t]`` (plus
    ``z`` over the same bins), source past for delay u the ``k_source`` bins ending at ``t + horizon - u``.
    Every delay uses the same set of t; a t whose window touches a non-finite bin is dropped.
    """
    n = x.shape[0]
    lo = max(k_target - 1, max(delays) - horizon + k_source - 1, 0)
    lo = max(lo, max(0, -(min(delays) - horizon)))  # source bins after t (u < horizon) still before future
    ts = np.arange(lo, n - horizon)
    if ts.size == 0:
        return {u: np.empty((0, k_source * x.shape[1])) for u in delays}, np.empty((0, 0)), np.empty((0, y.shape[1]))
    finite = np.isfinite(x).all(1) & np.isfinite(y).all(1) & (np.isfinite(z).all(1) if z is not None else True)
    ok = finite[ts + horizon].copy()
    for j in range(k_target):
        ok &= finite[ts - j]
    for u in delays:
        for j in range(k_source):
            ok &= finite[ts + horizon - u - j]
    ts = ts[ok]
    cond = [y[ts - j] for j in range(k_target)] + ([z[ts - j] for j in range(k_target)] if z is not None else [])
    src = {u: np.concatenate([x[ts + horizon - u - j] for j in range(k_source)], axis=1) for u in delays}
    return src, np.concatenate(cond, axis=1), y[ts + horizon]


def _te_direction(x, y, z, delays, values, spec, cfg, k_source, k_target, horizon):
    chunking = "contiguous"
    rows = []
    for g in values["gammas"]:
        for s in seeds_of(values):
            wins = [build_windows(x[i], y[i], None if z is None else z[i], k_source=k_source, k_target=k_target,
                                  horizon=horizon, delays=delays) for i in chunk_indices(x.shape[0], g, chunking, s)]
            if min(w[2].shape[0] for w in wins) < 20:
                raise NeuralMIError(f"transfer_entropy: gamma={g} leaves a chunk with under 20 windows; expected "
                                    "longer data, fewer gammas or shorter histories")
            blocks = [[(w[1], w[2]) for w in wins]]
            blocks += [[(np.concatenate([w[0][u], w[1]], axis=1), w[2]) for w in wins] for u in delays]
            mi = _train_pairs(blocks, g, s, values, spec, cfg)
            for c in range(len(wins)):
                for d, u in enumerate(delays):
                    rows.append({"gamma": g, "chunk": c, "seed": s, "delay": u, "mi_full_nats": mi[d + 1][c],
                                 "mi_reduced_nats": mi[0][c], "diff_nats": mi[d + 1][c] - mi[0][c]})
    return rows


def _curve(rows, delays, values):
    te, lo, hi, flags = [], [], [], set()
    for u in delays:
        r = [m for m in rows if m["delay"] == u]
        a, b, c, f = _fit([m["gamma"] for m in r], [m["diff_nats"] for m in r], values)
        te.append(a)
        lo.append(b)
        hi.append(c)
        flags.update(f)
    return te, lo, hi, sorted(flags)


def transfer_entropy(x: Any, y: Any, z: Any = None, *, delays: Any = "1-5", k_source: int = 1, k_target: int = 1,
                     horizon: int = 1, bidirectional: bool = False, estimator: str = "infonce",
                     critic: str = "separable", **settings: Any) -> TransferEntropyResult:
    """TE(X -> Y) = I(X_past; Y_future | Y_past[, Z_past]) in nats per delay, with paired 1/N-extrapolated CIs.

    ``x``, ``y`` (and ``z``): time series, shape (n_bins, channels), on the same bins; rows with NaN are
    dropped bins and no window crosses one. ``delays``: interaction delays u in bins (``"1-10"``, a list or
    an int): the source past is the ``k_source`` bins ending u bins before the predicted bin
    ``y[t + horizon]``; the target past is ``y[t-k_target+1 .. t]`` (and ``z`` on the same bins when given,
    to separate a direct link from a common drive). The data are split into gamma contiguous chunks per
    ``gammas`` and ``seeds`` (settings of :func:`neuralmi_core.rigorous`; ``split`` must be ``blocked``);
    windows are built inside each chunk; the full and reduced estimates of a chunk share split and seed,
    and their difference is extrapolated in 1/N. The headline is the peak delay's TE and CI;
    ``peak_delay_range`` lists delays whose CI overlaps the peak's. ``bidirectional=True`` adds TE(Y -> X)
    and the paired difference TE(X->Y) - TE(Y->X) at the peak delay.

    A negative TE whose CI contains 0 means "no evidence of transfer", not an error.
    """
    t0 = time.perf_counter()
    from ...estimators.neural import setup_training

    settings.setdefault("split", "blocked")
    values = _check(estimator, critic, settings)
    if values["split"] != "blocked":
        raise NeuralMIError("transfer_entropy: split must be 'blocked' (time series), got " + repr(values["split"]))
    xa, ya = as_2d_samples("x", x), as_2d_samples("y", y)
    check_paired(xa, ya)
    za = None
    if z is not None:
        za = as_2d_samples("z", z)
        check_paired(za, ya)
    k_source, k_target = check_int("k_source", k_source, 1), check_int("k_target", k_target, 1)
    horizon = check_int("horizon", horizon, 1)
    delays = _parse_delays(delays)
    spec, cfg, record = setup_training(values)
    record.update(delays=delays, k_source=k_source, k_target=k_target, horizon=horizon,
                  bidirectional=bool(bidirectional), conditioned=za is not None)
    rows = _te_direction(xa, ya, za, delays, values, spec, cfg, k_source, k_target, horizon)
    for r in rows:
        r["direction"] = "x->y"
    te, lo, hi, flags = _curve(rows, delays, values)
    finite = [i for i, v in enumerate(te) if np.isfinite(v)]
    if not finite:
        p = 0
    else:
        p = max(finite, key=lambda i: te[i])
    peak_range = [u for i, u in enumerate(delays) if np.isfinite(te[i]) and hi[i] >= lo[p] and lo[i] <= hi[p]]
    warn = []
    if np.isfinite(te[p]) and lo[p] <= 0 <= hi[p]:
        warn.append("the peak TE's CI contains 0: no evidence of transfer X -> Y at these delays "
                    "(the peak of a scan is biased upward; use the surrogate p-value)")
    res = TransferEntropyResult(te[p], lo[p], hi[p], values["confidence"], delays[p], peak_range, delays, te, lo, hi,
                                members=rows, flags=flags, warnings=warn, settings=record,
                                data={"n_bins": xa.shape[0], "dim_x": xa.shape[1], "dim_y": ya.shape[1],
                                      "dim_z": 0 if za is None else za.shape[1]})
    if bidirectional:
        rev = _te_direction(ya, xa, za, delays, values, spec, cfg, k_source, k_target, horizon)
        for r in rev:
            r["direction"] = "y->x"
        rte, rlo, rhi, rflags = _curve(rev, delays, values)
        res.reverse = {"te_nats": rte, "ci_low": rlo, "ci_high": rhi, "flags": rflags}
        u = delays[p]
        fwd = {(r["gamma"], r["chunk"], r["seed"]): r["diff_nats"] for r in rows if r["delay"] == u}
        bwd = {(r["gamma"], r["chunk"], r["seed"]): r["diff_nats"] for r in rev if r["delay"] == u}
        keys = sorted(fwd)
        d, dlo, dhi, _ = _fit([k[0] for k in keys], [fwd[k] - bwd[k] for k in keys], values)
        res.difference_nats, res.difference_ci_low_nats, res.difference_ci_high_nats = d, dlo, dhi
        res.members = rows + rev
    res.seconds = time.perf_counter() - t0
    return res


def var_ground_truth(coef: list[np.ndarray], noise_cov: np.ndarray, source: list[int], target: list[int],
                     cond: list[int] | None = None, *, delay: int, k_source: int = 1, k_target: int = 1,
                     horizon: int = 1) -> float:
    """Exact TE (nats) of a stationary linear Gaussian VAR ``v_t = sum_l A_l v_{t-l} + e_t``, ``e ~ N(0, S)``.

    Uses the same windows as :func:`transfer_entropy` (source past ending ``delay`` bins before the
    predicted bin, target past of ``k_target`` bins plus ``cond`` channels on those bins):
    ``TE = 0.5 log det Var(Yf | Ypast, Zpast) - 0.5 log det Var(Yf | Xpast, Ypast, Zpast)``, with the
    lag covariances from the stationary covariance of the companion form
    (``scipy.linalg.solve_discrete_lyapunov``).
    """
    from scipy.linalg import solve_discrete_lyapunov

    p, d = len(coef), noise_cov.shape[0]
    span = max(k_target - 1, delay - horizon + k_source - 1, 0) + horizon + 1
    m = max(p, span)
    comp = np.zeros((m * d, m * d))
    for lag, a in enumerate(coef):
        comp[:d, lag * d:(lag + 1) * d] = a
    comp[d:, :-d] = np.eye((m - 1) * d)
    q = np.zeros((m * d, m * d))
    q[:d, :d] = noise_cov
    big = solve_discrete_lyapunov(comp, q)  # Cov of (v_t, v_{t-1}, ..., v_{t-m+1})

    def var(lag_a: int, ch_a: int, lag_b: int, ch_b: int) -> float:  # Cov(v_{T-lag_a}[a], v_{T-lag_b}[b])
        return big[lag_a * d + ch_a, lag_b * d + ch_b]

    # index bins relative to the future bin F = t + horizon: future lag 0, present t at lag horizon
    fut = [(0, c) for c in target]
    tpast = [(horizon + j, c) for j in range(k_target) for c in target + list(cond or [])]
    spast = [(delay + j, c) for j in range(k_source) for c in source]

    def cov(a: list, b: list) -> np.ndarray:
        return np.array([[var(i[0], i[1], j[0], j[1]) for j in b] for i in a])

    def cond_logdet(given: list) -> float:
        s = cov(fut, fut) - cov(fut, given) @ np.linalg.solve(cov(given, given), cov(given, fut))
        return float(np.linalg.slogdet(s)[1])

    return 0.5 * (cond_logdet(tpast) - cond_logdet(tpast + spast))


def transfer_entropy_test(x: Any, y: Any, z: Any = None, *, n_surrogates: int = 19, delays: Any = "1-5",
                          k_source: int = 1, k_target: int = 1, horizon: int = 1, min_shift: int | None = None,
                          estimator: str = "infonce", critic: str = "separable", seed: int = 0,
                          **settings: Any) -> dict[str, Any]:
    """Surrogate test of TE(X -> Y): the source alone is circularly shifted, the target's history untouched.

    Statistic: the maximum over ``delays`` of the full-data (gamma = 1) paired difference
    I(X_past Y_past; Y_future) - I(Y_past; Y_future), so the scan's p-value pays for the delay search.
    Each surrogate shifts ``x`` (and nothing else) by a random amount in ``[min_shift, n - min_shift]``;
    ``min_shift`` defaults to the larger of the source's decorrelation time
    (:func:`~neuralmi_core.analysis.significance.compute.decorrelation_bins`) and max(delays) + k_source.
    ``p = (1 + #{null >= observed}) / (1 + n_surrogates)``, as in ``significance``.
    Returns a dict: ``observed_nats``, ``null_nats``, ``p_value``, ``min_shift``, ``shifts``.
    """
    from ...estimators.neural import setup_training
    from ..significance.compute import decorrelation_bins

    settings.setdefault("split", "blocked")
    values = _check(estimator, critic, settings)
    values = dict(values, gammas=(1,), seeds=(seed,), n_seeds=None)
    xa, ya = as_2d_samples("x", x), as_2d_samples("y", y)
    check_paired(xa, ya)
    za = None if z is None else as_2d_samples("z", z)
    delays = _parse_delays(delays)
    n = xa.shape[0]
    if min_shift is None:
        finite = np.isfinite(xa).all(1)
        min_shift = max(decorrelation_bins(xa[finite]), max(delays) + k_source)
    min_shift = check_int("min_shift", min_shift, 1, n // 2, context=f"n_bins={n}")
    spec, cfg, _ = setup_training(values)
    n_surrogates = check_int("n_surrogates", n_surrogates, 1)
    rng = np.random.default_rng(derive_seed(seed, 21))

    def stat(xs: np.ndarray) -> float:
        rows = _te_direction(xs, ya, za, delays, values, spec, cfg, k_source, k_target, horizon)
        return max(r["diff_nats"] for r in rows)

    observed = stat(xa)
    shifts = [int(rng.integers(min_shift, n - min_shift + 1)) for _ in range(n_surrogates)]
    null = [stat(np.roll(xa, s, axis=0)) for s in shifts]
    p = (1 + sum(v >= observed for v in null)) / (1 + len(null))
    return {"observed_nats": observed, "null_nats": null, "p_value": p, "min_shift": min_shift, "shifts": shifts,
            "delays": delays}


def local_permutation(z: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Row order for X that keeps X's relation to Z: each row takes the X of one of its ``k`` nearest Z rows.

    Runge (2018)'s scheme: rows are visited in random order and take an unused neighbour when one is left
    (else any of the k); a row never keeps its own X. When Z takes at most 20 distinct values (categories), X is permuted within each
    category instead.
    """
    from scipy.spatial import cKDTree

    n = z.shape[0]
    values, codes = np.unique(z, axis=0, return_inverse=True)
    if values.shape[0] <= 20:
        perm = np.arange(n)
        for c in range(values.shape[0]):
            idx = np.flatnonzero(codes.ravel() == c)
            perm[idx] = rng.permutation(idx)
        return perm
    k = min(k, n - 1)
    zj = z + 1e-9 * rng.standard_normal(z.shape)
    _, nbr = cKDTree(zj).query(zj, k=k + 1, p=np.inf)
    nbr = np.asarray(nbr).reshape(n, k + 1)[:, 1:]  # the row itself is left out: its own X would be kept
    used = np.zeros(n, bool)
    perm = np.empty(n, int)
    for i in rng.permutation(n):
        cand = rng.permutation(nbr[i])
        free = cand[~used[cand]]
        j = free[0] if free.size else cand[0]
        perm[i] = j
        used[j] = True
    return perm


def conditional_mi_test(x: Any, y: Any, z: Any, *, n_surrogates: int = 19, k: int = 5, seed: int = 0,
                        estimator: str = "infonce", critic: str = "separable", **settings: Any) -> dict[str, Any]:
    """Local-permutation test of I(X; Y | Z) = 0: X permuted within the ``k`` nearest Z neighbours.

    The Z–Y and Z–X dependences are kept, only what X tells about Y beyond Z is destroyed (an i.i.d.
    shuffle of X or Y would break those too and be anti-conservative or over-conservative). Statistic: the
    full-data (gamma = 1) paired difference I(XZ; Y) - I(Z; Y); the reduced term does not change under
    the permutation, so it is trained once. ``p = (1 + #{null >= observed}) / (1 + n_surrogates)``.
    """
    from ...estimators.neural import setup_training

    values = _check(estimator, critic, settings)
    values = dict(values, gammas=(1,), seeds=(seed,), n_seeds=None)
    xa, ya, za = as_2d_samples("x", x), as_2d_samples("y", y), as_2d_samples("z", z)
    check_paired(xa, ya)
    check_paired(za, ya)
    spec, cfg, _ = setup_training(values)
    n_surrogates = check_int("n_surrogates", n_surrogates, 1)
    k = check_int("k", k, 1)
    rng = np.random.default_rng(derive_seed(seed, 22))
    perms = [np.arange(xa.shape[0])] + [local_permutation(za, k, rng) for _ in range(n_surrogates)]
    blocks = [[(za, ya)]] + [[(np.concatenate([xa[p], za], axis=1), ya)] for p in perms]
    mi = _train_pairs(blocks, 1, seed, values, spec, cfg)
    diffs = [m[0] - mi[0][0] for m in mi[1:]]
    observed, null = diffs[0], diffs[1:]
    p = (1 + sum(v >= observed for v in null)) / (1 + len(null))
    return {"observed_nats": observed, "null_nats": null, "p_value": p, "k": k}
