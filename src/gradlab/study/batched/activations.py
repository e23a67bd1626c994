"""Activations applied to a whole ensemble at once, with per-member numeric parameters.

Members of one ensemble share the *kind* of activation but may differ in its numbers (a LeakyReLU
slope sweep, an ELU alpha sweep). Kinds without per-member numbers call the very functional that
``torch.nn`` uses, so a member's forward pass is bit-for-bit the one of its own ``nn.Module``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gradlab.study.batched.errors import NotBatchable

# Modules whose forward is a fixed function of the input (no numbers that a sweep could vary).
_FIXED: dict[type, tuple[str, Callable[[Tensor], Tensor]]] = {
    nn.ReLU: ("relu", F.relu),
    nn.SELU: ("selu", F.selu),
    nn.Tanh: ("tanh", torch.tanh),
    nn.Sigmoid: ("sigmoid", torch.sigmoid),
    nn.SiLU: ("silu", F.silu),
    nn.Mish: ("mish", F.mish),
    nn.Identity: ("identity", lambda z: z),
}


@dataclass
class BatchedActivation:
    """One activation layer of an ensemble.

    Attributes:
        kind: a short name ("relu", "leaky_relu", "elu", ...).
        param: per-member parameter of shape ``[M, 1, 1]`` (slope, alpha) or None.
        modules: each member's own activation module (used for vitals, e.g. its derivative).
        fn: the batched forward ``z -> f(z)`` on ``[M, N, units]``.
    """

    kind: str
    param: Tensor | None
    modules: list[nn.Module]
    fn: Callable[[Tensor], Tensor]

    def __call__(self, z: Tensor) -> Tensor:
        return self.fn(z)

    def member_groups(self) -> list[tuple[list[int], nn.Module]]:
        """Members grouped by identical parameters, with one representative module each.

        Vitals use the representative's derivative on the whole group at once, so a slope sweep
        of nine values costs nine elementwise calls per step, not one per member.
        """
        if self.param is None:
            return [(list(range(len(self.modules))), self.modules[0])]
        groups: dict[float, list[int]] = {}
        for i, value in enumerate(self.param.flatten().tolist()):
            groups.setdefault(value, []).append(i)
        return [(idx, self.modules[idx[0]]) for idx in groups.values()]


def _per_member(values: list[float], device) -> Tensor:
    return torch.tensor(values, dtype=torch.float32, device=device).view(-1, 1, 1)


def batch_activations(modules: list[nn.Module], device=None) -> BatchedActivation:
    """Combine the activation modules of M members (same position in each model) into one.

    Raises:
        NotBatchable: the members use different kinds, non-numeric options differ (GELU's
            ``approximate``), or the module type is not one this file knows.
    """
    first = modules[0]
    kind_type = type(first)
    if any(type(m) is not kind_type for m in modules):
        raise NotBatchable("members use different activation types")
    if kind_type in _FIXED:
        name, fn = _FIXED[kind_type]
        return BatchedActivation(name, None, list(modules), fn)
    if kind_type is nn.GELU:
        approx = {m.approximate for m in modules}
        if len(approx) != 1:
            raise NotBatchable("members use different GELU approximations")
        mode = approx.pop()
        return BatchedActivation("gelu", None, list(modules), lambda z: F.gelu(z, approximate=mode))
    if kind_type is nn.LeakyReLU:
        slopes = [float(m.negative_slope) for m in modules]
        if len(set(slopes)) == 1:
            s = slopes[0]
            return BatchedActivation("leaky_relu", None, list(modules), lambda z: F.leaky_relu(z, s))
        slope = _per_member(slopes, device)
        # torch's leaky_relu is z if z > 0 else z * slope; the same branch and product per member
        return BatchedActivation(
            "leaky_relu", slope, list(modules), lambda z: torch.where(z > 0, z, z * slope)
        )
    if kind_type is nn.ELU:
        alphas = [float(m.alpha) for m in modules]
        if len(set(alphas)) == 1:
            a = alphas[0]
            return BatchedActivation("elu", None, list(modules), lambda z: F.elu(z, a))
        alpha = _per_member(alphas, device)
        return BatchedActivation(
            "elu", alpha, list(modules), lambda z: torch.where(z > 0, z, alpha * torch.expm1(z))
        )
    raise NotBatchable(f"activation {kind_type.__name__} has no batched form")
