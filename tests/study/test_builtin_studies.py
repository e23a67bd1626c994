"""Every built-in study is valid, compares each group with a real baseline, and runs end to end."""

import pytest

from gradlab.study.plan import baseline_for, effective_values, plan_study
from gradlab.study.results import analyze
from gradlab.study.runner import run_study
from gradlab.study.spec import load_study
from gradlab.studies import study_names


@pytest.mark.parametrize("name", study_names())
def test_every_group_but_the_baselines_has_a_baseline_to_compare_with(name):
    study = load_study(name)  # validates every expanded configuration
    points = plan_study(study)
    keys = study.swept_keys
    values = [effective_values(p.config, keys) for p in points]
    baselines = [i for i, v in enumerate(values) if baseline_for(v, values, study.compare.baseline) is None]
    assert baselines, "no group is the baseline"
    assert len(baselines) < len(points) / 2, "most groups have nothing to be compared with"
    assert len({p.config_hash for p in points}) == len(points), "two sweep points are the same config"


def _two_values_per_axis(study):
    """Each grid axis keeps two values, the baseline's among them: every block still runs."""
    from gradlab.study.spec import same_value

    base = study.compare.baseline
    for block in study.sweep:
        if block.mode == "zip":  # zipped axes must keep their lengths equal
            continue
        for key, values in block.axes.items():
            keep = [v for v in values if key in base and same_value(v, base[key])][:1]
            for v in (values[0], values[-1]):
                if len(keep) < 2 and not any(v is k for k in keep):
                    keep.append(v)
            block.axes[key] = keep


@pytest.mark.parametrize("name", study_names())
def test_runs_end_to_end_in_miniature(name, tmp_path):
    study = load_study(name, validate=False)
    _two_values_per_axis(study)
    study.config.setdefault("train", {})["epochs"] = 2
    if "pretrain" in study.config["train"]:  # a pretraining budget shrinks too
        study.config["train"]["pretrain"]["epochs"] = 1
    for block in study.sweep:  # a swept epoch count (a "more epochs" row) shrinks too
        if "train.epochs" in block.axes:
            block.axes["train.epochs"] = [3 for _ in block.axes["train.epochs"]]
    summary = run_study(study, tmp_path, seeds=2, workers=1, progress=False)
    assert summary.failed == 0 and summary.done == summary.trials
    results = analyze(tmp_path)
    assert all(g.n == 2 for g in results.groups)
    # the article's figure draws from what the miniature trials stored
    from gradlab.report.article_figures import article_figures
    from gradlab.report.data import load_report_data

    for item in article_figures(load_report_data(tmp_path)):
        assert item.figure is not None and not item.error, (item.title, item.error)
        item.close()
