"""gradlab in a Lightning ``Trainer``: ``callbacks=[WatchCallback()]``.

    from gradlab.integrations.lightning import WatchCallback
    cb = WatchCallback(every=10, stop_on="error")
    L.Trainer(callbacks=[cb]).fit(module, loader)
    cb.findings()

Lightning calls ``training_step``, which may never call the module's ``forward``; the callback
opens the watch's forward at ``on_train_batch_start`` and closes it before the backward pass, so
every layer used in the step is seen. Vitals go to the Trainer's loggers as scalars
``gradlab/<layer>/<stat>``; live findings are warnings; ``stop_on`` stops the Trainer after the
current batch with the finding in the log (``logging`` logger ``"gradlab"``).
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

from gradlab.errors import missing_extra
from gradlab.integrations._common import RunFindings, check_stop_on, loss_tensor
from gradlab.watch.sinks import Sink

try:
    import lightning.pytorch as pl
except ImportError:  # the older package name
    try:
        import pytorch_lightning as pl  # type: ignore[no-redef]
    except ImportError:
        raise missing_extra("lightning", "lightning", "gradlab.integrations.lightning") from None

logger = logging.getLogger("gradlab")


class LoggerSink(Sink):
    """Vitals to every logger of a Lightning ``Trainer`` as ``gradlab/<layer>/<stat>`` scalars."""

    def __init__(self, trainer: Any):
        self.trainer = trainer

    def write(self, rows: list[dict]) -> None:
        loggers = getattr(self.trainer, "loggers", None) or []
        if not loggers or not getattr(self.trainer, "is_global_zero", True):
            return
        by_step: dict[int, dict[str, float]] = {}
        for r in rows:
            by_step.setdefault(r["step"], {})[metric_name(r["layer"], r["stat"])] = r["value"]
        for step, metrics in sorted(by_step.items()):
            for lg in loggers:
                lg.log_metrics(metrics, step=step)


def metric_name(layer: str, stat: str) -> str:
    """``gradlab/<layer>/<stat>``; model-wide stats (the loss) read ``gradlab/<stat>``."""
    return f"gradlab/{layer}/{stat}" if layer else f"gradlab/{stat}"


class WatchCallback(pl.Callback, RunFindings):
    """Watch a LightningModule's training.

    Args:
        every: sample the costly vitals every ``every`` optimizer steps.
        stop_on: None (never stop), ``"warning"`` or ``"error"``: a new finding at least that
            severe stops the Trainer after the current batch.
        rules: per-rule overrides for the diagnosis.
        **watch_kwargs: more :func:`gradlab.watch` arguments (``histograms``, ``sinks``, ...).

    Attributes:
        watch: the :class:`gradlab.Watch` (after ``fit`` started).
        stopped_by: the finding that stopped training, if any.
    """

    def __init__(self, every: int = 10, stop_on: str | None = None, rules: dict | None = None, **watch_kwargs: Any):
        super().__init__()
        check_stop_on(stop_on)
        RunFindings.__init__(self, rules)
        self.every = every
        self.stop_on = stop_on
        self.watch_kwargs = watch_kwargs
        self.watch: Any = None
        self._trainer: Any = None
        self._step_at_start = 0

    # -- lifecycle ----------------------------------------------------------------------------
    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        import gradlab

        if self.watch is not None:  # a second fit() continues the same watch
            return
        optimizers = list(getattr(trainer, "optimizers", []) or [])
        if len(optimizers) > 1:
            warnings.warn("gradlab: the Trainer has several optimizers; the step clock follows the first",
                          stacklevel=2)
        sinks = list(self.watch_kwargs.pop("sinks", []))
        self._trainer = trainer
        self.watch = gradlab.watch(
            pl_module, optimizer=optimizers[0] if optimizers else None, every=self.every,
            sinks=[LoggerSink(trainer), *sinks], on_finding=self._on_finding, rules=self._rules,
            **self.watch_kwargs,
        )
        self.remember_run(_schedulers(trainer), train__clip_norm=getattr(trainer, "gradient_clip_val", None) or None)
        self.warn_grouped(self.watch)
        self.watch.__enter__()

    def on_train_batch_start(self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int) -> None:
        if self.watch is not None:
            self._step_at_start = self.watch.step_index
            self.watch.begin_forward()

    def on_before_backward(self, trainer: Any, pl_module: Any, loss: Any) -> None:
        if self.watch is not None:
            self.watch.end_forward(loss)

    def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
        w = self.watch
        if w is None:
            return
        w.end_forward()  # a step without backward (manual optimization that skipped it)
        loss = loss_tensor(outputs)
        if loss is not None and w.step_index > self._step_at_start and w.optimizer is not None:
            w.log(loss=loss)  # once per optimizer step, the last micro-batch's loss

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        self._close(None)

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        self._close(exception)

    def _close(self, error: BaseException | None) -> None:
        if self.watch is not None and self.watch._attached:
            if error is None:
                self.watch.__exit__(None, None, None)
            else:
                self.watch.__exit__(type(error), error, error.__traceback__)

    # -- live findings --------------------------------------------------------------------------
    def _on_finding(self, finding: Any) -> None:
        self.record_live(finding)
        if self.should_stop(finding, self.stop_on):
            self.stopped_by = finding
            logger.error("gradlab stopped training: %s", finding)
            if self._trainer is not None:
                self._trainer.should_stop = True


def _schedulers(trainer: Any) -> list[Any]:
    configs = getattr(trainer, "lr_scheduler_configs", None) or []
    return [getattr(c, "scheduler", c) for c in configs]


__all__ = ["LoggerSink", "WatchCallback", "metric_name"]

