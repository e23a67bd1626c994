"""The W&B sink: vitals to the active run on their own step axis, findings into the summary."""

import pytest
import torch
from torch import nn

import gradlab
from gradlab.errors import ConfigError
from gradlab.watch.sinks.wandb import WandbSink

wandb = pytest.importorskip("wandb")


class FakeRun:
    def __init__(self):
        self.logged, self.summary, self.metrics = [], {}, []

    def define_metric(self, name, step_metric=None):
        self.metrics.append((name, step_metric))

    def log(self, data):
        self.logged.append(dict(data))


def _train(sinks, steps=6):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.randn(16, 4)
    with gradlab.watch(model, optimizer=opt, every=2, sinks=sinks) as w:
        for _ in range(steps):
            opt.zero_grad()
            loss = model(x).pow(2).mean()
            loss.backward()
            opt.step()
            w.log(loss=loss)
    return w


def test_rows_go_to_the_run_on_the_gradlab_step_axis():
    run = FakeRun()
    w = _train([WandbSink(run)])
    by_step = {d["gradlab/step"]: d for d in run.logged if "gradlab/0/grad_norm" in d}
    steps, values = w.vitals.series("0", "grad_norm")
    assert sorted(by_step) == steps
    assert [by_step[s]["gradlab/0/grad_norm"] for s in steps] == values
    assert ("gradlab/*", "gradlab/step") in run.metrics
    assert run.summary["gradlab/n_findings"] == len(w.findings())


def test_offline_run_end_to_end(tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    run = wandb.init(project="gradlab-test", dir=str(tmp_path), mode="offline")
    try:
        _train(["wandb"])
        assert run.summary["gradlab/n_findings"] >= 0
    finally:
        run.finish()
    assert list(tmp_path.rglob("*.wandb"))


def test_without_an_active_run_the_error_says_what_to_do():
    assert wandb.run is None
    with pytest.raises(ConfigError, match="wandb.init"):
        _train(["wandb"])
