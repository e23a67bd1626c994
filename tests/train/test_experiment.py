"""build() and run_trial(): the seeding order the ensemble executor relies on, and the result."""

import pytest
import torch

from gradlab.data import create_task
from gradlab.models import create_model
from gradlab.train.experiment import build, epoch_vitals, run_trial

TINY = {
    "model": {"hidden": [8], "act": "tanh", "init": "xavier_normal", "bias_init": "zeros"},
    "train": {"optimizer": "adam", "lr": 0.05, "epochs": 15, "batch_size": 128},
    "watch": {"enabled": False},
}


def test_build_follows_the_documented_seeding_order():
    built = build(TINY, seed=7, device="cpu")
    torch.manual_seed(7)
    task = create_task("moons", seed=7)
    model = create_model("mlp", input_shape=task.input_shape, n_outputs=task.n_outputs, hidden=[8],
                         act="tanh", init="xavier_normal", bias_init="zeros", norm="none",
                         norm_position="before", dropout=0.0)
    assert torch.equal(built.task.train[0], task.train[0])
    for (name, a), (_, b) in zip(built.model.named_parameters(), model.named_parameters()):
        assert torch.equal(a, b), name
    assert built.metric == "accuracy" and built.schedule.interval in ("step", "epoch", "metric")


def test_run_trial_is_repeatable_and_reports_the_best_dev_weights():
    first = run_trial(TINY, seed=3, device="cpu")
    second = run_trial(TINY, seed=3, device="cpu")
    assert first.history == second.history
    assert {k: v for k, v in first.metrics.items()} == second.metrics
    m = first.metrics
    for key in ("dev_accuracy", "test_accuracy", "train_loss", "dev_loss", "test_loss", "best_epoch", "epochs_run"):
        assert key in m
    assert m["epochs_run"] == 15
    # the dev accuracy reported is the best epoch's, as recorded in the history
    assert m["dev_accuracy"] == pytest.approx(first.history[m["best_epoch"] - 1]["dev_accuracy"])
    assert m["dev_accuracy"] > 0.8
    assert set(first.to_dict()) == {"metrics", "history", "vitals", "findings", "layers", "wall_time",
                                    "activations"}


def test_restore_best_false_reports_the_last_epochs_weights():
    from gradlab.errors import ConfigError
    from gradlab.train.config import validate_config

    last_cfg = {**TINY, "task": {"name": "moons", "label_noise": 0.3, "n_samples": 300},
                "train": {**TINY["train"], "restore_best": False}}
    last = run_trial(last_cfg, seed=3, device="cpu")
    best = run_trial({**last_cfg, "train": {**last_cfg["train"], "restore_best": True}}, seed=3, device="cpu")
    assert last.history == best.history  # the same training; only the weights kept at the end differ
    assert last.metrics["dev_accuracy"] == pytest.approx(last.history[-1]["dev_accuracy"])
    assert best.metrics["dev_accuracy"] == pytest.approx(best.history[best.metrics["best_epoch"] - 1]["dev_accuracy"])
    assert last.metrics["best_epoch"] != len(last.history)  # else the test could not tell them apart
    assert "restore_best" not in validate_config(TINY)["train"]  # absent unless given: hashes unchanged
    with pytest.raises(ConfigError, match="restore_best"):
        validate_config({**TINY, "train": {**TINY["train"], "restore_best": "yes"}})


def test_regression_reports_losses():
    cfg = {**TINY, "task": {"name": "teacher"}}
    result = run_trial(cfg, seed=0, device="cpu")
    assert "dev_loss" in result.metrics and "test_loss" in result.metrics
    assert "dev_accuracy" not in result.metrics


def test_epoch_vitals_keeps_the_last_value_at_each_epoch_end_and_carries_it_forward():
    rows = [
        {"step": 0, "layer": "fc1", "stat": "grad_norm", "value": 1.0},
        {"step": 4, "layer": "fc1", "stat": "grad_norm", "value": 2.0},
        {"step": 5, "layer": "fc1", "stat": "grad_norm", "value": 3.0},
        {"step": 5, "layer": "", "stat": "loss", "value": 0.5},
    ]
    # 5 steps per epoch: epoch 1 ends after step index 4, epoch 2 after 9, epoch 3 after 14
    out = epoch_vitals(rows, [(1, 5), (2, 10), (3, 15)])
    grad = [(r["epoch"], r["value"]) for r in out if r["stat"] == "grad_norm"]
    loss = [(r["epoch"], r["value"]) for r in out if r["stat"] == "loss"]
    assert grad == [(1, 2.0), (2, 3.0), (3, 3.0)]
    assert loss == [(2, 0.5), (3, 0.5)]


def test_watched_trial_carries_per_epoch_vitals_layers_and_findings():
    dying = {
        "model": {"hidden": [3, 3, 3, 3], "act": "relu", "init": "normal(0, 0.01)", "bias_init": "constant(-8)"},
        "train": {"optimizer": "sgd", "lr": 0.01, "epochs": 30},
        "watch": {"enabled": True, "every": 5},
    }
    result = run_trial(dying, seed=0, device="cpu")
    assert result.layers and {"fc1", "act1"} <= {layer["path"] for layer in result.layers}
    keys = [(r["epoch"], r["layer"], r["stat"]) for r in result.vitals]
    assert len(keys) == len(set(keys))  # one row per epoch, layer and stat
    assert {r["epoch"] for r in result.vitals} <= set(range(1, 31))
    assert any(r["layer"] == "act1" and r["stat"] == "dead_frac" for r in result.vitals)
    assert "dead_units" in {f["code"] for f in result.findings}
    # the dead share at the end is also a metric (the report reads few trials' vitals): the mean
    # over activation layers of each one's last dead_frac
    last = {}
    for r in result.vitals:
        if r["stat"] == "dead_frac":
            last[r["layer"]] = r["value"]  # rows are sorted by epoch
    assert result.metrics["dead_frac"] == pytest.approx(sum(last.values()) / len(last)) and result.metrics["dead_frac"] > 0
    assert all({"code", "severity", "layer", "message", "recommendations"} <= set(f) for f in result.findings)
