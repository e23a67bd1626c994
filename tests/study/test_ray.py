"""The Ray executor on a local Ray instance (skipped when Ray is not installed).

One ``ray.init`` for the whole module (2 CPUs) keeps Ray's start-up inside the test budget.
"""

from __future__ import annotations

import sys

import pytest

from gradlab.errors import MissingExtraError
from gradlab.study.executors.base import TrialTask


def stand_in_trial(config: dict, seed: int) -> dict:
    """A trial that trains nothing: its metric is the seed; lr 13 crashes it."""
    if config["train"]["lr"] == 13:
        raise RuntimeError(f"boom in seed {seed}")
    return {"metrics": {"dev_accuracy": seed / 10}, "history": [], "vitals": [], "findings": [],
            "layers": [], "wall_time": 0.0}


def test_missing_ray_names_the_extra(monkeypatch):
    import gradlab.study.executors.ray as ray_executor

    monkeypatch.setitem(sys.modules, "ray", None)  # makes "import ray" fail
    with pytest.raises(MissingExtraError, match=r"gradlab\[ray\]"):
        ray_executor.RayExecutor()


@pytest.fixture(scope="module")
def executor():
    ray = pytest.importorskip("ray")
    from gradlab.study.executors.ray import RayExecutor

    # the workers get the stand-in trial by value: the tests folder is not on their path
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ex = RayExecutor(workers=2, trial_fn=stand_in_trial)
    yield ex
    ex.close()
    assert not ray.is_initialized()


def test_every_trial_comes_back_once_and_a_crash_is_a_failed_outcome(executor):
    tasks = [TrialTask(f"t{i}", {"train": {"lr": lr}}, seed)
             for i, (lr, seed) in enumerate([(0.1, 0), (0.1, 1), (13, 2), (0.1, 3)])]
    started = []
    outcomes = {o.trial_id: o for o in executor.run(tasks, on_start=started.append)}
    assert sorted(outcomes) == sorted(started) == ["t0", "t1", "t2", "t3"]
    assert outcomes["t2"].status == "failed" and "boom in seed 2" in outcomes["t2"].error
    assert outcomes["t1"].status == "done"
    assert [outcomes[f"t{i}"].result["metrics"]["dev_accuracy"] for i in (0, 1, 3)] == [0.0, 0.1, 0.3]
    assert outcomes["t1"].extra["executor"] == "ray"


def test_real_trials_on_ray_equal_the_same_trials_in_process(executor):
    from gradlab.train.experiment import run_trial

    config = {"task": {"name": "moons"}, "model": {"hidden": [3, 3], "act": "relu"},
              "train": {"epochs": 4, "lr": 0.1}, "watch": {"enabled": False}}
    executor.trial_fn = "gradlab.train.experiment:run_trial"
    try:
        outcomes = list(executor.run([TrialTask("a", config, 0), TrialTask("b", config, 1)]))
    finally:
        executor.trial_fn = stand_in_trial
    by_id = {o.trial_id: o for o in outcomes}
    assert {o.status for o in outcomes} == {"done"}, [o.error for o in outcomes]
    for trial_id, seed in (("a", 0), ("b", 1)):
        local = run_trial(config, seed).to_dict()
        assert by_id[trial_id].result["history"] == local["history"]
        assert by_id[trial_id].result["metrics"] == local["metrics"]
