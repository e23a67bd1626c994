"""Regularizers of seed 004: dropout, alpha dropout, the max-norm constraint, gradient clipping.

Weight decay is not here: it belongs to the optimizer (``create_optimizer(..., weight_decay=)``),
an L2 term in the gradient for SGD/Adam and decoupled from the adaptive step for AdamW.
"""

from __future__ import annotations

from typing import Any, Iterable

import torch
from torch import Tensor, nn

from gradlab.components.registry import Registry
from gradlab.components.spec import Spec
from gradlab.errors import ConfigError

DROPOUTS = Registry("dropout")
CLIP_MODES = ("norm", "value")


def _probability(p: Any) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p < 1.0:
        raise ConfigError(f"dropout must be a probability in [0, 1), got {p!r}")
    return float(p)


@DROPOUTS.register("dropout")
def dropout(p: float = 0.5) -> nn.Module:
    """Standard dropout (Srivastava et al. 2014): zero each unit with probability p in training
    and scale the rest by 1/(1-p), so evaluation needs no rescaling."""
    return nn.Dropout(_probability(p))


@DROPOUTS.register("dropout2d", aliases=("spatial_dropout",))
def dropout2d(p: float = 0.5) -> nn.Module:
    """Channel dropout for conv feature maps (Tompson et al. 2015)."""
    return nn.Dropout2d(_probability(p))


@DROPOUTS.register("alpha_dropout")
def alpha_dropout(p: float = 0.5) -> nn.Module:
    """Alpha dropout (Klambauer et al. 2017): keeps SELU's zero mean and unit variance."""
    return nn.AlphaDropout(_probability(p))


def create_dropout(spec: Any) -> nn.Module:
    """A dropout module from ``0.2``, ``"dropout(0.2)"``, ``"alpha_dropout(0.1)"``, a class or an
    instance (returned as is)."""
    if isinstance(spec, nn.Module):
        return spec
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        return dropout(spec)
    if isinstance(spec, (str, Spec)) or callable(spec):
        return DROPOUTS.create(spec)
    raise ConfigError(f"expected a dropout probability or spec such as 'dropout(0.2)', got {spec!r}")


def clip_gradients(
    params: Iterable[Tensor] | Tensor, by: str = "norm", max: float | Tensor | None = None, *,
    max_value: float | None = None, members: bool = False,
) -> Tensor | None:
    """Clip gradients in place (seed 004), before ``optimizer.step()``.

    ``by="norm"`` rescales all gradients together so their global L2 norm is at most ``max``:
    the direction is kept (seed 004's [0.9, 100] -> [0.009, 0.99996]). ``by="value"`` clamps each
    entry to [-max, max], which can turn the direction ([0.9, 100] -> [0.9, 1.0]).

    Args:
        params: parameters (or one tensor) whose ``.grad`` to clip.
        by: ``"norm"`` or ``"value"``.
        max: the threshold.
        max_value: a synonym of ``max`` (used when ``max`` is None).
        members: the parameters carry a leading member dimension (an ensemble): each member is
            clipped on its own, by its own threshold when ``max`` is an ``[M]`` tensor.

    Returns:
        For ``"norm"``, the global gradient norm before clipping (a tensor, no host sync);
        None for ``"value"``.
    """
    limit = max if max is not None else max_value
    if by not in CLIP_MODES:
        raise ConfigError(f"clip by must be 'norm' or 'value', got {by!r}")
    if members and limit is not None:
        return _clip_members([params] if isinstance(params, Tensor) else list(params), by, limit)
    if limit is None or isinstance(limit, bool) or not float(limit) > 0:
        raise ConfigError(f"gradient clipping needs max > 0, got {limit!r}")
    params = [params] if isinstance(params, Tensor) else list(params)
    if by == "norm":
        return nn.utils.clip_grad_norm_(params, float(limit))
    nn.utils.clip_grad_value_(params, float(limit))
    return None


def _member_view(value: float | Tensor, like: Tensor) -> float | Tensor:
    """A per-member ``[M]`` threshold shaped ``[M, 1, ...]`` against ``like``; a float passes."""
    if not isinstance(value, Tensor):
        return float(value)
    return value.to(like.dtype).view(-1, *[1] * (like.dim() - 1))


def _clip_members(params: list[Tensor], by: str, limit: float | Tensor) -> Tensor | None:
    """``clip_gradients`` per member: the ops of ``clip_grad_norm_``/``clip_grad_value_`` on each
    member's slice, all members at once."""
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return None
    if by == "value":
        for g in grads:
            v = _member_view(limit, g)
            g.clamp_(min=-v, max=v)  # type: ignore[arg-type]  # a float or a tensor, both taken
        return None
    norms = torch.stack([torch.linalg.vector_norm(g.reshape(len(g), -1), dim=1) for g in grads], 1)
    total = torch.linalg.vector_norm(norms, dim=1)
    limit_t = limit.to(total.dtype) if isinstance(limit, Tensor) else limit
    coef = (limit_t / (total + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(coef.view(-1, *[1] * (g.dim() - 1)).to(g.dtype))
    return total


def clip_angle(raw: Iterable[Tensor], clipped: Iterable[Tensor], *, members: bool = False) -> Tensor:
    """The angle in degrees between two gradients given as lists of tensors (e.g. the raw and
    the clipped gradient of every parameter), as a tensor on their device (no host sync).

    Clipping by norm keeps the direction (0°); clipping by value turns it (seed 004's
    [0.9, 100] -> [0.9, 1.0] turns by 41.5°). Computed as 2·atan2(|â - b̂|, |â + b̂|) with â, b̂
    the unit vectors, which stays accurate for tiny angles where acos of a cosine near 1 does not.
    A zero gradient on either side gives 0°.

    Args:
        raw: the gradient before clipping, tensor by tensor.
        clipped: the gradient after clipping, the same tensors in the same order.
        members: the tensors carry a leading member axis ``[M, ...]`` (a batched ensemble): one
            angle per member, ``[M]``; otherwise one 0-d angle over everything.
    """
    raw, clipped = list(raw), list(clipped)
    if not raw:
        return torch.zeros(())

    def sq(t: Tensor) -> Tensor:  # squared norm per member, or in all
        t = t.double()
        return (t * t).reshape(len(t), -1).sum(1) if members else (t * t).sum()

    norm_a = torch.stack([sq(a) for a in raw]).sum(0).sqrt()
    norm_b = torch.stack([sq(b) for b in clipped]).sum(0).sqrt()
    scale_a, scale_b = 1.0 / norm_a.clamp_min(1e-300), 1.0 / norm_b.clamp_min(1e-300)

    def per(t: Tensor, scale: Tensor) -> Tensor:
        return t.double() * (scale.view(-1, *[1] * (t.dim() - 1)) if members else scale)

    diff = torch.stack([sq(per(a, scale_a) - per(b, scale_b)) for a, b in zip(raw, clipped)]).sum(0)
    total = torch.stack([sq(per(a, scale_a) + per(b, scale_b)) for a, b in zip(raw, clipped)]).sum(0)
    angle = torch.rad2deg(2.0 * torch.atan2(diff.sqrt(), total.sqrt()))
    zero = (norm_a == 0) | (norm_b == 0)
    return torch.where(zero, torch.zeros_like(angle), angle).float()


class MaxNorm:
    """Max-norm constraint (Srebro & Shraibman 2005; Srivastava et al. 2014; seed 004): after each
    optimizer step, rescale every unit's weight vector whose L2 norm exceeds ``max_norm`` so
    its norm is exactly ``max_norm``; vectors already inside the ball are left alone.

    Args:
        max_norm: the radius c.
        dim: 1 (default) constrains each unit's *incoming* weights — a Linear row, a conv filter
            (all dims but 0); 0 constrains each input's *outgoing* weights (Linear columns).
        layers: the module types constrained (Linear and Conv by default). Biases are free.
    """

    def __init__(self, max_norm: float, dim: int = 1,
                 layers: tuple[type, ...] = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)):
        if isinstance(max_norm, bool) or not float(max_norm) > 0:
            raise ConfigError(f"max_norm must be > 0, got {max_norm!r}")
        if dim not in (0, 1):
            raise ConfigError(f"max-norm dim must be 1 (incoming) or 0 (outgoing), got {dim!r}")
        self.max_norm, self.dim, self.layers = float(max_norm), dim, layers

    @torch.no_grad()
    def apply(self, model: nn.Module) -> nn.Module:
        """Project the weights of ``model`` onto the constraint, in place; returns the model."""
        for module in model.modules():
            if isinstance(module, self.layers) and getattr(module, "weight", None) is not None:
                self.project_(module.weight)  # type: ignore[arg-type]  # checked not None above
        return model

    @torch.no_grad()
    def project_(self, w: Tensor, members: bool = False, max_norm: Tensor | None = None) -> Tensor:
        """Project one weight tensor in place.

        Args:
            w: a layer's weight.
            members: ``w`` carries a leading member dimension ``[M, out, ...]`` (an ensemble):
                each member's units are constrained on their own.
            max_norm: per-member radii ``[M]`` (default: ``self.max_norm`` for every member).
        """
        lead = 1 if members else 0
        if self.dim == 1:
            norms = w.flatten(lead + 1).norm(dim=lead + 1).view(list(w.shape[: lead + 1]) + [1] * (w.dim() - lead - 1))
        else:
            norms = w.norm(dim=lead, keepdim=True)
        radius = self.max_norm if max_norm is None else _member_view(max_norm, w)
        return w.mul_((radius / norms.clamp_min(1e-12)).clamp(max=1.0))

    __call__ = apply

    def __repr__(self) -> str:
        return f"MaxNorm(max_norm={self.max_norm:g}, dim={self.dim})"


__all__ = ["CLIP_MODES", "DROPOUTS", "MaxNorm", "clip_angle", "clip_gradients", "create_dropout"]
