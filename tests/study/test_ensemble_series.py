"""The ensemble's per-member vitals summary equals the row-by-row one of ``run_trial``.

``epoch_series`` (a Vitals object straight to per-epoch series) and ``PackedVitals.from_series``
are checked against the reference path: ``epoch_vitals(vitals.rows())`` packed by ``from_rows``.
"""

from __future__ import annotations

import math
import random

from gradlab.study.series_codec import PackedVitals
from gradlab.train.epoch_vitals import epoch_series, epoch_vitals
from gradlab.watch.vitals import Vitals


def _vitals(seed: int) -> Vitals:
    rng = random.Random(seed)
    v = Vitals(max_points=16)  # small: thinning and held non-finite points are exercised
    for step in range(200):
        v.add(step, "", "loss", rng.random())
        if step % 7 == 3:
            for layer in ("fc1", "act1"):
                value = math.inf if rng.random() < 0.05 else rng.gauss(0, 1)
                v.add(step, layer, "grad_norm", value)
                v.add(step, layer, "weight_norm", rng.random())
        if step > 150 and step % 11 == 0:
            v.add(step, "fc2", "late", float(step))
    return v


def test_epoch_series_and_its_packing_equal_the_row_path():
    for seed in range(5):
        v = _vitals(seed)
        done = [(epoch, steps) for epoch, steps in enumerate(range(9, 201, 10), start=1) if epoch % 3 or seed]
        rows = epoch_vitals(v.rows(), done)
        got = epoch_series(v, done)
        flat = sorted(({"epoch": e, "layer": layer, "stat": stat, "value": x}
                       for (layer, stat), points in got.items() for e, x in points),
                      key=lambda r: (r["epoch"], r["layer"], r["stat"]))
        assert flat == rows
        packed = PackedVitals.from_series(got)
        assert sorted(packed.series) == sorted(PackedVitals.from_rows(rows).series)  # order is free
        assert len(packed) == len(rows) and list(packed) == PackedVitals.from_rows(rows).rows()


def test_per_member_losses_and_metrics_equal_each_members_own():
    """``per_member(fn)`` on ``[M, N, ...]`` gives each member's own ``fn`` (a batch mean)."""
    import torch

    from gradlab.train.metrics import LOSSES, METRICS, per_member

    g = torch.Generator().manual_seed(0)
    cases = {  # (outputs, targets) of M = 5 members, 37 samples
        "bce": (torch.randn(5, 37, 1, generator=g), (torch.rand(5, 37, 1, generator=g) > 0.5).float()),
        "ce": (torch.randn(5, 37, 4, generator=g), torch.randint(0, 4, (5, 37), generator=g).float()),
        "mse": (torch.randn(5, 37, 3, generator=g), torch.randn(5, 37, 3, generator=g)),
    }
    for name, (out, y) in cases.items():
        fns = [LOSSES[name]] + ([METRICS["accuracy"]] if name != "mse" else [METRICS["mse"]])
        for fn in fns:
            got = per_member(fn)(out, y)
            want = torch.stack([fn(out[i], y[i]) for i in range(5)])
            torch.testing.assert_close(got, want, rtol=1e-6, atol=1e-7)
