"""The optimizer family (seed 004's "faster optimizers"), built on ``torch.optim``.

Every entry is a factory ``f(params, lr, weight_decay=0.0, **kwargs) -> torch.optim.Optimizer``.
Weight decay is the optimizer's business: an L2 term added to the gradient for SGD, Adam and
friends, and decoupled from the adaptive step for AdamW (Loshchilov & Hutter 2019), which is why
seed 004 recommends AdamW when decay matters.
"""

from __future__ import annotations

from typing import Any, Iterable

import torch

from gradlab.components.registry import Registry
from gradlab.components.spec import Spec, format_spec, parse_spec
from gradlab.errors import ConfigError

OPTIMIZERS = Registry("optimizer")


@OPTIMIZERS.register("sgd")
def sgd(params, lr: float, weight_decay: float = 0.0, momentum: float = 0.0, **kw: Any):
    """Plain (mini-batch) gradient descent: θ ← θ - η·∇J."""
    return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay, **kw)


@OPTIMIZERS.register("momentum")
def momentum(params, lr: float, weight_decay: float = 0.0, momentum: float = 0.9, **kw: Any):
    """SGD with momentum 0.9 (Polyak 1964): m ← βm - η∇J; θ ← θ + m, about 1/(1-β) = 10× steps."""
    return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay, **kw)


@OPTIMIZERS.register("nesterov", aliases=("nag",), help="SGD with Nesterov momentum 0.9 (Sutskever et al. 2013)")
def nesterov(params, lr: float, weight_decay: float = 0.0, momentum: float = 0.9, **kw: Any):
    """Nesterov accelerated gradient (Nesterov 1983; Sutskever et al. 2013): the gradient is taken
    one momentum step ahead."""
    return torch.optim.SGD(params, lr=lr, momentum=momentum, nesterov=True, weight_decay=weight_decay, **kw)


@OPTIMIZERS.register("adagrad")
def adagrad(params, lr: float, weight_decay: float = 0.0, **kw: Any):
    """AdaGrad (Duchi et al. 2011): per-parameter steps shrink with the summed squared gradients."""
    return torch.optim.Adagrad(params, lr=lr, weight_decay=weight_decay, **kw)


@OPTIMIZERS.register("rmsprop", help="RMSProp, decay 0.9 (Tieleman & Hinton 2012)")
def rmsprop(params, lr: float, weight_decay: float = 0.0, alpha: float = 0.9, **kw: Any):
    """RMSProp (Tieleman & Hinton 2012): a decaying average of squared gradients; decay ρ = 0.9
    as in seed 004 (PyTorch's own default is 0.99)."""
    return torch.optim.RMSprop(params, lr=lr, alpha=alpha, weight_decay=weight_decay, **kw)


@OPTIMIZERS.register("adam")
def adam(params, lr: float, weight_decay: float = 0.0, **kw: Any):
    """Adam (Kingma & Ba 2015): momentum on the gradient plus RMSProp scaling, bias-corrected."""
    return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, **kw)


@OPTIMIZERS.register("adamw", help="Adam with decoupled weight decay (Loshchilov & Hutter 2019)")
def adamw(params, lr: float, weight_decay: float = 0.0, **kw: Any):
    """AdamW (Loshchilov & Hutter 2019): Adam with weight decay decoupled from the adaptive step.
    With weight_decay=0 it is Adam; pass e.g. ``weight_decay=0.01``."""
    return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, **kw)


@OPTIMIZERS.register("adamax")
def adamax(params, lr: float, weight_decay: float = 0.0, **kw: Any):
    """AdaMax (Kingma & Ba 2015, §7): Adam with the infinity norm of past gradients."""
    return torch.optim.Adamax(params, lr=lr, weight_decay=weight_decay, **kw)


@OPTIMIZERS.register("nadam")
def nadam(params, lr: float, weight_decay: float = 0.0, **kw: Any):
    """NAdam (Dozat 2016): Adam with a Nesterov-style look-ahead momentum."""
    return torch.optim.NAdam(params, lr=lr, weight_decay=weight_decay, **kw)


def _check_args(kwargs: dict, label: str) -> None:
    """Refuse optimizer constants that train straight to NaN or that torch misreads."""
    eps = kwargs.get("eps")
    if eps is not None and (isinstance(eps, bool) or not isinstance(eps, (int, float)) or eps <= 0):
        raise ConfigError(
            f"optimizer {label!r}: eps must be a number > 0, got {eps!r} (eps keeps the step "
            "finite where a gradient's running scale is 0; with eps=0 it is 0/0 = NaN)"
        )
    betas = kwargs.get("betas")
    if betas is not None and not (
        isinstance(betas, (list, tuple)) and len(betas) == 2
        and all(isinstance(b, (int, float)) and not isinstance(b, bool) and 0 <= b < 1 for b in betas)
    ):
        raise ConfigError(
            f"optimizer {label!r}: betas must be two numbers in [0, 1), e.g. betas=[0.9, 0.999]; "
            f"got {betas!r}"
        )


def _tuples(value: Any) -> Any:
    # spec strings can only write lists; torch wants tuples for betas and friends
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def create_optimizer(
    spec: Any, params: Iterable, lr: float, weight_decay: float = 0.0
) -> torch.optim.Optimizer:
    """Build an optimizer from a spec such as ``"adam(betas=[0.9, 0.99])"`` or ``"momentum"``.

    Args:
        spec: a registered name/spec, a ``torch.optim.Optimizer`` subclass or a factory
            ``f(params, lr=..., weight_decay=...)``.
        params: the parameters (or parameter groups) to optimize.
        lr: the learning rate (the spec may not repeat it).
        weight_decay: L2 penalty (decoupled for AdamW).

    Raises:
        ConfigError: unknown name, bad arguments, or a value torch rejects (negative lr, ...).
    """
    params = list(params)
    if isinstance(spec, (str, Spec)):
        parsed = parse_spec(spec) if isinstance(spec, str) else spec
        spec = Spec(parsed.name, tuple(_tuples(a) for a in parsed.args),
                    {k: _tuples(v) for k, v in parsed.kwargs.items()})
        label = format_spec(parsed.name, parsed.args, parsed.kwargs)
        _check_args(parsed.kwargs, label)
    else:
        label = getattr(spec, "__name__", repr(spec))
    if isinstance(spec, Spec) and spec.args:  # positional spec args would land before params
        raise ConfigError(
            f"optimizer {label!r}: give its options by keyword, e.g. 'sgd(momentum=0.5)'"
        )
    try:
        return OPTIMIZERS.create(spec, params, lr=lr, weight_decay=weight_decay)
    except ValueError as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(f"optimizer {label!r} with lr={lr}, weight_decay={weight_decay}: {exc}") from None


__all__ = ["OPTIMIZERS", "create_optimizer"]
