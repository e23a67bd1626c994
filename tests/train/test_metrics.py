"""Metrics and losses against brute-force loops."""

import pytest
import torch

from gradlab.errors import ConfigError
from gradlab.train.metrics import accuracy, get_loss, get_metric, mse


def test_binary_accuracy_predicts_one_where_the_logit_is_positive():
    logits = torch.tensor([[2.0], [-1.0], [0.5], [-0.1], [0.0]])
    targets = torch.tensor([[1.0], [0.0], [0.0], [1.0], [0.0]])
    expected = sum(int((l > 0) == (t == 1)) for l, t in zip(logits.flatten().tolist(), targets.flatten().tolist())) / 5
    assert accuracy(logits, targets).item() == pytest.approx(expected)


def test_multiclass_accuracy_is_the_argmax_hit_rate():
    torch.manual_seed(0)
    logits = torch.randn(50, 4)
    targets = torch.randint(0, 4, (50,))
    hits = sum(int(max(range(4), key=lambda k: row[k]) == t) for row, t in zip(logits.tolist(), targets.tolist()))
    assert accuracy(logits, targets).item() == pytest.approx(hits / 50)


def test_mse_and_losses_match_their_definitions():
    torch.manual_seed(0)
    out, target = torch.randn(10, 3), torch.randn(10, 3)
    brute = sum((a - b) ** 2 for a, b in zip(out.flatten().tolist(), target.flatten().tolist())) / 30
    assert mse(out, target).item() == pytest.approx(brute, rel=1e-6)
    assert get_loss("mse")(out, target).item() == pytest.approx(brute, rel=1e-6)
    logits, labels = torch.randn(8, 1), torch.randint(0, 2, (8, 1)).float()
    p = torch.sigmoid(logits)
    bce = -(labels * p.log() + (1 - labels) * (1 - p).log()).mean()
    assert get_loss("bce")(logits, labels).item() == pytest.approx(bce.item(), rel=1e-5)


def test_unknown_names_say_what_exists():
    with pytest.raises(ConfigError, match="accuracy"):
        get_metric("acc")
    with pytest.raises(ConfigError, match="bce"):
        get_loss("hinge")
