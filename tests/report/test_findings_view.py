"""Findings condensed: one row per finding code with the groups it affects, each fix once."""

from gradlab.report.findings_view import condense_findings, distinct_recommendations, findings_section
from gradlab.report.page_data import GroupInfo, ReportData

FIX = {"set": {"model.act": "leaky_relu(0.1)"}, "why": "a slope below zero"}
INIT = {"set": {"model.init": "he_normal"}, "why": "the right scale"}


def _finding(code, layer, severity="error", recs=(FIX, INIT)):
    return {"code": code, "severity": severity, "layer": layer, "message": f"{code} in {layer}",
            "recommendations": list(recs)}


def _data():
    groups, findings = [], {}
    for label, dead_seeds in (("act=relu", 3), ("act=relu optimizer=adam", 2), ("act=elu", 0)):
        ids = [f"{label}-{s}" for s in range(3)]
        groups.append(GroupInfo(label, label, trial_ids=ids))
        for s, tid in enumerate(ids):
            findings[tid] = ([_finding("dead_units", "act1"), _finding("dead_units", "act2")]
                             if s < dead_seeds else [])
            if label == "act=elu":
                findings[tid] = [_finding("poor_init_scale", None, "warning", (INIT,))]
    return ReportData("s", groups=groups, findings=findings)


def test_one_row_per_code_with_its_groups_and_trial_counts():
    rows = condense_findings(_data())
    assert [r["code"] for r in rows] == ["dead_units", "poor_init_scale"]  # errors first
    dead = rows[0]
    assert dead["groups"] == {"act=relu": [3, 3], "act=relu optimizer=adam": [2, 3]}
    assert dead["trials"] == 5 and dead["layers"] == ["act1", "act2"]  # a trial counts once
    assert rows[1]["groups"] == {"act=elu": [3, 3]} and rows[1]["severity"] == "warning"


def test_each_distinct_recommendation_once_most_common_first():
    recs = distinct_recommendations(_data())
    assert [r["set"] for r in recs] == [INIT["set"], FIX["set"]]  # INIT: 8 trials, FIX: 5
    assert recs[0]["codes"] == ["dead_units", "poor_init_scale"]
    html = findings_section(_data())
    assert html.count("leaky_relu(0.1)") == 1 and html.count("he_normal") == 1
    assert html.count("<tr>") == 3  # the header and two findings


def test_many_layers_read_as_a_pattern_naming_every_one():
    layers = [f"enc.layers.{i}.linear{j}" for i in range(12) for j in (1, 2)]
    data = ReportData("s", groups=[GroupInfo("post-ln", "post-ln", trial_ids=["t0"])],
                      findings={"t0": [_finding("vanishing_gradient", layer, "warning") for layer in layers]})
    assert condense_findings(data)[0]["layers"] == layers  # the data keeps each layer
    html = findings_section(data)
    assert "<td>enc.layers.{0-11}.linear{1,2}</td>" in html and "linear1, " not in html
