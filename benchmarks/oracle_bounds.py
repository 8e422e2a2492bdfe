"""What the bounds give with the *true* critic: InfoNCE's finite-K shortfall, separate from learning (issue 13).

For a task whose density is known, the optimal critic is the log density ratio f*(x, y) = log p(x, y) -
log p(x) - log p(y). With f* plugged in, InfoNCE on K paired samples,

    I_NCE(K) = mean_i [ f*(x_i, y_i) - log( (1/K) sum_j exp f*(x_i, y_j) ) ],

is what a perfectly trained critic would score on a held-out set of K samples (K = n_eval: 1000 at
N = 5000, 2048 at N = 20000; the training batch is 256). Its shortfall from the true MI is the bound's own
bias, which no critic or optimiser can remove; the rest of an estimate's error is learning. MI is
invariant to the invertible maps of the transformed tasks, and so is f*, so those are scored on their
base samples (the tuned populations on their encoded variable). Not a test; prints a table (mean ± sd over ``--reps`` draws).

    python benchmarks/oracle_bounds.py [--k 256,1000,2048] [--reps 5] [--tasks student spiral]
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from scipy import special, stats

from neuralmi_core import distributions as D
from neuralmi_core import populations as P
from neuralmi_core.samplers import CorrelatedGaussian, Independent
from neuralmi_core.suite import select_tasks


def gaussian_ratio(cov: np.ndarray, dx: int):
    prec = np.linalg.inv(cov)
    px, py = np.linalg.inv(cov[:dx, :dx]), np.linalg.inv(cov[dx:, dx:])
    const = 0.5 * (np.linalg.slogdet(cov[:dx, :dx])[1] + np.linalg.slogdet(cov[dx:, dx:])[1]
                   - np.linalg.slogdet(cov)[1])

    def f(x: np.ndarray, y: np.ndarray) -> np.ndarray:  # all pairs: (K, K)
        a, b, c = prec[:dx, :dx], prec[:dx, dx:], prec[dx:, dx:]
        qx = np.einsum("id,de,ie->i", x, a - px, x)
        qy = np.einsum("jd,de,je->j", y, c - py, y)
        cross = 2 * x @ b @ y.T
        return const - 0.5 * (qx[:, None] + qy[None, :] + cross)

    return f


def student_ratio(s: D.MultiStudentT):
    dx, nu, disp = s.dim_x, s.df, s.dispersion
    prec = np.linalg.inv(disp)
    d = disp.shape[0]

    def logt(q: np.ndarray, k: int, logdet: float) -> np.ndarray:
        return (special.gammaln((nu + k) / 2) - special.gammaln(nu / 2) - 0.5 * k * np.log(nu * np.pi)
                - 0.5 * logdet - 0.5 * (nu + k) * np.log1p(q / nu))

    def f(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        a, b, c = prec[:dx, :dx], prec[:dx, dx:], prec[dx:, dx:]
        q = (np.einsum("id,de,ie->i", x, a, x)[:, None] + np.einsum("jd,de,je->j", y, c, y)[None, :]
             + 2 * x @ b @ y.T)
        qx = np.einsum("id,de,ie->i", x, np.linalg.inv(disp[:dx, :dx]), x)
        qy = np.einsum("jd,de,je->j", y, np.linalg.inv(disp[dx:, dx:]), y)
        return (logt(q, d, np.linalg.slogdet(disp)[1]) - logt(qx, dx, np.linalg.slogdet(disp[:dx, :dx])[1])[:, None]
                - logt(qy, d - dx, np.linalg.slogdet(disp[dx:, dx:])[1])[None, :])

    return f


def xmixture_ratio(s: D.XMixture):
    q = 1 - s.rho**2

    def f(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        out = 0.0
        for i in range(s.n_pairs):
            a, b = x[:, i][:, None], y[:, i][None, :]
            cross = s.rho * a * b / q
            out = out + (-(a * a + b * b) / (2 * q) - np.log(4 * np.pi * np.sqrt(q)) + np.logaddexp(cross, -cross)
                         - stats.norm.logpdf(a) - stats.norm.logpdf(b))
        return out

    return f


def poisson_ratio(s: D.PoissonPopulation):
    grid = np.linspace(-7, 7, 561)
    log_w = np.log(stats.norm.pdf(grid) * (grid[1] - grid[0]))
    m = len(s.rates)

    def log_lik(counts: np.ndarray, log_rate: np.ndarray) -> np.ndarray:
        return (counts * log_rate - np.exp(log_rate) - special.gammaln(counts + 1)).sum(-1)

    def f(x: np.ndarray, z: np.ndarray) -> np.ndarray:
        out = np.zeros((x.shape[0], z.shape[0]))
        for j in range(s.latent_dim):
            cols = slice(2 * m * j, 2 * m * (j + 1))
            zg = np.zeros((grid.size, s.latent_dim))
            zg[:, j] = grid
            log_px = special.logsumexp(log_lik(x[:, None, cols], s.log_rates(zg)[None, :, cols]) + log_w, axis=1)
            out += log_lik(x[:, None, cols], s.log_rates(z)[None, :, cols]) - log_px[:, None]
        return out

    return f


class _TunedBase:
    """A tuned population (neuralmi_core.populations) sampled as (counts, encoded variable u): Y is an invertible
    function of u, so f* is the same, and scoring needs the rates at u."""

    def __init__(self, s):
        self.s = s

    def sample(self, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed)
        u = self.s._draw(rng, n)
        return rng.poisson(self.s._rates(u)).astype(float), u


def tuned_ratio(s):
    pts, logw = s._grid()
    log_rq, sum_rq = np.log(s._rates(pts)), s._rates(pts).sum(1)

    def f(x: np.ndarray, u: np.ndarray) -> np.ndarray:  # log p(x|u) - log p(x), the log x! cancelling
        r = s._rates(u)
        log_px = special.logsumexp(x @ log_rq.T - sum_rq[None, :] + logw[None, :], axis=1)
        return x @ np.log(r).T - r.sum(1)[None, :] - log_px[:, None]

    return f


def oracle(sampler):
    """(base sampler, all-pairs log-ratio function) or None when the density is not available here."""
    if isinstance(sampler, D.Transformed):
        return oracle(sampler.base)
    if isinstance(sampler, D.SwissRoll):
        r = sampler.correlation
        return D.MultiNormal(np.array([[1.0, r], [r, 1.0]]), 1), gaussian_ratio(np.array([[1.0, r], [r, 1.0]]), 1)
    if isinstance(sampler, CorrelatedGaussian) and not sampler.mix and not sampler.spiral and \
            sampler.transform == "identity":
        d = sampler.dim_x + sampler.dim_y
        cov = np.eye(d)
        for i in range(sampler.pairs):
            cov[i, sampler.dim_x + i] = cov[sampler.dim_x + i, i] = sampler.rho
        return sampler, gaussian_ratio(cov, sampler.dim_x)
    if isinstance(sampler, D.MultiNormal):
        return sampler, gaussian_ratio(sampler.cov, sampler.dim_x)
    if isinstance(sampler, D.MultiStudentT):
        return sampler, student_ratio(sampler)
    if isinstance(sampler, D.XMixture):
        return sampler, xmixture_ratio(sampler)
    if isinstance(sampler, D.PoissonPopulation):
        return sampler, poisson_ratio(sampler)
    if isinstance(sampler, Independent):
        return sampler, lambda x, y: np.zeros((x.shape[0], y.shape[0]))
    if isinstance(sampler, P._Tuned) and sampler.tau_bins == 0:
        return _TunedBase(sampler), tuned_ratio(sampler)
    return None


def infonce(scores: np.ndarray) -> float:
    k = scores.shape[0]
    return float(np.mean(np.diag(scores) - special.logsumexp(scores, axis=1) + np.log(k)))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tasks", nargs="*", default=None)
    p.add_argument("--k", default="256,1000,2048")
    p.add_argument("--reps", type=int, default=5)
    args = p.parse_args(argv)
    ks = [int(v) for v in args.k.split(",")]
    print(f"{'task':<27}{'true':>7}{'E f*(x,y)':>11}" + "".join(f"{'InfoNCE K=' + str(k):>20}" for k in ks))
    for task in select_tasks(args.tasks):
        found = oracle(task.sampler)
        if found is None:
            print(f"{task.name:<27}{task.mi:>7.3f}  (no density here)")
            continue
        base, f = found
        cells, diag = [], []
        for k in ks:
            vals = []
            for r in range(args.reps):
                x, y = base.sample(k, seed=1000 + r)
                s = f(x, y)
                vals.append(infonce(s))
                diag.append(float(np.mean(np.diag(s))))
            rel = (np.mean(vals) - task.mi) / task.mi if task.mi > 0 else float("nan")
            cells.append(f"{np.mean(vals):>8.3f}±{np.std(vals):.3f} ({rel:+.0%})")
        print(f"{task.name:<27}{task.mi:>7.3f}{np.mean(diag):>11.3f}" + "".join(f"{c:>20}" for c in cells), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
