"""Gradient clipping and max-norm, as seen from a callback right after each optimizer step."""

import pytest
import torch
import torch.nn as nn

from gradlab.data import create_task
from gradlab.train.callbacks import Callback
from gradlab.train.trainer import Trainer


class GradProbe(Callback):
    """Gradients are still in place when on_step_end runs (they are cleared at the next step)."""

    def __init__(self):
        self.norms, self.max_abs, self.row_norms = [], [], []

    def on_step_end(self, trainer, step, loss):
        grads = [p.grad for p in trainer.model.parameters()]
        self.norms.append(torch.linalg.vector_norm(torch.cat([g.flatten() for g in grads])).item())
        self.max_abs.append(max(g.abs().max().item() for g in grads))
        self.row_norms.append(max(m.weight.norm(dim=1).max().item()
                                  for m in trainer.model.modules() if isinstance(m, nn.Linear)))


def fit(**kw):
    task = create_task("moons", seed=0)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1))
    for p in net.parameters():
        nn.init.normal_(p, 0.0, 3.0)  # large weights: large gradients and row norms
    probe = GradProbe()
    trainer = Trainer(net, torch.optim.SGD(net.parameters(), lr=0.5), "bce", metric="accuracy",
                      callbacks=[probe], device="cpu", **kw)
    trainer.fit(task.train, task.dev, epochs=5, batch_size=64)
    return probe


def test_unconstrained_run_exceeds_the_limits_used_below():
    probe = fit()
    assert max(probe.norms) > 0.5 and max(probe.max_abs) > 0.05 and max(probe.row_norms) > 1.0


@pytest.mark.parametrize("clip", [0.5, ("norm", 0.5), {"norm": 0.5}], ids=["float", "tuple", "dict"])
def test_clip_by_norm_bounds_the_global_gradient_norm(clip):
    assert max(fit(clip=clip).norms) <= 0.5 * (1 + 1e-5)


def test_clip_by_value_bounds_every_gradient_entry():
    assert max(fit(clip={"value": 0.05}).max_abs) <= 0.05 + 1e-7


def test_max_norm_bounds_every_units_incoming_weights_after_each_step():
    assert max(fit(max_norm=1.0).row_norms) <= 1.0 + 1e-5
