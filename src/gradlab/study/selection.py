"""Choose one value of a tuning key per family of groups on one metric, then compare on another.

A fair comparison of optimizers gives each its own small learning-rate grid: comparing them at
one shared rate measures which optimizer suits that rate. With ``[compare] select = "train.lr"``
the groups that differ only in ``train.lr`` form a family; the family's member with the best mean
``select_on`` metric (the dev metric by default) is *selected*, and only selected groups are
compared, on the study's ``metric`` (typically the test metric, so the choice and the report use
different data). Unselected groups stay in the table, marked, with their means.
"""

from __future__ import annotations

import json
import math
from typing import Any

from gradlab.study import stats


def default_select_on(metric: str) -> str:
    """The metric a choice is made on: the dev twin of ``metric`` (``test_accuracy`` -> ``dev_accuracy``)."""
    for part in ("test_", "train_"):
        if metric.startswith(part):
            return "dev_" + metric[len(part):]
    return metric


def select_best(rows: list[Any], values: list[dict], on_values: dict[str, list[float]], key: str,
                higher: bool) -> tuple[list[Any], list[dict]]:
    """Mark each row ``selected`` and return the selected rows with their values minus ``key``.

    Args:
        rows: the study's group rows (each with ``config_hash``, ``label``, ``selected``, ``sentence``).
        values: each row's effective values of every swept key, in row order.
        on_values: config hash -> the ``select_on`` metric of its finished trials.
        key: the swept key chosen per family (e.g. ``"train.lr"``).
        higher: whether a larger ``select_on`` value is better.

    A family's rows with no finished trial cannot be chosen; a family where none has one keeps
    no row.
    """
    families: dict[str, list[int]] = {}
    for i, vals in enumerate(values):
        rest = {k: v for k, v in vals.items() if k != key}
        families.setdefault(json.dumps(rest, sort_keys=True, default=str), []).append(i)
    chosen: set[int] = set()
    for members in families.values():
        scored = [(stats.summarize(on_values.get(rows[i].config_hash, [])).mean, i) for i in members]
        scored = [(m, i) for m, i in scored if isinstance(m, float) and math.isfinite(m)]
        if not scored:
            continue
        best = (max if higher else min)(scored, key=lambda s: s[0])[1]
        chosen.add(best)
        for m, i in scored:
            rows[i].selected = i == best
            if i != best:
                rows[i].sentence = (f"{rows[i].label}: not chosen ({key} = {values[best][key]!r} "
                                    f"had the better mean on the choice metric)")
    picked = [i for i in range(len(rows)) if i in chosen]
    return [rows[i] for i in picked], [{k: v for k, v in values[i].items() if k != key} for i in picked]
