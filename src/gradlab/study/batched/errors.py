"""Why a set of trials cannot be trained as one ensemble."""

from __future__ import annotations


class NotBatchable(Exception):
    """These members cannot share one batched model; the executor runs them one by one.

    Internal signal, not a user-facing error: the ensemble executor catches it and falls back to
    ``run_trial``, so it deliberately does not derive from ``GradlabError``.
    """
