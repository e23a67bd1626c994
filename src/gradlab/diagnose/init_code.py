"""An init recommendation as plain PyTorch: the ``nn.init`` calls that do what ``apply_init`` does.

:func:`gradlab.components.init.apply_init` fills every Linear/Conv weight with ``gain(act) ·
√variance(fans)``, the gain being the one of the activation that follows
(:func:`gradlab.components.init.gain`: √2 for ReLU, He's √(2/(1+a²)) for a leaky slope a, 5/3 for
tanh, 1 for sigmoid and SELU). ``nn.init.kaiming_*_`` and ``xavier_*_`` draw the same numbers
for the same gain, so the line is written with the torch nonlinearity whose gain matches. A
scheme with options, or one torch has no call for, gets the one ``gradlab.apply_init`` line.
"""

from __future__ import annotations

import math
from typing import Any

from gradlab.components.spec import parse_spec
from gradlab.errors import GradlabError

_LAYERS = "(nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)"  # gradlab.components.init.INIT_LAYERS


def _torch_gain(act: Any, he: bool) -> tuple[str, float | None] | None:
    """torch's (nonlinearity, a) with gradlab's gain for ``act``; None when none matches."""
    from gradlab.components.init import gain

    try:
        g = gain("relu" if act is None and he else act)
    except GradlabError:
        return None
    for name, value in (("relu", math.sqrt(2.0)), ("linear", 1.0), ("tanh", 5.0 / 3.0)):
        if math.isclose(g, value, rel_tol=1e-9):
            return name, None
    if 1.0 < g < math.sqrt(2.0):  # a leaky slope: g = √(2 / (1 + a²))
        return "leaky_relu", round(math.sqrt(2.0 / (g * g) - 1.0), 9)
    return None


def _weight_call(scheme: str, act: Any) -> str | None:
    try:
        spec = parse_spec(scheme)
    except GradlabError:
        return None
    name, dist = spec.name.rpartition("_")[0], spec.name.rpartition("_")[2]
    name = {"kaiming": "he", "glorot": "xavier"}.get(name, name)
    if spec.name == "default":
        return ""
    if spec.args or spec.kwargs or dist not in ("normal", "uniform") or name not in ("he", "lecun", "xavier"):
        return None
    g = _torch_gain(act, he=name == "he")
    if g is None:
        return None
    nonlinearity, a = g
    if name == "xavier":
        gain_arg = "" if nonlinearity == "linear" else (
            f", gain=nn.init.calculate_gain({nonlinearity!r}" + (f", {a:g})" if a is not None else ")"))
        return f"nn.init.xavier_{dist}_(m.weight{gain_arg})"
    slope = f"a={a:g}, " if a is not None else ""
    return f'nn.init.kaiming_{dist}_(m.weight, {slope}nonlinearity="{nonlinearity}")'


def _bias_call(scheme: str) -> str | None:
    try:
        spec = parse_spec(scheme)
    except GradlabError:
        return None
    if spec.name == "default":
        return ""
    if spec.name == "zeros":
        return "nn.init.zeros_(m.bias)"
    if spec.name == "constant" and len(spec.args) + len(spec.kwargs) == 1:
        value = spec.args[0] if spec.args else next(iter(spec.kwargs.values()))
        return f"nn.init.constant_(m.bias, {value!r})"
    return None


def init_code(weight: Any, bias: Any, act: Any) -> str:
    """The loop over the model's layers that initializes them as ``apply_init`` would.

    Args:
        weight: the weight scheme (``"he_normal"``; ``"default"`` leaves the weights).
        bias: the bias scheme (``"zeros"``; ``"default"`` leaves the biases).
        act: the activation that follows the layers (after the fix), for the gain.
    """
    w, b = _weight_call(str(weight), act), _bias_call(str(bias))
    if w is None or b is None:
        return f"gradlab.apply_init(model, weight={weight!r}, bias={bias!r}, act={act!r})"
    lines = ["for m in model.modules():", f"    if isinstance(m, {_LAYERS}):"]
    if w:
        lines.append(f"        {w}")
    if b:
        lines += ["        if m.bias is not None:", f"            {b}"]
    return "\n".join(lines) if (w or b) else ""


__all__ = ["init_code"]
