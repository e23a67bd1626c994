"""What the watch needs to judge an activation: its derivative, gradient floor and ceiling.

:func:`build_info` maps a canonical activation name and its parameters to an
:class:`ActivationInfo`. The derivative is evaluated from the *pre-activation* ``z`` with
PyTorch's own backward kernels (``aten::threshold_backward``, ``aten::gelu_backward``, ...)
fed a gradient of ones. Those kernels are the closed-form ``f'(z)`` PyTorch differentiates with,
so the result is bit-for-bit what autograd sends back on every device and dtype. That matters:
a unit is "dead" when its local gradient is *exactly* zero, and in float32 GELU's gradient is
exactly 0 already at z = -8 while the textbook ``Phi(z) + z*phi(z)`` evaluated naively gives
-4e-14. One fused kernel is also the cheapest way to get it inside a hook.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor

from gradlab.errors import ConfigError

aten = torch.ops.aten

# SELU's fixed point constants (Klambauer et al. 2017, "Self-Normalizing Neural Networks").
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

# sup |f'(z)| of the smooth ReLU relatives, found on a float64 grid of step 1e-5 over [-10, 10]
# (tests/components/test_activations.py re-derives them with autograd).
GELU_GRAD_MAX = 1.1289041451825208  # at z = sqrt(2) (Hendrycks & Gimpel 2016)
GELU_TANH_GRAD_MAX = 1.128993068655481
SILU_GRAD_MAX = 1.0998393201285284  # at z ~ 2.3994; any Swish beta > 0 has the same sup
MISH_GRAD_MAX = 1.0884981612515674  # at z ~ 1.4906 (Misra 2019)


@dataclass(frozen=True)
class ActivationInfo:
    """How an activation passes gradient, for the dead-unit and saturation vitals.

    Attributes:
        name: canonical registry name, e.g. ``"leaky_relu"``.
        derivative: ``f'(z)`` elementwise from the pre-activation ``z`` (same shape and dtype).
            For modules with trainable or scheduled parameters it reads their current value.
        grad_floor: ``inf |f'(z)|`` over ``z < 0`` (0 for ReLU, the slope for LeakyReLU, 0 in
            the limit for ELU/GELU/SiLU). Read once, when the info was built.
        grad_max: ``sup |f'(z)|`` (1 for ReLU, 0.25 for sigmoid, ~1.0998 for SiLU, ...).
        bounded: saturates on both sides (sigmoid, tanh, hardtanh, hard_sigmoid). ReLU6 is
            bounded above only and counts as unbounded: its left side is ReLU's dead region.
        can_die: a unit can lose all gradient (``grad_floor <= dead_threshold``).
        dead_threshold: ``|f'(z)|`` at or below this is "no gradient" (0.0: exactly zero).
        saturation_threshold: ``0.01 * grad_max``; under it a bounded unit is saturated.
        recover_pre: ``z`` from the output ``y`` where ``f`` is invertible, else None.
        out_range: ``(low, high)``, the outputs a bounded activation can reach, else None.
        pointwise: ``derivative`` is one function of the value of ``z`` alone (no per-channel
            slope), so it may be evaluated on a per-unit statistic of ``z`` as well.
    """

    name: str
    derivative: Callable[[Tensor], Tensor]
    grad_floor: float
    grad_max: float
    bounded: bool
    can_die: bool
    dead_threshold: float = 0.0
    saturation_threshold: float = 0.0
    recover_pre: Callable[[Tensor], Tensor] | None = None
    out_range: tuple[float, float] | None = None
    pointwise: bool = False


def _out_range(name: str, p: dict) -> tuple[float, float] | None:
    """The output range of a bounded activation (hardtanh's from its parameters)."""
    if name == "hardtanh":
        return float(p.get("min_val", -1.0)), float(p.get("max_val", 1.0))
    return {"sigmoid": (0.0, 1.0), "hard_sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}.get(name)


def _ones(z: Tensor) -> Tensor:
    # a zero-stride gradient of ones: no allocation proportional to z
    return torch.ones((), dtype=z.dtype, device=z.device).expand(z.shape)


def channel_view(w: Tensor, z: Tensor) -> Tensor:
    """Shape a PReLU weight (1 or C values) to broadcast over dim 1 of ``z``.

    A weight with a member axis, ``[M, 1 or C]`` (:class:`gradlab.models.member_activations.MemberPReLU`),
    goes against ``[M, N, C]`` activations: each member's slopes over its own rows.
    """
    w = w.detach().to(z.dtype)
    if w.dim() == 2 and z.dim() == 3:
        return w.unsqueeze(1)
    if w.numel() == 1 or z.dim() < 2:
        return w.reshape(()) if w.numel() == 1 else w
    return w.reshape([1, -1] + [1] * (z.dim() - 2))


def _slope_derivative(slope: float | Tensor | Callable[[], float]) -> Callable[[Tensor], Tensor]:
    """f'(z) = 1 for z > 0, else the slope (PyTorch's convention at z = 0)."""
    if isinstance(slope, Tensor):
        return lambda z: torch.where(z > 0, z.new_ones(()), channel_view(slope, z))
    if callable(slope):
        return lambda z: aten.leaky_relu_backward(_ones(z), z, float(slope()), False)
    return lambda z: aten.leaky_relu_backward(_ones(z), z, float(slope), False)


def _leaky_inverse(slope: float | Tensor | Callable[[], float]):
    if isinstance(slope, Tensor):
        if bool((slope.detach() <= 0).any()):
            return None
        return lambda y: torch.where(y > 0, y, y / channel_view(slope, y))
    if callable(slope):
        return lambda y: torch.where(y > 0, y, y / float(slope()))
    return None if slope <= 0 else (lambda y: torch.where(y > 0, y, y / slope))


def _num(value: float | Tensor | Callable[[], float], reduce=min) -> float:
    if isinstance(value, Tensor):
        vals = value.detach().abs().flatten().tolist()
        return float(reduce(vals))
    return abs(float(value() if callable(value) else value))


def build_info(name: str, **p) -> ActivationInfo:
    """The :class:`ActivationInfo` of activation ``name`` with parameters ``p``.

    Slope-like parameters (``negative_slope``, ``weight``) may be floats, tensors (read live at
    each derivative call) or zero-argument callables (a scheduled slope).

    Raises:
        ConfigError: ``name`` has no derivative metadata, or a required parameter is missing.
    """
    try:
        derivative, floor, top, bounded, inverse = _TABLE[name](p)
    except KeyError as exc:
        if name not in _TABLE:
            raise ConfigError(f"no derivative metadata for activation {name!r}") from None
        raise ConfigError(f"activation {name!r} needs parameter {exc.args[0]!r}") from None
    return ActivationInfo(
        name=name,
        derivative=derivative,
        grad_floor=floor,
        grad_max=top,
        bounded=bounded,
        can_die=floor <= 0.0,
        dead_threshold=0.0,
        saturation_threshold=0.01 * top,
        recover_pre=inverse,
        out_range=_out_range(name, p) if bounded else None,
        # a slope tensor of several values (PReLU's per channel) makes f' depend on the position
        pointwise=name in _POINTWISE and all(not isinstance(v, Tensor) or v.numel() == 1 for v in p.values()),
    )


def _leaky(p):
    a = p.get("negative_slope", 0.01)
    return _slope_derivative(a), _num(a), max(1.0, _num(a, max)), False, _leaky_inverse(a)


def _rrelu(p):
    # Training draws a slope per element from U(lower, upper) (Xu et al. 2015); the derivative
    # uses the eval-mode slope (lower + upper) / 2, the floor the smallest slope it can draw.
    lo, hi = float(p.get("lower", 1.0 / 8)), float(p.get("upper", 1.0 / 3))
    return _slope_derivative((lo + hi) / 2), min(abs(lo), abs(hi)), max(1.0, abs(lo), abs(hi)), False, None


def _prelu(p):
    w = p["weight"]  # He et al. 2015: one learnable slope per channel (or one for all)
    return _slope_derivative(w), _num(w, min), max(1.0, _num(w, max)), False, _leaky_inverse(w)


def _elu(p):
    # Clevert et al. 2015: alpha*(e^z - 1) for z < 0; f' = alpha*e^z -> 0 as z -> -inf
    a = float(p.get("alpha", 1.0))
    inv = (lambda y: torch.where(y > 0, y, torch.log1p(y / a))) if a > 0 else None
    return (lambda z: aten.elu_backward(_ones(z), a, 1.0, 1.0, False, z)), 0.0, max(1.0, abs(a)), False, inv


def _selu(p):
    def inv(y: Tensor) -> Tensor:
        return torch.where(y > 0, y / SELU_SCALE, torch.log1p(y / (SELU_SCALE * SELU_ALPHA)))

    d = lambda z: aten.elu_backward(_ones(z), SELU_ALPHA, SELU_SCALE, 1.0, False, z)  # noqa: E731
    return d, 0.0, SELU_SCALE * SELU_ALPHA, False, inv  # sup at z -> 0-: scale*alpha ~ 1.7581


def _celu(p):
    # Barron 2017: alpha*(e^(z/alpha) - 1); f' = e^(z/alpha) <= 1 on the left
    a = float(p.get("alpha", 1.0))
    inv = (lambda y: torch.where(y > 0, y, a * torch.log1p(y / a))) if a > 0 else None
    return (lambda z: aten.elu_backward(_ones(z), a, 1.0, 1.0 / a, False, z)), 0.0, 1.0, False, inv


def _gelu(p):
    # Hendrycks & Gimpel 2016: z*Phi(z) (or its tanh approximation)
    mode = str(p.get("approximate", "none"))
    if mode not in ("none", "tanh"):
        raise ConfigError(f"gelu approximate must be 'none' or 'tanh', got {mode!r}")
    top = GELU_GRAD_MAX if mode == "none" else GELU_TANH_GRAD_MAX
    return (lambda z: aten.gelu_backward(_ones(z), z, approximate=mode)), 0.0, top, False, None


def _swish(p):
    beta = p.get("beta", 1.0)
    if not isinstance(beta, Tensor) and float(beta) == 1.0:
        return (lambda z: aten.silu_backward(_ones(z), z)), 0.0, SILU_GRAD_MAX, False, None

    def d(z: Tensor) -> Tensor:
        # Ramachandran et al. 2017: d/dz z*s(bz) = s + b*z*s*(1 - s), s = sigmoid(b*z)
        b = beta.detach().to(z.dtype) if isinstance(beta, Tensor) else float(beta)
        s = torch.sigmoid(b * z)
        return s + z * (s * (1 - s)) * b

    # f'(z) = g(beta*z) with g the SiLU derivative, so the sup is SiLU's for any beta > 0
    return d, 0.0, SILU_GRAD_MAX, False, None


def _softplus(p):
    b, t = float(p.get("beta", 1.0)), float(p.get("threshold", 20.0))

    def inv(y: Tensor) -> Tensor:
        return torch.where(b * y > t, y, torch.log(torch.expm1(b * y)) / b)

    return (lambda z: aten.softplus_backward(_ones(z), z, b, t)), 0.0, 1.0, False, inv


def _hardtanh(p):
    lo, hi = float(p.get("min_val", -1.0)), float(p.get("max_val", 1.0))
    return (lambda z: aten.hardtanh_backward(_ones(z), z, lo, hi)), 0.0, 1.0, True, None


_TABLE: dict[str, Callable] = {
    "relu": lambda p: (lambda z: aten.threshold_backward(_ones(z), z, 0), 0.0, 1.0, False, None),
    # bounded above only: its left side is ReLU's dead region, so it is judged like ReLU
    "relu6": lambda p: (lambda z: aten.hardtanh_backward(_ones(z), z, 0.0, 6.0), 0.0, 1.0, False, None),
    "leaky_relu": _leaky,  # Maas et al. 2013
    "scheduled_leaky_relu": _leaky,
    "learnable_leaky_relu": _prelu,
    "prelu": _prelu,
    "rrelu": _rrelu,
    "elu": _elu,
    "selu": _selu,
    "celu": _celu,
    "gelu": _gelu,
    "silu": lambda p: _swish({"beta": 1.0}),
    "swish": _swish,
    "mish": lambda p: (lambda z: aten.mish_backward(_ones(z), z), 0.0, MISH_GRAD_MAX, False, None),
    "softplus": _softplus,
    "sigmoid": lambda p: (
        lambda z: aten.sigmoid_backward(_ones(z), torch.sigmoid(z)), 0.0, 0.25, True, torch.logit
    ),
    "hard_sigmoid": lambda p: (lambda z: aten.hardsigmoid_backward(_ones(z), z), 0.0, 1 / 6, True, None),
    "tanh": lambda p: (lambda z: aten.tanh_backward(_ones(z), torch.tanh(z)), 0.0, 1.0, True, torch.atanh),
    "hardtanh": _hardtanh,
    # x*relu6(x+3)/6; PyTorch's backward is z/3 + 1/2 on [-3, 3], so sup |f'| = 1.5 at z = 3
    "hardswish": lambda p: (lambda z: aten.hardswish_backward(_ones(z), z), 0.0, 1.5, False, None),
    "identity": lambda p: (lambda z: torch.ones_like(z), 1.0, 1.0, False, lambda y: y),
}

# Derivatives that read nothing but z and scalar parameters (the slope families take a slope
# per channel, so they are left out).
_POINTWISE = frozenset({"relu", "relu6", "elu", "selu", "celu", "gelu", "silu", "swish", "mish", "softplus",
                        "sigmoid", "hard_sigmoid", "tanh", "hardtanh", "hardswish"})

NAMES_WITH_INFO = tuple(_TABLE)

__all__ = ["ActivationInfo", "NAMES_WITH_INFO", "SELU_ALPHA", "SELU_SCALE", "build_info", "channel_view"]
