"""The comparison in words: claims only what the exact tests and Holm's correction allow."""

import pytest

from gradlab.study import stats
from gradlab.study.results import GroupRow, _compare

SEEDS = range(10)


def _group(label, values):
    return GroupRow(label, label, {"model.act": label}, len(values), 0, 0, 0, 0,
                    values=dict(enumerate(values)))


def _study(groups, alpha=0.05):
    rows = [_group(label, vals) for label, vals in groups]
    values = [{"model.act": g.label} for g in rows]
    _compare(rows, values, {"model.act": rows[0].label}, "dev_accuracy", True, alpha, (0.0, 1.0))
    return {g.label: g for g in rows}


BASE = [0.5 + 0.01 * s for s in SEEDS]


def test_words_follow_holm_and_the_seeds():
    by = _study([
        ("relu", BASE),
        ("elu", [v + 0.2 for v in BASE]),                       # every seed better
        ("tanh", [v - 0.2 for v in BASE]),                      # every seed worse
        ("gelu", [v + (0.01 if s % 2 else -0.01) for s, v in enumerate(BASE)]),  # mixed
        ("selu", list(BASE)),                                   # the same on every seed
        ("silu", BASE[:3] + [v + 0.1 for v in BASE[3:5]] + BASE[5:]),  # only 2 seeds differ
    ])
    assert by["relu"].verdict == "baseline" and by["relu"].sentence == ""
    assert by["elu"].verdict == "better" and by["elu"].sentence.startswith("elu beats relu by +0.2")
    assert by["tanh"].verdict == "worse" and by["tanh"].sentence.startswith("tanh trails relu by -0.2")
    assert by["gelu"].verdict == "no clear difference"
    assert "no clear difference (0 dev_accuracy, 95% CI" in by["gelu"].sentence
    assert by["selu"].verdict == "identical" and by["selu"].p_holm is None
    assert by["silu"].verdict == "too few seeds" and "only 2 of 10 seeds differ" in by["silu"].sentence
    # Holm counts only what could be significant at all (Tarone): elu, tanh, gelu
    p = 2 / 2**10
    assert by["elu"].p == pytest.approx(p) and by["elu"].p_holm == pytest.approx(3 * p)
    assert by["tanh"].p_holm == pytest.approx(3 * p)
    assert by["gelu"].p_holm == pytest.approx(max(3 * p, by["gelu"].p))
    assert "after Holm's correction for 3 comparisons" in by["elu"].sentence


def test_a_difference_that_is_not_significant_is_never_called_beats():
    # every seed better by a little, but only 5 seeds: the smallest possible p is 0.0625
    base = BASE[:5]
    by = _study([("relu", base), ("elu", [v + 0.03 for v in base])])
    assert by["elu"].verdict == "too few seeds" and "beats" not in by["elu"].sentence
    assert "fewer than 6 differing paired seeds" in by["elu"].sentence
    assert (by["elu"].diff_low, by["elu"].diff_high) == (-1.0, 1.0)


def test_sign_flip_floor_counts_only_seeds_that_differ():
    test = stats.compare({s: 0.5 for s in SEEDS}, {s: 0.5 if s > 2 else 0.4 for s in SEEDS})
    assert test.min_p == pytest.approx(2 / 2**3) and test.too_few  # 3 differing seeds


def _headline_for(n_groups, seeds):
    from types import SimpleNamespace

    from gradlab.study.headline import headline

    base = [0.5 + 0.01 * s for s in range(seeds)]
    groups = [("base", base)] + [(f"g{i}", [v + 0.1 + 0.01 * i for v in base])
                                 for i in range(n_groups)]
    by = _study(groups)
    results = SimpleNamespace(groups=list(by.values()), metric="dev_accuracy", alpha=0.05,
                              higher_is_better=True)
    return by, headline(results)


def test_seeds_advice_counts_holms_comparisons():
    # 12 comparisons, every seed better: 5 seeds cannot tell; the advice must name a count that,
    # once run, makes every comparison significant after Holm, and one fewer must not be enough
    _, lines = _headline_for(12, 5)
    advice = next(line for line in lines if "too few seeds" in line)
    need = int(advice.split("run with --seeds ")[1].split()[0])
    assert "after Holm's correction for 12 comparisons" in advice
    by, _ = _headline_for(12, need)
    assert all(g.verdict == "better" for k, g in by.items() if k != "base")
    by, _ = _headline_for(12, need - 1)
    assert not any(g.verdict == "better" for k, g in by.items() if k != "base")


def test_ties_on_most_seeds_are_not_told_to_add_seeds():
    from types import SimpleNamespace

    from gradlab.study.headline import headline

    base = [0.5 + 0.01 * s for s in range(12)]
    tied = base[:10] + [v + 0.1 for v in base[10:]]  # 12 seeds, only 2 differ
    by = _study([("base", base), ("tied", tied)])
    assert by["tied"].verdict == "too few seeds"
    lines = headline(SimpleNamespace(groups=list(by.values()), metric="dev_accuracy", alpha=0.05,
                                     higher_is_better=True))
    assert not any("run with --seeds" in line for line in lines)
    assert any("1 of 1 comparisons cannot tell because the two sides give the same" in line
               for line in lines)
