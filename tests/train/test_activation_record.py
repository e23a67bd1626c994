"""Activation snapshots recorded while a trial trains (what the report's activation figures draw)."""

from __future__ import annotations

import numpy as np
import torch

from gradlab.train.activation_record import TRAINED, activation_layers, unpack_values
from gradlab.train.experiment import build, run_trial

CONFIG = {"task": {"name": "moons"},
          "model": {"kind": "mlp", "hidden": [4, 4], "act": "relu"},
          "train": {"optimizer": "sgd", "lr": 0.1, "epochs": 6, "batch_size": None},
          "watch": {"enabled": False}}


def _outputs(model, x, layer):
    seen = {}
    getattr(model, layer).register_forward_hook(lambda m, i, o: seen.setdefault(layer, o.detach()))
    with torch.no_grad():
        model.eval()
        model(x)
    return seen[layer].ravel().numpy()


def test_first_snapshot_is_the_trials_initial_model_and_every_epoch_is_kept():
    rows = run_trial(CONFIG, seed=3).activations
    built = build(CONFIG, 3, device="cpu")  # brute-force twin: the same seed builds the same net
    act1 = [r for r in rows if r["layer"] == "act1" and r["epoch"] >= 0]
    assert [r["epoch"] for r in act1] == [0, 1, 2, 3, 4, 5, 6]  # 6 epochs < 40 snapshots
    expected = _outputs(built.model, built.task.dev[0], "act1").astype(np.float16).astype(np.float32)
    np.testing.assert_array_equal(unpack_values(act1[0]["values"]), expected[:1024])
    assert {r["layer"] for r in rows if r["epoch"] == TRAINED} == set(activation_layers(built.model))
    assert not np.array_equal(unpack_values(act1[0]["values"]), unpack_values(act1[-1]["values"]))


def test_recording_does_not_change_the_trial():
    # the recorder's forwards are eval/no_grad: same seed, same numbers as an unrecorded fit
    from gradlab.train.trainer import Trainer

    result = run_trial(CONFIG, seed=1)
    built = build(CONFIG, 1, device="cpu")
    tr = Trainer(built.model, built.optimizer, built.loss_fn, metric=built.metric, schedule=built.schedule,
                 clip={"norm": None, "value": None}, progress=False)
    history = tr.fit(built.task.train, built.task.dev, epochs=6, seed=1)
    assert [r["train_loss"] for r in result.history] == [r["train_loss"] for r in history]


def test_dead_relu_layer_records_only_zeros():
    dead = {**CONFIG, "model": {**CONFIG["model"], "bias_init": "constant(-8)", "init": "normal(0, 0.01)"}}
    rows = run_trial(dead, seed=0).activations
    assert rows and all((unpack_values(r["values"]) == 0).all() for r in rows if r["layer"] == "act1")


def test_values_beyond_float16_are_kept_as_infinities_without_a_warning():
    """Regression: a diverged seed of the Quickstart's study printed numpy's 'overflow
    encountered in cast' into the user's terminal."""
    import warnings

    import numpy as np

    from gradlab.train.activation_record import pack_values, unpack_values

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = unpack_values(pack_values(np.array([1e6, -1e6, 1.5, np.nan])))
    assert out[0] == np.inf and out[1] == -np.inf and out[2] == 1.5 and np.isnan(out[3])
