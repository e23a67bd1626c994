"""Learning-rate schedules: every registered schedule and the functions that build one.

``create_schedule("power(s=1000)", optimizer, total_steps=..., steps_per_epoch=...)`` builds a
:class:`Schedule` and sets ``lr_at(0)``. The base class and the registry are in
:mod:`~gradlab.components.schedule_base`; the closed-form schedules of seed 004 (constant, power,
exponential, piecewise, cosine) in :mod:`~gradlab.components.schedules_formula`; plateau,
one_cycle and warmup in :mod:`~gradlab.components.schedules_stateful`. Importing this module
registers them all, in that order (the order ``gradlab list schedules`` shows).
"""

from gradlab.components.schedule_base import (
    INTERVALS,
    SCHEDULES,
    Schedule,
    build_schedule,
    create_schedule,
)
from gradlab.components.schedules_formula import Constant, Cosine, Exponential, Piecewise, Power
from gradlab.components.schedules_stateful import OneCycle, Plateau, Warmup

__all__ = ["Constant", "Cosine", "Exponential", "INTERVALS", "OneCycle", "Piecewise", "Plateau", "Power",
           "SCHEDULES", "Schedule", "Warmup", "build_schedule", "create_schedule"]
