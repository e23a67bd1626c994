"""Reusing pretrained lower layers: what is copied, what is frozen, and what stays as it was."""

import pytest
import torch

from gradlab.errors import ConfigError
from gradlab.train.config import validate_config
from gradlab.train.experiment import build, run_trial
from gradlab.train.pretrain import pretrain_into

SOURCE = {"name": "spirals", "k": 3, "n_samples": 600}


def _cfg(**pre):
    return {"task": {"name": "spirals", "k": 2, "n_samples": 200},
            "model": {"hidden": [16, 16, 16], "act": "relu", "init": "he_normal"},
            "train": {"optimizer": "adam", "lr": 0.01, "epochs": 3, "batch_size": 64,
                      "pretrain": {"task": SOURCE, "epochs": 2, **pre}},
            "watch": {"enabled": False}}


@pytest.mark.parametrize("objective", ["supervised", "autoencoder"])
def test_the_lower_blocks_are_copied_and_frozen_the_rest_untouched(objective):
    built = build(_cfg(layers=2, freeze=True, objective=objective), seed=0, device="cpu")
    before = {k: v.clone() for k, v in built.model.state_dict().items()}
    info = pretrain_into(built.model, built.config, 0, "cpu")
    after = built.model.state_dict()
    assert "pretrain_loss" in info
    for name in ("fc1.weight", "fc2.bias"):
        assert not torch.equal(before[name], after[name]), name
    for name in ("fc3.weight", "fc4.weight"):
        assert torch.equal(before[name], after[name]), name
    frozen = {n for n, p in built.model.named_parameters() if not p.requires_grad}
    assert frozen == {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}
    # the same seed pretrains the same weights
    again = build(_cfg(layers=2, freeze=True, objective=objective), seed=0, device="cpu")
    pretrain_into(again.model, again.config, 0, "cpu")
    assert torch.equal(again.model.fc1.weight, built.model.fc1.weight)


def test_frozen_layers_do_not_move_while_the_run_trains():
    from gradlab.train.trainer import Trainer

    built = build(_cfg(layers=1, freeze=True), seed=1, device="cpu")
    pretrain_into(built.model, built.config, 1, "cpu")
    fc1, fc2 = built.model.fc1.weight.clone(), built.model.fc2.weight.clone()
    Trainer(built.model, built.optimizer, built.loss_fn, metric=built.metric, device="cpu",
            progress=False).fit(built.task.train, built.task.dev, epochs=3, batch_size=64)
    assert torch.equal(built.model.fc1.weight, fc1) and not torch.equal(built.model.fc2.weight, fc2)


def test_zero_layers_is_training_from_scratch():
    with_table = run_trial(_cfg(layers=0), seed=0, device="cpu")
    plain = _cfg()
    del plain["train"]["pretrain"]
    assert run_trial(plain, seed=0, device="cpu").metrics == with_table.metrics


def test_a_run_without_pretraining_keeps_its_config_and_hash_unchanged():
    assert "pretrain" not in validate_config({})["train"]
    filled = validate_config(_cfg(layers=1))["train"]["pretrain"]
    assert filled == {"task": SOURCE, "objective": "supervised", "epochs": 2, "layers": 1, "freeze": False}


def test_a_pretrained_trial_reports_its_pretraining():
    m = run_trial(_cfg(layers=2), seed=0, device="cpu").metrics
    assert m["pretrain_loss"] > 0 and 0 <= m["pretrain_accuracy"] <= 1 and "test_accuracy" in m


@pytest.mark.parametrize("pre,needle", [
    ({"layers": 1, "bogus": 1}, "train.pretrain.bogus"),
    ({"layers": 1, "objective": "gan"}, "objective"),
    ({"layers": -1}, "train.pretrain.layers"),
    ({"layers": 4}, "3 hidden layers"),
    ({"layers": 1, "task": {"name": "images", "n_samples": 50, "k": 2}}, "same kind of input"),
])
def test_bad_pretraining_tables_name_the_key(pre, needle):
    with pytest.raises(ConfigError, match=needle):
        run_trial(_cfg(**pre), seed=0, device="cpu")
