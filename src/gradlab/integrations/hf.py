"""gradlab in a Hugging Face ``transformers.Trainer``: ``callbacks=[WatchCallback()]``.

    from gradlab.integrations.hf import WatchCallback
    trainer = Trainer(model=model, args=args, train_dataset=ds, callbacks=[WatchCallback()])
    trainer.train()        # findings printed at the end, and in output_dir/gradlab_findings.json

The callback watches the model with the Trainer's own (Accelerate-wrapped) optimizer, so the
step clock counts real updates: gradient accumulation micro-batches are one step, and a step an
fp16 overflow skipped is none. The loss is the model's own ``output.loss`` over the micro-batches
of a step (their mean, or their sum when the Trainer normalises by the whole batch's token
count). Vitals go where ``report_to`` sends the Trainer's logs (TensorBoard under its log
directory, the active W&B run). Gradient norms are those of the gradient the optimizer applies,
i.e. after the Trainer's clipping (``max_grad_norm``); the Trainer logs the norm before clipping
itself. A run that raises skips ``on_train_end``: call ``cb.watch.detach()`` to unhook the model.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import torch

from gradlab.diagnose.finding_groups import group_findings
from gradlab.errors import missing_extra
from gradlab.integrations._common import RunFindings, check_stop_on, loss_tensor

try:
    from transformers import TrainerCallback
except ImportError:
    raise missing_extra("transformers", "hf", "gradlab.integrations.hf") from None

FINDINGS_FILE = "gradlab_findings.json"


def report_sinks(report_to: Any, logging_dir: str | None) -> tuple[list[Any], list[str]]:
    """gradlab sinks for the Trainer's ``report_to`` and the destinations it cannot serve."""
    targets = [report_to] if isinstance(report_to, str) else list(report_to or [])
    sinks: list[Any] = []
    unserved = []
    for target in targets:
        if target in ("none", None):
            continue
        if target == "tensorboard" and logging_dir:
            sinks.append(f"tensorboard:{logging_dir}")
        elif target == "wandb":
            sinks.append("wandb")
        elif target != "all":
            unserved.append(str(target))
    return sinks, unserved


def tensorboard_dir(args: Any) -> str:
    """Where the Trainer's TensorBoard logs go: ``logging_dir`` (transformers 4), else
    ``$TENSORBOARD_LOGGING_DIR``, else ``output_dir/runs`` (transformers 5)."""
    given = getattr(args, "logging_dir", None) or os.getenv("TENSORBOARD_LOGGING_DIR")
    return os.path.expanduser(given) if given else os.path.join(args.output_dir, "runs")


class WatchCallback(TrainerCallback, RunFindings):
    """Watch a ``transformers.Trainer`` run.

    Args:
        every: sample the costly vitals every ``every`` optimizer steps.
        stop_on: None, ``"warning"`` or ``"error"``: a new finding that severe ends training
            (``control.should_training_stop``) after the current step.
        rules: per-rule overrides for the diagnosis.
        print_findings: print the findings when training ends (main process only).
        **watch_kwargs: more :func:`gradlab.watch` arguments.

    Attributes:
        watch: the :class:`gradlab.Watch` once training started.
        stopped_by: the finding that stopped training, if any.
    """

    def __init__(self, every: int = 10, stop_on: str | None = None, rules: dict | None = None,
                 print_findings: bool = True, **watch_kwargs: Any):
        check_stop_on(stop_on)
        RunFindings.__init__(self, rules)
        self.every = every
        self.stop_on = stop_on
        self.print_findings = print_findings
        self.watch_kwargs = watch_kwargs
        self.watch: Any = None
        self._losses: list[torch.Tensor] = []
        self._loss_hook: Any = None
        self._stop = False
        self._output_dir: str | None = None

    def on_train_begin(self, args, state, control, model=None, optimizer=None, lr_scheduler=None, **kwargs):
        import gradlab

        if self.watch is not None or model is None:
            return
        sinks, unserved = report_sinks(getattr(args, "report_to", None), tensorboard_dir(args))
        if unserved and state.is_world_process_zero:
            warnings.warn(f"gradlab: vitals are not sent to {', '.join(unserved)} (supported: tensorboard, "
                          "wandb); they stay in the watch and the findings file", stacklevel=2)
        self._output_dir = args.output_dir
        self.watch = gradlab.watch(model, optimizer=optimizer, every=self.every,
                                   sinks=[*sinks, *self.watch_kwargs.pop("sinks", [])],
                                   on_finding=self._on_finding, rules=self._rules, **self.watch_kwargs)
        clip = getattr(args, "max_grad_norm", None)
        warmup = bool(getattr(args, "warmup_steps", 0) or getattr(args, "warmup_ratio", 0))
        self.remember_run([lr_scheduler], train__clip_norm=clip if clip else None, train__warmup=warmup or None)
        self.warn_grouped(self.watch)
        self._loss_hook = model.register_forward_hook(self._keep_loss, with_kwargs=True)
        self.watch.__enter__()

    def _keep_loss(self, module, inputs, kwargs, output) -> None:
        if module.training and torch.is_grad_enabled():
            loss = loss_tensor(output)
            if loss is not None:
                # Given num_items_in_batch, the model divides by the token count of the whole
                # accumulated batch: the step's loss is the sum over micro-batches, else the mean.
                self._summed = kwargs.get("num_items_in_batch") is not None
                self._losses.append(loss)

    _summed = False

    def on_step_end(self, args, state, control, **kwargs):
        if self.watch is not None and self._losses:
            losses, self._losses = self._losses, []
            if len(losses) == 1:  # no accumulation: the loss itself (the sum or mean of one)
                self.watch.log(loss=losses[0])
            else:
                stacked = torch.stack([x.float() for x in losses])
                self.watch.log(loss=stacked.sum() if self._summed else stacked.mean())
        if self._stop:
            control.should_training_stop = True
        return control

    def on_train_end(self, args, state, control, **kwargs):
        if self.watch is None or not self.watch._attached:
            return
        if self._loss_hook is not None:
            self._loss_hook.remove()
        self.watch.__exit__(None, None, None)
        findings = self.findings()
        if state.is_world_process_zero:
            self._write(findings)

    def _write(self, findings: list) -> None:
        if self._output_dir:
            out = Path(self._output_dir)
            out.mkdir(parents=True, exist_ok=True)
            (out / FINDINGS_FILE).write_text(json.dumps([f.to_dict() for f in findings], indent=1))
        if self.print_findings:
            if findings:
                groups = group_findings(findings)
                shown = f", {len(groups)} grouped by code and fix" if len(groups) < len(findings) else ""
                where = f" (each layer in {FINDINGS_FILE})" if shown and self._output_dir else ""
                print(f"gradlab: {len(findings)} finding(s){shown}{where}")
                for group in groups:
                    print(group)
            else:
                print("gradlab: no findings")

    def _on_finding(self, finding: Any) -> None:
        self.record_live(finding)
        if self.should_stop(finding, self.stop_on):
            self.stopped_by = finding
            self._stop = True


__all__ = ["FINDINGS_FILE", "WatchCallback", "report_sinks"]
