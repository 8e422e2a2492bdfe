"""Adam for the ensemble trainer, without torch.optim's start-up cost.

``torch.optim.Adam`` imports ``torch._dynamo`` the first time an optimiser is built or stepped: 1.3-1.5 s
on an idle 2-core CPU (more on a busy one), paid by every process — a third of a quick ``estimate()``
and of every workflow job's training. This is the same algorithm (Kingma & Ba 2015, with torch's L2
``weight_decay``), element for element as ``torch.optim.Adam``: on the CPU the same operations in the
same order as its single-tensor path (bit-identical, tested); on accelerators batched ``torch._foreach_*``
operations as its multi-tensor path (few kernel launches per step). The moments live in ``state[p]``
(``step``, ``exp_avg``, ``exp_avg_sq``) like torch's, so compaction can slice them.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch


class Adam:
    """Minimal Adam: ``zero_grad()``, ``step()``, ``state`` and ``param_groups`` as in ``torch.optim``."""

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, foreach: bool | None = None):
        params = list(params)
        self.param_groups = [{"params": params, "lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                              "foreach": foreach}]
        self.state: dict[torch.Tensor, dict] = {}

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.param_groups[0]["params"]:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.zero_()

    @torch.no_grad()
    def step(self) -> None:
        group = self.param_groups[0]
        params = [p for p in group["params"] if p.grad is not None]
        if not params:
            return
        lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        for p in params:
            if not self.state.get(p):
                self.state[p] = {"step": 0, "exp_avg": torch.zeros_like(p), "exp_avg_sq": torch.zeros_like(p)}
        states = [self.state[p] for p in params]
        for st in states:
            st["step"] += 1
        step = float(states[0]["step"])  # members of one ensemble step together
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        step_size = lr / bias_correction1
        bias_correction2_sqrt = bias_correction2**0.5
        foreach = group["foreach"] if group["foreach"] is not None else params[0].device.type != "cpu"
        grads = [p.grad for p in params]
        avgs = [st["exp_avg"] for st in states]
        sqs = [st["exp_avg_sq"] for st in states]
        if foreach:
            if wd != 0:
                grads = torch._foreach_add(grads, params, alpha=wd)
            torch._foreach_lerp_(avgs, grads, 1 - beta1)
            torch._foreach_mul_(sqs, beta2)
            torch._foreach_addcmul_(sqs, grads, grads, 1 - beta2)
            denom = torch._foreach_sqrt(sqs)
            torch._foreach_div_(denom, bias_correction2_sqrt)
            torch._foreach_add_(denom, eps)
            torch._foreach_addcdiv_(params, avgs, denom, -step_size)
            return
        for p, grad, exp_avg, exp_avg_sq in zip(params, grads, avgs, sqs, strict=True):
            if wd != 0:
                grad = grad.add(p, alpha=wd)
            exp_avg.lerp_(grad, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
            p.addcdiv_(exp_avg, denom, value=-step_size)
