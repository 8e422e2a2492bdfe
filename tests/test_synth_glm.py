"""Poisson GLM spiking networks (issue 21 item 4): rates, planted links and delays, the cross-correlogram."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from neuralmi_core.synth import glm
from neuralmi_core.synth.glm import cross_correlogram, simulate_glm
from neuralmi_core.validation import NeuralMIError

N = 20_000


@pytest.mark.parametrize("drive_gain", [0.0, 1.5])
def test_rates_stay_physiological_and_counts_match_them(drive_gain):
    net = simulate_glm(N, n_source=12, n_target=7, delay=2, gain=2.0, drive_gain=drive_gain, seed=3)
    assert net.counts.shape == (N, 19) and net.counts.dtype.kind == "i" and (net.counts >= 0).all()
    assert net.rates_hz.min() >= 1.0 - 1e-9 and net.rates_hz.max() <= 30.0 + 1e-9
    # the empirical mean rate of every neuron is its mean clipped rate, within Poisson noise
    emp = net.counts.mean(0) / net.bin_s
    np.testing.assert_allclose(emp, net.rates_hz.mean(0), rtol=0.1)
    assert ((emp >= 1.0) & (emp <= 30.0)).all()
    assert (net.drive is None) == (drive_gain == 0)
    if net.drive is not None:
        assert net.drive.shape == (N, 1) and abs(net.drive.std() - 1) < 0.15


def test_planted_link_raises_the_cross_correlogram_at_the_planted_delay_only():
    for delay in (1, 3, 5):
        net = simulate_glm(N, n_source=8, n_target=8, delay=delay, gain=1.0, seed=delay)
        lags, ccg = cross_correlogram(net.x.sum(1), net.y.sum(1), max_lag=8)
        noise = 1 / np.sqrt(N)
        assert lags[np.argmax(ccg)] == delay
        assert ccg[lags == delay][0] > 10 * noise
        # Y never acts on X: the correlogram at negative lags (Y leading) is flat
        assert np.abs(ccg[lags < 0]).max() < 5 * noise


def test_no_link_gives_a_flat_cross_correlogram():
    net = simulate_glm(N, n_source=8, n_target=8, delay=2, gain=0.0, seed=1)
    assert net.links == () and not net.weights.any()
    _, ccg = cross_correlogram(net.x.sum(1), net.y.sum(1), max_lag=8)
    assert np.abs(ccg).max() < 5 / np.sqrt(N)


def test_a_shared_drive_correlates_unlinked_populations():
    net = simulate_glm(N, n_source=8, n_target=8, gain=0.0, drive_gain=1.0, seed=2)
    lags, ccg = cross_correlogram(net.x.sum(1), net.y.sum(1), max_lag=8)
    assert lags[np.argmax(ccg)] == 0 and ccg.min() > 10 / np.sqrt(N)  # broad, symmetric: not a directed link


def test_links_weights_and_seed():
    net = simulate_glm(2000, n_source=6, n_target=5, delay=4, gain=0.8, p_link=0.2, seed=7)
    assert list(net.source) == list(range(6)) and list(net.target) == list(range(6, 11))
    assert all(j in net.source and i in net.target for j, i in net.links)
    w = net.weights
    assert w.shape == (5, 6) and set(np.unique(w)) <= {0.0, 0.8}
    assert (w > 0).any(1).all()  # every target neuron receives at least one link
    assert int((w > 0).sum()) == len(net.links) and net.delay == 4
    again = simulate_glm(2000, n_source=6, n_target=5, delay=4, gain=0.8, p_link=0.2, seed=7)
    np.testing.assert_array_equal(again.counts, net.counts)
    assert again.links == net.links
    assert not np.array_equal(simulate_glm(2000, n_source=6, n_target=5, seed=8).counts, net.counts)


def test_module_example_runs():
    assert doctest.testmod(glm, raise_on_error=False).failed == 0


@pytest.mark.parametrize(
    "kwargs,words",
    [
        ({"n_bins": 0}, r"`n_bins` must be an int >= 1. Got 0"),
        ({"n_source": 0}, r"`n_source` must be an int >= 1. Got 0"),
        ({"delay": 0}, r"`delay` must be an int >= 1. Got 0"),
        ({"delay": 1.5}, r"`delay` must be an int >= 1. Got 1.5"),
        ({"p_link": 1.5}, r"`p_link` must be in \[0.0, 1.0\]. Got 1.5"),
        ({"gain": float("nan")}, r"`gain` must be in"),
        (
            {"rate_hz": (5.0, 2.0)},
            r"`rate_hz` must be \(low, high\) with 0 < low < high <= 1 / bin_s \(50 Hz\)",
        ),
        ({"rate_hz": (1.0, 80.0)}, r"`rate_hz` must be"),
        ({"baseline_hz": (0.5, 10.0)}, r"`baseline_hz` must be \(low, high\) inside `rate_hz`"),
        ({"drive_tau_bins": 0.0}, r"`drive_tau_bins` must be in"),
    ],
)
def test_bad_parameters_are_refused(kwargs, words):
    kw = {"n_bins": 100, **kwargs}
    with pytest.raises(NeuralMIError, match=words):
        simulate_glm(kw.pop("n_bins"), **kw)


@pytest.mark.parametrize(
    "a,b,words",
    [
        (np.zeros(10), np.zeros(10), r"length > 2 max_lag \+ 2 \(12\)"),
        (np.zeros(50), np.zeros(49), r"Got shapes \(50,\) and \(49,\)"),
        (np.zeros((50, 2)), np.zeros((50, 2)), "expected two 1-D series"),
    ],
)
def test_cross_correlogram_refuses_bad_series(a, b, words):
    with pytest.raises(NeuralMIError, match=words):
        cross_correlogram(a, b, max_lag=5)


# --- the exact TE of a network with an i.i.d. source (DIAGNOSIS.md section 39) ---------------------------------


def _plug_in_te(net) -> float:
    """Plug-in I(x_{t-d}; y_t | y_{t-1}) of a one-neuron source and target with a one-bin history (an
    estimate independent of glm_transfer_entropy's sum and Monte Carlo; bias about (cells) / (2 n), 1e-4 here)."""
    from collections import Counter

    x, y, d = net.x[:, 0], net.y[:, 0], net.delay
    t = np.arange(max(1, d), y.size)
    trip = Counter(zip(x[t - d].tolist(), y[t - 1].tolist(), y[t].tolist(), strict=True))
    xz, zy, z = Counter(), Counter(), Counter()
    for (a, b, c), k in trip.items():
        xz[a, b] += k
        zy[b, c] += k
        z[b] += k
    return sum(k / t.size * np.log(k * z[b] / (xz[a, b] * zy[b, c])) for (a, b, c), k in trip.items())


@pytest.mark.parametrize("seed", [0, 1])
def test_exact_te_matches_an_independent_plug_in_estimate(seed):
    kw = {"n_source": 1, "n_target": 1, "delay": 2, "gain": 1.5, "history_bins": 1, "history_weight": -1.0,
          "baseline_hz": (15.0, 25.0), "rate_hz": (1.0, 50.0), "source_history": False, "seed": seed}
    net = simulate_glm(200_000, counts_seed=1, **kw)
    te, se = glm.glm_transfer_entropy(net, n_bins=200_000)
    assert 0.04 < te < 0.12 and 0 < se < 0.0015
    # both carry Monte Carlo noise of about se (seed spread measured: |difference| <= 0.0007 over 3 networks)
    assert abs(_plug_in_te(net) - te) < 4 * np.sqrt(2) * se + 3e-4
    # the data set's own sample TE is the same statistic on its own bins
    assert abs(glm.glm_te_log_ratio(net).mean() - te) < 4 * np.sqrt(2) * se


def test_source_drive_distribution_is_the_exact_law_of_the_linked_counts():
    net = simulate_glm(50, n_source=3, n_target=2, delay=1, gain=1.0, p_link=0.6, source_history=False, seed=4)
    vs, logp, dropped = glm._source_drive_distribution(net)
    assert np.isclose(np.exp(logp).sum(), 1.0) and len({tuple(v) for v in vs}) == len(vs) and 0 <= dropped < 1e-6
    # brute force: enumerate the three source neurons' counts
    from scipy.stats import poisson

    mu = np.exp(net.log_baseline[:3])
    mask = (net.weights != 0).astype(int)
    brute: dict = {}
    for c in np.ndindex(12, 12, 12):
        key = tuple(mask @ np.array(c))
        brute[key] = brute.get(key, 0.0) + np.prod(poisson.pmf(c, mu))
    for v, lp in zip(vs, logp, strict=True):
        assert np.isclose(np.exp(lp), brute[tuple(int(a) for a in v)], rtol=1e-8, atol=1e-8)  # vectors under 1e-9 are dropped


def test_exact_te_is_zero_without_links_and_the_data_stream_is_separate():
    net = simulate_glm(3000, n_source=4, n_target=3, gain=0.0, source_history=False, seed=5)
    np.testing.assert_allclose(glm.glm_te_log_ratio(net), np.zeros(3000 - 5), atol=1e-12)
    a = simulate_glm(3000, n_source=4, n_target=3, source_history=False, seed=5, counts_seed=1)
    b = simulate_glm(3000, n_source=4, n_target=3, source_history=False, seed=5, counts_seed=2)
    assert a.links == b.links and np.array_equal(a.log_baseline, b.log_baseline)
    assert not np.array_equal(a.counts, b.counts)
    # a source without self-history has i.i.d. counts: no autocorrelation at lag 1
    s = a.x.sum(1).astype(float)
    assert abs(np.corrcoef(s[:-1], s[1:])[0, 1]) < 4 / np.sqrt(s.size)


@pytest.mark.parametrize(
    "kwargs,words",
    [
        ({}, "only for a source without self-history"),
        ({"source_history": False, "drive_gain": 1.0}, "without a shared drive"),
    ],
)
def test_exact_te_refuses_networks_without_a_closed_form(kwargs, words):
    net = simulate_glm(200, n_source=3, n_target=3, seed=0, **kwargs)
    with pytest.raises(NeuralMIError, match=words):
        glm.glm_transfer_entropy(net)


def test_exact_te_refuses_the_data_sets_own_counts_seed():
    net = simulate_glm(200, n_source=3, n_target=3, source_history=False, seed=0, counts_seed=7)
    with pytest.raises(NeuralMIError, match="`counts_seed` 7 is the data set's own"):
        glm.glm_transfer_entropy(net, counts_seed=7)


# --- a continuous (Gaussian) source driving spiking targets (DIAGNOSIS.md section 40) ----------------------------


def test_a_gaussian_source_is_iid_standard_normal_and_drives_spiking_targets():
    net = simulate_glm(20_000, n_source=2, n_target=4, delay=2, gain=0.8, p_link=0.5, source_law="gaussian", seed=3)
    x, y = net.x, net.y
    assert x.dtype == float and net.source_law == "gaussian" and not net.source_history
    assert abs(x.mean()) < 0.03 and abs(x.std() - 1) < 0.02
    assert abs(np.corrcoef(x[:-1, 0], x[1:, 0])[0, 1]) < 4 / np.sqrt(x.shape[0])  # i.i.d. in time
    assert np.array_equal(y, np.round(y)) and y.min() >= 0
    assert np.isnan(net.rates_hz[:, :2]).all() and np.isfinite(net.rates_hz[:, 2:]).all()
    # the planted delay: the linked channel moves its target's counts d bins later, not at d + 1
    j, i = net.links[0]
    c = [np.corrcoef(x[: -lag, j], net.counts[lag:, i])[0, 1] for lag in (2, 3)]
    assert c[0] > 10 / np.sqrt(x.shape[0]) and abs(c[1]) < 4 / np.sqrt(x.shape[0])


@pytest.mark.parametrize("n_source", [1, 2])
def test_gaussian_source_quadrature_matches_a_fine_grid(n_source):
    """The reduced term's integral over the channels against the same integral on a grid 5-8 times finer and
    wider (the rule converges like h^2 at the rate clip's kinks): per bin within the measured 1.2e-4 / 3.4e-3
    nats (on 2 x 2 networks), and its mean over bins, what TE averages, within 1e-4."""
    from scipy.special import gammaln, logsumexp

    net = simulate_glm(300, n_source=n_source, n_target=4, delay=1, gain=0.8, p_link=0.7, source_law="gaussian",
                       seed=6)
    _, log_red = glm.glm_te_log_ratio(net, parts=True)
    u = np.linspace(-9, 9, 1801 if n_source == 1 else 721)
    grid = np.stack(np.meshgrid(*([u] * n_source), indexing="ij"), -1).reshape(-1, n_source)
    logw = (-0.5 * grid**2 - 0.5 * np.log(2 * np.pi) + np.log(u[1] - u[0])).sum(1)
    v = grid @ (net.weights != 0).T.astype(float)
    h, (lo, hi), y = net.history_filter, net.log_rate_bounds, net.y.astype(float)
    err = []
    for t in range(h.size, y.shape[0], 7):
        a = net.log_baseline[net.target] + sum(h[k - 1] * y[t - k] for k in range(1, h.size + 1))
        lam = np.exp(np.clip(a + net.gain * v, lo, hi))
        ll = (y[t] * np.log(lam) - lam).sum(1) - gammaln(y[t] + 1).sum()
        err.append(logsumexp(ll + logw) - log_red[t - h.size])
    assert np.abs(err).max() < (2e-4 if n_source == 1 else 5e-3) and abs(np.mean(err)) < 1e-4


def test_gaussian_source_exact_te_is_positive_with_links_and_zero_without():
    kw = {"n_source": 2, "n_target": 3, "delay": 1, "p_link": 0.5, "source_law": "gaussian", "seed": 2}
    te, se = glm.glm_transfer_entropy(simulate_glm(100, gain=0.5, **kw), n_bins=20_000)
    assert 0.02 < te and 0 < se < 0.05 * te
    np.testing.assert_allclose(glm.glm_te_log_ratio(simulate_glm(500, gain=0.0, **kw)), 0.0, atol=1e-12)


@pytest.mark.parametrize(
    "kwargs,words",
    [
        ({"source_law": "lognormal"}, "`source_law` must be 'poisson' or 'gaussian'"),
        ({"source_law": "gaussian", "drive_gain": 1.0}, "takes no shared drive"),
    ],
)
def test_bad_source_laws_are_refused(kwargs, words):
    with pytest.raises(NeuralMIError, match=words):
        simulate_glm(100, **kwargs)


def test_exact_te_of_a_gaussian_source_refuses_more_than_two_channels():
    net = simulate_glm(100, n_source=3, n_target=3, source_law="gaussian", seed=0)
    with pytest.raises(NeuralMIError, match="at most 2; this network has 3"):
        glm.glm_transfer_entropy(net)
