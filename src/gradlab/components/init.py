"""Weight and bias initializers, with gains that know the activation that follows the layer.

The fan-based schemes keep the variance of the signal constant from layer to layer (seed 004):

* Glorot/Xavier (Glorot & Bengio 2010): Var(W) = gain² · 2 / (fan_in + fan_out).
* LeCun (LeCun et al. 1998, "Efficient BackProp"): Var(W) = gain² / fan_in; with SELU it is what
  makes the network self-normalizing (Klambauer et al. 2017), so SELU's gain is 1.
* He/Kaiming (He et al. 2015, "Delving Deep into Rectifiers"): Var(W) = gain² / fan with
  gain² = 2 / (1 + a²) for a (leaky) ReLU of negative slope a — half the units are off, so the
  variance is doubled to compensate; a leak a passes a² of the negative half back.

A uniform U(-r, r) has variance r²/3, so every scheme has a uniform twin with r = √3 · std.
Every initializer draws from PyTorch's global RNG: ``torch.manual_seed`` makes it repeatable.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import torch
from torch import Tensor, nn

from gradlab.components.registry import Registry
from gradlab.components.spec import Spec, format_spec
from gradlab.errors import ConfigError

INITS = Registry("initializer")
INIT_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
_MODES = ("fan_in", "fan_out")


def gain(act: Any = None) -> float:
    """The recommended gain for a layer followed by activation ``act``.

    Piecewise-linear units (relu, leaky_relu(a), prelu, rrelu, the scheduled and learnable
    leaky ReLUs, identity) get He's exact √(2 / (1 + a²)) with ``a`` their current (mean)
    negative slope: √2 for ReLU, 1 for identity. tanh gets 5/3 (its average slope on unit
    inputs), sigmoid, hard_sigmoid, hardtanh and SELU 1 (SELU wants LeCun's 1/fan_in).
    Smooth ReLU relatives (elu, celu, gelu, silu, swish, mish, softplus, hardswish) get √2,
    the usual heuristic: they behave like ReLU for large |z|.

    Args:
        act: an activation spec (``"leaky_relu(0.2)"``), class, instance or function; None
            means a linear layer (gain 1).
    """
    if act is None:
        return 1.0
    from gradlab.components.activations import activation_info, create_activation

    info = activation_info(create_activation(act))
    if info is None:
        raise ConfigError(f"cannot compute an init gain for {act!r}: not a known activation")
    if info.name in _FIXED_GAINS:
        return _FIXED_GAINS[info.name]
    if info.name in ("relu", "relu6", "leaky_relu", "prelu", "rrelu", "identity",
                     "scheduled_leaky_relu", "learnable_leaky_relu"):
        slope = float(info.derivative(torch.tensor([-1.0])).mean())
        return math.sqrt(2.0 / (1.0 + slope * slope))
    return math.sqrt(2.0)


_act_gain = gain  # for factories whose own ``gain`` argument shadows the function
_FIXED_GAINS = {"tanh": 5.0 / 3.0, "sigmoid": 1.0, "hard_sigmoid": 1.0, "hardtanh": 1.0, "selu": 1.0}


def fans(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a Linear/Conv weight: in/out features times the kernel size."""
    if tensor.dim() < 2:
        raise ConfigError(
            f"fan_in/fan_out need a weight of 2 or more dims, got shape {tuple(tensor.shape)}; "
            "initialize biases through apply_init (which uses the layer's fans) or pass fan=..."
        )
    receptive = math.prod(tensor.shape[2:]) if tensor.dim() > 2 else 1
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


class Initializer:
    """An initializer built from a spec: ``init(tensor, act=None)`` fills ``tensor`` in place.

    Args:
        spec: the canonical spec string, for printing.
        fill: ``fill(tensor, act, fan)`` doing the work under ``torch.no_grad()``.
    """

    def __init__(self, spec: str, fill: Callable[[Tensor, Any, tuple[int, int] | None], object]):
        self.spec, self._fill = spec, fill

    def __call__(self, tensor: Tensor, act: Any = None, *, gain_act: Any = None,
                 fan: tuple[int, int] | None = None) -> Tensor:
        """Fill ``tensor``; ``act`` (or ``gain_act``) is the activation after the layer;
        ``fan`` overrides (fan_in, fan_out), e.g. the layer's fans for its bias."""
        with torch.no_grad():
            self._fill(tensor, act if act is not None else gain_act, fan)
        return tensor

    def __repr__(self) -> str:
        return f"Initializer({self.spec})"


def _spec(name: str, **kwargs: Any) -> str:
    return format_spec(name, (), {k: v for k, v in kwargs.items() if v is not None})


def _check_mode(mode: str) -> str:
    if mode not in _MODES:
        raise ConfigError(f"init mode must be 'fan_in' or 'fan_out', got {mode!r}")
    return mode


def _scaled(name: str, dist: str, variance: Callable[[int, int], float], gain_value: float | None,
            default_act: Any, **shown: Any) -> Initializer:
    """A fan-based initializer: std = gain · √variance(fan_in, fan_out)."""

    def fill(t: Tensor, act: Any, fan: tuple[int, int] | None) -> None:
        fan_in, fan_out = fan if fan is not None else fans(t)
        g = gain_value if gain_value is not None else gain(act if act is not None else default_act)
        std = g * math.sqrt(variance(fan_in, fan_out))
        if dist == "normal":
            t.normal_(0.0, std)
        else:
            bound = math.sqrt(3.0) * std
            t.uniform_(-bound, bound)

    return Initializer(_spec(name, **shown), fill)


def _he(name: str, dist: str):
    def make(mode: str = "fan_in", a: float | None = None, gain: float | None = None) -> Initializer:
        _check_mode(mode)
        g = gain if gain is not None else (None if a is None else math.sqrt(2.0 / (1.0 + a * a)))
        pick = (lambda i, o: 1.0 / i) if mode == "fan_in" else (lambda i, o: 1.0 / o)
        # with no activation given, He's own case: a ReLU follows
        return _scaled(name, dist, pick, g, "relu", mode=None if mode == "fan_in" else mode, a=a, gain=gain)

    make.__doc__ = f"He/Kaiming {dist} (He et al. 2015): std = gain/√fan, gain √2 for ReLU."
    return make


def _lecun(name: str, dist: str):
    def make(mode: str = "fan_in", gain: float | None = None) -> Initializer:
        _check_mode(mode)
        pick = (lambda i, o: 1.0 / i) if mode == "fan_in" else (lambda i, o: 1.0 / o)
        return _scaled(name, dist, pick, gain, None, mode=None if mode == "fan_in" else mode, gain=gain)

    make.__doc__ = f"LeCun {dist} (LeCun et al. 1998): std = gain/√fan_in; SELU's init."
    return make


def _xavier(name: str, dist: str):
    def make(gain: float | None = None) -> Initializer:
        return _scaled(name, dist, lambda i, o: 2.0 / (i + o), gain, None, gain=gain)

    make.__doc__ = f"Glorot/Xavier {dist} (Glorot & Bengio 2010): std = gain·√(2/(fan_in+fan_out))."
    return make


@INITS.register("zeros")
def zeros() -> Initializer:
    """All zeros: every unit of a layer starts identical and stays so (a symmetric start)."""
    return Initializer("zeros", lambda t, act, fan: t.zero_())


@INITS.register("ones")
def ones() -> Initializer:
    """All ones."""
    return Initializer("ones", lambda t, act, fan: t.fill_(1.0))


@INITS.register("constant")
def constant(value: float = 0.0) -> Initializer:
    """Every entry equal to ``value`` (``constant(-8)`` as biases kills every ReLU unit)."""
    return Initializer(format_spec("constant", (value,)), lambda t, act, fan: t.fill_(float(value)))


@INITS.register("normal")
def normal(mean: float = 0.0, std: float = 1.0) -> Initializer:
    """N(mean, std²), independent of the fans (``normal(0, 0.01)``: weights that shrink the signal)."""
    if std < 0:
        raise ConfigError(f"normal std must be >= 0, got {std}")
    return Initializer(format_spec("normal", (mean, std)), lambda t, act, fan: t.normal_(mean, std))


@INITS.register("uniform")
def uniform(a: float = 0.0, b: float = 1.0) -> Initializer:
    """U(a, b), independent of the fans."""
    if a > b:
        raise ConfigError(f"uniform needs a <= b, got a={a}, b={b}")
    return Initializer(format_spec("uniform", (a, b)), lambda t, act, fan: t.uniform_(a, b))


for _name, _make, _alias in (("xavier", _xavier, "glorot"), ("lecun", _lecun, None), ("he", _he, "kaiming")):
    for _dist in ("uniform", "normal"):
        INITS.register(f"{_name}_{_dist}", _make(f"{_name}_{_dist}", _dist),
                       aliases=(f"{_alias}_{_dist}",) if _alias else ())


@INITS.register("orthogonal", help="(semi-)orthogonal matrix times gain (Saxe et al. 2014)")
def orthogonal(gain: float | None = None) -> Initializer:
    """A (semi-)orthogonal matrix times ``gain`` (Saxe et al. 2014); gain defaults to the
    activation's."""

    def fill(t: Tensor, act: Any, fan: tuple[int, int] | None) -> None:
        if t.dim() < 2:
            raise ConfigError(f"orthogonal init needs 2 or more dims, got shape {tuple(t.shape)}")
        rows, cols = t.shape[0], t.numel() // t.shape[0]
        flat = torch.randn(max(rows, cols), min(rows, cols), dtype=torch.float64)
        q, r = torch.linalg.qr(flat)
        q = q * torch.sign(torch.diagonal(r))  # makes Q uniform over the orthogonal group
        if rows < cols:
            q = q.T
        g = gain if gain is not None else _act_gain(act)
        t.copy_((g * q).reshape(t.shape).to(t.dtype))

    return Initializer(_spec("orthogonal", gain=gain), fill)


@INITS.register("default", help="keep PyTorch's own initialization")
def default() -> Initializer:
    """Leave the tensor as PyTorch initialized it (``reset_parameters`` at construction)."""
    return Initializer("default", lambda t, act, fan: None)


def create_init(spec: Any) -> Initializer:
    """An initializer from a spec (``"he_normal(mode='fan_out')"``), an :class:`Initializer`,
    or a function ``f(tensor)`` such as ``torch.nn.init.zeros_``."""
    if isinstance(spec, Initializer):
        return spec
    if isinstance(spec, (str, Spec)):
        return INITS.create(spec)
    if callable(spec):
        name = getattr(spec, "__name__", repr(spec))
        return Initializer(name, lambda t, act, fan: spec(t))
    raise ConfigError(f"expected an initializer name, spec or function, got {spec!r}")


def apply_init(model: nn.Module, weight: Any = "default", bias: Any = "default", act: Any = None) -> nn.Module:
    """Initialize every Linear/Conv1d/2d/3d weight and bias of ``model`` in place.

    A bias has no fans of its own; fan-based schemes (he, lecun, xavier) use the layer's
    weight fans for it, as PyTorch's own default bias init does. ``"default"`` leaves a tensor
    as PyTorch made it.

    Args:
        model: any module; layers are visited in ``model.modules()`` order.
        weight: initializer spec for the weights.
        bias: initializer spec for the biases (``"constant(-8)"``, ``"zeros"``).
        act: the activation that follows the layers, for the gain.

    Returns:
        The model.
    """
    w_init, b_init = create_init(weight), create_init(bias)
    for layer in model.modules():
        if not isinstance(layer, INIT_LAYERS):
            continue
        if w_init.spec != "default":
            w_init(layer.weight, act)
        if layer.bias is not None and b_init.spec != "default":
            b_init(layer.bias, act, fan=fans(layer.weight))
    return model


__all__ = ["INITS", "INIT_LAYERS", "Initializer", "apply_init", "create_init", "fans", "gain"]
