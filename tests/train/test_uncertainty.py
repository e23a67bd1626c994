"""MC dropout, far points and the AUROC, against brute-force twins."""

import itertools

import pytest
import torch
from torch import nn

import gradlab
from gradlab.errors import ConfigError
from gradlab.models import mlp
from gradlab.train.experiment import run_trial
from gradlab.train.uncertainty import auroc, far_points, mc_predict


def brute_auroc(pos, neg):
    pairs = list(itertools.product(pos.tolist(), neg.tolist()))
    return sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in pairs) / len(pairs)


@pytest.mark.parametrize("seed", range(6))
def test_auroc_equals_a_brute_force_pair_count_ties_included(seed):
    g = torch.Generator().manual_seed(seed)
    pos = torch.randint(0, 6, (int(torch.randint(1, 30, (1,), generator=g)),), generator=g).float()
    neg = torch.randint(0, 5, (17,), generator=g).float() * 0.9
    assert auroc(pos, neg) == pytest.approx(brute_auroc(pos, neg))


def test_auroc_extremes():
    assert auroc(torch.tensor([2.0, 3.0]), torch.tensor([0.0, 1.0])) == 1.0
    assert auroc(torch.tensor([0.0]), torch.tensor([1.0])) == 0.0
    with pytest.raises(ConfigError, match="at least one"):
        auroc(torch.tensor([]), torch.tensor([1.0]))


def _net():
    torch.manual_seed(0)
    return mlp((2,), 3, hidden=[16, 16], act="relu", norm="batch", dropout=0.3)


def test_mc_predict_equals_t_passes_with_dropout_on_and_batchnorm_in_eval():
    model, x = _net(), torch.randn(1, 2)  # one sample: BatchNorm in train mode would refuse it
    model.train()
    state = torch.get_rng_state()
    mean, var = gradlab.mc_predict(model, x, T=5, seed=11)
    assert torch.equal(torch.get_rng_state(), state)  # the global stream is untouched
    assert all(m.training for m in model.modules())  # modes restored
    model.eval()
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.train()
    torch.manual_seed(11)
    with torch.no_grad():
        outs = torch.stack([torch.softmax(model(x), -1) for _ in range(5)])
    assert torch.allclose(mean, outs.mean(0)) and torch.allclose(var, outs.var(0))
    assert (var > 0).any()


def test_mc_predict_refuses_a_model_without_dropout_and_one_pass():
    with pytest.raises(ConfigError, match="needs a model with dropout"):
        mc_predict(mlp((2,), 1, hidden=[4]), torch.zeros(3, 2))
    with pytest.raises(ConfigError, match="T >= 2"):
        mc_predict(_net(), torch.zeros(3, 2), T=1)


def test_far_points_lie_between_two_and_four_training_radii():
    x = torch.randn(200, 3) + 5
    far = far_points(x, 500, seed=1)
    radius = (x - x.mean(0)).norm(dim=1).max()
    d = (far - x.mean(0)).norm(dim=1)
    assert far.shape == (500, 3) and d.min() >= 2 * radius - 1e-4 and d.max() <= 4 * radius + 1e-4


def test_a_trial_with_dropout_reports_mc_scores_and_one_without_does_not():
    cfg = {"model": {"hidden": [32, 32], "dropout": 0.3}, "train": {"optimizer": "adam", "lr": 0.02, "epochs": 30},
           "watch": {"enabled": False}}
    m = run_trial(cfg, seed=0, device="cpu").metrics
    assert m["mc_test_accuracy"] > 0.75 and 0 <= m["ood_auroc"] <= 1
    assert m["mc_far_uncertainty"] > m["mc_test_uncertainty"]  # moons: far points are less certain
    plain = run_trial({**cfg, "model": {"hidden": [32, 32]}}, seed=0, device="cpu").metrics
    assert "ood_auroc" not in plain
