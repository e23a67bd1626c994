"""Repair of gradlab's own runs: a candidate is the run config with the recommended keys set.

No surgery is needed here: every recommendation is a run-config key, so a candidate is trained
by :func:`gradlab.train.experiment.run_trial` exactly as ``gradlab train`` would train it, and the
same screening and verification as for the user's own code decide (:func:`~gradlab.repair.api.run_repair`).
The metric is the dev score: the task's own metric (accuracy; higher is better), or the dev loss
for a regression (lower is better).
"""

from __future__ import annotations

import copy
import time

from gradlab.diagnose.finding import Finding
from gradlab.errors import ConfigError
from gradlab.repair.result import RepairResult
from gradlab.repair.verify import Trial


def with_changes(config: dict, changes: dict) -> dict:
    """A copy of ``config`` with dotted keys set (``{"model.act": "elu"}``)."""
    out = copy.deepcopy(config)
    for dotted, value in changes.items():
        section, _, key = dotted.partition(".")
        out.setdefault(section, {})[key] = value
    return out


def repair_config(config: dict, seeds: list[int], budget: float = 3.0, *, device: str | None = None,
                  max_candidates: int = 12, progress: bool | None = None) -> tuple[RepairResult, dict]:
    """Repair the run ``config`` (``gradlab repair``); returns the result and the fixed config.

    Raises:
        ConfigError: a bad config (named by its key).
    """
    from gradlab.repair.api import run_repair
    from gradlab.repair.surgery import as_code
    from gradlab.train.config import validate_config
    from gradlab.train.experiment import build, run_trial

    config = validate_config({**config, "watch": {**config.get("watch", {}), "enabled": True}})
    task_metric = build(config, seeds[0]).metric
    higher = task_metric != "mse"  # a regression reports its loss only
    name = f"dev_{task_metric}" if higher else "dev_loss"

    def run(changes: dict, seed: int) -> Trial:
        start = time.perf_counter()
        result = run_trial(with_changes(config, changes), seed, device=device)
        m = result.metrics
        value = m.get(name)
        return Trial(seed, float(value) if value is not None else float("nan"),
                     [Finding.from_dict(f) for f in result.findings], time.perf_counter() - start,
                     int(m.get("steps", 0)))

    def block(changes: dict) -> str | None:
        try:
            validate_config(with_changes(config, changes))
        except ConfigError as exc:
            return str(exc)
        return None

    act = config["model"].get("act")
    result = run_repair(run, block, seeds, higher, budget, max_candidates, progress, name,
                        code=lambda changes: as_code(changes, act, config["train"]["lr"],
                                                     weight_decay=config["train"].get("weight_decay")), apply=None,
                        base_lr=lambda: config["train"]["lr"])
    return result, with_changes(config, result.changes)
