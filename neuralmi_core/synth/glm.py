"""Poisson GLM spiking networks with planted directed links (ground truth for transfer entropy's direction and delay).

Two populations on 20 ms bins, a source X and a target Y. Every neuron's log-rate per bin is

.. math::

    \\log \\lambda_i(t) = b_i + \\sum_{k=1}^{K} h_k\\, c_i(t-k) + \\sum_{j \\in X} w_{ij}\\, c_j(t-d) + g_z z(t)

with a baseline ``b_i`` (a rate drawn in ``baseline_hz``), a self-history filter ``h_k = a e^{-(k-1)/\\tau}``
over the neuron's own counts (``a < 0``: refractoriness and adaptation), planted couplings ``w_ij = gain``
from source neurons j to target neurons i (target neurons only) at the delay ``d`` bins, and an optional shared
drive ``z`` (a unit-variance AR(1) latent, entering every X and Y neuron at the same bin with weight ``g_z``).
The rate is clipped to ``rate_hz`` (physiological: 1-30 Hz) and the counts are ``c_i(t) ~ Poisson(lambda_i(t)
bin_s)``. There is no Y -> X link, so TE(Y -> X) = 0 without the drive; with it, TE(X -> Y) > 0 even when
``gain`` is 0, and conditioning on Z's past removes it (z is Markov: z(t) holds all its past tells about z(t+1)).
Both zeros need the target history to embed the target's own dynamics: ``k_target >= history_bins``. With a
shorter target history the source's past carries information about the target's older bins (through the
common drive, or through Y's response to X for TE(Y -> X)), which the self-history filter passes on to the
target's future, and the true TE is small but positive (benchmarks/DIAGNOSIS.md, section 20).

The delay follows :func:`~neuralmi_core.analysis.transfer.transfer_entropy`'s convention: a source spike in
bin t - d changes the target's rate in bin t, so the TE scan's peak should be at ``delay = d``. TE has no closed
form in general; the ground truth is the planted direction and delay. With ``source_history=False`` and no
drive it has one: the source neurons are then i.i.d. Poisson in time, so x(t - d) is independent of the
target's past, and

.. math::

    TE(X \\to Y) = E\\left[\\log \\frac{p(y_t \\mid y_{t-K..t-1},\\, x_{t-d})}
    {\\sum_{x} p(x)\\, p(y_t \\mid y_{t-K..t-1},\\, x)}\\right]

at the planted delay (0 at every other delay, and TE(Y -> X) = 0), for a target history of at least K =
``history_bins`` bins. :func:`glm_transfer_entropy` computes it: the sum over the source's counts exactly (by
convolution over its neurons; vectors of linked counts below 1e-9 dropped), the expectation over the target's
stationary past by Monte Carlo over a long run of the same network.

Examples
--------
>>> from neuralmi_core.synth.glm import simulate_glm, cross_correlogram
>>> net = simulate_glm(20_000, n_source=8, n_target=8, delay=3, gain=1.0, seed=0)
>>> net.x.shape, net.y.shape, net.delay
((20000, 8), (20000, 8), 3)
>>> lags, ccg = cross_correlogram(net.x.sum(1), net.y.sum(1), max_lag=5)
>>> int(lags[ccg.argmax()])
3
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..validation import NeuralMIError

__all__ = ["GLMNetwork", "cross_correlogram", "glm_te_log_ratio", "glm_transfer_entropy", "simulate_glm"]


@dataclass(frozen=True, eq=False)
class GLMNetwork:
    """A simulated Poisson GLM network and its ground truth.

    Attributes
    ----------
    counts : ndarray of int (float for a Gaussian source), shape (n_bins, n_source + n_target)
        Spike counts per bin; the source neurons first, then the target neurons (a Gaussian source's columns
        hold its channels' values).
    source, target : ndarray of int
        Column indices of the source (X) and target (Y) neurons in ``counts``.
    links : tuple of (int, int)
        The planted links as (source column, target column), each with weight ``gain`` at ``delay`` bins.
    delay : int
        The planted interaction delay (bins): a source spike in bin t - delay acts on the target in bin t.
    gain : float
        Weight of every planted link on the target's log-rate (per source spike).
    drive : ndarray, shape (n_bins, 1), or None
        The shared drive z(t) (a unit-variance AR(1) latent) when ``drive_gain`` is not 0.
    rates_hz : ndarray, shape (n_bins, n_source + n_target)
        The clipped rate of every neuron in every bin (Hz; NaN for the channels of a Gaussian source).
    bin_s : float
        Bin width (seconds).
    seed : int
        The seed the network and its counts were drawn with.
    log_baseline : ndarray, shape (n_source + n_target,)
        Every neuron's baseline log-rate per bin, ``b_i``.
    history_filter : ndarray, shape (history_bins,)
        The self-history filter ``h_k`` (lag 1 first).
    log_rate_bounds : (float, float)
        The clip of the log-rate per bin (``rate_hz`` times ``bin_s``, logged).
    source_history : bool
        Whether the source neurons have the self-history filter (False: i.i.d. Poisson in time).
    source_law : str
        ``"poisson"`` (source spike counts) or ``"gaussian"`` (a continuous source: i.i.d. standard normal
        channels, ``counts`` then float).
    settings : dict
        The keyword arguments of :func:`simulate_glm` this network was drawn with (besides ``n_bins``).
    """

    counts: np.ndarray
    source: np.ndarray
    target: np.ndarray
    links: tuple[tuple[int, int], ...]
    delay: int
    gain: float
    drive: np.ndarray | None
    rates_hz: np.ndarray
    bin_s: float
    seed: int
    log_baseline: np.ndarray | None = None
    history_filter: np.ndarray | None = None
    log_rate_bounds: tuple[float, float] | None = None
    source_history: bool = True
    settings: dict | None = None
    source_law: str = "poisson"

    @property
    def x(self) -> np.ndarray:
        """Source population counts, shape (n_bins, n_source)."""
        return self.counts[:, self.source]

    @property
    def y(self) -> np.ndarray:
        """Target population counts, shape (n_bins, n_target)."""
        return self.counts[:, self.target]

    @property
    def weights(self) -> np.ndarray:
        """Coupling matrix, shape (n_target, n_source): ``gain`` where a link is planted, else 0."""
        w = np.zeros((self.target.size, self.source.size))
        for j, i in self.links:
            w[i - self.source.size, j] = self.gain
        return w


def _check(name: str, value: float, low: float, high: float = np.inf) -> None:
    if not (np.isfinite(value) and low <= value <= high):
        raise NeuralMIError(f"simulate_glm: `{name}` must be in [{low}, {high}]. Got {value!r}.")


def simulate_glm(
    n_bins: int,
    *,
    n_source: int = 10,
    n_target: int = 10,
    delay: int = 2,
    gain: float = 1.0,
    p_link: float = 0.3,
    baseline_hz: tuple[float, float] = (3.0, 10.0),
    history_weight: float = -0.5,
    history_tau_bins: float = 2.0,
    history_bins: int = 5,
    drive_gain: float = 0.0,
    drive_tau_bins: float = 10.0,
    rate_hz: tuple[float, float] = (1.0, 30.0),
    bin_s: float = 0.02,
    burn: int = 200,
    seed: int = 0,
    source_history: bool = True,
    counts_seed: int | None = None,
    source_law: str = "poisson",
) -> GLMNetwork:
    """Simulate a Poisson GLM network with planted X -> Y links (see the module docstring for the model).

    Parameters
    ----------
    n_bins : int
        Bins to return (after ``burn`` discarded bins).
    n_source, n_target : int
        Neurons in the source population X and the target population Y (5-20 is the recording-like range).
    delay : int
        Planted interaction delay in bins (>= 1).
    gain : float
        Weight of every planted link on the target's log-rate per source spike; 0 plants no link.
    p_link : float
        Probability of a link for every (source, target) pair; every target neuron gets at least one link
        when ``gain`` is not 0.
    baseline_hz : (float, float)
        Range of the neurons' baseline rates (drawn uniformly, Hz).
    history_weight, history_tau_bins, history_bins : float, float, int
        Self-history filter ``h_k = history_weight * exp(-(k-1) / history_tau_bins)``, k = 1..history_bins.
    drive_gain, drive_tau_bins : float
        Weight of the shared drive z on every neuron's log-rate (0: no drive) and z's AR(1) time constant.
    rate_hz : (float, float)
        Rates are clipped to this range (Hz).
    bin_s : float
        Bin width (seconds; 0.02 = 20 ms).
    burn : int
        Bins simulated and discarded first (the history filter and z reach their stationary regime).
    seed : int
        Seed of the links, baselines, drive and counts.
    source_history : bool
        False: the source neurons have no self-history filter (i.i.d. Poisson counts in time, without a
        drive), the case whose TE :func:`glm_transfer_entropy` computes exactly.
    counts_seed : int, optional
        Seed of the drive and the counts alone: the same ``seed`` with another ``counts_seed`` gives another
        data set of the same network (None: one stream from ``seed``).
    source_law : {"poisson", "gaussian"}
        ``"gaussian"``: the source is ``n_source`` continuous channels, i.i.d. standard normal in time (a
        behavioural or field signal driving spiking neurons; no self-history, no drive, and ``counts`` holds
        floats), and a link adds ``gain * x_j(t - d)`` to the target's log-rate. :func:`glm_transfer_entropy`
        computes its TE exactly for ``n_source`` up to 2 (quadrature over the channels).

    Returns
    -------
    GLMNetwork
        Counts, the population columns, the planted links and delay, the drive and the rates.
    """
    settings = {k: v for k, v in locals().items() if k != "n_bins"}  # every keyword argument, for a rerun
    if not (isinstance(n_bins, int | np.integer) and n_bins >= 1):
        raise NeuralMIError(f"simulate_glm: `n_bins` must be an int >= 1. Got {n_bins!r}.")
    for name, v in (
        ("n_source", n_source),
        ("n_target", n_target),
        ("delay", delay),
        ("history_bins", history_bins),
    ):
        if not (isinstance(v, int | np.integer) and v >= 1):
            raise NeuralMIError(f"simulate_glm: `{name}` must be an int >= 1. Got {v!r}.")
    if source_law not in ("poisson", "gaussian"):
        raise NeuralMIError(f"simulate_glm: `source_law` must be 'poisson' or 'gaussian'. Got {source_law!r}.")
    gaussian = source_law == "gaussian"
    if gaussian and drive_gain != 0:
        raise NeuralMIError("simulate_glm: a Gaussian source (`source_law='gaussian'`) takes no shared drive; "
                            f"`drive_gain` must be 0. Got {drive_gain!r}.")
    _check("p_link", p_link, 0.0, 1.0)
    _check("bin_s", bin_s, 1e-4, 1.0)
    _check("history_tau_bins", history_tau_bins, 1e-3)
    _check("drive_tau_bins", drive_tau_bins, 1e-3)
    for name, v in (("gain", gain), ("history_weight", history_weight), ("drive_gain", drive_gain)):
        _check(name, v, -np.inf)
    lo_hz, hi_hz = rate_hz
    if not (0 < lo_hz < hi_hz <= 1 / bin_s):
        raise NeuralMIError(
            f"simulate_glm: `rate_hz` must be (low, high) with 0 < low < high <= 1 / bin_s "
            f"({1 / bin_s:g} Hz). Got {rate_hz!r}."
        )
    if not (lo_hz <= baseline_hz[0] <= baseline_hz[1] <= hi_hz):
        raise NeuralMIError(
            f"simulate_glm: `baseline_hz` must be (low, high) inside `rate_hz` {rate_hz!r}. "
            f"Got {baseline_hz!r}."
        )
    rng = np.random.default_rng(seed)
    n = n_source + n_target
    links: list[tuple[int, int]] = []
    if gain != 0:
        mask = rng.random((n_target, n_source)) < p_link
        mask[np.arange(n_target), rng.integers(0, n_source, n_target)] |= ~mask.any(1)
        links = [(int(j), int(n_source + i)) for i, j in zip(*np.nonzero(mask), strict=True)]
    w = np.zeros((n, n_source))  # rows: every neuron (the source rows stay 0), columns: source neurons
    for j, i in links:
        w[i, j] = gain
    base = np.log(rng.uniform(*baseline_hz, n) * bin_s)
    h = history_weight * np.exp(-np.arange(history_bins) / history_tau_bins)  # h[k-1] acts on lag k
    if counts_seed is not None:
        rng = np.random.default_rng([int(seed), int(counts_seed)])
    total = n_bins + burn
    z = None
    if drive_gain != 0:
        phi = np.exp(-1.0 / drive_tau_bins)
        e = rng.standard_normal(total) * np.sqrt(1 - phi**2)
        z = np.empty(total)
        z[0] = rng.standard_normal()
        for t in range(1, total):
            z[t] = phi * z[t - 1] + e[t]
    lo_b, hi_b = np.log(lo_hz * bin_s), np.log(hi_hz * bin_s)
    pad = max(history_bins, delay)
    self_mask = np.ones(n)
    if not source_history or gaussian:
        self_mask[:n_source] = 0.0
    counts = np.zeros((total + pad, n), dtype=float if gaussian else np.int64)  # ``pad`` silent bins first
    eta = np.empty((total, n))
    for t in range(total):
        s = t + pad
        drive = drive_gain * z[t] if z is not None else 0.0
        past = counts[s - history_bins : s][::-1]  # (history_bins, n): lag 1 first
        eta[t] = base + h @ past * self_mask + w @ counts[s - delay, :n_source] + drive
        if gaussian:
            counts[s, :n_source] = rng.standard_normal(n_source)
            counts[s, n_source:] = rng.poisson(np.exp(np.clip(eta[t, n_source:], lo_b, hi_b)))
        else:
            counts[s] = rng.poisson(np.exp(np.clip(eta[t], lo_b, hi_b)))
    rates = np.exp(np.clip(eta[burn:], lo_b, hi_b)) / bin_s
    if gaussian:
        rates[:, :n_source] = np.nan  # a continuous source has no rate
    return GLMNetwork(
        counts=counts[pad + burn :],
        source=np.arange(n_source),
        target=np.arange(n_source, n),
        links=tuple(links),
        delay=int(delay),
        gain=float(gain),
        drive=None if z is None else z[burn:, None],
        rates_hz=rates,
        bin_s=float(bin_s),
        seed=int(seed),
        log_baseline=base,
        history_filter=h,
        log_rate_bounds=(float(lo_b), float(hi_b)),
        source_history=bool(source_history) and not gaussian,
        settings=settings,
        source_law=source_law,
    )


#: Grid spacing of the rule over a Gaussian source's channels, by their number (on [-6.5, 6.5] per channel).
#: A uniform grid, not Gauss-Hermite: the rate clip puts kinks in the integrand, where Gauss-Hermite converges
#: slowly (32 nodes: per-bin errors up to 0.04 nats) and a uniform rule like h^2. Against a 0.01-0.025 grid on
#: [-9, 9]: per-bin errors at most 1.2e-4 (1 channel) and 3.4e-3 (2), mean over bins under 1e-4 nats.
_GRID_STEP = {1: 0.05, 2: 0.2}


def _check_closed_form(net: GLMNetwork, who: str) -> None:
    if net.source_history or net.drive is not None or net.log_baseline is None:
        raise NeuralMIError(
            f"{who}: TE has a closed form only for a source without self-history and without a shared drive: "
            "simulate with `source_history=False` and `drive_gain=0`."
        )
    if net.source_law == "gaussian" and net.source.size not in _GRID_STEP:
        raise NeuralMIError(
            f"{who}: the exact TE of a Gaussian source is computed by quadrature over its channels, at most "
            f"{max(_GRID_STEP)}; this network has {net.source.size}."
        )


def _resimulate(net: GLMNetwork, n_bins: int, counts_seed: int, burn: int) -> GLMNetwork:
    """Another run of ``net``'s network (same links, baselines and filters) with counts from ``counts_seed``."""
    if net.settings is None:
        raise NeuralMIError(
            "glm_transfer_entropy: `net` must come from simulate_glm (its settings are missing)."
        )
    if counts_seed == net.settings["counts_seed"]:
        raise NeuralMIError(
            f"glm_transfer_entropy: `counts_seed` {counts_seed} is the data set's own; pick another so that the "
            "ground truth is independent of the data."
        )
    return simulate_glm(n_bins, **{**net.settings, "counts_seed": counts_seed, "burn": burn})


def _source_drive_distribution(net: GLMNetwork, tail: float = 1e-9) -> tuple[np.ndarray, np.ndarray, float]:
    """The exact distribution of the linked source spikes every target neuron sees: v = L x, L the link mask.

    For a Gaussian source (``source_law="gaussian"``): the nodes of a uniform product rule over its channels
    (``_GRID_STEP``) mapped to v, their log-weights under the standard normal density, and 0.

    Source neurons are independent Poisson with rates ``exp(log_baseline)``; the distribution of v is built by
    convolving one neuron at a time (counts up to a tail below ``tail`` per neuron; vectors below ``tail`` are
    dropped and the rest renormalised). Returns the distinct vectors, shape (V, n_target), their log-probs, and
    the mass dropped (on the networks of benchmarks/diagnosis/te9_glm_exact.py: 82-5,965 vectors, dropped mass
    1e-8 to 1.6e-6).
    """
    from scipy.stats import poisson

    nx, ny = net.source.size, net.target.size
    lo, hi = net.log_rate_bounds
    mask = net.weights != 0  # (n_target, n_source)
    if net.source_law == "gaussian":  # a uniform product rule under the standard normal density
        u = np.arange(-6.5, 6.5 + 1e-9, _GRID_STEP[nx])
        grid = np.stack(np.meshgrid(*([u] * nx), indexing="ij"), -1).reshape(-1, nx)
        logp = -0.5 * (grid**2).sum(1)
        logp -= np.log(np.exp(logp).sum())
        return grid @ mask.T.astype(float), logp, 0.0
    dist: dict[tuple[int, ...], float] = {(0,) * ny: 1.0}
    for j in range(nx):
        mu = float(np.exp(np.clip(net.log_baseline[j], lo, hi)))
        kmax = int(poisson.isf(tail, mu)) + 1
        pk = poisson.pmf(np.arange(kmax + 1), mu)
        col = mask[:, j].astype(int)
        new: dict[tuple[int, ...], float] = {}
        for v, pv in dist.items():
            for k in range(kmax + 1):
                q = pv * pk[k]
                if q < tail:
                    continue
                key = tuple(int(a + k * c) for a, c in zip(v, col, strict=True))
                new[key] = new.get(key, 0.0) + q
        dist = new
    vs = np.array(list(dist), dtype=float).reshape(len(dist), ny)
    ps = np.array(list(dist.values()))
    return vs, np.log(ps / ps.sum()), 1.0 - float(ps.sum())


def glm_te_log_ratio(net: GLMNetwork, parts: bool = False) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Per bin, ``log p(y_t | y_past, x_{t-d}) - log p(y_t | y_past)`` for an i.i.d. source (no drive).

    Its mean over a long run is TE(X -> Y) at the planted delay (see :func:`glm_transfer_entropy`); over one
    data set's bins it is that data set's own (sample) TE. Bins whose past reaches before the first one are
    left out, so the result has ``n_bins - max(history_bins, delay)`` entries. ``parts=True`` returns the two
    log-likelihoods, ``log p(y_t | y_past, x_{t-d})`` and ``log p(y_t | y_past)``, instead of their difference.
    """
    from scipy.special import gammaln, logsumexp

    _check_closed_form(net, "glm_te_log_ratio")
    h, (lo, hi) = net.history_filter, net.log_rate_bounds
    kh, d = h.size, net.delay
    y, x = net.y.astype(float), net.x.astype(float)
    start = max(kh, d)
    t = np.arange(start, y.shape[0])
    # the target's own-history part of the log-rate: base + sum_k h_k y(t - k)
    a = net.log_baseline[net.target][None, :] + sum(h[k - 1] * y[t - k] for k in range(1, kh + 1))
    w = net.weights  # (n_target, n_source)
    yt = y[t]
    lf = np.exp(np.clip(a + x[t - d] @ w.T, lo, hi))
    log_full = (yt * np.log(lf) - lf - gammaln(yt + 1)).sum(1)
    vs, logp, _ = _source_drive_distribution(net)
    log_red = np.empty(t.size)
    chunk = max(1, int(2e7 // (vs.shape[0] * vs.shape[1])))  # about 160 MB per array
    for s0 in range(0, t.size, chunk):
        sl = slice(s0, s0 + chunk)
        lam = np.exp(np.clip(a[sl, None, :] + net.gain * vs[None], lo, hi))  # (B, V, n_target)
        ll = (yt[sl, None, :] * np.log(lam) - lam).sum(2) - gammaln(yt[sl] + 1).sum(1)[:, None]
        log_red[sl] = logsumexp(ll + logp[None], axis=1)
    return (log_full, log_red) if parts else log_full - log_red


def glm_transfer_entropy(
    net: GLMNetwork, *, n_bins: int = 400_000, counts_seed: int = 999_999, burn: int = 200
) -> tuple[float, float]:
    """Exact TE(X -> Y) in nats at the planted delay of a network simulated with ``source_history=False``.

    The sum over the source's counts is exact; the expectation over the target's stationary past is a Monte
    Carlo mean of :func:`glm_te_log_ratio` over ``n_bins`` bins of the same network (its parameters rebuilt
    from ``net``'s seed and settings, its counts from ``counts_seed``, independent of ``net``'s own bins).
    Returns (TE, its Monte Carlo standard error). TE is 0 at every other delay and in the reverse direction,
    for a target history of at least ``history_bins`` bins and any source history length (``k_source``).
    """
    _check_closed_form(net, "glm_transfer_entropy")
    long = _resimulate(net, n_bins, counts_seed, burn)
    r = glm_te_log_ratio(long)
    return float(r.mean()), float(r.std(ddof=1) / np.sqrt(r.size))


def cross_correlogram(a: np.ndarray, b: np.ndarray, max_lag: int) -> tuple[np.ndarray, np.ndarray]:
    """Normalised cross-correlogram of two count series: ``corr(a(t - lag), b(t))`` for lag in -max_lag..max_lag.

    A positive lag means ``a`` leads ``b``; for a planted X -> Y link at delay d, ``a = x.sum(1)`` and
    ``b = y.sum(1)`` peak at lag d. Without a link (and without a drive) every value is within sampling noise
    of 0 (s.d. about ``1 / sqrt(n_bins)``).

    Returns
    -------
    lags : ndarray of int, shape (2 max_lag + 1,)
    ccg : ndarray of float, shape (2 max_lag + 1,)
    """
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    if a.ndim != 1 or a.shape != b.shape or a.size <= 2 * max_lag + 2:
        raise NeuralMIError(
            f"cross_correlogram: expected two 1-D series of one length > 2 max_lag + 2 "
            f"({2 * max_lag + 2}). Got shapes {a.shape} and {b.shape}."
        )
    lags = np.arange(-max_lag, max_lag + 1)
    out = np.empty(lags.size)
    for k, lag in enumerate(lags):
        aa, bb = (a[: a.size - lag], b[lag:]) if lag >= 0 else (a[-lag:], b[: b.size + lag])
        out[k] = np.corrcoef(aa, bb)[0, 1]
    return lags, out
