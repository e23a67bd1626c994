"""The decision rule: serious findings gone, and better on every seed (or significantly better)."""

import math

from gradlab.diagnose.finding import Finding
from gradlab.repair.candidates import candidates
from gradlab.repair.verify import Trial, judge, outcome


def _f(code, severity="error", recs=()):
    return Finding(code, severity, "fc1", 0, recommendations=[{"set": r, "why": ""} for r in recs])


ORIGINAL = outcome([Trial(s, v, [_f("dead_units")], 1.0) for s, v in {0: 0.50, 1: 0.52, 2: 0.48}.items()])


def test_better_on_every_seed_and_clean_is_a_fix():
    j = judge(ORIGINAL, [Trial(s, 0.9, [], 1.0) for s in range(3)], {"dead_units"}, higher=True)
    assert j.fixed and j.reason == "better on 3 of 3 seeds"
    assert j.test is not None and j.test.diff > 0  # the studies' paired comparison, reported


def test_one_seed_worse_is_not_a_fix_even_with_a_better_mean():
    trials = [Trial(0, 0.99, [], 1), Trial(1, 0.99, [], 1), Trial(2, 0.47, [], 1)]
    j = judge(ORIGINAL, trials, {"dead_units"}, higher=True)
    assert not j.fixed and "2 of 3" in j.reason


def test_a_remaining_finding_or_a_new_error_is_not_a_fix():
    still = [Trial(s, 0.9, [_f("dead_units", "warning")], 1) for s in range(3)]
    assert "still dead_units" in judge(ORIGINAL, still, {"dead_units"}, True).reason
    new = [Trial(s, 0.9, [_f("exploding_gradient")], 1) for s in range(3)]
    assert "error findings remain" in judge(ORIGINAL, new, {"dead_units"}, True).reason


def test_a_diverged_original_loses_to_any_finite_run_and_a_diverged_candidate_never_wins():
    nan_orig = outcome([Trial(s, math.nan, [_f("non_finite")], 1) for s in range(3)])
    assert judge(nan_orig, [Trial(s, 9.0, [], 1) for s in range(3)], {"non_finite"}, higher=False).fixed
    assert not judge(nan_orig, [Trial(s, math.inf, [], 1) for s in range(3)], {"non_finite"}, False).fixed


def test_layer_causes_are_tried_before_loss_symptoms_and_repeats_once():
    by_seed = {0: [_f("loss_not_decreasing", recs=[{"train.lr": 0.1}]),
                   _f("vanishing_gradient", "warning", recs=[{"model.act": "elu"}, {"train.lr": 0.1}])],
               1: [_f("vanishing_gradient", "warning", recs=[{"model.act": "elu"}])]}
    assert [c.changes for c in candidates(by_seed)] == [{"model.act": "elu"}, {"train.lr": 0.1}]
