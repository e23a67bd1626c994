"""Finding: validation, round trip through dicts and JSON, a readable string."""

import json

import pytest

from gradlab.diagnose import CODES, Finding, severity_rank
from gradlab.errors import ConfigError


def make(**kw):
    base = dict(code="dead_units", severity="error", layer="act2", step=30,
                evidence={"dead_frac": 1.0, "n_units": 3},
                message="Every unit of act2 is dead.",
                recommendations=[{"set": {"model.act": "leaky_relu(0.1)"}, "why": "keeps a gradient"}])
    base.update(kw)
    return Finding(**base)


def test_round_trip_through_json():
    f = make()
    again = Finding.from_dict(json.loads(json.dumps(f.to_dict())))
    assert again == f


def test_str_names_severity_code_layer_step_evidence_and_fix():
    text = str(make())
    assert text.startswith("ERROR dead_units at act2 (step 30): Every unit")
    assert "dead_frac=1" in text and "model.act='leaky_relu(0.1)'" in text


def test_model_wide_checkup_finding_reads_without_layer_or_step():
    assert make(layer=None, step=None).headline() == "ERROR dead_units"


@pytest.mark.parametrize("bad", [{"code": "dead"}, {"severity": "fatal"}], ids=["code", "severity"])
def test_unknown_code_or_severity_is_refused(bad):
    with pytest.raises(ConfigError):
        make(**bad)


def test_evidence_tensors_become_plain_numbers():
    import torch

    f = make(evidence={"x": torch.tensor(0.5), "v": torch.tensor([1.0, 2.0])})
    assert f.evidence == {"x": 0.5, "v": [1.0, 2.0]}
    json.dumps(f.to_dict())


def test_codes_and_severity_order():
    from gradlab.diagnose.rules import RULES

    assert set(CODES) == set(RULES) and len(set(CODES)) == len(CODES)  # one code per rule
    assert severity_rank("info") < severity_rank("warning") < severity_rank("error")
