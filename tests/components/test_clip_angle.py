"""Seed 004's clipping example, exactly, and the angle clipping turns a gradient by."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from gradlab.components.regularizers import clip_angle, clip_gradients


def _grad(values) -> nn.Parameter:
    p = nn.Parameter(torch.zeros(len(values)))
    p.grad = torch.tensor(values)
    return p


def _brute_angle(a, b) -> float:
    a, b = np.concatenate([np.ravel(x) for x in a]), np.concatenate([np.ravel(x) for x in b])
    cos = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


@pytest.mark.parametrize("by, expected", [("value", [0.9, 1.0]), ("norm", [0.00899964, 0.9999595])])
def test_seed004_example_0_9_100_clipped_at_1(by, expected):
    p = _grad([0.9, 100.0])
    clip_gradients([p], by=by, max=1.0)
    torch.testing.assert_close(p.grad, torch.tensor(expected), atol=1e-6, rtol=0)


def test_clipping_by_value_turns_the_example_towards_the_diagonal_and_by_norm_does_not():
    raw = torch.tensor([0.9, 100.0])
    by_value = clip_angle([raw], [torch.tensor([0.9, 1.0])]).item()
    # the raw vector is 89.48° from the x axis, the clipped one 48.01°: a turn of 41.47°
    assert by_value == pytest.approx(math.degrees(math.atan2(100, 0.9) - math.atan2(1.0, 0.9)), abs=1e-4)
    assert clip_angle([raw], [raw / raw.norm()]).item() == pytest.approx(0.0, abs=1e-4)


def test_clip_angle_matches_the_brute_force_angle_over_several_tensors():
    gen = torch.Generator().manual_seed(0)
    raw = [torch.randn(4, 3, generator=gen) * 5, torch.randn(7, generator=gen)]
    clipped = [g.clamp(-1, 1) for g in raw]
    got = clip_angle(raw, clipped).item()
    assert got == pytest.approx(_brute_angle([r.numpy() for r in raw], [c.numpy() for c in clipped]), abs=1e-3)
    assert got > 1.0  # value clipping of a wide gradient really turns it


def test_clip_angle_of_a_zero_gradient_is_zero():
    assert clip_angle([torch.zeros(3)], [torch.zeros(3)]).item() == 0.0


def test_member_axis_angles_equal_each_members_own():
    gen = torch.Generator().manual_seed(1)
    raw = [torch.randn(3, 4, 2, generator=gen) * 4, torch.randn(3, 5, generator=gen)]
    clipped = [g.clamp(-1, 1) for g in raw]
    got = clip_angle(raw, clipped, members=True)
    assert got.shape == (3,)
    for m in range(3):
        alone = clip_angle([r[m] for r in raw], [c[m] for c in clipped]).item()
        assert got[m].item() == pytest.approx(alone, abs=1e-4)
