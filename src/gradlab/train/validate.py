"""Value checks for each section of a run config (the key checks live in :mod:`config`).

This module imports nothing from :mod:`config`; ``config`` calls it after filling the defaults.

Component specs are checked by building them once against their registry — an activation
module, an initializer, an optimizer on a dummy parameter, a schedule on that optimizer — which
catches unknown names *and* bad arguments (``leaky_relu(1, 2, 3)``) before any training starts.
"""

from __future__ import annotations

import math
import os
from typing import Any, Callable

import torch

from gradlab.errors import ConfigError, GradlabError
from gradlab.models import NORM_POSITIONS, NORMS
from gradlab.train.callbacks import EarlyStopping

# bounds on what is absurd rather than impossible: a million epochs of the smallest task is days
MAX_EPOCHS = 1_000_000
MAX_STEPS = 100_000_000
# seeds seed torch's generators and numpy's; 2^32 of them is what every library accepts
MAX_SEED = 2**32 - 1


def checked(thunk: Callable[[], Any], key: str) -> Any:
    """Run a registry lookup or a trial construction; re-raise its complaint naming ``key``."""
    try:
        return thunk()
    except ConfigError as exc:  # keep the subclass (UnknownComponentError, SpecError)
        raise type(exc)(f"{key}: {exc}") from None
    except GradlabError as exc:
        raise ConfigError(f"{key}: {exc}") from None
    except (TypeError, ValueError, RuntimeError) as exc:
        raise ConfigError(f"{key}: {exc}") from None


def check_number(key: str, value: Any, *, minimum: float = 0.0, inclusive: bool = False,
                 optional: bool = False, integer: bool = False,
                 maximum: float | None = None) -> None:
    """Check a numeric config value; the message names the key, the bad value and the range.

    ``maximum`` bounds what is absurd rather than impossible (a run of 10^20 epochs); the
    message gives the bound.
    """
    if value is None and optional:
        return
    kind = "an integer" if integer else "a number"
    ok_type = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok_type or (not integer and not math.isfinite(value)):
        raise ConfigError(f"{key} must be {kind}{' or None' if optional else ''}, got {_short(value)}")
    if value < minimum or (value == minimum and not inclusive):
        bound = ">=" if inclusive else ">"
        raise ConfigError(f"{key} must be {bound} {minimum:g}, got {_short(value)}")
    if maximum is not None and value > maximum:
        shown = f"{int(maximum):,}" if float(maximum).is_integer() else f"{maximum:g}"
        raise ConfigError(f"{key} = {_short(value)} is more than the {shown} gradlab allows")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_seed(seed: Any, key: str = "seed") -> int:
    """A seed is an integer in [0, 2^32 - 1] (else ConfigError naming ``key`` and the range)."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ConfigError(f"{key} must be an integer from 0 to {MAX_SEED}, got {_short(seed)}")
    return seed


def _is_spec(value: Any) -> bool:
    return isinstance(value, str)


def check_model(model: dict) -> None:
    """Check the activation, initializer, norm and dropout specs and the mlp sizes."""
    for key in ("act", "g_act", "d_act"):  # a GAN has one activation per network
        if _is_spec(model.get(key)):
            from gradlab.components.activations import create_activation

            checked(lambda: create_activation(model[key]), f"model.{key}")
    for key in ("init", "bias_init"):
        if _is_spec(model.get(key)):
            from gradlab.components.init import create_init

            checked(lambda: create_init(model[key]), f"model.{key}")
    for key, choices in (("norm", NORMS), ("norm_position", NORM_POSITIONS)):
        value = model.get(key)
        if key in model and _is_spec(value) and value not in choices:
            raise ConfigError(f"model.{key} must be one of {', '.join(choices)}; got {value!r}")
    dropout = model.get("dropout")
    if _is_spec(dropout):
        from gradlab.components.regularizers import create_dropout

        checked(lambda: create_dropout(dropout), "model.dropout")
    elif dropout is not None:
        check_number("model.dropout", dropout, inclusive=True)
        if dropout >= 1:
            raise ConfigError(f"model.dropout must be a probability in [0, 1), got {dropout!r}")
    hidden = model.get("hidden")
    if hidden is not None:
        sizes = [hidden] if isinstance(hidden, int) else hidden
        if not isinstance(sizes, (list, tuple)) or not all(
            isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in sizes
        ):
            raise ConfigError(f"model.hidden must be a list of positive integers, got {hidden!r}")
    for key in ("depth", "width"):
        if model.get(key) is not None:
            check_number(f"model.{key}", model[key], minimum=1, inclusive=True, integer=True)
    _check_fits_in_memory(model)


def _memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # not POSIX: no check
        return None


def _check_fits_in_memory(model: dict) -> None:
    """Say before allocating that the hidden layers' weights alone exceed this machine's memory.

    The count is a lower bound (hidden-to-hidden weights only, float32): the input and output
    layers depend on the task, gradients and optimizer state come on top.
    """
    hidden = model.get("hidden")
    sizes = [hidden] if isinstance(hidden, int) else list(hidden or [])
    if model.get("depth") and model.get("width"):
        sizes = [model["width"]] * model["depth"]
    weights = sum(a * b for a, b in zip(sizes, sizes[1:]))
    memory = _memory_bytes()
    if memory and 4 * weights > memory:
        raise ConfigError(
            f"model hidden sizes {_sizes(sizes)} need {weights:,} weights ({4 * weights / 1e9:,.0f} "
            f"GB) between hidden layers alone, more than this machine's {memory / 1e9:,.0f} GB of "
            "memory: choose smaller --hidden / model.hidden"
        )


def _sizes(sizes: list[int]) -> str:
    text = ",".join(map(str, sizes))
    return text if len(text) <= 40 else text[:37] + "..."


def check_train(train: dict) -> None:
    """Check numbers (lr > 0, epochs >= 1, ...), the optimizer, the schedule, early stopping."""
    check_number("train.lr", train["lr"])
    check_number("train.epochs", train["epochs"], minimum=1, inclusive=True, integer=True,
                 maximum=MAX_EPOCHS)
    check_number("train.steps", train["steps"], minimum=1, inclusive=True, integer=True,
                 optional=True, maximum=MAX_STEPS)
    check_number("train.batch_size", train["batch_size"], minimum=1, inclusive=True, integer=True,
                 optional=True)
    for key in ("clip_norm", "clip_value", "max_norm"):
        if train[key] == "none":  # TOML has no null: a sweep writes "none" for "off"
            train[key] = None
        check_number(f"train.{key}", train[key], optional=True)
    check_number("train.weight_decay", train["weight_decay"], inclusive=True)
    checked(lambda: EarlyStopping.coerce(train["early_stopping"]), "train.early_stopping")
    if not isinstance(train.get("restore_best", True), bool):
        raise ConfigError(f"train.restore_best is true (keep the best-dev epoch's weights) or false "
                          f"(keep the last epoch's), got {train['restore_best']!r}")
    if "pretrain" in train:
        train["pretrain"] = check_pretrain(train["pretrain"])  # defaults filled in place

    from gradlab.components.optim import create_optimizer
    from gradlab.components.schedules import create_schedule

    dummy = [torch.nn.Parameter(torch.zeros(1))]
    optimizer = checked(
        lambda: create_optimizer(train["optimizer"], dummy, lr=train["lr"], weight_decay=train["weight_decay"]),
        "train.optimizer",
    )
    checked(
        lambda: create_schedule(train["schedule"], optimizer, total_steps=100, steps_per_epoch=10),
        "train.schedule",
    )


def check_watch(watch: dict) -> None:
    """Check ``enabled`` (bool), ``every`` (>= 1) and ``rules`` (a dict of rule overrides)."""
    if not isinstance(watch["enabled"], bool):
        raise ConfigError(f"watch.enabled must be true or false, got {watch['enabled']!r}")
    check_number("watch.every", watch["every"], minimum=1, inclusive=True, integer=True)
    if not isinstance(watch["rules"], dict):
        raise ConfigError(f"watch.rules must be a table of rule overrides, got {watch['rules']!r}")


PRETRAIN_KEYS = {"task": None, "objective": "supervised", "epochs": 10, "layers": 1, "freeze": False}
PRETRAIN_OBJECTIVES = ("supervised", "autoencoder")


def check_pretrain(value: Any) -> dict | None:
    """Fill defaults and check a ``train.pretrain`` table (None: no pretraining; the keys are
    described in :mod:`gradlab.train.pretrain`)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ConfigError("train.pretrain must be a table such as {task = {name = 'images'}, layers = 2}, "
                          f"got {value!r}")
    unknown = set(value) - set(PRETRAIN_KEYS)
    if unknown:
        raise ConfigError(f"unknown key train.pretrain.{min(unknown)} (valid keys: {', '.join(PRETRAIN_KEYS)})")
    out = {**PRETRAIN_KEYS, **value}
    if not isinstance(out["task"], dict) or "name" not in out["task"]:
        raise ConfigError(f"train.pretrain.task must be a task table with a name, got {out['task']!r}")
    if out["objective"] not in PRETRAIN_OBJECTIVES:
        raise ConfigError(f"train.pretrain.objective must be one of {', '.join(PRETRAIN_OBJECTIVES)}, "
                          f"got {out['objective']!r}")
    check_number("train.pretrain.epochs", out["epochs"], minimum=1, inclusive=True, integer=True)
    check_number("train.pretrain.layers", out["layers"], minimum=0, inclusive=True, integer=True)
    if not isinstance(out["freeze"], bool):
        raise ConfigError(f"train.pretrain.freeze must be true or false, got {out['freeze']!r}")
    return out
