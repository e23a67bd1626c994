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
result, which stays JSON-ready. With ``members`` the model is an ensemble on a member axis
(:mod:`gradlab.models.members`): the same snapshots, taken per member from one batched forward.
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
    """Activation values as base64 float16 (little-endian), the trial result's JSON-ready form.

    A value beyond float16's range (|v| > 65504, a diverged run) is kept as ±inf: off the
    histogram's scale either way, and no overflow warning reaches the user's terminal.
    """
    with np.errstate(over="ignore"):
        half = np.asarray(values, dtype=np.float64).astype("<f2")
    return base64.b64encode(half.tobytes()).decode("ascii")


def unpack_values(data: str | bytes) -> np.ndarray:
    """The values of :func:`pack_values` (a base64 string, or its decoded bytes) as float32."""
    raw = base64.b64decode(data) if isinstance(data, str) else data
    return np.frombuffer(raw, dtype="<f2").astype(np.float32)


@torch.no_grad()
def layer_outputs(model: nn.Module, x: torch.Tensor, layers: list[str], limit: int,
                  members: bool = False) -> dict[str, np.ndarray]:
    """The first ``limit`` output values of each of ``layers`` on ``x``, in eval mode.

    With ``members`` the outputs carry a leading member axis: ``[M, limit]`` arrays, each row the
    first ``limit`` values of one member's output.
    """
    modules = dict(model.named_modules())
    seen: dict[str, torch.Tensor] = {}

    def first(out: torch.Tensor) -> torch.Tensor:
        flat = out.detach().reshape(out.shape[0], -1) if members else out.detach().reshape(-1)
        return flat[..., :limit].float().cpu()

    handles = [modules[n].register_forward_hook(lambda _m, _i, out, n=n: seen.__setitem__(n, first(out)))
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
        members: for a member-axis model, the member count (None: one model).
        keep: with ``members``, which members to record (default: all).
        layers: the activation layers' names (default: found in ``model``; a member-axis model
            passes those of one member's own model).

    After the fit, :attr:`rows` holds ``{"layer", "epoch", "values"}`` dicts (values packed), and
    :attr:`member_rows` one such list per member.
    """

    def __init__(self, model: nn.Module, x_dev: torch.Tensor, epochs: int, members: int | None = None,
                 keep: list[bool] | None = None, layers: list[str] | None = None):
        self.model, self.x = model, x_dev
        self.layers = activation_layers(model) if layers is None else layers
        self.every = max(1, epochs // SNAPSHOTS)
        self.epochs = epochs
        self.members = members
        self.keep = list(keep) if keep is not None else [True] * (members or 1)
        self.member_rows: list[list[dict]] = [[] for _ in self.keep]

    @property
    def rows(self) -> list[dict]:
        """The snapshots of a single model (member 0 of an ensemble)."""
        return self.member_rows[0]

    def _snap(self, epoch: int, layers: list[str], limit: int, which: list[bool] | None = None) -> None:
        which = self.keep if which is None else which
        outputs = layer_outputs(self.model, self.x, layers, limit, members=self.members is not None)
        for layer, values in outputs.items():
            for i, member_values in enumerate(values if self.members is not None else [values]):
                if which[i]:
                    self.member_rows[i].append({"layer": layer, "epoch": epoch, "values": pack_values(member_values)})

    def start(self) -> None:
        """Before the first step: the initialisation (epoch 0)."""
        if self.layers:
            self._snap(0, self.layers[:1], SNAPSHOT_VALUES)

    def epoch_end(self, epoch: int, stopped: list[bool], active: list[bool] | None = None) -> None:
        """After ``epoch`` of the members in ``active`` (default: all); ``stopped[i]``: member ``i``
        stopped early after this epoch (a member's last epoch is recorded, as the plan's last is)."""
        active = active if active is not None else [True] * len(self.keep)
        which = [k and a and (epoch % self.every == 0 or epoch >= self.epochs or end)
                 for k, a, end in zip(self.keep, active, stopped)]
        if self.layers and any(which):
            self._snap(epoch, self.layers[:1], SNAPSHOT_VALUES, which)

    def end(self) -> None:
        """The weights the trial's metrics describe (the best dev epoch's, restored)."""
        self._snap(TRAINED, self.layers, FINAL_VALUES)

    def on_fit_start(self, trainer) -> None:  # noqa: D102
        self.start()

    def on_epoch_end(self, trainer, epoch: int, logs: dict) -> None:  # noqa: D102
        self.epoch_end(epoch, [trainer.stop_training])

    def on_fit_end(self, trainer) -> None:  # noqa: D102
        self.end()
