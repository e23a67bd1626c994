"""gradlab.watch: per-layer vitals for any PyTorch model, computed on the device.

    with gradlab.watch(model, optimizer=opt) as w:
        ...
    w.vitals.series("fc1", "grad_norm")

See ``docs/watch.md`` for the statistics, their definitions and the overhead.
"""

from gradlab.watch.layers import LayerInfo
from gradlab.watch.vitals import Vitals
from gradlab.watch.watch import Watch, watch

__all__ = ["LayerInfo", "Vitals", "Watch", "watch"]
