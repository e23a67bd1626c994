"""gradlab.watch: per-layer vitals for any PyTorch model, computed on the device.

    with gradlab.watch(model, optimizer=opt) as w:
        ...
    w.vitals.series("fc1", "grad_norm")

See ``docs/watch.md`` for the statistics, their definitions and the overhead.
"""

import sys
import types

from gradlab.watch.layers import LayerInfo
from gradlab.watch.vitals import Vitals
from gradlab.watch.watch import Watch, watch

__all__ = ["LayerInfo", "Vitals", "Watch", "watch"]


class _CallablePackage(types.ModuleType):
    """``gradlab.watch`` is both this package and the function: importing any submodule sets the
    attribute ``gradlab.watch`` to the package, so the package itself forwards calls to
    :func:`watch`, whatever the import order."""

    def __call__(self, *args, **kwargs):
        return watch(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
