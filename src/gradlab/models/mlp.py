"""The multilayer perceptron the seed articles keep rebuilding by hand.

Layers get stable names the watch and the findings refer to: ``fc1..fcN`` (Linear),
``norm1..`` (BatchNorm/LayerNorm), ``act1..`` (activation), ``drop1..`` (dropout). Hidden block
``i`` is ``fc{i} → norm{i} → act{i} → drop{i}`` with ``norm_position="before"`` (the activation),
or ``fc{i} → act{i} → norm{i} → drop{i}`` with ``"after"`` — seed 000 compares BN→LeakyReLU with
LeakyReLU→BN. The last layer ``fcN`` outputs logits: no final sigmoid, the loss adds it.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Sequence

import torch
import torch.nn as nn

from gradlab.errors import ConfigError
from gradlab.models._blocks import (
    NORM_POSITIONS,
    NORMS,
    check_choice,
    check_positive_int,
    check_shape,
    check_sizes,
    flat_size,
    init_model,
    make_activation,
    make_dropout,
    make_norm,
)
from gradlab.models.members import NotBatchable, stack_members
from gradlab.models.mlp_net import MLP


def resolve_hidden(hidden: Sequence[int] | None, depth: int | None, width: int | None) -> list[int]:
    """Hidden widths from an explicit list or from ``depth`` × ``width`` (not both)."""
    if hidden is not None and (depth is not None or width is not None):
        raise ConfigError(
            f"give either hidden={hidden!r} or depth/width (depth={depth!r}, width={width!r}), not both"
        )
    if hidden is not None:
        if isinstance(hidden, int) and not isinstance(hidden, bool):
            hidden = [hidden]
        return check_sizes("hidden", hidden)
    if depth is None and width is None:
        return []
    depth = check_positive_int("depth", 1 if depth is None else depth)
    width = check_positive_int("width", 32 if width is None else width)
    return [width] * depth


def mlp(
    input_shape: Any = None,
    n_outputs: int = 1,
    *,
    in_features: int | None = None,
    hidden: Sequence[int] | None = None,
    depth: int | None = None,
    width: int | None = None,
    act: Any = "relu",
    norm: str = "none",
    norm_position: str = "before",
    dropout: Any = 0.0,
    init: Any = "default",
    bias_init: Any = "default",
    members: int | Sequence[int] | None = None,
) -> MLP:
    """Build an MLP.

    Args:
        input_shape: shape of one sample, e.g. ``(2,)``; inputs are flattened. Or ``in_features``.
        n_outputs: width of the output layer (1 for binary and scalar regression, k classes).
        in_features: the input width, instead of ``input_shape``.
        hidden: hidden widths, e.g. ``[3, 3, 3, 3]``; or ``depth`` × ``width``.
        depth: number of hidden layers (with ``width``, instead of ``hidden``).
        width: width of every hidden layer (with ``depth``).
        act: activation spec applied after every hidden layer (a fresh module per layer).
        norm: ``"none"``, ``"batch"`` or ``"layer"``.
        norm_position: the norm ``"before"`` or ``"after"`` the activation.
        dropout: a probability or a spec such as ``"alpha_dropout(0.1)"``; after each hidden block.
        init: weight initializer spec (``"default"`` keeps PyTorch's); gain follows ``act``.
        bias_init: bias initializer spec, e.g. ``"constant(-8)"``.
        members: build an ensemble on a member axis (:func:`gradlab.models.members.stack_members`):
            an int M draws M members one after another from the global RNG, a list of seeds
            builds each member after ``torch.manual_seed(seed)``; each member is initialised
            exactly as this builder initialises one network. Vector inputs; norms, but no dropout.

    Returns:
        An :class:`MLP` with layers ``fc1..fcN``, ``norm1..``, ``act1..``, ``drop1..``.

    Raises:
        ConfigError: impossible shapes or unknown choices, naming the bad value.

    Example:
        >>> mlp((2,), 1, hidden=[3, 3], act="leaky_relu(0.2)")  # doctest: +SKIP
    """
    if members is not None:
        seeds = None if isinstance(members, int) else list(members)
        count = check_positive_int("members", members) if seeds is None else len(seeds)
        one = dict(input_shape=input_shape, n_outputs=n_outputs, in_features=in_features, hidden=hidden,
                   depth=depth, width=width, act=act, norm=norm, norm_position=norm_position,
                   dropout=dropout, init=init, bias_init=bias_init)
        nets = []
        for i in range(count):
            if seeds is not None:
                torch.manual_seed(seeds[i])
            nets.append(mlp(**one))
        try:
            return stack_members(nets)
        except NotBatchable as exc:
            raise ConfigError(f"mlp(members={members!r}) cannot put these layers on a member axis: {exc}; "
                              "build the members one by one") from None
    if in_features is not None:
        if input_shape is not None and flat_size(check_shape(input_shape)) != in_features:
            raise ConfigError(f"in_features={in_features!r} contradicts input_shape={input_shape!r}")
        input_shape = (check_positive_int("in_features", in_features),)
    if input_shape is None:
        raise ConfigError("mlp needs input_shape (e.g. (2,)) or in_features")
    shape = check_shape(input_shape)
    n_outputs = check_positive_int("n_outputs", n_outputs)
    widths = resolve_hidden(hidden, depth, width)
    check_choice("norm", norm, NORMS)
    check_choice("norm_position", norm_position, NORM_POSITIONS)
    make_dropout(dropout)  # validate even when there is no hidden layer to put it in

    layers: OrderedDict[str, nn.Module] = OrderedDict()
    fan_in = flat_size(shape)
    for i, w in enumerate(widths, start=1):
        layers[f"fc{i}"] = nn.Linear(fan_in, w)
        norm_layer = make_norm(norm, w, dims=1)
        if norm_layer is not None and norm_position == "before":
            layers[f"norm{i}"] = norm_layer
        layers[f"act{i}"] = make_activation(act)
        if norm_layer is not None and norm_position == "after":
            layers[f"norm{i}"] = norm_layer
        drop = make_dropout(dropout)
        if drop is not None:
            layers[f"drop{i}"] = drop
        fan_in = w
    layers[f"fc{len(widths) + 1}"] = nn.Linear(fan_in, n_outputs)
    model = MLP(layers, shape, widths, act)
    return init_model(model, init, bias_init, act)
