"""gradlab.watch: per-layer vitals for any PyTorch model, computed on the device.

    with gradlab.watch(model, optimizer=opt) as w:
        ...
    w.vitals.series("fc1", "grad_norm")

This package measures; it imports nothing from :mod:`gradlab.diagnose`. What the watch reports
reaches other code through sinks (:mod:`gradlab.watch.sinks`) and listeners
(:mod:`gradlab.watch.listeners`). Calling the package, ``gradlab.watch(model, ...)``, calls the
public watch with diagnosis (:func:`gradlab.monitor.watch.watch`): see ``gradlab/__init__.py``.

See ``docs/watch.md`` for the statistics, their definitions and the overhead.
"""

from gradlab.watch.layers import LayerInfo
from gradlab.watch.listeners import WatchListener
from gradlab.watch.vitals import Vitals
from gradlab.watch.watch import Watch, watch

__all__ = ["LayerInfo", "Vitals", "Watch", "WatchListener", "watch"]
