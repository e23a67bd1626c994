"""Ownership of every hook and mode a watch installs, so that detaching is total and idempotent."""

from __future__ import annotations

from typing import Any, Callable

from torch import nn


class HookSet:
    """Holds removable handles; :meth:`remove` drops them all (safe to call twice)."""

    def __init__(self) -> None:
        self._handles: list[Any] = []

    def add(self, handle: Any) -> Any:
        self._handles.append(handle)
        return handle

    def forward(self, module: nn.Module, fn: Callable, *, always: bool = False) -> None:
        """A forward hook; ``always`` also runs it when the forward raised."""
        self.add(module.register_forward_hook(fn, always_call=always))

    def forward_pre(self, module: nn.Module, fn: Callable) -> None:
        self.add(module.register_forward_pre_hook(fn))

    def remove(self) -> None:
        handles, self._handles = self._handles, []
        for h in reversed(handles):
            h.remove()

    def __len__(self) -> int:
        return len(self._handles)


def hook_state(module: nn.Module) -> dict[str, list]:
    """Snapshot of every hook dict of every submodule (for tests: the model is as it was)."""
    out = {}
    for name, mod in module.named_modules():
        for attr, value in vars(mod).items():
            if attr.startswith("_") and "hook" in attr and isinstance(value, dict):
                out[f"{name}/{attr}"] = list(value.keys())
    return out
