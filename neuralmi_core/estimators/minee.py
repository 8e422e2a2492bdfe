"""MI-NEE: mutual information neural entropic estimation (Chan et al. 2019), with a choice of reference.

For any *product* reference distribution Q_XY = Q_X x Q_Y that covers the data,

    I(X; Y) = D(P_XY || Q_XY) - D(P_X || Q_X) - D(P_Y || Q_Y)          (Prop. 2, eq. 15a)

because the cross-entropy terms of H(X) + H(Y) - H(X, Y) cancel. Each divergence is estimated by its
Donsker-Varadhan lower bound with its own network,

    D(P_Z || Q_Z) >= E_P[f(Z)] - log E_Q[exp f(Z')]                   (eq. 7c, 10)

so the three critics f_0(x, y), f_1(x), f_2(y) are trained to maximise their own bound and

    I_hat = DV(f_0) - DV(f_1) - DV(f_2)                                (eq. 18)

References (option ``reference``):

- ``"gaussian"`` (default): Q_X = N(mean_X, Cov_X), Q_Y = N(mean_Y, Cov_Y), fitted on each member's
  training set (within-block covariances; X and Y independent under Q). For Gaussian-like data (and
  the default copula preprocessing makes every marginal Gaussian) D(P_X || Q_X) and D(P_Y || Q_Y) are
  near zero and D(P_XY || Q_XY) near the MI, so the three DV bounds have small partition-function
  variance (it grows like exp(Renyi-2 divergence)) and their errors stay small.
- ``"uniform"``: the paper's reference, uniform on the training data's bounding box (widened by
  ``pad``). Its divergences grow with the box volume (about 0.66 nats per z-scored Gaussian dimension
  plus the MI); the variance of log E_U[exp f] grows exponentially with them, so this variant is
  accurate only in a few dimensions (1 + 1 dims: 1.02 for 1 nat; 5 + 5 dims: 0.34-2.02 over seeds;
  20 + 20 dims / 4 nats: 74.8, where the Gaussian reference gave 4.02 - ``benchmarks/accuracy.py``).

The reference expectations use fresh reference samples every step, ``ref_ratio`` times the batch size
(the partition term's bias and variance shrink with the reference sample; the paper uses 10x to 300x). The
default 2 (10 before issue 23) costs a third of the training of 10, with the same MI within seed spread on the
two tasks measured (``benchmarks/README.md``, MI-NEE cost): with the Gaussian reference the divergences are
small, so ``exp f`` varies little over the reference and a small sample estimates its mean well. The uniform
reference has large divergences: raise ``ref_ratio`` and ``eval_ref`` with it.
Held-out MI is evaluated on the held-out sample against a fixed, seeded reference sample of
``max(ref_ratio * n_eval, eval_ref)`` points (so that successive evaluations differ only through the
networks, and the checkpoint rule does not chase Monte-Carlo noise).

All K ensemble members are evaluated at once with :class:`~neuralmi_core.models.layers.BatchedMLP`.

**Sides without a density** (option ``empirical_sides``). Spike counts have no density, and neither have
features on a lower-dimensional set ((cos, sin) of an angle): against a continuous reference D(P_X||Q_X) is
infinite in principle, and the estimate a difference of large, under-fitted divergences. Such a side's reference
is its own training sample instead: Q_X draws whole training rows (each side independently of the other), so
D(P_X||Q_X) = 0 exactly, its critic is switched off, and

    I(X; Y) = D(P_XY || P_X x Q_Y) - D(P_Y || Q_Y)

still holds, Q_Y being the continuous reference or, when Y has no density either, Y's own sample (then the
estimate is the Donsker-Varadhan bound on D(P_XY || P_X x P_Y)). ``fit_ensemble`` decides which sides (``auto``):
all features integer-valued, or the continuous features reading lower-dimensional (:mod:`neuralmi_core.intrinsic`);
measured in benchmarks/DIAGNOSIS.md section 44.

**Spike counts against a variable** (option ``joint_critic``). Where exactly one side holds spike counts and has its
empirical reference, the joint critic is :class:`PoissonJoint`, an encoding model of the counts given the other side
less its own marginal over anchor rows, instead of an MLP of [x, y]; ``fit_ensemble`` puts the counts on x, raw
(benchmarks/DIAGNOSIS.md section 51).

The reference is fitted to the data the objective sees (the trainer feeds preprocessed data): on the
full training set when the trainer calls :meth:`prepare`; otherwise the box grows with the training
batches it is given and the Gaussian is fitted on the first batch.

References
----------
C. Chan, A. Al-Bashabsheh, H. P. Huang, M. Lim, D. S. H. Tam, C. Zhao. Neural entropic estimation: a
faster path to mutual information estimation. arXiv:1905.12957 (2019).
M. D. Donsker, S. R. S. Varadhan. Asymptotic evaluation of certain Markov process expectations for large
time IV. Comm. Pure Appl. Math. 36 (1983).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from ..models.critics import Embedding, start_rates_at_mean_counts
from ..models.layers import BatchedLinear, BatchedMLP
from ..settings.options import ESTIMATOR_OPTIONS, MINEE_EMPIRICAL, MINEE_JOINT, MINEE_REFERENCES
from ..settings.options import parse_options as _parse_options
from ..validation import NeuralMIError, check_choice, check_int

REFERENCES = MINEE_REFERENCES
#: Estimator-specific settings (``ModelSpec.options``), declared in :mod:`neuralmi_core.settings.options`.
DEFAULT_OPTIONS: dict[str, Any] = ESTIMATOR_OPTIONS["minee"].defaults()


def parse_options(options: dict[str, Any] | None) -> dict[str, Any]:
    """Fill defaults into MINEE ``options`` and check them; unknown keys raise :class:`NeuralMIError`."""
    return _parse_options("minee", options)


class PoissonJoint(nn.Module):
    """MI-NEE's joint critic for spike counts x (K, M, n_neurons) and any y, on paired points z = [x, y]:

        f(x, y) = l(x | y) - log (1/A) sum_a exp l(x | y_a) + a(x) + b(y),   l(x | y) = sum_n [x_n log r_n(y) - r_n(y)]

    with rates r(y) = softplus(u(y) W + c), u(y) an ``embedding_dim``-wide MLP embedding of y whose extra output is
    b(y), a(x) an MLP of log1p(x), and y_1..y_A ``n_anchors`` training rows of y drawn once (:meth:`prepare`).

    Why: against the reference P_X x Q_Y (x's own training rows, y's continuous reference) the optimal joint critic
    is log p(x | y) - log p(x) + log p(y) / q(y) + const. For neurons that are conditionally independent and Poisson
    given y, l(x | y) is log p(x | y) up to -log x!, and the encoding model's own marginal, the mean of p(x | y_a)
    over the anchors, estimates p(x) (up to the same term), so the first two terms are the log-ratio and a(x), b(y)
    learn only what the model misses and log p(y) / q(y). Without the anchor term a(x) alone had to learn -log p(x),
    the density of a whole population's count vectors, and fell short: N = 5000, data set 1, the poisson joint critic
    without anchors was 9-21 % low on four count tasks (place cells in 2-d -20 %, 16 Poisson neurons -20 %), with
    them 3-13 % (benchmarks/DIAGNOSIS.md section 51). The same rate model as the InfoNCE critic ``poisson``
    (:class:`~neuralmi_core.models.critics.PoissonCritic`), evaluated on pairs. A fixed function of (x, y) once
    the anchors are drawn, so the Donsker-Varadhan bound stays valid; a misspecified rate model is only looser.
    x must be the raw counts."""

    def __init__(self, n_members: int, dim_x: int, dim_y: int, embedding_dim: int, hidden: int, n_layers: int,
                 activation: str, n_anchors: int = 512):
        super().__init__()
        self.dim_x = dim_x
        self.h = Embedding(n_members, dim_y, embedding_dim, hidden, n_layers, activation, n_scalars=1)
        self.rate = BatchedLinear(n_members, embedding_dim, dim_x)
        self.a = BatchedMLP(n_members, dim_x, 1, hidden, n_layers, activation)
        self.n_anchors = n_anchors
        self.register_buffer("anchors", torch.zeros(n_members, self.n_anchors, dim_y))

    @torch.no_grad()
    def prepare(self, x_train: torch.Tensor, y_train: torch.Tensor, n_train: torch.Tensor, seed: int) -> None:
        """Start every neuron's rate at its mean training count (x_train (K, n_max, n): raw counts, padded beyond
        each member's ``n_train``; :func:`~neuralmi_core.models.critics.start_rates_at_mean_counts`) and draw the
        anchors."""
        start_rates_at_mean_counts(self.rate, x_train, n_train)
        if self.n_anchors:
            gen = torch.Generator().manual_seed(seed + 2)
            u = torch.rand(x_train.shape[0], self.n_anchors, generator=gen, dtype=torch.float64)
            idx = (u * n_train.cpu()[:, None].to(torch.float64)).long().to(y_train.device)  # (K, A)
            self.anchors = y_train.gather(1, idx[..., None].expand(-1, -1, y_train.shape[-1])).clone()

    def x_term(self, x: torch.Tensor, chunk: int = 0) -> torch.Tensor:
        """The terms of f in x alone (K, M, 1) for counts x (K, M, n): a(x) - log (1/A) sum_a exp l(x | y_a), the
        second the log of the rate model's marginal of x over the anchors (up to -log x!). ``chunk`` > 0: that many
        rows at a time (memory only)."""
        step = chunk or x.shape[1]
        parts = []
        if self.n_anchors:
            ra = nn.functional.softplus(self.rate(self.h(self.anchors))) + 1e-6  # (K, A, n)
            log_ra, sum_ra = ra.log().transpose(1, 2), ra.sum(-1).unsqueeze(1)  # (K, n, A), (K, 1, A)
        for i in range(0, x.shape[1], step):
            part = x[:, i: i + step]
            out = self.a(torch.log1p(part.clamp(min=0.0)))  # (K, m, 1)
            if self.n_anchors:
                out = out - (torch.logsumexp(torch.bmm(part, log_ra) - sum_ra, -1, keepdim=True)
                             - math.log(self.n_anchors))
            parts.append(out)
        return torch.cat(parts, 1)

    def forward(self, z: torch.Tensor, x_term: torch.Tensor | None = None) -> torch.Tensor:
        """f on joint points z (K, M, dim_x + dim_y): (K, M, 1). ``x_term``: :meth:`x_term` of z's counts when already
        known (the fixed evaluation reference draws its counts from the training rows, so
        :meth:`MINEEObjective._reference_lme` computes it once per training row, not per draw)."""
        x, y = z[..., : self.dim_x], z[..., self.dim_x:]
        u, b = self.h.split(y)  # (K, M, d), (K, M, 1)
        r = nn.functional.softplus(self.rate(u)) + 1e-6  # (K, M, n)
        loglik = (x * r.log() - r).sum(-1, keepdim=True)  # (K, M, 1)
        return loglik + b + (self.x_term(x) if x_term is None else x_term)


class MINEEObjective(nn.Module):
    """K-member MI-NEE objective: three Donsker-Varadhan critics against a product reference.

    Parameters
    ----------
    n_members : int
        Ensemble size K.
    dim_x, dim_y : int
        Feature dimensions of X and Y.
    hidden, n_layers, activation
        Width, depth and activation of each of the three critic MLPs.
    marginal_hidden : int
        Width of the marginal critics f_1(x), f_2(y); 0 (default) = ``hidden // 2`` (their divergences to the
        reference are small after the copula transform; the same error or less on the suite at 0.6x the time).
    reference : {"gaussian", "uniform"}
        The product reference (see the module docstring).
    ref_ratio : int
        Reference samples per data sample (training: ``ref_ratio * batch`` fresh samples per
        step; evaluation: a fixed sample of ``max(ref_ratio * n_eval, eval_ref)``).
    eval_ref : int
        Least size of the fixed evaluation reference sample (its Monte-Carlo error in log E_U[e^f] is
        about sqrt(e^D / M) nats, D the divergence: 0.66 nats per z-scored Gaussian dimension and more).
    pad : float
        The reference box is the data box widened by ``pad`` times its width on each side.
    eval_chunk : int
        Reference samples per forward pass during evaluation (bounds memory, not the result).
    seed : int
        Seeds the reference samples (training stream and the fixed evaluation sample).
    empirical_sides : {"none", "x", "y", "both"}
        Sides whose reference is their own training sample, whole rows (see the module docstring); their marginal
        critic is off (its divergence is 0). ``auto`` is resolved by ``fit_ensemble``; given here it means none.
    joint_critic : {"mlp", "poisson"}
        The joint critic f_0: an MLP of [x, y], or :class:`PoissonJoint` for spike counts on the x side (raw
        counts with an empirical reference: ``empirical_sides`` "x" or "both"). ``auto`` is resolved by
        ``fit_ensemble``; given here it means mlp.
    embedding_dim : int
        The rank of :class:`PoissonJoint`'s rate model (unused by the mlp joint critic).

    Notes
    -----
    Buffers ``lo``, ``hi`` (K, dx + dy: each member's box), ``mean`` (K, dx + dy) and ``chol_x``/``chol_y``
    (K, d, d: Cholesky factors of the within-block covariances) hold the references; like every parameter
    they have the member index first, so the trainer's row-wise best-state copy applies.
    """

    def __init__(self, n_members: int, dim_x: int, dim_y: int, hidden: int = 64, n_layers: int = 2,
                 activation: str = "relu", ref_ratio: int = 2, pad: float = 0.0, eval_ref: int = 16384,
                 eval_chunk: int = 8192, seed: int = 0, reference: str = "gaussian", marginal_hidden: int = 0,
                 empirical_sides: str = "none", joint_critic: str = "mlp", embedding_dim: int = 32):
        super().__init__()
        self.n_members, self.dim_x, self.dim_y = n_members, dim_x, dim_y
        self.ref_ratio, self.pad, self.eval_chunk, self.seed = ref_ratio, pad, eval_chunk, seed
        self.eval_ref = eval_ref
        self.reference = check_choice("reference", reference, REFERENCES)
        sides = check_choice("empirical_sides", empirical_sides, MINEE_EMPIRICAL)
        #: (x, y): which sides draw their reference from their own training rows
        self.empirical = (sides in ("x", "both"), sides in ("y", "both"))
        self._rows: tuple[torch.Tensor | None, torch.Tensor | None] = (None, None)  # (K, n_max, d) training rows
        self._n_rows: torch.Tensor | None = None  # (K,) training rows per member
        d = dim_x + dim_y
        self.joint = check_choice("joint_critic", "mlp" if joint_critic == "auto" else joint_critic, MINEE_JOINT)
        if self.joint == "poisson":
            if not self.empirical[0]:
                raise NeuralMIError("MI-NEE's poisson joint critic models raw spike counts on the x side, whose "
                                    "reference must be their own training rows: it needs empirical_sides 'x' or "
                                    f"'both' (got {empirical_sides!r}).")
            self.f_xy: nn.Module = PoissonJoint(n_members, dim_x, dim_y, embedding_dim, hidden, n_layers, activation)
            # as the InfoNCE poisson critic (models/critics.py, PoissonCritic): no L2 penalty (it flattens sharp
            # tuning curves); unlike it, the shared learning rate (4x was 1-2 points worse on all four tasks of
            # DIAGNOSIS.md section 51, in 0.75x the time)
            self.weight_decay_scale = 0.0
        else:
            self.f_xy = BatchedMLP(n_members, d, 1, hidden, n_layers, activation)
        self.marginal_hidden = int(marginal_hidden) or max(hidden // 2, 1)  # half width: benchmarks/README.md
        self.f_x = BatchedMLP(n_members, dim_x, 1, self.marginal_hidden, n_layers, activation)
        self.f_y = BatchedMLP(n_members, dim_y, 1, self.marginal_hidden, n_layers, activation)
        self.register_buffer("lo", torch.full((n_members, d), math.inf))  # (K, D) box minima
        self.register_buffer("hi", torch.full((n_members, d), -math.inf))  # (K, D) box maxima
        # Gaussian reference N(mean_X, L_X L_X^T) x N(mean_Y, L_Y L_Y^T); NaN until fitted.
        self.register_buffer("mean", torch.full((n_members, d), math.nan))  # (K, D)
        self.register_buffer("chol_x", torch.zeros(n_members, dim_x, dim_x))  # (K, dx, dx) lower
        self.register_buffer("chol_y", torch.zeros(n_members, dim_y, dim_y))  # (K, dy, dy) lower
        self._gen: torch.Generator | None = None

    # -- reference -----------------------------------------------------------------------------------
    @torch.no_grad()
    def prepare(self, data: Any) -> None:
        """Fit each member's reference (the box; the Gaussian moments too for ``reference="gaussian"``) on its
        full training set (an EnsembleData)."""
        z = torch.cat([data.x_train, data.y_train], dim=-1)  # (K, n_max, D)
        n = torch.as_tensor(data.n_train, device=z.device)
        valid = (torch.arange(z.shape[1], device=z.device)[None, :] < n[:, None])[..., None]  # (K, n_max, 1)
        self.lo.copy_(z.masked_fill(~valid, math.inf).amin(1))
        self.hi.copy_(z.masked_fill(~valid, -math.inf).amax(1))
        if self.reference == "gaussian":
            self._fit_gaussian(z, valid)
        if self.joint == "poisson":
            self.f_xy.prepare(data.x_train, data.y_train, n, self.seed)
        if any(self.empirical):
            self._rows = tuple(a if on else None for a, on in zip((data.x_train, data.y_train), self.empirical,
                                                                   strict=True))
            self._n_rows = n

    @torch.no_grad()
    def _fit_gaussian(self, z: torch.Tensor, valid: torch.Tensor | None = None) -> None:
        """Mean and within-block covariance Cholesky factors from z (K, M, D) (rows where ``valid``)."""
        w = torch.ones_like(z[..., :1]) if valid is None else valid.to(z.dtype)  # (K, M, 1)
        cnt = w.sum(1)  # (K, 1)
        mean = (z * w).sum(1) / cnt  # (K, D)
        zc = (z - mean[:, None, :]) * w
        dx = self.dim_x
        for part, chol in ((zc[..., :dx], self.chol_x), (zc[..., dx:], self.chol_y)):
            cov = part.transpose(1, 2) @ part / (cnt[:, :, None] - 1).clamp_min(1)  # (K, d, d)
            d = cov.shape[-1]
            # a small ridge keeps constant or collinear features factorisable (1e-6 of the mean variance)
            ridge = 1e-6 * cov.diagonal(dim1=1, dim2=2).mean(-1).clamp_min(1e-12)
            chol.copy_(torch.linalg.cholesky(cov + ridge[:, None, None] * torch.eye(d, dtype=z.dtype,
                                                                                     device=z.device)))
        self.mean.copy_(mean)

    @torch.no_grad()
    def _update_box(self, z: torch.Tensor) -> None:
        self.lo.copy_(torch.minimum(self.lo, z.amin(1)))  # (K, D)
        self.hi.copy_(torch.maximum(self.hi, z.amax(1)))
        if self.reference == "gaussian" and not torch.isfinite(self.mean).all():
            self._fit_gaussian(z)  # not prepared by the trainer: fit on the first batch

    def _box(self) -> tuple[torch.Tensor, torch.Tensor]:
        if not torch.isfinite(self.lo).all() or not torch.isfinite(self.hi).all():
            raise RuntimeError("MI-NEE's reference box is unset: train (or call prepare) before estimating.")
        width = (self.hi - self.lo).clamp_min(1e-6)  # (K, D); constant features get a thin box
        return self.lo - self.pad * width, width * (1.0 + 2.0 * self.pad)

    def _draw(self, k: int, m: int, generator: torch.Generator, device: torch.device,
              dtype: torch.dtype) -> torch.Tensor:
        """``m`` reference samples per member (K, M, D) from ``generator`` (on ``generator.device``)."""
        return self._draw_indexed(k, m, generator, device, dtype)[0]

    def _draw_indexed(self, k: int, m: int, generator: torch.Generator, device: torch.device,
                      dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor | None]:
        """:meth:`_draw` and the training rows (K, M) its x side took (None unless x is an empirical side)."""
        d = self.dim_x + self.dim_y
        gdev = generator.device
        if self.reference == "uniform":
            u = torch.rand(k, m, d, generator=generator, device=gdev).to(device=device, dtype=dtype)
            lo, width = self._box()
            return self._empirical_rows(lo[:, None, :] + u * width[:, None, :], generator)  # (K, M, D)
        if not torch.isfinite(self.mean).all():
            raise RuntimeError("MI-NEE's Gaussian reference is unset: train (or call prepare) before estimating.")
        e = torch.randn(k, m, d, generator=generator, device=gdev).to(device=device, dtype=dtype)
        dx = self.dim_x
        ex = e[..., :dx] @ self.chol_x.transpose(1, 2)  # (K, M, dx)
        ey = e[..., dx:] @ self.chol_y.transpose(1, 2)  # (K, M, dy)
        return self._empirical_rows(self.mean[:, None, :] + torch.cat([ex, ey], -1), generator)

    def _empirical_rows(self, ref: torch.Tensor, generator: torch.Generator,
                        ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``ref`` (K, M, D) with each empirical side replaced by whole training rows of that member, drawn
        uniformly with replacement, the two sides independently (the same reference without empirical sides), and
        the training rows (K, M) drawn for x (None unless x is an empirical side)."""
        if not any(self.empirical):
            return ref, None
        if self._n_rows is None:
            raise RuntimeError("MI-NEE's empirical reference is unset: train (or call prepare) before estimating.")
        k, m, _ = ref.shape
        parts = [ref[..., : self.dim_x], ref[..., self.dim_x:]]
        n = self._n_rows.to(device=ref.device, dtype=torch.float64)[:, None]  # (K, 1)
        x_index = None
        for s, rows in enumerate(self._rows):
            if rows is None:
                continue
            u = torch.rand(k, m, generator=generator, device=generator.device, dtype=torch.float64).to(ref.device)
            idx = (u * n).long().clamp_max(rows.shape[1] - 1)  # (K, M) rows below each member's count
            parts[s] = rows.to(device=ref.device, dtype=ref.dtype).gather(1, idx[..., None].expand(-1, -1,
                                                                                                   rows.shape[-1]))
            if s == 0:
                x_index = idx
        return torch.cat(parts, -1), x_index

    def _generator(self, device: torch.device) -> torch.Generator:
        if self._gen is None or self._gen.device != device:
            self._gen = torch.Generator(device=device).manual_seed(self.seed)
        return self._gen

    # -- the bound -----------------------------------------------------------------------------------
    def _critics(self, z: torch.Tensor, x_term: torch.Tensor | None = None) -> torch.Tensor:
        """The three critics on joint points z (K, M, D): (3, K, M) = f_0(x, y), f_1(x), f_2(y). ``x_term``: the
        poisson joint critic's terms in x alone of z's counts, when known (:meth:`PoissonJoint.forward`)."""
        dx = self.dim_x
        fxy = (self.f_xy(z) if x_term is None else self.f_xy(z, x_term)).squeeze(-1)  # (K, M)
        # an empirical side's critic is off: a constant 0 gives its divergence (to its own sample) exactly 0
        fx = fxy.new_zeros(()).expand_as(fxy) if self.empirical[0] else self.f_x(z[..., :dx]).squeeze(-1)
        fy = fxy.new_zeros(()).expand_as(fxy) if self.empirical[1] else self.f_y(z[..., dx:]).squeeze(-1)
        return torch.stack([fxy, fx, fy], 0)

    def _terms(self, x: torch.Tensor, y: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
        """DV values (K, 3) of D(P_XY||U), D(P_X||U_X), D(P_Y||U_Y) with one reference sample ``ref``."""
        pos = self._critics(torch.cat([x, y], -1))  # (3, K, B)
        lme = torch.logsumexp(self._critics(ref), dim=-1) - math.log(ref.shape[1])  # (3, K)
        return self._zero_empirical((pos.mean(-1) - lme).T)  # (K, 3)

    def _zero_empirical(self, d: torch.Tensor) -> torch.Tensor:
        """``d`` (K, 3) with the divergence of each empirical side set to exactly 0 (its critic is the constant 0, so
        only the rounding of log mean exp would be left)."""
        if not any(self.empirical):
            return d
        keep = torch.tensor([True, not self.empirical[0], not self.empirical[1]], device=d.device)
        return d * keep.to(d.dtype)

    def training_loss(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Loss (K,) = -(sum of the three DV bounds); MI (K,) = DV_xy - DV_x - DV_y on this batch."""
        if self.training:
            self._update_box(torch.cat([x, y], -1))
        k, b, _ = x.shape
        ref = self._draw(k, self.ref_ratio * b, self._generator(x.device), x.device, x.dtype)  # fresh every step
        d = self._terms(x, y, ref)  # (K, 3)
        mi = d[:, 0] - d[:, 1] - d[:, 2]
        return -d.sum(-1), mi.detach()

    @torch.no_grad()
    def divergences(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """DV estimates (K, 3) of D(P_XY||Q_XY), D(P_X||Q_X), D(P_Y||Q_Y) in nats on (x, y).

        The reference is a fixed, seeded sample from the reference of ``max(ref_ratio * n, eval_ref)``
        points, processed in chunks of ``eval_chunk``.
        """
        return self._divergence_sets([(x, y)])[0]

    @torch.no_grad()
    def _divergence_sets(self, sets: list[tuple[torch.Tensor, torch.Tensor]]) -> list[torch.Tensor]:
        """:meth:`divergences` of several samples (each (K, n_i, d)), the reference term computed once per
        reference size: it depends only on the networks and the fixed reference sample, not on the data, so
        sharing it gives the same numbers as separate calls (issue 23 item 3: the trainer scores the held-out
        and the training subset every epoch)."""
        lme_by_size: dict[int, torch.Tensor] = {}
        out = []
        for x, y in sets:
            k, n, _ = x.shape
            m_total = max(self.ref_ratio * n, self.eval_ref)
            if m_total not in lme_by_size:
                lme_by_size[m_total] = self._reference_lme(k, m_total, x.device, x.dtype)
            pos = self._critics(torch.cat([x, y], -1))  # (3, K, n)
            out.append(self._zero_empirical((pos.mean(-1) - lme_by_size[m_total]).T))  # (K, 3)
        return out

    def _reference_lme(self, k: int, m_total: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
        """log mean exp of the three critics (3, K) over the fixed evaluation reference sample of size ``m_total``."""
        gen = torch.Generator().manual_seed(self.seed + 1)  # CPU: the same sample on every device
        # the poisson joint critic's terms in x alone (a(x) and the anchor marginal), and the reference's x are
        # training rows: computed once per training row, not per draw (4 to 40 draws a row: 16384 draws, 400-4000 rows)
        table = None
        if self.joint == "poisson" and self._rows[0] is not None:
            table = self.f_xy.x_term(self._rows[0].to(device=device, dtype=dtype), chunk=1024)  # (K, n_max, 1)
        parts = []
        for start in range(0, m_total, self.eval_chunk):
            m = min(self.eval_chunk, m_total - start)
            ref, x_index = self._draw_indexed(k, m, gen, device, dtype)
            x_term = None if table is None else table.gather(1, x_index[..., None])  # (K, m, 1)
            parts.append(torch.logsumexp(self._critics(ref, x_term), dim=-1))  # (3, K)
        return torch.logsumexp(torch.stack(parts, 0), dim=0) - math.log(m_total)  # (3, K)

    @torch.no_grad()
    def estimate(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Held-out MI (K,) in nats: DV_xy - DV_x - DV_y on (x, y) against the fixed reference sample."""
        d = self.divergences(x, y)
        return d[:, 0] - d[:, 1] - d[:, 2]

    @torch.no_grad()
    def estimate_sets(self, sets: list[tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
        """:meth:`estimate` of several samples (S, K), the reference term shared (see :meth:`_divergence_sets`)."""
        return torch.stack([d[:, 0] - d[:, 1] - d[:, 2] for d in self._divergence_sets(sets)])

    @torch.no_grad()
    def member_info(self, x: torch.Tensor, y: torch.Tensor) -> list[dict[str, Any]]:
        """Per-member diagnostics on (x, y): the three divergence estimates and the box volume (log)."""
        d = self.divergences(x, y).cpu()
        _, width = self._box()
        log_vol = width.log().sum(-1).cpu()  # (K,)
        refs = {f"reference_{side}": "empirical" if on else self.reference
                for side, on in zip("xy", self.empirical, strict=True)}
        return [{"d_xy_nats": float(d[i, 0]), "d_x_nats": float(d[i, 1]), "d_y_nats": float(d[i, 2]),
                 "log_box_volume": float(log_vol[i]), **refs} for i in range(self.n_members)]

    def ceiling(self, n_eval: int) -> float | None:
        return None


def build_objective(spec: Any, n_members: int, dim_x: int, dim_y: int) -> MINEEObjective:
    """The registry hook (:data:`~neuralmi_core.estimators.neural.EXTERNAL_TRAINED`): MI-NEE from a ModelSpec.

    Uses ``spec.hidden``, ``spec.n_layers``, ``spec.activation`` for the three critics and
    ``spec.options`` (:data:`DEFAULT_OPTIONS`: ``ref_ratio``, ``pad``, ``eval_ref``, ``eval_chunk``). The reference
    stream's seed is drawn from torch's RNG (seeded by the caller), so runs are reproducible.
    """
    opts = parse_options(spec.options)
    opts.pop("dequantize")  # applied to the data by fit_ensemble (estimators.neural.dequantize_members)
    if opts["empirical_sides"] == "auto":  # fit_ensemble resolves it from the data; built without the data: none
        opts["empirical_sides"] = "none"
    if opts["joint_critic"] == "auto":  # likewise: without the data, mlp
        opts["joint_critic"] = "mlp"
    check_int("n_members", n_members, 1)
    seed = int(torch.randint(0, 2**62, ()))
    return MINEEObjective(n_members, dim_x, dim_y, hidden=spec.hidden, n_layers=spec.n_layers,
                          activation=spec.activation, seed=seed, embedding_dim=spec.embedding_dim, **opts)
