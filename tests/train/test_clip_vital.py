"""The clip angle is a model-wide vital of a trial that clips; momentum shows when 1cycle drives it."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from gradlab.train.experiment import run_trial
from gradlab.watch import watch


def _config(**train):
    return {"task": {"name": "moons", "n_samples": 200},
            "model": {"hidden": [8, 8], "act": "tanh", "init": "normal(0, 3)"},
            "train": {"optimizer": "sgd", "lr": 0.5, "epochs": 3, "batch_size": 32, **train},
            "watch": {"every": 1}}


def _angles(result) -> list[float]:
    return [r["value"] for r in result.vitals if r["layer"] == "" and r["stat"] == "clip_angle"]


def test_value_clipping_records_a_turn_and_norm_clipping_none():
    by_value = _angles(run_trial(_config(clip_value=0.01), 0))
    by_norm = _angles(run_trial(_config(clip_norm=0.01), 0))
    assert len(by_value) == 3 and len(by_norm) == 3  # one per epoch
    assert min(by_value) > 1.0
    assert max(by_norm) < 0.05
    assert _angles(run_trial(_config(), 0)) == []  # no clipping, no vital


def test_watch_logs_any_model_wide_scalar_next_to_the_loss():
    model = nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with watch(model, optimizer=opt, every=1) as w:
        for i in range(3):
            opt.zero_grad()
            loss = model(torch.ones(4, 2)).pow(2).mean()
            loss.backward()
            opt.step()
            w.log(loss=loss, clip_angle=torch.tensor(float(i)))
    steps, values = w.vitals.series("", "clip_angle")
    assert list(steps) == [0, 1, 2] and list(values) == [0.0, 1.0, 2.0]
    assert w.vitals.last("", "loss_nonfinite") == 0


def test_one_cycle_momentum_runs_opposite_to_its_learning_rate():
    cfg = _config(optimizer="momentum", lr=0.01, epochs=6, schedule="one_cycle(max_lr=0.1)")
    history = run_trial(cfg, 0).history
    lr = [row["lr"] for row in history]
    momentum = [row["momentum"] for row in history]
    peak = lr.index(max(lr))
    assert 0 < peak < len(lr) - 1
    assert momentum.index(min(momentum)) == peak  # momentum lowest where the lr is highest
    assert all(math.isfinite(m) and 0.85 - 1e-9 <= m <= 0.95 + 1e-9 for m in momentum)
    assert "momentum" not in run_trial(_config(), 0).history[0]


@pytest.mark.parametrize("bad", [{"act": "relu"}, {}, {"task.name": "circles"}])
def test_time_against_rejects_a_table_that_is_no_twin(bad):
    from gradlab.errors import ConfigError
    from gradlab.train.config import validate_config

    with pytest.raises(ConfigError, match="time_against"):
        validate_config(_config(time_against=bad))


def test_none_switches_clipping_off_in_a_sweep():
    from gradlab.train.config import validate_config

    assert validate_config(_config(clip_value="none"))["train"]["clip_value"] is None
    assert validate_config(_config(clip_value="none")) == validate_config(_config())
