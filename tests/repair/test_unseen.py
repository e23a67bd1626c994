"""Faulty setups that are not in the zoo the headline figure is measured on, in plain PyTorch.

Written the way a user would: a module with ``F.relu`` in its forward and a bad init scale, Adam
at a learning rate far too small, NaN in the mini-batches the loader serves, NaN in the targets
(which no change to the model or the optimizer can fix: it must say so in one line).
"""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import gradlab
from gradlab.data import create_task

(X, Y), (XD, YD) = create_task("moons", seed=0).train, create_task("moons", seed=0).dev


class Deep(nn.Module):
    def __init__(self, std):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip([2] + [32] * 8, [32] * 8 + [1]))
        for layer in self.layers:
            nn.init.normal_(layer.weight, 0.0, std)

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = F.relu(layer(x))
        return self.layers[-1](x)


def _mlp():
    return nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1))


def _build(model, opt, **kw):
    def build(seed):
        torch.manual_seed(seed)
        m = model()
        return m, opt(m.parameters(), **kw)

    return build


def _train(x=X, y=Y, batch=None, steps=200):
    def train(model, opt):
        g = torch.Generator().manual_seed(0)
        loss_fn = nn.BCEWithLogitsLoss()
        for _ in range(steps):
            idx = torch.randint(0, len(x), (batch,), generator=g) if batch else slice(None)
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            gradlab.log(loss=loss)
        with torch.no_grad():
            return ((model(XD) > 0).float() == YD).float().mean()

    return train


def _nan(t, every):
    t = t.clone()
    t[::every, 0] = float("nan")
    return t


CASES = {
    "relu-module-init-std-1": (_build(lambda: Deep(1.0), torch.optim.SGD, lr=0.01), _train()),
    "adam-lr-1e-6": (_build(_mlp, torch.optim.Adam, lr=1e-6), _train(batch=64)),
    "nan-in-minibatches": (_build(_mlp, torch.optim.Adam, lr=0.01), _train(x=_nan(X, 40), batch=64)),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_an_unseen_faulty_setup_is_repaired(name):
    build, train = CASES[name]
    # budget 4: the fix of the bad init comes third (after a lower rate and clipping) and needs 8
    # of the default 9 trial-lengths; on a loaded machine trials stretch unevenly. The default
    # budget is measured by benchmarks/bench_repair.py, not asserted here.
    r = gradlab.repair(build, train, seeds=3, progress=False, budget=4.0)
    assert r.fixed, str(r)
    assert all(r.after.values[s] > r.before.values[s] for s in r.before.values)
    assert r.after.mean >= 0.65  # it learns: well above chance (0.5) on average
    assert not any(f.severity == "error" for fs in r.after.findings.values() for f in fs)


@pytest.mark.slow
def test_nan_in_the_data_is_patched_at_the_input_and_the_result_says_the_data_needs_cleaning():
    build, train = CASES["nan-in-minibatches"]
    r = gradlab.repair(build, train, seeds=2, progress=False)
    assert r.changes == {"task.nan_to_num": True}
    assert "the data holds NaN/Inf: clean it" in r.message and "stop-gap" in r.message
    assert "torch.nan_to_num(x" in r.code and "drop the broken rows" in r.code


def test_nan_in_the_targets_is_not_repaired_and_says_why_in_one_line():
    build = _build(_mlp, torch.optim.SGD, lr=0.1)
    r = gradlab.repair(build, _train(y=_nan(Y, 10), steps=30), seeds=2, progress=False)
    assert not r.fixed and r.changes == {}
    assert r.message.startswith("not repaired: ") and "\n" not in r.message
    assert r.message.endswith("[non_finite]")
