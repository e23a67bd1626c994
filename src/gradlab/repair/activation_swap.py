"""Swap a model's activations for another one, modules and functional calls alike.

Activation *modules* (``nn.ReLU()`` in a Sequential or an attribute) are replaced in their
parent. Activations *called as functions* inside ``forward`` (``F.relu(x)``, ``torch.sigmoid``,
``x.tanh()``) cannot be replaced without editing the user's source, so they are intercepted at
run time with the watch's own :class:`~gradlab.watch.functional.ActivationMode` (the one table of
functionals, :mod:`gradlab.components.functionals`): the model's ``forward`` is wrapped so the
mode is on the stack while it runs, above the watch's, and each hit calls the new activation
instead. The last module of a top-level ``nn.Sequential`` is left alone: it is the output's
activation (a sigmoid producing probabilities), not a hidden one.
"""

from __future__ import annotations

import types
from typing import Any

from torch import nn

from gradlab.components.activations import activation_info, create_activation
from gradlab.watch.functional import ActivationMode


def _is_activation(mod: nn.Module) -> bool:
    return activation_info(mod) is not None and not isinstance(mod, nn.Identity)


def swap_modules(model: nn.Module, spec: Any) -> list[str]:
    """Replace every hidden activation module of ``model`` by a fresh ``create_activation(spec)``.

    Returns:
        The paths of the replaced modules.
    """
    last = None
    if isinstance(model, nn.Sequential) and len(model):
        last = model[len(model) - 1]
    swapped = []
    for path, parent in list(model.named_modules()):
        for name, child in list(parent.named_children()):
            if child is last or not _is_activation(child):
                continue
            setattr(parent, name, create_activation(spec))
            swapped.append(f"{path}.{name}" if path else name)
    return swapped


class _Swapper:
    """The ``on_call`` of the mode: run the replacement on the call's input.

    ``_busy`` is what :class:`ActivationMode` reads to let a call through: it is set while an
    activation *module* runs, so the function inside ``nn.Sigmoid.forward`` (an output layer
    kept on purpose, or an already swapped module) is not swapped a second time.
    """

    def __init__(self, spec: Any):
        self.module = create_activation(spec)
        self.hits = 0
        self._busy = False

    def enter(self, *_: Any) -> None:
        self._busy = True

    def leave(self, *_: Any) -> None:
        self._busy = False

    def __call__(self, func, args, kwargs):
        x = args[0] if args else kwargs.get("input")
        self.hits += 1
        return self.module(x)


def _forward_with_swap(self: nn.Module, *args: Any, **kwargs: Any) -> Any:
    # a module-level function bound to the model: deepcopy rebinds it to the copy, pickle finds it
    with self.__dict__["_gradlab_activation_mode"]:
        return type(self).forward(self, *args, **kwargs)


def swap_functional(model: nn.Module, spec: Any) -> _Swapper:
    """Make every activation called as a function inside ``model.forward`` run ``spec`` instead.

    The model's ``forward`` attribute is wrapped on the instance (its class and source are
    untouched); ``del model.forward`` undoes it.

    Returns:
        The swapper; its ``hits`` counts the calls it replaced.
    """
    swapper = _Swapper(spec)
    for mod in model.modules():
        if _is_activation(mod):
            mod.register_forward_pre_hook(swapper.enter)
            mod.register_forward_hook(swapper.leave, always_call=True)
    model.__dict__["_gradlab_activation_mode"] = ActivationMode(swapper, swapper)
    model.forward = types.MethodType(_forward_with_swap, model)
    # the replacement's own parameters (PReLU) would otherwise be trained by no optimizer
    if list(swapper.module.parameters()):
        model.add_module("_gradlab_swapped_activation", swapper.module)
    return swapper
