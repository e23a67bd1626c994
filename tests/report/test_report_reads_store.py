"""``gradlab report`` reads the store and never trains: activation figures come from stored snapshots."""

from __future__ import annotations

import numpy as np
import pytest

import gradlab.train.experiment as experiment
import gradlab.train.trainer as trainer
from gradlab.report.data import load_report_data
from gradlab.report.html import write_report
from gradlab.report.study_figures import build_figures


@pytest.fixture
def no_training(monkeypatch):
    """Any path into training raises: a report that trains fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("the report trained a model")

    monkeypatch.setattr(trainer.Trainer, "fit", refuse)
    monkeypatch.setattr(trainer.Trainer, "evaluate", refuse)
    monkeypatch.setattr(experiment, "build", refuse)
    monkeypatch.setattr(experiment, "run_trial", refuse)


def test_report_draws_the_stored_activations_without_training(study_dir, no_training):
    data = load_report_data(study_dir)
    items = build_figures(data, activations=True)
    by_title = {i.title: i for i in items}
    hist = by_title["Activation histograms, positive and negative"]
    assert hist.figure is not None, hist.error
    over_time = [i for i in items if i.title.startswith("Activations over time (act1)")]
    assert len(over_time) == 2 and all(i.figure is not None for i in over_time)
    for item in items:
        item.close()
    assert write_report(study_dir).is_file()


def test_the_report_draws_the_lowest_seed_trials_stored_values(study_dir):
    data = load_report_data(study_dir)
    leaky = data.groups[1]
    rows = data.activations[leaky.trial_ids[0]]  # seed 0
    act1 = [r for r in rows if r["layer"] == "act1" and r["epoch"] >= 0]
    assert [r["epoch"] for r in act1] == [0, 2, 4, 6]
    rng = np.random.default_rng(0)  # the values report_study stored for seed 0, to float16
    expected = rng.normal(0.0, 1.0, 60).astype(np.float16).astype(np.float32)
    np.testing.assert_array_equal(act1[0]["values"], expected)
    assert set(data.activations) == {g.trial_ids[0] for g in data.groups}


def test_a_store_without_snapshots_says_so_instead_of_training(study_dir, no_training):
    from gradlab.study.store import Store

    with Store(study_dir) as store:
        store.db.execute("DROP TABLE activations")  # a store written before snapshots existed
    items = build_figures(load_report_data(study_dir), activations=True)
    notes = [i for i in items if i.title == "Activation snapshots"]
    assert notes and "no activation snapshots stored" in notes[0].error
    assert not any(i.title.startswith("Activations over time") for i in items)


def test_the_store_keeps_snapshots_of_the_lowest_seed_only(study_dir):
    from gradlab.study.store import Store

    with Store(study_dir) as store:
        kept = {t["seed"]: bool(store.activations(t["trial_id"])) for t in store.trials(status="done")}
    assert kept == {0: True, 1: False, 2: False}
