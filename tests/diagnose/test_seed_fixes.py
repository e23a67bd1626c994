"""The seed articles' three networks, end to end through run_trial (what `gradlab train` runs).

Each must be diagnosed with its code, and the top recommendation — applied to the config — must
remove the finding *and* let the network learn (dev accuracy well above chance). Silencing a
detector is not a fix: the accuracy check is what makes this test honest.
"""

import copy

import pytest

from gradlab.cli.checkup_cmd import checkup_config
from gradlab.train.experiment import run_trial

pytest.importorskip("gradlab.watch.watch")

SEED_NETS = {
    # seed 002 part 1: 2-5-1 sigmoid, every weight and bias 0, SGD 0.2
    "zero-init": ({"model": {"hidden": [5], "act": "sigmoid", "init": "zeros", "bias_init": "zeros"},
                   "train": {"lr": 0.2}}, "symmetric_weights", "error"),
    # seed 002 part 2: 2-3-3-3-3-1 sigmoid, N(0, 0.01) weights, biases 1, SGD 0.01
    "vanishing": ({"model": {"hidden": [3, 3, 3, 3], "act": "sigmoid", "init": "normal(0, 0.01)",
                             "bias_init": "constant(1.0)"}, "train": {"lr": 0.01}}, "vanishing_gradient", "warning"),
    # seed 002 part 3: the same net with ReLU and biases -8
    "dying-relu": ({"model": {"hidden": [3, 3, 3, 3], "act": "relu", "init": "normal(0, 0.01)",
                              "bias_init": "constant(-8.0)"}, "train": {"lr": 0.01}}, "dead_units", "error"),
}


def seed_config(overrides: dict) -> dict:
    cfg = {"task": {"name": "moons"},
           "model": {"kind": "mlp"},
           "train": {"optimizer": "sgd", "epochs": 200, "batch_size": None},
           "watch": {"enabled": True, "every": 10}}
    for section, values in overrides.items():
        cfg[section].update(values)
    return cfg


def apply(config: dict, settings: dict) -> dict:
    out = copy.deepcopy(config)
    for dotted, value in settings.items():
        section, key = dotted.split(".", 1)
        out.setdefault(section, {})[key] = value
    return out


def serious_codes(findings):
    return {f["code"] for f in findings if f["severity"] in ("warning", "error")}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SEED_NETS))
def test_seed_network_is_diagnosed_and_top_fix_makes_it_learn(name):
    overrides, code, severity = SEED_NETS[name]
    config = seed_config(overrides)
    before = run_trial(config, 0)
    assert any(f["code"] == code and f["severity"] == severity for f in before.findings), before.findings
    assert before.metrics["dev_accuracy"] < 0.7  # the seed's pathology: it does not learn
    # the fix as `gradlab checkup` ranks it for this run (context: the run config)
    at_init = [f for f in checkup_config(config, 0) if f["code"] == code]
    assert at_init, "present at initialization, so the checkup must see it too"
    fix = at_init[0]["recommendations"][0]["set"]
    after = run_trial(apply(config, fix), 0)
    assert code not in serious_codes(after.findings), (fix, after.findings)
    assert after.metrics["dev_accuracy"] >= 0.75, (fix, after.metrics)
