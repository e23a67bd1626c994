"""TrialResult.to_dict: the same fields and values as before, without deep-copying the rows."""

import copy
import dataclasses
import json

from gradlab.train.experiment import TrialResult


def _result() -> TrialResult:
    return TrialResult(
        metrics={"dev_accuracy": 0.75, "dev_loss": 0.5},
        history=[{"epoch": e, "train_loss": 1.0 / (e + 1)} for e in range(3)],
        vitals=[{"epoch": e, "layer": "act1", "stat": "dead_frac", "value": 0.1 * e} for e in range(3)],
        findings=[{"code": "dead_relu", "severity": "error", "layer": "act1", "step": 2,
                   "evidence": {"dead_frac": 1.0}, "recommendations": [{"change": "he init"}]}],
        layers=[{"path": "act1", "kind": "activation"}],
        wall_time=1.5,
    )


def test_to_dict_has_the_fields_and_values_of_a_deep_conversion():
    result = _result()
    reference = copy.deepcopy(dataclasses.asdict(result))
    got = result.to_dict()
    assert list(got) == ["metrics", "history", "vitals", "findings", "layers", "wall_time", "activations"]
    assert got == reference
    assert got["metrics"]["dev_accuracy"] == 0.75 and got["wall_time"] == 1.5
    assert json.loads(json.dumps(got)) == reference  # still JSON-ready


def test_to_dict_shares_the_rows_instead_of_copying_them():
    result = _result()
    got = result.to_dict()
    assert got["vitals"] is result.vitals and got["history"] is result.history
    assert got["vitals"][0] is result.vitals[0]
    got["metrics"] = {}  # the dict itself is new: replacing a key leaves the result alone
    assert result.metrics == {"dev_accuracy": 0.75, "dev_loss": 0.5}
