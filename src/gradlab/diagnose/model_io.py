"""How a batch goes into a model and a loss comes out, in the conventions people use.

A batch is a tensor (``model(x)``), a tuple or list of tensors (``model(*x)``) or a mapping
(``model(**batch)``, the Hugging Face convention). An output is a tensor, a tuple whose first
item is the prediction, or an object with ``.loss`` and ``.logits`` (a Hugging Face
``ModelOutput``): a model that computes its own loss needs no ``loss_fn``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable

import torch

from gradlab.errors import ConfigError


def check_batch(x: Any, where: str = "checkup") -> None:
    """Raise a one-line :class:`ConfigError` unless ``x`` is a batch :func:`call_model` accepts."""
    if isinstance(x, torch.Tensor):
        return
    if isinstance(x, Mapping) and x and all(isinstance(k, str) for k in x):
        return
    if isinstance(x, (tuple, list)) and x and all(isinstance(t, torch.Tensor) for t in x):
        return
    raise ConfigError(
        f"{where} needs a batch: a tensor, a tuple of tensors or a dict of model inputs "
        f"(model(**batch)), got {type(x).__name__}"
    )


def call_model(model: Callable, x: Any) -> Any:
    """``model(x)``, ``model(*x)`` or ``model(**x)`` by the batch's type."""
    if isinstance(x, Mapping):
        return model(**x)
    if isinstance(x, (tuple, list)):
        return model(*x)
    return model(x)


def prediction(output: Any) -> Any:
    """The prediction in a model's output: ``.logits`` when there is one, else the output."""
    logits = getattr(output, "logits", None)
    if isinstance(logits, torch.Tensor):
        return logits
    if isinstance(output, (tuple, list)) and output and isinstance(output[0], torch.Tensor):
        return output[0]
    return output


def own_loss(output: Any) -> torch.Tensor | None:
    """The loss a model computed itself (``output.loss`` or ``output["loss"]``), or None."""
    loss = getattr(output, "loss", None)
    if loss is None and isinstance(output, Mapping):
        loss = output.get("loss")
    return loss if isinstance(loss, torch.Tensor) and loss.dim() == 0 else None


def loss_of(output: Any, y: Any = None, loss_fn: Callable | None = None) -> torch.Tensor | None:
    """The training loss: ``loss_fn(prediction, y)`` (or ``loss_fn(prediction)``) when given,
    else the model's own loss, else None (forward only)."""
    if loss_fn is not None:
        pred = prediction(output)
        return loss_fn(pred, y) if y is not None else loss_fn(pred)
    return own_loss(output)
