"""Is a candidate a fix? Its serious findings gone, and its metric better, paired by seed.

A *trial* is one training of one (candidate, seed). An :class:`Outcome` summarises the trials of
one candidate over the seeds with the studies' own statistics (:mod:`gradlab.study.stats`:
``summarize`` for the mean and its interval, ``compare`` for the paired difference), so a repair
says no more than a study of the same runs would.

A candidate is *better* when it beats the original on every seed (its value on seed ``s``
against the original's on the same seed) — the strongest evidence a handful of seeds can give,
and the outcome the paired sign-flip test needs for its smallest p-value — or when the studies'
paired comparison is significant at ``alpha``. A non-finite value (a run that diverged) counts
as worse than any finite one. It is *clean* when no trial has an error finding and none of the
codes that made the original worth repairing is still raised at warning or error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from gradlab.diagnose.finding import Finding, severity_rank
from gradlab.study.stats import compare, summarize

ALPHA = 0.05


@dataclass
class Trial:
    """One training: the metric it returned, the findings of its watch, its wall time and steps."""

    seed: int
    metric: float
    findings: list[Finding]
    seconds: float
    steps: int = 0


@dataclass
class Outcome:
    """The metric over seeds (mean, 95 % interval, per-seed values) and the findings.

    Attributes:
        mean, ci_low, ci_high: the studies' summary of the finite values (NaN when none).
        values: the metric by seed.
        findings: the findings of each seed's run, by seed.
    """

    mean: float
    ci_low: float
    ci_high: float
    values: dict[int, float]
    findings: dict[int, list[Finding]] = field(default_factory=dict)

    @property
    def codes(self) -> set[str]:
        """Codes raised at warning or error on any seed."""
        return serious_codes([f for fs in self.findings.values() for f in fs])


def serious_codes(findings: list[Finding]) -> set[str]:
    """The codes of the findings at warning or error."""
    return {f.code for f in findings if severity_rank(f.severity) >= 1}


def outcome(trials: list[Trial]) -> Outcome:
    """Summarise the trials of one candidate (one per seed)."""
    values = {t.seed: t.metric for t in trials}
    finite = [v for v in values.values() if math.isfinite(v)]
    s = summarize(finite) if finite else None
    return Outcome(s.mean if s else math.nan, s.ci_low if s else math.nan, s.ci_high if s else math.nan,
                   values, {t.seed: t.findings for t in trials})


def seed_better(candidate: float, original: float, higher: bool) -> bool:
    """Whether one seed's candidate value beats the original's (non-finite is worst)."""
    if not math.isfinite(candidate):
        return False
    if not math.isfinite(original):
        return True
    return candidate > original if higher else candidate < original


def clean(trials: list[Trial], targets: set[str]) -> str | None:
    """None when the trials are free of the problem; else what is still wrong."""
    for t in trials:
        errors = sorted({f.code for f in t.findings if f.severity == "error"})
        if errors:
            return f"error findings remain on seed {t.seed}: {', '.join(errors)}"
        left = sorted(serious_codes(t.findings) & targets)
        if left:
            return f"still {', '.join(left)} on seed {t.seed}"
    return None


@dataclass
class Judgement:
    """Whether a candidate's trials make it a fix, and the paired comparison behind it."""

    fixed: bool
    reason: str
    test: Any = None  # gradlab.study.stats.TestResult (None with fewer than two finite pairs)


def judge(original: Outcome, trials: list[Trial], targets: set[str], higher: bool) -> Judgement:
    """Judge a candidate's trials against the original's, seed by seed."""
    dirty = clean(trials, targets)
    if dirty:
        return Judgement(False, dirty)
    pairs = {t.seed: (t.metric, original.values[t.seed]) for t in trials if t.seed in original.values}
    if not pairs:
        return Judgement(False, "no seed in common with the original")
    wins = sum(seed_better(c, o, higher) for c, o in pairs.values())
    finite = {s: v for s, v in pairs.items() if all(math.isfinite(x) for x in v)}
    test = None
    if len(finite) >= 2:
        test = compare({s: c for s, (c, _) in finite.items()}, {s: o for s, (_, o) in finite.items()})
    significant = (test is not None and test.p < ALPHA and (test.diff > 0) == higher and len(finite) == len(pairs))
    if wins == len(pairs) or significant:
        return Judgement(True, f"better on {wins} of {len(pairs)} seeds", test)
    return Judgement(False, f"better on only {wins} of {len(pairs)} seeds", test)
