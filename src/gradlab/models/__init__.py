"""Model builders that take component specs: ``mlp``, ``cnn``, ``resnet``, ``gan``.

    from gradlab.models import create_model
    net = create_model("mlp", input_shape=(2,), n_outputs=1, hidden=[3, 3, 3, 3],
                       act="relu", init="normal(0, 0.01)", bias_init="constant(-8)")

Every builder is registered in :data:`MODELS`; a builder function or class is accepted wherever
a name is.
"""

from __future__ import annotations

from typing import Any

import torch.nn as nn

from gradlab.components.registry import Registry
from gradlab.models._blocks import NORM_POSITIONS, NORMS
from gradlab.models.cnn import CNN, cnn
from gradlab.models.gan import GAN, gan
from gradlab.models.mlp import MLP, mlp
from gradlab.models.resnet import ResNet, resnet

MODELS = Registry("model")
MODELS.register("mlp", mlp, help="multilayer perceptron (hidden sizes or depth x width, norm, dropout)")
MODELS.register("cnn", cnn, help="conv-norm-act blocks, global average pool, linear head")
MODELS.register("resnet", resnet, help="CIFAR ResNet (He et al. 2016), depth 6n+2, configurable width")
MODELS.register("gan", gan, help="MLP generator + discriminator for low-dimensional data")


def create_model(kind: Any, *, input_shape: Any, n_outputs: int, **kw: Any) -> nn.Module:
    """Build a model from a registered name (or a builder callable).

    Args:
        kind: ``"mlp"``, ``"cnn"``, ``"resnet"``, ``"gan"`` or a builder ``f(input_shape, n_outputs, **kw)``.
        input_shape: shape of one sample, e.g. ``(2,)`` or ``(3, 32, 32)``.
        n_outputs: output width (1 binary/scalar regression, k classes).
        **kw: builder arguments (``hidden``, ``act``, ``norm``, ``init``, ...).

    Raises:
        UnknownComponentError: unknown kind (with the choices and a did-you-mean).
        ConfigError: impossible arguments.
    """
    return MODELS.create(kind, input_shape=input_shape, n_outputs=n_outputs, **kw)


__all__ = [
    "CNN", "GAN", "MLP", "MODELS", "NORMS", "NORM_POSITIONS", "ResNet", "cnn", "create_model", "gan", "mlp",
    "resnet",
]
