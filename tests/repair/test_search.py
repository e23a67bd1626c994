"""The search on a fake setup whose metric and findings are a known function of the changes."""

import math

from gradlab.diagnose.finding import Finding
from gradlab.repair.candidates import Candidate
from gradlab.repair.explain import why_not
from gradlab.repair.search import Search, search
from gradlab.repair.verify import Trial, outcome

SEEDS = [0, 1, 2]


def _flat(lr):
    # the loss stays flat below 1e-3; above, the metric improves with the rate up to 1e-2
    findings = [Finding("loss_not_decreasing", "warning", None, 0)] if lr < 1e-3 else []
    return findings, min(lr, 1e-2) * 10


def _search(pool, base_lr=1e-6, budget_trials=30):
    runs = []

    def run(changes, seed):
        runs.append(changes)
        findings, metric = _flat(changes.get("train.lr", base_lr))
        return Trial(seed, metric + 0.001 * seed, findings, 0.0)

    original = outcome([run({}, s) for s in SEEDS])
    s = Search(run, lambda c: None, SEEDS, True, deadline=math.inf, base_lr=base_lr)
    return search(s, original, pool, {"loss_not_decreasing"}), runs


def test_a_tenfold_step_that_still_stalls_is_followed_by_more_until_the_finding_is_gone():
    found, _ = _search([Candidate({"train.lr": 1e-5}, "raise it", "loss_not_decreasing")])
    assert found.kept is not None and found.kept.changes == {"train.lr": 1e-3}
    assert found.kept.steps == 2


def test_a_rate_for_a_layer_finding_is_not_pushed_further():
    pool = [Candidate({"train.lr": 1e-5}, "lower it", "exploding_gradient")]
    found, runs = _search(pool)
    assert found.kept is None and [c.changes for c in pool] == [{"train.lr": 1e-5}]


def test_the_steps_stop_at_their_limit():
    pool = [Candidate({"train.lr": 1e-8}, "raise it", "loss_not_decreasing")]
    found, _ = _search(pool, base_lr=1e-9)
    # 1e-8 -> 1e-7 -> 1e-6 -> 1e-5: three more steps, all below 1e-3 where it would learn
    assert found.kept is None
    assert [c.changes["train.lr"] for c in pool] == [1e-8, 1e-7, 1e-6, 1e-5]


def test_what_was_closest_is_named_in_one_line_when_nothing_is_kept():
    pool = [Candidate({"model.act": "elu"}, status="skipped", reason="no surgery"),
            Candidate({"train.lr": 0.1}, status="screened out", reason="still dead_units on seed 0"),
            Candidate({"model.init": "he_normal"}, status="rejected", reason="better on only 2 of 3 seeds")]
    line = why_not(pool, [], {"dead_units"}, out_of_time=True)
    assert line == ("not repaired: no candidate removed the findings and improved the metric on every seed "
                    "(closest: model.init=he_normal: better on only 2 of 3 seeds); the time budget ran out "
                    "[dead_units]")
    nothing = why_not([], [Finding("non_finite", "error", "fc", 0, message="The loss is NaN. More.")],
                      {"non_finite"}, False)
    assert nothing == "not repaired: the findings recommend no change that can be made: The loss is NaN. [non_finite]"
    late = why_not([Candidate({"train.lr": 0.1})], [], {"dead_units"}, out_of_time=True)
    assert late == ("not repaired: the time budget ran out before the first candidate (train.lr=0.1) could be "
                    "tried [dead_units]")


def test_a_rate_that_trades_the_divergence_for_dead_units_is_followed_by_the_next_step():
    # lr 3 diverges (the original); 0.3 stops it but kills the units; 0.03 trains
    def run(changes, seed):
        lr = changes.get("train.lr", 3.0)
        if lr > 1:
            return Trial(seed, math.inf, [Finding("non_finite", "error", None, 0)], 0.0)
        dead = [Finding("dead_units", "warning", "fc1", 0)] if lr > 0.1 else []
        return Trial(seed, (9.8 if dead else 0.05) + 0.001 * seed, dead, 0.0)

    original = outcome([run({}, s) for s in SEEDS])
    pool = [Candidate({"train.lr": 0.3}, "lower it", "non_finite"), Candidate({"train.clip_norm": 1.0})]
    s = Search(run, lambda c: None, SEEDS, False, deadline=math.inf, base_lr=3.0)
    found = search(s, original, pool, {"non_finite"})
    assert found.kept is not None and found.kept.changes == {"train.lr": 0.03}
    assert pool[0].reason == "traded for dead_units on seed 0"


def _nan_setup(clip_raises, init_fixes):
    def run(changes, seed):
        if "train.clip_norm" in changes:
            found = [Finding("oscillating_loss", "warning", None, 0)] if clip_raises else []
            return Trial(seed, 1e20 + seed, found, 0.0)
        if "model.init" in changes and init_fixes:
            return Trial(seed, 0.1 + 0.001 * seed, [], 0.0)
        return Trial(seed, math.nan, [Finding("non_finite", "error", None, 0)], 0.0)

    original = outcome([run({}, s) for s in SEEDS])
    pool = [Candidate({"train.clip_norm": 1.0}, source="non_finite"),
            Candidate({"model.init": "he_normal"}, source="non_finite")]
    s = Search(run, lambda c: None, SEEDS, False, deadline=math.inf)
    return search(s, original, pool, {"non_finite"}), pool


def test_a_fix_that_raises_a_new_finding_gives_way_to_a_clean_one_and_is_kept_only_without_one():
    found, pool = _nan_setup(clip_raises=True, init_fixes=True)
    assert found.kept is pool[1]
    assert pool[0].status == "rejected" and pool[0].reason.endswith(
        "but it raises oscillating_loss; model.init=he_normal fixes it without")
    found, pool = _nan_setup(clip_raises=True, init_fixes=False)
    assert found.kept is pool[0] and pool[1].status == "screened out"
    found, pool = _nan_setup(clip_raises=False, init_fixes=True)
    assert found.kept is pool[0] and pool[1].status == "untried"  # a clean fix ends the search
