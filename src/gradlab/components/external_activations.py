"""Activations from outside gradlab: other libraries' classes and the user's own.

Three ways an activation that gradlab does not ship becomes one watched site with the right
derivative:

* **known classes of popular libraries**, matched by their qualified class name so that the
  library is never imported here (``transformers.activations.NewGELUActivation`` is GELU's tanh
  approximation, ``QuickGELUActivation`` is ``z·σ(1.702 z)``);
* **declared** with ``gradlab.register_activation`` — like a built-in (``like="silu"``) or with the
  derivative given (``derivative=``);
* **derived**: a parameter-free module that computes an elementwise function (the watch checks
  that on its first call) gets its derivative from autograd (:func:`autograd_info`).

A derivative given as a function yields the metadata the watch needs (gradient floor, maximum,
saturation on both sides) from a float64 probe over a wide grid (:func:`info_from_derivative`).
"""

from __future__ import annotations

from typing import Any, Callable

import torch
from torch import Tensor, nn

from gradlab.components.act_info import ActivationInfo, build_info
from gradlab.errors import ConfigError

# qualified class name -> (canonical name, parameters), or None: "not an activation" (a linear
# pass-through). Names are matched along the MRO, so subclasses inherit their parent's entry.
LIBRARY_CLASSES: dict[str, tuple[str, dict] | None] = {
    "transformers.activations.GELUActivation": ("gelu", {}),
    "transformers.activations.NewGELUActivation": ("gelu", {"approximate": "tanh"}),
    "transformers.activations.GELUTanh": ("gelu", {"approximate": "tanh"}),
    "transformers.activations.PytorchGELUTanh": ("gelu", {"approximate": "tanh"}),
    "transformers.activations.FastGELUActivation": ("gelu", {"approximate": "tanh"}),
    "transformers.activations.AccurateGELUActivation": ("gelu", {"approximate": "tanh"}),
    # Radford et al. (CLIP): z·σ(1.702 z), a Swish with a fixed beta
    "transformers.activations.QuickGELUActivation": ("swish", {"beta": 1.702}),
    "transformers.activations.SiLUActivation": ("silu", {}),
    "transformers.activations.MishActivation": ("mish", {}),
    "transformers.activations.LinearActivation": None,
    # BLOOM's own module: the tanh approximation with a hand-written backward (Megatron's)
    "transformers.models.bloom.modeling_bloom.BloomGelu": ("gelu", {"approximate": "tanh"}),
}

# Library classes whose derivative comes from autograd although they hold parameters.
LIBRARY_AUTOGRAD = {"transformers.activations.XIELUActivation"}

# class or function -> a builder of its ActivationInfo from the instance (None for a function)
_REGISTERED: dict[Any, Callable[[Any], ActivationInfo]] = {}  # filled by activation_registration


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


class Fixed:
    """The builder of a declared activation: the same info for every instance."""

    def __init__(self, info: ActivationInfo):
        self.info = info

    def __call__(self, _instance: Any) -> ActivationInfo:
        return self.info


def unregister_activation(obj: Any) -> None:
    """Forget a :func:`register_activation` declaration (no error when there is none)."""
    _REGISTERED.pop(obj, None)


def label_of(obj: Any) -> str:
    return getattr(obj, "__name__", type(obj).__name__)


def renamed(info: ActivationInfo, name: str) -> ActivationInfo:
    if info.name == name:
        return info
    from dataclasses import replace

    return replace(info, name=name)


def external_info(obj: Any) -> ActivationInfo | None | bool:
    """The info of a registered or known library activation (instance, class or function).

    Returns:
        the :class:`ActivationInfo`; ``False`` for a known pass-through that is no activation
        (``LinearActivation``); None when nothing is known about ``obj``.
    """
    try:
        if obj in _REGISTERED:
            return _REGISTERED[obj](None)
    except TypeError:  # unhashable
        return None
    if not isinstance(obj, nn.Module):
        return None
    for cls in type(obj).__mro__:
        if cls in _REGISTERED:
            return _REGISTERED[cls](obj)
        key = _qualname(cls)
        if key in LIBRARY_CLASSES:
            entry = LIBRARY_CLASSES[key]
            return False if entry is None else build_info(entry[0], **entry[1])
    return None


def wants_autograd(module: nn.Module) -> bool:
    """A library activation with parameters whose derivative comes from autograd."""
    return any(_qualname(c) in LIBRARY_AUTOGRAD for c in type(module).__mro__)


# The probe grid: dense near 0, then far out on both sides to read the limits (an ELU's
# gradient e^z is 6e-6 at z = -12, but exactly 0 at z = -1000: its floor is 0 in the limit).
_FAR = (-1e4, -1e3, -100.0, -40.0, 40.0, 100.0, 1e3, 1e4)


def _grid() -> Tensor:
    return torch.cat([torch.linspace(-12.0, 12.0, 4801, dtype=torch.float64), torch.tensor(_FAR, dtype=torch.float64)])


def info_from_derivative(name: str, derivative: Callable[[Tensor], Tensor],
                         probe: Callable[[Tensor], Tensor] | None = None) -> ActivationInfo:
    """An :class:`ActivationInfo` from ``f'`` alone, its constants read on a float64 grid.

    ``probe`` computes ``f'`` on the grid when it differs from ``derivative`` (an autograd
    derivative of a module that may not run in float64).
    """
    z = _grid()
    with torch.no_grad():
        d = (probe or derivative)(z).double().abs()
    if d.shape != z.shape or not bool(torch.isfinite(d[:-len(_FAR)]).all()):
        raise ConfigError(f"the derivative of activation {name!r} is not an elementwise finite function")
    d = torch.nan_to_num(d, nan=0.0)
    top = float(d.max())
    floor = float(d[z < 0].min())
    far = 0.01 * top
    bounded = bool(d[z <= -100].max() < far) and bool(d[z >= 100].max() < far)
    return ActivationInfo(name=name, derivative=derivative, grad_floor=floor, grad_max=top, bounded=bounded,
                          can_die=floor <= 0.0, dead_threshold=0.0, saturation_threshold=0.01 * top)


def autograd_derivative(fn: Callable[[Tensor], Tensor]) -> Callable[[Tensor], Tensor]:
    """``f'(z)`` of an elementwise ``fn`` by one backward pass (summing the outputs)."""

    def derivative(z: Tensor) -> Tensor:
        with torch.enable_grad():
            zz = z.detach().requires_grad_(True)
            (g,) = torch.autograd.grad(fn(zz).sum(), zz)
        return g.detach()

    return derivative


def autograd_info(name: str, fn: Callable[[Tensor], Tensor], dtype: torch.dtype = torch.float32) -> ActivationInfo:
    """The info of an elementwise function known only by its code: derivative from autograd.

    The grid probe runs in float64 when ``fn`` accepts it, else in ``dtype``.
    """
    derivative = autograd_derivative(fn)

    def probe(z: Tensor) -> Tensor:
        try:
            return derivative(z)
        except RuntimeError:  # a module pinned to its own dtype
            return derivative(z.to(dtype)).double()

    return info_from_derivative(name, derivative, probe)


def is_elementwise(fn: Callable[[Tensor], Tensor], z: Tensor, n: int = 64) -> bool:
    """Whether ``fn`` acts elementwise and deterministically, from ``n`` sample values of ``z``.

    Three evaluations of ``fn`` on the same values in another order and shape must agree, and its
    derivative must vary (a constant derivative is a linear map, not an activation).
    """
    v = z.detach().reshape(-1)[:n].float()
    if v.numel() < 4:
        return False
    v = torch.cat([v, torch.linspace(-4.0, 4.0, 16, dtype=v.dtype, device=v.device)])
    try:
        with torch.no_grad():
            y = fn(v)
            y_flip = fn(v.flip(0))
            y_2d = fn(v.reshape(2, -1))
        if not (isinstance(y, Tensor) and y.shape == v.shape and isinstance(y_2d, Tensor)):
            return False
        # close, not equal: a vectorised kernel and its scalar tail may differ in the last bit
        same = torch.allclose(y, y_flip.flip(0), rtol=1e-5, atol=1e-6, equal_nan=True) and torch.allclose(
            y, y_2d.reshape(-1), rtol=1e-5, atol=1e-6, equal_nan=True)
        if not same:
            return False
        d = autograd_derivative(fn)(v[-16:])
    except Exception:  # noqa: BLE001 - any failure means "not an activation we can read"
        return False
    return bool(torch.isfinite(d).all()) and float(d.max() - d.min()) > 1e-6


__all__ = [
    "LIBRARY_CLASSES",
    "autograd_info",
    "external_info",
    "info_from_derivative",
    "is_elementwise",
    "unregister_activation",
]
