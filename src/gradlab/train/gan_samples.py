"""Generated and real points a GAN trial keeps for the report's sample figure.

The report draws "real modes vs generated points" (the picture of the mode-collapse literature)
without retraining, so a GAN trial stores a small sample of both while it runs: the first
:data:`POINTS` of the samples its final scores were computed on, and as many training points.
They travel the way activation snapshots do (:mod:`gradlab.train.activation_record`): rows of
``{"layer", "epoch", "values"}`` with float16 values, kept by the store for the lowest seed of
each configuration. The ``layer`` names below mark them as points, not activations; the
reading side (for the report, which may not import ``train``) is
:mod:`gradlab.study.stored_points`.
"""

from __future__ import annotations

import torch

from gradlab.train.activation_record import TRAINED, pack_values

POINTS = 512                 # points of each kind kept per trial
GENERATED = "gan:generated"  # the trained generator's samples
REAL = "gan:real"            # training points (their modes are the targets)
POINT_ROWS = (GENERATED, REAL)


def point_rows(generated: torch.Tensor, real: torch.Tensor, limit: int = POINTS) -> list[dict]:
    """Rows of the first ``limit`` generated and real points, flattened ``[n * d]`` as float16."""
    rows = []
    for layer, pts in ((GENERATED, generated), (REAL, real)):
        flat = pts[:limit].detach().reshape(min(limit, len(pts)), -1).double().cpu().numpy()
        rows.append({"layer": layer, "epoch": TRAINED, "values": pack_values(flat.reshape(-1))})
    return rows
