"""Attach/detach, training equivalence, failures, memory bounds, sinks."""

import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import gradlab
from gradlab.errors import ConfigError, StatisticError
from gradlab.watch.hooks import hook_state
from gradlab.watch.vitals import Vitals
from tests.watch.conftest import train


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(2, 8), nn.BatchNorm1d(8), nn.ReLU(inplace=True), nn.Linear(8, 8))
        self.out = nn.Linear(8, 1)

    def forward(self, x):
        return self.out(F.gelu(self.body(x)))


def _state(model, opt):
    return hook_state(model), {k: list(v) for k, v in vars(opt).items() if "hook" in k and isinstance(v, dict)}


def test_model_and_optimizer_are_as_before_after_normal_and_failed_exit():
    model = Net()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    before = _state(model, opt)
    x, y = torch.randn(16, 2), torch.randn(16, 1)
    with gradlab.watch(model, optimizer=opt, every=1):
        assert _state(model, opt) != before
        train(model, opt, x, y, 2)
    assert _state(model, opt) == before
    with pytest.raises(RuntimeError, match="boom"):
        with gradlab.watch(model, optimizer=opt):
            model(x)
            raise RuntimeError("boom")
    assert _state(model, opt) == before
    assert torch._C._len_torch_function_stack() == 0


def test_exception_inside_forward_leaves_no_mode_behind():
    class Bad(nn.Module):
        def forward(self, x):
            F.relu(x)
            raise ValueError("bad forward")

    model = Bad()
    with pytest.raises(ValueError):
        with gradlab.watch(model):
            model(torch.randn(2, 2))
    assert torch._C._len_torch_function_stack() == 0 and hook_state(model) == hook_state(Bad())


def test_watched_training_is_bit_identical_to_unwatched():
    x, y = torch.randn(32, 2), torch.randn(32, 1)

    def run(watched):
        torch.manual_seed(3)
        model = Net()
        opt = torch.optim.Adam(model.parameters(), lr=0.01)
        if watched:
            with gradlab.watch(model, optimizer=opt, every=2, histograms=True):
                train(model, opt, x, y, 5)
        else:
            train(model, opt, x, y, 5)
        return model.state_dict()

    a, b = run(False), run(True)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_failing_statistic_warns_once_and_training_continues(monkeypatch):
    from gradlab.watch import probes

    def broken(*a, **k):
        raise RuntimeError("synthetic failure")

    monkeypatch.setattr(probes.S, "queue_moments", broken)
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with gradlab.watch(model, optimizer=opt, every=1) as w:
            train(model, opt, torch.randn(4, 2), torch.randn(4, 1), 3)
    msgs = [str(c.message) for c in caught if "gradlab.watch" in str(c.message)]
    assert len(msgs) == 1 and "'1'" in msgs[0] and "activation vitals" in msgs[0]
    assert w.vitals.last("0", "grad_norm") is not None  # the rest still works
    with pytest.raises(StatisticError, match="synthetic failure"):
        with gradlab.watch(model, optimizer=opt, every=1, strict=True):
            train(model, opt, torch.randn(4, 2), torch.randn(4, 1), 1)


class _NoSlope(nn.LeakyReLU):
    """A user's LeakyReLU subclass that keeps its slope under another name."""

    def __init__(self):
        nn.Module.__init__(self)
        self.slope = 0.1

    def forward(self, x):
        return F.leaky_relu(x, self.slope)


def test_an_activation_the_registry_cannot_describe_is_reported_not_skipped_silently():
    # regression: a catch-all in watch/layers.py quietly classified such a module as
    # "not an activation", so its units were never watched and nobody was told
    model = nn.Sequential(nn.Linear(2, 4), _NoSlope(), nn.Linear(4, 1), nn.ReLU())
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    x, y = torch.randn(4, 2), torch.randn(4, 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with gradlab.watch(model, optimizer=opt, every=1, functional=False) as w:
            train(model, opt, x, y, 2)
    msgs = [str(c.message) for c in caught if "gradlab.watch" in str(c.message)]
    assert len(msgs) == 1 and "layer '1'" in msgs[0] and "activation vitals" in msgs[0]
    assert [l.path for l in w.layers if l.kind == "activation"] == ["3"]  # the others still watched
    with pytest.raises(StatisticError, match="cannot read the parameters of activation"):
        with gradlab.watch(model, optimizer=opt, every=1, strict=True):
            pass
    bad = nn.Sequential(nn.Linear(2, 4), nn.ELU(alpha="x"))  # torch stores the argument unchecked
    with pytest.raises(StatisticError, match="could not convert string to float: 'x'"):
        with gradlab.watch(bad, strict=True):
            pass


def test_bad_arguments_name_the_value():
    with pytest.raises(ConfigError, match="every"):
        gradlab.watch(nn.Linear(1, 1), every=0)
    with pytest.raises(ConfigError, match="optimizer"):
        with gradlab.watch(nn.Linear(1, 1), optimizer=torch.optim.SGD(nn.Linear(1, 1).parameters(), 0.1)) as w:
            w.step()


def test_history_is_bounded_and_keeps_the_ends_and_nonfinite_values():
    v = Vitals(max_points=16)
    for s in range(1000):
        v.add(s, "l", "loss", float("nan") if s == 501 else float(s))
    steps, values = v.series("l", "loss")
    assert len(steps) <= 18 and steps[0] == 0 and steps[-1] == 999
    assert any(x != x for x in values)  # the NaN survived thinning


def test_bf16_statistics_are_computed_in_float32():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1)).to(torch.bfloat16)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.randn(16, 4, dtype=torch.bfloat16)
    with gradlab.watch(model, optimizer=opt, every=1) as w:
        train(model, opt, x, torch.randn(16, 1, dtype=torch.bfloat16), 1)
    z = model[0](x).float()
    assert w.vitals.last("1", "pre_mean") == pytest.approx(z.mean().item(), rel=1e-2, abs=1e-3)
    assert w.vitals.last("0", "grad_norm") > 0


def test_sinks_jsonl_and_csv_round_trip(tmp_path):
    from gradlab.watch.sinks.csv import read_rows
    from gradlab.watch.sinks.jsonl import read_jsonl

    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sinks = [f"jsonl:{tmp_path/'v.jsonl'}", f"csv:{tmp_path/'v.csv'}"]
    with gradlab.watch(model, optimizer=opt, every=2, sinks=sinks) as w:
        train(model, opt, torch.randn(4, 2), torch.randn(4, 1), 5, w)
    w.to_csv(tmp_path / "export.csv")
    key = lambda r: (r["step"], r["layer"], r["stat"])  # noqa: E731
    mem = sorted(w.to_rows(), key=key)
    for rows in (read_jsonl(tmp_path / "v.jsonl"), read_rows(tmp_path / "v.csv"), read_rows(tmp_path / "export.csv")):
        assert sorted(rows, key=key) == mem


def test_tensorboard_round_trip(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with gradlab.watch(model, optimizer=opt, every=1, histograms=True, sinks=[f"tensorboard:{tmp_path}"]) as w:
        train(model, opt, torch.randn(8, 2), torch.randn(8, 1), 3, w)
    acc = EventAccumulator(str(tmp_path), size_guidance={"scalars": 0, "histograms": 0})
    acc.Reload()
    events = acc.Scalars("0/grad_norm")
    assert [e.step for e in events] == w.vitals.series("0", "grad_norm")[0]
    assert [e.value for e in events] == pytest.approx(w.vitals.series("0", "grad_norm")[1], rel=1e-6)
    assert [e.value for e in acc.Scalars("model/loss")] == pytest.approx(w.vitals.series("", "loss")[1], rel=1e-6)
    hist = acc.Histograms("1/hist_out")[0].histogram_value
    assert hist.num == 8 * 4 and hist.min < 0
