"""The Lightning callback: sites although forward is never called, vitals to the loggers, live
findings as warnings, stop_on stops the Trainer."""

import csv
import logging
import warnings

import pytest
import torch
from torch import nn

pl = pytest.importorskip("lightning.pytorch")
from gradlab.integrations.lightning import WatchCallback  # noqa: E402


class Net(pl.LightningModule):
    """training_step uses self.net directly: LightningModule.forward is never called."""

    def __init__(self, lr=0.05, nan_at=None):
        super().__init__()
        torch.manual_seed(0)
        self.net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
        self.lr, self.nan_at = lr, nan_at
        self.losses = []

    def training_step(self, batch, batch_idx):
        if self.nan_at is not None and self.global_step == self.nan_at:
            with torch.no_grad():
                self.net[2].weight[0, 3] = float("nan")
        x, y = batch
        loss = nn.functional.mse_loss(self.net(x), y)
        self.losses.append(float(loss.detach()))
        return loss

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.lr)


def _loader(n=64, batch=8):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(n, 4, generator=g)
    y = x.sum(1, keepdim=True)
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=batch)


def _trainer(tmp_path, steps, cb, **kw):
    from lightning.pytorch.loggers import CSVLogger

    return pl.Trainer(max_steps=steps, callbacks=[cb], logger=CSVLogger(tmp_path), accelerator="cpu",
                      enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False, **kw)


def test_sites_vitals_and_loss_reach_the_loggers(tmp_path):
    cb = WatchCallback(every=5)
    module = Net()
    trainer = _trainer(tmp_path, 20, cb)
    trainer.fit(module, _loader())
    w = cb.watch
    assert w.step_index == 20
    assert [(l.path, l.act) for l in w.layers if l.kind == "activation"] == [("net.1", "relu")]
    assert w.vitals.series("net.0", "grad_norm")[0] == [0, 5, 10, 15]
    assert w.vitals.series("", "loss")[1] == pytest.approx(module.losses, rel=1e-6)
    with open(trainer.logger.log_dir + "/metrics.csv") as f:
        header = next(csv.reader(f))
    assert "gradlab/net.0/grad_norm" in header and "gradlab/net.1/dead_frac" in header and "gradlab/loss" in header
    assert isinstance(cb.findings(), list)
    assert not w._attached and not module.net[1]._forward_hooks  # the model is as it was


def test_gradient_accumulation_counts_optimizer_steps(tmp_path):
    cb = WatchCallback(every=2)
    _trainer(tmp_path, 6, cb, accumulate_grad_batches=2).fit(Net(), _loader())
    assert cb.watch.step_index == 6


def test_stop_on_error_stops_the_trainer_with_the_finding_in_the_log(tmp_path, caplog):
    cb = WatchCallback(every=5, stop_on="error")
    trainer = _trainer(tmp_path, 40, cb)
    with caplog.at_level(logging.ERROR, logger="gradlab"), warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        trainer.fit(Net(nan_at=12), _loader())
    assert cb.stopped_by is not None and cb.stopped_by.code == "non_finite"
    assert (cb.stopped_by.layer, cb.stopped_by.step) == ("net.2", 12)
    assert trainer.global_step < 40
    assert "gradlab stopped training" in caplog.text and "non_finite" in caplog.text
    assert any("gradlab: ERROR non_finite" in str(m.message) for m in seen)


def test_bad_stop_on_fails_at_construction():
    from gradlab.errors import ConfigError

    with pytest.raises(ConfigError, match="stop_on"):
        WatchCallback(stop_on="fatal")


class DeadNet(Net):
    """Three ReLU layers whose bias of -8 kills every unit from the start: dead_units at three
    sites and vanishing gradients below them, each code with one fix."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(),
                                 nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1))
        with torch.no_grad():
            for i in (0, 2, 4):
                self.net[i].weight.mul_(0.01)
                self.net[i].bias.fill_(-8.0)


def test_live_findings_warn_once_per_group_not_once_per_layer(tmp_path):
    from gradlab.diagnose.finding_groups import group_findings

    cb = WatchCallback(every=5)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        _trainer(tmp_path, 30, cb).fit(DeadNet(), _loader())
    said = [str(m.message) for m in seen if str(m.message).startswith("gradlab: ")]
    dead = [f for f in cb.live if f.code == "dead_units"]
    assert sorted(f.layer for f in dead) == ["net.1", "net.3", "net.5"]  # per layer in the data
    assert len(said) == len(group_findings(cb.live)) < len(cb.live)  # no group came split over two reports here
    (dead_warning,) = [m for m in said if " dead_units " in m]
    assert "3 layers: net.{1,3,5}" in dead_warning
