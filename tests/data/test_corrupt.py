"""Label noise and noise inputs: the clean task is untouched, and the noise is what it says."""

import pytest
import torch

from gradlab.data import create_task, finish_task, make_generator
from gradlab.data.corrupt import flip_labels
from gradlab.errors import ConfigError


def parts(task):
    return [task.train, task.dev, task.test]


@pytest.mark.parametrize("spec", ["moons", "circles", "spirals(k=3)", "gaussian_mixture(k=4, d=3)"])
def test_defaults_are_the_clean_task_and_corruption_moves_only_what_it_should(spec):
    clean = create_task(spec, seed=5)
    assert all(torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
               for a, b in zip(parts(clean), parts(create_task(spec, seed=5, label_noise=0.0, noise_dims=0))))
    noisy = create_task(spec, seed=5, label_noise=0.3, noise_dims=4)
    d = clean.input_shape[0]
    assert noisy.input_shape == (d + 4,) and noisy.n_outputs == clean.n_outputs
    for (xc, yc), (xn, yn) in zip(parts(clean), parts(noisy)):
        assert xn.shape == (xc.shape[0], d + 4) and yn.shape == yc.shape and yn.dtype == yc.dtype
        assert torch.equal(xn[:, :d], xc)  # the informative inputs are those of the clean task
    again = create_task(spec, seed=5, label_noise=0.3, noise_dims=4)
    assert all(torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) for a, b in zip(parts(noisy), parts(again)))
    other = create_task(spec, seed=6, label_noise=0.3, noise_dims=4)
    assert not torch.equal(noisy.train[0], other.train[0])


@pytest.mark.parametrize("k,rate", [(2, 0.2), (4, 0.3)])
def test_the_share_of_flipped_labels_is_the_rate_and_each_flip_picks_another_class_uniformly(k, rate):
    n = 40_000
    spec = "moons" if k == 2 else f"gaussian_mixture(k={k})"
    clean = create_task(spec, seed=1, n_samples=n)
    noisy = create_task(spec, seed=1, n_samples=n, label_noise=rate)
    yc = torch.cat([p[1] for p in parts(clean)]).reshape(-1).long()
    yn = torch.cat([p[1] for p in parts(noisy)]).reshape(-1).long()
    flipped = yc != yn
    sd = (rate * (1 - rate) / n) ** 0.5
    assert abs(flipped.float().mean().item() - rate) < 4 * sd  # binomial: within 4 standard deviations
    # the new class is (old + offset) mod k with the offset uniform on 1..k-1
    offsets = torch.bincount((yn[flipped] - yc[flipped]) % k, minlength=k)
    assert offsets[0] == 0
    m = int(flipped.sum())
    share_sd = ((1 / (k - 1)) * (1 - 1 / (k - 1)) / m) ** 0.5
    assert all(abs(c / m - 1 / (k - 1)) < 4 * share_sd + 1e-9 for c in offsets[1:].tolist())


def test_noise_inputs_are_standard_normal_and_carry_no_label():
    task = create_task("moons", seed=2, n_samples=20_000, noise_dims=6)
    X = torch.cat([p[0] for p in parts(task)])[:, 2:].double()
    y = torch.cat([p[1] for p in parts(task)]).reshape(-1).double()
    assert X.mean(0).abs().max() < 0.05 and (X.std(0) - 1).abs().max() < 0.05
    assert torch.corrcoef(torch.cat([X, y[:, None]], 1).T)[-1, :-1].abs().max() < 0.05


def test_flip_labels_keeps_shape_and_dtype_of_binary_labels():
    y = torch.zeros(1000, 1)
    out = flip_labels(y, 0.5, 2, make_generator(0))
    assert out.shape == y.shape and out.dtype == torch.float32 and set(out.unique().tolist()) == {0.0, 1.0}


@pytest.mark.parametrize("kw,needle", [
    ({"label_noise": 1.0}, "label_noise"), ({"label_noise": -0.1}, "label_noise"),
    ({"label_noise": "some"}, "label_noise"), ({"noise_dims": -1}, "noise_dims"),
    ({"noise_dims": 1.5}, "noise_dims"),
])
def test_bad_corruption_is_a_config_error(kw, needle):
    with pytest.raises(ConfigError, match=needle):
        create_task("moons", seed=0, **kw)


def test_label_noise_needs_labels_and_noise_inputs_no_generative_task():
    X, y = torch.randn(100, 2), torch.randn(100)
    with pytest.raises(ConfigError, match="class labels"):
        finish_task("r", "regression", X, y, (0.6, 0.2, 0.2), label_noise=0.1, generator=make_generator(0))
    with pytest.raises(ConfigError, match="generative"):
        finish_task("g", "generative", X, y, (0.6, 0.2, 0.2), noise_dims=2, generator=make_generator(0))
