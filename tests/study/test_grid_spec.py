"""Sweep expansion (grid, zip, random) and the study file's shape checks."""

import itertools

import pytest

from gradlab.errors import ConfigError
from gradlab.study.grid import expand_axes, grid_size
from gradlab.study.spec import Study, load_study

AXES = {"model.act": ["relu", "elu", "gelu"], "train.optimizer": ["sgd", "adam"]}


def test_grid_is_the_full_product_first_axis_slowest():
    points = expand_axes(AXES, "grid")
    expected = [{"model.act": a, "train.optimizer": o}
                for a, o in itertools.product(AXES["model.act"], AXES["train.optimizer"])]
    assert points == expected
    assert grid_size(AXES) == len(points) == 6


def test_zip_pairs_values_and_rejects_unequal_lengths():
    axes = {"model.act": ["relu", "elu"], "model.init": ["he_normal", "lecun_normal"]}
    assert expand_axes(axes, "zip") == [
        {"model.act": "relu", "model.init": "he_normal"},
        {"model.act": "elu", "model.init": "lecun_normal"},
    ]
    with pytest.raises(ConfigError, match=r"equal length.*model\.act: 3, train\.optimizer: 2"):
        expand_axes(AXES, "zip")


def test_random_draws_distinct_grid_points_reproducibly():
    a = expand_axes(AXES, "random", samples=4, seed=7)
    assert a == expand_axes(AXES, "random", samples=4, seed=7)
    assert len({tuple(p.values()) for p in a}) == 4
    assert all(p in expand_axes(AXES, "grid") for p in a)
    with pytest.raises(ConfigError, match="samples = 9 is more than the 6"):
        expand_axes(AXES, "random", samples=9)
    with pytest.raises(ConfigError, match="needs samples"):
        expand_axes(AXES, "random")


def _study(**kw):
    data = {"name": "t", "seeds": 2, "model": {"act": "relu"},
            "sweep": {"model.act": ["relu", "elu"]},
            "compare": {"metric": "dev_accuracy", "baseline": {"model.act": "relu"}}}
    data.update(kw)
    return Study.from_dict(data)


@pytest.mark.parametrize(
    "change,message",
    [
        ({"sweep_mode": "gird"}, r"sweep_mode = 'gird'.*did you mean 'grid'"),
        ({"sedes": 3}, r"unknown study key 'sedes'.*did you mean 'seeds'"),
        ({"seeds": 0}, r"seeds = 0: need at least 1"),
        ({"seeds": [1, 1]}, r"lists a seed twice"),
        ({"sweep": {"act": ["relu"]}}, r"sweep key 'act' must be dotted"),
        ({"sweep": {"modle.act": ["relu"]}}, r"unknown section 'modle'.*did you mean 'model'"),
        ({"sweep": {"model.act": "relu"}}, r"sweep 'model.act' = 'relu': expected a non-empty list"),
        ({"compare": {"metric": "dev_acc"}}, r"metric = 'dev_acc'.*did you mean 'dev_accuracy'"),
        ({"compare": {"baseline": {"model.act": "tanh"}}}, r"baseline model.act = .tanh. is neither a swept value.*choices: .relu., .elu."),
        ({"compare": {"baseline": {"train.lr": 0.1}}}, r"baseline key 'train.lr' is not swept"),
        ({"compare": {"metrc": "dev_loss"}}, r"unknown key \[compare\].metrc.*did you mean 'metric'"),
    ],
    ids=["mode-typo", "top-key-typo", "zero-seeds", "repeated-seed", "undotted-key",
         "section-typo", "axis-not-a-list", "metric-typo", "baseline-value", "baseline-key",
         "compare-key-typo"],
)
def test_study_shape_errors_name_the_key_the_value_and_the_choices(change, message):
    with pytest.raises(ConfigError, match=message):
        _study(**change)


def test_baseline_matches_spec_strings_canonically():
    s = _study(sweep={"model.act": ["relu", "leaky_relu(0.01)"]},
               compare={"baseline": {"model.act": "leaky_relu( 0.01 )"}})
    assert s.compare.baseline == {"model.act": "leaky_relu( 0.01 )"}


def test_several_sweep_blocks_with_their_own_modes_roundtrip(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        'name = "multi"\nseeds = [3, 5]\n[model]\nact = "relu"\n'
        '[[sweep]]\n"model.act" = ["relu", "tanh"]\n"model.init" = ["he_normal", "lecun_normal"]\nmode = "zip"\n'
        '[[sweep]]\n"train.epochs" = [10, 20]\n'
        '[compare]\nmetric = "dev_loss"\n'
    )
    s = load_study(path, validate=False)
    assert s.seeds == [3, 5]
    assert [(b.mode, list(b.axes)) for b in s.sweep] == [
        ("zip", ["model.act", "model.init"]), ("grid", ["train.epochs"])]
    assert s.compare.higher is False  # a loss: lower is better
    again = Study.from_dict(s.to_dict())
    assert (again.seeds, again.sweep, again.compare.metric, again.compare.higher) == (
        s.seeds, s.sweep, "dev_loss", False)


def test_unknown_study_name_suggests_a_builtin(tmp_path):
    with pytest.raises(ConfigError, match="no study file or built-in study named"):
        load_study(str(tmp_path / "nope.toml"), validate=False)
