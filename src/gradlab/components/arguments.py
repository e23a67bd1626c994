"""Why a component's arguments do not fit it, in words: the bad keyword and the valid ones.

``leaky_relu(slope=0.1)`` reaches ``nn.LeakyReLU(slope=0.1)``, and Python's own complaint
("__init__() got an unexpected keyword argument 'slope'") names neither the component's real
parameters nor the one meant. :func:`argument_error` turns that ``TypeError`` into a
:class:`ConfigError` that does.
"""

from __future__ import annotations

import inspect
from typing import Any

from gradlab.components.suggest import did_you_mean
from gradlab.errors import ConfigError


def parameters(target: Any) -> list[str] | None:
    """The keyword parameters ``target`` accepts (a class: its ``__init__``'s), or None when it
    takes any keyword (``**kwargs``) or has no readable signature."""
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):  # some builtins have none
        return None
    params = [p for p in sig.parameters.values() if p.name != "self"]
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    return [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]




def argument_error(kind: str, label: str, target: Any, args: tuple, kwargs: dict,
                   exc: TypeError) -> ConfigError:
    """The error for a call of ``target(*args, **kwargs)`` that raised ``exc``.

    Unknown keywords are named with the closest valid one and the full list; anything else
    (too many positional arguments, a wrong type) keeps Python's message, with the valid list.
    """
    valid = parameters(target)
    if valid is None:
        return ConfigError(f"bad arguments for {kind} {label!r}: {exc}")
    listing = f"(valid: {', '.join(valid)})" if valid else "(it takes no arguments)"
    unknown = [k for k in kwargs if k not in valid]
    if unknown:
        bad = unknown[0]
        return ConfigError(f"{kind} {label!r}: unknown argument {bad!r}"
                           f"{did_you_mean(bad, valid)} {listing}")
    return ConfigError(f"bad arguments for {kind} {label!r}: {exc} {listing}")
