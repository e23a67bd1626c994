"""Batched training: many same-shaped small models as one, parameters with a member dimension.

Used by the ``ensemble`` executor. The model is the ordinary MLP with a member axis
(:func:`gradlab.models.members.stack_members`), :class:`MemberOptimizer` steps it with the members'
own stock ``torch.optim`` optimizer, and the vitals are computed per member inside the batched
forward and backward passes.
"""

from gradlab.models.members import NotBatchable
from gradlab.study.batched.optim import MemberOptimizer
from gradlab.study.batched.trace import Trace

__all__ = ["MemberOptimizer", "NotBatchable", "Trace"]
