"""Every figure of the report, drawn from a small study in the real store (issue 6's "Done when").

The study has two groups that differ (ReLU dies, LeakyReLU learns): figures drawn per group must
differ between them, and every figure must be a real, non-blank picture.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.image import imread

from gradlab.report._style import to_png
from gradlab.report.data import load_report_data
from gradlab.report.study_figures import build_figures

# what the issue asks for, by the start of the figure's title (activation histograms and the
# "colorful dimension" are covered by test_report_reads_store)
EXPECTED = ["dev_accuracy of every group", "Training curves", "Gradient norm by layer",
            "Dead units by layer and epoch", "Weight-row symmetry", "Activation shapes and derivatives",
            "Output mean shift"]


def pixels(figure) -> np.ndarray:
    png = to_png(figure, dpi=40)
    img = imread(io.BytesIO(png), format="png")
    assert len(np.unique(img.reshape(-1, img.shape[-1]), axis=0)) > 20, "blank figure"
    return img


def test_every_figure_is_drawn_from_the_study_and_groups_differ(study_dir):
    items = build_figures(load_report_data(study_dir), activations=False)
    titles = [i.title for i in items]
    for start in EXPECTED:
        assert any(t.startswith(start) for t in titles), (start, titles)
    drawn = {}
    for item in items:
        assert item.figure is not None and not item.error, (item.title, item.error)
        drawn[item.title] = pixels(item.figure)
    assert not any(t.startswith("dev_accuracy against") for t in titles)  # a categorical axis: no sweep plot
    grid = next(i.figure for i in items if i.title.startswith("Dead units"))
    panels = [ax for ax in grid.axes if ax.images]
    assert [ax.get_title() for ax in panels] == ["act=relu", "act=leaky_relu(0.01)"]
    relu, leaky = (np.asarray(ax.images[0].get_array()) for ax in panels)
    assert relu.min() == 1.0 and leaky.max() < 0.1, "the two groups look the same"
