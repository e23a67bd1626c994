"""gradlab.repair on plain PyTorch: the seeds' broken networks repaired, healthy ones left alone."""

import math

import pytest
import torch
from torch import nn

import gradlab
from seed_nets import BUILDS, TASK, train


@pytest.mark.slow
@pytest.mark.parametrize("name", list(BUILDS))
def test_seed_network_is_repaired_and_the_fix_applies_to_a_fresh_pair(name):
    torch.set_num_threads(1)
    build = BUILDS[name]
    r = gradlab.repair(build, train, seeds=3, progress=False)
    assert r.fixed, str(r)
    assert r.changes and r.code
    assert all(r.after.values[s] > r.before.values[s] for s in r.before.values)
    assert min(r.after.values.values()) >= 0.75  # it learns: far above the 0.5 it was stuck at
    assert not any(f.severity == "error" for fs in r.after.findings.values() for f in fs)
    assert r.time_ratio <= 3.5  # the default budget is 3x; a trial already started may overrun it
    # the fix, applied to a fresh pair by the user, trains to the same metric on seed 0
    model, opt = r.apply(*build(0))
    assert float(train(model, opt)) == pytest.approx(r.after.values[0], abs=0.05)
    assert str(r).startswith("gradlab repair: repaired")


def _healthy(seed):
    torch.manual_seed(seed)
    m = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1))
    return m, torch.optim.Adam(m.parameters(), lr=0.01)


def test_a_healthy_run_is_left_unchanged_and_says_so():
    r = gradlab.repair(_healthy, train, seeds=2, progress=False)
    assert not r.fixed and r.changes == {} and r.code == ""
    assert "nothing to repair" in r.message
    model, opt = _healthy(0)
    assert r.apply(model, opt) == (model, opt)


def test_build_must_return_a_module_and_an_optimizer():
    with pytest.raises(gradlab.ConfigError, match=r"build\(seed\) must return \(model, optimizer\)"):
        gradlab.repair(lambda seed: _healthy(seed)[0], train, seeds=2, progress=False)


def test_train_must_return_a_number():
    with pytest.raises(gradlab.ConfigError, match="must return the metric"):
        gradlab.repair(_healthy, lambda m, o: None, seeds=2, progress=False)


def test_no_candidate_trains_when_every_metric_is_non_finite():
    def nan_train(model, opt):
        train(model, opt, steps=20)
        return math.nan

    with pytest.raises(gradlab.GradlabError, match="no candidate trains"):
        gradlab.repair(BUILDS["dying-relu"], nan_train, seeds=2, progress=False, budget=20)


