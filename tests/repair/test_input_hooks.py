"""The input fixes: hooks on the model that stand in for cleaning and standardizing the data."""

import torch
from torch import nn

from gradlab.repair.input_hooks import sanitize_inputs, standardize_inputs


def _seen(model, layer):
    got = []
    layer.register_forward_pre_hook(lambda m, args: got.append(args[0].clone()))
    return got


def test_standardize_uses_the_first_training_batch_and_keeps_its_statistics():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    got = _seen(model, model[0])
    standardize_inputs(model)
    first = torch.randn(64, 3) * torch.tensor([100.0, 0.01, 5.0]) + torch.tensor([-50.0, 3.0, 0.0])
    later = torch.randn(8, 3)
    model.eval()
    model(later)  # before training: nothing is known yet, the input passes as it is
    model.train()
    model(first)
    model(later)
    mean, std = first.mean(0, keepdim=True), first.std(0, keepdim=True)
    assert torch.equal(got[0], later)
    assert torch.allclose(got[1], (first - mean) / std, atol=1e-5)
    assert torch.allclose(got[2], (later - mean) / std, atol=1e-5)


def test_standardize_takes_image_statistics_per_channel_and_leaves_integer_inputs_alone():
    model = nn.Conv2d(2, 1, 1)
    got = _seen(model, model)
    standardize_inputs(model)
    x = torch.randn(4, 2, 5, 5) * torch.tensor([3.0, 0.5]).view(1, 2, 1, 1)
    model(x)
    dims = (0, 2, 3)
    want = (x - x.mean(dims, keepdim=True)) / x.std(dims, keepdim=True)
    assert torch.allclose(got[0], want, atol=1e-5)
    emb = nn.Embedding(5, 2)
    standardize_inputs(emb)
    tokens = torch.tensor([[1, 2], [3, 4]])
    assert torch.equal(emb(tokens), emb.weight[tokens])


def test_sanitize_runs_before_the_standardizer_and_both_come_off():
    model = nn.Linear(2, 1)
    got = _seen(model, model)
    h1 = standardize_inputs(model)
    h2 = sanitize_inputs(model)
    x = torch.tensor([[float("nan"), 1.0], [2.0, float("inf")], [4.0, 3.0]])
    model(x)
    clean = torch.tensor([[0.0, 1.0], [2.0, 0.0], [4.0, 3.0]])
    assert torch.allclose(got[0], (clean - clean.mean(0)) / clean.std(0))
    h1.remove()
    h2.remove()
    model(x)
    assert torch.isnan(got[1]).any()  # the model is as it was


class TwoInputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 1)

    def forward(self, x, mask=None, extra=None):
        return self.fc(x * mask + extra)


def test_sanitize_reaches_keyword_arguments_and_standardize_only_the_first_input():
    model = TwoInputs()
    got = _seen(model, model.fc)
    standardize_inputs(model)
    sanitize_inputs(model)
    x = torch.tensor([[1.0, 2.0], [3.0, 6.0]])
    mask = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    model(x, mask, extra=torch.tensor([[float("nan"), 0.0], [0.0, float("inf")]]))
    z = (x - x.mean(0)) / x.std(0)
    assert torch.allclose(got[0], z * mask)  # the mask kept as it is, the NaN/Inf extra zeroed


class DictInput(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 1)

    def forward(self, batch):
        return self.fc(batch["x"][0] + batch["x"][1])


def test_sanitize_reaches_tensors_inside_a_batch_passed_whole():
    model = DictInput()
    got = _seen(model, model.fc)
    sanitize_inputs(model)
    nan = float("nan")
    model({"x": [torch.tensor([[nan, 1.0]]), torch.tensor([[2.0, -float("inf")]])], "ids": torch.tensor([3])})
    assert torch.equal(got[0], torch.tensor([[2.0, 1.0]]))
