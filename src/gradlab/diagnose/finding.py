"""A :class:`Finding`: one diagnosed pathology, with the numbers behind it and runnable fixes.

A finding is what a rule says about the vitals: a stable ``code``, a ``severity``, where it holds
(``layer``, ``step``), the ``evidence`` as plain numbers, a ``message`` a student understands, and
``recommendations`` ranked for the context, each a set of run-config keys a study can run as is::

    {"set": {"model.act": "leaky_relu(0.1)", "model.init": "he_normal"}, "why": "..."}
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

from gradlab.errors import ConfigError

#: Every code a rule may emit; stable strings that studies and reports key on.
CODES = (
    "dead_units",
    "saturated_units",
    "vanishing_gradient",
    "exploding_gradient",
    "non_finite",
    "symmetric_weights",
    "poor_init_scale",
    "loss_not_decreasing",
    "oscillating_loss",
    "update_ratio",
    "constant_prediction",
    "pinned_activation",
    "self_normalization",
    "gradients_not_reset",
    "trained_in_eval_mode",
)

#: Severities from least to most serious; ``severity_rank`` orders them.
SEVERITIES = ("info", "warning", "error")


def severity_rank(severity: str) -> int:
    """Position of ``severity`` in :data:`SEVERITIES` (info 0, warning 1, error 2).

    Raises:
        ConfigError: ``severity`` is not one of the three names.
    """
    try:
        return SEVERITIES.index(severity)
    except ValueError:
        raise ConfigError(
            f"unknown severity {severity!r}: expected one of {', '.join(SEVERITIES)}"
        ) from None


def _plain(value: Any) -> Any:
    """Evidence as JSON-friendly Python values (floats, ints, strings, lists, dicts)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy / torch scalars
        try:
            return value.item()
        except (ValueError, RuntimeError):
            return [_plain(v) for v in value.tolist()]
    return value


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return f"{value:.3g}"
    return str(value)


@dataclass
class Finding:
    """One diagnosed pathology.

    Attributes:
        code: one of :data:`CODES`.
        severity: ``"info"``, ``"warning"`` or ``"error"``.
        layer: the module path (``"fc2"``, ``"block1:relu#0"``), or None for model-wide findings.
        step: the first step where it held; None for a checkup (no training yet).
        evidence: the numbers that support it.
        message: one or two sentences a student understands.
        recommendations: ranked, runnable fixes ``{"set": {dotted.key: value}, "why": str,
            "code": plain PyTorch, "actions": [{"op": ..., ...}]}`` (code and actions from
            :mod:`gradlab.diagnose.code_fixes`).
    """

    code: str
    severity: str
    layer: str | None
    step: int | None
    evidence: dict = field(default_factory=dict)
    message: str = ""
    recommendations: list = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ConfigError(f"unknown finding code {self.code!r}: expected one of {', '.join(CODES)}")
        severity_rank(self.severity)  # validates
        self.evidence = _plain(dict(self.evidence))

    @property
    def key(self) -> tuple[str, str | None]:
        """What a finding is announced once per: ``(code, layer)``."""
        return (self.code, self.layer)

    def to_dict(self) -> dict:
        """A JSON-serialisable dict; :meth:`from_dict` reads it back."""
        # not dataclasses.asdict: its deep copy cost 3 ms per finding, and _plain copies anyway
        return _plain({f.name: getattr(self, f.name) for f in fields(self)})

    @classmethod
    def from_dict(cls, d: dict) -> "Finding":
        """Rebuild a finding from :meth:`to_dict` output (extra keys are ignored)."""
        return cls(
            code=d["code"],
            severity=d["severity"],
            layer=d.get("layer"),
            step=d.get("step"),
            evidence=dict(d.get("evidence") or {}),
            message=d.get("message", ""),
            recommendations=[dict(r) for r in d.get("recommendations") or []],
        )

    def headline(self) -> str:
        """``"ERROR dead_units at act2 (step 30)"`` — the first line of :meth:`__str__`."""
        where = f" at {self.layer}" if self.layer else ""
        when = f" (step {self.step})" if self.step is not None else ""
        return f"{self.severity.upper()} {self.code}{where}{when}"

    def details(self, recommendations: list | None = None, label: str = "evidence") -> list[str]:
        """The lines under the headline: the evidence, then each fix with its PyTorch code.

        Args:
            recommendations: the fixes to list (default: this finding's own).
            label: what the evidence line starts with (a group names the layer it comes from).
        """
        lines = []
        if self.evidence:
            shown = ", ".join(f"{k}={_fmt(v)}" for k, v in self.evidence.items() if not isinstance(v, (dict, list)))
            if shown:
                lines.append(f"  {label}: {shown}")
        recs = self.recommendations if recommendations is None else recommendations
        for i, rec in enumerate(recs, 1):
            settings = ", ".join(f"{k}={v!r}" for k, v in rec.get("set", {}).items())
            lines.append(f"  fix {i}: {settings or 'in your code'} — {rec.get('why', '')}")
            if rec.get("code"):
                lines += ["      " + line for line in rec["code"].splitlines()]
        return lines

    def __str__(self) -> str:
        return "\n".join([f"{self.headline()}: {self.message}", *self.details()])
