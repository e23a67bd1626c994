"""Batched training: many same-shaped small models as one, parameters with a member dimension.

Used by the ``ensemble`` executor. :class:`BatchedMLP` holds ``[M, ...]`` parameters,
:class:`MemberOptimizer` steps them with the members' own stock ``torch.optim`` optimizer, and the
vitals are computed per member inside the batched forward and backward passes.
"""

from gradlab.study.batched.errors import NotBatchable
from gradlab.study.batched.mlp import BatchedMLP, Trace
from gradlab.study.batched.optim import MemberOptimizer

__all__ = ["BatchedMLP", "MemberOptimizer", "NotBatchable", "Trace"]
