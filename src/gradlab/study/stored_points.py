"""The reading side of the GAN points a trial stored (:mod:`gradlab.train.gan_samples` writes them).

The report may import ``study`` but not ``train`` (docs/architecture.md), so the store's view of
those rows lives here: which stored activation rows are points, and the points as arrays.
"""

from __future__ import annotations

import numpy as np

from gradlab.train.gan_samples import GENERATED, POINT_ROWS, REAL

__all__ = ["GENERATED", "REAL", "is_point_row", "stored_points"]


def is_point_row(row: dict) -> bool:
    """Whether a stored activation row holds GAN points rather than activation values."""
    return row.get("layer") in POINT_ROWS


def stored_points(rows: list[dict], dim: int = 2) -> dict[str, np.ndarray]:
    """``{GENERATED: [n, dim], REAL: [n, dim]}`` from a trial's stored rows (those it has).

    ``rows`` are :meth:`gradlab.study.store.Store.activations` rows: ``values`` already float32.
    """
    return {r["layer"]: np.asarray(r["values"], dtype=np.float32).reshape(-1, dim)
            for r in rows if is_point_row(r)}
