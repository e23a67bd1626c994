"""Findings as a person reads them: one entry per code, severity and fix, not one per layer.

A post-LayerNorm Transformer stuck at the start of training raises ``vanishing_gradient`` in 51
layers, all with the same advice; printed one by one they bury the one thing to do. The rules,
the store and repair keep their per-layer findings; everything that *shows* findings to a person
(the CLI, the framework callbacks' prints and warnings, the live announcements) passes them
through :func:`group_findings` first, and the report names a code's layers the same way::

    for group in gradlab.group_findings(w.findings()):
        print(group)    # WARNING vanishing_gradient at 51 layers: (root), emb, enc.layers.{0-8}.…
                        # (step 10); the worst: The gradient reaching (root) has shrunk to 4.1e-14 …

Findings share a group when they have the same code, the same severity and the same top
recommendation, and each names a layer (a model-wide finding is always on its own). A group
shows how many layers, their names compressed (:mod:`gradlab.diagnose.name_ranges`), the message
and evidence of its most extreme layer (the deadest, the smallest gradient: :data:`EXTREMITY`),
and the recommendations every member shares. A group of one prints exactly as its finding.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from gradlab.diagnose.finding import Finding, severity_rank
from gradlab.diagnose.name_ranges import describe_names, natural_key


def _num(value: Any, sign: float = 1.0) -> float:
    """``value`` as a float to compare (larger = worse); missing or NaN is the least extreme."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        return -math.inf
    return sign * float(value)


def _gap(value: Any, bound: Any) -> float | None:
    """How far a pinned activation's mean sits from its bound (None when either is missing)."""
    if isinstance(value, (int, float)) and isinstance(bound, (int, float)):
        return abs(value - bound)
    return None


#: code -> how extreme one layer's finding is, from its evidence (larger is worse); a group shows
#: its most extreme member. Codes not listed pick the earliest member.
EXTREMITY: dict[str, Callable[[dict], tuple]] = {
    "dead_units": lambda e: (_num(e.get("dead_frac")),),
    "saturated_units": lambda e: (_num(e.get("sat_frac")),),
    # a stalled layer (tiny gradient, high loss) is ranked by its norm, the others by their ratio
    # to the largest later gradient
    "vanishing_gradient": lambda e: (bool(e.get("stalled")),
                                     _num(e.get("grad_norm"), -1) if e.get("stalled") else _num(e.get("ratio"), -1)),
    "exploding_gradient": lambda e: (_num(e.get("growth", e.get("ratio"))),),
    "symmetric_weights": lambda e: (_num(e.get("row_symmetry")),),
    "pinned_activation": lambda e: (_num(_gap(e.get("out_mean"), e.get("bound")), -1),),
}


@dataclass(frozen=True)
class FindingGroup:
    """Findings of one code, severity and top recommendation, as one entry to read.

    Attributes:
        findings: the members, by step and then layer name (numbers in names by value).
        worst: the most extreme member (see :data:`EXTREMITY`); its message and evidence speak
            for the group.
    """

    findings: tuple[Finding, ...]
    worst: Finding

    @property
    def code(self) -> str:
        """The members' code."""
        return self.worst.code

    @property
    def severity(self) -> str:
        """The members' severity."""
        return self.worst.severity

    @property
    def step(self) -> int | None:
        """The earliest step of any member (None for a checkup's)."""
        steps = [f.step for f in self.findings if f.step is not None]
        return min(steps) if steps else None

    @property
    def layers(self) -> list[str]:
        """The members' distinct layers, numbers in names ordered by value."""
        return sorted({f.layer for f in self.findings if f.layer is not None}, key=natural_key)

    @property
    def recommendations(self) -> list[dict]:
        """The recommendations every member makes, in the worst member's order (the top one
        at least: it is what the members were grouped on)."""
        return [r for r in self.worst.recommendations if all(r in f.recommendations for f in self.findings)]

    def where(self, width: int = 160) -> str:
        """``"fc2"`` for one finding; ``"12 layers: enc.layers.{0-11}.linear1"`` for several."""
        if len(self.findings) == 1:
            return self.worst.layer or "model"
        layers = self.layers
        return f"{len(layers)} layer{'s' if len(layers) != 1 else ''}: {describe_names(layers, width)}"

    def headline(self) -> str:
        """Like :meth:`Finding.headline`, naming the group's layers; a group of one reads as its finding."""
        if len(self.findings) == 1:
            return self.worst.headline()
        when = f" (step {self.step})" if self.step is not None else ""
        return f"{self.severity.upper()} {self.code} at {self.where()}{when}"

    def __str__(self) -> str:
        if len(self.findings) == 1:
            return str(self.worst)
        lines = [f"{self.headline()}; the worst: {self.worst.message}"]
        return "\n".join(lines + self.worst.details(self.recommendations, label=f"evidence at {self.worst.layer}"))

    def to_dict(self) -> dict:
        """JSON-friendly: code, severity, step, count, layers, where, the worst finding, the shared fixes."""
        return {"code": self.code, "severity": self.severity, "step": self.step, "count": len(self.findings),
                "layers": self.layers, "where": self.where(), "worst": self.worst.to_dict(),
                "recommendations": self.recommendations}


def _as_finding(f: Finding | dict) -> Finding:
    return f if isinstance(f, Finding) else Finding.from_dict(f)


def _canonical(f: Finding) -> tuple:
    """A total order on findings independent of how they came in."""
    return (f.step if f.step is not None else -1, natural_key(f.layer or ""), f.code, f.message,
            json.dumps(f.evidence, sort_keys=True, default=str))


def _top(f: Finding) -> str:
    return json.dumps(f.recommendations[0], sort_keys=True, default=str) if f.recommendations else ""


def group_findings(findings: Iterable[Finding | dict], group: bool = True) -> list[FindingGroup]:
    """Group findings for reading: same code, severity and top recommendation -> one entry.

    Args:
        findings: :class:`Finding` objects or their ``to_dict()`` dicts (from a store, ``--json``).
        group: False gives every finding its own entry (every layer shown), in the same order.

    Returns:
        The groups, most severe first, then the earliest step, then the most layers; a finding
        with no layer (model-wide) or nothing to share an entry with is a group of one. Every
        finding is in exactly one group, and the result does not depend on the input's order.
    """
    members: dict[tuple, list[Finding]] = defaultdict(list)
    for i, f in enumerate(map(_as_finding, findings)):
        alone = not group or f.layer is None
        key = ("alone", i) if alone else (f.code, f.severity, _top(f))
        members[key].append(f)
    groups = []
    for fs in members.values():
        fs.sort(key=_canonical)
        score = EXTREMITY.get(fs[0].code)
        worst = max(fs, key=lambda f: score(f.evidence)) if score else fs[0]  # the first of equals
        groups.append(FindingGroup(tuple(fs), worst))
    groups.sort(key=lambda g: (-severity_rank(g.severity), g.step if g.step is not None else -1,
                               -len(g.findings), g.code, _canonical(g.findings[0])))
    return groups


__all__ = ["EXTREMITY", "FindingGroup", "group_findings"]
