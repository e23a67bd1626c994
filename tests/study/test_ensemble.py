"""The ensemble executor gives the local executor's results: same histories, metrics, findings.

Reference: ``run_trial`` run one trial at a time in this process (what the local executor runs
in its workers), compared member by member with the batched run.
"""

from __future__ import annotations

import math

import pytest

from gradlab.study.executors.base import TrialTask
from gradlab.study.executors.ensemble import EnsembleExecutor


def _config(act="relu", lr=0.1, *, optimizer="sgd", epochs=30, batch_size=None, watch=False,
            init="default", bias_init="default", **train):
    return {
        "task": {"name": "moons"},
        "model": {"kind": "mlp", "hidden": [3, 3, 3], "act": act, "init": init, "bias_init": bias_init},
        "train": {"optimizer": optimizer, "lr": lr, "epochs": epochs, "batch_size": batch_size, **train},
        "watch": {"enabled": watch, "every": 5},
    }


def _run(tasks):
    executor = EnsembleExecutor(device="cpu")
    try:
        outcomes = {o.trial_id: o for o in executor.run(tasks)}
    finally:
        executor.close()
    return executor, outcomes


def _close(a: float, b: float, rel: float = 1e-5, abs_: float = 1e-6) -> bool:
    if a is None or b is None:
        return a is b
    if isinstance(a, bool) or isinstance(a, int):
        return a == b
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def assert_same_result(got: dict, want: dict, tol: float = 1e-5) -> None:
    """Histories and metrics equal within float tolerance (accuracies within 1e-4)."""
    assert len(got["history"]) == len(want["history"])
    for row_got, row_want in zip(got["history"], want["history"]):
        assert row_got.keys() == row_want.keys()
        for key in row_want:
            t = max(tol, 1e-4) if "accuracy" in key else tol
            assert _close(row_got[key], row_want[key], rel=t, abs_=t), (row_got["epoch"], key)
    assert got["metrics"].keys() == want["metrics"].keys()
    for key, value in want["metrics"].items():
        assert _close(got["metrics"][key], value, rel=1e-4, abs_=1e-5), key


def _tasks(configs, seeds):
    return [TrialTask(f"c{c}s{s}", cfg, s) for c, cfg in enumerate(configs) for s in seeds]


@pytest.mark.parametrize(
    "configs",
    [
        [_config("relu", 0.1), _config("relu", 0.3)],
        [_config("leaky_relu(0.01)", 0.1), _config("leaky_relu(0.2)", 0.1)],
        [_config("tanh", 0.01, optimizer="adam"), _config("tanh", 0.003, optimizer="adam")],
        [_config("relu", 0.05, optimizer="momentum", batch_size=128, epochs=4)],
        [_config("elu", 0.1, init="normal(0, 0.5)", bias_init="constant(0.1)"),
         _config("elu", 0.1, init="normal(0, 1)", bias_init="constant(-0.2)", weight_decay=0.01)],
        [_config("relu", 0.2, schedule="cosine", batch_size=320, epochs=5),
         _config("relu", 0.1, schedule="plateau", epochs=12)],
    ],
    ids=["relu-lr-sweep", "leaky-slope-sweep", "adam-tanh", "momentum-minibatch", "elu-init-sweep",
         "schedules"],
)
def test_ensemble_equals_run_trial(configs):
    from gradlab.train.experiment import run_trial

    tasks = _tasks(configs, seeds=[0, 1, 2])
    executor, outcomes = _run(tasks)
    assert executor.batched_trials == len(tasks)
    for task in tasks:
        outcome = outcomes[task.trial_id]
        assert outcome.status == "done", outcome.error
        assert outcome.extra["ensemble_size"] >= 3  # the seeds of a configuration at least
        assert_same_result(outcome.result, run_trial(task.config, task.seed).to_dict())


def test_unbatchable_trials_fall_back_to_run_trial_and_failures_are_reported():
    from gradlab.train.experiment import run_trial

    tasks = [
        TrialTask("drop", {**_config(epochs=3), "model": {"hidden": [3], "dropout": 0.2}}, 0),
        TrialTask("drop2", {**_config(epochs=3), "model": {"hidden": [3], "dropout": 0.2}}, 1),
        TrialTask("alone", _config("gelu", epochs=3), 0),
        TrialTask("bad", _config("no_such_activation", epochs=3), 0),
        TrialTask("bad2", _config("no_such_activation", epochs=3), 1),
    ]
    executor, outcomes = _run(tasks)
    assert executor.batched_trials == 0
    assert sorted(outcomes) == ["alone", "bad", "bad2", "drop", "drop2"]
    for trial_id in ("bad", "bad2"):
        assert outcomes[trial_id].status == "failed" and "no_such_activation" in outcomes[trial_id].error
    for trial_id in ("drop", "drop2", "alone"):
        task = next(t for t in tasks if t.trial_id == trial_id)
        assert outcomes[trial_id].status == "done"
        assert_same_result(outcomes[trial_id].result, run_trial(task.config, task.seed).to_dict())


def _vitals_by_key(rows):
    return {(r["epoch"], r["layer"], r["stat"]): r["value"] for r in rows}


@pytest.mark.parametrize(
    "configs",
    [
        [_config("relu", 0.1, watch=True, bias_init="constant(-1)"),
         _config("relu", 0.5, watch=True, bias_init="constant(-1)")],
        [_config("sigmoid", 0.5, watch=True, batch_size=200, epochs=6),
         _config("sigmoid", 0.1, watch=True, batch_size=200, epochs=6)],
        [_config("leaky_relu(0.0)", 0.1, watch=True, early_stopping=3, epochs=40),
         _config("leaky_relu(0.2)", 0.1, watch=True, early_stopping=3, epochs=40)],
    ],
    ids=["relu-dying", "sigmoid-minibatch", "leaky-early-stop"],
)
def test_watched_ensemble_has_each_members_own_vitals_and_findings(configs):
    from gradlab.train.experiment import run_trial

    tasks = _tasks(configs, seeds=[0, 1])
    executor, outcomes = _run(tasks)
    assert executor.batched_trials == len(tasks)
    for task in tasks:
        got = outcomes[task.trial_id].result
        want = run_trial(task.config, task.seed).to_dict()
        assert_same_result(got, want)
        got_v, want_v = _vitals_by_key(got["vitals"]), _vitals_by_key(want["vitals"])
        assert got_v.keys() == want_v.keys()
        for key, value in want_v.items():
            assert _close(got_v[key], value, rel=1e-4, abs_=1e-5), (key, got_v[key], value)
        assert got["layers"] == want["layers"]
        assert [(f["code"], f["layer"], f["step"]) for f in got["findings"]] == \
            [(f["code"], f["layer"], f["step"]) for f in want["findings"]]


def test_two_worker_processes_give_the_in_process_results():
    """``workers=2`` spreads the ensembles over processes; every outcome is the in-process one."""
    configs = [_config("relu", 0.1, epochs=8), _config("tanh", 0.1, epochs=8),
               _config("gelu", 0.1, epochs=8)]
    tasks = _tasks(configs, seeds=[0, 1]) + [TrialTask("alone", _config("elu", epochs=3), 0)]
    _, inline = _run(tasks)
    started = []
    pooled = EnsembleExecutor(workers=2, device="cpu")
    try:
        got = {o.trial_id: o for o in pooled.run(tasks, on_start=started.append)}
    finally:
        pooled.close()
    assert sorted(started) == sorted(got) == sorted(t.trial_id for t in tasks)
    assert pooled.batched_trials == 6
    for tid, outcome in got.items():
        assert outcome.status == "done", outcome.error
        assert outcome.extra["ensemble_size"] == (1 if tid == "alone" else 2)
        assert_same_result(outcome.result, inline[tid].result)


def _assert_member_equals_local(got: dict, want: dict) -> None:
    """History, metrics, per-epoch vitals and findings of one member vs ``run_trial`` alone."""
    assert_same_result(got, want)
    got_v, want_v = _vitals_by_key(got["vitals"]), _vitals_by_key(want["vitals"])
    assert got_v.keys() == want_v.keys()
    for key, value in want_v.items():
        assert _close(got_v[key], value, rel=1e-3, abs_=1e-5), (key, got_v[key], value)
    assert got["layers"] == want["layers"]
    assert [(f["code"], f["layer"], f["step"]) for f in got["findings"]] == \
        [(f["code"], f["layer"], f["step"]) for f in want["findings"]]


def _sweep(lrs=(0.05, 0.02), **kw):
    """Two configurations (two learning rates) of a tiny watched net, 4 epochs of 4 steps."""
    kw.setdefault("batch_size", 160)
    return [_config(kw.pop("act", "relu"), lr, epochs=kw.pop("epochs", 4), watch=True, **kw) for lr in lrs]


def _optimizer_cases():
    from gradlab.components.optim import OPTIMIZERS

    return {f"optimizer-{name}": _sweep(optimizer=name) for name in OPTIMIZERS.names()}


def _schedule_cases():
    from gradlab.components.schedules import SCHEDULES

    args = {"piecewise": "piecewise([2], [0.05, 0.01])", "warmup": "warmup(3)", "power": "power(4, 1)",
            "exponential": "exponential(8)"}
    return {f"schedule-{name}": _sweep(schedule=args.get(name, name)) for name in SCHEDULES.names()}


OPTION_CASES = {
    **_optimizer_cases(),
    **_schedule_cases(),
    "clip-norm-per-member": [*_sweep(clip_norm=0.05, lrs=(0.5,)), *_sweep(clip_norm=0.2, lrs=(0.3,))],
    "clip-value-per-member": [*_sweep(clip_value=0.01, lrs=(0.5,)), *_sweep(clip_value=0.05, lrs=(0.3,))],
    "clip-both-adam": _sweep(optimizer="adam", clip_norm=0.1, clip_value=0.02),
    "max-norm-per-member": [*_sweep(max_norm=0.5, lrs=(0.5,)), *_sweep(max_norm=1.0, lrs=(0.5,))],
    "weight-decay-sgd": [*_sweep(weight_decay=0.1, lrs=(0.1,)), *_sweep(weight_decay=0.01, lrs=(0.2,))],
    "weight-decay-adamw": [*_sweep(optimizer="adamw", weight_decay=0.5, lrs=(0.05,)),
                           *_sweep(optimizer="adamw", weight_decay=0.05, lrs=(0.02,))],
    "slope-sweep": [*_sweep(act="leaky_relu(0.01)", lrs=(0.1,)), *_sweep(act="leaky_relu(0.3)", lrs=(0.1,))],
    "adam-clip-max-norm": _sweep(optimizer="adam", clip_norm=0.1, max_norm=1.0),
}


def _batched_against_local(configs, seeds=(0, 1), one_ensemble=True):
    """Run ``configs`` x ``seeds`` with the ensemble executor; yield each ``(task, outcome, local)``
    after checking that every trial was batched (into one ensemble of all, if ``one_ensemble``)."""
    from gradlab.train.experiment import run_trial

    tasks = _tasks(configs, seeds=list(seeds))
    executor, outcomes = _run(tasks)
    assert executor.batched_trials == len(tasks)
    for task in tasks:
        outcome = outcomes[task.trial_id]
        assert outcome.status == "done", outcome.error
        if one_ensemble:
            assert outcome.extra["ensemble_size"] == len(tasks)
        yield task, outcome, run_trial(task.config, task.seed).to_dict()


@pytest.mark.parametrize("configs", list(OPTION_CASES.values()), ids=list(OPTION_CASES))
def test_every_optimizer_and_option_batches_and_equals_local(configs):
    """Every registered optimizer and schedule, clipping, max-norm, decay and slopes per member:
    trained as one ensemble, each member equal to ``run_trial`` alone (the local executor)."""
    for _, outcome, want in _batched_against_local(configs):
        _assert_member_equals_local(outcome.result, want)


@pytest.mark.parametrize(
    "configs",
    [
        [_config("relu", 0.1, epochs=45), _config("relu", 0.3, epochs=45)],
        [_config("leaky_relu(0.01)", 0.1, epochs=12, early_stopping=3),
         _config("leaky_relu(0.3)", 0.1, epochs=12, early_stopping=3)],
    ],
    ids=["relu-lr-sweep", "slope-sweep-early-stop"],
)
def test_activation_snapshots_of_each_configurations_lowest_seed_equal_run_trial(configs):
    import numpy as np

    from gradlab.train.activation_record import unpack_values
    from gradlab.train.experiment import run_trial

    tasks = _tasks(configs, seeds=[4, 2, 7])
    _, outcomes = _run(tasks)
    for task in tasks:
        got = outcomes[task.trial_id].result["activations"]
        if task.seed != 2:  # the store keeps the lowest seed's only: the others send none
            assert got == []
            continue
        want = run_trial(task.config, task.seed).activations
        assert [(r["layer"], r["epoch"]) for r in got] == [(r["layer"], r["epoch"]) for r in want]
        assert {r["epoch"] for r in want} >= {0, -1} and len(want) > 3
        for a, b in zip(got, want):
            # float16 values: equal up to one float16 rounding step of the batched forward
            np.testing.assert_allclose(unpack_values(a["values"]), unpack_values(b["values"]),
                                       rtol=2e-3, atol=1e-4, err_msg=f"{a['layer']} epoch {a['epoch']}")


def _normed(act, norm, position, optimizer, batch_size, lrs=(0.05, 0.02)):
    """Two learning rates of a watched net with a norm layer in each hidden block."""
    configs = [_config(act, lr, optimizer=optimizer, epochs=4, batch_size=batch_size, watch=True) for lr in lrs]
    for cfg in configs:
        cfg["model"].update(norm=norm, norm_position=position)
    return configs


# Adam + BatchNorm directly after a Linear is not here: the bias of that Linear is cancelled by
# the norm, its gradient is rounding noise, and Adam turns noise into full steps of random sign
# (see test_adam_on_biases_a_batchnorm_cancels_trains_equal_in_train_mode and docs/ensemble.md)
NORM_CASES = {
    "batchnorm-before-sgd-minibatch": _normed("relu", "batch", "before", "sgd", 160),
    "batchnorm-before-momentum-fullbatch": _normed("relu", "batch", "before", "momentum", None),
    "batchnorm-after-sgd-minibatch": _normed("tanh", "batch", "after", "sgd", 160),
    "batchnorm-after-adam-fullbatch": _normed("tanh", "batch", "after", "adam", None),
    "layernorm-before-sgd-minibatch": _normed("relu", "layer", "before", "sgd", 160),
    "layernorm-before-adam-minibatch": _normed("relu", "layer", "before", "adam", 160),
    "layernorm-after-adam-fullbatch": _normed("relu", "layer", "after", "adam", None),
}


@pytest.mark.parametrize("configs", list(NORM_CASES.values()), ids=list(NORM_CASES))
def test_batchnorm_and_layernorm_batch_and_equal_local(configs):
    """BatchNorm and LayerNorm before or after the activation, SGD and Adam, mini-batches and the
    full batch: each member normalises over its own batch and keeps its own running statistics,
    so its histories (dev metrics in eval mode, on the running statistics), final metrics, vitals
    of the norm layers included, and findings equal ``run_trial`` alone."""
    for _, outcome, want in _batched_against_local(configs):
        assert {(r["layer"], r["stat"]) for r in want["vitals"]} >= {("norm1", "grad_norm"), ("norm2", "update_ratio")}
        _assert_member_equals_local(outcome.result, want)


def test_adam_on_biases_a_batchnorm_cancels_trains_equal_in_train_mode():
    """A BatchNorm right after a Linear cancels that Linear's bias, whose gradient is then rounding
    noise; Adam scales noise to full steps, so the bias (and, through the running mean, every
    eval-mode number) follows the rounding of whichever run computes it. The ensemble still
    trains such members exactly where the numbers are defined: every train-mode loss and accuracy."""
    from gradlab.train.experiment import run_trial

    tasks = _tasks(_normed("relu", "batch", "before", "adam", 160), seeds=[0, 1])
    executor, outcomes = _run(tasks)
    assert executor.batched_trials == len(tasks)
    for task in tasks:
        got, want = outcomes[task.trial_id].result, run_trial(task.config, task.seed).to_dict()
        assert len(got["history"]) == len(want["history"])
        for row_got, row_want in zip(got["history"], want["history"]):
            for key in ("train_loss", "train_accuracy"):
                assert _close(row_got[key], row_want[key], rel=1e-5, abs_=1e-5), (row_got["epoch"], key)


def test_the_batchnorm_study_trains_in_ensembles_and_equals_local(monkeypatch):
    """``gradlab run batchnorm --executor ensemble``: the built-in study (a 10 x 32 ReLU net
    without BatchNorm, with it before and after the activation, momentum, batches of 64, each
    trial timed against its twin without BN) trains each norm placement's learning rates and seeds
    as one ensemble, with local's results; the timing is each trial's own, after training.

    Two steps only: with BatchNorm these deep ReLU nets are chaotic one by one too (a 1e-7 nudge of
    one weight grows more than tenfold a step at lr 0.5, docs/ensemble.md), so after a few steps no
    two implementations' rounding agrees; after two steps the members still equal local to 1e-4."""
    from gradlab.study.plan import apply_overrides, plan_study
    from gradlab.study.spec import load_study
    from gradlab.train import timing
    from gradlab.train.experiment import run_trial

    monkeypatch.setattr(timing, "ROUNDS", 1)  # timings are measured, not compared: keep them short
    monkeypatch.setattr(timing, "EVAL_ROWS", 256)
    points = plan_study(apply_overrides(load_study("batchnorm"), ["train.steps=2"]))
    assert {(p.config["model"]["norm"], p.config["model"]["norm_position"]) for p in points} >= \
        {("batch", "before"), ("batch", "after")}
    tasks = _tasks([p.config for p in points], seeds=[0, 1])
    executor, outcomes = _run(tasks)
    assert executor.batched_trials == len(tasks)
    for task in tasks:
        outcome = outcomes[task.trial_id]
        assert outcome.status == "done", outcome.error
        assert outcome.extra["ensemble_size"] == 4  # two learning rates x two seeds per placement
        got, want = outcome.result, run_trial(task.config, task.seed).to_dict()
        timed = {k for k in want["metrics"] if "time" in k}
        assert "train_time_ratio" in timed and timed <= got["metrics"].keys()
        for result in (got, want):
            result["metrics"] = {k: v for k, v in result["metrics"].items() if k not in timed}
        assert_same_result(got, want, tol=1e-4)


PRELU_CASES = {
    "prelu-sgd-minibatch": [_config("prelu", lr, epochs=4, batch_size=160, watch=True) for lr in (0.05, 0.02)],
    "prelu-per-channel-adam": [_config("prelu(3)", lr, optimizer="adam", epochs=4, watch=True) for lr in (0.05, 0.02)],
    # slopes from 0: a unit can die, so the watch takes each member's live slopes for its derivative
    "prelu-from-zero-momentum": [_config("prelu(init=0.0)", lr, optimizer="momentum", epochs=4, batch_size=160,
                                         watch=True) for lr in (0.05, 0.02)],
}


@pytest.mark.parametrize("configs", list(PRELU_CASES.values()), ids=list(PRELU_CASES))
def test_prelu_batches_with_each_members_slopes_and_equals_local(configs):
    """PReLU's learnable slopes, one or one per unit, per member: histories, metrics, vitals (the
    slopes' own norms and update ratios, dead units) and findings equal ``run_trial`` alone."""
    for _, outcome, want in _batched_against_local(configs, one_ensemble=False):
        assert {(r["layer"], r["stat"]) for r in want["vitals"]} >= {("act1", "grad_norm"), ("act1", "pre_mean")}
        _assert_member_equals_local(outcome.result, want)


def test_prelu_sweeps_of_initial_slopes_form_one_ensemble_per_slope():
    """A PReLU layer starts all its members from one slope, so a sweep of initial slopes forms one
    ensemble per slope (a slope sweep of a fixed LeakyReLU shares one), each equal to local."""
    from gradlab.train.experiment import run_trial

    configs = [_config(f"prelu(init={a})", 0.05, epochs=3, watch=True) for a in (0.1, 0.3)]
    tasks = _tasks(configs, seeds=[0, 1])
    executor, outcomes = _run(tasks)
    assert executor.batched_trials == len(tasks)
    for task in tasks:
        assert outcomes[task.trial_id].extra["ensemble_size"] == 2
        _assert_member_equals_local(outcomes[task.trial_id].result, run_trial(task.config, task.seed).to_dict())
