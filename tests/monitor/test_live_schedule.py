"""Live diagnosis on long runs: spaced out (its cost grows with the history), at once for a
non-finite value, and complete at the end of the run."""

import pytest
import torch
from torch import nn

import gradlab
from gradlab.errors import TrainingStopped
from gradlab.monitor import live as L
from gradlab.watch.listeners import WatchListener
from loops import mse_steps


def _fit(steps, *, every=1, nan_at=None, dead=True, **kw):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    if dead:
        with torch.no_grad():
            model[0].bias.fill_(-5.0)  # dead units: a finding from the first reports on
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.randn(16, 4), torch.randn(16, 1)
    with gradlab.watch(model, optimizer=opt, every=every, **kw) as w:
        def poison(i):
            if i == nan_at:
                with torch.no_grad():
                    model[2].weight[0, 0] = float("nan")

        mse_steps(w, model, opt, x, y, steps, before=poison)
    return w


@pytest.fixture
def diagnoses(monkeypatch):
    steps = []
    update = L.LiveDiagnoser.update

    def counted(self, vitals, layers, step=None):
        steps.append(step)
        return update(self, vitals, layers, step)

    monkeypatch.setattr(L.LiveDiagnoser, "update", counted)
    return steps


def test_long_runs_are_diagnosed_on_a_spaced_schedule(diagnoses):
    _fit(300, on_finding=lambda f: None)
    # brute force: the first 8 reports, then gaps of a quarter of the reports so far, at most 16
    want, r, nxt = [], 0, 1
    for step in range(300):
        r += 1
        if r >= nxt:
            want.append(step)
            nxt = r + min(max(1, r // 4), L.MAX_GAP)
    assert diagnoses[: len(want)] == want and len(want) < 40
    assert diagnoses[len(want):] == [299]  # the end of the run: the skipped reports


def test_a_nan_stops_training_at_the_report_that_records_it():
    # step 245 falls between two scheduled diagnoses (237 and 253)
    done = []
    with pytest.raises(TrainingStopped) as stop:
        _fit(300, nan_at=245, dead=False, stop_on="error", listeners=[_StepCounter(done)])
    assert stop.value.finding.code == "non_finite" and stop.value.finding.step == 245
    assert done[-1] == 245  # stopped by the report of the very step


class _StepCounter(WatchListener):
    def __init__(self, done):
        self.done = done

    def on_report(self, watch, step):
        self.done.append(step)


def test_every_finding_of_the_run_is_announced_by_its_end():
    live = []
    w = _fit(300, on_finding=live.append)
    assert {f.key for f in live} == {f.key for f in w.findings()}
