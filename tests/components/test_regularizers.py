"""Dropout factory, gradient clipping and the max-norm constraint."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gradlab.components.regularizers import DROPOUTS, MaxNorm, clip_gradients, create_dropout
from gradlab.errors import ConfigError, UnknownComponentError


def _grad(values) -> nn.Parameter:
    p = nn.Parameter(torch.zeros(len(values)))
    p.grad = torch.tensor(values)
    return p


def test_clip_by_norm_keeps_direction_seed004_example():
    p = _grad([0.9, 100.0])
    total = clip_gradients([p], by="norm", max=1.0)
    assert total.item() == pytest.approx(100.00405, rel=1e-6)
    torch.testing.assert_close(p.grad, torch.tensor([0.00899964, 0.9999595]), atol=1e-6, rtol=0)


def test_clip_by_value_clamps_each_entry_and_turns_the_direction():
    p = _grad([0.9, 100.0, -5.0])
    assert clip_gradients(p, by="value", max_value=1.0) is None
    assert torch.equal(p.grad, torch.tensor([0.9, 1.0, -1.0]))


def test_clip_by_norm_is_global_over_parameters():
    a, b = _grad([3.0]), _grad([4.0])  # global norm 5
    clip_gradients([a, b], max=2.5)
    assert (a.grad.item(), b.grad.item()) == pytest.approx((1.5, 2.0), rel=1e-5)
    small = _grad([0.3, 0.4])
    clip_gradients([small], max=1.0)
    assert torch.equal(small.grad, torch.tensor([0.3, 0.4]))  # inside the ball: untouched


@pytest.mark.parametrize("kwargs", [{"by": "l1", "max": 1.0}, {"max": 0.0}, {"max": None}])
def test_clip_errors(kwargs):
    with pytest.raises(ConfigError):
        clip_gradients([_grad([1.0])], **kwargs)


def _big_net() -> nn.Sequential:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Conv1d(2, 3, 5))
    with torch.no_grad():
        net[0].weight.mul_(torch.linspace(0.1, 10, 20).unsqueeze(1))  # some rows over, some under
        net[2].weight.mul_(10)
    return net


def test_max_norm_caps_each_units_incoming_weight_norm():
    net = _big_net()
    before = net[0].weight.detach().clone()
    bias_before = net[0].bias.detach().clone()
    MaxNorm(1.0).apply(net)
    rows = net[0].weight.norm(dim=1)
    assert (rows <= 1.0 + 1e-6).all()
    old = before.norm(dim=1)
    inside = old <= 1.0
    assert inside.any() and (~inside).any()
    # units inside the ball are untouched; the others are rescaled onto it, direction kept
    assert torch.equal(net[0].weight[inside], before[inside])
    torch.testing.assert_close(rows[~inside], torch.ones(int((~inside).sum())))
    cos = nn.functional.cosine_similarity(net[0].weight[~inside], before[~inside], dim=1)
    torch.testing.assert_close(cos, torch.ones_like(cos))
    assert torch.equal(net[0].bias, bias_before)
    filters = net[2].weight.flatten(1).norm(dim=1)
    assert (filters <= 1.0 + 1e-6).all()


def test_max_norm_outgoing_columns():
    net = _big_net()
    MaxNorm(0.5, dim=0).apply(net)
    assert (net[0].weight.norm(dim=0) <= 0.5 + 1e-6).all()


def test_max_norm_rejects_bad_values():
    with pytest.raises(ConfigError):
        MaxNorm(0.0)
    with pytest.raises(ConfigError):
        MaxNorm(1.0, dim=2)


@pytest.mark.parametrize(
    "spec, cls, p",
    [(0.2, nn.Dropout, 0.2), ("dropout(0.2)", nn.Dropout, 0.2), ("alpha_dropout(0.1)", nn.AlphaDropout, 0.1),
     ("dropout2d(0.3)", nn.Dropout2d, 0.3), ("dropout", nn.Dropout, 0.5)],
)
def test_create_dropout(spec, cls, p):
    layer = create_dropout(spec)
    assert type(layer) is cls and layer.p == p


def test_dropout_forward_in_train_and_eval():
    torch.manual_seed(0)
    layer = create_dropout("dropout(0.5)")
    x = torch.ones(10000)
    y = layer(x)
    assert 0.45 < (y == 0).float().mean().item() < 0.55 and y.max().item() == 2.0
    assert torch.equal(layer.eval()(x), x)


@pytest.mark.parametrize("name", DROPOUTS.names())
def test_every_dropout_builds(name):
    assert isinstance(create_dropout(f"{name}(0.1)"), nn.Module)


def test_dropout_errors():
    with pytest.raises(ConfigError, match="probability"):
        create_dropout(1.5)
    with pytest.raises(UnknownComponentError, match="did you mean 'dropout'"):
        create_dropout("dropot(0.2)")
