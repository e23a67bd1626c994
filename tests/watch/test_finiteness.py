"""The per-step finiteness flag between sampled steps: every way a first NaN/Inf arrives is placed
at its exact step, and the source named as a full count at that step would name it."""

from collections import OrderedDict

import pytest
import torch
from torch import nn

import gradlab


def _mlp(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(OrderedDict(fc1=nn.Linear(4, 16), act1=nn.ReLU(), fc2=nn.Linear(16, 16),
                                     act2=nn.ReLU(), fc3=nn.Linear(16, 1)))


def _run(every, *, before=lambda i, m: None, extra=lambda i, m: 0.0, accumulate=1, steps=40):
    """Train; ``before`` may write the weights before step i's forward, ``extra`` adds a term to
    step i's loss. Returns the non_finite findings."""
    model = _mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(32, 4, generator=g), torch.randn(32, 1, generator=g)
    with gradlab.watch(model, optimizer=opt, every=every) as w:
        for i in range(steps):
            before(i, model)
            opt.zero_grad()
            for _ in range(accumulate):
                loss = nn.functional.mse_loss(model(x), y) + extra(i, model)
                loss.backward()
            opt.step()
            w.log(loss=loss)
    return [f for f in w.findings() if f.code == "non_finite"]


def _sqrt_of_zero(i, model):
    # forward finite (sqrt(0) = 0), backward inf * 0 = NaN in fc2.weight's gradient only
    return torch.sqrt((model.fc2.weight * 0).sum()) if i == 23 else 0.0


@pytest.mark.parametrize("every", [1, 10])
def test_a_gradient_that_turns_nan_with_a_finite_forward_is_placed_at_its_step(every):
    (f,) = _run(every, extra=_sqrt_of_zero)
    assert (f.layer, f.step, f.evidence["source"]) == ("fc2", 23, "gradient")


def test_a_checkpoint_with_nan_loaded_between_samples_is_traced_to_its_layer():
    def load_bad(i, model):
        if i == 17:
            state = model.state_dict()
            state["fc3.bias"] = torch.full_like(state["fc3.bias"], float("nan"))
            model.load_state_dict(state)  # copy_ into the parameter: its version counter moves

    (f,) = _run(10, before=load_bad)
    assert (f.layer, f.step, f.evidence["source"]) == ("fc3", 17, "weight")


def test_a_nan_written_through_data_is_still_placed_at_its_step():
    def write_data(i, model):
        if i == 33:
            model.fc2.weight.data[0, 0] = float("nan")  # .data bypasses the version counter

    (f,) = _run(10, before=write_data)
    assert f.step == 33
    assert f.evidence["source"] in ("weight", "activation")


def test_every_forward_of_an_accumulated_step_is_checked():
    model = _mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.randn(32, 4), torch.randn(32, 1)
    with gradlab.watch(model, optimizer=opt, every=10) as w:
        for i in range(30):
            opt.zero_grad()
            for k in range(3):
                xb = x.clone()
                if i == 14 and k == 0:  # only the first micro-batch of step 14 is bad
                    xb[2, 3] = float("inf")
                nn.functional.mse_loss(model(xb), y).backward()
            opt.step()
    (f,) = [f for f in w.findings() if f.code == "non_finite"]
    assert (f.layer, f.step, f.evidence["source"]) == ("fc1", 14, "input")


def test_healthy_accumulated_training_publishes_no_flag_rows():
    assert _run(10, accumulate=3) == []
