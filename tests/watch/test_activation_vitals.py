"""Activation-site vitals against brute-force recomputation from captured pre-activations."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import gradlab
from tests.watch.conftest import capture, train


def brute(z: torch.Tensor, y: torch.Tensor) -> dict:
    z, y = z.double(), y.double()
    return {
        "pre_mean": z.mean().item(), "pre_std": z.std(unbiased=False).item(),
        "neg_frac": (z < 0).double().mean().item(), "out_mean": y.mean().item(),
        "out_std": y.std(unbiased=False).item(), "zero_frac": (y == 0).double().mean().item(),
    }


def check(w, layer, step, ref, rel=1e-4):
    for stat, value in ref.items():
        got = dict(zip(*w.vitals.series(layer, stat)))[step]
        assert got == pytest.approx(value, rel=rel, abs=1e-6), (layer, stat)


@pytest.mark.parametrize("inplace", [False, True], ids=["relu", "relu_inplace"])
def test_module_relu_moments_and_dead_window_match_brute_force(inplace):
    model = nn.Sequential(nn.Linear(3, 16), nn.ReLU(inplace=inplace), nn.Linear(16, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    batches = [(torch.randn(8, 3), torch.randn(8, 1)) for _ in range(6)]
    pres = []
    capture(model[0], pres, pre=False)  # the Linear output is the ReLU's pre-activation
    with gradlab.watch(model, optimizer=opt, every=3) as w:
        train(model, opt, None, None, 6, w, batches=batches)
    # step 3 closes the window of steps 1..3; moments are those of step 3 alone
    z3 = pres[3]
    check(w, "1", 3, brute(z3, z3.clamp_min(0)))
    window = torch.cat(pres[1:4])
    dead = (window <= 0).all(0)
    assert w.vitals.last("1", "n_units") == 16
    assert dict(zip(*w.vitals.series("1", "dead_units")))[3] == dead.sum().item()
    assert dict(zip(*w.vitals.series("1", "dead_frac")))[3] == pytest.approx(dead.double().mean().item())


def test_constructed_layer_with_k_dead_units_reads_k_over_n():
    n, k = 10, 4
    lin = nn.Linear(5, n)
    with torch.no_grad():
        lin.weight.normal_()
        lin.bias.fill_(0.0)
        lin.weight[:k] = 0.0
        lin.bias[:k] = -1.0  # these k units see z = -1 on every sample: dead
        lin.bias[k:] = 10.0  # the others are active on every sample
    model = nn.Sequential(lin, nn.ReLU(), nn.Linear(n, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    with gradlab.watch(model, optimizer=opt, every=1) as w:
        train(model, opt, torch.randn(20, 5), torch.randn(20, 1), 2)
    assert w.vitals.last("1", "dead_frac") == pytest.approx(k / n)
    assert w.vitals.last("1", "dead_units") == k


def test_conv_units_are_channels():
    model = nn.Sequential(nn.Conv2d(2, 6, 3), nn.BatchNorm2d(6), nn.ReLU(), nn.Flatten(), nn.LazyLinear(1))
    model(torch.randn(2, 2, 6, 6))
    with torch.no_grad():
        model[1].bias[:2] = -100.0  # channels 0, 1 pushed far below zero: dead
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    pres = []
    capture(model[1], pres, pre=False)
    with gradlab.watch(model, optimizer=opt, every=1) as w:
        train(model, opt, torch.randn(4, 2, 6, 6), torch.randn(4, 1), 1)
    assert w.vitals.last("2", "n_units") == 6
    assert w.vitals.last("2", "dead_units") == 2
    check(w, "2", 0, brute(pres[0], pres[0].clamp_min(0)))


class FunctionalNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.out = nn.Linear(3, 8), nn.Linear(8, 8), nn.Linear(8, 1)
        self.act = F.relu  # the seed articles' pattern

    def forward(self, x):
        a = self.fc1(x)
        h = self.act(a)
        b = self.fc2(h)
        h2 = torch.sigmoid(b) + b.relu()
        return self.out(h2)


def test_functional_calls_are_attributed_and_match_brute_force():
    model = FunctionalNet()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    a, b = [], []
    capture(model.fc1, a, pre=False)
    capture(model.fc2, b, pre=False)
    with gradlab.watch(model, optimizer=opt, every=1) as w:
        train(model, opt, torch.randn(16, 3), torch.randn(16, 1), 2)
    acts = {l.path: l.act for l in w.layers if l.kind == "activation"}
    assert acts == {":relu#0": "relu", ":sigmoid#0": "sigmoid", ":relu#1": "relu"}
    check(w, ":relu#0", 1, brute(a[1], a[1].clamp_min(0)))
    check(w, ":sigmoid#0", 1, brute(b[1], torch.sigmoid(b[1])))
    check(w, ":relu#1", 1, brute(b[1], b[1].clamp_min(0)))
    d = torch.sigmoid(b[1]) * (1 - torch.sigmoid(b[1]))
    sat = d < 0.01 * 0.25
    assert w.vitals.last(":sigmoid#0", "sat_frac") == pytest.approx(sat.double().mean().item())
    assert w.vitals.last(":sigmoid#0", "sat_unit_frac") == pytest.approx((sat.double().mean(0) > 0.5).double().mean().item())


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return F.leaky_relu(self.fc(x), 0.2)


def test_shared_modules_get_one_site_per_call_and_nested_paths():
    act = nn.Tanh()
    block = Block()

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.block, self.act, self.head = block, act, nn.Linear(4, 1)

        def forward(self, x):
            return self.head(self.act(self.block(self.act(self.block(x)))))

    model = Net()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with gradlab.watch(model, optimizer=opt, every=1) as w:
        train(model, opt, torch.randn(8, 4), torch.randn(8, 1), 1)
    names = [l.path for l in w.layers]
    assert names == ["block.fc", "block:leaky_relu#0", "act", "block:leaky_relu#1", "act#1", "head"]
    assert w.vitals.last("block:leaky_relu#0", "dead_frac") == 0.0  # leaky units never die
    assert w.vitals.last("act#1", "n_units") == 4


@pytest.mark.parametrize(
    "module,z,dead",
    [
        (nn.GELU(), -8.0, True),  # float32 GELU gradient is exactly 0 at -8
        (nn.GELU(), -3.0, False),
        (nn.ELU(), -120.0, True),  # alpha*exp(z) underflows to 0
        (nn.ELU(), -5.0, False),
        (nn.SELU(), -120.0, True),
        (nn.LeakyReLU(0.01), -100.0, False),
        (nn.ReLU(), 0.0, True),  # PyTorch's relu'(0) is 0
        (nn.ReLU(), 1e-3, False),
    ],
    ids=["gelu-8", "gelu-3", "elu-120", "elu-5", "selu-120", "leaky-100", "relu0", "relu+"],
)
def test_dead_semantics_follow_the_derivative(module, z, dead):
    lin = nn.Linear(2, 3)
    with torch.no_grad():
        lin.weight.zero_()
        lin.bias.fill_(z)
    model = nn.Sequential(lin, module, nn.Linear(3, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    with gradlab.watch(model, optimizer=opt, every=1) as w:
        train(model, opt, torch.randn(4, 2), torch.randn(4, 1), 1)
    assert w.vitals.last("1", "dead_frac") == (1.0 if dead else 0.0)
    if isinstance(module, nn.LeakyReLU):
        assert w.vitals.last("1", "neg_frac") == 1.0


def test_no_grad_and_eval_forwards_are_not_counted():
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    x = torch.randn(8, 2)
    with gradlab.watch(model, optimizer=opt, every=1) as w:
        with torch.no_grad():
            model(-100 * x)  # would make every unit look alive/dead if it were counted
        model.eval()
        model(100 * x)
        model.train()
        train(model, opt, x, torch.randn(8, 1), 1)
    z = model[0](x)
    assert w.vitals.last("1", "dead_units") == (z <= 0).all(0).sum().item()
    assert w.vitals.last("1", "pre_mean") == pytest.approx(z.mean().item(), rel=1e-5)


def test_histograms_keep_negative_values():
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    x = torch.randn(32, 2)
    with gradlab.watch(model, optimizer=opt, every=1, histograms=True, histogram_bins=8) as w:
        train(model, opt, x, torch.randn(32, 1), 1)
    (step, edges, counts), = w.vitals.histograms("1", "pre")
    z = model[0](x)
    assert edges[0] == pytest.approx(z.min().item()) and edges[0] < 0
    assert sum(counts) == z.numel()


@pytest.mark.parametrize("act", [nn.Sigmoid(), nn.Tanh(), nn.ReLU()], ids=["sigmoid", "tanh", "relu"])
def test_out_counts_of_finite_and_nonfinite_outputs(act):
    model = nn.Sequential(nn.Linear(2, 5), act, nn.Linear(5, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    x = torch.randn(8, 2)
    with gradlab.watch(model, optimizer=opt, every=1) as w:
        train(model, opt, x, torch.randn(8, 1), 1)
        y = act(model[0](x)).detach()  # before the NaN step (lr=0 * NaN grads makes weights NaN)
        x_bad = x.clone()
        x_bad[:3, 0] = float("nan")  # rows 0..2 of every unit: 3 * 5 non-finite outputs
        opt.zero_grad()
        model(x_bad).sum().backward()
        opt.step()
    nf = dict(zip(*w.vitals.series("1", "nonfinite_out")))
    assert nf[0] == 0 and nf[1] == 15
    assert dict(zip(*w.vitals.series("1", "zero_frac")))[0] == pytest.approx((y == 0).double().mean().item())
    assert dict(zip(*w.vitals.series("0", "nonfinite_out")))[1] == 15
    assert dict(zip(*w.vitals.series("0", "nonfinite_in")))[1] == 3


def test_histogram_of_a_large_tensor_uses_every_kth_sample():
    # 64 x 1024 = 65 536 values > HIST_VALUES (16 384): every 4th sample (16 whole rows) is used.
    model = nn.Sequential(nn.Linear(4, 1024), nn.Tanh(), nn.Linear(1024, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    x = torch.randn(64, 4)
    with gradlab.watch(model, optimizer=opt, every=1, histograms=True, histogram_bins=16) as w:
        train(model, opt, x, torch.randn(64, 1), 1)
    (_, edges, counts), = w.vitals.histograms("1", "pre")
    used = model[0](x).detach()[::4]
    lo, hi = used.min().item(), used.max().item()
    assert edges[0] == pytest.approx(lo) and edges[-1] == pytest.approx(hi)
    assert counts == torch.histc(used, bins=16, min=lo, max=hi).tolist()
    assert sum(counts) == 16 * 1024
