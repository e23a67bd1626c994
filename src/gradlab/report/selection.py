"""Which groups the report draws curves and per-layer figures for.

A study of 16 configurations cannot show 16 sets of training curves in one axis (or 16 heatmaps
on one page) and stay readable. Every group appears in the table and in the one-row-per-group
results figure; the curve and layer figures show the baseline and the best few groups, which is
what the answer is about ("which configuration wins, and what was wrong with the baseline").
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Sequence

#: groups drawn in the curve and per-layer figures: the baseline and the best three
SHOWN = 4


def _mean(g) -> float:
    return g.mean if isinstance(g.mean, (int, float)) and not math.isnan(g.mean) else math.nan


def shown_groups(rows: Sequence, higher: bool, limit: int = SHOWN) -> list:
    """The baseline most comparisons use, then the best groups by mean, ``limit`` in all.

    Args:
        rows: the study's groups (:class:`gradlab.study.results.GroupRow`), in study order.
        higher: whether a larger metric is better.
        limit: how many groups to return at most.
    """
    used = Counter(g.baseline for g in rows if g.baseline is not None)
    by_label = {g.label: g for g in rows}
    base = by_label.get(used.most_common(1)[0][0]) if used else (rows[0] if rows else None)
    others = [g for g in rows if g is not base and not math.isnan(_mean(g))]
    others.sort(key=lambda g: _mean(g), reverse=higher)
    picked = ([base] if base is not None else []) + others
    return picked[:limit]
