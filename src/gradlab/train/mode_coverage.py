"""Mode coverage of generated samples on data with known modes (the ring and the grid of Gaussians).

The standard scores of the mode-collapse literature (Metz et al. 2017, "Unrolled GANs";
Srivastava et al. 2017, "VEEGAN"): each generated sample is assigned to its nearest mode centre;
it is *high quality* when it lies within ``quality`` standard deviations of that centre. A mode is
*captured* when its high-quality samples are at least ``capture_share`` of the count a perfect
generator would give it (``n / M``): with the defaults, a mode that gets a fifth of its fair share
counts, one hit by a stray sample does not.

The captured count is an integer from 0 to M, so two seeds often tie on it, and a paired test
on few seeds then has too few differing pairs to say anything. *Soft modes* is its continuous
twin: each mode counts ``min(1, high-quality samples / capture count)`` — a captured mode 1, a
mode with half the samples it needs 0.5, an empty one 0 — so it equals the captured count when
every mode is either captured or empty, and moves smoothly in between.

The centres and spreads are not hard-coded: :func:`mode_centers` reads them from labelled data
(the task's ``y`` holds each sample's mode), so the same scores work for any generative task.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from gradlab.errors import ConfigError

QUALITY = 3.0        # a sample within 3 std of its nearest mode is high quality
CAPTURE_SHARE = 0.2  # a mode is captured with >= 1/5 of its fair share of high-quality samples


@dataclass(frozen=True)
class Modes:
    """Mode centres ``[M, d]`` and each mode's isotropic standard deviation ``[M]``."""

    centers: Tensor
    stds: Tensor


def mode_centers(x: Tensor, labels: Tensor) -> Modes:
    """Centre and spread of every mode from labelled samples.

    The spread is the root mean per-coordinate variance around the mode's centre (the ``std`` of
    an isotropic Gaussian mode).

    Raises:
        ConfigError: shapes that do not match, or a mode with fewer than two samples.
    """
    x = x.reshape(len(x), -1).double()
    labels = labels.reshape(-1).long()
    if len(labels) != len(x):
        raise ConfigError(f"mode labels: {len(labels)} labels for {len(x)} samples")
    ids = torch.unique(labels)
    centers, stds = [], []
    for m in ids.tolist():
        pts = x[labels == m]
        if len(pts) < 2:
            raise ConfigError(f"mode {m} has {len(pts)} sample(s); at least 2 are needed for its spread")
        c = pts.mean(0)
        centers.append(c)
        stds.append(((pts - c) ** 2).mean().sqrt())
    return Modes(torch.stack(centers), torch.stack(stds))


def mode_coverage(samples: Tensor, modes: Modes, *, quality: float = QUALITY,
                  capture_share: float = CAPTURE_SHARE) -> dict:
    """Score generated samples against known modes.

    Args:
        samples: ``[n, d]`` generated points (any float dtype; non-finite points are low quality).
        modes: the data's modes, from :func:`mode_centers`.
        quality: a sample is high quality within ``quality`` stds of its nearest centre.
        capture_share: a mode is captured with at least ``capture_share * n / M`` high-quality
            samples.

    Returns:
        ``{"modes": captured count, "soft_modes": the captured count with partial credit (module
        doc), "mode_share": captured / M, "hq_share": share of high-quality samples, "counts":
        high-quality samples per mode (list)}``.
    """
    if quality <= 0 or not 0 < capture_share <= 1:
        raise ConfigError(f"quality must be > 0 and capture_share in (0, 1], got {quality!r}, {capture_share!r}")
    x = samples.reshape(len(samples), -1).double().cpu()
    n, m = len(x), len(modes.centers)
    if n == 0:
        return {"modes": 0, "soft_modes": 0.0, "mode_share": 0.0, "hq_share": 0.0, "counts": [0] * m}
    dist = torch.cdist(x, modes.centers.double().cpu())
    dist = torch.nan_to_num(dist, nan=float("inf"))
    nearest_d, nearest = dist.min(dim=1)
    hq = nearest_d <= quality * modes.stds.double().cpu()[nearest]
    counts = torch.bincount(nearest[hq], minlength=m)
    needed = capture_share * n / m
    captured = int((counts >= needed).sum())
    soft = float((counts.double() / needed).clamp(max=1.0).sum())
    return {"modes": captured, "soft_modes": soft, "mode_share": captured / m,
            "hq_share": float(hq.double().mean()), "counts": counts.tolist()}
