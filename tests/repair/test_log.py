"""gradlab.log: into every active watch, a no-op outside one, registry kept by enter/exit."""

import re

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


def test_log_records_every_scalar_watch_log_records():
    m, opt = _net()
    x = torch.randn(8, 2)
    with gradlab.watch(m, optimizer=opt, every=1) as w:
        for i in range(3):
            opt.zero_grad()
            loss = m(x).pow(2).mean()
            loss.backward()
            opt.step()
            gradlab.log(loss=loss, acc=0.25 * i, grad_scale=torch.tensor([2.0**i]), skipped=None)
    assert w.vitals.series("", "acc") == ([0, 1, 2], pytest.approx([0.0, 0.25, 0.5]))
    assert w.vitals.series("", "grad_scale") == ([0, 1, 2], pytest.approx([1.0, 2.0, 4.0]))
    assert w.vitals.series("", "skipped") == ([], [])


@pytest.mark.parametrize("values, bad", [
    ({"loss": torch.ones(4)}, "loss=a tensor of shape (4,)"),
    ({"acc": "high"}, "acc=str 'high'"),
    ({"loss": True}, "loss=bool"),
    ({"loss_nonfinite": 0.0}, "records it itself"),
], ids=["unreduced-tensor", "string", "bool", "reserved-name"])
def test_a_bad_value_gets_the_same_one_line_error_from_gradlab_log_and_watch_log(values, bad):
    m, opt = _net()
    with pytest.raises(gradlab.ConfigError, match=re.escape(bad)) as outside:
        gradlab.log(**values)  # checked without a watch too: found the first time the loop runs
    with gradlab.watch(m, optimizer=opt) as w:
        with pytest.raises(gradlab.ConfigError) as direct:
            w.log(**values)
        with pytest.raises(gradlab.ConfigError) as through:
            gradlab.log(**values)
    assert str(outside.value) == str(direct.value) == str(through.value)
    assert "\n" not in str(direct.value)
