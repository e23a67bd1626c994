"""Batched training: many same-shaped small models as one, parameters with a member dimension.

Used by the ``ensemble`` executor. :class:`BatchedMLP` holds ``[M, ...]`` parameters,
:func:`batch_optimizers` turns the members' ``torch.optim`` optimizers into one batched update,
and the vitals are computed per member inside the batched forward and backward passes.
"""

from gradlab.study.batched.activations import BatchedActivation, batch_activations
from gradlab.study.batched.errors import NotBatchable
from gradlab.study.batched.mlp import BatchedMLP, Trace
from gradlab.study.batched.optim import BatchedAdam, BatchedOptimizer, BatchedSGD, batch_optimizers

__all__ = [
    "BatchedActivation",
    "BatchedAdam",
    "BatchedMLP",
    "BatchedOptimizer",
    "BatchedSGD",
    "NotBatchable",
    "Trace",
    "batch_activations",
    "batch_optimizers",
]
