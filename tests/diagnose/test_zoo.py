"""The zoo under the real watch: every faulty setup found with the right code, healthy ones silent.

"Silent" means no warning and no error (info is allowed). Pathologies present at initialization
must also be found by a checkup on one batch, and healthy setups must pass a checkup too.
"""

import pytest
import torch

from gradlab.diagnose import diagnose
from gradlab.monitor.checkup import checkup

import zoo

pytest.importorskip("gradlab.watch.watch")


def serious(findings):
    return [f for f in findings if f.severity in ("warning", "error")]


def _watched(case):
    torch.manual_seed(0)
    s = case.build()
    w = zoo.train_watched(s)
    return s, diagnose(w.vitals, w.layers, context=s["context"])


@pytest.mark.parametrize("case", zoo.FAULTY, ids=lambda c: c.name)
def test_faulty_case_is_found_while_training(case):
    _, findings = _watched(case)
    found = {f.code for f in serious(findings)}
    if case.any_of:
        assert found & case.expect, findings
    else:
        assert case.expect <= found, [str(f) for f in findings]
    for code, severity in case.severity.items():
        assert any(f.code == code and f.severity == severity for f in findings), [str(f) for f in findings]
    for f in findings:
        assert f.message and f.evidence


@pytest.mark.parametrize("case", [c for c in zoo.FAULTY if c.expect_checkup], ids=lambda c: c.name)
def test_faulty_case_present_at_init_is_found_by_checkup(case):
    torch.manual_seed(0)
    s = case.build()
    x, y = zoo.checkup_batch(s)
    findings = checkup(s["model"], x, y, loss_fn=s["loss_fn"], context=s["context"])
    assert case.expect_checkup <= {f.code for f in serious(findings)}, [str(f) for f in findings]
    assert all(f.step is None for f in findings)
    for code, severity in case.severity.items():
        assert any(f.code == code and f.severity == severity for f in findings)


@pytest.mark.parametrize("case", zoo.HEALTHY, ids=lambda c: c.name)
def test_healthy_training_raises_no_warning(case):
    _, findings = _watched(case)
    assert serious(findings) == [], [str(f) for f in findings]


@pytest.mark.parametrize("case", zoo.HEALTHY, ids=lambda c: c.name)
def test_healthy_checkup_raises_no_warning(case):
    torch.manual_seed(0)
    s = case.build()
    x, y = zoo.checkup_batch(s)
    assert serious(checkup(s["model"], x, y, loss_fn=s["loss_fn"], context=s["context"])) == []


def test_non_finite_in_data_is_traced_to_the_input_of_the_first_layer():
    _, findings = _watched(next(c for c in zoo.FAULTY if c.name == "nan-in-data"))
    (f,) = [f for f in findings if f.code == "non_finite"]
    assert (f.evidence["source"], f.layer, f.severity) == ("input", "0", "error")


def test_live_watch_stops_the_dying_net_on_error_and_announces_once():
    from gradlab.errors import TrainingStopped

    torch.manual_seed(0)
    s = zoo.dying()
    seen = []
    with pytest.raises(TrainingStopped) as err:
        zoo.train_watched(s, on_finding=seen.append, stop_on="error")
    assert err.value.finding.severity == "error"
    keys = [(f.code, f.layer) for f in seen]
    assert len(keys) == len(set(keys)) and err.value.finding.key in keys


def test_huge_learning_rate_is_announced_as_exploding_before_the_nan():
    # regression: only non_finite fired, at the first gradient sample after the NaN (step 10)
    _, findings = _watched(next(c for c in zoo.FAULTY if c.name == "huge-lr"))
    (boom,) = [f for f in findings if f.code == "exploding_gradient"]
    (nan,) = [f for f in findings if f.code == "non_finite"]
    assert boom.step < nan.step and boom.step <= 3
    assert boom.evidence["went_non_finite"] is True and boom.evidence["growth"] > 1e3
    # the zoo ran SGD at lr 3.0: the top fix is the learning rate, ten times lower
    assert boom.recommendations[0]["set"] == {"train.lr": 0.3}
