"""The best epoch and early stopping, shared by ``Trainer.fit`` and the ensemble's fit."""

from __future__ import annotations

import math

import pytest

from gradlab.train.callbacks import EarlyStopping
from gradlab.train.plan import EpochJudge
from gradlab.train.trainer import History


def _by_hand(scores, maximize, patience, min_delta):
    """The rule spelled out: best = first strict optimum among finite scores; stop once `patience`
    epochs in a row failed to beat the last counted improvement by more than `min_delta`."""
    sign = 1 if maximize else -1
    finite = [(e, s) for e, s in enumerate(scores, 1) if math.isfinite(s)]
    best_epoch, best = None, None
    reference, since, stop = None, 0, None
    for epoch, score in enumerate(scores, 1):
        if math.isfinite(score) and (best is None or sign * score > sign * best):
            best_epoch, best = epoch, score
        if math.isfinite(score) and (reference is None or sign * (score - reference) > min_delta):
            reference, since = score, 0
        else:
            since += 1
        if since >= patience:
            stop = epoch
            break
    assert finite or best_epoch is None
    return best_epoch, stop


@pytest.mark.parametrize(
    "scores, maximize, patience, min_delta",
    [
        ([0.5, 0.6, 0.6, 0.59, 0.7, 0.65, 0.64, 0.63], True, 2, 0.0),
        ([0.5, 0.6, 0.605, 0.61, 0.612, 0.9], True, 3, 0.02),
        ([1.0, 0.8, float("nan"), 0.9, 0.7, 0.71, 0.72], False, 2, 0.0),
        ([float("nan"), float("inf"), 0.3, 0.2], True, 5, 0.0),
    ],
    ids=["max-patience-2", "min-delta", "loss-with-nan", "never-stops"],
)
def test_best_epoch_and_stop_follow_the_rule(scores, maximize, patience, min_delta):
    history = History()
    judge = EpochJudge(history, maximize, EarlyStopping(patience, min_delta))
    stopped_at = None
    for epoch, score in enumerate(scores, 1):
        _, out = judge.record(epoch, score)
        if out:
            stopped_at = epoch
            break
    want_best, want_stop = _by_hand(scores, maximize, patience, min_delta)
    seen = scores[: stopped_at or len(scores)]
    assert history.best_epoch == want_best
    assert history.best_score == (None if want_best is None else seen[want_best - 1])
    assert stopped_at == want_stop and history.stopped_early == (want_stop is not None)


def test_without_a_stopper_it_only_tracks_the_best():
    history = History()
    judge = EpochJudge(history, maximize=False)
    assert [judge.record(e, s) for e, s in enumerate([3.0, 2.0, 2.0, 5.0], 1)] == \
        [(True, False), (True, False), (False, False), (False, False)]
    assert (history.best_epoch, history.best_score, history.stopped_early) == (2, 2.0, False)
