"""Scheduled and learnable LeakyReLU, Swish: the modules PyTorch does not ship."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gradlab.components.activations import (
    LearnableLeakyReLU,
    ScheduledLeakyReLU,
    Swish,
    activation_info,
    create_activation,
)
from gradlab.errors import ConfigError


def seed000_slope(epoch: int, total: int, initial: float = 0.3, final: float = 0.1) -> float:
    """Seed 000's progressive slope, verbatim: initial + (final - initial) * epoch / total."""
    return initial + (final - initial) * (epoch / total)


@pytest.mark.parametrize("progress, slope", [(0.0, 0.3), (0.5, 0.2), (1.0, 0.1)])
def test_scheduled_slope_default_is_linear_point3_to_point1(progress, slope):
    act = create_activation("scheduled_leaky_relu")
    act.set_progress(progress)
    assert act.negative_slope == pytest.approx(slope)
    # the forward and the derivative metadata both use the current slope
    assert act(torch.tensor([-1.0])).item() == pytest.approx(-slope)
    assert activation_info(act).derivative(torch.tensor([-1.0])).item() == pytest.approx(slope)


def test_scheduled_slope_matches_seed000_formula_every_epoch():
    act = ScheduledLeakyReLU()
    for epoch in range(0, 200, 7):
        act.set_progress(epoch / 200)
        assert act.negative_slope == pytest.approx(seed000_slope(epoch, 200))


def test_derivative_is_live_as_the_schedule_moves():
    act = ScheduledLeakyReLU(0.3, 0.1)
    info = activation_info(act)
    act.set_progress(1.0)
    assert info.derivative(torch.tensor([-2.0])).item() == pytest.approx(0.1)
    assert isinstance(act, nn.LeakyReLU)  # code that searches for nn.LeakyReLU still finds it


@pytest.mark.parametrize(
    "schedule, progress, expected",
    [
        ("cosine", 0.0, 0.3),
        ("cosine", 0.25, 0.3 - 0.2 * (1 - math.cos(math.pi / 4)) / 2),
        ("cosine", 1.0, 0.1),
        ("exponential", 0.5, 0.3 * (0.1 / 0.3) ** 0.5),
        ("exponential", 1.0, 0.1),
        ("step", 0.49, 0.3),
        ("step", 0.5, 0.1),
    ],
)
def test_slope_schedule_shapes(schedule, progress, expected):
    act = ScheduledLeakyReLU(0.3, 0.1, schedule=schedule)
    act.set_progress(progress)
    assert act.negative_slope == pytest.approx(expected)


def test_callable_schedule_and_clamped_progress():
    act = ScheduledLeakyReLU(schedule=lambda p: 0.5 * p)
    act.set_progress(2.0)
    assert act.progress == 1.0 and act.negative_slope == pytest.approx(0.5)


@pytest.mark.parametrize("kwargs", [{"schedule": "zigzag"}, {"schedule": "exponential", "end": 0.0},
                                    {"schedule": "step", "steps": 0}])
def test_bad_schedule_is_a_config_error(kwargs):
    with pytest.raises(ConfigError):
        ScheduledLeakyReLU(**kwargs)


def test_learnable_slope_receives_the_analytic_gradient_and_moves():
    act = LearnableLeakyReLU(init=0.1)
    x = torch.tensor([-2.0, -0.5, 0.0, 1.0, 3.0])
    act(x).sum().backward()
    # d/da sum(a*x for x < 0) = sum of the negative inputs
    assert act.slope.grad.item() == pytest.approx(-2.5)
    info = activation_info(act)
    torch.optim.SGD(act.parameters(), lr=0.1).step()
    assert act.negative_slope == pytest.approx(0.35)
    assert info.derivative(torch.tensor([-1.0])).item() == pytest.approx(0.35)


def test_swish_beta_one_is_silu_and_learnable_beta_gets_gradient():
    x = torch.linspace(-4, 4, 33)
    torch.testing.assert_close(Swish()(x), F.silu(x))
    act = Swish(beta=1.5, learnable=True)
    torch.testing.assert_close(act(x), x * torch.sigmoid(1.5 * x))
    act(x).sum().backward()
    assert act.beta.grad is not None and act.beta.grad.abs() > 0
    z = x.clone().requires_grad_(True)
    act(z).sum().backward()
    torch.testing.assert_close(activation_info(act).derivative(x), z.grad)
