"""Every figure renders from plain data, is not blank, and changes when the data changes.

Each test renders the same figure twice from identical data (the pictures must be equal: the
figures are deterministic, so "differs" below means something) and once from data of a group
that differs (the picture must change).
"""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import torch
from matplotlib.image import imread

from gradlab.report import figures as F
from gradlab.report._style import to_png
from gradlab.report.activation_figures import output_means


def assert_drawn(fig) -> np.ndarray:
    """The figure's pixels, after checking it is a real, non-blank PNG (low dpi: fast)."""
    png = to_png(fig, dpi=40)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 2_000
    img = imread(io.BytesIO(png), format="png")
    assert len(np.unique(img.reshape(-1, img.shape[-1]), axis=0)) > 20, "the figure is (nearly) blank"
    return img


def assert_responds(make, same, other):
    a, b, c = assert_drawn(make(same)), assert_drawn(make(same)), assert_drawn(make(other))
    assert np.array_equal(a, b), "same data, different picture: the figure is not deterministic"
    assert a.shape != c.shape or not np.array_equal(a, c), "different data, same picture"


def history(acc_end: float, seed: int = 0, epochs: int = 8) -> list[dict]:
    return [{"epoch": e, "train_loss": 1.0 / e + 0.01 * seed, "dev_loss": 1.1 / e,
             "train_accuracy": acc_end * e / epochs, "dev_accuracy": acc_end * e / epochs - 0.01}
            for e in range(1, epochs + 1)]


def test_training_curves_by_group():
    learns = {"leaky": [history(0.9, s) for s in range(3)]}
    stuck = {"leaky": [history(0.5, s) for s in range(3)]}
    assert_responds(F.training_curves, learns, stuck)
    fig = F.training_curves({**learns, "relu": [history(0.5, s) for s in range(3)]})
    left, right = fig.axes[:2]
    assert left.get_ylabel() == "loss" and right.get_ylabel() == "accuracy"
    assert len(right.lines) == 4  # 2 groups x (train, dev)


def test_grad_norm_by_layer_is_log_and_keeps_zeros():
    sigmoid = {"sigmoid": {"fc1": [2e-11, 3e-11], "fc2": 1e-8, "fc3": 5e-6}}
    relu = {"sigmoid": {"fc1": 0.02, "fc2": 0.05, "fc3": 0.1}}
    assert_responds(F.grad_norm_by_layer, sigmoid, relu)
    fig = F.grad_norm_by_layer({"dead": {"fc1": 0.0, "fc2": 0.0}, "alive": {"fc1": 1e-3, "fc10": 1.0, "fc2": 1e-2}})
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["fc1", "fc2", "fc10"]


def test_unit_health_heatmap():
    dead = {"act1": {1: 1.0, 2: 1.0}, "act2": {1: 1.0, 2: 1.0}}
    alive = {"act1": {1: 0.0, 2: 0.1}, "act2": {1: 0.0, 2: 0.0}}
    assert_responds(F.unit_health_heatmap, dead, alive)
    fig = F.unit_health_heatmap(dead, {"act1": {1: 0.3, 2: 0.4}})
    images = [im for ax in fig.axes for im in ax.images]
    assert len(images) == 2
    assert images[0].get_array()[0, 0] == pytest.approx(1.0)


def test_row_symmetry():
    clones = {"zeros": {"fc1": ([1, 2, 3], [0.0, 0.0, 0.0])}}
    random = {"zeros": {"fc1": ([1, 2, 3], [1.0, 0.98, 0.97])}}
    assert_responds(F.row_symmetry, clones, random)


@pytest.mark.parametrize("numeric", [True, False], ids=["slopes", "activations"])
def test_sweep_metric_points_and_band(numeric):
    xs = [0, 0.01, 0.1, 0.5] if numeric else ["relu", "elu", "selu", "gelu"]

    def data(shift):
        pts = [{"x": x, "value": 0.8 + 0.02 * i + shift + 0.005 * s} for i, x in enumerate(xs) for s in range(3)]
        summ = [{"x": x, "mean": 0.805 + 0.02 * i + shift, "ci_low": 0.79 + 0.02 * i + shift,
                 "ci_high": 0.82 + 0.02 * i + shift} for i, x in enumerate(xs)]
        return pts, summ

    assert_responds(lambda d: F.sweep_metric(*d, "axis", "dev_accuracy"), data(0.0), data(0.1))
    fig = F.sweep_metric(*data(0.0), "axis", "dev_accuracy")
    scatter = fig.axes[0].collections[0]
    assert len(scatter.get_offsets()) == 12  # every seed is a dot


def test_activation_histograms_positive_and_negative():
    z = torch.randn(4000, generator=torch.Generator().manual_seed(0))
    relu = {"net": torch.relu(z)}
    leaky = {"net": torch.nn.functional.leaky_relu(z, 0.2)}
    assert_responds(F.activation_histograms, relu, leaky)
    fig = F.activation_histograms({"relu": torch.relu(z), "leaky": torch.nn.functional.leaky_relu(z, 0.2)})
    assert len(fig.axes) == 4
    assert "no negative" in fig.axes[1].texts[0].get_text()  # ReLU has no negative side
    assert "negative activations" in fig.axes[3].get_title()
    long = "act=leaky_relu(0.1) optimizer=adam init=he_normal bias_init=zeros"
    fig = F.activation_histograms({long: torch.nn.functional.leaky_relu(z, 0.2), "relu": torch.relu(z)})
    fig.canvas.draw()
    for ax in fig.axes:  # each title and note fits over its own panel: neighbours cannot run together
        for text in [ax.title, *ax.texts]:
            assert text.get_window_extent().width <= ax.get_window_extent().width


def test_colorful_dimension_keeps_negative_values():
    g = torch.Generator().manual_seed(0)
    spreading = [torch.randn(500, generator=g) * (1 + t) for t in range(10)]
    dying = [torch.randn(500, generator=g).clamp(min=0) / (1 + t) for t in range(10)]
    assert_responds(F.colorful_dimension, spreading, dying)
    fig = F.colorful_dimension(spreading, steps=list(range(0, 100, 10)))
    lo, hi = fig.axes[0].images[0].get_extent()[2:]
    assert lo < 0 < hi


def test_activation_shapes_uses_registered_derivatives():
    assert_responds(F.activation_shapes, ["relu", "tanh"], ["leaky_relu(0.2)", "sigmoid"])
    fig = F.activation_shapes(["relu", "leaky_relu(0.2)", torch.nn.GELU(), torch.tanh])
    deriv = fig.axes[1].lines
    z, d = deriv[1].get_data()  # leaky_relu(0.2): slope 0.2 left of 0, 1 right of it
    assert np.allclose(d[z < -0.1], 0.2) and np.allclose(d[z > 0.1], 1.0)
    z, d = deriv[3].get_data()  # tanh' = 1 - tanh^2
    assert np.allclose(d, 1 - np.tanh(z) ** 2, atol=1e-5)


def test_output_means_match_the_analytic_shift():
    # E[relu(x)] = 1/sqrt(2 pi), E[x Phi(x)] = 1/(2 sqrt(pi)) for x ~ N(0, 1) (seed 001)
    means = output_means(["relu", "gelu", "tanh"], n=200_000, seed=0)
    assert means["relu"] == pytest.approx(1 / math.sqrt(2 * math.pi), abs=5e-3)
    assert means["gelu"] == pytest.approx(1 / (2 * math.sqrt(math.pi)), abs=5e-3)
    assert means["tanh"] == pytest.approx(0.0, abs=5e-3)


def test_output_mean_shift():
    assert_responds(F.output_mean_shift, ["relu", "gelu"], ["tanh", "elu"])


def test_empty_data_says_so_instead_of_failing():
    for fig in (F.training_curves({}), F.grad_norm_by_layer({}), F.unit_health_heatmap({}),
                F.row_symmetry({}), F.sweep_metric([], [], "a", "m"), F.colorful_dimension([])):
        assert any(t.get_text().startswith("no ") for ax in fig.axes for t in ax.texts)


def test_a_diverged_seed_does_not_flatten_the_other_curves():
    # one seed's loss explodes to 5000 after epoch 30; the others decay to ~0.02
    def run(seed, diverges=False, after=30):
        return [{"epoch": e, "train_loss": 5000.0 * e if diverges and e > after else 1.0 / e,
                 "dev_loss": 1.1 / e, "train_accuracy": 0.9, "dev_accuracy": 0.9} for e in range(1, 51)]

    fig = F.training_curves({"fine": [run(s) for s in range(4)], "one diverged": [run(0, True), run(1), run(2)]})
    loss = fig.axes[0]
    assert loss.get_yscale() == "log" and loss.get_ylim()[1] < 100  # the axis follows the medians
    tops = [max(line.get_ydata()) for line in loss.lines]
    assert max(tops) < 10
    # a median that shoots up at the very end is cut at the top of the axis, and the cut marked
    fig = F.training_curves({"fine": [run(s) for s in range(3)],
                             "diverged": [run(s, True, after=47) for s in range(3)]})
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any(t.startswith("▲ cut off above the axis: up to 2.5e+05") for t in texts), texts
    assert fig.axes[0].get_ylim()[1] < 1e4


def test_legends_are_complete_and_labels_whole():
    long = "act=leaky_relu(0.1) optimizer=adam init=he_normal bias_init=zeros"
    groups = {f"{long} lr={i}": [history(0.5 + 0.05 * i, s) for s in range(2)] for i in range(6)}
    fig = F.training_curves(groups)
    labels = [t.get_text().replace("\n", " ") for lg in fig.legends for t in lg.get_texts()]
    assert labels == [*groups, "train", "dev"]  # every group, whole, no "…"
    colours = {line.get_color() for line in fig.axes[1].lines}
    assert len(colours) == 6  # one distinct colour per group


def test_layers_go_from_input_to_output_in_the_model_order():
    order = ["fc1", "norm1", "fc2", "norm2", "fc10"]
    fig = F.grad_norm_by_layer({"g": {"norm2": 1.0, "fc1": 0.1, "fc10": 2.0, "norm1": 0.2, "fc2": 0.5}},
                               order=order)
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks == order


def test_results_by_group_draws_every_group_best_on_top():
    rows = [{"label": f"act=a{i}", "values": [0.5 + 0.01 * i] * 3, "mean": 0.5 + 0.01 * i,
             "ci_low": 0.49 + 0.01 * i, "ci_high": 0.51 + 0.01 * i,
             "verdict": "baseline" if i == 0 else "better"} for i in range(20)]
    fig = F.results_by_group(rows, "dev_accuracy")
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(ticks) == 20 and ticks[-1] == "act=a19" and ticks[0] == "act=a0"
    assert_responds(lambda r: F.results_by_group(r, "dev_accuracy"), rows, rows[:10])


def test_unit_health_grid_has_one_titled_panel_per_group_rows_in_model_order():
    dead = {"act2": {1: 1.0, 2: 1.0}, "act1": {1: 1.0, 2: 0.9}}
    alive = {"act2": {1: 0.0, 2: 0.1}, "act1": {1: 0.0, 2: 0.0}}
    title = "act=leaky_relu(0.1) optimizer=adam init=he_normal bias_init=zeros"
    fig = F.unit_health_grid({"act=relu": dead, title: alive}, order=["act1", "act2"])
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_title()]
    assert [ax.get_title().replace("\n", " ") for ax in panels] == ["act=relu", title]
    assert [t.get_text() for t in panels[0].get_yticklabels()] == ["act1", "act2"]
    assert_responds(lambda g: F.unit_health_grid(g), {"a": dead}, {"a": alive})
