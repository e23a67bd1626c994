"""Thin a trial's per-epoch vital summaries before they are stored.

A watched trial yields about a hundred vital rows per epoch (every stat of every layer); a
1000-epoch study of 160 trials would store 15 million rows (1.7 GB) that no figure needs: the
report's heatmaps and gradient plots are a few hundred pixels wide. The store keeps the rows of
at most :data:`MAX_VITAL_EPOCHS` epochs per trial, evenly spaced, always with the first and the
last epoch. Findings are computed by the trainer on the full vitals before this, so diagnosis
loses nothing; the curves (``history``) are never thinned.
"""

from __future__ import annotations

MAX_VITAL_EPOCHS = 100


def kept_epochs(epochs: list[int], limit: int = MAX_VITAL_EPOCHS) -> set[int]:
    """At most ``limit`` of the sorted distinct ``epochs``, evenly spaced, first and last kept."""
    epochs = sorted(set(epochs))
    if len(epochs) <= limit:
        return set(epochs)
    if limit < 2:
        return {epochs[-1]}
    last = len(epochs) - 1
    return {epochs[round(i * last / (limit - 1))] for i in range(limit)}


def thin_vitals(rows: list[dict], limit: int = MAX_VITAL_EPOCHS) -> list[dict]:
    """``rows`` ({epoch, layer, stat, value}) restricted to the epochs :func:`kept_epochs` picks.

    Rows keep their order; a list with at most ``limit`` epochs comes back unchanged.
    """
    # one pass over the rows (a watched trial has ~100 per epoch): this runs for every trial
    epochs = [int(r["epoch"] if "epoch" in r else r.get("step", 0)) for r in rows]
    distinct = set(epochs)
    if len(distinct) <= limit:
        return rows
    keep = kept_epochs(list(distinct), limit)
    return [r for r, e in zip(rows, epochs) if e in keep]
