"""One trial: a run config and a seed in, metrics, history, vitals and findings out.

The seeding order is part of the contract — the ensemble executor rebuilds members exactly as
:func:`build` does: ``torch.manual_seed(seed)`` → task (its own generator seeded with ``seed``) →
model build and init → optimizer → schedule; the mini-batch order comes from a generator seeded
with ``seed`` inside :meth:`Trainer.fit`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Iterable

import torch
import torch.nn as nn

from gradlab.errors import ConfigError
from gradlab.monitor.watch import watch
from gradlab.train.activation_record import ActivationRecorder
from gradlab.train.callbacks import Callback
from gradlab.train.config import validate_config
from gradlab.train.epoch_vitals import as_dict as _as_dict
from gradlab.train.epoch_vitals import (
    dead_share,
    epoch_vitals,  # noqa: F401  (re-exported: callers import it from here)
)
from gradlab.train.metrics import get_loss
from gradlab.train.plan import make_plan
from gradlab.train.trainer import Trainer, resolve_device
from gradlab.train.validate import check_seed


@dataclass
class Built:
    """Everything a run needs, built but not trained."""

    config: dict
    task: Any
    model: nn.Module
    optimizer: torch.optim.Optimizer
    schedule: Any
    loss_fn: Callable
    metric: str


@dataclass
class TrialResult:
    """What one trial produced (see ``docs/contracts.md``)."""

    metrics: dict
    history: list[dict]
    vitals: list[dict] = field(default_factory=list)
    findings: list[dict] = field(default_factory=list)
    layers: list[dict] = field(default_factory=list)
    wall_time: float = 0.0
    activations: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        """A JSON-ready dict with the same fields, shallow: the lists and dicts are shared.

        ``dataclasses.asdict`` deep-copied every vital row (~100 per epoch per trial), which cost
        more than writing them; the fields already hold plain JSON-ready values.
        """
        return {f.name: getattr(self, f.name) for f in fields(self)}


def steps_per_epoch(n_train: int, batch_size: int | None) -> int:
    """Optimizer steps in one epoch (1 for full batch)."""
    return 1 if batch_size is None else math.ceil(n_train / min(batch_size, n_train))


def build(config: dict, seed: int, device: str | torch.device | None = None) -> Built:
    """Validate ``config`` and build task, model, optimizer and schedule, seeded by ``seed``."""
    from gradlab.components.optim import create_optimizer
    from gradlab.components.schedules import create_schedule
    from gradlab.data import create_task
    from gradlab.models import create_model

    cfg = validate_config(config)
    if _is_gan(cfg):
        raise ConfigError("model.kind 'gan' trains two networks with two optimizers: train it with "
                          "run_trial or `gradlab train --model gan` (gradlab.train.gan_trial.build_gan builds it)")
    check_seed(seed)
    torch.manual_seed(seed)
    task_kw = {k: v for k, v in cfg["task"].items() if k != "name"}
    task = create_task(cfg["task"]["name"], seed=seed, **task_kw)
    model_kw = {k: v for k, v in cfg["model"].items() if k != "kind"}
    model = create_model(cfg["model"]["kind"], input_shape=task.input_shape, n_outputs=task.n_outputs, **model_kw)
    model = model.to(resolve_device(device))
    tr = cfg["train"]
    optimizer = create_optimizer(tr["optimizer"], model.parameters(), lr=tr["lr"], weight_decay=tr["weight_decay"])
    per_epoch = steps_per_epoch(len(task.train[0]), tr["batch_size"])
    total = tr["steps"] if tr["steps"] is not None else tr["epochs"] * per_epoch
    schedule = create_schedule(tr["schedule"], optimizer, total_steps=total, steps_per_epoch=per_epoch)
    return Built(cfg, task, model, optimizer, schedule, get_loss(task.loss), task.metric)


def run_trial(
    config: dict,
    seed: int,
    *,
    device: str | torch.device | None = None,
    progress: bool | None = False,
    callbacks: Iterable[Callback] = (),
) -> TrialResult:
    """Build and train one run; evaluate the best-dev weights on dev and test.

    When ``config["watch"]["enabled"]``, training runs under :func:`gradlab.watch` and the result
    carries per-epoch vitals (the last value of each layer/stat at each epoch's end), the
    findings and the watched layers. Every trial also records activation snapshots on its dev
    inputs (:mod:`gradlab.train.activation_record`) for the report's activation figures.
    """
    if _is_gan(config):  # the adversarial loop: two networks, two optimizers, two watches
        from gradlab.train.gan_trial import run_gan_trial

        return TrialResult(*run_gan_trial(validate_config(config), seed, device=device, progress=progress,
                                          callbacks=callbacks))
    start = time.perf_counter()
    built = build(config, seed, device)
    cfg, task, tr = built.config, built.task, built.config["train"]
    clip = {"norm": tr["clip_norm"], "value": tr["clip_value"]}
    planned = make_plan(len(task.train[0]), tr["epochs"], tr["steps"], tr["batch_size"]).epochs
    x_dev = (task.dev if task.dev is not None else task.train)[0].to(resolve_device(device))
    recorder = ActivationRecorder(built.model, x_dev, planned)
    trainer = Trainer(built.model, built.optimizer, built.loss_fn, metric=built.metric,
                      schedule=built.schedule, clip=clip, max_norm=tr["max_norm"],
                      callbacks=[*callbacks, recorder], device=device, progress=progress)
    fit_kw = dict(epochs=tr["epochs"], steps=tr["steps"], batch_size=tr["batch_size"],
                  early_stopping=tr["early_stopping"], seed=seed,
                  restore_best=tr.get("restore_best", True))
    reused = {}
    if tr.get("pretrain"):  # lower layers from a related task or an autoencoder, before training
        from gradlab.train.pretrain import pretrain_into

        reused = pretrain_into(built.model, cfg, seed, device)
    vitals, findings, layers = [], [], []
    if not cfg["watch"]["enabled"]:
        history = trainer.fit(task.train, task.dev, **fit_kw)
    else:
        clock = _WatchClock()
        trainer.callbacks = [clock, *trainer.callbacks]
        rules = cfg["watch"]["rules"] or None
        with watch(built.model, optimizer=built.optimizer, every=cfg["watch"]["every"], rules=rules) as w:
            clock.watch = w
            history = trainer.fit(task.train, task.dev, **fit_kw)
        vitals = epoch_vitals(w.vitals.rows(), clock.epoch_steps)
        # the run config ranks the recommendations (e.g. Adam only where plain SGD stalls)
        findings = [f.to_dict() for f in w.findings(context={"config": cfg})]
        layers = [_as_dict(layer) for layer in w.layers]
    metrics = final_metrics(trainer.metric_name, {part: trainer.evaluate(getattr(task, part))
                                                  for part in ("train", "dev", "test")}, history)
    if cfg["watch"]["enabled"]:  # the share of dead units at the end (the report keeps few vitals)
        metrics["dead_frac"] = dead_share(vitals)
    metrics.update(_mc_dropout_metrics(trainer.model, task, seed), **reused)
    metrics.update(timing_metrics(cfg, seed, device))
    return TrialResult(metrics, list(history), vitals, findings, layers, time.perf_counter() - start,
                       recorder.rows)


def timing_metrics(config: dict, seed: int, device: str | torch.device | None = None) -> dict:
    """The timings ``train.time_against`` asks for, measured after the trial trained (none if unset).

    The twin and the configuration are built fresh from ``seed``: the trial's trained weights are
    not involved, so a trial trained in an ensemble is timed exactly as one trained alone.
    """
    overrides = config["train"].get("time_against")
    if not overrides:
        return {}
    from gradlab.train.timing import time_against

    return time_against(config, seed, overrides, build=build, device=device)


def _mc_dropout_metrics(model: nn.Module, task: Any, seed: int) -> dict:
    """A classifier with dropout also gets its MC-dropout scores (accuracy of the mean prediction,
    uncertainty on and off the data); see :func:`gradlab.train.uncertainty.mc_metrics`."""
    from gradlab.train.uncertainty import dropout_modules, mc_metrics

    if task.metric != "accuracy" or not any(float(getattr(m, "p", 0)) > 0 for m in dropout_modules(model)):
        return {}
    return mc_metrics(model, task, seed)


def _is_gan(config: dict) -> bool:
    from gradlab.models import MODELS

    kind = (config.get("model") or {}).get("kind", "mlp")
    return MODELS.get(kind) is MODELS.get("gan")


def final_metrics(m: str, scores: dict[str, dict[str, float]], history: Any) -> dict:
    """A trial's metrics: ``scores`` (``{part: {"loss", m}}`` of the best-dev weights) and the run's facts."""
    metrics = {f"{part}_loss": s["loss"] for part, s in scores.items()}
    if m != "mse":  # regression reports its loss; classification its accuracy as well
        metrics.update({f"{part}_{m}": s[m] for part, s in scores.items()})
    metrics.update(best_epoch=history.best_epoch, epochs_run=len(history), steps=history.steps,
                   stopped_early=history.stopped_early)
    return metrics


class _WatchClock(Callback):
    """Feeds the watch each step's loss and remembers how many steps each epoch ended at."""

    def __init__(self) -> None:
        self.watch: Any = None
        self.epoch_steps: list[tuple[int, int]] = []

    def on_step_end(self, trainer: Any, step: int, loss: Any) -> None:
        # with clipping on, the turn clipping gave the gradient is a model-wide vital
        self.watch.log(loss=loss, clip_angle=getattr(trainer, "clip_angle", None))

    def on_epoch_end(self, trainer: Any, epoch: int, logs: dict) -> None:
        self.epoch_steps.append((epoch, trainer.step))
