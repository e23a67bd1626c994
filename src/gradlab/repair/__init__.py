"""Repair: apply the recommended fixes to a run and keep the ones that are proven.

``gradlab.repair(build, train)`` for the user's own model and loop; ``gradlab repair`` on the
command line for gradlab's own runs. See ``docs/repair.md``.
"""

import sys
import types

from gradlab.repair.api import repair
from gradlab.repair.result import RepairResult

__all__ = ["RepairResult", "repair"]


class _CallablePackage(types.ModuleType):
    """``gradlab.repair`` is both this package and the function (as ``gradlab.watch`` is):
    importing a submodule sets the attribute ``gradlab.repair`` to the package, so the package
    forwards calls to :func:`repair`, whatever the import order."""

    def __call__(self, *args, **kwargs):
        return repair(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
