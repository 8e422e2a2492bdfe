"""Transfer entropy and conditional MI as paired chain-rule differences, bias-corrected in 1/N.

Both terms of each difference (``I(XZ; Y)`` and ``I(Z; Y)``; for TE ``I(X_past Y_past; Y_future)`` and
``I(Y_past; Y_future)``) are trained on the same contiguous chunk, the same train/test split and the same
network seed (a paired member); the per-member *difference* is extrapolated to gamma = 0 with
:func:`~neuralmi_core.analysis.extrapolation.fit_extrapolation`, so the CI comes from the paired spread.
Time windows are built inside each chunk and never contain a non-finite bin (rows with NaN are dropped bins).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ...settings import api
from ...settings.declared import COUNT_CRITICS
from ...validation import NeuralMIError, as_2d_samples, check_int, check_paired
from ..base import gather_parts, seeds_of
from ..extrapolation import fit_extrapolation, headline_interval
from ..plan import chunk_indices, derive_seed, fingerprint
from .declaration import CONDITIONAL_MI, TRANSFER_ENTROPY
from .result import ConditionalMIResult, TransferEntropyResult


def _concrete_critic(values: dict[str, Any], *series: np.ndarray) -> dict[str, Any]:
    """``critic="auto"`` resolved once for every term and direction (both terms of a difference must use one
    critic; rigorous mode's per-fit rule could pick poisson for one term and separable for the other).

    Transfer entropy (``series`` = source and target): ``poisson`` when both look like spike counts of a
    population (:func:`~neuralmi_core.estimators.neural._looks_like_spike_counts`, on their finite rows), else
    ``separable``; the Poisson side is the predicted bin (:func:`_train_term`). Measured on Poisson GLM networks
    with an exact TE (DIAGNOSIS.md section 39; 30 data sets, 10,000 bins): separable read TE +11 % (median;
    12 of 30 within 10 %, its reduced term finding a quarter of the target's own-history information), poisson
    -0.0 % (21 of 30), with the 68 % CI covering 26 of 30 either way and 0.65 times as wide. A continuous source
    driving spiking targets stays ``separable``: +7.3 % against poisson's +5.2 % on 16 data sets, the CI covering
    15 and 14 (section 40). Conditional MI (no ``series``): ``separable``.
    """
    if values.get("critic") != "auto":
        return values
    from ...estimators.neural import _looks_like_spike_counts

    def counts(a: np.ndarray) -> bool:
        a = a[np.isfinite(a).all(1)]
        return _looks_like_spike_counts(a, a)

    spikes = bool(series) and all(counts(a) for a in series)
    return {**values, "critic": "poisson" if spikes else "separable"}


def _check(estimator: str, critic: str, settings: dict[str, Any]) -> dict[str, Any]:
    from ..rigorous.declaration import ANALYSIS as RIGOROUS

    return RIGOROUS.check({"estimator": estimator, "critic": critic, **settings}, has_y=True)


def _train_term(blocks: list[tuple[np.ndarray, np.ndarray]], gamma: int, seed: int, values: dict[str, Any], spec: Any,
                cfg: Any, replicas: int = 1, infos: list[dict[str, Any]] | None = None) -> list[Any]:
    """Train one term on the chunks of one (gamma, seed) cell (``blocks[chunk] = (a, b)``); the fitted members.

    The split seed of chunk c is (seed, gamma, c) and the network seed (seed, gamma) for every term, so the
    terms of a chunk are paired members and a term does not depend on which other terms are trained.
    ``replicas`` > 1: ``blocks`` holds that many series' chunks one after the other (the surrogate test: the
    observed series, then its surrogates), trained as one ensemble in which every series' chunk c is split, sized,
    initialised and batched exactly as the first series' chunk c (``fit_ensemble``'s ``tie``): each series gets
    the numbers it would get alone, in one batched fit.

    ``b`` is the side every term of the difference shares (TE: the target's predicted bin; CMI: Y). A count
    critic models the counts of its first side given the other (``counts_on_x``), so with one ``b`` goes first:
    it models y(t + horizon) given the pasts, as a GLM does, not the pasts given the future (DIAGNOSIS.md
    section 39); ``counts_on_x`` swaps back when ``b`` does not hold counts.

    ``infos``: a list the fit's ``info`` is appended to (the density estimators' records of what they did to the
    data, which the result's warnings are made from: :func:`~neuralmi_core.flags.density_fit_warnings`).
    """
    from ...estimators import fit_ensemble
    from ...training import split_member
    from ...training.trainer import for_full_data

    if values.get("critic") in COUNT_CRITICS:
        blocks = [(b, a) for a, b in blocks]

    n_chunks = len(blocks) // replicas
    members = [split_member(a, b, values["split"], values["test_fraction"], gap=values["gap"],
                            seed=derive_seed(seed, gamma, i % n_chunks)) for i, (a, b) in enumerate(blocks)]
    n_full = sum(a.shape[0] for a, _ in blocks[:n_chunks])
    run = for_full_data(dataclasses.replace(cfg, seed=derive_seed(seed, gamma)),
                        round(n_full * (1 - values["test_fraction"])))
    tie = None if replicas == 1 else [i % n_chunks for i in range(len(blocks))]
    fit = fit_ensemble(members, spec, run, desc=f"gamma={gamma} seed={seed}", preprocessing=values["preprocess"],
                       tie=tie)
    if infos is not None:
        infos.append(dict(fit.info))
    return list(fit.members)


def _term_rows(members: list[Any], gamma: int, seed: int, term: int, direction: str | None = None
               ) -> list[dict[str, Any]]:
    """Member rows of one term: sizes, training-subset and held-out MI and their average (the MI paired)."""
    rows = []
    for c, m in enumerate(members):
        row = {"gamma": gamma, "chunk": c, "seed": seed, "term": term, "n_train": m.n_train, "n_test": m.n_test,
               "mi_train_nats": m.mi_train_nats, "mi_test_nats": m.mi_test_nats,
               "mi_nats": 0.5 * (m.mi_train_nats + m.mi_test_nats), "best_epoch": m.best_epoch,
               "epochs_run": m.epochs_run}
        rows.append({"direction": direction, **row} if direction else row)
    return rows


def pair_terms(members: list[dict[str, Any]], key: str = "delay") -> list[dict[str, Any]]:
    """Paired rows from term rows: for every (direction, gamma, chunk, seed) holding term 0 (the reduced term),
    one row per full term ``t`` with ``key: t``, mi_full_nats, mi_reduced_nats and their difference, and the
    differences of the training-subset and of the held-out MI (``diff_train_nats``, ``diff_test_nats``)."""
    def ident(m: dict[str, Any]) -> tuple[Any, ...]:
        return (m.get("direction"), m["gamma"], m["chunk"], m["seed"])

    reduced = {ident(m): m for m in members if m["term"] == 0}
    out = []
    for m in sorted((m for m in members if m["term"] != 0),
                    key=lambda m: (str(m.get("direction")), m["gamma"], m["seed"], m["term"], m["chunk"])):
        r = reduced.get(ident(m))
        if r is None:
            continue
        row = {"gamma": m["gamma"], "chunk": m["chunk"], "seed": m["seed"], key: m["term"],
               "mi_full_nats": m["mi_nats"], "mi_reduced_nats": r["mi_nats"], "diff_nats": m["mi_nats"] - r["mi_nats"],
               "diff_train_nats": m["mi_train_nats"] - r["mi_train_nats"],
               "diff_test_nats": m["mi_test_nats"] - r["mi_test_nats"]}
        out.append({"direction": m["direction"], **row} if m.get("direction") else row)
    return out


def density_warnings(record: Mapping[str, Any], cells: Sequence[Mapping[str, Any]]) -> list[str]:
    """The density-based estimators' data warnings (``dequantized_features``, ``empirical_reference``,
    ``conditional_flow``, ``lower_dimensional_features``) from the fits' info that each cell keeps (``fit_info``;
    cells of runs made before it was kept give none)."""
    from ...flags import density_fit_warnings

    return density_fit_warnings(str(record.get("estimator", "")), *(i for c in cells for i in c.get("fit_info", ())))


def _train_pairs(blocks: list[list[tuple[np.ndarray, np.ndarray]]], gamma: int, seed: int, values: dict[str, Any],
                 spec: Any, cfg: Any) -> list[list[float]]:
    """Train each term (``blocks[term][chunk] = (a, b)``) of one (gamma, seed) cell; ``mi[term][chunk]``."""
    return [[0.5 * (m.mi_train_nats + m.mi_test_nats) for m in _train_term(term, gamma, seed, values, spec, cfg)]
            for term in blocks]


def _fit(gammas: list[int], diffs: list[float], values: Mapping[str, Any],
         alternatives: Sequence[Sequence[float]] = ()) -> tuple[float, float, float, list[str]]:
    """``(intercept, CI low, CI high, flags)`` of the 1/N fit of ``diffs`` (the members' paired differences).

    The CI is rigorous mode's headline interval
    (:func:`~neuralmi_core.analysis.extrapolation.headline_interval`) of that fit: the statistical part
    ``t sqrt(se^2 + scale)``, the WLS intercept's variance plus one full-data member's (the chunks of every
    gamma partition one data set, so their members share that data set's error, which their spread does not
    show), and, in quadrature, ``z`` times the systematic part: the largest distance to the intercepts of the
    ``alternatives`` (the members' training-subset and held-out differences, the same fit). Transfer entropy
    passes them; conditional MI passes none and quotes the statistical part alone.

    Measured (DIAGNOSIS sections 22, 36 and 37, ``benchmarks/diagnosis/te3_intervals.py``): the textbook WLS
    interval covered the exact TE of 20 VAR pairs in 9 at 68 %; the statistical part covered 18 of 30 pairs at
    the planted delay (60 %, under the 62-80 % a 68 % interval should reach) and 63 % of the other delays, the
    small under-read of TE (median -3 %) outside it; with the systematic part 67 % and 77 %, and on a fourth
    data set held out from that choice 8 of 10 and 80 % (all 40 pairs: 70 % and 78 %). For conditional MI
    the systematic part over-covers (100 % of 20 data sets at CMI 0, 85 % at CMI 0.10-0.17, against 80 % and
    65 % without it): the full term has the wider input and over-fits its training subset more, so the
    training-subset and held-out differences split apart where the average is right.
    """
    if not gammas:
        return math.nan, math.nan, math.nan, []
    kw = {"confidence": values["confidence"], "delta": values["delta"], "min_gammas": values["min_gammas"]}
    g = np.asarray(gammas)
    fit = fit_extrapolation(g, np.asarray(diffs), **kw)
    head = headline_interval(fit, [fit_extrapolation(g, np.asarray(a), **kw) for a in alternatives])
    return fit.intercept_nats, head.ci_low_nats, head.ci_high_nats, list(fit.flags)


def _fit_settings(analysis: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    return {s.name: values[s.name] for s in analysis.stage("fit")}


@api(CONDITIONAL_MI.settings)
def conditional_mi(x: Any, y: Any, z: Any, estimator: str = "infonce", critic: str = "auto",
                   **settings: Any) -> ConditionalMIResult:
    """I(X; Y | Z) = I(XZ; Y) - I(Z; Y) in nats, with a 1/N-extrapolated paired CI.

    For every gamma in ``gammas`` and every seed the samples are cut into gamma chunks (contiguous for a
    blocked split, random for a random one); both terms are trained on the same chunks, splits and network
    seeds, and their per-member difference is extrapolated to gamma = 0 (rigorous mode's fit). A negative
    value whose CI contains 0 means "no evidence", not an error. A cell is one term at one (gamma, seed)
    (term 0: I(Z; Y), term 1: I(XZ; Y)); ``terms`` restricts a run to some of them and
    :func:`gather_conditional_mi` combines partial runs into the numbers of one call.

    Parameters
    ----------
    x, y, z : array-like, shape (n_samples, ...)
        Paired samples (samples on axis 0); Z is the conditioning signal.
    estimator, critic : str
        As in :func:`neuralmi_core.rigorous` (trained estimators only).
    {settings}
    """
    t0 = time.perf_counter()
    from ...estimators.neural import setup_training

    values = CONDITIONAL_MI.check({"estimator": estimator, "critic": critic, **settings}, has_y=True)
    values = _concrete_critic(values)
    xa, ya, za = as_2d_samples("x", x), as_2d_samples("y", y), as_2d_samples("z", z)
    check_paired(xa, ya)
    check_paired(za, ya)
    spec, cfg, record = setup_training(values)
    chunking = "contiguous" if values["split"] == "blocked" else "random"
    record["chunking"] = chunking
    xz = np.concatenate([xa, za], axis=1)
    terms = values["terms"] or CONDITIONAL_MI.all_terms(values)
    rows: list[dict[str, Any]] = []
    cells = []
    for g in values["gammas"]:
        for s in seeds_of(values):
            idx = chunk_indices(xa.shape[0], g, chunking, s)
            for t in terms:
                t1 = time.perf_counter()
                infos: list[dict[str, Any]] = []
                if t == 1:
                    blocks = [(xz[i], ya[i]) for i in idx]
                elif values.get("reduced_x", "none") == "permuted":
                    blocks = [(np.concatenate([_shuffled_rows(xa[i], (s, g, j, "x|z")), za[i]], axis=1), ya[i])
                              for j, i in enumerate(idx)]
                else:
                    blocks = [(za[i], ya[i]) for i in idx]
                rows += _term_rows(_train_term(blocks, g, s, values, spec, cfg, infos=infos), g, s, t)
                cells.append({"gamma": g, "seed": s, "term": t, "seconds": time.perf_counter() - t1,
                              "fit_info": infos})
    data = {"n_samples": xa.shape[0], "dim_x": xa.shape[1], "dim_y": ya.shape[1], "dim_z": za.shape[1],
            "sha256": fingerprint(xa, ya, za)}
    return summarize_conditional_mi(rows, record, data, _fit_settings(CONDITIONAL_MI, values), cells,
                                    time.perf_counter() - t0)


def summarize_conditional_mi(members: list[dict[str, Any]], record: dict[str, Any], data: dict[str, Any],
                             fit: Mapping[str, Any], cells: list[dict[str, Any]], seconds: float
                             ) -> ConditionalMIResult:
    """The result from term rows: pair the terms per member, extrapolate the difference and each term."""
    pairs = pair_terms(members, key="term")
    gam = [r["gamma"] for r in pairs]
    mi, lo, hi, flags = _fit(gam, [r["diff_nats"] for r in pairs], fit)
    full_i = _fit(gam, [r["mi_full_nats"] for r in pairs], fit)[0]
    red_i = _fit(gam, [r["mi_reduced_nats"] for r in pairs], fit)[0]
    warn = density_warnings(record, cells)
    if not pairs:
        warn.append("partial run: no (gamma, seed) holds both terms; gather the parts "
                    "(`neuralmi gather conditional_mi`)")
    if np.isfinite(mi) and mi < 0 and lo <= 0 <= hi:
        warn.append("negative I(X;Y|Z) inside a CI containing 0: no evidence of conditional dependence")
    return ConditionalMIResult(mi, lo, hi, fit["confidence"], full_i, red_i, members, flags, warn, record, data,
                               seconds, pairs=pairs, cells=list(cells), fit_settings=dict(fit))


def gather_conditional_mi(parts: Sequence[dict[str, Any]], *, sources: Sequence[str] | None = None,
                          **fit: Any) -> ConditionalMIResult:
    """Combine partial conditional_mi runs (their JSON) into the numbers of one call with all cells."""
    g = gather_parts(CONDITIONAL_MI, parts, sources, fit, required=("fit_settings",))
    return summarize_conditional_mi(g.members, g.settings, g.data, g.fit, g.cells, g.seconds)


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


def _chunk_windows(x, y, z, gamma, seed, delays, k_source, k_target, horizon):
    wins = [build_windows(x[i], y[i], None if z is None else z[i], k_source=k_source, k_target=k_target,
                          horizon=horizon, delays=delays) for i in chunk_indices(x.shape[0], gamma, "contiguous", seed)]
    if min(w[2].shape[0] for w in wins) < 20:
        raise NeuralMIError(f"transfer_entropy: gamma={gamma} leaves a chunk with under 20 windows; expected "
                            "longer data, fewer gammas or shorter histories")
    return wins


def _shuffled_rows(a: np.ndarray, key: tuple[int, int, int, str]) -> np.ndarray:
    """``a`` with its rows in a random order fixed by ``key`` (seed, gamma, chunk, direction): the reduced term's
    source columns, independent of the target and of the conditioning past, with the source's marginal."""
    words = [int(key[0]), int(key[1]), int(key[2]), int.from_bytes(str(key[3]).encode()[:8].ljust(8, b"\0"), "little")]
    return a[np.random.default_rng([0x7E, *words]).permutation(a.shape[0])]


def te_cell(x: np.ndarray, y: np.ndarray, z: np.ndarray | None, gamma: int, seed: int, terms: Sequence[int],
            delays: list[int], values: Mapping[str, Any], spec: Any, cfg: Any, k_source: int, k_target: int,
            horizon: int, direction: str = "x->y", infos: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Term rows of one (gamma, seed) and the given ``terms`` (0: target past only; u: with the source past
    at delay u) for one direction; windows are built inside each contiguous chunk. ``infos``: as
    :func:`_train_term`'s, one entry per term."""
    wins = _chunk_windows(x, y, z, gamma, seed, delays, k_source, k_target, horizon)
    rows: list[dict[str, Any]] = []
    for t in terms:
        blocks = _term_blocks(wins, t, delays, values, seed, gamma, direction)
        rows += _term_rows(_train_term(blocks, gamma, seed, dict(values), spec, cfg, infos=infos), gamma, seed, t,
                           direction)
    return rows


def _term_blocks(wins: list[Any], t: int, delays: list[int], values: Mapping[str, Any], seed: int, gamma: int,
                 direction: str = "x->y") -> list[tuple[np.ndarray, np.ndarray]]:
    """The (a, b) block of each chunk's windows ``wins`` for term ``t`` (0: the reduced term), as :func:`te_cell`
    trains them."""
    if t != 0:
        return [(np.concatenate([w[0][t], w[1]], axis=1), w[2]) for w in wins]
    if values.get("reduced_source", "permuted") == "permuted":
        return [(np.concatenate([_shuffled_rows(w[0][delays[0]], (seed, gamma, i, direction)), w[1]], axis=1), w[2])
                for i, w in enumerate(wins)]
    return [(w[1], w[2]) for w in wins]


def _te_statistics(series: list[tuple[np.ndarray, np.ndarray]], z, delays, values, spec, cfg, k_source, k_target,
                   horizon, seed: int) -> list[float]:
    """The surrogate test's statistic for every (source, target) pair of ``series`` (the observed pair first, then
    the surrogates): the largest full-data (gamma 1) paired difference, full - reduced, over ``delays`` and chunks.

    Each term is trained once for all the pairs, as one ensemble in which every pair's members are replicas of
    the observed pair's (:func:`_train_term`'s ``replicas``): the same numbers as one fit per pair and term, in
    1 + len(delays) batched fits instead of (1 + len(delays)) x len(series)."""
    from ...estimators.neural import EXTERNAL_TRAINED

    wins = [_chunk_windows(xs, ys, z, 1, seed, delays, k_source, k_target, horizon) for xs, ys in series]
    n_chunks = len(wins[0])
    # MI-NEE and MIENF draw randomness per member during training (reference samples, flows) that a replica cannot
    # share with its base: they keep one fit per series
    groups = [range(len(series))] if values["estimator"] not in EXTERNAL_TRAINED else [[v] for v in range(len(series))]
    mi = {}
    for t in [0, *delays]:
        parts = []
        for g in groups:
            blocks = [b for v in g for b in _term_blocks(wins[v], t, delays, values, seed, 1)]
            parts += [0.5 * (m.mi_train_nats + m.mi_test_nats)
                      for m in _train_term(blocks, 1, seed, dict(values), spec, cfg, replicas=len(g))]
        mi[t] = np.array(parts).reshape(len(series), n_chunks)
    return [float(max((mi[u][v] - mi[0][v]).max() for u in delays)) for v in range(len(series))]


def _alternatives(pairs: Sequence[Mapping[str, Any]]) -> list[list[float]]:
    """The training-subset and held-out differences of ``pairs`` (every paired row has them: :func:`pair_terms`)."""
    return [[m["diff_train_nats"] for m in pairs], [m["diff_test_nats"] for m in pairs]]


def _curve(pairs, delays, values):
    te, lo, hi, flags = [], [], [], set()
    for u in delays:
        r = [m for m in pairs if m["delay"] == u]
        a, b, c, f = _fit([m["gamma"] for m in r], [m["diff_nats"] for m in r], values,
                          _alternatives(r))
        te.append(a)
        lo.append(b)
        hi.append(c)
        flags.update(f)
    return te, lo, hi, sorted(flags)


def _on_grid(a: np.ndarray, time_index: Any) -> np.ndarray:
    """Rows of ``a`` placed on their bins (``time_index``), NaN rows for the bins in between (gaps)."""
    if time_index is None:
        return a
    t = np.asarray(time_index, dtype=np.int64)
    if t.shape != (a.shape[0],) or np.any(np.diff(t) <= 0):
        raise NeuralMIError(f"`time_index` must hold one strictly increasing bin index per sample ({a.shape[0]}); "
                            f"got shape {t.shape}.")
    out = np.full((int(t[-1] - t[0]) + 1, a.shape[1]), np.nan)
    out[t - t[0]] = a
    return out


@api(TRANSFER_ENTROPY.settings)
def transfer_entropy(x: Any, y: Any, z: Any = None, estimator: str = "infonce", critic: str = "auto", *,
                     time_index: Any = None, **settings: Any) -> TransferEntropyResult:
    """TE(X -> Y) = I(X_past; Y_future | Y_past[, Z_past]) in nats per delay, with paired 1/N-extrapolated CIs.

    ``x``, ``y`` (and ``z``): time series, shape (n_bins, channels), on the same bins; rows with NaN are
    dropped bins and no window crosses one; ``time_index`` (the bin of every row, strictly increasing) puts
    rows on their bins with the missing bins as gaps. ``delays``: interaction delays u in bins: the source
    past is the ``k_source`` bins ending u bins before the predicted bin ``y[t + horizon]``; the target past
    is ``y[t-k_target+1 .. t]`` (and ``z`` on the same bins when given, to separate a direct link from a
    common drive). The bins are split into gamma contiguous chunks per ``gammas`` and ``seeds``; windows
    are built inside each chunk; the full and reduced terms of a chunk share split and network seed, and
    their difference is extrapolated in 1/N. The headline is the peak delay's TE and CI;
    ``peak_delay_range`` lists delays whose CI overlaps the peak's. ``bidirectional=True`` adds TE(Y -> X)
    and the paired difference TE(X->Y) - TE(Y->X) at the peak delay. A cell is one term at one
    (gamma, seed) (term 0: target past only; term u: with the source past at delay u); ``terms``
    restricts a run to some of them and :func:`gather_transfer_entropy` combines partial runs into the
    numbers of one call.

    A negative TE whose CI contains 0 means "no evidence of transfer", not an error.

    Parameters
    ----------
    x, y, z : array-like, shape (n_bins, ...)
        Source, target and (optional) conditioning time series.
    estimator, critic : str
        As in :func:`neuralmi_core.rigorous` (trained estimators only).
    time_index : array-like of int, optional
        Bin index of every row (rows missing in between are gaps).
    {settings}
    """
    t0 = time.perf_counter()
    from ...estimators.neural import setup_training

    values = TRANSFER_ENTROPY.check({"estimator": estimator, "critic": critic, **settings}, has_y=True)
    xa, ya = as_2d_samples("x", x), as_2d_samples("y", y)
    check_paired(xa, ya)
    values = _concrete_critic(values, xa, ya)
    za = None
    if z is not None:
        za = as_2d_samples("z", z)
        check_paired(za, ya)
    xa, ya = _on_grid(xa, time_index), _on_grid(ya, time_index)
    za = None if za is None else _on_grid(za, time_index)
    delays = list(values["delays"])
    kw = {"k_source": values["k_source"], "k_target": values["k_target"], "horizon": values["horizon"]}
    spec, cfg, record = setup_training(values)
    record.update(delays=delays, **kw, bidirectional=bool(values["bidirectional"]), conditioned=za is not None)
    terms = values["terms"] or TRANSFER_ENTROPY.all_terms(values)
    directions = [("x->y", xa, ya)] + ([("y->x", ya, xa)] if values["bidirectional"] else [])
    rows: list[dict[str, Any]] = []
    cells = []
    for g in values["gammas"]:
        for s in seeds_of(values):
            for t in terms:
                t1 = time.perf_counter()
                infos: list[dict[str, Any]] = []
                for name, src, dst in directions:
                    rows += te_cell(src, dst, za, g, s, [t], delays, values, spec, cfg, direction=name, infos=infos,
                                    **kw)
                cells.append({"gamma": g, "seed": s, "term": t, "seconds": time.perf_counter() - t1,
                              "fit_info": infos})
    data = {"n_bins": xa.shape[0], "dim_x": xa.shape[1], "dim_y": ya.shape[1],
            "dim_z": 0 if za is None else za.shape[1],
            "sha256": fingerprint(xa, ya, *(() if za is None else (za,)))}
    return summarize_transfer(rows, record, data, _fit_settings(TRANSFER_ENTROPY, values), cells,
                              time.perf_counter() - t0)


def summarize_transfer(members: list[dict[str, Any]], record: dict[str, Any], data: dict[str, Any],
                       fit: Mapping[str, Any], cells: list[dict[str, Any]], seconds: float) -> TransferEntropyResult:
    """The result from term rows: pair the terms per member, extrapolate the difference at every delay,
    the peak, the reverse direction and the paired difference of the two directions at the peak."""
    delays = list(record["delays"])
    pairs = pair_terms(members)
    fwd = [r for r in pairs if r["direction"] == "x->y"]
    te, lo, hi, flags = _curve(fwd, delays, fit)
    finite = [i for i, v in enumerate(te) if np.isfinite(v)]
    p = max(finite, key=lambda i: te[i]) if finite else 0
    peak_range = [u for i, u in enumerate(delays) if np.isfinite(te[i]) and hi[i] >= lo[p] and lo[i] <= hi[p]]
    warn = density_warnings(record, cells)
    if not finite:
        warn.append("no delay could be fitted (a partial run, or too few gammas): gather the parts "
                    "(`neuralmi gather transfer_entropy`)")
    if np.isfinite(te[p]) and lo[p] <= 0 <= hi[p]:
        warn.append("the peak TE's CI contains 0: no evidence of transfer X -> Y at these delays "
                    "(the peak of a scan is biased upward; use the surrogate p-value)")
    res = TransferEntropyResult(te[p], lo[p], hi[p], fit["confidence"], delays[p], peak_range, delays, te, lo, hi,
                                members=members, flags=flags, warnings=warn, settings=record, data=data,
                                seconds=seconds, pairs=pairs, cells=list(cells), fit_settings=dict(fit))
    if record.get("bidirectional"):
        rev = [r for r in pairs if r["direction"] == "y->x"]
        rte, rlo, rhi, rflags = _curve(rev, delays, fit)
        res.reverse = {"te_nats": rte, "ci_low": rlo, "ci_high": rhi, "flags": rflags}
        u = delays[p]
        f = {(r["gamma"], r["chunk"], r["seed"]): r for r in fwd if r["delay"] == u}
        b = {(r["gamma"], r["chunk"], r["seed"]): r for r in rev if r["delay"] == u}
        keys = sorted(set(f) & set(b))
        both = [{c: f[k][c] - b[k][c] for c in ("diff_nats", "diff_train_nats", "diff_test_nats")} for k in keys]
        d, dlo, dhi, _ = _fit([k[0] for k in keys], [m["diff_nats"] for m in both], fit, _alternatives(both))
        res.difference_nats, res.difference_ci_low_nats, res.difference_ci_high_nats = d, dlo, dhi
    return res


def gather_transfer_entropy(parts: Sequence[dict[str, Any]], *, sources: Sequence[str] | None = None,
                            **fit: Any) -> TransferEntropyResult:
    """Combine partial transfer_entropy runs (their JSON; cells of (gamma, seed, term)) into the numbers of one
    call with all cells: the terms are paired per member and the differences extrapolated as there."""
    g = gather_parts(TRANSFER_ENTROPY, parts, sources, fit, required=("fit_settings",))
    return summarize_transfer(g.members, g.settings, g.data, g.fit, g.cells, g.seconds)


def var_stationary_covariance(coef: list[np.ndarray], noise_cov: np.ndarray, n_lags: int) -> np.ndarray:
    """Stationary covariance of ``(v_t, v_{t-1}, ..., v_{t-m+1})`` of the VAR ``v_t = sum_l A_l v_{t-l} + e_t``,
    ``m = max(len(coef), n_lags)``, from its companion form (``scipy.linalg.solve_discrete_lyapunov``); entry
    ``[a * d + i, b * d + j]`` is Cov(v_{t-a}[i], v_{t-b}[j])."""
    from scipy.linalg import solve_discrete_lyapunov

    d = noise_cov.shape[0]
    m = max(len(coef), n_lags)
    comp = np.zeros((m * d, m * d))
    for lag, a in enumerate(coef):
        comp[:d, lag * d:(lag + 1) * d] = a
    comp[d:, :-d] = np.eye((m - 1) * d)
    q = np.zeros((m * d, m * d))
    q[:d, :d] = noise_cov
    return solve_discrete_lyapunov(comp, q)


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
    d = noise_cov.shape[0]
    span = max(k_target - 1, delay - horizon + k_source - 1, 0) + horizon + 1
    big = var_stationary_covariance(coef, noise_cov, span)

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


#: nulls of :func:`transfer_entropy_test`; the first is the default and the only calibrated one
TE_SURROGATES = ("circular", "iid_source", "iid_target")


def transfer_entropy_test(x: Any, y: Any, z: Any = None, *, n_surrogates: int = 19, delays: Any = "1-5",
                          k_source: int = 1, k_target: int = 1, horizon: int = 1, min_shift: int | None = None,
                          estimator: str = "infonce", critic: str = "auto", seed: int = 0,
                          surrogate: str = "circular", **settings: Any) -> dict[str, Any]:
    """Surrogate test of TE(X -> Y): the source alone is circularly shifted, the target's history untouched.

    Statistic: the maximum over ``delays`` of the full-data (gamma = 1) paired difference
    I(X_past Y_past; Y_future) - I(Y_past; Y_future), so the scan's p-value pays for the delay search.
    Each surrogate shifts ``x`` (and nothing else) by a random amount in ``[min_shift, n - min_shift]``;
    ``min_shift`` defaults to the larger of the source's decorrelation time
    (:func:`~neuralmi_core.analysis.significance.compute.decorrelation_bins`) and max(delays) + k_source.
    ``p = (1 + #{null >= observed}) / (1 + n_surrogates)``, as in ``significance``. Each term is trained once for
    the observed series and all surrogates together, every surrogate starting from the observed series' weights
    and batch order, so each statistic is the one its series would give alone (:func:`_te_statistics`; MI-NEE and
    MIENF fit each series on its own).

    ``surrogate`` chooses the null: ``"circular"`` (the default, above, and the only calibrated one on
    autocorrelated data); ``"iid_source"`` permutes the source's rows i.i.d. (destroys the source's own
    autocorrelation, so the null no longer describes an autocorrelated source); ``"iid_target"`` permutes
    the target's rows i.i.d. before its windows are built, as NeuralMI's permutation test does (destroys the
    target's own history, so the null's paired difference sits near 0 whatever the observed bias is). The
    two i.i.d. nulls exist to measure how wrong they are (``benchmarks/transfer_null.py``), and a result
    built with one carries a ``note`` saying so.
    Returns a dict: ``observed_nats``, ``null_nats``, ``p_value``, ``min_shift``, ``shifts`` (the circular
    shifts; empty for the i.i.d. nulls), ``surrogate``, ``critic`` (``critic="auto"`` resolved).
    """
    from ...estimators.neural import setup_training
    from ..significance.compute import decorrelation_bins

    settings.setdefault("split", "blocked")
    values = _check(estimator, critic, settings)
    values = dict(values, gammas=(1,), seeds=(seed,), n_seeds=None)
    xa, ya = as_2d_samples("x", x), as_2d_samples("y", y)
    check_paired(xa, ya)
    values = _concrete_critic(values, xa, ya)
    za = None if z is None else as_2d_samples("z", z)
    delays = _parse_delays(delays)
    n = xa.shape[0]
    if min_shift is None:
        finite = np.isfinite(xa).all(1)
        min_shift = max(decorrelation_bins(xa[finite], time_index=np.flatnonzero(finite)), max(delays) + k_source)
    min_shift = check_int("min_shift", min_shift, 1, n // 2, context=f"n_bins={n}")
    spec, cfg, _ = setup_training(values)
    n_surrogates = check_int("n_surrogates", n_surrogates, 1)
    if surrogate not in TE_SURROGATES:
        raise NeuralMIError(f"`surrogate` must be one of {', '.join(TE_SURROGATES)}; got {surrogate!r}.")
    rng = np.random.default_rng(derive_seed(seed, 21))

    shifts: list[int] = []
    if surrogate == "circular":
        shifts = [int(rng.integers(min_shift, n - min_shift + 1)) for _ in range(n_surrogates)]
        series = [(np.roll(xa, s, axis=0), ya) for s in shifts]
    elif surrogate == "iid_source":
        series = [(xa[rng.permutation(n)], ya) for _ in range(n_surrogates)]
    else:
        series = [(xa, ya[rng.permutation(n)]) for _ in range(n_surrogates)]
    observed, *null = _te_statistics([(xa, ya), *series], za, delays, values, spec, cfg, k_source, k_target,
                                     horizon, seed)
    p = (1 + sum(v >= observed for v in null)) / (1 + len(null))
    out = {"observed_nats": observed, "null_nats": null, "p_value": p, "min_shift": min_shift, "shifts": shifts,
           "delays": delays, "surrogate": surrogate, "critic": values["critic"]}
    if surrogate != "circular":
        out["note"] = ("i.i.d. surrogates ignore the autocorrelation of the series: this p-value is for comparison "
                       "only (benchmarks/transfer_null.py), not to report")
    return out


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
                        estimator: str = "infonce", critic: str = "auto", **settings: Any) -> dict[str, Any]:
    """Local-permutation test of I(X; Y | Z) = 0: X permuted within the ``k`` nearest Z neighbours.

    The Z–Y and Z–X dependences are kept, only what X tells about Y beyond Z is destroyed (an i.i.d.
    shuffle of X or Y would break those too and be anti-conservative or over-conservative). Statistic: the
    full-data (gamma = 1) paired difference I(XZ; Y) - I(Z; Y); the reduced term does not change under
    the permutation, so it is trained once. ``p = (1 + #{null >= observed}) / (1 + n_surrogates)``.
    """
    from ...estimators.neural import setup_training

    values = _check(estimator, critic, settings)
    values = _concrete_critic(values)
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
