"""Activation registry, extra modules, and the derivative metadata the watch relies on."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gradlab.components.act_info import SELU_ALPHA, SELU_SCALE
from gradlab.components.activations import (
    ACTIVATIONS,
    FUNCTIONAL_NAMES,
    FunctionActivation,
    activation_info,
    create_activation,
    functional_kwargs,
    get_activation,
)
from gradlab.errors import ConfigError, UnknownComponentError

NAMES = ACTIVATIONS.names()
# a grid with the extremes a dying network reaches, and the kinks' neighbourhoods
EXTREMES = [-104.0, -90.0, -50.0, -20.0, -8.0, -6.0, -3.0, -1e-6, 0.0, 1e-6, 3.0, 6.0, 20.0, 50.0, 104.0]


def grid(dtype=torch.float32) -> torch.Tensor:
    return torch.cat([torch.linspace(-10, 10, 401), torch.tensor(EXTREMES)]).to(dtype)


def autograd_derivative(module: nn.Module, z: torch.Tensor) -> torch.Tensor:
    z = z.clone().requires_grad_(True)
    module(z).sum().backward()
    return z.grad


@pytest.mark.parametrize("name", NAMES)
def test_every_activation_builds_runs_forward_and_backward(name):
    torch.manual_seed(0)
    act = create_activation(name)
    x = torch.randn(4, 3, 5, requires_grad=True)
    y = act(x)
    assert y.shape == x.shape and torch.isfinite(y).all()
    y.square().sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    for p in act.parameters():
        assert p.grad is not None, f"{name}: learnable parameter got no gradient"
    assert isinstance(act, get_activation(name))


@pytest.mark.parametrize("name", NAMES)
def test_derivative_equals_autograd_on_extreme_grid(name):
    act = create_activation(name).eval()  # rrelu: eval mode uses its mean slope
    z = grid()
    expected = autograd_derivative(act, z)
    got = activation_info(act).derivative(z)
    assert got.dtype == z.dtype and got.shape == z.shape
    torch.testing.assert_close(got, expected, rtol=1e-6, atol=1e-30)
    # exact zeros are what "dead" means: they must agree element for element
    assert torch.equal(got == 0, expected == 0)


def _phi(z):
    return torch.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)


def _sig(z):
    return torch.sigmoid(z)


# Independent float64 closed forms, written from the papers (not from PyTorch's kernels).
REFERENCE = {
    "relu": lambda z: (z > 0).double(),
    "relu6": lambda z: ((z > 0) & (z < 6)).double(),
    "leaky_relu": lambda z: torch.where(z > 0, 1.0, 0.01),
    "elu": lambda z: torch.where(z > 0, 1.0, torch.exp(z)),
    "selu": lambda z: SELU_SCALE * torch.where(z > 0, 1.0, SELU_ALPHA * torch.exp(z)),
    "celu": lambda z: torch.where(z > 0, 1.0, torch.exp(z)),
    "gelu": lambda z: 0.5 * (1 + torch.erf(z / math.sqrt(2))) + z * _phi(z),
    "silu": lambda z: _sig(z) * (1 + z * (1 - _sig(z))),
    "swish": lambda z: _sig(z) * (1 + z * (1 - _sig(z))),
    "mish": lambda z: torch.tanh(F.softplus(z)) + z * _sig(z) * (1 - torch.tanh(F.softplus(z)) ** 2),
    "softplus": lambda z: _sig(z),
    "sigmoid": lambda z: _sig(z) * (1 - _sig(z)),
    "hard_sigmoid": lambda z: ((z > -3) & (z < 3)).double() / 6,
    "tanh": lambda z: 1 - torch.tanh(z) ** 2,
    "hardtanh": lambda z: ((z > -1) & (z < 1)).double(),
    "hardswish": lambda z: torch.where(z < -3, 0.0, torch.where(z > 3, 1.0, (2 * z + 3) / 6)),
    "identity": lambda z: torch.ones_like(z),
    "scheduled_leaky_relu": lambda z: torch.where(z > 0, 1.0, 0.3),
    "learnable_leaky_relu": lambda z: torch.where(z > 0, 1.0, 0.1),
    "prelu": lambda z: torch.where(z > 0, 1.0, 0.25),
    "rrelu": lambda z: torch.where(z > 0, 1.0, (1 / 8 + 1 / 3) / 2),
}


@pytest.mark.parametrize("name", NAMES)
def test_derivative_matches_paper_closed_form_in_float64(name):
    z = torch.linspace(-12, 12, 2401, dtype=torch.float64)
    z = z[(z.abs() - 3).abs().gt(1e-3) & z.abs().gt(1e-3) & (z.abs() - 1).abs().gt(1e-3)
          & (z - 6).abs().gt(1e-3)]  # off the kinks, where conventions differ
    act = create_activation(name).double().eval()
    got = activation_info(act).derivative(z)
    # rtol 1e-7: PyTorch passes a LeakyReLU slope to its kernel as a float32 scalar
    torch.testing.assert_close(got, REFERENCE[name](z).double(), rtol=1e-7, atol=1e-12)


def test_gelu_at_minus_eight_is_exactly_dead_in_float32():
    z = torch.tensor([-8.0, -50.0])
    info = activation_info("gelu")
    assert torch.equal(info.derivative(z), torch.zeros(2))
    assert torch.equal(autograd_derivative(nn.GELU(), z), torch.zeros(2))
    assert info.can_die and info.dead_threshold == 0.0
    # ELU and SiLU still pass (tiny) gradient at -8: not dead by the |f'| <= 0 rule
    assert (activation_info("elu").derivative(z[:1]).abs() > 0).all()
    assert (activation_info("silu").derivative(z[:1]).abs() > 0).all()


@pytest.mark.parametrize(
    "spec, floor, can_die",
    [
        ("relu", 0.0, True),
        ("leaky_relu(0.2)", 0.2, False),
        ("leaky_relu(0.0)", 0.0, True),
        ("prelu(init=0.3)", 0.3, False),
        ("rrelu(0.1, 0.3)", 0.1, False),
        ("elu", 0.0, True),
        ("selu", 0.0, True),
        ("gelu", 0.0, True),
        ("silu", 0.0, True),
        ("sigmoid", 0.0, True),
        ("identity", 1.0, False),
        ("scheduled_leaky_relu(0.3, 0.1)", 0.3, False),
        ("learnable_leaky_relu(0.05)", 0.05, False),
    ],
)
def test_grad_floor_and_can_die(spec, floor, can_die):
    info = activation_info(spec)
    assert info.grad_floor == pytest.approx(floor, abs=1e-7)
    assert info.can_die is can_die


def test_prelu_per_channel_floor_is_the_smallest_slope_and_derivative_broadcasts():
    act = nn.PReLU(num_parameters=3)
    with torch.no_grad():
        act.weight.copy_(torch.tensor([0.1, 0.3, 0.05]))
    info = activation_info(act)
    assert info.grad_floor == pytest.approx(0.05)
    z = torch.randn(2, 3, 4, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(info.derivative(z), autograd_derivative(act, z))


@pytest.mark.parametrize("name", ["gelu", "silu", "mish", "selu", "sigmoid", "tanh", "hardswish", "elu"])
def test_grad_max_is_the_sup_of_the_derivative(name):
    z = torch.linspace(-10, 10, 400001, dtype=torch.float64)
    act = create_activation(name).double()
    sup = autograd_derivative(act, z).abs().max().item()
    info = activation_info(name)
    assert info.grad_max == pytest.approx(sup, rel=1e-6)
    assert info.saturation_threshold == pytest.approx(0.01 * info.grad_max)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "hardtanh", "hard_sigmoid"])
def test_bounded_activations(name):
    assert activation_info(name).bounded


@pytest.mark.parametrize("name", ["relu", "relu6", "leaky_relu", "gelu", "elu", "softplus"])
def test_unbounded_activations(name):
    assert not activation_info(name).bounded


@pytest.mark.parametrize("spec", ["sigmoid", "tanh", "leaky_relu(0.2)", "elu", "celu(2.0)", "selu",
                                  "softplus", "identity", "learnable_leaky_relu"])
def test_recover_pre_inverts_the_activation(spec):
    act = create_activation(spec).double()
    z = torch.linspace(-3, 3, 61, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(activation_info(act).recover_pre(act(z)), z)


FUNCTIONALS = [
    (F.relu, {}, nn.ReLU()),
    (torch.relu, {}, nn.ReLU()),
    (torch.Tensor.relu, {}, nn.ReLU()),
    (F.relu6, {}, nn.ReLU6()),
    (F.leaky_relu, {}, nn.LeakyReLU()),
    (F.leaky_relu, {"negative_slope": 0.2}, nn.LeakyReLU(0.2)),
    (F.elu, {"alpha": 0.5}, nn.ELU(0.5)),
    (F.selu, {}, nn.SELU()),
    (torch.selu, {}, nn.SELU()),
    (F.celu, {"alpha": 2.0}, nn.CELU(2.0)),
    (F.gelu, {}, nn.GELU()),
    (F.gelu, {"approximate": "tanh"}, nn.GELU("tanh")),
    (F.silu, {}, nn.SiLU()),
    (F.mish, {}, nn.Mish()),
    (F.softplus, {"beta": 2.0}, nn.Softplus(2.0)),
    (torch.sigmoid, {}, nn.Sigmoid()),
    (F.sigmoid, {}, nn.Sigmoid()),
    (torch.tanh, {}, nn.Tanh()),
    (F.tanh, {}, nn.Tanh()),
    (F.hardtanh, {"min_val": -2.0, "max_val": 2.0}, nn.Hardtanh(-2.0, 2.0)),
    (F.hardsigmoid, {}, nn.Hardsigmoid()),
    (F.hardswish, {}, nn.Hardswish()),
    (F.rrelu, {"lower": 0.1, "upper": 0.3}, nn.RReLU(0.1, 0.3).eval()),
    (F.prelu, {"weight": torch.tensor([0.2])}, nn.PReLU(init=0.2)),
]


@pytest.mark.parametrize(
    "fn, kwargs, module", FUNCTIONALS,
    ids=[f"{getattr(f, '__qualname__', f)}-{'-'.join(map(str, k))}" for f, k, _ in FUNCTIONALS],
)
def test_functional_info_equals_its_module(fn, kwargs, module):
    info = activation_info(fn, **kwargs)
    ref = activation_info(module)
    assert info.name == ref.name == FUNCTIONAL_NAMES[fn]
    assert (info.grad_floor, info.grad_max, info.bounded) == pytest.approx(
        (ref.grad_floor, ref.grad_max, ref.bounded))
    z = grid()
    torch.testing.assert_close(info.derivative(z), autograd_derivative(module, z))


def test_every_functional_name_is_a_registered_activation():
    assert len(FUNCTIONAL_NAMES) >= 30
    for fn, name in FUNCTIONAL_NAMES.items():
        assert name in ACTIVATIONS, (fn, name)


def test_functional_kwargs_names_positional_arguments():
    assert functional_kwargs(F.leaky_relu, (0.2,)) == {"negative_slope": 0.2}
    assert functional_kwargs(F.hardtanh, (-2.0,), {"max_val": 3.0}) == {"min_val": -2.0, "max_val": 3.0}
    assert functional_kwargs(F.relu, (), {"inplace": True}) == {}
    assert functional_kwargs(len, ()) is None


def test_prelu_functional_without_weight_is_a_clear_error():
    with pytest.raises(ConfigError, match="weight"):
        activation_info(F.prelu)


@pytest.mark.parametrize("obj", [nn.Linear(2, 2), nn.Linear, len, nn.BatchNorm1d(3), 3])
def test_non_activations_give_none(obj):
    assert activation_info(obj) is None


def test_tensor_method_names_map():
    assert activation_info("relu_").name == "relu"
    assert activation_info("sigmoid").bounded


def test_unknown_name_lists_choices_with_did_you_mean():
    with pytest.raises(UnknownComponentError, match=r"did you mean 'leaky_relu'.*choices: relu, relu6"):
        create_activation("lrelu")
    with pytest.raises(UnknownComponentError, match="did you mean 'gelu'"):
        activation_info("gleu")


def test_create_from_specs_classes_instances_and_functions():
    assert create_activation("leaky_relu(0.2)").negative_slope == 0.2
    assert create_activation("gelu(approximate='tanh')").approximate == "tanh"
    assert isinstance(create_activation(nn.ELU, alpha=0.5), nn.ELU)
    inst = nn.Tanh()
    assert create_activation(inst) is inst
    wrapped = create_activation(F.leaky_relu, negative_slope=0.3)
    assert isinstance(wrapped, FunctionActivation)
    x = torch.linspace(-2, 2, 9)
    torch.testing.assert_close(wrapped(x), F.leaky_relu(x, 0.3))
    assert activation_info(wrapped).grad_floor == pytest.approx(0.3)
    assert get_activation("hard_sigmoid") is nn.Hardsigmoid
    assert get_activation(inst) is nn.Tanh
    with pytest.raises(ConfigError, match="unknown argument .nonsense. \\(valid: inplace\\)"):
        create_activation("relu(nonsense=1)")
