"""Activations called as functions (``F.relu``, ``torch.tanh``, ``x.relu()``), seen through a mode.

A :class:`torch.overrides.TorchFunctionMode` sees every torch function and tensor method called
while it is on the mode stack. The watch pushes it only for the duration of a training forward
of the watched model, and attributes each activation call to the module whose forward is
running (a path stack kept by forward pre/post hooks). Per call the cost of an unrelated op is
one dict lookup. Which calls are activations is :mod:`gradlab.components.functionals`' table,
the one the registry reads.
"""

from __future__ import annotations

from typing import Any, Callable

from torch.overrides import TorchFunctionMode

from gradlab.components.functionals import FUNCTIONALS


class ActivationMode(TorchFunctionMode):
    """Hands every activation function call to ``on_call``; everything else passes through.

    Args:
        on_call: ``on_call(func, args, kwargs) -> output``; must run ``func`` itself. While
            it runs, this mode is off the stack (PyTorch disables a mode inside its handler),
            so statistics computed there are not seen again.
        owner: an object whose ``_busy`` attribute, when true, lets calls pass untouched (the
            watch sets it while its own hooks compute statistics).
    """

    def __init__(self, on_call: Callable[[Any, tuple, dict], Any], owner: Any):
        super().__init__()
        self.on_call = on_call
        self.owner = owner

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if kwargs is None:
            kwargs = {}
        try:
            hit = func in FUNCTIONALS
        except TypeError:  # an unhashable callable cannot be an activation
            hit = False
        if not hit or self.owner._busy:
            return func(*args, **kwargs)
        return self.on_call(func, args, kwargs)
