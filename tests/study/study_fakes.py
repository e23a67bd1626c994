"""Stand-in trial functions for executor/runner tests (importable by spawned workers).

They take the same (config, seed) as ``run_trial`` and return a dict with its fields, so the
store and the executors can be tested without training anything.
"""

import os
import time


def fake_trial(config, seed):
    """A deterministic 'trial': accuracy depends on the activation and the seed."""
    act = str(config.get("model", {}).get("act", "relu"))
    if act == "boom":
        raise RuntimeError(f"boom in seed {seed}")
    if act == "die":
        os._exit(3)  # a worker that dies outright (like a segfault)
    time.sleep(float(config.get("train", {}).get("sleep", 0.0)))
    acc = {"relu": 0.5, "elu": 0.9}.get(act, 0.7) + 0.01 * seed
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
