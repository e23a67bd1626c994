"""Time relative to a twin, measured interleaved in one process."""

from __future__ import annotations

from gradlab.train.experiment import build, run_trial
from gradlab.train.config import twin_config
from gradlab.train.timing import time_against


def _config(**model):
    return {"task": {"name": "moons", "n_samples": 200},
            "model": {"hidden": [16, 16], "act": "relu", **model},
            "train": {"optimizer": "adam", "lr": 0.01, "epochs": 2, "batch_size": 64},
            "watch": {"enabled": False}}


def test_twin_changes_only_the_given_keys():
    twin = twin_config(_config(act="gelu"), {"model.act": "relu"})
    assert twin["model"] == _config()["model"] and "time_against" not in twin["train"]


def test_ratios_are_medians_of_paired_rounds(monkeypatch):
    from gradlab.train import timing

    # a fake clock: the model's epochs take 3, 2, 4 units, the twin's 1, 1, 2 (warm-up dropped)
    fake = {"train": iter([9, 9, 1, 3, 2, 1, 2, 4]), "eval": iter([9, 9, 2, 6, 2, 1, 4, 8])}
    monkeypatch.setattr(timing, "_epoch_seconds", lambda *a: next(fake["train"]))
    monkeypatch.setattr(timing, "_eval_seconds", lambda *a: next(fake["eval"]))
    out = time_against(_config(norm="batch"), 0, {"model.norm": "none"}, build=build, rounds=3)
    # rounds alternate who goes first: (model, twin), (twin, model), (model, twin)
    assert out["train_time_ratio"] == 2.0  # median of 3/1, 2/1, 4/2
    assert out["eval_time_ratio"] == 2.0   # median of 6/2, 2/1, 8/4
    assert out["epoch_time"] == 3 and out["twin_epoch_time"] == 1



def test_a_trial_with_time_against_reports_the_ratios_in_its_metrics():
    cfg = _config(act="gelu")
    cfg["train"]["time_against"] = {"model.act": "relu"}
    metrics = run_trial(cfg, 0).metrics
    for key in ("train_time_ratio", "eval_time_ratio", "epoch_time", "twin_epoch_time", "eval_time"):
        assert metrics[key] > 0
    assert "train_time_ratio" not in run_trial(_config(), 0).metrics
