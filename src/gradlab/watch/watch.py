"""``gradlab.watch``: attach to any ``nn.Module``, record per-layer vitals, detach cleanly.

The step clock: with an optimizer, a step ends when ``optimizer.step()`` returns; without one,
at ``w.step()``. Steps are numbered from 0. A step ``s`` is *sampled* when ``s % every == 0``:
then moments, saturation, gradient/weight norms, update ratios and symmetry are computed, and
the dead-unit window that covers the steps since the previous sampled step is closed. Dead-unit
masks see every training forward. A forward counts as training when gradients are enabled and
the watched model is in ``train()`` mode; ``no_grad``/``inference_mode`` and ``eval()``
forwards (validation) are not monitored.

This watch measures and knows nothing of rules: it hands each report to its listeners
(:mod:`gradlab.watch.listeners`) and rows to its sinks. The public ``gradlab.watch`` adds live
diagnosis and ``w.findings()`` on top (:mod:`gradlab.monitor.watch`).
"""

from __future__ import annotations

import warnings
from typing import Any, Iterable, Literal

import torch
from torch import nn

from gradlab.errors import ConfigError, StatisticError
from gradlab.watch import active
from gradlab.watch.engine import WatchEngine
from gradlab.watch.layers import LayerInfo
from gradlab.watch.listeners import check_listeners
from gradlab.watch.vitals import Vitals


class Watch(WatchEngine):
    """A context manager that measures a model's training; see :func:`watch`."""

    def __init__(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer | None = None,
        *,
        every: int = 10,
        histograms: bool = False,
        sinks: Iterable[Any] = (),
        listeners: Iterable[Any] = (),
        strict: bool = False,
        functional: bool = True,
        max_points: int = 512,
        histogram_bins: int = 64,
        update_budget: float = 0.05,
        scheduler: Any = None,
    ):
        if not isinstance(model, nn.Module):
            raise ConfigError(f"watch needs an nn.Module, got {type(model).__name__}")
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ConfigError(f"every must be a positive integer number of steps, got {every!r}")
        from gradlab.watch.optimizers import unwrap_optimizer
        from gradlab.watch.sinks import make_sinks

        self.user_optimizer = optimizer
        self.scheduler = scheduler  # read into the run context of the findings, never stepped
        if optimizer is not None:
            optimizer = unwrap_optimizer(optimizer)

        super().__init__(model, optimizer, every=every, strict=strict, functional=functional,
                         histogram_bins=histogram_bins if histograms else 0, update_budget=update_budget)
        self.vitals = Vitals(max_points)
        self.sinks = make_sinks(sinks)
        self.listeners = check_listeners(listeners)

    # -- context manager --------------------------------------------------------------------
    def __enter__(self) -> "Watch":
        for sink in self.sinks:
            sink.open(self)
        for listener in self.listeners:
            getattr(listener, "on_attach", _skip)(self)
        self.attach()
        active.push(self)  # gradlab.log() writes into every active watch
        return self

    def __exit__(self, exc_type, exc, tb) -> Literal[False]:
        failed: Exception | None = None
        active.pop(self)
        try:
            if exc_type is None:
                self.flush()
        finally:
            self.detach()
            for listener in self.listeners:
                try:
                    getattr(listener, "on_detach", _skip)(self, exc)
                except Exception as err:
                    if exc is None and failed is None:
                        failed = err  # raised below, once the sinks are closed
                    else:  # the user's own exception is the one to see
                        warnings.warn(f"gradlab.watch: listener {listener!r} failed on detach: {err}",
                                      stacklevel=2)
            for sink in self.sinks:
                try:
                    sink.close()
                except Exception as err:  # a sink must not hide the user's own exception
                    warnings.warn(f"gradlab.watch: closing sink {sink!r} failed: {err}", stacklevel=2)
        if failed is not None:
            raise failed
        return False

    # -- the step clock ---------------------------------------------------------------------
    def step(self, loss: Any = None) -> None:
        """End a training step (only when no optimizer was given).

        Args:
            loss: the step's loss (a tensor; read without a host sync) or None.
        """
        if self.optimizer is not None:
            raise ConfigError(
                "w.step() ends steps only when watch() got no optimizer; with one, the step "
                "clock advances on optimizer.step(): log the loss with w.log(loss=...)"
            )
        if loss is not None:
            self.log(loss=loss)
        if self.step_index % self.every == 0:
            self._collect_params(before_update=True)
            self._collect_params(before_update=False)
        elif not self._flags.done:
            self._guarded("(params)", "finiteness flags", lambda: self._flags.end_step(self.step_index, self.params))
        self._end_step()

    def log(self, loss: Any = None, **scalars: Any) -> None:
        """Record the loss of the step just taken, and any other model-wide scalars of it.

        Each value may be a 0-d tensor: it stays on its device until the next pull (no host
        sync). ``scalars`` become model-wide vitals (layer ``""``) under their own names, e.g.
        ``w.log(loss=loss, clip_angle=angle)``; only ``loss`` feeds ``loss_nonfinite``.
        """
        values = {"loss": loss} | scalars
        active.check_values(values)
        step = self.step_index - 1 if self.optimizer is not None else self.step_index
        for stat, value in values.items():
            if value is None:
                continue
            if isinstance(value, torch.Tensor):
                value = value.detach()
                if value.dim() != 0 or value.dtype != torch.float32:
                    value = value.reshape(-1)[:1].float().reshape(())
            self._losses.append((max(step, 0), value, stat))
        if len(self._losses) > 4096:
            self._pull(self._losses[-1][0], [])

    # -- outputs ----------------------------------------------------------------------------
    @property
    def layers(self) -> list[LayerInfo]:
        """The monitored layers, in forward order (layers never called come last)."""
        big = 1 << 60
        return sorted(self._layers.values(), key=lambda li: (li.order if li.order is not None else big, li.path))

    def to_rows(self) -> list[dict]:
        """Every recorded vital as ``{"step", "layer", "stat", "value"}``."""
        return self.vitals.rows()

    def to_frame(self):
        """The vitals as a pandas DataFrame (needs pandas)."""
        try:
            import pandas as pd
        except ImportError:
            from gradlab.errors import missing_extra

            raise missing_extra("pandas", "pandas", "w.to_frame()") from None
        return pd.DataFrame(self.to_rows(), columns=["step", "layer", "stat", "value"])

    def to_csv(self, path) -> None:
        """Write the vitals as CSV (columns step, layer, stat, value)."""
        from gradlab.watch.sinks.csv import write_rows

        write_rows(path, self.to_rows())

    # -- engine callbacks -------------------------------------------------------------------
    def _publish(self, step: int, pairs: list[tuple[str, str]], values: list[float],
                 losses: list[tuple[int, float, str]]) -> None:
        add = self.vitals.add
        for s, v, stat in losses:
            add(s, "", stat, v)
        self.vitals.add_many(step, pairs, values)
        if self.sinks:  # rows are built only for sinks: a report has a hundred of them
            rows = [{"step": s, "layer": "", "stat": stat, "value": v} for s, v, stat in losses]
            rows += [{"step": step, "layer": layer, "stat": stat, "value": v}
                     for (layer, stat), v in zip(pairs, values)]
            for sink in self.sinks:
                self._sink_call(sink, "write", rows)
        for listener in self.listeners:
            listener.on_report(self, step)

    def _publish_histogram(self, step: int, layer: str, stat: str, edges, counts) -> None:
        self.vitals.add_histogram(step, layer, stat, edges, counts)
        for sink in self.sinks:
            self._sink_call(sink, "write_histogram", step, layer, stat, edges, counts)

    def _sink_call(self, sink, method: str, *args) -> None:
        if getattr(sink, "_gradlab_failed", False):
            return
        try:
            getattr(sink, method)(*args)
        except Exception as exc:
            if self.strict:
                raise StatisticError(f"sink {sink!r} failed: {exc}") from exc
            sink._gradlab_failed = True
            warnings.warn(f"gradlab.watch: sink {sink!r} failed and is switched off: {exc}", stacklevel=2)

    def __repr__(self) -> str:
        return f"Watch(step={self.step_index}, every={self.every}, layers={len(self._layers)})"


def _skip(*args: Any) -> None:
    """The default of a listener's optional method."""


def watch(model: nn.Module, optimizer: torch.optim.Optimizer | None = None, **kwargs: Any) -> Watch:
    """Measure per-layer vitals of ``model`` while it trains (no diagnosis: see ``gradlab.watch``).

    Example:
        >>> with gradlab.watch(model, optimizer=opt) as w:      # doctest: +SKIP
        ...     for x, y in loader:
        ...         opt.zero_grad(); loss = loss_fn(model(x), y); loss.backward()
        ...         opt.step(); w.log(loss=loss)
        >>> w.vitals.last("fc1", "grad_norm")                 # doctest: +SKIP

    Args:
        model: any module; a DistributedDataParallel wrapper is unwrapped.
        optimizer: when given, each ``optimizer.step()`` ends a step; else call ``w.step()``.
        every: sample the costly vitals every ``every`` steps (dead-unit masks see every step).
        histograms: also record histograms of pre-activations and outputs on sampled steps.
        sinks: extra outputs: sink objects or ``"jsonl:PATH"``, ``"csv:PATH"``, ``"tensorboard:DIR"``.
        listeners: :class:`gradlab.watch.listeners.WatchListener` objects called after each
            pull of vitals (live diagnosis is one).
        strict: raise :class:`gradlab.StatisticError` when a statistic fails (default: warn
            once, naming layer and statistic, and switch it off).
        functional: watch activations called as functions (``F.relu``) too.
        max_points: the most points each (layer, stat) series keeps (older ones are thinned).
        scheduler: the learning-rate scheduler, if any (read for the findings' advice only).

    Returns:
        a :class:`Watch`; use it as a context manager.
    """
    return Watch(model, optimizer, **kwargs)
