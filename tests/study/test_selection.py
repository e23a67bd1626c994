"""Choosing the best learning rate per optimizer on dev, comparing the chosen ones on test."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from gradlab.errors import ConfigError
from gradlab.study.selection import default_select_on, select_best
from gradlab.study.spec import Study


@dataclass
class Row:
    label: str
    config_hash: str
    selected: bool | None = None
    sentence: str = ""


def test_the_best_dev_mean_of_each_family_is_chosen_and_the_key_dropped():
    grid = [("sgd", 0.01, [0.5, 0.6]), ("sgd", 0.1, [0.8, 0.9]), ("adam", 0.01, [0.9, 0.92]),
            ("adam", 0.1, [0.4, 0.1])]
    rows = [Row(f"{o} {lr}", f"h{i}") for i, (o, lr, _) in enumerate(grid)]
    values = [{"train.optimizer": o, "train.lr": lr} for o, lr, _ in grid]
    on = {f"h{i}": v for i, (_, _, v) in enumerate(grid)}
    picked, vals = select_best(rows, values, on, "train.lr", higher=True)
    # brute force: the argmax of the mean per optimizer
    assert [r.label for r in picked] == ["sgd 0.1", "adam 0.01"]
    assert vals == [{"train.optimizer": "sgd"}, {"train.optimizer": "adam"}]
    assert [r.selected for r in rows] == [False, True, True, False]
    assert "not chosen" in rows[0].sentence
    picked, _ = select_best(rows, values, on, "train.lr", higher=False)  # a loss: the lowest
    assert [r.label for r in picked] == ["sgd 0.01", "adam 0.1"]


def test_a_family_without_finished_trials_keeps_no_row():
    rows = [Row("a", "h0"), Row("b", "h1")]
    picked, _ = select_best(rows, [{"k": 1, "x": 0}, {"k": 2, "x": 0}], {}, "k", True)
    assert picked == [] and all(r.selected is None for r in rows)


def test_select_on_defaults_to_the_dev_twin_of_the_metric():
    assert default_select_on("test_accuracy") == "dev_accuracy"
    assert default_select_on("test_loss") == "dev_loss"
    study = Study("s", sweep={"train.lr": [0.1, 0.01]}, compare={"metric": "test_accuracy", "select": "train.lr"})
    assert study.to_dict()["compare"]["select_on"] == "dev_accuracy"
    assert "select" not in Study("s", sweep={"train.lr": [0.1]}).to_dict()["compare"]


def test_select_must_name_a_swept_key():
    with pytest.raises(ConfigError, match="select = 'train.lr' is not a swept key"):
        Study("s", sweep={"model.act": ["relu"]}, compare={"select": "train.lr"})
