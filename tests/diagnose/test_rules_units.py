"""Rules on hand-built vitals: each criterion (persistence, impact, depth profile, source) in isolation."""

import math

import pytest

from gradlab.diagnose import diagnose
from gradlab.errors import ConfigError

from diag_fakes import FakeVitals, mlp_layers


def codes(findings, severity=None):
    return {(f.code, f.layer) for f in findings if severity is None or f.severity == severity}


def test_dead_units_snapshot_of_30_percent_is_not_a_finding():
    # the healthy case of the issue: a third of a layer dead from init, shrinking while it trains
    v = FakeVitals({("act1", "dead_frac"): [0.33, 0.33, 0.3, 0.25, 0.2, 0.2], ("act1", "n_units"): [16] * 6})
    assert diagnose(v, mlp_layers(1)) == []


def test_dead_units_whole_layer_dead_throughout_is_error():
    v = FakeVitals({("act1", "dead_frac"): [1.0] * 6, ("act1", "n_units"): [3] * 6})
    (f,) = [f for f in diagnose(v, mlp_layers(1)) if f.code == "dead_units"]
    assert (f.severity, f.layer, f.step) == ("error", "act1", 0)
    assert f.evidence["live_units"] == 0 and f.evidence["from_init"] is True


def test_dead_units_majority_persistent_is_warning_but_recovering_is_not():
    persistent = FakeVitals({("act1", "dead_frac"): [0.2, 0.6, 0.7, 0.7, 0.75, 0.75, 0.75, 0.75, 0.75, 0.75]})
    (f,) = diagnose(persistent, mlp_layers(1))
    assert (f.code, f.severity, f.step) == ("dead_units", "warning", 10)
    # died while training: the smaller learning rate is the first fix
    assert f.evidence["from_init"] is False
    recovering = FakeVitals({("act1", "dead_frac"): [0.9, 0.9, 0.8, 0.7, 0.6, 0.55, 0.4, 0.3]})
    assert diagnose(recovering, mlp_layers(1)) == []


def test_dead_units_needs_history_before_a_verdict():
    v = FakeVitals({("act1", "dead_frac"): [1.0, 1.0]})
    assert diagnose(v, mlp_layers(1)) == []
    assert codes(diagnose(v, mlp_layers(1), context={"phase": "checkup"})) == {("dead_units", "act1")}


def test_thresholds_are_overridable_and_rules_can_be_disabled():
    v = FakeVitals({("act1", "dead_frac"): [0.4] * 6})
    assert diagnose(v, mlp_layers(1)) == []
    assert codes(diagnose(v, mlp_layers(1), rules={"dead_units": {"warn_frac": 0.3}})) == {("dead_units", "act1")}
    assert diagnose(v, mlp_layers(1), rules={"dead_units": False, "update_ratio": {"small": 1e-9}}) == []


@pytest.mark.parametrize("bad", [{"dead_unit": {}}, {"dead_units": {"warn": 0.3}}, {"dead_units": 0.3}],
                         ids=["unknown-rule", "unknown-threshold", "not-a-dict"])
def test_bad_overrides_name_the_way_out(bad):
    with pytest.raises(ConfigError) as err:
        diagnose(FakeVitals({}), [], rules=bad)
    assert "dead_units" in str(err.value)


def _grads(values_by_layer):
    return FakeVitals({(k, "grad_norm"): v for k, v in values_by_layer.items()})


def test_vanishing_gradient_depth_profile():
    v = _grads({"fc1": [1e-9] * 5, "fc2": [1e-6] * 5, "fc3": [1e-1] * 5})
    found = diagnose(v, mlp_layers(2, "sigmoid"))
    assert codes(found, "warning") == {("vanishing_gradient", "fc1"), ("vanishing_gradient", "fc2")}
    top = found[0].recommendations[0]["set"]
    assert top["model.act"].startswith("leaky_relu") and top["model.init"] == "he_normal"


def test_healthy_gradient_profile_is_silent():
    v = _grads({"fc1": [0.05, 0.04, 0.03, 0.02], "fc2": [0.1, 0.08, 0.05, 0.03], "fc3": [0.3, 0.2, 0.1, 0.05]})
    assert diagnose(v, mlp_layers(2)) == []


def test_no_gradient_behind_a_dead_layer_is_an_error_blamed_on_it():
    v = FakeVitals({("fc1", "grad_norm"): [0.0] * 5, ("fc2", "grad_norm"): [0.3] * 5,
                    ("act1", "dead_frac"): [1.0] * 5})
    found = diagnose(v, mlp_layers(1))
    assert codes(found, "error") == {("dead_units", "act1"), ("vanishing_gradient", "fc1")}
    vg = next(f for f in found if f.code == "vanishing_gradient")
    assert vg.evidence["blocked_by"] == "act1"
    assert vg.recommendations[0] == next(f for f in found if f.code == "dead_units").recommendations[0]


def _nonfinite(**series):
    return FakeVitals({tuple(k.split("__")): v for k, v in series.items()})


@pytest.mark.parametrize("data,origin,source", [
    ({"fc1__nonfinite_in": [0, 4, 4], "fc1__nonfinite_weight": [0, 6, 6], "fc2__nonfinite_in": [0, 9, 9],
      "fc2__nonfinite_grad": [0, 9, 9]}, "fc1", "input"),
    ({"fc1__nonfinite_in": [0, 0, 0], "fc2__nonfinite_weight": [0, 0, 3], "fc2__nonfinite_out": [0, 0, 3],
      "fc3__nonfinite_in": [0, 0, 3]}, "fc2", "weight"),
    ({"fc1__nonfinite_out": [0, 0, 0], "act1__nonfinite_out": [0, 2, 5], "fc2__nonfinite_in": [0, 2, 5]},
     "act1", "activation"),
    ({"fc1__nonfinite_grad": [0, 7], "fc2__nonfinite_grad": [0, 7], "fc2__nonfinite_out": [0, 0]},
     "fc2", "gradient"),
    ({"__loss_nonfinite": [0, 0, 1], "fc1__nonfinite_out": [0, 0, 0]}, None, "loss"),
], ids=["input", "weight", "activation", "gradient", "loss"])
def test_non_finite_names_first_layer_and_source(data, origin, source):
    (f,) = [f for f in diagnose(_nonfinite(**data), mlp_layers(1)) if f.code == "non_finite"]
    assert (f.layer, f.evidence["source"], f.severity) == (origin, source, "error")
    assert f.step == 10 or (source in ("weight", "loss") and f.step == 20)


def test_symmetric_rows_skip_output_layer_and_norms():
    v = FakeVitals({("fc1", "row_symmetry"): [0.0] * 4, ("fc2", "row_symmetry"): [0.0] * 4,
                    ("fc3", "row_symmetry"): [0.0] * 4})
    found = diagnose(v, mlp_layers(2, "sigmoid"))
    assert codes(found, "error") == {("symmetric_weights", "fc1"), ("symmetric_weights", "fc2")}
    assert found[0].recommendations[0]["set"]["model.init"] == "xavier_normal"


def test_saturation_skips_the_output_activation():
    layers = mlp_layers(1, "tanh") + [type(mlp_layers(1)[0])("out_act", "activation", "Sigmoid", "sigmoid", 99)]
    v = FakeVitals({("act1", "sat_frac"): [0.8] * 5, ("out_act", "sat_frac"): [0.9] * 5})
    assert codes(diagnose(v, layers)) == {("saturated_units", "act1")}


def test_loss_flat_smooth_vs_oscillating_vs_healthy():
    flat = FakeVitals({("", "loss"): {s: 0.6931 - 1e-6 * s for s in range(100)}})
    osc = FakeVitals({("", "loss"): {s: 1.0 + 0.5 * (-1) ** s for s in range(100)}})
    good = FakeVitals({("", "loss"): {s: 0.7 * math.exp(-s / 40) + 0.02 * (-1) ** s for s in range(100)}})
    assert codes(diagnose(flat, [])) == {("loss_not_decreasing", None)}
    assert codes(diagnose(osc, [])) == {("oscillating_loss", None)}
    assert diagnose(good, []) == []


def test_update_ratio_small_recommends_a_learning_rate_near_1e_3_updates():
    v = FakeVitals({("fc1", "update_ratio"): [1e-8] * 5, ("fc2", "update_ratio"): [2e-8] * 5})
    (f,) = diagnose(v, mlp_layers(1), context={"config": {"train": {"lr": 1e-5, "optimizer": "sgd"}}})
    assert f.code == "update_ratio" and f.evidence["direction"] == "small"
    assert f.recommendations[0]["set"] == {"train.lr": 0.01}  # 1e-5 x 1e3 (capped)


def test_poor_init_scale_from_first_report():
    layers = mlp_layers(3, "tanh")
    v = FakeVitals({("act1", "pre_std"): [1.0, 1.0], ("act2", "pre_std"): [0.01, 0.5],
                    ("act3", "pre_std"): [1e-4, 0.5]})
    (f,) = diagnose(v, layers)
    assert f.code == "poor_init_scale" and f.evidence["ratio"] == pytest.approx(1e-4)
    ok = FakeVitals({("act1", "pre_std"): [1.0], ("act2", "pre_std"): [0.4], ("act3", "pre_std"): [0.2]})
    assert diagnose(ok, layers) == []


def test_update_ratio_finding_carries_the_step_it_first_held():
    # regression: the finding had step None during training (None is reserved for the checkup)
    # fc1 moves normally for two reports (steps 0, 10), then stalls: the worst layer, from step 20
    v = FakeVitals({("fc1", "update_ratio"): [1e-3, 1e-3, 1e-9, 1e-9, 1e-9, 1e-9],
                    ("fc2", "update_ratio"): [1e-8] * 6})
    (f,) = [f for f in diagnose(v, mlp_layers(1)) if f.code == "update_ratio"]
    assert (f.evidence["worst_layer"], f.step) == ("fc1", 20)


def test_every_training_finding_of_the_zoo_has_a_step():
    import torch

    import zoo

    from gradlab.diagnose import diagnose as run_rules

    torch.manual_seed(0)
    s = zoo.tiny_lr()
    w = zoo.train_watched(s)
    findings = run_rules(w.vitals, w.layers, context=s["context"])
    assert findings and all(isinstance(f.step, int) for f in findings), [str(f) for f in findings]
