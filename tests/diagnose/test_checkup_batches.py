"""checkup takes the batches and outputs of Hugging Face style code: a dict batch, ``.loss``."""

from dataclasses import dataclass

import pytest
import torch
from torch import nn

import gradlab
from gradlab.errors import ConfigError


@dataclass
class Output:
    loss: torch.Tensor
    logits: torch.Tensor


class DictModel(nn.Module):
    """model(**batch) -> Output(loss, logits), computing its own loss from ``labels``."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, features, labels=None):
        logits = self.net(features)
        loss = nn.functional.cross_entropy(logits, labels) if labels is not None else None
        return Output(loss, logits)


def _net(seed=0):
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(6, 12), nn.ReLU(), nn.Linear(12, 12), nn.ReLU(), nn.Linear(12, 3))
    with torch.no_grad():
        net[2].bias[:8] = -50.0  # eight units of the second layer dead on every sample
    return net


def _keys(findings):
    return sorted((f.code, f.layer.replace("net.", "") if f.layer else None, f.severity) for f in findings)


def test_dict_batch_and_own_loss_give_the_findings_of_the_plain_call():
    x, y = torch.randn(32, 6), torch.randint(0, 3, (32,))
    plain = gradlab.checkup(_net(), x, y, loss_fn=nn.functional.cross_entropy)
    model = DictModel(_net())
    before = {k: v.clone() for k, v in model.state_dict().items()}
    wrapped = gradlab.checkup(model, {"features": x, "labels": y})
    assert _keys(wrapped) == _keys(plain)
    assert any(f.code == "dead_units" for f in wrapped)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert all(p.grad is None for p in model.parameters())


def test_loss_fn_gets_the_logits_of_an_output_object():
    x, y = torch.randn(32, 6), torch.randint(0, 3, (32,))
    plain = gradlab.checkup(_net(), x, y, loss_fn=nn.functional.cross_entropy)
    wrapped = gradlab.checkup(DictModel(_net()), {"features": x}, y, loss_fn=nn.functional.cross_entropy)
    assert _keys(wrapped) == _keys(plain)


def test_tuple_batch_is_unpacked():
    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = _net()

        def forward(self, a, b):
            return self.net(a + b)

    x = torch.randn(16, 6)
    findings = gradlab.checkup(Two(), (x, x))
    assert any(f.code == "dead_units" for f in findings)


def test_tiny_gpt2_dict_batch():
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    cfg = transformers.GPT2Config(n_layer=2, n_embd=32, n_head=2, vocab_size=64, n_positions=16)
    model = transformers.GPT2LMHeadModel(cfg)
    ids = torch.randint(0, 64, (4, 16))
    findings = gradlab.checkup(model, {"input_ids": ids, "labels": ids})
    assert [f for f in findings if f.severity == "error"] == []
    assert all(p.grad is None for p in model.parameters())


def test_a_batch_of_the_wrong_kind_is_one_line():
    with pytest.raises(ConfigError) as err:
        gradlab.checkup(_net(), "some text")
    assert "dict of model inputs" in str(err.value) and "str" in str(err.value)
