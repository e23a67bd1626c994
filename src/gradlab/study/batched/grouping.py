"""Which trials may be trained as one ensemble.

Two trials can share an ensemble when their configurations differ only in numbers that the
batched model and optimizer hold per member: the seed, the learning rate, the weight decay, the
clipping thresholds and max-norm radius (set for all or for none), and the numeric arguments of
the activation and initializer specs (``leaky_relu(0.01)`` vs ``leaky_relu(0.2)``,
``normal(0, 0.01)`` vs ``normal(0, 1)``, ``constant(-8)`` vs ``constant(1)``; not PReLU's
initial slopes, which one layer's members share). Everything else —
shapes, the optimizer and its options, epochs, batch size, the task, the watch settings — must be
equal. Whether a group really batches is decided when its members are
built (:class:`~gradlab.models.members.NotBatchable`); this key only gathers candidates.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, TypeVar

# values that may differ between the members of one ensemble
_FREE_VALUES = {("train", "lr"), ("train", "weight_decay"), ("train", "clip_norm"),
                ("train", "clip_value"), ("train", "max_norm")}
# component specs whose numeric arguments may differ (the names and string options may not)
_SPEC_KEYS = {("model", "act"), ("model", "init"), ("model", "bias_init")}

T = TypeVar("T")


def _numbers_out(value: Any) -> Any:
    """``value`` with every number replaced by a placeholder (booleans are kept: they are options)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return "#"
    if isinstance(value, (list, tuple)):
        return [_numbers_out(v) for v in value]
    if isinstance(value, dict):
        return {k: _numbers_out(v) for k, v in value.items()}
    return repr(value)


def _spec_shape(value: Any) -> Any:
    if not isinstance(value, str):
        return repr(value)  # a class or an instance: only identical objects group
    from gradlab.components.spec import parse_spec

    try:
        spec = parse_spec(value)
    except Exception:  # noqa: BLE001 - an unparsable spec only means "do not group it"
        return value
    if spec.name == "prelu":  # its numbers are where learnt slopes start: one PReLU layer starts from one
        return [spec.name, list(spec.args), spec.kwargs]
    return [spec.name, _numbers_out(list(spec.args)), _numbers_out(spec.kwargs)]


def group_key(config: dict) -> str:
    """A string equal for configurations that may share one ensemble (``config`` validated)."""
    shape: dict[str, Any] = {}
    for section, values in config.items():
        if not isinstance(values, dict):
            shape[section] = repr(values)
            continue
        out = {}
        for key, value in values.items():
            if (section, key) in _FREE_VALUES:
                out[key] = _numbers_out(value)  # a number or None: all members set it, or none
                continue
            out[key] = _spec_shape(value) if (section, key) in _SPEC_KEYS else value
        shape[section] = out
    return json.dumps(shape, sort_keys=True, default=repr)


def chunks(items: list[T], size: int) -> Iterable[list[T]]:
    """``items`` in consecutive pieces of at most ``size``, balanced (no tiny last piece)."""
    if not items:
        return []
    pieces = -(-len(items) // size)
    per = -(-len(items) // pieces)
    return [items[i : i + per] for i in range(0, len(items), per)]
