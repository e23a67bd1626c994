"""``checkup``: a pre-flight diagnosis from one batch, before any training step.

One forward pass (and a backward pass when a loss function is given) under ``gradlab.watch(every=1)``
and the rules that make sense at initialization: dead units, saturation, the gradient's depth
profile (vanishing or exploding), symmetric weights, a poor init scale, non-finite values. The model
comes back exactly as it was: parameters, buffers (BatchNorm running statistics), gradients,
train/eval mode of every module, and the global RNG state (dropout draws from it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from gradlab.diagnose.engine import diagnose
from gradlab.diagnose.finding import Finding
from gradlab.diagnose.model_io import call_model, check_batch, loss_of
from gradlab.watch.watch import watch


def _snapshot(model: nn.Module) -> dict:
    return {
        "modes": {m: m.training for m in model.modules()},
        "grads": {p: (None if p.grad is None else p.grad.detach().clone()) for p in model.parameters()},
        "buffers": {b: b.detach().clone() for b in model.buffers()},
        "rng": torch.random.get_rng_state(),
    }


def _restore(model: nn.Module, snap: dict) -> None:
    with torch.no_grad():
        for b, saved in snap["buffers"].items():
            b.copy_(saved)
    for p, g in snap["grads"].items():
        p.grad = g
    for m, mode in snap["modes"].items():
        m.training = mode
    torch.random.set_rng_state(snap["rng"])


def checkup(
    model: nn.Module,
    x: Any,
    y: torch.Tensor | None = None,
    loss_fn: Callable[..., torch.Tensor] | None = None,
    rules: dict | None = None,
    *,
    context: dict | None = None,
    train_mode: bool = True,
) -> list[Finding]:
    """Diagnose a model at initialization from one batch.

    Args:
        model: any ``nn.Module``.
        x: one batch of inputs (a representative batch: dead units are judged on it): a tensor
            (``model(x)``), a tuple of tensors (``model(*x)``) or a dict (``model(**x)``, the
            Hugging Face convention, labels included).
        y: the batch's targets, passed to ``loss_fn(output, y)``; None calls ``loss_fn(output)``.
        loss_fn: the training loss, given the output's ``.logits`` when it has them. None: the
            model's own ``output.loss`` when it returns one, else forward only (no gradient
            findings).
        rules: per-rule overrides, as for :func:`gradlab.diagnose.diagnose`.
        context: the run context for ranking recommendations (e.g. ``{"config": run_config}``).
        train_mode: run the batch in training mode (BatchNorm batch statistics, dropout), as the
            first training step would; the original modes are restored afterwards.

    Returns:
        Findings with ``step=None``, worst first.

    Raises:
        ConfigError: ``x`` is not a batch (tensor, tuple of tensors, dict), or a bad ``rules`` override.
    """
    check_batch(x)

    snap = _snapshot(model)
    try:
        model.train(train_mode)
        with watch(model, every=1) as w:
            out = call_model(model, x)
            loss: Any = loss_of(out, y, loss_fn)
            if loss is not None:
                for p in model.parameters():
                    p.grad = None
                loss.backward()
            w.step(loss=loss)
        return diagnose(w.vitals, w.layers, rules=rules, context={**(context or {}), "phase": "checkup"})
    finally:
        _restore(model, snap)
