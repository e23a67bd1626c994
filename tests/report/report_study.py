"""A small study written through the real store: two activations, three seeds each.

The trial results are synthetic but shaped exactly like ``TrialResult.to_dict()``: the ReLU
group dies (dead units, vanishing gradients, 50 % accuracy), the LeakyReLU group learns. The
study's name and description carry markup and quotes so every test sees hostile strings.
"""

from __future__ import annotations

import json

import numpy as np

from gradlab.study.executors.base import TrialOutcome
from gradlab.study.store import Store, trial_id
from gradlab.train.activation_record import TRAINED, pack_values

HOSTILE_NAME = 'dying <script>alert("x")</script> & \'quotes\''
HOSTILE_DESC = 'Biases at -8 <b>kill</b> every "ReLU" unit; <img src=x onerror=alert(1)>'
LAYERS = ["fc1", "fc2", "fc3"]
ACTS = ["act1", "act2"]


def _result(act: str, seed: int, epochs: int = 6) -> dict:
    dead = act == "relu"
    acc0 = 0.5 if dead else 0.80 + 0.02 * seed
    history = [{"epoch": e, "train_loss": 0.7 if dead else 0.7 / e, "dev_loss": 0.7 if dead else 0.75 / e,
                "train_accuracy": 0.5 if dead else acc0 + 0.01 * e, "dev_accuracy": 0.5 if dead else acc0 + 0.01 * e,
                "lr": 0.01} for e in range(1, epochs + 1)]
    vitals = []
    for e in range(1, epochs + 1):
        for i, layer in enumerate(LAYERS):
            norm = 0.0 if dead else 10.0 ** (-(len(LAYERS) - i)) * (1 + 0.1 * seed)
            vitals.append({"epoch": e, "layer": layer, "stat": "grad_norm", "value": norm})
            vitals.append({"epoch": e, "layer": layer, "stat": "row_symmetry", "value": 0.0 if dead else 1.0})
        for layer in ACTS:
            vitals.append({"epoch": e, "layer": layer, "stat": "dead_frac", "value": 1.0 if dead else 0.05 * e / epochs})
        vitals.append({"epoch": e, "layer": "", "stat": "loss", "value": history[e - 1]["train_loss"]})
    findings = []
    if dead:
        findings.append({"code": "dead_units", "severity": "error", "layer": "act1", "step": 10,
                         "evidence": {"dead_frac": 1.0}, "message": "every unit of act1 is dead <b>",
                         "recommendations": [{"set": {"model.act": "leaky_relu(0.01)"},
                                              "why": "a negative slope keeps gradients flowing"}]})
    metrics = {"dev_accuracy": history[-1]["dev_accuracy"], "train_loss": history[-1]["train_loss"],
               "dev_loss": history[-1]["dev_loss"], "best_epoch": epochs, "epochs_run": epochs}
    rng = np.random.default_rng(seed)
    activations = [{"layer": layer, "epoch": e,
                    "values": pack_values(np.zeros(60) if dead else rng.normal(0.1 * e, 1.0, 60))}
                   for layer, epochs_kept in (("act1", range(0, epochs + 1, 2)), ("act2", []))
                   for e in epochs_kept]
    activations += [{"layer": layer, "epoch": TRAINED,
                     "values": pack_values(np.zeros(60) if dead else rng.normal(0.5, 1.0, 60))} for layer in ACTS]
    return {"metrics": metrics, "history": history, "vitals": vitals, "findings": findings,
            "layers": [], "wall_time": 0.5, "activations": activations}


def make_study(path, name: str = HOSTILE_NAME, description: str = HOSTILE_DESC, seeds=(0, 1, 2),
               acts=("relu", "leaky_relu(0.01)"), fail_one: bool = True):
    """Write a finished two-group study into ``path`` through :class:`Store`; return ``path``."""
    base = {"task": {"name": "moons"},
            "model": {"kind": "mlp", "hidden": [3, 3], "act": "relu", "init": "default",
                      "bias_init": "constant(-8)"},
            "train": {"optimizer": "sgd", "lr": 0.01, "epochs": 6, "batch_size": None},
            "watch": {"enabled": True, "every": 10, "rules": {}}}
    spec = {"name": name, "description": description, "seeds": list(seeds), **base,
            "sweep": [{"model.act": list(acts), "mode": "grid"}],
            "compare": {"metric": "dev_accuracy", "baseline": {"model.act": acts[0]},
                        "higher_is_better": True, "alpha": 0.05}}
    hashes = [f"h{i}" for i in range(len(acts))]
    with Store(path) as store:
        rows = []
        for s in seeds:
            for h, act in zip(hashes, acts):
                cfg = {**base, "model": {**base["model"], "act": act}}
                rows.append({"trial_id": trial_id(h, s), "config_hash": h, "seed": s,
                             "group_key": f"model.act={act}", "group_json": json.dumps({"model.act": act}),
                             "config_json": json.dumps(cfg)})
        store.add_trials(rows)
        store.set_meta(name=name, description=description, spec=spec, compare=spec["compare"],
                       config_hashes=hashes, seeds=list(seeds))
        versions = {"gradlab": "0.1.0", "torch": "2.x", "python": "3.11"}
        for r in rows:
            act = json.loads(r["group_json"])["model.act"]
            if fail_one and act == acts[-1] and r["seed"] == seeds[-1] and len(seeds) > 3:
                store.finish(TrialOutcome(r["trial_id"], "failed", None, "Traceback <boom> \"x\"", 0.1), versions)
                continue
            store.finish(TrialOutcome(r["trial_id"], "done", _result(act, r["seed"]), None, 0.5), versions)
    return path


