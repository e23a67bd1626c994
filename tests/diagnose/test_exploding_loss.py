"""``exploding_gradient`` from the per-step loss: a blow-up between two gradient samples is seen."""

import math

from gradlab.diagnose import diagnose

from diag_fakes import FakeVitals, mlp_layers


def _loss(values):
    return {("", "loss"): {i: v for i, v in enumerate(values)}}


def _exploding(findings):
    return [f for f in findings if f.code == "exploding_gradient"]


def test_loss_multiplied_then_nan_is_exploding_at_the_step_it_crossed():
    # gradient norms sampled every 10 steps saw only step 0 (the rest is NaN)
    data = _loss([10.0, 181.0, 5.7e11, math.inf] + [math.nan] * 20)
    data[("fc1", "grad_norm")] = {0: 0.8, 10: math.nan, 20: math.nan}
    (f,) = _exploding(diagnose(FakeVitals(data), mlp_layers(1)))
    assert (f.severity, f.layer, f.step) == ("error", None, 2)
    assert f.evidence["loss_first"] == 10.0 and f.evidence["went_non_finite"] is True
    assert math.isclose(f.evidence["growth"], 5.7e10)


def test_loss_diverging_to_large_finite_values_is_exploding():
    values = [1.0 * 3.0 ** i for i in range(30)]  # grows 3x per step, stays finite
    (f,) = _exploding(diagnose(FakeVitals(_loss(values)), mlp_layers(1)))
    assert f.step == 5  # 3^5 = 243 is the first value 100-fold above the start
    assert f.evidence["went_non_finite"] is False


def test_a_loss_spike_that_recovers_is_not_exploding():
    values = [0.7 - 0.01 * i for i in range(40)]
    values[20] = 200.0  # one bad batch, then back to the trend
    assert _exploding(diagnose(FakeVitals(_loss(values)), mlp_layers(1))) == []


def test_a_healthy_falling_loss_is_not_exploding():
    values = [0.7 * math.exp(-0.05 * i) for i in range(100)]
    assert _exploding(diagnose(FakeVitals(_loss(values)), mlp_layers(1))) == []


def test_loss_growth_threshold_is_overridable():
    values = [1.0 + 0.5 * i for i in range(40)]  # 20-fold growth: below the default 100
    assert _exploding(diagnose(FakeVitals(_loss(values)), mlp_layers(1))) == []
    found = diagnose(FakeVitals(_loss(values)), mlp_layers(1), rules={"exploding_gradient": {"loss_growth": 10}})
    assert [f.step for f in _exploding(found)] == [18]  # 1 + 0.5*18 = 10
