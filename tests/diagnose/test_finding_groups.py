"""Findings grouped for reading, against a brute-force reference on random finding lists: every
finding in exactly one group, groups exactly the pairs that share code, severity and top fix, the
most extreme member speaks for its group, a finding alone prints verbatim, and the result does
not depend on the input's order."""

import random

import pytest

from gradlab.diagnose.finding import Finding, severity_rank
from gradlab.diagnose.finding_groups import group_findings

FIXES = [
    {"set": {"model.act": "leaky_relu(0.1)"}, "why": "a slope below zero"},
    {"set": {"model.init": "he_normal"}, "why": "the right scale"},
    {"set": {"train.schedule": "warmup(steps=1000)"}, "why": "ramp up", "code": "scheduler = ..."},
]
LAYERS = [None, "fc1", "fc2", "fc3", "enc.layers.0.linear1", "enc.layers.1.linear1", "enc.layers.1.linear2"]
# the order a group lists its layers in: by name, numbers by value
BY_NAME = ["enc.layers.0.linear1", "enc.layers.1.linear1", "enc.layers.1.linear2", "fc1", "fc2", "fc3"]


def _random_findings(rng: random.Random) -> list[Finding]:
    out = []
    for _ in range(rng.randint(0, 25)):
        code = rng.choice(["dead_units", "vanishing_gradient", "saturated_units"])
        evidence = {"dead_units": {"dead_frac": rng.choice([0.5, 0.7, 0.9, 1.0])},
                    "saturated_units": {"sat_frac": rng.random()},
                    "vanishing_gradient": {"ratio": rng.choice([1e-9, 1e-7, 1e-5]), "stalled": False}}[code]
        recs = rng.sample(FIXES, rng.randint(0, 3))
        out.append(Finding(code, rng.choice(["warning", "error"]), rng.choice(LAYERS),
                           rng.choice([None, 10, 20]), evidence, f"{code} message {rng.random():.6f}", recs))
    return out


def _together(a: Finding, b: Finding) -> bool:
    """The grouping rule, stated directly: both name a layer and share code, severity, top fix."""
    def top(f):
        return f.recommendations[0] if f.recommendations else None

    return (a.layer is not None and b.layer is not None and a.code == b.code and a.severity == b.severity
            and top(a) == top(b))


def _reference_partition(findings: list[Finding]) -> set[frozenset[int]]:
    """Connected components of _together over all pairs (the slow, obvious way)."""
    parts = []
    for i, f in enumerate(findings):
        joined = [p for p in parts if any(_together(f, findings[j]) for j in p)]
        merged = {i}.union(*joined)
        parts = [p for p in parts if p not in joined] + [merged]
    return {frozenset(p) for p in parts}


def _most_extreme(f: Finding) -> float:
    e = f.evidence
    return {"dead_units": e.get("dead_frac"), "saturated_units": e.get("sat_frac"),
            "vanishing_gradient": -e.get("ratio", 0)}[f.code]


@pytest.mark.parametrize("seed", range(150))
def test_groups_match_the_brute_force_partition(seed):
    rng = random.Random(seed)
    findings = _random_findings(rng)
    groups = group_findings(findings)
    ids = {id(f): i for i, f in enumerate(findings)}
    got = [frozenset(ids[id(f)] for f in g.findings) for g in groups]
    assert sum(map(len, got)) == len(findings)  # the counts add up
    assert set(got) == _reference_partition(findings) and len(set(got)) == len(got)  # each exactly once
    for g in groups:
        assert max(map(_most_extreme, g.findings)) == _most_extreme(g.worst) and g.worst in g.findings
        assert all(r in f.recommendations for f in g.findings for r in g.recommendations)
        assert g.recommendations[:1] == g.worst.recommendations[:1]  # the shared top fix
        assert g.step == min((f.step for f in g.findings if f.step is not None), default=None)
        assert g.layers == sorted({f.layer for f in g.findings if f.layer}, key=BY_NAME.index)
        if len(g.findings) == 1:  # a finding alone reads exactly as before
            assert str(g) == str(g.worst) and g.headline() == g.worst.headline()
        else:
            assert f"{len(g.layers)} layer" in g.headline() and g.worst.message in str(g)
    ranks = [severity_rank(g.severity) for g in groups]
    assert ranks == sorted(ranks, reverse=True)  # most severe first
    shuffled = findings[:]
    rng.shuffle(shuffled)
    again = group_findings(shuffled)
    assert [(g.code, g.severity, g.layers, id(g.worst), len(g.findings)) for g in again] == \
        [(g.code, g.severity, g.layers, id(g.worst), len(g.findings)) for g in groups]
    assert [str(g) for g in again] == [str(g) for g in groups]


@pytest.mark.parametrize("seed", range(20))
def test_group_false_keeps_every_finding_on_its_own(seed):
    findings = _random_findings(random.Random(seed))
    groups = group_findings(findings, group=False)
    assert sorted(id(g.worst) for g in groups) == sorted(map(id, findings))
    assert all(len(g.findings) == 1 and str(g) == str(g.worst) for g in groups)


def test_dicts_from_a_store_group_like_findings():
    findings = [Finding("dead_units", "error", f"act{i}", 10, {"dead_frac": 0.9 + i / 100},
                        f"act{i} is dead", [FIXES[0]]) for i in (1, 2, 3)]
    from_dicts = group_findings([f.to_dict() for f in findings])
    assert [str(g) for g in from_dicts] == [str(g) for g in group_findings(findings)]
    (g,) = from_dicts
    assert g.where() == "3 layers: act{1-3}" and g.worst.layer == "act3"  # the deadest
    assert g.to_dict()["count"] == 3 and g.to_dict()["worst"]["layer"] == "act3"


def test_groups_come_most_severe_first_then_earliest_then_largest():
    def f(code, sev, layer, step):
        return Finding(code, sev, layer, step, {}, "m", [FIXES[1]])

    groups = group_findings([f("dead_units", "warning", "a", 5), f("saturated_units", "error", "b", 20),
                             f("symmetric_weights", "warning", "c1", 10), f("symmetric_weights", "warning", "c2", 10),
                             f("vanishing_gradient", "warning", "x", 10)])
    assert [(g.code, len(g.findings)) for g in groups] == [
        ("saturated_units", 1), ("dead_units", 1), ("symmetric_weights", 2), ("vanishing_gradient", 1)]
