"""Activation snapshots recorded while a trial trains, for the report's activation figures.

The watch reduces activations to statistics inside its hooks and never keeps them; the report's
activation histograms and its "colorful dimension" image need values. So a trial also records a
small sample of them, on its dev inputs, as it trains: the first activation layer's outputs at
about :data:`SNAPSHOTS` epochs (epoch 0 is the initialisation), and every activation layer's
outputs of the trained model (the best-dev weights the trial's metrics describe, ``epoch = -1``).
The store keeps them (``activations`` table), so drawing a report never trains.

Recording is an ``eval()``/``no_grad`` forward on the dev inputs at chosen epochs: it draws no
random numbers and changes no weights or BatchNorm statistics, so the trial's results are the same
with or without it. Values are kept as float16 (the figures are histograms) and base64 in the trial
result, which stays JSON-ready.
"""

from __future__ import annotations

import base64

import numpy as np
import torch
from torch import nn

from gradlab.train.callbacks import Callback

SNAPSHOTS = 40          # about this many points in time for the layer followed over training
SNAPSHOT_VALUES = 1024  # values kept per snapshot (the first ones: whole dev rows, every unit)
FINAL_VALUES = 4096     # values kept per layer of the trained model
TRAINED = -1            # the ``epoch`` of the trained model's outputs


def activation_layers(model: nn.Module) -> list[str]:
    """Module paths of the activation modules of ``model``, in registration order."""
    from gradlab.components.activations import activation_info

    return [name for name, module in model.named_modules()
            if name and not list(module.children()) and activation_info(module) is not None]


def pack_values(values: np.ndarray) -> str:
    """Activation values as base64 float16 (little-endian), the trial result's JSON-ready form."""
    return base64.b64encode(np.asarray(values, dtype="<f2").tobytes()).decode("ascii")


def unpack_values(data: str | bytes) -> np.ndarray:
    """The values of :func:`pack_values` (a base64 string, or its decoded bytes) as float32."""
    raw = base64.b64decode(data) if isinstance(data, str) else data
    return np.frombuffer(raw, dtype="<f2").astype(np.float32)


@torch.no_grad()
def layer_outputs(model: nn.Module, x: torch.Tensor, layers: list[str], limit: int) -> dict[str, np.ndarray]:
    """The first ``limit`` output values of each of ``layers`` on ``x``, in eval mode."""
    modules = dict(model.named_modules())
    seen: dict[str, torch.Tensor] = {}
    handles = [modules[n].register_forward_hook(
        lambda _m, _i, out, n=n: seen.__setitem__(n, out.detach().reshape(-1)[:limit].float().cpu()))
        for n in layers]
    was_training = model.training
    model.eval()
    try:
        model(x)
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    return {n: seen[n].numpy() for n in layers if n in seen}


class ActivationRecorder(Callback):
    """A trainer callback that records activation snapshots on ``x_dev`` (see the module doc).

    Args:
        model: the model being trained.
        x_dev: the dev inputs, on the model's device.
        epochs: the planned number of epochs (sets the snapshot interval).

    After the fit, :attr:`rows` holds ``{"layer", "epoch", "values"}`` dicts (values packed).
    """

    def __init__(self, model: nn.Module, x_dev: torch.Tensor, epochs: int):
        self.model, self.x = model, x_dev
        self.layers = activation_layers(model)
        self.every = max(1, epochs // SNAPSHOTS)
        self.epochs = epochs
        self.rows: list[dict] = []

    def _snap(self, epoch: int, layers: list[str], limit: int) -> None:
        for layer, values in layer_outputs(self.model, self.x, layers, limit).items():
            self.rows.append({"layer": layer, "epoch": epoch, "values": pack_values(values)})

    def on_fit_start(self, trainer) -> None:
        if self.layers:
            self._snap(0, self.layers[:1], SNAPSHOT_VALUES)

    def on_epoch_end(self, trainer, epoch: int, logs: dict) -> None:
        last = epoch >= self.epochs or trainer.stop_training
        if self.layers and (epoch % self.every == 0 or last):
            self._snap(epoch, self.layers[:1], SNAPSHOT_VALUES)

    def on_fit_end(self, trainer) -> None:
        # the weights the trial's metrics describe (the trainer restored the best dev epoch)
        self._snap(TRAINED, self.layers, FINAL_VALUES)
