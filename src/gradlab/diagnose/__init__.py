"""gradlab.diagnose: rules that turn vitals into findings with evidence and runnable fixes.

    findings = gradlab.diagnose.diagnose(w.vitals, w.layers)     # after a watch
    findings = gradlab.checkup(model, x, y, loss_fn=loss_fn)     # before training
"""

from __future__ import annotations

from typing import Any

from gradlab.diagnose.engine import diagnose
from gradlab.diagnose.finding import CODES, SEVERITIES, Finding, severity_rank
from gradlab.diagnose.live import LiveDiagnoser

__all__ = ["CODES", "SEVERITIES", "Finding", "LiveDiagnoser", "checkup", "diagnose", "severity_rank"]


def __getattr__(name: str) -> Any:
    if name == "checkup":  # imports gradlab.watch lazily, so diagnose works without it
        from gradlab.diagnose.checkup import checkup

        return checkup
    raise AttributeError(f"module 'gradlab.diagnose' has no attribute {name!r}")
