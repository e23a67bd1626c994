"""Optimizers and learning-rate schedules against seed 004's formulas."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from gradlab.components.optim import OPTIMIZERS, create_optimizer
from gradlab.components.schedules import SCHEDULES, create_schedule
from gradlab.errors import ConfigError, UnknownComponentError


def _model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_every_optimizer_builds_and_lowers_a_quadratic(name):
    w = nn.Parameter(torch.tensor([2.0, -3.0]))
    opt = create_optimizer(name, [w], lr=0.05)
    start = w.detach().square().sum().item()
    for _ in range(20):
        opt.zero_grad()
        w.square().sum().backward()
        opt.step()
    assert w.detach().square().sum().item() < start


@pytest.mark.parametrize(
    "spec, cls, options",
    [
        ("sgd", torch.optim.SGD, {"momentum": 0.0, "nesterov": False}),
        ("momentum", torch.optim.SGD, {"momentum": 0.9, "nesterov": False}),
        ("nesterov", torch.optim.SGD, {"momentum": 0.9, "nesterov": True}),
        ("rmsprop", torch.optim.RMSprop, {"alpha": 0.9}),
        ("adam(betas=[0.9, 0.99])", torch.optim.Adam, {"betas": (0.9, 0.99)}),
        ("adamw", torch.optim.AdamW, {"weight_decay": 0.01}),
        ("nadam", torch.optim.NAdam, {}),
        ("adamax", torch.optim.Adamax, {}),
        ("adagrad", torch.optim.Adagrad, {}),
    ],
)
def test_optimizer_specs_pass_options_through(spec, cls, options):
    opt = create_optimizer(spec, _model().parameters(), lr=0.1, weight_decay=options.get("weight_decay", 0.0))
    assert type(opt) is cls
    group = opt.param_groups[0]
    assert group["lr"] == 0.1
    for key, value in options.items():
        assert group[key] == value, key


def test_optimizer_errors():
    with pytest.raises(UnknownComponentError, match="did you mean 'adam'"):
        create_optimizer("adamm", _model().parameters(), lr=0.1)
    with pytest.raises(ConfigError, match="given twice"):
        create_optimizer("sgd(lr=0.5)", _model().parameters(), lr=0.1)
    with pytest.raises(ConfigError, match="lr=-1"):
        create_optimizer("sgd", _model().parameters(), lr=-1)
    assert isinstance(create_optimizer(torch.optim.SGD, _model().parameters(), lr=0.1), torch.optim.SGD)


def _drive(spec, lr=0.1, total=200, per_epoch=10, metrics=None):
    """Step a schedule the way the Trainer does and record the lr in effect at each unit."""
    opt = torch.optim.SGD(_model().parameters(), lr=lr)
    sched = create_schedule(spec, opt, total_steps=total, steps_per_epoch=per_epoch)
    seen = []
    n = total if sched.interval == "step" else total // per_epoch
    for t in range(n):
        seen.append(sched.current_lr)
        sched.step(metric=None if metrics is None else metrics[t])
    return sched, seen


# seed 004's formulas, written out again independently
SEED004 = {
    "power(s=20)": lambda t: 0.1 / (1 + t / 20),
    "power(s=20, c=2)": lambda t: 0.1 / (1 + t / 20) ** 2,
    "exponential(s=50)": lambda t: 0.1 * 0.1 ** (t / 50),
    "cosine": lambda t: 0.1 * (1 + math.cos(math.pi * t / 200)) / 2,
    "cosine(t_max=100, min_lr=0.01)": lambda t: 0.01 + 0.09 * (1 + math.cos(math.pi * min(t, 100) / 100)) / 2,
    "constant": lambda t: 0.1,
}


@pytest.mark.parametrize("spec", list(SEED004))
def test_step_schedules_follow_the_formula(spec):
    sched, seen = _drive(spec, per_epoch=1)  # per_epoch=1: "constant" steps per epoch
    for t in (0, 1, 7, 20, 50, 99, 150, 199):
        assert sched.lr_at(t) == pytest.approx(SEED004[spec](t), rel=1e-12)
        assert seen[t] == pytest.approx(SEED004[spec](t), rel=1e-12)


def test_piecewise_is_in_epochs():
    sched, seen = _drive("piecewise([5, 50], [0.1, 0.01, 0.001])", total=600, per_epoch=10)
    assert sched.interval == "epoch"
    assert seen[:5] == [0.1] * 5 and seen[5] == 0.01 and seen[49] == 0.01 and seen[50] == 0.001
    assert [sched.lr_at(t) for t in (0, 4, 5, 49, 50, 59)] == [0.1, 0.1, 0.01, 0.01, 0.001, 0.001]


def test_plateau_multiplies_by_factor_after_patience_epochs_without_improvement():
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85]
    sched, seen = _drive("plateau(factor=0.5, patience=2)", total=100, per_epoch=10, metrics=metrics)
    # improvements at epochs 0, 1, 5; three bad epochs (2-4) exceed patience 2 -> halve after
    # epoch 4; epochs 6-8 bad again -> halve after epoch 8
    assert seen == pytest.approx([0.1] * 5 + [0.05] * 4 + [0.025])
    assert sched.current_lr == pytest.approx(0.025)
    assert sched.lr_at(0) == 0.1 and sched.lr_at(5) == 0.05
    with pytest.raises(ConfigError, match="metric"):
        sched.step()


def test_plateau_max_mode_for_accuracy_and_min_lr():
    opt = torch.optim.SGD(_model().parameters(), lr=0.1)
    sched = create_schedule("plateau(factor=0.1, patience=0, min_lr=0.005, mode='max')", opt,
                            total_steps=10, steps_per_epoch=1)
    for acc in (0.5, 0.6, 0.6, 0.6, 0.6):
        sched.step(metric=acc)
    assert sched.current_lr == pytest.approx(0.005)


def test_one_cycle_goes_up_linearly_then_down_and_cycles_momentum():
    opt = torch.optim.SGD(_model().parameters(), lr=0.01, momentum=0.9)
    sched = create_schedule("one_cycle(max_lr=0.1)", opt, total_steps=100, steps_per_epoch=10)
    lrs, moms = [], []
    for _ in range(100):
        lrs.append(sched.current_lr)
        moms.append(opt.param_groups[0]["momentum"])
        sched.step()
    assert lrs[0] == pytest.approx(0.01) and lrs[50] == pytest.approx(0.1)
    assert lrs[25] == pytest.approx(0.01 + 0.09 * 25 / 50)
    assert lrs[75] == pytest.approx(0.1 + (0.001 - 0.1) * 25 / 50)
    assert sched.lr_at(100) == pytest.approx(0.001)
    assert moms[0] == pytest.approx(0.95) and moms[50] == pytest.approx(0.85)
    assert moms[75] == pytest.approx(0.9)
    # the lr and momentum move in opposite directions throughout
    assert all((lrs[i + 1] - lrs[i]) * (moms[i + 1] - moms[i]) <= 0 for i in range(99))


def test_one_cycle_cycles_adams_beta1_but_not_plain_sgd():
    adam = torch.optim.Adam(_model().parameters(), lr=0.001)
    create_schedule("one_cycle", adam, total_steps=10, steps_per_epoch=10)
    assert adam.param_groups[0]["betas"] == (0.95, 0.999)
    sgd = torch.optim.SGD(_model().parameters(), lr=0.001)
    create_schedule("one_cycle", sgd, total_steps=10, steps_per_epoch=10)
    assert sgd.param_groups[0]["momentum"] == 0


def test_warmup_then_cosine():
    sched, seen = _drive("warmup(10, then='cosine')", total=110)
    assert seen[0] == pytest.approx(0.01) and seen[9] == pytest.approx(0.1)
    assert seen[4] == pytest.approx(0.05)
    assert seen[10] == pytest.approx(0.1)
    assert seen[60] == pytest.approx(0.1 * (1 + math.cos(math.pi * 50 / 100)) / 2)


def test_warmup_then_piecewise_keeps_epochs():
    sched, seen = _drive("warmup(5, then='piecewise([2], [0.2, 0.02])')", total=40, per_epoch=10)
    assert seen[4] == pytest.approx(0.2) and seen[0] == pytest.approx(0.04)
    assert seen[19] == pytest.approx(0.2) and seen[20] == pytest.approx(0.02)


def test_param_groups_keep_their_ratio():
    m = _model()
    opt = torch.optim.SGD([{"params": m[0].parameters(), "lr": 0.1},
                           {"params": m[2].parameters(), "lr": 0.01}], lr=0.1)
    sched = create_schedule("exponential(s=10)", opt, total_steps=20, steps_per_epoch=10)
    for _ in range(10):
        sched.step()
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.01, 0.001])


@pytest.mark.parametrize("spec", SCHEDULES.names())
def test_every_schedule_builds_and_steps(spec):
    opt = torch.optim.SGD(_model().parameters(), lr=0.1, momentum=0.5)
    needs = {"power": "power(s=10)", "exponential": "exponential(s=10)",
             "piecewise": "piecewise([1], [0.1, 0.01])", "warmup": "warmup(5)"}
    sched = create_schedule(needs.get(spec, spec), opt, total_steps=50, steps_per_epoch=5)
    for _ in range(5):
        sched.step(metric=1.0)
    assert sched.interval in ("step", "epoch", "metric") and sched.current_lr > 0


@pytest.mark.parametrize(
    "spec, message",
    [
        ("piecewise([5, 50], [0.1, 0.01])", "one more value"),
        ("piecewise([50, 5], [0.1, 0.01, 0.001])", "increase"),
        ("power(s=0)", "s must be > 0"),
        ("plateau(factor=2)", "factor"),
        ("warmup(5, then='plateau')", "plateau"),
        ("cosin", "did you mean 'cosine'"),
    ],
)
def test_schedule_errors_name_the_problem(spec, message):
    opt = torch.optim.SGD(_model().parameters(), lr=0.1)
    with pytest.raises(ConfigError, match=message):
        create_schedule(spec, opt, total_steps=100, steps_per_epoch=10)
