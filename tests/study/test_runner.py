"""run_study with stand-in trials: resume, changed studies, failures, interrupted trials, stats."""

import re

import pytest

scipy_stats = pytest.importorskip("scipy.stats")

from gradlab.study.executors.local import LocalExecutor
from gradlab.study.results import analyze
from gradlab.study.runner import run_study
from gradlab.study.spec import Study
from gradlab.study.store import Store
from study_fakes import fake_accuracy, fake_trial


def _study(acts=("relu", "elu", "tanh"), lrs=None, seeds=3, epochs=1):
    sweep = {"model.act": list(acts)}
    if lrs:
        sweep["train.lr"] = list(lrs)
    return Study(name="fake", config={"model": {"hidden": [3]}, "train": {"epochs": epochs}},
                 seeds=seeds, sweep=sweep,
                 compare={"metric": "dev_accuracy", "baseline": {"model.act": "relu"}})


def _inline():
    return LocalExecutor(1, trial_fn=fake_trial)


def test_rerun_skips_done_trials_and_a_changed_study_adds_only_new_ones(tmp_path):
    first = run_study(_study(), tmp_path, executor=_inline(), progress=False)
    assert (first.trials, first.new, first.ran, first.done) == (9, 9, 9, 9)
    again = run_study(_study(), tmp_path, executor=_inline(), progress=False)
    assert (again.new, again.already_done, again.ran) == (0, 9, 0)
    grown = run_study(_study(acts=("relu", "elu", "tanh", "gelu")), tmp_path,
                      executor=_inline(), progress=False)
    assert grown.message == "3 new trials, 9 already done"
    assert (grown.ran, grown.done) == (3, 3)
    with Store(tmp_path) as store:
        assert store.counts() == {"pending": 0, "running": 0, "done": 12, "failed": 0}


def test_more_seeds_from_the_command_line_add_trials(tmp_path):
    run_study(_study(), tmp_path, executor=_inline(), progress=False)
    more = run_study(_study(), tmp_path, seeds=5, executor=_inline(), progress=False)
    assert (more.new, more.already_done, more.ran) == (6, 9, 6)


def test_interrupted_trials_run_again(tmp_path):
    run_study(_study(), tmp_path, executor=_inline(), progress=False)
    with Store(tmp_path) as store:  # as if a run died holding two trials
        tids = [t["trial_id"] for t in store.trials()][:2]
        store.db.execute(f"UPDATE trials SET status = 'running' WHERE trial_id IN {tuple(tids)}")
    resumed = run_study(_study(), tmp_path, executor=_inline(), progress=False)
    assert (resumed.ran, resumed.done, resumed.already_done) == (2, 2, 7)
    assert "2 to re-run" in resumed.message


def test_overrides_change_fixed_keys_and_refuse_swept_ones(tmp_path):
    from gradlab.errors import ConfigError

    s = run_study(_study(), tmp_path, executor=_inline(), progress=False,
                  overrides=["train.epochs=2"])
    assert s.new == 9  # a different config -> new hashes
    with pytest.raises(ConfigError, match="the study sweeps model.act"):
        run_study(_study(), tmp_path, executor=_inline(), progress=False,
                  overrides=["model.act=elu"])


def test_a_crashing_trial_is_recorded_failed_while_the_rest_finish(tmp_path):
    # two worker processes; lr=13 raises in the trial, lr=66 kills its worker outright
    study = _study(acts=("relu",), lrs=(0.1, 13.0, 66.0, 0.2), seeds=1, epochs=51)
    summary = run_study(study, tmp_path, executor=LocalExecutor(2, trial_fn=fake_trial),
                        progress=False)
    assert (summary.ran, summary.done, summary.failed) == (4, 2, 2)
    with Store(tmp_path) as store:
        failed = store.trials("failed")
        done = store.trials("done")
    raised = [t for t in failed if t["config"]["train"]["lr"] == 13.0]
    assert len(raised) == 1 and "RuntimeError: boom in seed 0" in raised[0]["error"]
    died = [t for t in failed if t["config"]["train"]["lr"] == 66.0]
    assert len(died) == 1 and "died" in died[0]["error"]
    assert sorted(t["config"]["train"]["lr"] for t in done) == [0.1, 0.2]
    assert all(t["python_version"] and t["torch_version"] for t in done)


def _scipy_sign_flip_p(a, b):
    import numpy as np

    return scipy_stats.permutation_test(
        (np.array(a), np.array(b)), lambda x, y: np.mean(x - y), permutation_type="samples",
        n_resamples=np.inf).pvalue


def test_results_match_scipy_exact_paired_tests_with_holm(tmp_path):
    run_study(_study(seeds=7), tmp_path, executor=_inline(), progress=False)
    results = analyze(tmp_path)
    by = {g.label: g for g in results.groups}
    assert by["act=relu"].baseline is None and by["act=relu"].n == 7
    base = [fake_accuracy("relu", s) for s in range(7)]
    raw = {}
    for act in ("elu", "tanh"):
        values = [fake_accuracy(act, s) for s in range(7)]
        g = by[f"act={act}"]
        assert (g.test, g.baseline) == ("sign-flip", "act=relu")
        assert g.diff == pytest.approx(sum(values) / 7 - sum(base) / 7)
        assert g.p == pytest.approx(_scipy_sign_flip_p(values, base), rel=1e-12)
        raw[act] = g.p
    lo, hi = sorted(raw.values())
    holm = {a: (2 * p if p == lo else max(2 * lo, p)) for a, p in raw.items()}
    assert by["act=elu"].p_holm == pytest.approx(min(1, holm["elu"]))
    assert by["act=tanh"].p_holm == pytest.approx(min(1, holm["tanh"]))
    assert by["act=elu"].verdict == "better"
    assert re.match(r"act=elu beats act=relu by \+0\.\d+ dev_accuracy \(95% CI \+0\.\d+ to \+0\.\d+, "
                    r"p[=<][0-9.e-]+; after Holm's correction for 2 comparisons: p[=<][0-9.e-]+\)$",
                    by["act=elu"].sentence)
    assert by["act=relu"].findings == {"dead_relu": 7}
