"""gradlab.log: into every active watch, a no-op outside one, registry kept by enter/exit."""

import pytest
import torch
from torch import nn

import gradlab
from gradlab.watch import active


def _net():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    return m, torch.optim.SGD(m.parameters(), lr=0.1)


def _steps(m, opt, n=3):
    x = torch.randn(8, 2)
    losses = []
    for _ in range(n):
        opt.zero_grad()
        loss = m(x).pow(2).mean()
        loss.backward()
        opt.step()
        gradlab.log(loss=loss)
        losses.append(float(loss.detach()))
    return losses


def test_log_without_a_watch_does_nothing():
    m, opt = _net()
    assert active.active() == []
    _steps(m, opt)  # no error, nothing registered


def test_log_reaches_every_active_watch_with_the_step_it_belongs_to():
    m, opt = _net()
    with gradlab.watch(m, optimizer=opt, every=1) as outer, gradlab.watch(m, every=1) as inner:
        assert active.active() == [outer, inner]
        losses = _steps(m, opt)
    assert active.active() == []
    steps, got = outer.vitals.series("", "loss")
    assert got == pytest.approx(losses)
    assert steps == [0, 1, 2]
    assert len(inner.vitals.series("", "loss")[1]) == 3


def test_watch_leaves_the_registry_after_an_exception():
    m, opt = _net()
    with pytest.raises(RuntimeError):
        with gradlab.watch(m, optimizer=opt):
            raise RuntimeError("user code failed")
    assert active.active() == []


def test_log_rejects_a_name_it_cannot_record():
    with pytest.raises(gradlab.ConfigError, match="only loss"):
        gradlab.log(acc=0.5)
