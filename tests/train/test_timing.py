"""Time relative to a twin, measured interleaved in one process."""

from __future__ import annotations

from gradlab.train.experiment import run_trial
from gradlab.train.timing import time_against, twin_config


def _config(**model):
    return {"task": {"name": "moons", "n_samples": 200},
            "model": {"hidden": [16, 16], "act": "relu", **model},
            "train": {"optimizer": "adam", "lr": 0.01, "epochs": 2, "batch_size": 64},
            "watch": {"enabled": False}}


def test_twin_changes_only_the_given_keys():
    twin = twin_config(_config(act="gelu"), {"model.act": "relu"})
    assert twin["model"] == _config()["model"] and twin["train"]["time_against"] is None


def test_ratios_are_the_ratios_of_the_reported_medians():
    out = time_against(_config(norm="batch"), 0, {"model.norm": "none"}, rounds=2)
    assert out["train_time_ratio"] == out["epoch_time"] / out["twin_epoch_time"]
    assert out["eval_time_ratio"] == out["eval_time"] / out["twin_eval_time"]
    assert all(v > 0 for v in out.values())


def test_a_trial_with_time_against_reports_the_ratios_in_its_metrics():
    cfg = _config(act="gelu")
    cfg["train"]["time_against"] = {"model.act": "relu"}
    metrics = run_trial(cfg, 0).metrics
    assert metrics["train_time_ratio"] > 0 and metrics["eval_time_ratio"] > 0
    assert "train_time_ratio" not in run_trial(_config(), 0).metrics
