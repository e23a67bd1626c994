"""Reusing pretrained lower layers (the "training deep networks" article, §复用预训练层 and
§无监督预训练): train first on a related task, or as an autoencoder on unlabelled inputs, then
copy the lower ``layers`` hidden blocks into the run's MLP, frozen or free to fine-tune.

A run config asks for it with ``train.pretrain``::

    [train.pretrain]
    task = { name = "images", k = 8, n_samples = 3000 }   # the source data (same input shape)
    objective = "supervised"      # or "autoencoder": reconstruct the source inputs, labels unused
    epochs = 10                   # of pretraining, with the run's optimizer, rate and batch size
    layers = 2                    # hidden blocks reused (fc1..fc2 with their norms)
    freeze = true                 # keep them fixed while the run trains (else fine-tune)

``layers = 0`` reuses nothing and skips pretraining: the run trains from scratch, so a study can
sweep it as the baseline.
"""

from __future__ import annotations

import re
from typing import Any

from torch import nn

from gradlab.errors import ConfigError

_BLOCK = re.compile(r"^(fc|norm|act|drop)(\d+)$")


def block_modules(model: nn.Module, layers: int) -> list[tuple[str, nn.Module]]:
    """The modules of the lower ``layers`` hidden blocks of a gradlab MLP, in order."""
    out = []
    for name, module in model.named_children():
        match = _BLOCK.match(name)
        if match and int(match.group(2)) <= layers:
            out.append((name, module))
    return out


def pretrain_into(model: nn.Module, cfg: dict, seed: int, device: Any = None) -> dict:
    """Pretrain as ``cfg["train"]["pretrain"]`` says and copy the lower blocks into ``model``.

    Returns:
        ``{"pretrain_loss": final pretraining train loss}`` (plus the source accuracy when
        supervised), to be reported with the run's metrics.

    Raises:
        ConfigError: the model is not a gradlab MLP with that many hidden blocks, or the source
            inputs do not have the run's input shape.
    """
    from gradlab.components.optim import create_optimizer
    from gradlab.data import create_task
    from gradlab.models import create_model
    from gradlab.train.trainer import Trainer

    pre, tr = cfg["train"]["pretrain"], cfg["train"]
    if pre["layers"] == 0:
        return {}
    hidden = getattr(model, "hidden", None)
    if hidden is None or pre["layers"] > len(hidden):
        raise ConfigError(f"train.pretrain.layers = {pre['layers']}: the model has "
                          f"{'no gradlab MLP blocks' if hidden is None else f'{len(hidden)} hidden layers'}")
    source = create_task(pre["task"]["name"], seed=seed, **{k: v for k, v in pre["task"].items() if k != "name"})
    if tuple(source.input_shape) != tuple(getattr(model, "input_shape", ())):
        raise ConfigError(f"train.pretrain.task inputs have shape {source.input_shape}, the run's "
                          f"{tuple(getattr(model, 'input_shape', ()))}: pretraining must see the same kind of input")
    model_kw = {k: v for k, v in cfg["model"].items() if k != "kind"}
    if pre["objective"] == "supervised":
        net = create_model("mlp", input_shape=source.input_shape, n_outputs=source.n_outputs, **model_kw)
        loss, metric, train = source.loss, source.metric, source.train
    else:  # an autoencoder: the lower blocks encode, one linear layer decodes back to the input
        base = create_model("mlp", input_shape=source.input_shape, n_outputs=1, **model_kw)
        width = hidden[pre["layers"] - 1]
        x = source.train[0].flatten(1)
        net = nn.Sequential(*[m for _, m in block_modules(base, pre["layers"])], nn.Linear(width, x.shape[1]))
        loss, metric, train = "mse", "mse", (source.train[0].flatten(1), x)
    optimizer = create_optimizer(tr["optimizer"], net.parameters(), lr=tr["lr"], weight_decay=tr["weight_decay"])
    trainer = Trainer(net, optimizer, loss, metric=metric, device=device, progress=False)
    history = trainer.fit(train, epochs=pre["epochs"], batch_size=tr["batch_size"], seed=seed, restore_best=False)
    out = {"pretrain_loss": history[-1]["train_loss"]}
    if pre["objective"] == "supervised":
        out["pretrain_accuracy"] = trainer.evaluate(source.dev).get("accuracy", float("nan"))
        reused = dict(block_modules(net, pre["layers"]))
    else:
        reused = dict(zip([n for n, _ in block_modules(base, pre["layers"])], net.children()))
    for name, module in block_modules(model, pre["layers"]):
        module.load_state_dict(reused[name].state_dict())
        if pre["freeze"]:  # (a BatchNorm's running statistics still follow the new data)
            module.requires_grad_(False)
    return out
