"""Repair: apply the recommended fixes to a run and keep the ones that are proven.

``gradlab.repair(build, train)`` for the user's own model and loop; ``gradlab repair`` on the
command line for gradlab's own runs. See ``docs/repair.md``.
"""

from gradlab.repair.api import repair
from gradlab.repair.result import RepairResult

__all__ = ["RepairResult", "repair"]
