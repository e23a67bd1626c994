"""The rule registry: one module per finding code, each with ``CODE``, ``DEFAULTS``, ``CHECKUP``
(whether it applies to a single batch at initialization) and ``rule(vitals, layers, config)``.

Overrides come as ``{"dead_units": {"warn_frac": 0.6}, "oscillating_loss": False}``: a dict merges
into the rule's ``DEFAULTS``, ``False`` turns the rule off, ``True`` keeps the defaults.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, Callable

from gradlab.components.suggest import did_you_mean
from gradlab.diagnose.rules import (
    constant_prediction,
    dead_units,
    exploding_gradient,
    gradients_not_reset,
    loss_not_decreasing,
    non_finite,
    oscillating_loss,
    pinned_activation,
    poor_init_scale,
    saturated_units,
    self_normalization,
    symmetric_weights,
    trained_in_eval_mode,
    update_ratio,
    vanishing_gradient,
)
from gradlab.errors import ConfigError

#: code -> rule module, in the order findings of equal severity are listed
RULES: dict[str, ModuleType] = {
    m.CODE: m
    for m in (
        non_finite,
        gradients_not_reset,
        trained_in_eval_mode,
        exploding_gradient,
        dead_units,
        vanishing_gradient,
        saturated_units,
        pinned_activation,
        self_normalization,
        symmetric_weights,
        poor_init_scale,
        constant_prediction,
        loss_not_decreasing,
        oscillating_loss,
        update_ratio,
    )
}


def resolve(overrides: dict | None = None) -> list[tuple[str, Callable, dict, bool]]:
    """The enabled rules with their thresholds: ``[(code, rule, config, applies_at_checkup)]``.

    Raises:
        ConfigError: an unknown rule code or threshold name, or a value that is not a dict/bool.
    """
    overrides = dict(overrides or {})
    for code in overrides:
        if code not in RULES:
            raise ConfigError(f"unknown rule {code!r}{did_you_mean(code, RULES)} (choices: {', '.join(RULES)})")
    out = []
    for code, module in RULES.items():
        value: Any = overrides.get(code, True)
        if value is False:
            continue
        if value is True or value is None:
            value = {}
        if not isinstance(value, dict):
            raise ConfigError(
                f"rules[{code!r}] must be a dict of thresholds, True or False; got {value!r}"
            )
        for key in value:
            if key not in module.DEFAULTS:
                raise ConfigError(
                    f"unknown threshold {key!r} for rule {code!r}{did_you_mean(key, module.DEFAULTS)} "
                    f"(thresholds: {', '.join(module.DEFAULTS)})"
                )
        out.append((code, module.rule, {**module.DEFAULTS, **value}, module.CHECKUP))
    return out


def defaults() -> dict[str, dict]:
    """Every rule's default thresholds, ``{code: {name: value}}`` (a copy)."""
    return {code: dict(m.DEFAULTS) for code, m in RULES.items()}
