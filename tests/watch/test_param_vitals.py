"""Parametric-layer vitals against brute-force recomputation."""

import copy
import math

import pytest
import torch
from torch import nn

import gradlab
from tests.watch.conftest import train


def brute_symmetry(w: torch.Tensor) -> float:
    w = w.detach().double().reshape(w.shape[0], -1)
    total = (w * w).sum()
    if total == 0:
        return 0.0
    return math.sqrt(((w - w.mean(0)) ** 2).sum() / total)


def at(w, layer, stat, step):
    return dict(zip(*w.vitals.series(layer, stat)))[step]


def test_norms_ratios_update_and_out_grad_match_brute_force():
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    x, y = torch.randn(10, 3), torch.randn(10, 2)
    # brute force for step 0: gradients at the initial weights, update after one Adam step
    ref = copy.deepcopy(model)
    ref_opt = torch.optim.Adam(ref.parameters(), lr=0.01)
    h = ref[0](x)
    h.retain_grad()
    loss = nn.functional.mse_loss(ref[2](ref[1](h)), y)
    loss.backward()
    before = [p.detach().clone() for p in ref[0].parameters()]
    g = {n: p.grad.clone() for n, p in ref[0].named_parameters()}
    ref_opt.step()
    upd = torch.cat([(a - p.detach()).flatten() for a, p in zip(before, ref[0].parameters())]).norm()
    wnorm = torch.cat([b.flatten() for b in before]).norm()
    gnorm = torch.cat([v.flatten() for v in g.values()]).norm()
    with gradlab.watch(model, optimizer=opt, every=1) as w:
        train(model, opt, x, y, 1, w)
    assert at(w, "0", "grad_norm/weight", 0) == pytest.approx(g["weight"].norm().item(), rel=1e-5)
    assert at(w, "0", "grad_norm", 0) == pytest.approx(gnorm.item(), rel=1e-5)
    assert at(w, "0", "weight_norm", 0) == pytest.approx(wnorm.item(), rel=1e-5)
    assert at(w, "0", "grad_weight_ratio", 0) == pytest.approx((gnorm / wnorm).item(), rel=1e-5)
    assert at(w, "0", "update_ratio", 0) == pytest.approx((upd / wnorm).item(), rel=1e-4)
    assert at(w, "0", "out_grad_norm", 0) == pytest.approx(h.grad.norm().item(), rel=1e-5)
    assert at(w, "0", "row_symmetry", 0) == pytest.approx(brute_symmetry(before[0]), abs=1e-5)
    assert at(w, "0", "nonfinite_grad", 0) == 0 and at(w, "", "loss", 0) == pytest.approx(loss.item())


@pytest.mark.parametrize("fill", [0.0, 0.3], ids=["zeros", "constant"])
def test_zero_and_constant_init_read_zero_symmetry(fill):
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 1))
    for p in model.parameters():  # every parameter constant: seed 002's symmetric init
        nn.init.constant_(p, fill)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with gradlab.watch(model, optimizer=opt, every=1) as w:
        train(model, opt, torch.randn(8, 4), torch.randn(8, 1), 3)
    # rows stay identical under training (the symmetry is never broken)
    assert w.vitals.series("0", "row_symmetry")[1] == [0.0, 0.0, 0.0]
    assert brute_symmetry(model[0].weight) < 1e-6


def test_random_rows_read_about_one():
    lin = nn.Linear(200, 50)
    model = nn.Sequential(lin)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    with gradlab.watch(model, optimizer=opt, every=1) as w:
        train(model, opt, torch.randn(4, 200), torch.randn(4, 50), 1)
    assert w.vitals.last("0", "row_symmetry") == pytest.approx(brute_symmetry(lin.weight), abs=1e-4)
    assert 0.95 < w.vitals.last("0", "row_symmetry") <= 1.0


def test_nonfinite_counts_and_inplace_out_grad():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(inplace=True), nn.Linear(3, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    with torch.no_grad():
        model[2].weight[0, 0] = float("nan")
    x = torch.randn(4, 2)
    with gradlab.watch(model, optimizer=opt, every=1) as w:
        train(model, opt, x, torch.randn(4, 1), 1, w)
    assert w.vitals.last("2", "nonfinite_weight") == 1
    assert w.vitals.last("2", "nonfinite_out") == 4
    assert w.vitals.last("", "loss_nonfinite") == 1
    assert math.isnan(w.vitals.last("0", "out_grad_norm")) or w.vitals.last("0", "nonfinite_grad") > 0


def test_update_ratio_without_optimizer_uses_forward_snapshot():
    model = nn.Sequential(nn.Linear(3, 4))
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    x, y = torch.randn(5, 3), torch.randn(5, 4)
    w0 = torch.cat([p.detach().flatten().clone() for p in model.parameters()])
    with gradlab.watch(model, every=2) as w:
        for _ in range(3):
            opt.zero_grad()
            loss = nn.functional.mse_loss(model(x), y)
            loss.backward()
            opt.step()
            if _ == 0:
                w1 = torch.cat([p.detach().flatten().clone() for p in model.parameters()])
            w.step(loss=loss)
    assert w.vitals.series("0", "update_ratio")[0] == [0, 2]
    assert at(w, "0", "update_ratio", 0) == pytest.approx(((w1 - w0).norm() / w0.norm()).item(), rel=1e-5)
    assert w.vitals.series("", "loss")[0] == [0, 1, 2]
