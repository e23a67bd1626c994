"""The article figures of the built-in studies, from hand-made report data."""

from __future__ import annotations

from gradlab.report.article_figures import ARTICLE_FIGURES, article_figures, short_label
from gradlab.report.gan_figures import coverage_cells
from gradlab.report.page_data import GroupInfo, ReportData


def _data(name, groups):
    """ReportData with one finished trial per (config, metrics) pair."""
    infos, trials = [], []
    for i, (config, metrics) in enumerate(groups):
        tid = f"t{i}"
        infos.append(GroupInfo(key=f"g{i}", label=f"g{i}", trial_ids=[tid], config=config))
        trials.append({"trial_id": tid, "status": "done", "metrics": metrics, "seed": 0})
    return ReportData(name=name, groups=infos, trials=trials, metric="modes")


def test_labels_are_the_slopes():
    assert short_label("leaky_relu(0.2)") == "0.2"
    assert short_label("scheduled_leaky_relu(0.3, 0.1)") == "0.3→0.1"
    assert short_label("relu") == "relu" and short_label([16, 16]) == "[16, 16]"


def test_gan_cells_hold_the_mean_coverage_per_slope_pair_and_task():
    gan = lambda d, g, task: {"task": {"name": task}, "model": {"d_act": d, "g_act": g}}  # noqa: E731
    data = _data("gan-slope", [
        (gan("leaky_relu(0.1)", "leaky_relu(0.0)", "ring"), {"modes": 6, "n_modes": 8, "d_wins": 1, "g_dead_frac": 0.25}),
        (gan("leaky_relu(0.2)", "leaky_relu(0.0)", "ring"), {"modes": 2, "n_modes": 8, "d_wins": 0, "g_dead_frac": 0.0}),
        (gan("leaky_relu(0.2)", "leaky_relu(0.2)", "grid"), {"modes": 5, "n_modes": 25, "d_wins": 0, "g_dead_frac": 0.0}),
    ])
    panels, rows, cols = coverage_cells(data)
    assert rows == ["0.1", "0.2"] and cols == ["0", "0.2"]
    assert panels["ring"][("0.1", "0")]["value"] == 6 / 8
    assert "D wins 1/1" in panels["ring"][("0.1", "0")]["text"] and "G dead 25%" in panels["ring"][("0.1", "0")]["text"]
    assert panels["grid"][("0.2", "0.2")]["value"] == 5 / 25
    items = article_figures(data)
    assert "gan-slope" in ARTICLE_FIGURES and len(items) == 1 and items[0].figure is not None


def test_a_study_without_an_article_figure_gets_none():
    assert article_figures(_data("my-own-study", [])) == []
