"""Run configs: nested dicts with the shape of a study file, validated before anything trains.

A config names a task, a model, how to train it and whether to watch it. Keys are addressed with
dots (``"model.act"``), the same keys a finding's recommendation sets. :func:`validate_config`
fills defaults and checks every key and every component spec against its registry, so a typo or
an unknown activation fails at once with the valid choices — not after an hour of training.
"""

from __future__ import annotations

import copy
import inspect
from typing import Any, Callable

from gradlab.components.suggest import did_you_mean
from gradlab.errors import ConfigError
from gradlab.train.validate import check_model, check_train, check_watch, checked

DEFAULT_CONFIG: dict = {
    "task": {"name": "moons"},
    "model": {"kind": "mlp", "hidden": [3, 3, 3, 3], "act": "relu", "init": "default",
              "bias_init": "default", "norm": "none", "norm_position": "before", "dropout": 0.0},
    "train": {"optimizer": "sgd", "lr": 0.01, "epochs": 200, "steps": None, "batch_size": None,
              "schedule": "constant", "clip_norm": None, "clip_value": None, "max_norm": None,
              "weight_decay": 0.0, "early_stopping": None},
    "watch": {"enabled": True, "every": 10, "rules": {}},
}

# a model kind's own default task, when the config names none (a GAN needs data with known modes)
DEFAULT_TASKS = {"gan": "ring"}

# builder arguments that build() supplies itself: never config keys
_SUPPLIED = {"model": {"input_shape", "in_features", "n_outputs"}, "task": {"seed"}}


def _unknown_key(key: str, valid: list[str]) -> ConfigError:
    section, _, leaf = key.rpartition(".")
    hint = did_you_mean(leaf, valid, prefix=section + "." if section else "")
    return ConfigError(f"unknown config key {key!r}{hint} (valid keys: {', '.join(valid)})")


def get_dotted(config: dict, key: str) -> Any:
    """``get_dotted(cfg, "model.act")`` -> ``cfg["model"]["act"]``; a missing key is a ConfigError."""
    node: Any = config
    for i, part in enumerate(key.split(".")):
        if not isinstance(node, dict) or part not in node:
            where = ".".join(key.split(".")[:i])
            valid = sorted(node) if isinstance(node, dict) else []
            raise _unknown_key(f"{where}.{part}" if where else part, valid)
        node = node[part]
    return node


def set_dotted(config: dict, key: str, value: Any) -> dict:
    """Set ``config["model"]["act"] = value`` for key ``"model.act"`` (in place; returns config).

    Missing intermediate sections are created; :func:`validate_config` judges the result.
    """
    parts = key.split(".")
    if not all(parts):
        raise ConfigError(f"malformed config key {key!r}: expected e.g. 'model.act'")
    node = config
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"config key {key!r}: {part!r} holds {child!r}, not a section")
        node = child
    node[parts[-1]] = value
    return config


def merge_config(base: dict, override: dict) -> dict:
    """Deep-merge ``override`` into a copy of ``base`` (dicts merge, other values replace)."""
    merged = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_config(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _accepted(builder: Callable, section: str) -> list[str] | None:
    """Keyword arguments a builder takes (None when it takes ``**kwargs``: anything goes)."""
    try:
        params = inspect.signature(builder).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    skip = _SUPPLIED[section]
    return [p.name for p in params if p.name not in skip and p.kind is not inspect.Parameter.VAR_POSITIONAL]


def validate_config(config: dict | None) -> dict:
    """Fill defaults and check a run config; returns a new dict (the input is not modified).

    Raises:
        ConfigError: an unknown section or key (with a did-you-mean), a bad value, or a
            component spec its registry does not know; the message names the dotted key.
    """
    config = copy.deepcopy(config or {})
    if not isinstance(config, dict):
        raise ConfigError(f"a run config must be a dict, got {type(config).__name__}")
    for section, value in config.items():
        if section not in DEFAULT_CONFIG:
            raise _unknown_key(section, list(DEFAULT_CONFIG))
        if not isinstance(value, dict):
            raise ConfigError(f"config section {section!r} must be a table/dict, got {value!r}")
    task = config.get("task", {})
    kind = config.get("model", {}).get("kind")
    if "name" not in task and isinstance(kind, str) and kind in DEFAULT_TASKS:
        task = {**task, "name": DEFAULT_TASKS[kind]}
    out = {
        "task": _task_section(task),
        "model": _model_section(config.get("model", {})),
        "train": _fixed_section("train", config.get("train", {})),
        "watch": _fixed_section("watch", config.get("watch", {})),
    }
    check_model(out["model"])
    check_train(out["train"])
    check_watch(out["watch"])
    check_time_against(out["train"].get("time_against"), out)
    return out


def twin_config(config: dict, overrides: dict) -> dict:
    """``config`` with the dotted ``overrides`` applied (and ``time_against`` removed)."""
    twin = copy.deepcopy(config)
    for key, value in overrides.items():
        set_dotted(twin, key, value)
    twin.setdefault("train", {}).pop("time_against", None)
    return twin


def check_time_against(value: Any, config: dict) -> None:
    """``train.time_against`` is None or a non-empty table of dotted keys giving a valid twin."""
    if value is None:
        return
    if not isinstance(value, dict) or not value or not all(isinstance(k, str) and "." in k for k in value):
        raise ConfigError(
            f"train.time_against must be a table of dotted keys to change for the twin, "
            f"e.g. {{ \"model.act\" = \"relu\" }}; got {value!r}")
    if any(k.startswith("task.") for k in value):
        raise ConfigError("train.time_against: the twin must train on the same task; "
                          f"drop the task keys from {value!r}")
    try:
        validate_config(twin_config(config, value))
    except ConfigError as exc:
        raise ConfigError(f"train.time_against: the twin is not a valid config: {exc}") from None


# keys a section accepts without a default: absent unless given, so adding one leaves the
# config hash of every run that does not use it unchanged
# (restore_best: keep the best-dev epoch's weights at the end, as when absent; false keeps the
# last epoch's, so a study can measure what early stopping and best-epoch selection add)
OPTIONAL_KEYS = {"train": ("pretrain", "time_against", "restore_best"), "watch": ()}


def _fixed_section(name: str, given: dict) -> dict:
    valid = list(DEFAULT_CONFIG[name]) + list(OPTIONAL_KEYS[name])
    for key in given:
        if key not in valid:
            raise _unknown_key(f"{name}.{key}", valid)
    return merge_config(DEFAULT_CONFIG[name], given)


def _task_section(given: dict) -> dict:
    from gradlab.components.spec import parse_spec
    from gradlab.data import TASKS

    section = merge_config(DEFAULT_CONFIG["task"], given)
    name = section["name"]
    if isinstance(name, str):
        spec = checked(lambda: parse_spec(name), "task.name")
        builder = checked(lambda: TASKS.get(spec.name), "task.name")
        if spec.args:
            raise ConfigError(f"task.name {name!r}: give task arguments by keyword, e.g. "
                              f"{keyword_example(spec.name, spec.args[0], builder)}")
        section = {**section, "name": TASKS.canonical_name(spec.name), **spec.kwargs}
    elif callable(name):
        builder = name
    else:
        raise ConfigError(f"task.name must be a task name or a builder, got {name!r}")
    _check_keys("task", section, _accepted(builder, "task"), {"name"})
    if section.get("split") is not None:
        from gradlab.data.split import check_task_split

        check_task_split(section["split"])
    return section


def keyword_example(name: str, value: Any, builder: Callable) -> str:
    """``csv('a.csv')`` -> ``"csv(path='a.csv')"``: the first positional value put by keyword."""
    accepted = _accepted(builder, "task") or []
    key = accepted[0] if accepted else "noise"
    return f"{name}({key}={value!r})"


def _model_section(given: dict) -> dict:
    from gradlab.models import MODELS

    kind = given.get("kind", DEFAULT_CONFIG["model"]["kind"])
    builder = checked(lambda: MODELS.get(kind), "model.kind")
    accepted = _accepted(builder, "model")
    if isinstance(kind, str) and MODELS.canonical_name(kind) == "mlp":
        defaults = dict(DEFAULT_CONFIG["model"], kind="mlp")
        if "hidden" not in given and ("depth" in given or "width" in given):
            defaults.pop("hidden")  # depth x width replaces the default hidden sizes
    else:
        # another builder: its own defaults for the keys it shares with mlp (a cnn or resnet
        # defaults to BatchNorm; mlp's norm 'none' must not switch it off), never mlp's sizes
        own = _builder_defaults(builder)
        defaults = {k: own.get(k, v) for k, v in DEFAULT_CONFIG["model"].items()
                    if k != "hidden" and (accepted is None or k in accepted)}
        defaults["kind"] = kind
    section = {**defaults, **copy.deepcopy(given)}
    _check_keys("model", section, accepted, {"kind"})
    return section


def model_keys(kind: Any) -> list[str] | None:
    """The ``model.*`` keys a model kind takes (None: any), e.g. to drop defaults it does not use."""
    from gradlab.models import MODELS

    builder = checked(lambda: MODELS.get(kind), "model.kind")
    accepted = _accepted(builder, "model")
    return None if accepted is None else ["kind", *accepted]


def _builder_defaults(builder: Callable) -> dict:
    """The keyword defaults of a builder's signature (empty when it has none to read)."""
    try:
        params = inspect.signature(builder).parameters.values()
    except (TypeError, ValueError):
        return {}
    return {p.name: p.default for p in params if p.default is not inspect.Parameter.empty}


def _check_keys(name: str, section: dict, accepted: list[str] | None, own: set[str]) -> None:
    if accepted is None:
        return
    valid = sorted(own) + accepted
    for key in section:
        if key not in valid:
            raise _unknown_key(f"{name}.{key}", valid)
