"""The Trainer: seed 002's ``RunnerV2_2`` done right.

It fits for a number of epochs or of optimizer steps, with mini-batches in an order drawn from its
own seeded generator; logs train and dev loss and metric per epoch; keeps the best-dev weights
(in memory or safely on disk) and restores them at the end, so the test evaluation that follows
uses the best epoch, as the seed's Runner did by reloading ``best_model.pdparams``; stops early;
steps a learning-rate schedule per step, per epoch or on the dev metric; clips gradients; applies
a max-norm constraint after each step; and calls callbacks at fixed points.

The hot loop never syncs with the device: losses and metrics are summed as tensors and read once
per epoch.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

import torch
import torch.nn as nn
from torch import Tensor

from gradlab.errors import ConfigError
from gradlab.train.callbacks import Callback, EarlyStopping
from gradlab.train.checkpoint import BestCheckpoint
from gradlab.train.metrics import get_loss, get_metric, higher_is_better
from gradlab.train.plan import EpochJudge, Plan, clip_rules, make_plan
from gradlab.train.progress import make_progress

Data = tuple[Tensor, Tensor]
EVAL_BATCH = 4096


class History(list):
    """Per-epoch rows (dicts with epoch, train_loss, dev_loss, train_<metric>, dev_<metric>, lr).

    Epochs are numbered from 1. Attributes: ``best_epoch`` and ``best_score`` (of the monitored
    dev metric; None when no epoch produced a finite score), ``stopped_early``, ``steps``.
    """

    best_epoch: int | None = None
    best_score: float | None = None
    stopped_early: bool = False
    steps: int = 0

    def series(self, key: str) -> list[float]:
        """One column of the history, e.g. ``history.series("dev_accuracy")``."""
        return [row[key] for row in self]


def resolve_device(device: str | torch.device | None) -> torch.device:
    """``None`` means CUDA when available, else the CPU."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        raise ConfigError(f"unknown device {device!r}: use 'cpu', 'cuda' or 'cuda:N'") from None
    if resolved.type == "meta":  # shapes without storage: nothing could be trained or measured
        raise ConfigError(f"device {device!r} holds no data, so nothing can train on it: use 'cpu', "
                          "'cuda' or 'cuda:N'")
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} requested but CUDA is not available; use 'cpu'")
    return resolved


class Trainer:
    """Trains one model on one task.

    Args:
        model: the network (moved to ``device``).
        optimizer: built on ``model``'s parameters.
        loss_fn: "bce" (with logits), "ce", "mse", or a callable ``(outputs, targets) -> loss``.
        metric: "accuracy", "mse" or a callable returning the batch mean as a tensor.
        schedule: a :class:`gradlab.components.schedules.Schedule` (its ``interval`` says when
            to step it: "step", "epoch" or "metric" — the last on the dev metric) or None.
        clip: gradient clipping: a max norm, ``("norm"|"value", max)`` or ``{"norm": a, "value": b}``.
        max_norm: a max-norm constraint applied after each step: a float or an object with
            ``apply(model)`` such as :class:`gradlab.components.regularizers.MaxNorm`.
        callbacks: :class:`Callback` instances.
        device: None picks CUDA when available.
        progress: True/False, or None for a bar only on an interactive terminal.
    """

    def __init__(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        loss_fn: str | Callable[[Tensor, Tensor], Tensor],
        *,
        metric: str | Callable[[Tensor, Tensor], Tensor],
        schedule: Any = None,
        clip: Any = None,
        max_norm: Any = None,
        callbacks: Iterable[Callback] = (),
        device: str | torch.device | None = None,
        progress: bool | None = None,
    ):
        self.device = resolve_device(device)
        self.model = model.to(self.device)
        self.optimizer = optimizer
        self.loss_fn = get_loss(loss_fn)
        self.metric_name, self.metric_fn = get_metric(metric)
        self.schedule = schedule
        align_schedule(schedule, self.metric_name)
        self.clip = clip_rules(clip)
        self.max_norm = self._max_norm(max_norm)
        self.callbacks = list(callbacks)
        self.progress = progress
        self.step = 0
        self.epoch = 0
        self.stop_training = False
        # degrees between the raw and the clipped gradient of the last step (a 0-d tensor, no
        # host sync); None without clipping
        self.clip_angle: Tensor | None = None
        self.history = History()

    @staticmethod
    def _max_norm(max_norm: Any) -> Any:
        if max_norm is None or hasattr(max_norm, "apply"):
            return max_norm
        from gradlab.components.regularizers import MaxNorm

        return MaxNorm(float(max_norm))

    # -- evaluation -------------------------------------------------------------------------------
    @torch.no_grad()
    def evaluate(self, data: Data) -> dict[str, float]:
        """Loss and metric of the model on ``data``, in eval mode, as ``{"loss", <metric>}``."""
        x, y = data
        was_training = self.model.training
        self.model.eval()
        loss_sum = torch.zeros((), device=self.device)
        metric_sum = torch.zeros((), device=self.device)
        try:
            for start in range(0, len(x), EVAL_BATCH):
                xb = x[start : start + EVAL_BATCH].to(self.device)
                yb = y[start : start + EVAL_BATCH].to(self.device)
                out = self.model(xb)
                loss_sum += self.loss_fn(out, yb).detach() * len(xb)
                metric_sum += self.metric_fn(out, yb).detach() * len(xb)
        finally:
            self.model.train(was_training)
        n = max(len(x), 1)
        return {"loss": loss_sum.item() / n, self.metric_name: metric_sum.item() / n}

    # -- training ---------------------------------------------------------------------------------
    def fit(
        self,
        train: Data,
        dev: Data | None = None,
        *,
        epochs: int | None = None,
        steps: int | None = None,
        batch_size: int | None = None,
        early_stopping: int | dict | EarlyStopping | None = None,
        checkpoint_dir: str | None = None,
        seed: int = 0,
        restore_best: bool = True,
    ) -> History:
        """Train; returns the :class:`History` (also kept as ``self.history``).

        Args:
            train: ``(inputs, targets)`` tensors to train on.
            dev: ``(inputs, targets)`` to select the best epoch on; without it the train
                metric is monitored instead.
            epochs: passes over ``train``; ``steps`` wins when given.
            steps: optimizer steps to take, instead of ``epochs``.
            batch_size: None trains on the full batch; otherwise batches are drawn in a fresh
                random order each epoch from a generator seeded with ``seed``.
            early_stopping: a patience, ``{"patience", "min_delta"}`` or :class:`EarlyStopping`.
            checkpoint_dir: where to write ``best.pt``; None keeps the best weights in memory.
            seed: seeds the batch order (a generator of its own, never the global RNG).
            restore_best: load the best epoch's weights into the model at the end.
        """
        n = len(train[0])
        plan = make_plan(n, epochs, steps, batch_size)
        stopper = EarlyStopping.coerce(early_stopping)
        best = BestCheckpoint(checkpoint_dir)
        maximize = higher_is_better(self.metric_name)
        monitor = f"{'dev' if dev is not None else 'train'}_{self.metric_name}"
        generator = torch.Generator().manual_seed(seed)
        x, y = (t.to(self.device) for t in train)
        self.history, self.step, self.epoch, self.stop_training = History(), 0, 0, False
        judge = EpochJudge(self.history, maximize, stopper)
        for cb in self.callbacks:
            cb.on_fit_start(self)
        with make_progress(self.progress, plan.epochs) as bar:
            for epoch in range(1, plan.epochs + 1):
                self.epoch = epoch
                self._set_progress((epoch - 1) / plan.epochs)
                train_loss, train_score = self._train_epoch(x, y, plan, generator)
                row = {"epoch": epoch, "train_loss": train_loss}
                if dev is not None:
                    scores = self.evaluate(dev)
                    row["dev_loss"] = scores["loss"]
                row[f"train_{self.metric_name}"] = train_score
                if dev is not None:
                    row[f"dev_{self.metric_name}"] = scores[self.metric_name]
                # the learning rate in effect at the epoch's last step
                row["lr"] = float(self.optimizer.param_groups[0]["lr"])
                momentum = getattr(self.schedule, "current_momentum", None)
                if momentum is not None:  # a schedule that cycles momentum (1cycle) shows it
                    row["momentum"] = float(momentum)
                self.history.append(row)
                score = row[monitor]
                is_best, out_of_patience = judge.record(epoch, score)
                if is_best:
                    best.save(self.model, epoch, score)
                if out_of_patience:
                    self.stop_training = True
                step_after_epoch(self.schedule, score)
                for cb in self.callbacks:
                    cb.on_epoch_end(self, epoch, row)
                bar.update(epoch, row)
                if self.stop_training or self.step >= plan.total_steps:
                    break
        self.history.steps = self.step
        if restore_best:
            best.restore(self.model)
        for cb in self.callbacks:
            cb.on_fit_end(self)
        return self.history

    def _train_epoch(
        self, x: Tensor, y: Tensor, plan: Plan, generator: torch.Generator
    ) -> tuple[float, float]:
        self.model.train()
        n, bs = len(x), plan.batch_size
        order = torch.randperm(n, generator=generator).to(self.device) if bs < n else None
        loss_sum = torch.zeros((), device=self.device)
        metric_sum = torch.zeros((), device=self.device)
        seen = 0
        for start in range(0, n, bs):
            if self.step >= plan.total_steps or self.stop_training:
                break
            if order is None:
                xb, yb = x[start : start + bs], y[start : start + bs]
            else:
                idx = order[start : start + bs]
                xb, yb = x[idx], y[idx]
            out = self.model(xb)
            loss = self.loss_fn(out, yb)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self._clip()
            self.optimizer.step()
            if self.max_norm is not None:
                self.max_norm.apply(self.model)
            if self.schedule is not None and self.schedule.interval == "step":
                self.schedule.step()
            self.step += 1
            loss = loss.detach()
            loss_sum += loss * len(xb)
            metric_sum += self.metric_fn(out.detach(), yb) * len(xb)
            seen += len(xb)
            for cb in self.callbacks:
                cb.on_step_end(self, self.step, loss)
        seen = max(seen, 1)
        return loss_sum.item() / seen, metric_sum.item() / seen

    def _clip(self) -> None:
        if not self.clip:
            return
        from gradlab.components.regularizers import clip_angle, clip_gradients

        grads = [p.grad for p in self.model.parameters() if p.grad is not None]
        raw = [g.clone() for g in grads]  # clipping works in place
        for by, limit in self.clip:
            clip_gradients(self.model.parameters(), by=by, max=limit)
        self.clip_angle = clip_angle(raw, grads)

    def _set_progress(self, fraction: float) -> None:
        set_progress(self.model, fraction)


def align_schedule(schedule: Any, metric_name: str) -> None:
    """A plateau schedule watches the same dev metric as the checkpoint: align its direction."""
    if schedule is not None and getattr(schedule, "interval", None) == "metric" and hasattr(schedule, "mode"):
        schedule.mode = "max" if higher_is_better(metric_name) else "min"


def step_after_epoch(schedule: Any, score: float) -> None:
    """Step a per-epoch schedule, or a per-metric one on the epoch's ``score`` (None: nothing)."""
    if schedule is None:
        return
    if schedule.interval == "epoch":
        schedule.step()
    elif schedule.interval == "metric":
        schedule.step(metric=score)


def set_progress(model: nn.Module, fraction: float) -> None:
    """Tell scheduled activations (ScheduledLeakyReLU) the share of training done, in [0, 1]."""
    for module in model.modules():
        setter = getattr(module, "set_progress", None)
        if callable(setter):
            setter(fraction)
