"""The activation replay rebuilds a trial exactly and records what its layers output."""

from __future__ import annotations

import numpy as np
import torch

from gradlab.report.rerun import activation_layers, record_activations
from gradlab.train.experiment import build

CONFIG = {"task": {"name": "moons"},
          "model": {"kind": "mlp", "hidden": [4, 4], "act": "relu"},
          "train": {"optimizer": "sgd", "lr": 0.1, "epochs": 6, "batch_size": None}}


def test_first_snapshot_is_the_trials_initial_model():
    record = record_activations(CONFIG, seed=3, snapshots=3)
    built = build(CONFIG, 3, device="cpu")  # brute-force twin: the same seed builds the same net
    seen = {}
    built.model.act1.register_forward_hook(lambda m, i, o: seen.setdefault("act1", o.detach()))
    with torch.no_grad():
        built.model.eval()
        built.model(built.task.dev[0])
    assert record.layer == "act1" and record.epochs[0] == 0
    np.testing.assert_allclose(record.snapshots[0], seen["act1"].ravel().numpy(), rtol=1e-6)
    assert record.epochs == [0, 2, 4, 6]
    assert set(record.final) == set(activation_layers(built.model)) == {"act1", "act2"}
    assert not np.array_equal(record.snapshots[0], record.snapshots[-1])  # it trained


def test_dead_relu_layer_outputs_only_zeros():
    dead = {**CONFIG, "model": {**CONFIG["model"], "bias_init": "constant(-8)", "init": "normal(0, 0.01)"}}
    record = record_activations(dead, seed=0, snapshots=2)
    assert all((s == 0).all() for s in record.snapshots)


def test_report_figures_include_the_replays(study_dir):
    from gradlab.report.data import load_report_data
    from gradlab.report.study_figures import build_figures

    items = build_figures(load_report_data(study_dir), activations=True)
    by_title = {i.title: i for i in items}
    hist = by_title["Activation histograms, positive and negative"]
    assert hist.figure is not None, hist.error
    over_time = [i for i in items if i.title.startswith("Activations over time")]
    assert len(over_time) == 2 and all(i.figure is not None for i in over_time)
    assert all(i.figure is not None for i in items if i.title.startswith("Gradient norm"))
