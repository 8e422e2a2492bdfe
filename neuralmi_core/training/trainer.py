"""The shared training loop: K ensemble members trained at once, each early-stopping on its own.

One optimiser step updates all active members (their losses are summed; members share no parameters
and Adam is element-wise, so they stay independent). After every epoch each member's MI is evaluated on
its fixed held-out sample and a fixed training subsample. A centred moving average of the held-out
curve (``smooth_window`` evaluations; of the objective's own held-out score where it names one,
``estimate_with_score``) picks the checkpoint: the reported MI is the average over the
window around the best centre, and the state kept is the one at the window's end (at most
``smooth_window // 2`` epochs later). A member stops once the smoothed curve has not improved for
``patience`` epochs; each member's best state is restored at the end. With ``weight_average`` (``estimate()``'s
default) every evaluation, the checkpoint choice and the kept state use the parameters' exponential average over
about the last epoch's steps instead of their last values, for objectives that allow it (``averageable``); the
patience is then reset only by a new best more than ``AVERAGE_MIN_GAIN`` (0.1 %) above the smoothed value at its
last reset (``min_gain``), while the checkpoint is still the best smoothed value.

Shaped for accelerators: the data sit on the device for the whole fit and minibatches are gathered
there; the step loop never waits for the device (no ``.item()``/``.cpu()`` per step); the members' MI
is read back once per evaluation, and the early-stopping bookkeeping is done on those K numbers. The
next epoch's batch order is drawn on the host (a seeded CPU generator, so every device sees the same
batches) while the device works through the current epoch. Members that have stopped are dropped from
the computation (*compaction*: their rows are cut from the parameters, Adam moments and data) when the
objective allows it (:func:`~.ensemble_state.compactable`); the others' numbers do not change.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from ..results import MemberRecord
from ..settings.declared import RUNTIME, TRAINING
from ..threads import torch_threads
from ..validation import NeuralMIError, check_float, check_int
from .adam import Adam
from .data import EnsembleData, tie_rows
from .device import resolve_device
from .ensemble_state import assign_state, compactable, keep_rows, merge_alive, merge_rows

AUTO_BATCH_MIN, AUTO_BATCH_MAX, AUTO_BATCH_STEPS = 256, 4096, 64


_D = {**TRAINING.defaults(), **RUNTIME.defaults()}


#: Training-set size at which ``weight_decay`` applies as given (the accuracy suite's N = 5000 with a 0.2
#: test fraction, where 0.01 was measured); larger training sets get ``weight_decay * WEIGHT_DECAY_N / n``.
WEIGHT_DECAY_N = 4000

#: Hidden width at which ``weight_decay`` applies as given (the library default, where 0.01 was measured on the
#: accuracy suite); narrower critics get ``weight_decay * hidden / WEIGHT_DECAY_HIDDEN`` (wider ones the value
#: as given). Measured: benchmarks/DIAGNOSIS.md section 18.
WEIGHT_DECAY_HIDDEN = 256


def effective_weight_decay(weight_decay: float, n_train: int, hidden: int | None = None) -> float:
    """The L2 penalty used for a training set of ``n_train`` samples and a critic of ``hidden`` units per
    hidden layer: ``weight_decay`` up to :data:`WEIGHT_DECAY_N` samples, shrinking as ``1/n_train`` beyond;
    times ``hidden / WEIGHT_DECAY_HIDDEN`` for critics narrower than :data:`WEIGHT_DECAY_HIDDEN` (None: no
    width scaling, for objectives that do not say their width).

    The mean training loss plus ``wd/2 |theta|^2`` is the total loss plus ``(n wd / 2) |theta|^2``: a fixed
    prior precision means ``wd`` proportional to ``1/n``, and only a penalty that vanishes with the data
    keeps the estimate consistent (a constant one biases even N = infinity, which no extrapolation
    removes). Below WEIGHT_DECAY_N it stays at the measured value (stronger penalties collapse some
    dependence: benchmarks/DIAGNOSIS.md section 9).

    Width: a layer's weights start at a variance of about 1/fan_in (fan_in = ``hidden`` for every layer but
    the first), so a fixed per-weight penalty is relatively stronger on a narrow critic; scaling it by the
    width keeps the penalty's pull the same relative to the weights' scale. Measured on the demo's network
    rows (spike counts, 2 x 64 critics, 2660-3340 bins): at 0.01 as given 30 of 36 rigorous runs had
    members collapse to a constant critic and 8 of the 24 coupled rows kept less than 0.7 of the MI that
    2 x 256 critics (which never collapsed there) found, 0.35 at worst; at 64/256 x 0.01 none collapsed and
    the median ratio is 0.97 (DIAGNOSIS.md section 18). Wider critics keep the measured value (no
    measurement says a stronger one is safe).

    >>> effective_weight_decay(0.01, 4000), effective_weight_decay(0.01, 16000), effective_weight_decay(0.01, 400)
    (0.01, 0.0025, 0.01)
    >>> effective_weight_decay(0.01, 4000, hidden=64), effective_weight_decay(0.01, 4000, hidden=512)
    (0.0025, 0.01)
    """
    width = 1.0 if hidden is None else min(1.0, int(hidden) / WEIGHT_DECAY_HIDDEN)
    return float(weight_decay) * min(1.0, WEIGHT_DECAY_N / max(int(n_train), 1)) * width


def for_full_data(config: TrainConfig, n_train: int) -> TrainConfig:
    """``config`` with the automatic batch size and the weight-decay scaling fixed for ``n_train`` training
    samples, so that every member of a rigorous or lag run (chunks of 1/gamma of the data) trains like the
    full data set and the members differ in their data size only. Explicit values are kept."""
    if config.batch_n is None:
        config = replace(config, batch_n=n_train)
    if config.weight_decay_n is None:
        config = replace(config, weight_decay_n=n_train)
    return config


def auto_batch_size(n_train: int) -> int:
    """The batch size used when none is given: 256, doubled while an epoch keeps >= 64 steps, at most 4096.

    ``clip(2 ** floor(log2(n_train / 64)), 256, 4096)``: data sets up to 32,767 training samples train
    with 256 (as before); larger ones with bigger batches (512 from 32,768, 4096 from 262,144), which keep
    an accelerator busy, and raise InfoNCE's training-time ceiling log(batch).
    """
    if n_train < AUTO_BATCH_MIN * AUTO_BATCH_STEPS * 2:
        return AUTO_BATCH_MIN
    b = 2 ** int(math.floor(math.log2(n_train / AUTO_BATCH_STEPS)))
    return int(min(AUTO_BATCH_MAX, max(AUTO_BATCH_MIN, b)))


@dataclass(frozen=True)
class TrainConfig:
    """Training settings shared by every trained estimator.

    ``epochs`` is the maximum; an epoch is ``max(min_steps_per_epoch, n_train // batch_size)`` steps of
    ``batch_size`` samples per member (small members cycle through their data more than once).
    ``batch_size=None`` picks :func:`auto_batch_size` of ``batch_n`` (None: the smallest member's training set),
    times the objective's ``batch_scale`` (MIENF's epoch-fitted latent: 2).
    ``threads`` (None: :func:`~neuralmi_core.threads.default_threads`) and ``compact`` change speed, not
    the numbers (same seed, same device and thread count: bit-identical on CPU).
    """

    # the user-facing fields take their defaults from the declarations (neuralmi_core.settings)
    epochs: int = _D["epochs"]
    batch_size: int | None = _D["batch_size"]
    lr: float = _D["lr"]
    weight_decay: float = _D["weight_decay"]
    weight_decay_n: int | None = None  # training size the penalty is scaled for (None: the smallest member's)
    batch_n: int | None = None  # training size the automatic batch is chosen for (None: the smallest member's)
    patience: int = _D["patience"]
    min_epochs: int = 20
    smooth_window: int = 7
    min_steps_per_epoch: int = 4
    eval_size: int = _D["eval_size"]
    seed: int = _D["seed"]
    device: str = _D["device"]
    progress: bool | None = _D["progress"]  # None: show a bar only when stderr is a terminal
    max_curve_points: int = 100
    threads: int | None = _D["threads"]
    compact: bool = True
    weight_average: bool = False  # evaluate and keep the weights averaged over about the last epoch's steps
    #: how much a new best of the smoothed held-out MI must beat its value at the last reset of the patience, as a
    #: fraction of that value, to reset it again (the checkpoint is still the best value); None: AVERAGE_MIN_GAIN when
    #: the weights are averaged, else the objective's own ``min_gain`` (MIENF's epoch-fitted latent), else 0
    min_gain: float | None = None

    def validate(self) -> TrainConfig:
        check_int("epochs", self.epochs, 1)
        if self.batch_size is not None:
            check_int("batch_size", self.batch_size, 2)
        check_float("lr", self.lr, 0.0, low_open=True)
        check_float("weight_decay", self.weight_decay, 0.0)
        check_int("patience", self.patience, 1)
        check_int("min_epochs", self.min_epochs, 0)
        check_int("smooth_window", self.smooth_window, 1)
        check_int("min_steps_per_epoch", self.min_steps_per_epoch, 1)
        check_int("eval_size", self.eval_size, 2)
        check_int("seed", self.seed, 0)
        if self.min_gain is not None:
            check_float("min_gain", self.min_gain, 0.0)
        if self.threads is not None:
            check_int("threads", self.threads, 1)
        return self


@dataclass(frozen=True)
class EnsembleFit:
    """The trained members and how the fit went.

    ``info`` holds the timing breakdown (seconds): ``transfer_s`` (data and model to the device),
    ``train_s`` (optimiser steps), ``eval_s`` (held-out and training-subset MI, early-stopping
    bookkeeping, best-state copies), ``other_s`` (the rest: setup, restoring, records); and the work done:
    ``epochs``, ``steps`` (optimiser steps), ``member_steps`` (steps summed over the members computed),
    ``idle_member_steps`` (of those, steps of members that had already stopped; zero with compaction),
    ``evals``, ``member_evals`` (evaluations summed over the members computed), ``compactions``, ``threads`` and ``compacted``. :func:`~neuralmi_core.estimators.fit_ensemble`
    adds ``preprocess_s``.
    """

    members: tuple[MemberRecord, ...]
    seconds: float
    device: str
    batch_size: int
    steps_per_epoch: int
    n_eval: int
    ceiling_nats: float | None
    info: dict = field(default_factory=dict)


def _subsample(curve: np.ndarray, n: int) -> np.ndarray:
    if len(curve) <= n:
        return np.arange(len(curve))
    return np.unique(np.linspace(0, len(curve) - 1, n).round().astype(int))


def _show_progress(flag: bool | None) -> bool:
    if flag is not None:
        return flag
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def estimate_sets(objective: nn.Module, sets: list[tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
    """``objective.estimate`` of each ``(x, y)`` in ``sets``, stacked (S, K); through the objective's own
    ``estimate_sets`` where it has one (MI-NEE scores its fixed reference sample once for all sets)."""
    batched = getattr(objective, "estimate_sets", None)
    if batched is not None:
        return batched(sets)
    return torch.stack([objective.estimate(x, y) for x, y in sets])


def earliest_stop(epoch: int, since_best: torch.Tensor, cfg: TrainConfig) -> int:
    """Epochs the fit runs at least, seen after epoch ``epoch`` (0-based): the progress bar's total.

    Every member still training (``since_best``: epochs since its last improvement) stops once it has gone
    ``patience`` epochs without improving, and none before ``min_epochs``; an improvement pushes the total
    out again. The bar therefore counts to early stopping, not to the ``epochs`` maximum.
    """
    left = int((cfg.patience - since_best).clamp_min(0).max()) if since_best.numel() else 0
    return min(cfg.epochs, max(epoch + 1 + left, cfg.min_epochs))


class _Clock:
    """Phase timer; on CUDA it synchronises at phase boundaries (once per epoch, never per step)."""

    def __init__(self, device: torch.device):
        self.cuda = device.type == "cuda"
        self.device = device
        self.totals: dict[str, float] = {}
        self.t = time.perf_counter()

    def lap(self, phase: str) -> None:
        if self.cuda:
            torch.cuda.synchronize(self.device)
        now = time.perf_counter()
        self.totals[phase] = self.totals.get(phase, 0.0) + now - self.t
        self.t = now


def train_ensemble(objective: nn.Module, data: EnsembleData, config: TrainConfig | None = None,
                   desc: str = "training") -> EnsembleFit:
    """Train all K members of ``objective`` on ``data``; return one :class:`MemberRecord` per member."""
    cfg = (config or TrainConfig()).validate()
    device = resolve_device(cfg.device)
    # training-time randomness drawn from torch's global generator (variational noise) is seeded from
    # cfg.seed too, so it no longer depends on what ran before in the process
    with torch_threads(cfg.threads) as threads, torch.random.fork_rng(
            devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(int(np.random.SeedSequence([cfg.seed, 1]).generate_state(1)[0]))
        fit = _train(objective, data, cfg, desc)
    fit.info["threads"] = threads
    return fit


#: Weight averaging's horizon in optimiser steps: one epoch's steps, and at least this many.
AVERAGE_MIN_STEPS = 20

#: Under weight averaging the smoothed held-out curve has little minibatch noise left and can creep up by a few
#: parts in 100,000 per epoch for a hundred epochs, each creep resetting the patience (N = 20000: up to
#: 2.4x the epochs of unaveraged training). There, only a gain of more than this fraction of the value at the
#: last reset resets it; the checkpoint is still the best value (benchmarks/DIAGNOSIS.md section 24).
AVERAGE_MIN_GAIN = 0.001


def average_decay(steps_per_epoch: int) -> float:
    """Per-step decay of the weight average: a horizon of ``max(steps_per_epoch, AVERAGE_MIN_STEPS)`` steps."""
    return 1.0 - 1.0 / max(int(steps_per_epoch), AVERAGE_MIN_STEPS)


@torch.no_grad()
def _average_step(opt: Adam, decay: float) -> None:
    """Fold the parameters after this step into their exponential average (``state[p]["average"]``, beside
    Adam's moments, so that compaction slices it with them). Parameters that never had a gradient are skipped.
    Not ``torch.optim.swa_utils.AveragedModel``: it averages into a second copy of the module, which compaction
    would have to cut as well, and evaluation, best-state merges and restoring all work on the objective itself."""
    params, avgs = [], []
    for p in opt.param_groups[0]["params"]:
        st = opt.state.get(p)
        if not st:
            continue
        if "average" not in st:
            st["average"], st["average_steps"] = torch.zeros_like(p), 0
        st["average_steps"] += 1
        params.append(p.detach())
        avgs.append(st["average"])
    if params:
        torch._foreach_lerp_(avgs, params, 1.0 - decay)


@torch.no_grad()
def _swap_in_average(opt: Adam, decay: float) -> list[torch.Tensor]:
    """Load the bias-corrected average (average / (1 - decay^steps), as Adam corrects its moments) into the
    parameters; returns the trained values for :func:`_swap_out_average`."""
    params = opt.param_groups[0]["params"]
    saved = [p.detach().clone() for p in params]
    for p in params:
        st = opt.state.get(p) or {}
        if "average" in st:
            p.copy_(st["average"] / (1.0 - decay ** st["average_steps"]))
    return saved


@torch.no_grad()
def _swap_out_average(opt: Adam, saved: list[torch.Tensor]) -> None:
    for p, value in zip(opt.param_groups[0]["params"], saved, strict=True):
        p.copy_(value)


def _train(objective: nn.Module, data: EnsembleData, cfg: TrainConfig, desc: str) -> EnsembleFit:
    device = resolve_device(cfg.device)
    t0 = time.perf_counter()
    clock = _Clock(device)
    k = data.n_members
    if getattr(objective, "n_members", k) != k:
        raise NeuralMIError(f"the objective has {objective.n_members} members but the data has {k}; they must agree.")
    objective.to(device)
    data.to(device)
    clock.lap("transfer_s")
    if hasattr(objective, "prepare"):  # optional hook: objectives that need training-set statistics
        objective.prepare(data)
    gen = torch.Generator().manual_seed(cfg.seed)
    n_min = int(data.n_train.min())
    # an objective may ask for larger automatic batches (MIENF's epoch-fitted latent: its step is overhead-bound)
    auto = auto_batch_size(cfg.batch_n or n_min) * int(getattr(objective, "batch_scale", 1))
    batch = min(cfg.batch_size or auto, n_min)
    steps = max(cfg.min_steps_per_epoch, n_min // batch)
    reps = math.ceil(steps * batch / n_min)
    n_max = data.x_train.shape[1]
    dx, dy = data.x_train.shape[2], data.y_train.shape[2]
    valid = torch.arange(n_max)[None, :] < torch.as_tensor(data.n_train)[:, None]  # (K, n_max)
    # a critic (or an objective) may scale the penalty (the poisson critics train without it: models/critics.py,
    # PoissonCritic, and MI-NEE's poisson joint critic);
    # a narrow one gets a proportionally weaker penalty (effective_weight_decay)
    # and a critic may scale the learning rate (the poisson critic's 4x: same accuracy in 2-3x fewer epochs), as may
    # an objective (MIENF's epoch-fitted latent: 2x, with its 2x batches)
    critic = getattr(objective, "critic", None)
    lr_scale = float(getattr(critic, "lr_scale", 1.0)) * float(getattr(objective, "lr_scale", 1.0))
    wd_scale = float(getattr(critic, "weight_decay_scale", 1.0)) * float(getattr(objective, "weight_decay_scale", 1.0))
    wd = effective_weight_decay(cfg.weight_decay, cfg.weight_decay_n or n_min, getattr(critic, "hidden", None)) * wd_scale
    opt = Adam(objective.parameters(), lr=cfg.lr * lr_scale, weight_decay=wd)
    compact = cfg.compact and compactable(objective, k)
    # weight averaging (estimate()'s default): the held-out MI, the early-stopping choice and the kept state are
    # of the weights averaged over about the last epoch's steps, which removes the last steps' minibatch noise
    # (benchmarks/README.md, "estimate() and weight averaging"); objectives opt in (critic bounds do)
    average = cfg.weight_average and bool(getattr(objective, "averageable", False))
    decay = average_decay(steps)
    merge = getattr(objective, "merge_best_state", merge_rows)
    end_epoch = getattr(objective, "end_epoch", None)
    n_train_t = torch.as_tensor(np.asarray(data.n_train), dtype=torch.long)

    tie = getattr(data, "tie", None)
    n_draw, draw_row = (k, None) if tie is None else tie_rows(tie)  # replicas take their base member's order
    draw_row = None if draw_row is None else torch.as_tensor(draw_row)

    def draw_order() -> torch.Tensor:  # (K, steps*B) sample indices, on the host
        perms = []
        for _ in range(reps):
            r = torch.rand(n_draw, n_max, generator=gen)
            r = (r if draw_row is None else r[draw_row]).masked_fill(~valid, 2.0)
            perms.append(r.argsort(dim=1)[:, :n_min])
        return torch.cat(perms, dim=1)[:, : steps * batch]

    best_state = {name: t.detach().clone() for name, t in objective.state_dict().items()}
    best_smooth = torch.full((k,), -math.inf)
    best_eval = torch.full((k,), -1, dtype=torch.long)  # centre of the best smoothing window
    kept_eval = torch.full((k,), -1, dtype=torch.long)  # epoch whose state is kept (window end)
    since_best = torch.zeros(k, dtype=torch.long)  # epochs since the patience was last reset
    anchor = torch.full((k,), -math.inf)  # the smoothed value at that reset
    min_gain = cfg.min_gain if cfg.min_gain is not None else (
        AVERAGE_MIN_GAIN if average else float(getattr(objective, "min_gain", 0.0) or 0.0))
    active = torch.ones(k, dtype=torch.bool)
    alive = torch.arange(k)  # members still computed (all of them unless compacted)
    xtr, ytr = data.x_train, data.y_train
    xev, yev, xtev, ytev = data.x_eval, data.y_eval, data.x_train_eval, data.y_train_eval
    stop_epoch = torch.full((k,), cfg.epochs, dtype=torch.long)
    test_curve: list[torch.Tensor] = []
    train_curve: list[torch.Tensor] = []
    # an objective whose estimate is not what its checkpoint should maximise names its own score (the conditional
    # flows of MIENF: their held-out likelihood, not the difference of two likelihoods), given with the held-out
    # estimate from one pass over the held-out rows
    select = getattr(objective, "estimate_with_score", None)
    select_curve: list[torch.Tensor] = []
    work = {"steps": 0, "member_steps": 0, "idle_member_steps": 0, "evals": 0, "member_evals": 0, "compactions": 0}
    h = cfg.smooth_window // 2
    show = _show_progress(cfg.progress)
    bar = tqdm(total=cfg.epochs, desc=desc, disable=not show, leave=False, unit="epoch")
    next_order = draw_order()
    start_training = getattr(objective, "start_training", None)
    if start_training is not None:  # optional hook: objectives that fit statistics of the training set first
        start_training(xtr, ytr, n_train_t)
    clock.lap("other_s")
    for epoch in range(cfg.epochs):
        objective.train()
        # rows of the flattened (K_alive * n_max, d) training tensors: member j's samples start at j * n_max
        order = next_order.index_select(0, alive) + torch.arange(len(alive))[:, None] * n_max
        order = order.to(device, non_blocking=True)  # (K_alive, steps*B)
        weight = active.index_select(0, alive).to(device=device, dtype=xtr.dtype)  # (K_alive,)
        xflat, yflat = xtr.reshape(-1, dx), ytr.reshape(-1, dy)  # views, (K_alive * n_max, d)
        for s in range(steps):
            idx = order[:, s * batch : (s + 1) * batch]  # (K_alive, B)
            xb, yb = xflat[idx], yflat[idx]  # (K_alive, B, dx), (K_alive, B, dy)
            loss, _ = objective.training_loss(xb, yb)  # (K_alive,)
            opt.zero_grad(set_to_none=True)
            (loss * weight).sum().backward()
            opt.step()
            if average:
                _average_step(opt, decay)
        n_alive, n_active = len(alive), int(active.sum())
        work["steps"] += steps
        work["member_steps"] += steps * n_alive
        work["idle_member_steps"] += steps * (n_alive - n_active)
        if end_epoch is not None:  # optional hook: objectives that refit statistics of the training set
            end_epoch(xtr, ytr, n_train_t.index_select(0, alive))
        next_order = draw_order()  # host work while the device finishes the epoch
        clock.lap("train_s")
        objective.eval()
        trained = _swap_in_average(opt, decay) if average else None
        with torch.no_grad():
            if select is None:
                both = estimate_sets(objective, [(xev, yev), (xtev, ytev)])  # (2, K_alive)
            else:  # the held-out estimate and the objective's own checkpoint score from one pass, and the training subset's
                mi_eval, score = select(xev, yev)
                both = torch.stack([mi_eval, objective.estimate(xtev, ytev), score])  # (3, K_alive)
            both = both.float().cpu()  # the one read-back per evaluation
        mi_test = torch.full((k,), math.nan).index_copy_(0, alive, both[0])  # (K,)
        mi_train = torch.full((k,), math.nan).index_copy_(0, alive, both[1])
        work["evals"] += 1
        work["member_evals"] += len(alive)
        test_curve.append(mi_test)
        train_curve.append(mi_train)
        if select is not None:
            select_curve.append(torch.full((k,), math.nan).index_copy_(0, alive, both[2]))
        # centred moving average: the value at centre c = epoch - h averages epochs c-h .. c+h (= now)
        center = max(epoch - h, 0)
        window = torch.stack((test_curve if select is None else select_curve)[max(center - h, 0) :])  # (<= w, K)
        smooth = torch.nan_to_num(window.mean(0), nan=-math.inf)
        improved = active & (smooth > best_smooth)
        if improved.any():
            best_smooth = torch.where(improved, smooth, best_smooth)
            best_eval = torch.where(improved, torch.tensor(center), best_eval)
            kept_eval = torch.where(improved, torch.tensor(epoch), kept_eval)
            with torch.no_grad():
                if compact:
                    merge_alive(best_state, objective.state_dict(), improved.index_select(0, alive), alive)
                else:
                    best_state = merge(best_state, objective.state_dict(), improved)
        if trained is not None:
            _swap_out_average(opt, trained)
        # the patience is reset by a new best that beats the value at the last reset by more than min_gain x its
        # size (with min_gain 0: by every new best); resets are a subset of improvements, so this never trains longer
        bar_to_beat = torch.where(torch.isfinite(anchor), anchor + min_gain * anchor.abs(), anchor)
        reset = improved & (smooth > bar_to_beat)
        anchor = torch.where(reset, smooth, anchor)
        since_best = torch.where(reset, 0, since_best + 1)
        if epoch + 1 >= cfg.min_epochs:
            stopping = active & (since_best >= cfg.patience)
            stop_epoch = torch.where(stopping, torch.tensor(epoch + 1), stop_epoch)
            active = active & ~stopping
        if not active.any():
            clock.lap("eval_s")
            break
        if compact and not bool(active.index_select(0, alive).all()):
            keep = active.index_select(0, alive).nonzero().flatten()  # local rows still training
            opt = keep_rows(objective, opt, keep)
            alive = alive.index_select(0, keep)
            kd = keep.to(device)
            xtr, ytr = xtr.index_select(0, kd), ytr.index_select(0, kd)
            xev, yev = xev.index_select(0, kd), yev.index_select(0, kd)
            xtev, ytev = xtev.index_select(0, kd), ytev.index_select(0, kd)
            work["compactions"] += 1
        clock.lap("eval_s")
        if show:
            bar.total = earliest_stop(epoch, since_best[active], cfg)
            bar.set_postfix(active=f"{int(active.sum())}/{k}", mi=f"{float(smooth[active].mean()):.3f}",
                            refresh=False)
            bar.update(1)
    bar.close()
    assign_state(objective, best_state)
    infos: list[dict] = [{} for _ in range(k)]
    if hasattr(objective, "member_info"):  # optional hook: per-member diagnostics at the kept state
        objective.eval()
        with torch.no_grad():
            infos = list(objective.member_info(data.x_eval, data.y_eval))
    epochs_run = len(test_curve)
    stop_epoch = torch.clamp(stop_epoch, max=epochs_run)
    test = torch.stack(test_curve).numpy()  # (E, K)
    train = torch.stack(train_curve).numpy()
    members = []
    for i in range(k):
        be = int(best_eval[i])
        lo = max(be - h, 0)
        ok = be >= 0
        keep_pts = _subsample(test[: int(stop_epoch[i]), i], cfg.max_curve_points)
        members.append(
            MemberRecord(
                member=i,
                n_train=int(data.n_train[i]),
                n_test=int(data.n_test[i]),
                n_eval=data.n_eval,
                mi_test_nats=float(test[lo : be + h + 1, i].mean()) if ok else float("nan"),
                mi_train_nats=float(train[lo : be + h + 1, i].mean()) if ok else float("nan"),
                mi_test_raw_nats=float(test[int(kept_eval[i]), i]) if ok else float("nan"),
                best_epoch=be + 1 if ok else 0,
                epochs_run=int(stop_epoch[i]),
                stopped_early=bool(stop_epoch[i] < cfg.epochs),
                curve_epochs=tuple(int(e) + 1 for e in keep_pts),
                curve_test_nats=tuple(float(v) for v in test[keep_pts, i]),
                curve_train_nats=tuple(float(v) for v in train[keep_pts, i]),
                info=dict(infos[i]),
            )
        )
    ceiling = objective.ceiling(data.n_eval) if hasattr(objective, "ceiling") else None
    clock.lap("other_s")
    info = {**{key: round(v, 6) for key, v in clock.totals.items()}, **work, "epochs": epochs_run,
            "compacted": compact, "weight_decay": wd, "weight_average": average, "min_gain": min_gain}
    return EnsembleFit(
        members=tuple(members),
        seconds=time.perf_counter() - t0,
        device=str(device),
        batch_size=batch,
        steps_per_epoch=steps,
        n_eval=data.n_eval,
        ceiling_nats=ceiling,
        info=info,
    )
