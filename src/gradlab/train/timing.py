"""What a configuration costs in time, relative to a twin that differs in a few keys.

Seed 001 says GELU "costs more" than ReLU and seed 004 that BatchNorm adds a cost at prediction
time. Wall times of trials run in different processes (or at different moments of a busy
machine) cannot show a 10 % difference; :func:`time_against` measures the configuration and its
twin *interleaved in one process* — one epoch of one, one epoch of the other, alternating which
goes first — and reports the ratio of the medians. The run config asks for it with
``train.time_against``, a table of dotted keys to change for the twin::

    [train]
    time_against = { "model.act" = "relu" }      # this activation's cost relative to ReLU

Both models are built fresh from the same seed and trained for the rounds on the run's own
data and batch size (the trial's trained weights are not touched).
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch

from gradlab.train.config import twin_config

ROUNDS = 5
EVAL_ROWS = 8192  # inference is timed on the train inputs tiled to at least this many rows
EVAL_REPEATS = 10  # inference passes per round; the fastest counts (on a busy machine the median of
# a few milliseconds is mostly other processes: the minimum is the undisturbed time)


def _epoch_seconds(trainer: Any, task: Any, batch_size: int | None, seed: int) -> float:
    start = time.perf_counter()
    trainer.fit(task.train, None, epochs=1, batch_size=batch_size, seed=seed, restore_best=False)
    return time.perf_counter() - start


@torch.no_grad()
def _eval_seconds(model: torch.nn.Module, x: torch.Tensor, repeats: int = EVAL_REPEATS) -> float:
    """The fastest of ``repeats`` inference passes (the least disturbed by other processes)."""
    model.eval()
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        model(x)
        if x.device.type == "cuda":
            torch.cuda.synchronize(x.device)
        best = min(best, time.perf_counter() - start)
    return best


def time_against(config: dict, seed: int, overrides: dict, *, build: Callable[..., Any],
                 rounds: int | None = None,
                 device: str | torch.device | None = None) -> dict[str, float]:
    """Time ``config`` and its twin interleaved: training epochs and large inference passes.

    Each round times one training epoch and one inference pass (the fastest of three) of each
    model, back to back, alternating which goes first; the ratio of a round compares two
    measurements taken under the same machine load, and the reported ratio is the median of the
    rounds' ratios.

    Args:
        config: the run config (validated or not).
        seed: seeds both builds and the batch order.
        overrides: dotted keys -> values that make the twin, e.g. ``{"model.act": "relu"}``.
        build: ``gradlab.train.experiment.build`` (passed in: the experiment calls this module).
        rounds: rounds timed after one warm-up round (default :data:`ROUNDS`).
        device: where both models run (None: CUDA when available), as for the trial.

    Returns:
        ``train_time_ratio`` and ``eval_time_ratio`` (this config's time over the twin's; above 1
        means slower), the median seconds ``epoch_time``, ``twin_epoch_time``, ``eval_time``,
        ``twin_eval_time``, and how they were measured: ``timing_rounds``,
        ``timing_eval_rows``, ``timing_eval_repeats``.
    """
    from gradlab.train.trainer import Trainer

    rounds = ROUNDS if rounds is None else rounds
    built = [build(config, seed, device), build(twin_config(config, overrides), seed, device)]
    trainers = [Trainer(b.model, b.optimizer, b.loss_fn, metric=b.metric, device=device, progress=False)
                for b in built]
    batch_size = built[0].config["train"]["batch_size"]
    x = built[0].task.train[0].to(trainers[0].device)
    x = x.repeat((-(-EVAL_ROWS // len(x)),) + (1,) * (x.dim() - 1))
    train_s: list[list[float]] = [[], []]
    eval_s: list[list[float]] = [[], []]
    for r in range(rounds + 1):
        for i in ((0, 1) if r % 2 == 0 else (1, 0)):  # alternate who goes first
            t_train = _epoch_seconds(trainers[i], built[i].task, batch_size, seed + r)
            t_eval = _eval_seconds(built[i].model, x)
            if r > 0:  # round 0 warms caches and allocators up
                train_s[i].append(t_train)
                eval_s[i].append(t_eval)
    med = statistics.median
    return {"train_time_ratio": med([a / b for a, b in zip(*train_s)]),
            "eval_time_ratio": med([a / b for a, b in zip(*eval_s)]),
            "epoch_time": med(train_s[0]), "twin_epoch_time": med(train_s[1]),
            "eval_time": med(eval_s[0]), "twin_eval_time": med(eval_s[1]),
            # how it was measured, for the report's caption (the report reads only the store)
            "timing_rounds": rounds, "timing_eval_rows": len(x), "timing_eval_repeats": EVAL_REPEATS}


__all__ = ["time_against", "twin_config"]
