"""The shared training loop: K ensemble members trained at once, each early-stopping on its own.

One optimiser step updates all active members (their losses are summed; members share no parameters
and Adam is element-wise, so they stay independent). After every epoch each member's MI is evaluated on
its fixed held-out sample and a fixed training subsample. A centred moving average of the held-out
curve (``smooth_window`` evaluations) picks the checkpoint: the reported MI is the average over the
window around the best centre, and the state kept is the one at the window's end (at most
``smooth_window // 2`` epochs later). A member stops once the smoothed curve has not improved for
``patience`` epochs; each member's best state is restored at the end.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from ..results import MemberRecord
from ..validation import check_float, check_int
from .data import EnsembleData
from .device import resolve_device


@dataclass(frozen=True)
class TrainConfig:
    """Training settings shared by every trained estimator.

    ``epochs`` is the maximum; an epoch is ``max(min_steps_per_epoch, n_train // batch_size)`` steps of
    ``batch_size`` samples per member (small members cycle through their data more than once).
    """

    epochs: int = 300
    batch_size: int = 256
    lr: float = 5e-4
    weight_decay: float = 0.0
    patience: int = 40
    min_epochs: int = 20
    smooth_window: int = 7
    min_steps_per_epoch: int = 4
    eval_size: int = 2048
    seed: int = 0
    device: str = "auto"
    progress: bool | None = None  # None: show a bar only when stderr is a terminal
    max_curve_points: int = 100

    def validate(self) -> TrainConfig:
        check_int("epochs", self.epochs, 1)
        check_int("batch_size", self.batch_size, 2)
        check_float("lr", self.lr, 0.0, low_open=True)
        check_float("weight_decay", self.weight_decay, 0.0)
        check_int("patience", self.patience, 1)
        check_int("min_epochs", self.min_epochs, 0)
        check_int("smooth_window", self.smooth_window, 1)
        check_int("min_steps_per_epoch", self.min_steps_per_epoch, 1)
        check_int("eval_size", self.eval_size, 2)
        check_int("seed", self.seed, 0)
        return self


@dataclass(frozen=True)
class EnsembleFit:
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


def merge_rows(best: dict[str, torch.Tensor], current: dict[str, torch.Tensor],
               improved: torch.Tensor) -> dict[str, torch.Tensor]:
    """Default best-state update: every state tensor has the member index first; copy improved rows.

    An objective whose state is laid out otherwise (e.g. a ModuleList of K per-member modules) provides
    its own ``merge_best_state(best, current, improved)`` with the same signature.
    """
    out = {}
    for name, t in current.items():
        mask = improved.to(t.device).view(-1, *([1] * (t.ndim - 1)))
        out[name] = torch.where(mask, t, best[name].to(t.device)).detach().clone()
    return out


def _show_progress(flag: bool | None) -> bool:
    if flag is not None:
        return flag
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def train_ensemble(objective: nn.Module, data: EnsembleData, config: TrainConfig | None = None,
                   desc: str = "training") -> EnsembleFit:
    """Train all K members of ``objective`` on ``data``; return one :class:`MemberRecord` per member."""
    cfg = (config or TrainConfig()).validate()
    device = resolve_device(cfg.device)
    t0 = time.perf_counter()
    k = data.n_members
    if getattr(objective, "n_members", k) != k:
        raise ValueError(f"objective has {objective.n_members} members but data has {k}")
    objective.to(device)
    data.to(device)
    if hasattr(objective, "prepare"):  # optional hook: objectives that need training-set statistics
        objective.prepare(data)
    gen = torch.Generator().manual_seed(cfg.seed)
    n_min = int(data.n_train.min())
    batch = min(cfg.batch_size, n_min)
    steps = max(cfg.min_steps_per_epoch, n_min // batch)
    reps = math.ceil(steps * batch / n_min)
    n_max = data.x_train.shape[1]
    dx, dy = data.x_train.shape[2], data.y_train.shape[2]
    valid = torch.arange(n_max)[None, :] < torch.as_tensor(data.n_train)[:, None]  # (K, n_max)
    opt = torch.optim.Adam(objective.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)

    merge = getattr(objective, "merge_best_state", merge_rows)
    best_state = {name: t.detach().clone() for name, t in objective.state_dict().items()}
    best_smooth = torch.full((k,), -math.inf)
    best_eval = torch.full((k,), -1, dtype=torch.long)  # centre of the best smoothing window
    kept_eval = torch.full((k,), -1, dtype=torch.long)  # epoch whose state is kept (window end)
    since_best = torch.zeros(k, dtype=torch.long)
    active = torch.ones(k, dtype=torch.bool)
    stop_epoch = torch.full((k,), cfg.epochs, dtype=torch.long)
    test_curve: list[torch.Tensor] = []
    train_curve: list[torch.Tensor] = []
    bar = tqdm(range(cfg.epochs), desc=desc, disable=not _show_progress(cfg.progress), leave=False)
    for epoch in bar:
        objective.train()
        perms = []
        for _ in range(reps):
            r = torch.rand(k, n_max, generator=gen).masked_fill(~valid, 2.0)
            perms.append(r.argsort(dim=1)[:, :n_min])
        order = torch.cat(perms, dim=1)[:, : steps * batch].to(device)  # (K, steps*B)
        weight = active.to(device=device, dtype=data.x_train.dtype)
        for s in range(steps):
            idx = order[:, s * batch : (s + 1) * batch, None]  # (K, B, 1)
            xb = torch.gather(data.x_train, 1, idx.expand(-1, -1, dx))  # (K, B, dx)
            yb = torch.gather(data.y_train, 1, idx.expand(-1, -1, dy))  # (K, B, dy)
            loss, _ = objective.training_loss(xb, yb)
            opt.zero_grad(set_to_none=True)
            (loss * weight).sum().backward()
            opt.step()
        objective.eval()
        with torch.no_grad():
            mi_test = objective.estimate(data.x_eval, data.y_eval).float().cpu()
            mi_train = objective.estimate(data.x_train_eval, data.y_train_eval).float().cpu()
        test_curve.append(mi_test)
        train_curve.append(mi_train)
        # centred moving average: the value at centre c = epoch - h averages epochs c-h .. c+h (= now)
        h = cfg.smooth_window // 2
        center = max(epoch - h, 0)
        window = torch.stack(test_curve[max(center - h, 0) :])  # (<= w, K)
        smooth = torch.nan_to_num(window.mean(0), nan=-math.inf)
        improved = active & (smooth > best_smooth)
        if improved.any():
            best_smooth = torch.where(improved, smooth, best_smooth)
            best_eval = torch.where(improved, torch.tensor(center), best_eval)
            kept_eval = torch.where(improved, torch.tensor(epoch), kept_eval)
            with torch.no_grad():
                best_state = merge(best_state, objective.state_dict(), improved)
        since_best = torch.where(improved, 0, since_best + 1)
        if epoch + 1 >= cfg.min_epochs:
            stopping = active & (since_best >= cfg.patience)
            stop_epoch = torch.where(stopping, torch.tensor(epoch + 1), stop_epoch)
            active = active & ~stopping
        if bar is not None and not bar.disable:
            bar.set_postfix(mi=f"{float(smooth[active].mean() if active.any() else smooth.mean()):.3f}",
                            active=int(active.sum()))
        if not active.any():
            break
    objective.load_state_dict(best_state)
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
    h = cfg.smooth_window // 2
    for i in range(k):
        be = int(best_eval[i])
        lo = max(be - h, 0)
        ok = be >= 0
        keep = _subsample(test[: int(stop_epoch[i]), i], cfg.max_curve_points)
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
                curve_epochs=tuple(int(e) + 1 for e in keep),
                curve_test_nats=tuple(float(v) for v in test[keep, i]),
                curve_train_nats=tuple(float(v) for v in train[keep, i]),
                info=dict(infos[i]),
            )
        )
    ceiling = objective.ceiling(data.n_eval) if hasattr(objective, "ceiling") else None
    return EnsembleFit(
        members=tuple(members),
        seconds=time.perf_counter() - t0,
        device=str(device),
        batch_size=batch,
        steps_per_epoch=steps,
        n_eval=data.n_eval,
        ceiling_nats=ceiling,
    )
