"""A Weights & Biases sink: vitals to the active run as ``gradlab/<layer>/<stat>``, and the
findings in the run's summary when the watch closes.

``wandb`` is an optional extra, imported when the sink opens. The sink writes into the run that
``wandb.init()`` (or a framework's W&B integration) started; vitals carry their own x-axis,
``gradlab/step`` (the watch's step), so they never disturb the run's own step counter.
"""

from __future__ import annotations

from typing import Any

from gradlab.errors import ConfigError, missing_extra
from gradlab.watch.distributed import is_main_rank
from gradlab.watch.sinks import Sink

STEP = "gradlab/step"


def key(layer: str, stat: str) -> str:
    """The W&B key of a vital: ``gradlab/fc1/grad_norm``; the loss reads ``gradlab/loss``."""
    return f"gradlab/{layer}/{stat}" if layer else f"gradlab/{stat}"


class WandbSink(Sink):
    """Log vitals to a W&B run (default: the active ``wandb.run``)."""

    def __init__(self, run: Any = None):
        self._given = run
        self.run: Any = None
        self._watch: Any = None

    def open(self, watch: Any) -> None:
        if not is_main_rank():
            return
        try:
            import wandb
        except ImportError:
            raise missing_extra("wandb", "wandb", "the W&B sink") from None
        self.run = self._given if self._given is not None else wandb.run
        if self.run is None:
            raise ConfigError("sinks=['wandb'] needs an active W&B run: call wandb.init(...) before the watch")
        self.run.define_metric(STEP)
        self.run.define_metric("gradlab/*", step_metric=STEP)
        self._watch = watch

    def write(self, rows: list[dict]) -> None:
        if self.run is None:
            return
        by_step: dict[int, dict[str, float]] = {}
        for r in rows:
            by_step.setdefault(r["step"], {})[key(r["layer"], r["stat"])] = r["value"]
        for step, metrics in sorted(by_step.items()):
            self.run.log({STEP: step, **metrics})

    def close(self) -> None:
        if self.run is None:
            return
        findings = getattr(self._watch, "findings", None)
        if callable(findings):  # the diagnosing watch: its findings go to the run summary
            rows = [f.to_dict() for f in findings()]
            self.run.summary["gradlab/findings"] = rows
            self.run.summary["gradlab/n_findings"] = len(rows)
        self.run = None

    def __repr__(self) -> str:
        return "WandbSink()"
