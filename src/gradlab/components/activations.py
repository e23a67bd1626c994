"""The activation family: a registry of modules, factories, and the metadata the watch reads.

``create_activation("leaky_relu(0.2)")``, ``create_activation(nn.GELU)``, an ``nn.Module``
instance (passed through) and a plain function (wrapped) all give a module.
:func:`activation_info` tells, for a name, a module or a functional such as ``F.relu``, how the
activation passes gradient: its derivative from the pre-activation, its gradient floor on the
negative side (0 for ReLU, the slope for LeakyReLU) and whether it saturates.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from torch import nn

from gradlab.components.act_info import ActivationInfo, build_info
from gradlab.components.activation_modules import (
    FunctionActivation,
    LearnableLeakyReLU,
    ScheduledLeakyReLU,
    Swish,
)
from gradlab.components.functionals import (
    FUNCTIONAL_NAMES,
    TENSOR_METHOD_NAMES,
    functional_kwargs,
    lookup,
    strip_run_options,
)
from gradlab.components.registry import Registry
from gradlab.components.spec import Spec, parse_spec
from gradlab.errors import ConfigError

ACTIVATIONS = Registry("activation")

_reg = ACTIVATIONS.register
_reg("relu", nn.ReLU, help="max(0, z); dead when z <= 0 on every sample (Nair & Hinton 2010)")
_reg("relu6", nn.ReLU6, help="min(max(0, z), 6); bounded above only")
_reg("leaky_relu", nn.LeakyReLU, aliases=("leakyrelu",), help="z or negative_slope*z (Maas et al. 2013)")
_reg("prelu", nn.PReLU, help="leaky ReLU with learnable slope(s): num_parameters, init (He et al. 2015)")
_reg("rrelu", nn.RReLU, help="leaky ReLU with a random slope in [lower, upper] (Xu et al. 2015)")
_reg("elu", nn.ELU, help="z or alpha*(e^z - 1) (Clevert et al. 2015)")
_reg("selu", nn.SELU, help="scaled ELU, self-normalizing (Klambauer et al. 2017)")
_reg("celu", nn.CELU, help="continuously differentiable ELU (Barron 2017)")
_reg("gelu", nn.GELU, help="z*Phi(z); approximate='none'|'tanh' (Hendrycks & Gimpel 2016)")
_reg("silu", nn.SiLU, help="z*sigmoid(z) (Elfwing et al. 2017)")
_reg("swish", Swish, help="z*sigmoid(beta*z), beta optionally learnable (Ramachandran et al. 2017)")
_reg("mish", nn.Mish, help="z*tanh(softplus(z)) (Misra 2019)")
_reg("softplus", nn.Softplus, help="log(1 + e^(beta*z))/beta")
_reg("sigmoid", nn.Sigmoid, aliases=("logistic",), help="1/(1 + e^-z); saturates both sides")
_reg("hard_sigmoid", nn.Hardsigmoid, aliases=("hardsigmoid",), help="relu6(z + 3)/6; saturates")
_reg("tanh", nn.Tanh, help="tanh(z); saturates both sides")
_reg("hardtanh", nn.Hardtanh, aliases=("hard_tanh",), help="clamp(z, min_val, max_val); saturates")
_reg("hardswish", nn.Hardswish, aliases=("hard_swish",), help="z*relu6(z + 3)/6 (Howard et al. 2019)")
_reg("identity", nn.Identity, aliases=("linear", "none"), help="z (no nonlinearity)")
_reg(
    "scheduled_leaky_relu",
    ScheduledLeakyReLU,
    help="leaky ReLU whose slope moves from start to end as training progresses (e.g. 0.3 -> 0.1)",
)
_reg("learnable_leaky_relu", LearnableLeakyReLU, help="leaky ReLU with one trainable slope: init")
del _reg

# module class -> (canonical name, how to read its parameters); looked up along the MRO, so a
# subclass (ReLU6 is a Hardtanh, ScheduledLeakyReLU a LeakyReLU) finds its own entry first.
_MODULE_READERS: dict[type, tuple[str, Callable[[Any], dict]]] = {
    nn.ReLU: ("relu", lambda m: {}),
    nn.ReLU6: ("relu6", lambda m: {}),
    ScheduledLeakyReLU: ("scheduled_leaky_relu", lambda m: {"negative_slope": lambda: m.negative_slope}),
    nn.LeakyReLU: ("leaky_relu", lambda m: {"negative_slope": m.negative_slope}),
    LearnableLeakyReLU: ("learnable_leaky_relu", lambda m: {"weight": m.slope}),
    nn.PReLU: ("prelu", lambda m: {"weight": m.weight}),
    nn.RReLU: ("rrelu", lambda m: {"lower": m.lower, "upper": m.upper}),
    nn.ELU: ("elu", lambda m: {"alpha": m.alpha}),
    nn.SELU: ("selu", lambda m: {}),
    nn.CELU: ("celu", lambda m: {"alpha": m.alpha}),
    nn.GELU: ("gelu", lambda m: {"approximate": m.approximate}),
    nn.SiLU: ("silu", lambda m: {}),
    Swish: ("swish", lambda m: {"beta": m.beta}),
    nn.Mish: ("mish", lambda m: {}),
    nn.Softplus: ("softplus", lambda m: {"beta": m.beta, "threshold": m.threshold}),
    nn.Sigmoid: ("sigmoid", lambda m: {}),
    nn.Hardsigmoid: ("hard_sigmoid", lambda m: {}),
    nn.Tanh: ("tanh", lambda m: {}),
    nn.Hardtanh: ("hardtanh", lambda m: {"min_val": m.min_val, "max_val": m.max_val}),
    nn.Hardswish: ("hardswish", lambda m: {}),
    nn.Identity: ("identity", lambda m: {}),
}

def get_activation(spec: Any) -> Callable[..., nn.Module]:
    """The module class for a name/spec, class or instance; a plain function gets a factory.

    Raises:
        UnknownComponentError: an unknown name (with the choices and a did-you-mean).
    """
    if isinstance(spec, nn.Module):
        return type(spec)
    if isinstance(spec, (str, Spec)) or isinstance(spec, type):
        return ACTIVATIONS.get(spec)
    if callable(spec):
        return functools.partial(FunctionActivation, spec)
    raise ConfigError(f"expected an activation name, spec, module or function, got {spec!r}")


def create_activation(spec: Any, **kwargs: Any) -> nn.Module:
    """Build an activation module.

    Args:
        spec: ``"leaky_relu(0.2)"``, a name, an ``nn.Module`` class, an instance (returned as
            is), or a function ``f(x, **kwargs)`` (wrapped in :class:`FunctionActivation`).
        **kwargs: extra constructor (or function) arguments.
    """
    if isinstance(spec, nn.Module):
        if kwargs:
            raise ConfigError(f"activation instance {spec!r} takes no arguments, got {kwargs}")
        return spec
    if isinstance(spec, (str, Spec, type)):
        try:
            module = ACTIVATIONS.create(spec, **kwargs)
        except ValueError as exc:  # a word where a number belongs: float('x') in a constructor
            if isinstance(exc, ConfigError):
                raise
            raise ConfigError(f"bad arguments for activation {spec!r}: {exc}") from None
        _check_parameters(module, spec)
        return module
    if callable(spec):
        return FunctionActivation(spec, **kwargs)
    raise ConfigError(f"expected an activation name, spec, module or function, got {spec!r}")


def _check_parameters(module: nn.Module, spec: Any) -> None:
    """Fail now, naming the spec, on an argument torch accepts but cannot use (``elu(alpha='x')``).

    torch stores such arguments unchecked and only fails deep inside the first forward or init.
    """
    try:
        activation_info(module)
    except (TypeError, ValueError) as exc:
        label = spec if isinstance(spec, str) else getattr(spec, "__name__", repr(spec))
        raise ConfigError(f"bad arguments for activation {label!r}: {exc}") from None


def activation_info(obj: Any, **kwargs: Any) -> ActivationInfo | None:
    """Derivative metadata for an activation given in any of the accepted forms.

    Args:
        obj: a registry name or spec (``"leaky_relu(0.2)"``), a tensor-method name
            (``"relu_"``), an ``nn.Module`` instance or class (its actual slope, alpha, beta or
            learnable weights are read), or a functional (``F.relu``, ``torch.sigmoid``,
            ``torch.Tensor.relu``, ...).
        **kwargs: for a functional, the call's keyword arguments (``negative_slope=0.2``);
            for a name or class, constructor arguments.

    Returns:
        The :class:`ActivationInfo`, or None when ``obj`` is not an activation (``nn.Linear``).

    Raises:
        UnknownComponentError: a string that names no activation.
    """
    if isinstance(obj, str) and obj.strip().lower() in TENSOR_METHOD_NAMES:
        return build_info(TENSOR_METHOD_NAMES[obj.strip().lower()])
    if isinstance(obj, (str, Spec)):
        parsed = parse_spec(obj) if isinstance(obj, str) else obj
        ACTIVATIONS.entry(parsed.name)  # raises with did-you-mean on a typo
        return activation_info(ACTIVATIONS.create(parsed, **kwargs))
    if isinstance(obj, FunctionActivation):
        return activation_info(obj.fn, **obj.kwargs)
    if isinstance(obj, nn.Module):
        for cls in type(obj).__mro__:
            if cls in _MODULE_READERS:
                name, read = _MODULE_READERS[cls]
                return build_info(name, **read(obj))
        return _external(obj)
    if isinstance(obj, type):
        if issubclass(obj, nn.Module) and any(c in _MODULE_READERS for c in obj.__mro__):
            return activation_info(obj(**kwargs))
        return None
    entry = lookup(obj)
    if entry is None:
        return _external(obj)
    return build_info(entry.name, **strip_run_options(kwargs))


@functools.lru_cache(maxsize=None)
def output_range(name: str | None) -> tuple[float, float] | None:
    """The output range of the registered bounded activation ``name`` (or an alias), else None.

    Read from :attr:`ActivationInfo.out_range` with the activation's default parameters.
    """
    if not name or name not in ACTIVATIONS:
        return None
    info = activation_info(ACTIVATIONS.canonical_name(name))
    return info.out_range if info is not None and info.bounded else None


def is_bounded(name: str | None) -> bool:
    """Whether the registered activation ``name`` (or an alias) saturates on both sides.

    Read from :attr:`ActivationInfo.bounded` (sigmoid, tanh, hardtanh, hard_sigmoid), so it
    cannot drift from what the watch measures. A name that is not a registered activation (a
    user's own function) is not known to saturate: False.
    """
    if not name or name not in ACTIVATIONS:
        return False
    info = activation_info(ACTIVATIONS.canonical_name(name))
    return info is not None and info.bounded


def _external(obj: Any) -> ActivationInfo | None:
    """A registered or known library activation (see :mod:`gradlab.components.external_activations`)."""
    from gradlab.components.external_activations import external_info

    info = external_info(obj)
    return info if isinstance(info, ActivationInfo) else None


__all__ = [
    "ACTIVATIONS",
    "ActivationInfo",
    "FUNCTIONAL_NAMES",
    "FunctionActivation",
    "LearnableLeakyReLU",
    "ScheduledLeakyReLU",
    "Swish",
    "TENSOR_METHOD_NAMES",
    "activation_info",
    "create_activation",
    "functional_kwargs",
    "get_activation",
    "is_bounded",
]
