"""MIENF: mutual information estimation with normalizing flows (Butakov et al. 2024).

MI is invariant under invertible maps of X and of Y separately. MIENF learns diffeomorphisms f_X, f_Y
(normalizing flows from :mod:`zuko`) such that the latents (xi, eta) = (f_X(X), f_Y(Y)) are jointly
Gaussian, by maximising the likelihood

    log p(x, y) = log N((f_X(x), f_Y(y)); mu, Sigma) + log|det J_fX(x)| + log|det J_fY(y)|,

and reads the MI off the Gaussian closed form, I(X; Y) = I(xi; eta):

- ``variant="general"`` (N-MIENF): a full latent covariance Sigma, and

      I = 1/2 (log|Sigma_xi| + log|Sigma_eta| - log|Sigma|);

- ``variant="tridiagonal"`` (tridiag-N-MIENF): unit variances and only the pairs (xi_i, eta_i),
  i < min(d_x, d_y), correlated with rho_i (the flows also learn the canonical rotation), so

      I = -1/2 sum_i log(1 - rho_i^2),

  a sum of per-component MIs (a non-linear canonical correlation analysis).

The latent Gaussian's parameters are its maximum-likelihood values given the flows, fitted to the latents
of the whole training set before the first step and after every epoch and held during the epoch's steps
(``latent_fit="epoch"``), or running moments of the training batches (``"running"``); no gradient flows
into them, and by the envelope theorem the flows' gradient is then that of the profile likelihood. The
reported MI is **held-out**: the mean pointwise MI

    i(x, y) = log N((xi, eta); Sigma) - log N(xi; Sigma_xi) - log N(eta; Sigma_eta)

(the Jacobians cancel) over the evaluation sample, whose expectation under the model is the closed form
above. Unlike the plug-in Gaussian MI of a held-out covariance, it carries no d_x d_y / (2 n) small-sample
inflation, and overfitting flows show as training MI above held-out MI. For the tridiagonal variant the
mean pointwise MI of each pair is that component's MI (:meth:`MIENFObjective.component_mi`); they sum to
the estimate.

zuko flows are not batched over ensemble members: the objective holds a ``ModuleList`` of K flows per
side and provides its own :meth:`MIENFObjective.merge_best_state` for the shared trainer. The latent
Gaussian's parameters are batched (member index first).

References
----------
I. Butakov, A. Tolmachev, S. Malanchuk, A. Neopryatnaya, A. Frolov. Mutual information estimation via
normalizing flows. NeurIPS 2024 (arXiv:2403.02187).
C. Durkan, A. Bekasov, I. Murray, G. Papamakarios. Neural spline flows. NeurIPS 2019.
F. Rozet et al. zuko: normalizing flows in PyTorch. https://github.com/probabilists/zuko
"""

from __future__ import annotations

import math
import re
from typing import Any

import torch
import zuko
from torch import nn
from zuko.lazy import LazyComposedTransform, LazyTransform, UnconditionalTransform
from zuko.transforms import LULinearTransform, SoftclipTransform

from ..settings.options import (
    ESTIMATOR_OPTIONS,
    MIENF_FLOWS,
    MIENF_LATENT_FITS,
    MIENF_LATENTS,
    MIENF_VARIANTS,
)
from ..settings.options import parse_options as _parse_options
from ..training.trainer import merge_rows
from ..validation import NeuralMIError, check_choice, check_int

VARIANTS = MIENF_VARIANTS
FLOWS = MIENF_FLOWS
LATENTS = MIENF_LATENTS
LATENT_FITS = MIENF_LATENT_FITS

#: EM iterations of the epoch-end latent fit (``latent_fit="epoch"``), warm-started from the last fit
#: (benchmarks/DIAGNOSIS.md section 30: 3 instead of 10, the same error on the suite).
EPOCH_EM_ITERS = 3
#: EM iterations of the first fit, before the first step (from the untrained state: the standard t).
START_EM_ITERS = 30
#: With the epoch-fitted latent the automatic batch and the learning rate are this many times the trainer's (its
#: step is overhead-bound; section 30: the same error on the suite in 0.7x the time).
EPOCH_BATCH_SCALE = 2
#: Rows per chunk when the epoch-end fit pushes the training set through the flows.
EPOCH_FIT_CHUNK = 8192
#: Early stopping with the epoch-end fit: the patience is reset only by a new best of the smoothed held-out MI more
#: than this fraction above its value at the last reset (the checkpoint is still the best value). With the latent
#: fitted every epoch the held-out curve reaches its level early and then creeps for 100-200 epochs
#: (benchmarks/DIAGNOSIS.md section 29).
EPOCH_MIN_GAIN = 0.005

#: Degrees of freedom of the Student-t latent's grid; the last, infinity, is the Gaussian.
NU_GRID: tuple[float, ...] = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 10.0, 20.0, 50.0, math.inf)

#: Estimator-specific settings (``ModelSpec.options``), declared in :mod:`neuralmi_core.settings.options`.
DEFAULT_OPTIONS: dict[str, Any] = ESTIMATOR_OPTIONS["mienf"].defaults()


def parse_options(options: dict[str, Any] | None) -> dict[str, Any]:
    """Fill defaults into MIENF ``options`` and check them; unknown keys raise :class:`NeuralMIError`."""
    return _parse_options("mienf", options)


def make_flow_transform(features: int, flow: str = "nsf", transforms: int = 2,
                        hidden: tuple[int, ...] = (64, 64), bins: int = 8, softclip: float = 4.0,
                        linear: bool = True, context: int = 0) -> LazyTransform:
    """One side's invertible map x -> latent, assembled from zuko parts.

    ``SoftclipTransform(softclip)`` (if ``softclip > 0``; keeps heavy tails inside the splines' [-5, 5]
    domain) -> ``transforms`` layers of the zuko flow ``flow`` -> ``LULinearTransform`` (if ``linear``;
    lets the tridiagonal variant rotate into canonical pairs), initialised at the identity. ``context`` > 0: the
    flow's layers take that many context features (a conditional flow, :mod:`.mienf_conditional`); the softclip and
    the linear map do not depend on them.
    """
    kw: dict[str, Any] = {"transforms": transforms, "hidden_features": tuple(hidden), "context": int(context)}
    if flow == "nsf":
        body = zuko.flows.NSF(features, bins=bins, **kw)
    elif flow == "maf":
        body = zuko.flows.MAF(features, **kw)
    elif flow == "realnvp":
        body = zuko.flows.RealNVP(features, **kw)
    else:
        raise NeuralMIError(f"`flow` must be one of {FLOWS}. Got {flow!r}.")
    parts: list[LazyTransform] = []
    if softclip > 0:
        parts.append(UnconditionalTransform(SoftclipTransform, bound=float(softclip)))
    parts.extend(body.transform.transforms)
    if linear:
        parts.append(UnconditionalTransform(LULinearTransform, torch.eye(features)))
    return LazyComposedTransform(*parts)


def gaussian_mi_from_cov(cov: torch.Tensor, dim_x: int) -> torch.Tensor:
    """I = 1/2 (log|C_xx| + log|C_yy| - log|C|) for covariances ``cov`` (..., D, D); returns (...)."""
    ld = torch.linalg.slogdet
    return 0.5 * (ld(cov[..., :dim_x, :dim_x])[1] + ld(cov[..., dim_x:, dim_x:])[1] - ld(cov)[1])


def student_t_mi_term(nu: torch.Tensor, dim_x: int, dim_y: int) -> torch.Tensor:
    """The degrees-of-freedom part of the MI of a (dim_x + dim_y)-variate Student-t, h_p + h_q - h_D with

        h_k = log G(nu/2) - log G((nu+k)/2) + k/2 log(nu pi) + (nu+k)/2 (psi((nu+k)/2) - psi(nu/2))

    (Arellano-Valle, Contreras-Reyes & Genton 2013), so that
    I = 1/2 (log|S_xx| + log|S_yy| - log|S|) + this term for dispersion S. ``nu`` (...) may hold ``inf``
    (the Gaussian limit, where the term is 0)."""
    finite = torch.isfinite(nu)
    v = torch.where(finite, nu, torch.ones_like(nu))

    def h(k: int) -> torch.Tensor:
        a, b = 0.5 * v, 0.5 * (v + k)
        return (torch.lgamma(a) - torch.lgamma(b) + 0.5 * k * torch.log(v * math.pi)
                + b * (torch.digamma(b) - torch.digamma(a)))

    return torch.where(finite, h(dim_x) + h(dim_y) - h(dim_x + dim_y), torch.zeros_like(nu))


def student_t_logpdf(v: torch.Tensor, sigma: torch.Tensor, nu: torch.Tensor) -> torch.Tensor:
    """Log-density of centred points ``v`` (K, n, d) under d-variate Student-t with dispersion ``sigma``
    (K, d, d) and degrees of freedom ``nu`` (K,), which may be ``inf`` (the Gaussian); returns (K, n)."""
    d = v.shape[-1]
    chol = torch.linalg.cholesky(sigma)
    w = torch.linalg.solve_triangular(chol, v.transpose(1, 2), upper=False)  # (K, d, n)
    q = (w**2).sum(1)  # (K, n) Mahalanobis
    half_logdet = torch.log(torch.diagonal(chol, dim1=-2, dim2=-1)).sum(-1)[:, None]  # (K, 1)
    finite = torch.isfinite(nu)[:, None]
    nv = torch.where(torch.isfinite(nu), nu, torch.ones_like(nu))[:, None]
    t = (torch.lgamma(0.5 * (nv + d)) - torch.lgamma(0.5 * nv) - 0.5 * d * torch.log(nv * math.pi)
         - 0.5 * (nv + d) * torch.log1p(q / nv))
    g = -0.5 * d * math.log(2.0 * math.pi) - 0.5 * q
    return torch.where(finite, t, g) - half_logdet


def t_params_from_moments(tw: torch.Tensor, twz: torch.Tensor, twzz: torch.Tensor,
                          jitter: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Location (..., D) and dispersion (..., D, D) of a Student-t from its EM moments E[w] (...), E[w z] (..., D)
    and E[w z z^T] (..., D, D): mu = E[w z] / E[w], Sigma = E[w z z^T] - E[w z] E[w z]^T / E[w], symmetrised,
    plus ``jitter`` on the diagonal."""
    mu = twz / tw[..., None]
    sigma = twzz - twz[..., :, None] * twz[..., None, :] / tw[..., None, None]
    eye = torch.eye(sigma.shape[-1], dtype=sigma.dtype, device=sigma.device)
    return mu, 0.5 * (sigma + sigma.transpose(-1, -2)) + jitter * eye


class MIENFObjective(nn.Module):
    """K-member MIENF objective: per-member flows f_X, f_Y and a latent Gaussian, trained by likelihood.

    Parameters
    ----------
    n_members : int
        Ensemble size K.
    dim_x, dim_y : int
        Feature dimensions of X and Y.
    variant : str
        ``general`` (full latent covariance) or ``tridiagonal`` (pairwise-correlated unit-variance
        latents, per-component MIs).
    flow, transforms, hidden, bins, softclip, linear
        The flows (see :func:`make_flow_transform`).
    jitter : float
        Added to the diagonal of the latent covariance.
    ema : float
        Rate of the running moments of the training latents (the first ``1 / ema`` steps are averaged); used by
        ``latent_fit="running"`` only.
    latent : str
        ``auto`` (``student`` for the general variant, ``gaussian`` for the tridiagonal), ``gaussian`` (the
        latent model above) or ``student``: a multivariate Student-t latent with
        dispersion Sigma and degrees of freedom nu, which holds a dependence through a shared scale that no
        jointly Gaussian latent can (benchmarks/DIAGNOSIS.md section 13). For every nu of :data:`NU_GRID`
        (which ends in infinity, the Gaussian) the objective keeps the EM moments of the training
        latents (weights (nu + D) / (nu + Q), Q the Mahalanobis distance) and the mean
        log-density (fitted, or running with ``latent_fit="running"``); each member uses the nu of the highest
        log-density. Its MI is the closed form
        ``gaussian_mi_from_cov(Sigma) + student_t_mi_term(nu)``. ``general`` variant only.
    latent_fit : str
        ``epoch`` (the default): the latent model is the maximum-likelihood fit to the latents of the whole
        training set, made before the first step (:meth:`start_training`) and after every epoch
        (:meth:`end_epoch`, before the evaluation), and held fixed during the epoch's steps, so that the
        parameters and the choice of nu do not lag the flows; early stopping needs a gain of
        :data:`EPOCH_MIN_GAIN` to reset its patience, and the automatic batch and the learning rate are
        :data:`EPOCH_BATCH_SCALE` times the trainer's (benchmarks/DIAGNOSIS.md sections 28-30);
        ``running``: running moments of the training batches at rate ``ema``, every gain resets the patience,
        the trainer's batch and learning rate (the numbers of before section 28).
    """

    def __init__(self, n_members: int, dim_x: int, dim_y: int, variant: str = "general", flow: str = "nsf",
                 transforms: int = 2, hidden: tuple[int, ...] = (64, 64), bins: int = 8,
                 softclip: float = 4.0, linear: bool = True, jitter: float = 1e-5, ema: float = 0.05,
                 latent: str = "gaussian", latent_fit: str = "epoch"):
        super().__init__()
        self.n_members, self.dim_x, self.dim_y = n_members, dim_x, dim_y
        self.variant, self.jitter = check_choice("variant", variant, VARIANTS), jitter
        self.latent = check_choice("latent", latent, LATENTS)
        self.latent_fit = check_choice("latent_fit", latent_fit, LATENT_FITS)
        epoch = self.latent_fit == "epoch"
        # read by the trainer: early stopping's gain threshold, and the scales of the automatic batch and of the lr
        self.min_gain = EPOCH_MIN_GAIN if epoch else 0.0
        self.batch_scale = EPOCH_BATCH_SCALE if epoch else 1
        self.lr_scale = float(EPOCH_BATCH_SCALE) if epoch else 1.0
        if self.latent == "auto":
            self.latent = "student" if self.variant == "general" else "gaussian"
        if self.latent == "student" and self.variant != "general":
            raise NeuralMIError("options.latent='student' needs options.variant='general' (the tridiagonal "
                                f"variant's per-pair MIs are Gaussian); got variant {self.variant!r}.")
        fkw = dict(flow=flow, transforms=transforms, hidden=hidden, bins=bins, softclip=softclip,
                   linear=linear)
        self.flows_x = nn.ModuleList([make_flow_transform(dim_x, **fkw) for _ in range(n_members)])
        self.flows_y = nn.ModuleList([make_flow_transform(dim_y, **fkw) for _ in range(n_members)])
        d = dim_x + dim_y
        self.n_pairs = min(dim_x, dim_y)
        self.ema = ema
        # Running moments of the training latents (member index first), the latent Gaussian's MLE:
        self.register_buffer("n_seen", torch.zeros(n_members))  # (K,) training steps seen
        self.register_buffer("mean", torch.zeros(n_members, d))  # (K, D)
        self.register_buffer("cov", torch.eye(d).repeat(n_members, 1, 1))  # (K, D, D)
        if self.latent == "student":  # EM moments and mean log-density per nu of NU_GRID
            g = len(NU_GRID)
            self.register_buffer("t_w", torch.ones(n_members, g))  # (K, G) mean weight
            self.register_buffer("t_wz", torch.zeros(n_members, g, d))  # (K, G, D) mean weighted latent
            self.register_buffer("t_wzz", torch.eye(d).repeat(n_members, g, 1, 1))  # (K, G, D, D)
            self.register_buffer("t_ll", torch.zeros(n_members, g))  # (K, G) mean log-density

    # -- flows ---------------------------------------------------------------------------------------
    def latents(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Push x (K, B, dx), y (K, B, dy) through each member's flows: xi (K, B, dx), eta (K, B, dy) and
        the summed log|det J| (K, B)."""
        xis, etas, ladjs = [], [], []
        for k in range(self.n_members):
            xi, lx = self.flows_x[k]().call_and_ladj(x[k])  # (B, dx), (B,)
            eta, ly = self.flows_y[k]().call_and_ladj(y[k])  # (B, dy), (B,)
            xis.append(xi)
            etas.append(eta)
            ladjs.append(lx + ly)
        return torch.stack(xis), torch.stack(etas), torch.stack(ladjs)

    # -- latent Gaussian -----------------------------------------------------------------------------
    @torch.no_grad()
    def _update_moments(self, z: torch.Tensor) -> None:
        """Running mean and covariance of the latents z (K, B, D): a plain average over the first
        1/ema steps, then an exponential moving average with rate ``ema``."""
        mean_b = z.mean(1)  # (K, D)
        zc = z - mean_b[:, None, :]
        cov_b = zc.transpose(1, 2) @ zc / max(z.shape[1] - 1, 1)  # (K, D, D)
        rate = torch.clamp(1.0 / (self.n_seen + 1.0), min=self.ema)[:, None]  # (K, 1)
        self.mean.mul_(1 - rate).add_(rate * mean_b)
        self.cov.mul_(1 - rate[..., None]).add_(rate[..., None] * cov_b)
        self.n_seen.add_(1.0)

    def _nu_grid(self) -> torch.Tensor:
        return torch.tensor(NU_GRID, dtype=self.t_w.dtype, device=self.t_w.device)

    def _t_grid_params(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Student latent: location (K, G, D) and dispersion (K, G, D, D) for every nu of the grid, from the
        EM moments (:func:`t_params_from_moments`)."""
        return t_params_from_moments(self.t_w, self.t_wz, self.t_wzz, self.jitter)

    def selected_nu(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Student latent: each member's grid index (K,) of the highest mean log-density and its nu (K,)."""
        idx = self.t_ll.argmax(-1)
        return idx, self._nu_grid()[idx]

    def _t_params(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Student latent: each member's selected location (K, D), dispersion (K, D, D) and nu (K,)."""
        idx, nu = self.selected_nu()
        mu, sigma = self._t_grid_params()
        k = torch.arange(self.n_members, device=idx.device)
        return mu[k, idx], sigma[k, idx], nu

    @torch.no_grad()
    def _update_student(self, z: torch.Tensor) -> None:
        """One EM step of every grid member's t on the batch z (K, B, D), folded into the running moments
        (same rate schedule as :meth:`_update_moments`), after scoring the batch's mean log-density under
        the current parameters (the running log-density that chooses nu)."""
        kk, b, d = z.shape
        g = len(NU_GRID)
        mu, sigma = self._t_grid_params()
        v = (z[:, None] - mu[:, :, None, :]).reshape(kk * g, b, d)
        s = sigma.reshape(kk * g, d, d)
        nu = self._nu_grid().repeat(kk)
        ll = student_t_logpdf(v, s, nu).reshape(kk, g, b)
        chol = torch.linalg.cholesky(s)
        q = (torch.linalg.solve_triangular(chol, v.transpose(1, 2), upper=False) ** 2).sum(1)  # (K G, B)
        nv = nu[:, None]
        w = torch.where(torch.isfinite(nv), (nv + d) / (nv + q), torch.ones_like(q)).reshape(kk, g, b)
        rate = torch.clamp(1.0 / (self.n_seen + 1.0), min=self.ema)[:, None]  # (K, 1)
        self.t_ll.mul_(1 - rate).add_(rate * ll.mean(-1))
        self.t_w.mul_(1 - rate).add_(rate * w.mean(-1))
        self.t_wz.mul_(1 - rate[..., None]).add_(rate[..., None] * torch.einsum("kgb,kbd->kgd", w, z) / b)
        wzz = torch.einsum("kgb,kbd,kbe->kgde", w, z, z) / b
        self.t_wzz.mul_(1 - rate[..., None, None]).add_(rate[..., None, None] * wzz)

    @torch.no_grad()
    def start_training(self, x: torch.Tensor, y: torch.Tensor, n_train: torch.Tensor) -> None:
        """The trainer's hook before the first step. With ``latent_fit="epoch"``: fit the latent model to the
        training latents of the untrained flows (:meth:`end_epoch` with :data:`START_EM_ITERS` EM iterations
        from the standard t), which the first epoch's steps then hold."""
        self._fit_latent(x, y, n_train, START_EM_ITERS)

    @torch.no_grad()
    def end_epoch(self, x: torch.Tensor, y: torch.Tensor, n_train: torch.Tensor) -> None:
        """The trainer's epoch-end hook. With ``latent_fit="epoch"``: refit the latent model to the training
        latents of the flows as they are now (x (K, n_max, dx), y (K, n_max, dy); member k's first
        ``n_train[k]`` rows are its training set): the exact moments, and for the student latent
        :data:`EPOCH_EM_ITERS` EM iterations on every nu of the grid (warm-started from the last fit) and
        each nu's mean log-density, which chooses nu. The next epoch's steps hold it."""
        self._fit_latent(x, y, n_train, EPOCH_EM_ITERS)

    def _fit_latent(self, x: torch.Tensor, y: torch.Tensor, n_train: torch.Tensor, em_iters: int) -> None:
        if self.latent_fit != "epoch":
            return
        parts = [self.latents(x[:, i:i + EPOCH_FIT_CHUNK], y[:, i:i + EPOCH_FIT_CHUNK])
                 for i in range(0, x.shape[1], EPOCH_FIT_CHUNK)]
        z = torch.cat([torch.cat([xi, eta], -1) for xi, eta, _ in parts], 1).double()  # (K, n_max, D)
        kk, n_max, d = z.shape
        m = (torch.arange(n_max, device=z.device)[None, :] < n_train.to(z.device)[:, None]).to(z.dtype)  # (K, n)
        cnt = m.sum(1).clamp_min(1.0)  # (K,)
        z = z * m[..., None]  # padded rows to 0: finite, and weighted 0 below
        mean = z.sum(1) / cnt[:, None]
        zc = (z - mean[:, None, :]) * m[..., None]
        cov = zc.transpose(1, 2) @ zc / (cnt - 1.0).clamp_min(1.0)[:, None, None]
        dt = self.cov.dtype
        self.mean.copy_(mean.to(dt))
        self.cov.copy_(cov.to(dt))
        if self.latent != "student":
            return
        grid = self._nu_grid().double()
        g = len(grid)
        tw, twz, twzz = self.t_w.double(), self.t_wz.double(), self.t_wzz.double()
        nv = grid[None, :, None]  # (1, G, 1)

        def mahalanobis(mu, s):  # (K, G, n), one nu at a time (memory: K n D, not K G n D)
            chol = torch.linalg.cholesky(s)
            return torch.stack([(torch.linalg.solve_triangular(chol[:, j], (z - mu[:, j, None, :]).transpose(1, 2),
                                                               upper=False) ** 2).sum(1) for j in range(g)], 1)

        for _ in range(em_iters):
            mu, s = t_params_from_moments(tw, twz, twzz, self.jitter)
            q = mahalanobis(mu, s)
            w = torch.where(torch.isfinite(nv), (nv + d) / (nv + q), torch.ones_like(q)) * m[:, None, :]
            tw = w.sum(-1) / cnt[:, None]
            # one nu at a time: memory K n D, not the K G n D of one einsum over the grid (about 4 GB for rigorous
            # mode with 200 count features at N = 20000)
            twz = torch.stack([torch.einsum("kn,knd->kd", w[:, j], z) for j in range(g)], 1) / cnt[:, None, None]
            twzz = torch.stack([(z * w[:, j, :, None]).transpose(1, 2) @ z for j in range(g)], 1)
            twzz = twzz / cnt[:, None, None, None]
        mu, s = t_params_from_moments(tw, twz, twzz, self.jitter)
        ll = torch.stack([student_t_logpdf(z - mu[:, j, None, :], s[:, j], grid[j].expand(kk)) for j in range(g)], 1)
        self.t_w.copy_(tw.to(dt))
        self.t_wz.copy_(twz.to(dt))
        self.t_wzz.copy_(twzz.to(dt))
        self.t_ll.copy_(((ll * m[:, None, :]).sum(-1) / cnt[:, None]).to(dt))

    def _rho(self) -> torch.Tensor:
        """Tridiagonal: the pairs' correlations (K, p) from the latent moments."""
        p, dx = self.n_pairs, self.dim_x
        idx = torch.arange(p, device=self.cov.device)
        cxy = self.cov[:, idx, dx + idx]  # (K, p)
        sx, sy = self.cov[:, idx, idx], self.cov[:, dx + idx, dx + idx]
        return (cxy / (sx * sy).clamp_min(1e-12).sqrt()).clamp(-1 + 1e-6, 1 - 1e-6)

    def _sigma(self) -> torch.Tensor:
        """General: the latent covariance (K, D, D) with ``jitter`` on the diagonal."""
        eye = torch.eye(self.cov.shape[-1], dtype=self.cov.dtype, device=self.cov.device)
        return self.cov + self.jitter * eye

    def _pair_terms(self, xi: torch.Tensor, eta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Tridiagonal: per-sample joint negative log-density minus its standard-normal part, and the
        pointwise MI of each pair (both (K, B, p))."""
        p = self.n_pairs
        rho = self._rho()[:, None, :]  # (K, 1, p)
        one_m = 1.0 - rho**2
        a, b = xi[..., :p], eta[..., :p]  # (K, B, p)
        pmi = -0.5 * torch.log(one_m) - (rho**2 * (a**2 + b**2) - 2.0 * rho * a * b) / (2.0 * one_m)
        return -pmi, pmi

    def _latent_nll(self, xi: torch.Tensor, eta: torch.Tensor) -> torch.Tensor:
        """Mean negative log-density (K,) of the latents under the member's Gaussian (its parameters held
        at the latent moments: by the envelope theorem this is the gradient of the profile likelihood)."""
        d = self.dim_x + self.dim_y
        const = 0.5 * d * math.log(2.0 * math.pi)
        z = torch.cat([xi, eta], -1)  # (K, B, D)
        if self.latent == "student":
            mu, sigma, nu = self._t_params()
            return -student_t_logpdf(z - mu[:, None, :], sigma, nu).mean(-1)
        if self.variant == "general":
            chol = torch.linalg.cholesky(self._sigma())  # (K, D, D)
            w = torch.linalg.solve_triangular(chol, (z - self.mean[:, None, :]).transpose(1, 2), upper=False)
            half_logdet = torch.log(torch.diagonal(chol, dim1=-2, dim2=-1)).sum(-1)  # (K,)
            return 0.5 * (w**2).sum(1).mean(-1) + half_logdet + const  # w: (K, D, B)
        extra, _ = self._pair_terms(xi, eta)  # (K, B, p)
        return 0.5 * (z**2).sum(-1).mean(-1) + extra.sum(-1).mean(-1) + const

    def model_mi(self) -> torch.Tensor:
        """MI (K,) of the fitted latent model (the moments of the training latents)."""
        if self.variant == "tridiagonal":
            return -0.5 * torch.log1p(-self._rho() ** 2).sum(-1)
        if self.latent == "student":
            _, sigma, nu = self._t_params()
            mi = gaussian_mi_from_cov(sigma.double(), self.dim_x) + student_t_mi_term(nu.double(), self.dim_x,
                                                                                        self.dim_y)
            return mi.to(self.cov.dtype)
        return gaussian_mi_from_cov(self._sigma().double(), self.dim_x).to(self.cov.dtype)

    # -- the Objective contract ----------------------------------------------------------------------
    def training_loss(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Negative log-likelihood per sample (K,) of (x, y) under the flow model; MI (K,) of the model."""
        xi, eta, ladj = self.latents(x, y)
        if self.training and self.latent_fit == "running":  # the epoch fit holds the latent during the steps
            z = torch.cat([xi, eta], -1).detach()
            if self.latent == "student":
                self._update_student(z)
            self._update_moments(z)
        loss = self._latent_nll(xi, eta) - ladj.mean(-1)
        return loss, self.model_mi().detach()

    @torch.no_grad()
    def pointwise_mi(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Pointwise MI (K, n) = log p(xi, eta) - log p(xi) - log p(eta) under the fitted latent Gaussian
        (the flows' Jacobians cancel); tridiagonal: per pair, (K, n, p)."""
        xi, eta, _ = self.latents(x, y)
        if self.variant == "tridiagonal":
            return self._pair_terms(xi, eta)[1]
        if self.latent == "student":
            mu, sigma, nu = (t.double() for t in self._t_params())
            z = torch.cat([xi, eta], -1).double() - mu[:, None, :]
            dx = self.dim_x
            joint = student_t_logpdf(z, sigma, nu)
            marg = (student_t_logpdf(z[..., :dx], sigma[:, :dx, :dx], nu)
                    + student_t_logpdf(z[..., dx:], sigma[:, dx:, dx:], nu))
            return (joint - marg).to(x.dtype)
        z = (torch.cat([xi, eta], -1) - self.mean[:, None, :]).double()  # (K, n, D)
        sigma = self._sigma().double()
        dx = self.dim_x

        def logpdf(v: torch.Tensor, s: torch.Tensor) -> torch.Tensor:  # v (K, n, d), s (K, d, d)
            chol = torch.linalg.cholesky(s)
            w = torch.linalg.solve_triangular(chol, v.transpose(1, 2), upper=False)  # (K, d, n)
            return -0.5 * (w**2).sum(1) - torch.log(torch.diagonal(chol, dim1=-2, dim2=-1)).sum(-1)[:, None]

        joint = logpdf(z, sigma)
        marg = logpdf(z[..., :dx], sigma[:, :dx, :dx]) + logpdf(z[..., dx:], sigma[:, dx:, dx:])
        return (joint - marg).to(x.dtype)  # (K, n); the 2 pi terms cancel

    @torch.no_grad()
    def component_mi(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Tridiagonal variant: per-component MIs (K, p), the mean pointwise MI of each latent pair
        (xi_i, eta_i) on (x, y); they sum to :meth:`estimate`."""
        if self.variant != "tridiagonal":
            raise NeuralMIError("per-component MIs need options.variant='tridiagonal'; this objective is "
                                f"{self.variant!r}.")
        return self.pointwise_mi(x, y).mean(1)

    @torch.no_grad()
    def estimate(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """MI (K,) in nats on (x, y) (e.g. held-out): the mean pointwise MI under the latent Gaussian fitted
        to the training latents."""
        pmi = self.pointwise_mi(x, y)
        mi = pmi.sum(-1).mean(1) if self.variant == "tridiagonal" else pmi.mean(1)
        return torch.where(torch.isfinite(mi), mi, torch.full_like(mi, float("nan")))

    @torch.no_grad()
    def member_info(self, x: torch.Tensor, y: torch.Tensor) -> list[dict[str, Any]]:
        """Per-member diagnostics on (x, y): the variant, the fitted model's MI (training latents) and
        (tridiagonal) the per-component MIs in nats."""
        model = self.model_mi().cpu()
        comps = self.component_mi(x, y).cpu() if self.variant == "tridiagonal" else None
        nus = self.selected_nu()[1].cpu() if self.latent == "student" else None
        out = []
        for k in range(self.n_members):
            info: dict[str, Any] = {"variant": self.variant, "model_mi_nats": float(model[k]),
                                    "latent": self.latent}
            if self.latent == "student":  # nu None: the grid's Gaussian end (nu -> infinity) was chosen
                info["nu"] = float(nus[k]) if math.isfinite(float(nus[k])) else None
            if comps is not None:
                info["component_mi_nats"] = [float(v) for v in comps[k]]
            out.append(info)
        return out

    def ceiling(self, n_eval: int) -> float | None:
        return None

    def merge_best_state(self, best: dict[str, torch.Tensor], current: dict[str, torch.Tensor],
                         improved: torch.Tensor) -> dict[str, torch.Tensor]:
        """Keep each improved member's state: flow tensors are per member (``flows_x.<k>.``); the latent
        Gaussian's tensors have the member index first (row-wise, as in ``training.trainer.merge_rows``)."""
        flat = {n: t for n, t in current.items() if not _FLOW_KEY.match(n)}
        return {**merge_rows({n: best[n] for n in flat}, flat, improved),
                **merge_member_modules(best, current, improved, _FLOW_KEY)}


_FLOW_KEY = re.compile(r"flows_[xy]\.(\d+)\.")


def merge_member_modules(best: dict[str, torch.Tensor], current: dict[str, torch.Tensor], improved: torch.Tensor,
                         key: re.Pattern[str]) -> dict[str, torch.Tensor]:
    """The state tensors of per-member modules (a ``ModuleList`` of K, names matched by ``key``, whose group 1 is the
    member): each improved member's current tensors, the others' best (copies). Names ``key`` does not match are
    left out."""
    out = {}
    for name, t in current.items():
        m = key.match(name)
        if m:
            out[name] = (t if bool(improved[int(m.group(1))]) else best[name]).detach().clone()
    return out


def build_objective(spec: Any, n_members: int, dim_x: int, dim_y: int) -> nn.Module:
    """The registry hook (:data:`~neuralmi_core.estimators.neural.EXTERNAL_TRAINED`): MIENF from a ModelSpec.

    The flows' hyper-networks have ``spec.n_layers`` hidden layers of ``flow_hidden`` units (option; 0, the
    default, is a quarter of ``spec.hidden``: 64 at the default 256, as accurate on the suite as 256 and a third
    of the time per step on a heavy-tailed task, benchmarks/DIAGNOSIS.md section 27); ``spec.options`` holds
    :data:`DEFAULT_OPTIONS` (``variant``, ``flow``, ``transforms``, ``bins``, ``softclip``, ``linear``,
    ``jitter``, ``ema``, ``latent``, ``flow_hidden``, ``latent_fit``, ``context_side``, ``context_dim``).
    ``context_side`` x or y (resolved from ``auto`` by :func:`~neuralmi_core.estimators.neural.fit_ensemble`) builds
    the conditional-flow objective of :mod:`.mienf_conditional` instead, its context read through a linear map to
    ``context_dim`` features where it has more.
    """
    opts = parse_options(spec.options)
    opts.pop("dequantize")  # applied to the data by fit_ensemble (estimators.neural.dequantize_members)
    check_int("n_members", n_members, 1)
    width = int(opts.pop("flow_hidden")) or max(int(spec.hidden) // 4, 1)  # a quarter: benchmarks/README.md
    hidden = (width,) * max(int(spec.n_layers), 1)
    context = opts.pop("context_side")  # auto is resolved on the data by fit_ensemble; without data: a flow per side
    context_dim = int(opts.pop("context_dim"))
    if context in ("x", "y"):
        from .mienf_conditional import ConditionalFlowObjective

        return ConditionalFlowObjective(n_members, dim_x, dim_y, context=context, hidden=hidden, context_dim=context_dim,
                                        **{k: opts[k] for k in ("flow", "transforms", "bins", "linear")})
    return MIENFObjective(n_members, dim_x, dim_y, hidden=hidden, **opts)
