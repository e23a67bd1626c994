"""Every built-in study is valid, compares each group with a real baseline, and runs end to end."""

import pytest

from gradlab.study.plan import baseline_for, effective_values, plan_study
from gradlab.study.results import analyze
from gradlab.study.runner import run_study
from gradlab.study.spec import load_study
from gradlab.studies import study_names

# the article figures each study's report must draw from what its trials stored
ARTICLE_FIGURES = {
    "activation-compare": ["Output mean by layer, first epoch", "Time relative to act=relu"],
    "init-compare": ["Activation spread by depth at initialisation", "Gradient norm by depth at initialisation"],
    "optimizer-compare": ["Training curves at the lr chosen on dev", "Steps to target"],
    "schedule-compare": ["Learning rate and momentum per epoch"],
    "clipping": ["Seed 004's clipping example", "Angle between the raw and the clipped gradient"],
    "batchnorm": ["Time relative to norm=none"],
}

# article figures drawn from points the trials stored (not from metrics)
STORED_POINTS = {"gan-slope": ["Real and generated points: baseline and best configuration"]}


@pytest.mark.parametrize("name", study_names())
def test_every_group_but_the_baselines_has_a_baseline_to_compare_with(name):
    study = load_study(name)  # validates every expanded configuration
    points = plan_study(study)
    keys = study.swept_keys
    values = [effective_values(p.config, keys) for p in points]
    baselines = [i for i, v in enumerate(values) if baseline_for(v, values, study.compare.baseline) is None]
    assert baselines, "no group is the baseline"
    # an A/B in every cell (slope-depth: slope 0.3 vs ReLU) has as many baselines as compared
    assert len(baselines) <= len(points) / 2, "most groups have nothing to be compared with"
    assert len({p.config_hash for p in points}) == len(points), "two sweep points are the same config"


def _miniature(study) -> None:
    """Two epochs; each grid axis keeps two values, the baseline's among them, and a zip block
    of more than three positions its first and last: every block still runs, in a few trials."""
    from gradlab.study.spec import same_value

    base = study.compare.baseline
    for block in study.sweep:
        if block.mode == "zip":  # zipped axes must keep their lengths equal
            if len(next(iter(block.axes.values()))) > 3:
                block.axes = {k: [v[0], v[-1]] for k, v in block.axes.items()}
            continue
        for key, values in block.axes.items():
            keep = [v for v in values if key in base and same_value(v, base[key])][:1]
            for v in (values[0], values[-1]):
                if len(keep) < 2 and not any(v is k for k in keep):
                    keep.append(v)
            block.axes[key] = keep
    study.config.setdefault("train", {})["epochs"] = 2
    if "pretrain" in study.config["train"]:  # a pretraining budget shrinks too
        study.config["train"]["pretrain"]["epochs"] = 1
    for block in study.sweep:  # a swept epoch count (a "more epochs" row) shrinks too
        if "train.epochs" in block.axes:
            block.axes["train.epochs"] = [3 for _ in block.axes["train.epochs"]]


@pytest.mark.parametrize("name", study_names())
def test_runs_end_to_end_in_miniature(name, tmp_path, monkeypatch):
    from gradlab.train import timing

    monkeypatch.setattr(timing, "ROUNDS", 1)  # time_against: one timed round is enough here
    study = load_study(name, validate=False)
    _miniature(study)
    summary = run_study(study, tmp_path, seeds=2, workers=1, progress=False)
    assert summary.failed == 0 and summary.done == summary.trials
    results = analyze(tmp_path)
    assert all(g.n == 2 for g in results.groups)
    # the articles' figures draw from what the miniature trials stored
    from gradlab.report.article_figures import article_figures
    from gradlab.report.article_items import article_items
    from gradlab.report.data import load_report_data

    from gradlab.train.gan import GANTrainer

    # drawing never trains: a GAN's sample figure comes from the points its trials stored
    monkeypatch.setattr(GANTrainer, "fit", lambda *a, **k: pytest.fail("the report trained a GAN"))
    data = load_report_data(tmp_path)
    for item in article_figures(data):
        assert item.figure is not None and not item.error, (item.title, item.error)
        if item.title in STORED_POINTS.get(name, []):  # every panel holds real and generated points
            assert all(len(ax.collections) == 2 for ax in item.figure.axes if ax.get_title()), item.title
        item.close()
    items = {item.title: item for item in article_items(data)}
    for title in ARTICLE_FIGURES.get(name, []):
        assert title in items, f"{title!r} missing from {sorted(items)}"
        assert items[title].figure is not None, items[title].error
    for item in items.values():
        item.close()
