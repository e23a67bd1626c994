"""Initializers: empirical moments against their formulas, gains, apply_init, errors."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gradlab.components.init import INITS, apply_init, create_init, fans, gain
from gradlab.errors import ConfigError, UnknownComponentError

FAN_IN, FAN_OUT = 1000, 500  # a Linear(1000 -> 500): weight shape (500, 1000)
LEAKY = math.sqrt(2 / (1 + 0.2**2))

# spec, act, expected std, uniform bound (None for normal), expected mean
CASES = [
    ("he_normal", None, math.sqrt(2 / FAN_IN), None, 0.0),
    ("kaiming_normal", None, math.sqrt(2 / FAN_IN), None, 0.0),
    ("he_normal(mode='fan_out')", None, math.sqrt(2 / FAN_OUT), None, 0.0),
    ("he_normal", "leaky_relu(0.2)", LEAKY / math.sqrt(FAN_IN), None, 0.0),
    ("he_normal(a=0.2)", None, LEAKY / math.sqrt(FAN_IN), None, 0.0),
    ("he_uniform", None, math.sqrt(2 / FAN_IN), math.sqrt(6 / FAN_IN), 0.0),
    ("he_uniform", "identity", math.sqrt(1 / FAN_IN), math.sqrt(3 / FAN_IN), 0.0),
    ("xavier_normal", None, math.sqrt(2 / (FAN_IN + FAN_OUT)), None, 0.0),
    ("xavier_normal", "tanh", 5 / 3 * math.sqrt(2 / (FAN_IN + FAN_OUT)), None, 0.0),
    ("glorot_uniform", None, math.sqrt(2 / (FAN_IN + FAN_OUT)), math.sqrt(6 / (FAN_IN + FAN_OUT)), 0.0),
    ("lecun_normal", None, math.sqrt(1 / FAN_IN), None, 0.0),
    ("lecun_normal", "selu", math.sqrt(1 / FAN_IN), None, 0.0),
    ("lecun_uniform", None, math.sqrt(1 / FAN_IN), math.sqrt(3 / FAN_IN), 0.0),
    ("normal(0, 0.01)", "relu", 0.01, None, 0.0),
    ("normal(1.0, 2.0)", None, 2.0, None, 1.0),
    ("orthogonal", None, math.sqrt(1 / FAN_IN), None, 0.0),
]


@pytest.mark.parametrize("spec, act, std, bound, mean", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_empirical_moments_match_the_formula(spec, act, std, bound, mean):
    torch.manual_seed(0)
    w = torch.empty(FAN_OUT, FAN_IN)
    create_init(spec)(w, act)
    assert w.std().item() == pytest.approx(std, rel=0.02)
    assert abs(w.mean().item() - mean) < 0.01 * std + 1e-12
    if bound is not None:
        assert w.abs().max().item() <= bound
        assert w.abs().max().item() > 0.99 * bound


def test_uniform_bounds_mean_and_std():
    torch.manual_seed(0)
    w = create_init("uniform(-2.0, 3.0)")(torch.empty(FAN_OUT, FAN_IN))
    assert -2.0 <= w.min().item() < -1.99 and 2.99 < w.max().item() < 3.0
    assert w.mean().item() == pytest.approx(0.5, abs=0.01)
    assert w.std().item() == pytest.approx(5 / math.sqrt(12), rel=0.01)


@pytest.mark.parametrize("g", [1.0, 2.0])
def test_orthogonal_rows_are_orthonormal_times_gain(g):
    torch.manual_seed(0)
    w = create_init(f"orthogonal({g})")(torch.empty(50, 120))
    torch.testing.assert_close(w @ w.T, g * g * torch.eye(50), atol=1e-5, rtol=0)


def test_conv_fans_include_the_kernel():
    conv = nn.Conv2d(16, 32, 3)
    assert fans(conv.weight) == (16 * 9, 32 * 9)
    torch.manual_seed(0)
    create_init("he_normal")(conv.weight)
    assert conv.weight.std().item() == pytest.approx(math.sqrt(2 / 144), rel=0.05)


@pytest.mark.parametrize("spec, value", [("zeros", 0.0), ("ones", 1.0), ("constant(-8)", -8.0)])
def test_constant_inits_give_identical_rows(spec, value):
    w = create_init(spec)(torch.randn(7, 5))
    assert torch.equal(w, torch.full((7, 5), value))
    assert (w == w[0]).all()  # every unit is a copy of the first: the symmetric start


@pytest.mark.parametrize(
    "act, expected",
    [
        (None, 1.0),
        ("identity", 1.0),
        ("relu", math.sqrt(2)),
        ("leaky_relu(0.2)", math.sqrt(2 / (1 + 0.04))),
        (nn.LeakyReLU(0.3), math.sqrt(2 / (1 + 0.09))),
        ("prelu", math.sqrt(2 / (1 + 0.25**2))),
        ("scheduled_leaky_relu", math.sqrt(2 / (1 + 0.3**2))),
        (F.relu, math.sqrt(2)),
        ("tanh", 5 / 3),
        ("sigmoid", 1.0),
        ("selu", 1.0),
        ("gelu", math.sqrt(2)),
    ],
    ids=lambda v: repr(v) if not isinstance(v, float) else None,
)
def test_gain(act, expected):
    assert gain(act) == pytest.approx(expected, rel=1e-6)


def test_seeding_makes_every_initializer_deterministic():
    for name in INITS.names():
        outs = []
        for _ in range(2):
            torch.manual_seed(3)
            outs.append(create_init(name)(torch.ones(6, 4)))
        assert torch.equal(outs[0], outs[1]), name


def _net() -> nn.Sequential:
    return nn.Sequential(nn.Linear(40, 30), nn.ReLU(), nn.Linear(30, 20), nn.Conv1d(1, 4, 3), nn.ReLU())


def test_apply_init_sets_weights_and_biases_separately():
    torch.manual_seed(0)
    net = apply_init(_net(), weight="normal(0, 0.01)", bias="constant(-8)")
    for layer in (net[0], net[2], net[3]):
        assert layer.weight.std().item() == pytest.approx(0.01, rel=0.3)
        assert torch.equal(layer.bias, torch.full_like(layer.bias, -8.0))


def test_apply_init_default_keeps_pytorch_init():
    torch.manual_seed(0)
    net = _net()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    apply_init(net, weight="default", bias="default")
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    apply_init(net, weight="he_normal", bias="default")
    assert torch.equal(before["0.bias"], net[0].bias) and not torch.equal(before["0.weight"], net[0].weight)


def test_fan_based_bias_uses_the_layers_fan_in():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(6, 4000))
    apply_init(net, weight="default", bias="he_uniform", act="relu")
    bound = math.sqrt(6 / 6)  # fan_in of the layer is 6
    assert net[0].bias.abs().max().item() <= bound
    assert net[0].bias.abs().max().item() > 0.95 * bound


def test_fan_based_init_of_a_lone_bias_is_a_clear_error():
    with pytest.raises(ConfigError, match="apply_init"):
        create_init("he_normal")(torch.empty(10))
    with pytest.raises(ConfigError, match="orthogonal"):
        apply_init(nn.Sequential(nn.Linear(3, 3)), bias="orthogonal")


def test_specs_print_back_and_errors_name_the_way_out():
    assert create_init("he_normal(mode='fan_out')").spec == "he_normal(mode='fan_out')"
    assert create_init("normal(0, 0.01)").spec == "normal(0, 0.01)"
    with pytest.raises(UnknownComponentError, match="did you mean 'he_normal'"):
        create_init("he_norml")
    with pytest.raises(ConfigError, match="fan_in"):
        create_init("he_normal(mode='fan_avg')")
    zeros_fn = create_init(nn.init.zeros_)
    assert torch.equal(zeros_fn(torch.ones(3)), torch.zeros(3))
