"""Stand-in trial functions for executor/runner tests (importable by spawned workers).

They take the same (config, seed) as ``run_trial`` and return a dict with its fields, so the
store, the executors and the statistics can be tested without training anything. Only values
that ``validate_config`` accepts steer them: ``train.lr == 13`` raises, ``train.lr == 66`` kills
the worker process outright, ``train.epochs - 1`` is a sleep in milliseconds.
"""

import os
import time

BASE = {"relu": 0.5, "elu": 0.9, "tanh": 0.52}


def fake_accuracy(act: str, seed: int) -> float:
    """The metric fake_trial reports: a per-activation level, a seed effect, a little jitter."""
    return BASE.get(act, 0.7) + 0.01 * seed + 0.004 * (((seed + 1) * (len(act) * 7 + 3)) % 11)


def fake_trial(config, seed):
    """A deterministic 'trial' with the fields of ``TrialResult.to_dict()``."""
    act = str(config["model"]["act"])
    lr = float(config["train"]["lr"])
    if lr == 13.0:
        raise RuntimeError(f"boom in seed {seed}")
    if lr == 66.0:
        os._exit(3)  # a worker that dies outright (like a segfault)
    time.sleep((float(config["train"]["epochs"]) - 1) / 1000.0)
    acc = fake_accuracy(act, seed)
    return {
        "metrics": {"dev_accuracy": acc, "dev_loss": 1 - acc},
        "history": [{"epoch": e, "train_loss": 1.0 / (e + 1), "dev_accuracy": acc} for e in range(3)],
        "vitals": [{"epoch": e, "layer": "act1", "stat": "dead_frac", "value": 1.0 - acc}
                   for e in range(3)],
        "findings": [{"code": "dead_relu", "severity": "error", "layer": "act1", "step": 2,
                      "evidence": {"dead_frac": 1.0}, "message": "dead", "recommendations": []}]
        if act == "relu" else [],
        "layers": [{"path": "act1", "kind": "activation"}],
        "wall_time": 0.01,
    }
