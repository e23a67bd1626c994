"""The public ``gradlab.watch``: the measuring watch plus live diagnosis and ``w.findings()``.

:class:`Watch` is :class:`gradlab.watch.watch.Watch` (hooks, step clock, vitals, sinks,
listeners) with the diagnosis arguments turned into one more listener, a
:class:`~gradlab.monitor.live.LiveDiagnoser`, and :meth:`Watch.findings` reading the vitals
through :func:`gradlab.diagnose.diagnose`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn

from gradlab.diagnose.context import run_context
from gradlab.diagnose.engine import diagnose
from gradlab.diagnose.finding import Finding
from gradlab.monitor.live import LiveDiagnoser
from gradlab.watch.watch import Watch as MeasuringWatch


class Watch(MeasuringWatch):
    """A context manager that monitors a model's training and diagnoses it; see :func:`watch`."""

    def __init__(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer | None = None,
        *,
        rules: dict | None = None,
        on_finding: Callable[[Finding], Any] | None = None,
        stop_on: str | None = None,
        listeners: Iterable[Any] = (),
        **kwargs: Any,
    ):
        super().__init__(model, optimizer, listeners=listeners, **kwargs)
        self._rules = rules
        self._described: dict[str, Any] = {"schedulers": [], "settings": {}, "n_outputs": False}
        self.live: LiveDiagnoser | None = None
        if rules is not None or on_finding is not None or stop_on is not None:
            # validated here, before any training step (an unknown rule or severity); live
            # findings are worded from the same run context as w.findings(), read at each report
            # (the learning rate moves with a schedule, layers are found as they run)
            self.live = LiveDiagnoser(rules, on_finding, stop_on, context=self.run_context)
            self.listeners.append(self.live)

    def __enter__(self) -> Watch:  # typed as this class: ``with gradlab.watch(...) as w: w.findings()``
        super().__enter__()
        return self

    def findings(self, rules: dict | None = None, context: dict | None = None) -> list[Finding]:
        """Run gradlab's diagnosis rules over the recorded vitals.

        Args:
            rules: per-rule overrides (default: the ``rules`` given to the watch).
            context: the run context for ranking recommendations (see ``gradlab.diagnose``).

        Returns:
            Findings, worst first.
        """
        return diagnose(self.vitals, self.layers, rules=rules if rules is not None else self._rules,
                        context={**self.run_context(), **(context or {})})

    def describe_run(self, schedulers: Iterable[Any] = (), *, n_outputs: bool = False, **settings: Any) -> None:
        """Tell the watch what only the framework running the training knows.

        Args:
            schedulers: the learning-rate schedulers the framework steps.
            n_outputs: read the model's number of outputs into the context, which turns on
                ``constant_prediction`` (the framework callbacks do; see :meth:`run_context`).
            **settings: dotted keys with ``__``, e.g. ``train__clip_norm=1.0``, ``train__warmup=True``.
        """
        self._described = {"schedulers": [s for s in schedulers if s is not None], "settings": settings,
                           "n_outputs": n_outputs}

    def run_context(self) -> dict:
        """What the watch can read about the run (optimizer, lr, betas, weight decay, the
        scheduler given, model structure) and what :meth:`describe_run` added, as the dotted keys
        recommendations are worded from. The one source of the context of ``w.findings()``, the
        live findings and the framework callbacks' findings."""
        own = [self.scheduler] if self.scheduler is not None else []
        d = self._described
        ctx = run_context(self.optimizer, self.root, own + d["schedulers"], layers=self.layers, **d["settings"])
        if not d["n_outputs"]:
            # the number of outputs turns on constant_prediction; the batched ensemble's findings
            # have no run context yet, so a watched trial keeps the same findings as its twin
            ctx.pop("model.n_outputs", None)
        return ctx


def watch(model: nn.Module, optimizer: torch.optim.Optimizer | None = None, **kwargs: Any) -> Watch:
    """Monitor per-layer vitals of ``model`` while it trains, and diagnose them.

    Example:
        >>> with gradlab.watch(model, optimizer=opt) as w:      # doctest: +SKIP
        ...     for x, y in loader:
        ...         opt.zero_grad(); loss = loss_fn(model(x), y); loss.backward()
        ...         opt.step(); w.log(loss=loss)
        >>> w.vitals.last("fc1", "grad_norm")                 # doctest: +SKIP
        >>> w.findings()                                      # doctest: +SKIP

    Args:
        model: any module; a DistributedDataParallel wrapper is unwrapped.
        optimizer: when given, each ``optimizer.step()`` ends a step; else call ``w.step()``.
        every: sample the costly vitals every ``every`` steps (dead-unit masks see every step).
        histograms: also record histograms of pre-activations and outputs on sampled steps.
        sinks: extra outputs: sink objects or ``"jsonl:PATH"``, ``"csv:PATH"``, ``"tensorboard:DIR"``.
        listeners: :class:`gradlab.watch.listeners.WatchListener` objects called after each report.
        rules: per-rule overrides for live diagnosis and ``w.findings()``.
        on_finding: called with each new finding during training (default: announce it).
        stop_on: ``"info"``, ``"warning"`` or ``"error"``: raise :class:`gradlab.TrainingStopped`
            for a new finding at least that severe.
        strict: raise :class:`gradlab.StatisticError` when a statistic fails (default: warn
            once, naming layer and statistic, and switch it off).
        functional: watch activations called as functions (``F.relu``) too.
        max_points: the most points each (layer, stat) series keeps (older ones are thinned).

    Returns:
        a :class:`Watch`; use it as a context manager.

    Raises:
        ConfigError: a bad argument (an unknown rule, severity, sink or listener).
    """
    return Watch(model, optimizer, **kwargs)
