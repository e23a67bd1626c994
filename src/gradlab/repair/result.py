"""What a repair found: before and after, the kept changes, their code, and how to apply them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

from gradlab.repair.candidates import Candidate
from gradlab.repair.verify import Outcome


def _num(x: float) -> str:
    return "nan" if x is None or not math.isfinite(x) else f"{x:.4g}"


def describe(o: Outcome) -> str:
    """``0.512 (95% CI 0.48 to 0.55; seeds 0.50, 0.51, 0.53)``."""
    seeds = ", ".join(_num(v) for _, v in sorted(o.values.items()))
    ci = f"95% CI {_num(o.ci_low)} to {_num(o.ci_high)}; " if math.isfinite(o.ci_low) else ""
    return f"{_num(o.mean)} ({ci}seeds {seeds})"


@dataclass
class RepairResult:
    """The outcome of :func:`gradlab.repair`.

    Attributes:
        fixed: True when a change removed the error findings and improved the metric on the seeds.
        changes: the kept changes as run-config keys (``{}`` when nothing was changed).
        before, after: the original's and the repaired run's metric and findings (the same object
            when nothing was changed).
        code: the change as PyTorch code to put into the user's source ("" when none).
        message: one sentence on what happened.
        candidates: every candidate considered, with its status and reason.
        seconds, original_seconds: wall time of the whole repair and of the original runs.
        metric: the metric's name, for printing.
        test: the paired comparison of after against before (``gradlab.study.stats``), or None.
    """

    fixed: bool
    changes: dict
    before: Outcome
    after: Outcome
    code: str = ""
    message: str = ""
    candidates: list[Candidate] = field(default_factory=list)
    seconds: float = 0.0
    original_seconds: float = 0.0
    metric: str = "metric"
    test: Any = None
    _apply: Callable[[Any, Any], tuple] | None = field(default=None, repr=False)

    @property
    def time_ratio(self) -> float:
        """The repair's wall time over the original runs' (the budget bounds it)."""
        return self.seconds / self.original_seconds if self.original_seconds > 0 else math.nan

    def apply(self, model: Any, opt: Any) -> tuple:
        """Apply the kept changes to a freshly built ``(model, opt)``; returns ``(model, opt)``.

        The optimizer may be a new object (another class over the same parameters): use the one
        returned. With nothing to change, the pair comes back as it was.
        """
        if not self.changes or self._apply is None:
            return model, opt
        return self._apply(model, opt)

    def __str__(self) -> str:
        lines = [f"gradlab repair: {self.message}",
                 f"  before: {self.metric} {describe(self.before)}"]
        if self.changes:
            lines.append(f"  after:  {self.metric} {describe(self.after)}")
            lines.append("  changed: " + ", ".join(f"{k}={v}" for k, v in self.changes.items()))
        before, after = sorted(self.before.codes), sorted(self.after.codes)
        lines.append(f"  findings: {', '.join(before) or 'none'}"
                     + (f" -> {', '.join(after) or 'none'}" if self.changes else ""))
        if self.code:
            lines.append("  code:")
            lines += ["    " + line for line in self.code.splitlines()]
        lines.append(f"  time: {self.seconds:.1f} s, {self.time_ratio:.1f}x the original runs")
        return "\n".join(lines)
