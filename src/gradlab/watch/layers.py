"""What a watch monitors: :class:`LayerInfo` and the discovery of layers in a model."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from torch import nn

from gradlab.components.activations import ActivationInfo, activation_info
from gradlab.errors import ConfigError

# Modules whose 3-dim outputs are [N, C, L] (channels first) rather than [N, T, F].
_CHANNEL_FIRST = (nn.Conv1d, nn.ConvTranspose1d, nn.BatchNorm1d, nn.InstanceNorm1d, nn.MaxPool1d, nn.AvgPool1d)


@dataclass
class LayerInfo:
    """One monitored layer.

    Attributes:
        path: the name in vitals: module path (``"encoder.fc1"``), a repeated call of a shared
            activation (``"act#1"``) or a functional call (``"encoder:relu#0"``).
        kind: ``"activation"`` or ``"param"``.
        module_type: the module class name, or ``"function"`` for functional calls.
        act: canonical activation name for activation sites, else None.
        order: index in forward order of the first call (None if never called).
        depth: index among parametric layers in forward order (None for activations).
    """

    path: str
    kind: str
    module_type: str
    act: str | None = None
    order: int | None = None
    depth: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (JSON-ready)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "LayerInfo":
        """Inverse of :meth:`to_dict`."""
        return cls(d["path"], d["kind"], d["module_type"], d.get("act"), d.get("order"), d.get("depth"))


def module_activation_info(module: nn.Module) -> ActivationInfo | None:
    """The ActivationInfo of an activation module; None for a module that is not one.

    Raises:
        ConfigError: an activation whose parameters cannot be described (torch keeps constructor
            arguments such as ``nn.ELU(alpha="x")`` unchecked, and a subclass may lack them);
            the watch reports it and leaves that module unwatched.
    """
    try:
        info = activation_info(module)
    except ConfigError:
        raise
    except (TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"cannot read the parameters of activation {type(module).__name__}: {exc}") from exc
    # nn.Identity passes z through unchanged: nothing can die or saturate there, and counting it
    # as a site would make a "linear" slot look like an activation layer
    return None if info is None or info.name == "identity" else info


def param_layer_name(path: str) -> str:
    """Vitals name of a parametric layer (the root module's own parameters read ``(root)``)."""
    return path or "(root)"


def has_own_params(module: nn.Module) -> bool:
    """Whether the module owns trainable parameters (not counting its children)."""
    return any(p.requires_grad for p in module.parameters(recurse=False))


def channels_first(module: nn.Module | None) -> bool:
    """Whether 3-dim tensors produced after ``module`` are channels-first."""
    return isinstance(module, _CHANNEL_FIRST) or (
        isinstance(module, nn.modules.conv._ConvNd) and module.__class__.__name__.endswith("1d"))


def generic_candidate(module: nn.Module) -> bool:
    """Whether a module may be an activation nobody declared: a parameter-free, buffer-free leaf
    that is not one of PyTorch's own modules (Dropout, Softmax, ... are not activations) and not
    a known pass-through. Its first call decides (:func:`~gradlab.components.external_activations.is_elementwise`).
    """
    from gradlab.components.external_activations import external_info, wants_autograd

    if type(module).__module__.startswith("torch.") or external_info(module) is False:
        return False
    if wants_autograd(module):
        return True
    return (
        next(module.children(), None) is None
        and next(module.parameters(), None) is None
        and next(module.buffers(), None) is None
    )
