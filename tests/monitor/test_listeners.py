"""Watch listeners: the plug-in interface live diagnosis (and integrations) hang on the watch."""

import json
import subprocess
import sys

import pytest
import torch
from torch import nn

from gradlab.errors import ConfigError, TrainingStopped
from gradlab.watch.listeners import WatchListener
from gradlab.watch.watch import watch
from loops import mse_steps


class Recorder(WatchListener):
    def __init__(self):
        self.calls = []

    def on_attach(self, watch):
        self.calls.append(("attach", watch.step_index))

    def on_report(self, watch, step):
        # what a listener relies on: the vitals of this report are already recorded
        self.calls.append(("report", step, watch.vitals.last("0", "grad_norm") is not None))

    def on_detach(self, watch, error):
        self.calls.append(("detach", type(error).__name__ if error else None))


def _train(w, model, opt, steps):
    x, y = torch.randn(16, 3), torch.randn(16, 1)
    mse_steps(w, model, opt, x, y, steps)


def _net():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))
    return model, torch.optim.SGD(model.parameters(), lr=0.01)


def test_listener_sees_attach_every_report_and_detach_in_order():
    model, opt = _net()
    rec = Recorder()
    with watch(model, optimizer=opt, every=2, listeners=[rec]) as w:
        _train(w, model, opt, 5)  # sampled steps 0, 2, 4; at exit the last losses are pulled
    assert rec.calls == [("attach", 0), ("report", 0, True), ("report", 2, True), ("report", 4, True),
                         ("report", 4, True), ("detach", None)]


def test_listener_is_told_the_exception_and_the_model_is_unhooked():
    model, opt = _net()
    rec = Recorder()
    with pytest.raises(RuntimeError, match="boom"):
        with watch(model, optimizer=opt, listeners=[rec]):
            raise RuntimeError("boom")
    assert rec.calls[-1] == ("detach", "RuntimeError")
    assert not any(m._forward_hooks for m in model.modules())


def test_a_listener_exception_stops_training_like_stop_on():
    class Stopper(WatchListener):
        def on_report(self, watch, step):
            if step >= 2:
                raise TrainingStopped("enough")

    model, opt = _net()
    with pytest.raises(TrainingStopped):
        with watch(model, optimizer=opt, every=1, listeners=Stopper()) as w:
            _train(w, model, opt, 10)
    assert w.step_index == 2  # stopped inside step 2, at its report
    assert not any(m._forward_hooks for m in model.modules())


def test_duck_typed_listener_works_and_a_non_listener_is_refused():
    seen = []

    class Plain:
        def on_report(self, watch, step):
            seen.append(step)

    model, opt = _net()
    with watch(model, optimizer=opt, every=1, listeners=[Plain()]) as w:
        _train(w, model, opt, 2)
    assert seen == [0, 1, 1]  # and once more at exit, with the last step's loss
    with pytest.raises(ConfigError, match="on_report"):
        watch(model, listeners=[object()])


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_measuring_watch_imports_no_diagnosis():
    out = _run("import sys, gradlab.watch.watch, gradlab.watch.sinks\n"
               "print(sorted(m for m in sys.modules if m.startswith(('gradlab.diagnose', 'gradlab.monitor'))))")
    assert out.strip() == "[]"


@pytest.mark.parametrize("first", ["import gradlab.watch.vitals", "pass"], ids=["package-first", "function-first"])
def test_gradlab_watch_diagnoses_live_whatever_the_import_order(first):
    # gradlab.watch is the subpackage or the function depending on import order; both must
    # take on_finding= and give w.findings() (a dead ReLU layer: biases far below zero)
    out = _run(f"""{first}
import json, torch, torch.nn as nn, gradlab
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))
with torch.no_grad():
    model[0].bias.fill_(-100.0)
opt = torch.optim.SGD(model.parameters(), lr=0.01)
seen = []
x, y = torch.randn(64, 2), torch.randn(64, 1)
with gradlab.watch(model, optimizer=opt, every=5, on_finding=seen.append) as w:
    for _ in range(40):
        opt.zero_grad(); loss = nn.functional.mse_loss(model(x), y); loss.backward(); opt.step()
        w.log(loss=loss)
print(json.dumps([type(gradlab.watch).__name__, isinstance(w, gradlab.Watch),
                  sorted({{f.code for f in seen}}), sorted({{f.code for f in w.findings()}})]))
""")
    kind, is_watch, live, after = json.loads(out)
    assert kind == ("_CallableWatchPackage" if first != "pass" else "function")
    assert is_watch
    assert "dead_units" in live and "dead_units" in after
