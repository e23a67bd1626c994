import math

import pytest
import torch

from gradlab.data import TASKS, create_task, make_generator, make_moons


def test_moons_matches_the_seed_split_and_shapes():
    task = create_task("moons", seed=0)
    assert (task.kind, task.loss, task.metric, task.input_shape, task.n_outputs) == (
        "binary", "bce", "accuracy", (2,), 1
    )
    sizes = [part[0].shape[0] for part in (task.train, task.dev, task.test)]
    assert sizes == [640, 160, 200]
    for X, y in (task.train, task.dev, task.test):
        assert X.dtype == torch.float32 and y.dtype == torch.float32 and y.shape == (X.shape[0], 1)
    y_all = torch.cat([task.train[1], task.dev[1], task.test[1]])
    assert y_all.sum().item() == 500  # half outer, half inner
    assert 0.4 < task.train[1].mean().item() < 0.6  # shuffled: each split is roughly balanced


def test_moons_are_deterministic_from_the_seed_only():
    torch.manual_seed(123)
    a = create_task("moons", seed=7)
    torch.manual_seed(999)
    b = create_task("moons", seed=7)
    c = create_task("moons", seed=8)
    assert torch.equal(a.train[0], b.train[0]) and torch.equal(a.test[1], b.test[1])
    assert not torch.equal(a.train[0], c.train[0])


def test_moons_do_not_touch_the_global_rng():
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    create_task("moons", seed=1)
    assert torch.equal(torch.rand(3), expected)


def test_noise_free_points_lie_on_the_two_half_circles():
    X, y = make_moons(400, noise=0.0, generator=make_generator(0))
    outer, inner = X[y == 0], X[y == 1]
    assert torch.allclose(outer.norm(dim=1), torch.ones(200, dtype=X.dtype), atol=1e-12)
    assert (outer[:, 1] >= -1e-12).all()
    shifted = torch.stack([1 - inner[:, 0], 0.5 - inner[:, 1]], 1)
    assert torch.allclose(shifted.norm(dim=1), torch.ones(200, dtype=X.dtype), atol=1e-12)
    assert (inner[:, 1] <= 0.5 + 1e-12).all()


def test_noisy_points_stay_near_their_half_circle():
    task = create_task("moons", seed=3)
    X = torch.cat([task.train[0], task.dev[0], task.test[0]]).double()
    y = torch.cat([task.train[1], task.dev[1], task.test[1]]).flatten()
    t = torch.linspace(0, math.pi, 2001, dtype=torch.float64)
    curves = {0: torch.stack([t.cos(), t.sin()], 1), 1: torch.stack([1 - t.cos(), 0.5 - t.sin()], 1)}
    for label, curve in curves.items():
        dist = torch.cdist(X[y == label], curve).min(dim=1).values
        # the distance to the curve is about the normal noise component: E|N(0, 0.2)| = 0.16
        assert dist.mean().item() < 0.2
        assert dist.mean().item() > 0.05


def test_moons_options_and_spec_strings():
    task = create_task("moons(noise=0.1, n_samples=500)", seed=0)
    assert task.train[0].shape[0] == 320
    norm = create_task("moons", seed=0, normalize=True)
    assert torch.allclose(norm.train[0].mean(0), torch.zeros(2), atol=1e-6)
    assert torch.allclose(norm.train[0].std(0), torch.ones(2), atol=1e-5)
    assert "moons" in TASKS.names()


def test_unknown_task_suggests_the_name():
    from gradlab.errors import UnknownComponentError

    with pytest.raises(UnknownComponentError, match="did you mean 'moons'"):
        create_task("moon")
