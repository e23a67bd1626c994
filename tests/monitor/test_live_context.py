"""Live findings are worded from the same run context as ``w.findings()``: the optimizer, its
learning rate and the model's structure, read by the watch itself."""

import torch
from torch import nn

import gradlab
from loops import mse_steps


def _adamw_run(lr, on_finding, steps=60):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 1))
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 4, generator=g)
    y = x @ torch.randn(4, 1, generator=g)
    with gradlab.watch(model, optimizer=opt, every=5, on_finding=on_finding) as w:
        mse_steps(w, model, opt, x, y, steps)
    return w


def test_a_live_finding_on_adamw_at_1e7_says_raise_the_rate_not_use_adam():
    live = []
    w = _adamw_run(1e-7, live.append)
    (f,) = [f for f in live if f.code == "loss_not_decreasing"]
    sets = [r["set"] for r in f.recommendations]
    assert {"train.optimizer": "adam"} not in sets
    assert f.recommendations[0]["set"] == {"train.lr": 1e-4}
    # the same advice as the findings read after the run
    (after,) = [a for a in w.findings() if a.code == "loss_not_decreasing"]
    assert [r["set"] for r in after.recommendations] == sets


def test_the_live_context_is_the_watch_run_context_of_the_moment():
    w = _adamw_run(1e-3, lambda f: None, steps=10)
    ctx = w.live.context()  # the watch's own run_context, read again at each report
    assert ctx["train.optimizer"] == "adamw" and ctx["train.lr"] == 1e-3
    assert ctx == w.run_context()
