import math

import pytest
import torch

from gradlab.data import TASKS, create_task, split_sizes
from gradlab.errors import ConfigError

BUILTINS = [
    "moons", "circles", "spirals", "spirals(k=4)", "gaussian_mixture(k=4, d=5)", "ring", "grid",
    "negative_uniform(n_samples=3000)", "teacher(n_samples=500)", "images(n_samples=300)",
    "images(n_samples=200, channels=3, size=32)",
]


def all_parts(task):
    return [t for part in (task.train, task.dev, task.test) for t in part]


@pytest.mark.parametrize("spec", BUILTINS)
def test_same_seed_same_tensors_other_seed_other_tensors(spec):
    a, b, c = create_task(spec, seed=11), create_task(spec, seed=11), create_task(spec, seed=12)
    assert all(torch.equal(x, y) for x, y in zip(all_parts(a), all_parts(b)))
    assert not torch.equal(a.train[0], c.train[0])


@pytest.mark.parametrize("spec", BUILTINS)
def test_labels_follow_the_task_kind_convention(spec):
    task = create_task(spec, seed=0)
    X, y = task.train
    assert X.dtype == torch.float32 and tuple(X.shape[1:]) == task.input_shape
    assert task.kind in ("binary", "multiclass", "regression", "generative")
    if task.kind == "binary":
        assert y.dtype == torch.float32 and y.shape == (X.shape[0], 1) and set(y.unique().tolist()) <= {0.0, 1.0}
        assert (task.loss, task.n_outputs) == ("bce", 1)
    elif task.kind == "multiclass":
        assert y.dtype == torch.int64 and y.dim() == 1 and 0 <= y.min() and y.max() < task.n_outputs
        assert task.loss == "ce"
    elif task.kind == "regression":
        assert y.dtype == torch.float32 and y.shape == (X.shape[0], task.n_outputs) and task.loss == "mse"
    assert torch.isfinite(X).all()


def test_negative_uniform_inputs_lie_in_minus_one_zero_and_split_seventy_thirty():
    task = create_task("negative_uniform", seed=0, n_samples=2000)
    X = torch.cat([task.train[0], task.dev[0], task.test[0]])
    assert X.shape == (2000, 4) and (X <= 0).all() and (X > -1).all()
    assert [task.train[0].shape[0], task.dev[0].shape[0], task.test[0].shape[0]] == [1400, 300, 300]
    # the target is a function of x: a least-squares fit on features explains most of it
    Xb = torch.cat([task.train[0], torch.sin(3 * task.train[0]), torch.ones(1400, 1)], 1).double()
    coef = torch.linalg.lstsq(Xb, task.train[1].double()).solution
    resid = task.train[1].double() - Xb @ coef
    assert resid.var() < 0.5 * task.train[1].double().var()


def test_teacher_targets_are_a_deterministic_function_plus_small_noise():
    clean = create_task("teacher", seed=3, n_samples=400, noise=0.0)
    noisy = create_task("teacher", seed=3, n_samples=400, noise=0.1)
    assert torch.equal(clean.train[0], noisy.train[0])
    diff = (noisy.train[1] - clean.train[1]).std().item()
    assert 0.07 < diff < 0.13
    assert clean.train[1].std() > 0.1  # the teacher is not constant


def test_ring_samples_sit_on_eight_modes():
    task = create_task("ring", seed=0)
    X, mode = task.train
    angle = 2 * math.pi * mode.double() / 8
    centres = 2.0 * torch.stack([angle.cos(), angle.sin()], 1)
    assert (X.double() - centres).norm(dim=1).max() < 0.15
    assert task.kind == "generative" and set(mode.tolist()) == set(range(8))


def test_mixture_classes_are_balanced_and_separable_by_nearest_centre():
    task = create_task("gaussian_mixture", seed=0, k=3, d=8, separation=4.0)
    X, y = task.train
    centres = torch.stack([X[y == c].mean(0) for c in range(3)])
    Xd, yd = task.dev
    pred = torch.cdist(Xd, centres).argmin(1)
    assert (pred == yd).float().mean() > 0.9
    assert torch.bincount(torch.cat([y, yd, task.test[1]])).tolist() == [334, 333, 333]


@pytest.mark.parametrize("channels,size", [(1, 28), (3, 32)], ids=["mnist-shape", "cifar-shape"])
def test_images_are_learnable_by_nearest_class_mean(channels, size):
    task = create_task("images", seed=0, n_samples=600, channels=channels, size=size)
    X, y = task.train
    means = torch.stack([X[y == c].mean(0) for c in range(10)]).flatten(1)
    Xd, yd = task.dev
    pred = torch.cdist(Xd.flatten(1), means).argmin(1)
    assert (pred == yd).float().mean() > 0.6  # chance is 0.1


def test_normalize_uses_train_statistics_only():
    raw = create_task("negative_uniform", seed=1, n_samples=1000)
    norm = create_task("negative_uniform", seed=1, n_samples=1000, normalize=True)
    mean, std = raw.train[0].mean(0), raw.train[0].std(0)
    assert torch.allclose(norm.dev[0], (raw.dev[0] - mean) / std, atol=1e-5)
    assert torch.allclose(norm.train[0].mean(0), torch.zeros(4), atol=1e-5)
    assert torch.equal(norm.dev[1], raw.dev[1])  # targets are untouched


@pytest.mark.parametrize(
    "n,split,expected",
    [(1000, (640, 160, 200), [640, 160, 200]), (1000, (0.64, 0.16, 0.2), [640, 160, 200]),
     (10, (0.7, 0.15, 0.15), [7, 2, 1]), (7, (0.5, 0.5), [4, 3])],
    ids=["sizes", "fractions", "rounding-remainder-last", "two-parts"],
)
def test_split_sizes(n, split, expected):
    assert split_sizes(n, split) == expected
    assert sum(expected) == n


@pytest.mark.parametrize(
    "split,needle",
    [((600, 100, 100), "sum to 800"), ((0.5, 0.6, 0.1), "sum to 1.2"), ((0.9, -0.1, 0.2), "non-negative"),
     ((0.9995, 0.0004, 0.0001), "empty part")],
    ids=["sizes-short", "fractions-over", "negative", "empty-part"],
)
def test_bad_splits_are_config_errors(split, needle):
    with pytest.raises(ConfigError, match=needle):
        create_task("moons", seed=0, split=split)


@pytest.mark.parametrize(
    "spec,needle",
    [("moons(n_samples=1)", "n_samples"), ("spirals(k=1)", "k must"), ("images(channels=2)", "channels"),
     ("teacher(act='softsign')", "softsign"), ("moons(nosie=0.1)", "nosie")],
    ids=["too-few", "one-arm", "two-channels", "teacher-act", "typo-kwarg"],
)
def test_bad_task_arguments_are_config_errors(spec, needle):
    with pytest.raises(ConfigError, match=needle):
        create_task(spec)


def test_every_registered_task_is_listed_with_help():
    described = {d["name"]: d["summary"] for d in TASKS.describe()}
    assert {"moons", "circles", "spirals", "gaussian_mixture", "ring", "negative_uniform", "teacher",
            "images", "csv", "npy", "npz", "idx"} <= set(described)
    assert all(described.values())


def test_callable_builders_are_accepted():
    def mine(*, seed):
        return create_task("moons", seed=seed + 1)

    assert torch.equal(create_task(mine, seed=1).train[0], create_task("moons", seed=2).train[0])


@pytest.mark.parametrize("spec", ["moons(noise=-1.0)", "circles(noise=-0.5)", "spirals(noise='lots')",
                                  "teacher(noise=-0.1)", "images(noise=-1.0)"])
def test_negative_or_non_numeric_noise_is_a_config_error(spec):
    # regression: moons(noise=-1) trained silently (the sign of a std is meaningless)
    from gradlab.data import create_task

    with pytest.raises(ConfigError, match="noise"):
        create_task(spec, seed=0)
    name = spec.split("(")[0]
    with pytest.raises(ConfigError, match="noise"):
        create_task(name, seed=0, noise=-1.0)


def test_grid_samples_sit_on_twenty_five_modes_two_apart():
    task = create_task("grid", seed=0)
    X, mode = task.train
    centres = 2.0 * torch.stack([(mode // 5).double() - 2, (mode % 5).double() - 2], 1)
    assert (X.double() - centres).norm(dim=1).max() < 0.35  # std 0.05: 7 std
    assert task.kind == "generative" and set(mode.tolist()) == set(range(25))
    assert torch.equal(X, create_task("grid", seed=0).train[0])
