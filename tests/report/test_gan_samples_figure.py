"""``gan-slope``'s sample figure: the stored points of the baseline and the best group, no training."""

from __future__ import annotations

import numpy as np
import torch

from gradlab.report.gan_samples_figure import gan_sample_figures, sample_groups
from gradlab.report.page_data import GroupInfo, ReportData
from gradlab.study.stored_points import GENERATED, REAL, is_point_row, stored_points
from gradlab.train.activation_record import unpack_values
from gradlab.train.gan_samples import point_rows


def _stored(rows):
    """Rows as the store gives them back: values unpacked to float32."""
    return [{**r, "values": unpack_values(r["values"])} for r in rows]


def _data(scores, with_points=True):
    groups, trials, acts = [], [], {}
    for i, score in enumerate(scores):
        d = "leaky_relu(0.2)" if i == 0 else f"leaky_relu(0.{i + 2})"
        cfg = {"model": {"d_act": d, "g_act": "leaky_relu(0.2)"}}
        tid = f"t{i}"
        groups.append(GroupInfo(key=f"g{i}", label=f"d_act={d}", trial_ids=[tid], config=cfg))
        trials.append({"trial_id": tid, "status": "done", "seed": 0,
                       "metrics": {"soft_modes": score, "modes": int(score), "n_modes": 8}})
        if with_points:
            acts[tid] = _stored(point_rows(torch.full((600, 2), float(i)), torch.zeros(600, 2)))
    return ReportData(name="gan-slope", groups=groups, trials=trials, metric="soft_modes",
                      baseline={"model.d_act": "leaky_relu(0.2)"}, activations=acts)


def test_points_round_trip_through_the_stored_rows_as_float16():
    g = torch.Generator().manual_seed(0)
    gen, real = torch.randn(700, 2, generator=g), torch.randn(300, 2, generator=g)
    rows = point_rows(gen, real)
    assert all(is_point_row(r) for r in rows) and not is_point_row({"layer": "act1"})
    points = stored_points(_stored(rows))
    assert points[GENERATED].shape == (512, 2) and points[REAL].shape == (300, 2)
    np.testing.assert_array_equal(points[GENERATED], gen[:512].numpy().astype(np.float16).astype(np.float32))


def test_the_baseline_and_the_best_group_are_drawn_from_their_stored_points():
    data = _data([3.0, 5.5, 1.0])
    assert [g.key for g in sample_groups(data)] == ["g0", "g1"]
    (item,) = gan_sample_figures(data)
    assert item.figure is not None, item.error
    ax_base, ax_best = item.figure.axes[:2]
    # the generated points of group i were all at (i, i): the baseline's panel holds (0, 0), the best's (1, 1)
    assert np.allclose(ax_base.collections[1].get_offsets(), 0.0)
    assert np.allclose(ax_best.collections[1].get_offsets(), 1.0)
    assert "best" in ax_best.get_title() and "baseline" in ax_base.get_title()
    item.close()


def test_a_best_baseline_gets_one_panel_and_missing_points_say_so():
    data = _data([6.0, 2.0])
    assert [g.key for g in sample_groups(data)] == ["g0"]
    (item,) = gan_sample_figures(_data([1.0, 2.0], with_points=False))
    assert item.figure is not None
    assert all("no stored points" in ax.texts[0].get_text() for ax in item.figure.axes)
    item.close()
