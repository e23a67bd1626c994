"""checkup (the pre-flight): the model comes back exactly as it was; forward-only gives no gradient findings."""

import pytest
import torch
import torch.nn as nn

from gradlab.monitor.checkup import checkup

import zoo

pytest.importorskip("gradlab.watch.watch")


def _cnn():
    torch.manual_seed(0)
    return zoo.SmallCNN(norm=True)


def test_checkup_restores_weights_buffers_grads_modes_and_rng():
    model = _cnn()
    model.eval()
    model.conv1.train()  # a mixed mode must come back as it was
    x, y = zoo.images()
    model.head.weight.grad = torch.full_like(model.head.weight, 7.0)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    modes = {n: m.training for n, m in model.named_modules()}
    rng = torch.random.get_rng_state()
    checkup(model, x[:64], y[:64], loss_fn=nn.BCEWithLogitsLoss())
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # BatchNorm running stats too
    assert {n: m.training for n, m in model.named_modules()} == modes
    assert torch.equal(model.head.weight.grad, torch.full_like(model.head.weight, 7.0))
    assert model.conv1.weight.grad is None
    assert torch.equal(torch.random.get_rng_state(), rng)
    assert not model._forward_hooks and not model.conv1._forward_hooks


def test_forward_only_checkup_finds_dead_units_but_no_gradient_findings():
    s = zoo.dying()
    x, y = zoo.checkup_batch(s)
    forward_only = {f.code for f in checkup(s["model"], x)}
    assert "dead_units" in forward_only
    assert not forward_only & {"vanishing_gradient", "exploding_gradient"}
    with_grad = {f.code for f in checkup(s["model"], x, y, loss_fn=s["loss_fn"])}
    assert "vanishing_gradient" in with_grad


def test_checkup_rejects_a_non_tensor_batch():
    from gradlab.errors import ConfigError

    with pytest.raises(ConfigError):
        checkup(nn.Linear(2, 1), [[0.0, 1.0]])
