"""Stored vitals are thinned to at most MAX_VITAL_EPOCHS epochs per trial; curves never are."""

import pytest

from gradlab.study.executors.base import TrialOutcome
from gradlab.study.store import Store
from gradlab.study.vital_thinning import MAX_VITAL_EPOCHS, kept_epochs, thin_vitals


def _rows(epochs):
    return [{"epoch": e, "layer": layer, "stat": "grad_norm", "value": float(e)}
            for e in range(epochs) for layer in ("fc1", "fc2")]


@pytest.mark.parametrize("n,limit", [(1000, 100), (101, 100), (7, 3), (250, 100)],
                         ids=["1000-to-100", "one-too-many", "tiny", "not-a-multiple"])
def test_kept_epochs_are_evenly_spaced_with_first_and_last(n, limit):
    kept = sorted(kept_epochs(list(range(n)), limit))
    assert len(kept) == limit and kept[0] == 0 and kept[-1] == n - 1
    gaps = {b - a for a, b in zip(kept, kept[1:])}
    assert max(gaps) - min(gaps) <= 1  # as even as integers allow


def test_short_runs_are_kept_whole():
    rows = _rows(MAX_VITAL_EPOCHS)
    assert thin_vitals(rows) is rows


def test_thinning_keeps_every_row_of_a_kept_epoch():
    got = thin_vitals(_rows(1000))
    epochs = {r["epoch"] for r in got}
    assert len(epochs) == MAX_VITAL_EPOCHS and len(got) == 2 * MAX_VITAL_EPOCHS
    assert all(r["value"] == float(r["epoch"]) for r in got)


def test_the_store_thins_vitals_but_not_history(tmp_path):
    with Store(tmp_path) as store:
        store.add_trials([{"trial_id": "t-s0", "config_hash": "t", "seed": 0, "group_key": "g",
                           "group_json": "{}", "config_json": "{}"}])
        result = {"metrics": {"dev_accuracy": 0.5}, "history": [{"epoch": e, "train_loss": 1.0}
                                                                for e in range(500)],
                  "vitals": _rows(500), "findings": [], "layers": []}
        store.finish(TrialOutcome("t-s0", "done", result), {})
        assert len(store.history("t-s0")) == 500
        assert len({r["epoch"] for r in store.vitals("t-s0")}) == MAX_VITAL_EPOCHS
