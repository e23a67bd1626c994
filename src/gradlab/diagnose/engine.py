"""``diagnose``: run every enabled rule over the vitals and return the findings, worst first."""

from __future__ import annotations

import warnings
from typing import Any, Iterable

from gradlab.diagnose.advice import fit_findings
from gradlab.diagnose.finding import Finding, severity_rank
from gradlab.diagnose.rules import resolve
from gradlab.diagnose.rules._view import info
from gradlab.errors import StatisticError


def diagnose(
    vitals: Any,
    layers: Iterable[Any],
    rules: dict | None = None,
    context: dict | None = None,
    *,
    strict: bool = False,
) -> list[Finding]:
    """Turn recorded vitals into findings.

    Args:
        vitals: the watch's vitals (``w.vitals``): ``series(layer, stat)`` and ``stats(layer)``.
        layers: the monitored layers (``w.layers``), ``LayerInfo`` objects or their dicts.
        rules: per-rule overrides, ``{"dead_units": {"warn_frac": 0.6}, "oscillating_loss": False}``.
        context: what the recommendations are ranked for: ``"config"`` (the run config) and/or flat
            dotted keys such as ``{"train.lr": 0.01}``; ``"phase": "checkup"`` for a single batch
            at initialization (only the rules that apply there run).
        strict: raise when a rule fails instead of warning and skipping it.

    Returns:
        Findings sorted by severity (errors first), then by step and forward order.

    Raises:
        ConfigError: an unknown rule or threshold in ``rules``.
    """
    layers = list(layers)
    context = dict(context or {})
    checkup = context.get("phase") == "checkup"
    findings: list[Finding] = []
    for code, rule, config, at_checkup in resolve(rules):
        if checkup and not at_checkup:
            continue
        try:
            findings.extend(rule(vitals, layers, {**config, "context": context}))
        except Exception as exc:  # a broken rule must not break the user's training
            if strict:
                raise StatisticError(f"rule {code!r} failed: {exc}") from exc
            warnings.warn(f"gradlab: rule {code!r} failed and was skipped: {exc}", stacklevel=2)
    findings = fit_findings(_after_non_finite(findings), context)
    order = {info(layer, "path"): (info(layer, "order") if info(layer, "order") is not None else 1 << 30)
             for layer in layers}
    findings.sort(key=lambda f: (-severity_rank(f.severity), f.step if f.step is not None else -1,
                                 order.get(f.layer, -1)))
    return findings


# findings that stay meaningful once NaN/Inf has spread (they describe the blow-up itself)
_SURVIVE_NAN = {"non_finite", "exploding_gradient"}


def _after_non_finite(findings: list[Finding]) -> list[Finding]:
    """Drop what NaN/Inf made meaningless: a NaN never counts as alive, active or moving.

    Findings first seen before the first non-finite step stay; at a checkup (no steps) only the
    non-finite finding itself and exploding gradients remain.
    """
    bad = [f for f in findings if f.code == "non_finite"]
    if not bad:
        return findings
    first = bad[0].step
    return [f for f in findings
            if f.code in _SURVIVE_NAN or (first is not None and f.step is not None and f.step < first)]
