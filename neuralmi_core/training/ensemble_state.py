"""Per-member state of a batched ensemble: best-state merges and compaction (dropping stopped members).

Every parameter and buffer of an objective holds the K members on its first dimension (the
:class:`~.objective.Objective` contract). Members share nothing, so a member that has stopped can be
removed from the computation by keeping only the rows of the members still training — in the
parameters, their Adam moments and the buffers — without changing any other member's numbers: each
member's matrix products, losses and Adam updates only ever read its own rows.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


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


def compactable(objective: nn.Module, k: int) -> bool:
    """True when ``objective`` allows compaction and every state tensor has the K members first.

    Objectives opt in with a truthy ``compactable`` attribute: one whose members draw random numbers
    jointly (e.g. variational noise for all K at once) would see other numbers once a member is gone.
    """
    if not getattr(objective, "compactable", False):
        return False
    tensors = [*objective.parameters(), *objective.buffers()]
    return all(t.ndim >= 1 and t.shape[0] == k for t in tensors)


def _owner(module: nn.Module, name: str) -> tuple[nn.Module, str]:
    path, _, attr = name.rpartition(".")
    return (module.get_submodule(path) if path else module), attr


def keep_rows(objective: nn.Module, optimizer: Any, rows: torch.Tensor) -> Any:
    """Keep only member rows ``rows`` (local indices, ascending) of every parameter, Adam moment and buffer.

    Parameters are replaced by new leaf tensors (autograd caches a leaf's shape, so resizing in place is
    not possible); the returned optimiser (same class and settings as ``optimizer``: torch.optim's or
    :class:`~.adam.Adam`) holds them with the sliced state.
    """
    new_params = []
    states = []
    for name, p in list(objective.named_parameters()):
        idx = rows.to(p.device)
        state = {}
        for key, value in optimizer.state.get(p, {}).items():
            sliced = torch.is_tensor(value) and value.ndim >= 1 and value.shape[:1] == p.shape[:1]
            state[key] = value.index_select(0, idx) if sliced else value
        owner, attr = _owner(objective, name)
        q = nn.Parameter(p.detach().index_select(0, idx), requires_grad=p.requires_grad)
        owner._parameters[attr] = q
        new_params.append(q)
        states.append(state)
    for name, buf in list(objective.named_buffers()):
        owner, attr = _owner(objective, name)
        owner._buffers[attr] = buf.index_select(0, rows.to(buf.device))
    group = {key: value for key, value in optimizer.param_groups[0].items() if key != "params"}
    new_opt = type(optimizer)(new_params, **group)
    for q, state in zip(new_params, states, strict=True):
        if state:
            new_opt.state[q] = state
    return new_opt


def merge_alive(best: dict[str, torch.Tensor], current: dict[str, torch.Tensor], improved_local: torch.Tensor,
                alive: torch.Tensor) -> None:
    """Copy the improved rows of a compacted state into the full best state, in place.

    ``current`` holds the members ``alive`` (indices into K, ascending); ``improved_local`` (bool, one per
    alive member) says which of them improved.
    """
    local = improved_local.nonzero().flatten()
    full = alive[local]
    # one copy of each index per device, not one per tensor: on a GPU every host-to-device copy of an index
    # synchronises (130 of the 160 synchronising calls of a 5-epoch fit on an H200 were these copies)
    full_on = {d: full.to(d) for d in {best[name].device for name in current}}
    local_on = {d: local.to(d) for d in {t.device for t in current.values()}}
    for name, t in current.items():
        dst = best[name]
        dst.index_copy_(0, full_on[dst.device], t.detach().index_select(0, local_on[t.device]))


def assign_state(objective: nn.Module, state: dict[str, torch.Tensor]) -> None:
    """Load ``state`` into ``objective`` even when its tensors were compacted to fewer members."""
    shapes_match = all(t.shape == state[n].shape for n, t in objective.state_dict().items())
    if shapes_match:
        objective.load_state_dict(state)
        return
    params = dict(objective.named_parameters())
    for name, value in state.items():
        owner, attr = _owner(objective, name)
        if name in params:
            owner._parameters[attr] = nn.Parameter(value.clone(), requires_grad=params[name].requires_grad)
        else:
            owner._buffers[attr] = value.clone()
