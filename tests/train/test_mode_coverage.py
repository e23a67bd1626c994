"""Mode coverage scores against a brute-force count, sample by sample."""

import math

import pytest
import torch

from gradlab.data import create_task
from gradlab.errors import ConfigError
from gradlab.train.mode_coverage import Modes, mode_centers, mode_coverage


def brute_force(samples, centers, stds, quality, capture_share):
    counts = [0] * len(centers)
    hq = 0
    for p in samples.tolist():
        dists = [math.dist(p, c) for c in centers.tolist()]
        if not all(math.isfinite(d) for d in dists):
            continue
        m = min(range(len(dists)), key=dists.__getitem__)
        if dists[m] <= quality * float(stds[m]):
            hq += 1
            counts[m] += 1
    needed = capture_share * len(samples) / len(centers)
    captured = sum(c >= needed for c in counts)
    soft = sum(min(1.0, c / needed) for c in counts)
    return captured, hq / len(samples), counts, soft


@pytest.mark.parametrize("task_name", ["ring", "grid"])
@pytest.mark.parametrize("spread", [0.5, 2.0, 6.0], ids=["tight", "wide", "noise"])
def test_scores_equal_a_brute_force_count(task_name, spread):
    task = create_task(task_name, seed=0)
    modes = mode_centers(*task.train)
    g = torch.Generator().manual_seed(1)
    # a collapsed-ish generator: samples around a few modes only, at `spread` mode stds
    pick = torch.randint(0, 3, (400,), generator=g)
    samples = modes.centers[pick] + spread * modes.stds[pick, None] * torch.randn(400, 2, generator=g, dtype=torch.float64)
    samples[0] = float("nan")
    got = mode_coverage(samples, modes)
    captured, hq, counts, soft = brute_force(samples, modes.centers, modes.stds, 3.0, 0.2)
    assert got["counts"] == counts and got["modes"] == captured
    assert got["soft_modes"] == pytest.approx(soft)
    assert got["hq_share"] == pytest.approx(hq)
    assert got["mode_share"] == pytest.approx(captured / len(modes.centers))


def test_the_data_itself_captures_every_mode_and_a_point_cloud_none():
    task = create_task("ring", seed=0)
    modes = mode_centers(*task.train)
    assert mode_coverage(task.test[0], modes)["modes"] == 8
    assert mode_coverage(task.test[0], modes)["hq_share"] > 0.97  # 2-D Gaussian: 98.9 % within 3 std
    assert mode_coverage(task.test[0], modes)["soft_modes"] == 8.0
    assert mode_coverage(torch.zeros(100, 2), modes) == {"modes": 0, "soft_modes": 0.0, "mode_share": 0.0,
                                                         "hq_share": 0.0, "counts": [0] * 8}


def test_soft_modes_give_partial_credit_between_captured_and_empty():
    modes = Modes(torch.tensor([[0.0, 0.0], [10.0, 0.0]]), torch.ones(2))
    # 100 samples, 2 modes: capture needs 0.2 * 100 / 2 = 10 high-quality samples
    samples = torch.cat([torch.zeros(95, 2), torch.full((5, 2), 10.0) * torch.tensor([1.0, 0.0])])
    got = mode_coverage(samples, modes)
    assert got["counts"] == [95, 5] and got["modes"] == 1
    assert got["soft_modes"] == pytest.approx(1.5)


def test_centres_and_spreads_are_read_from_the_labels():
    task = create_task("ring", seed=0, std=0.05)
    modes = mode_centers(*task.train)
    angle = 2 * math.pi * torch.arange(8, dtype=torch.float64) / 8
    assert torch.allclose(modes.centers, 2 * torch.stack([angle.cos(), angle.sin()], 1), atol=0.02)
    assert torch.allclose(modes.stds, torch.full((8,), 0.05, dtype=torch.float64), rtol=0.2)


def test_bad_arguments_name_the_value():
    modes = Modes(torch.zeros(1, 2), torch.ones(1))
    with pytest.raises(ConfigError, match="capture_share"):
        mode_coverage(torch.zeros(3, 2), modes, capture_share=0)
    with pytest.raises(ConfigError, match="at least 2"):
        mode_centers(torch.zeros(3, 2), torch.tensor([0, 1, 1]))
