"""Activation snapshots from a short re-run of one trial's configuration.

The study store keeps per-layer summaries, not raw activations (``watch`` never keeps them), so
the activation histograms and the "colorful dimension" image are drawn from a short replay:
the trial's model is rebuilt exactly as the study built it (``gradlab.train.experiment.build``,
same seed) and trained for at most ``max_epochs`` epochs while forward hooks copy one layer's
outputs on the dev set at regular epochs.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn


@dataclass
class ActivationRecord:
    """Activation outputs of a replayed trial.

    Attributes:
        layer: the recorded layer's module path (e.g. ``"act1"``).
        epochs: the epoch of each snapshot (0 = at initialisation).
        snapshots: the layer's outputs on the dev inputs, one flat array per epoch.
        final: every activation layer's outputs after the last epoch, by module path.
    """

    layer: str
    epochs: list[int] = field(default_factory=list)
    snapshots: list[np.ndarray] = field(default_factory=list)
    final: dict[str, np.ndarray] = field(default_factory=dict)


def activation_layers(model: nn.Module) -> list[str]:
    """Module paths of the activation modules of ``model``, in registration order."""
    try:
        from gradlab.components.activations import activation_info
    except ImportError:  # without the registry, fall back on the mlp builder's names
        activation_info = None
    names = []
    for name, module in model.named_modules():
        if not name or list(module.children()):
            continue
        is_act = activation_info(module) is not None if activation_info else name.split(".")[-1].startswith("act")
        if is_act:
            names.append(name)
    return names


@torch.no_grad()
def _outputs(model: nn.Module, x: torch.Tensor, layers: list[str], limit: int) -> dict[str, np.ndarray]:
    modules = dict(model.named_modules())
    seen: dict[str, torch.Tensor] = {}
    handles = [modules[n].register_forward_hook(
        lambda _m, _i, out, n=n: seen.__setitem__(n, out.detach().float().cpu())) for n in layers]
    was_training = model.training
    model.eval()
    try:
        model(x)
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    return {n: seen[n].ravel()[:limit].numpy().astype(np.float32) for n in layers if n in seen}


def record_activations(config: dict, seed: int, *, layer: str | None = None, max_epochs: int = 200,
                       snapshots: int = 40, max_values: int = 20_000) -> ActivationRecord:
    """Replay a trial briefly and record activation outputs on its dev inputs.

    Args:
        config: the trial's run configuration (as stored).
        seed: the trial's seed.
        layer: the activation layer to follow over time; default the first one.
        max_epochs: cap on the replayed epochs (the trial's own count when smaller).
        snapshots: about how many points in time to keep.
        max_values: cap on values kept per snapshot (keeps reports small).

    Returns:
        An :class:`ActivationRecord`; ``layer`` is ``""`` when the model has no activation layer.
    """
    from gradlab.train.callbacks import Callback
    from gradlab.train.experiment import build
    from gradlab.train.trainer import Trainer

    built = build(copy.deepcopy(config), seed, device="cpu")
    model, task = built.model, built.task
    x_dev = task.dev[0]
    layers = activation_layers(model)
    record = ActivationRecord(layer=layer if layer is not None else (layers[0] if layers else ""))
    if not record.layer:
        return record
    epochs = min(int(built.config["train"].get("epochs") or max_epochs), max_epochs)
    every = max(1, epochs // max(1, snapshots))

    def snap(epoch: int) -> None:
        out = _outputs(model, x_dev, [record.layer], max_values)
        if record.layer in out:
            record.epochs.append(epoch)
            record.snapshots.append(out[record.layer])

    class _Recorder(Callback):
        def on_epoch_end(self, trainer, epoch, logs):  # noqa: D102 - see Callback
            if epoch % every == 0 or epoch == epochs:
                snap(epoch)

    snap(0)
    train_cfg = built.config["train"]
    clip = {k: train_cfg[f"clip_{k}"] for k in ("norm", "value") if train_cfg.get(f"clip_{k}")}
    Trainer(model, built.optimizer, built.loss_fn, metric=built.metric, schedule=built.schedule,
            clip=clip or None, max_norm=train_cfg.get("max_norm"), callbacks=[_Recorder()],
            device="cpu", progress=False).fit(
        task.train, task.dev, epochs=epochs, batch_size=train_cfg.get("batch_size"), seed=seed,
        restore_best=False)
    record.final = _outputs(model, x_dev, layers, max_values)
    return record
