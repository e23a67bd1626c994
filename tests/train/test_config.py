"""Run configs: defaults, key and value checks with the dotted key named, dotted access, merging."""

import copy

import pytest

from gradlab.errors import ConfigError, UnknownComponentError
from gradlab.train.config import DEFAULT_CONFIG, get_dotted, merge_config, set_dotted, validate_config


def test_empty_config_is_the_default_and_input_is_not_modified():
    given = {"train": {"lr": 0.1}}
    snapshot = copy.deepcopy(given)
    cfg = validate_config(given)
    assert given == snapshot
    assert cfg["train"]["lr"] == 0.1
    assert validate_config({}) == DEFAULT_CONFIG


@pytest.mark.parametrize(
    "config,fragment",
    [
        ({"trian": {}}, "did you mean 'train'"),
        ({"train": {"lrr": 0.1}}, "did you mean 'train.lr'"),
        ({"model": {"actt": "relu"}}, "did you mean 'model.act'"),
        ({"watch": {"evry": 3}}, "did you mean 'watch.every'"),
        ({"task": {"name": "moons", "nois": 0.3}}, "did you mean 'task.noise'"),
    ],
    ids=["section", "train-key", "model-key", "watch-key", "task-kwarg"],
)
def test_unknown_keys_name_the_key_and_the_closest_valid_one(config, fragment):
    with pytest.raises(ConfigError, match=fragment) as info:
        validate_config(config)
    assert "valid keys" in str(info.value)


@pytest.mark.parametrize(
    "key,value,fragment",
    [
        ("model.act", "lrelu", "leaky_relu"),
        ("model.init", "he_normall", "he_normal"),
        ("train.optimizer", "adamm", "adam"),
        ("train.schedule", "cosin", "cosine"),
        ("task.name", "moon", "moons"),
        ("model.kind", "mlpp", "mlp"),
    ],
    ids=lambda v: str(v),
)
def test_unknown_component_names_fail_before_training_with_did_you_mean(key, value, fragment):
    cfg = set_dotted(copy.deepcopy(DEFAULT_CONFIG), key, value)
    with pytest.raises(UnknownComponentError) as info:
        validate_config(cfg)
    message = str(info.value)
    assert message.startswith(f"{key}:")
    assert f"did you mean {fragment!r}" in message


@pytest.mark.parametrize(
    "key,value",
    [
        ("train.lr", -1.0), ("train.lr", 0), ("train.lr", float("nan")), ("train.epochs", 0),
        ("train.batch_size", 2.5), ("train.clip_norm", -1.0), ("train.weight_decay", -0.1),
        ("train.early_stopping", 0), ("model.dropout", 1.5), ("model.hidden", [3, 0]),
        ("model.norm", "group"), ("watch.every", 0), ("watch.enabled", "yes"), ("model.act", "leaky_relu(1, 2, 3)"),
    ],
    ids=lambda v: str(v),
)
def test_bad_values_are_rejected_naming_the_key(key, value):
    cfg = set_dotted({}, key, value)
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        validate_config(cfg)


def test_depth_and_width_replace_the_default_hidden_sizes():
    cfg = validate_config({"model": {"depth": 3, "width": 8}})
    assert "hidden" not in cfg["model"] and cfg["model"]["depth"] == 3


def test_task_spec_arguments_become_task_keys():
    cfg = validate_config({"task": {"name": "moons(noise=0.3)"}})
    assert cfg["task"] == {"name": "moons", "noise": 0.3}


def test_dotted_access_and_deep_merge():
    cfg = copy.deepcopy(DEFAULT_CONFIG)
    assert get_dotted(cfg, "model.act") == "relu"
    set_dotted(cfg, "model.act", "elu")
    assert cfg["model"]["act"] == "elu"
    with pytest.raises(ConfigError, match="did you mean 'model.act'"):
        get_dotted(cfg, "model.actt")
    merged = merge_config(DEFAULT_CONFIG, {"train": {"lr": 0.5}, "task": {"noise": 0.1}})
    assert merged["train"]["lr"] == 0.5 and merged["train"]["optimizer"] == "sgd"
    assert merged["task"] == {"name": "moons", "noise": 0.1}
    assert DEFAULT_CONFIG["train"]["lr"] == 0.01  # the base is untouched
