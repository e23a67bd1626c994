"""The search: screen candidates on one seed, verify the first that passes on every seed.

Within a time budget counted in units of the original run: the original trains on every seed
(``n`` trials); a candidate is *screened* on the first seed (one trial: are the serious findings
gone, is the metric better there?) and a candidate that passes is *verified* on the other seeds
(``n - 1`` more trials, judged by :func:`gradlab.repair.verify.judge` on all seeds). When budget
is left after a verified fix, the fix combined with the next candidate from another finding is
tried too, and kept only when it beats the fix on every seed. A verified fix that raises a
finding the original did not have (clipping that stops the NaN but leaves the loss bouncing at
1e28) is held back while the search goes on, and kept only when no clean fix is found. A learning-rate candidate for
a finding about the step (a flat loss, an update ratio) that leaves it in place is followed by
one more tenfold step the same way, up to :data:`MAX_LR_STEPS`: a recommendation's blind tenfold step is
not always enough. A trial is started only when the slowest trial so far still fits in the budget.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

from gradlab.diagnose.recommend import lr_times
from gradlab.errors import GradlabError
from gradlab.repair.candidates import SYMPTOMS, Candidate
from gradlab.repair.verify import Judgement, Outcome, Trial, judge, outcome, seed_better, serious_codes

# a learning-rate candidate that went the right way but not far enough takes up to this many more
# tenfold steps, within this range
MAX_LR_STEPS = 3
LR_RANGE = (1e-7, 100.0)


@dataclass
class Search:
    """What the search needs: how to run a trial and when it must stop.

    Attributes:
        run: ``run(changes, seed) -> Trial``; may raise (the candidate is then rejected).
        blocker: ``blocker(changes) -> reason or None``: a candidate this run cannot take.
        seeds: the seeds, the first one screens.
        higher: whether a higher metric is better.
        deadline: ``time.perf_counter()`` value after which no trial starts.
        tick: called after every trial (progress).
        slowest: the longest trial so far (seeded with a typical original trial), the estimate
            of the next one's length.
        trained: the screening metrics so far.
        base_lr: the original's learning rate (a learning-rate candidate steps on from it).
    """

    run: Callable[[dict, int], Trial]
    blocker: Callable[[dict], str | None]
    seeds: list[int]
    higher: bool
    deadline: float
    tick: Callable[[], None] = lambda: None
    slowest: float = 0.0
    trained: list[float] = field(default_factory=list)
    base_lr: float | None = None

    def fits(self, trials: int) -> bool:
        return time.perf_counter() + trials * self.slowest <= self.deadline

    def trial(self, changes: dict, seed: int) -> Trial:
        start = time.perf_counter()
        try:
            return self.run(changes, seed)
        finally:
            self.slowest = max(self.slowest, time.perf_counter() - start)
            self.tick()


@dataclass
class Found:
    """The search's answer: the kept candidate (None when none), its trials and judgement."""

    kept: Candidate | None
    trials: list[Trial]
    judgement: Judgement | None
    out_of_time: bool = False


def _try(s: Search, c: Candidate, original: Outcome, targets: set[str],
         screen_only: bool = False) -> list[Trial] | None:
    """Screen then verify ``c``; its trials when it is a fix, else None (its status says why)."""
    first = s.seeds[0]
    try:
        t0 = s.trial(c.changes, first)
    except Exception as exc:  # the change broke the user's model or loop: not a fix
        c.status, c.reason = "rejected", f"training failed: {type(exc).__name__}: {exc}"
        return None
    c.screen = t0.metric
    s.trained.append(t0.metric)
    verdict = judge(original, [t0], targets, s.higher)
    if not verdict.fixed:
        c.status, c.reason = "screened out", verdict.reason
        return None
    traded = sorted(serious_codes(t0.findings) - original.codes)
    if set(c.changes) == {"train.lr"} and traded:
        # a rate that stops the divergence but kills the units has traded one problem for another:
        # the next tenfold step (see _further) is the better candidate
        c.status, c.reason = "screened out", f"traded for {', '.join(traded)} on seed {first}"
        return None
    if screen_only:
        return [t0]
    rest = s.seeds[1:]
    if not s.fits(len(rest)):
        c.status, c.reason = "screened out", "passed screening, but verifying it would exceed the time budget"
        return None
    trials = [t0]
    for seed in rest:
        try:
            trials.append(s.trial(c.changes, seed))
        except Exception as exc:
            c.status, c.reason = "rejected", f"training failed on seed {seed}: {type(exc).__name__}: {exc}"
            return None
    verdict = judge(original, trials, targets, s.higher)
    c.status, c.reason = ("kept" if verdict.fixed else "rejected"), verdict.reason
    return trials if verdict.fixed else None


def _further(c: Candidate, base_lr: float | None, keys: set[str]) -> Candidate | None:
    """One more tenfold step of a learning-rate candidate that went the right way but not far
    enough: it changed only the rate, it answers a finding about the step itself (a flat or
    bouncing loss, an update ratio), and the problem is still there (a blind tenfold step from
    1e-6 under Adam still stalls); or any rate that removed the problem but raised a new one (a
    divergence stopped at a rate that still kills the units). A rate recommended for a layer's
    finding that stays (exploding gradients from a bad init) is not pushed further: the layer's
    own fixes come next."""
    lr = c.changes.get("train.lr")
    step_finding = c.source in SYMPTOMS and c.reason.startswith(("still ", "error findings remain"))
    if (set(c.changes) != {"train.lr"} or not (step_finding or c.reason.startswith("traded for "))
            or not isinstance(lr, (int, float)) or not base_lr or lr == base_lr
            or c.status != "screened out" or c.steps >= MAX_LR_STEPS):
        return None
    nxt = lr_times({"train.lr": lr}, 10.0 if lr > base_lr else 0.1)
    if nxt is None or not LR_RANGE[0] <= nxt <= LR_RANGE[1] or repr(nxt) in keys:
        return None
    return Candidate({"train.lr": nxt}, f"{c.why} (one more tenfold step: {c.reason} at {lr:g})", c.source,
                     steps=c.steps + 1)


def _combine(a: Candidate, b: Candidate) -> Candidate | None:
    if set(a.changes) & set(b.changes) or a.source == b.source:
        return None
    return Candidate({**a.changes, **b.changes}, f"{a.why} {b.why}", f"{a.source}+{b.source}")


def search(s: Search, original: Outcome, pool: list[Candidate], targets: set[str]) -> Found:
    """Try the candidates in order; see the module docstring.

    Raises:
        GradlabError: every candidate that trained returned a non-finite metric.
    """
    found: Found = Found(None, [], None)
    fallback: Found | None = None  # the first fix that raises findings the original did not have
    i = -1
    while i + 1 < len(pool):
        i += 1
        c = pool[i]
        reason = s.blocker(c.changes)
        if reason:
            c.status, c.reason = "skipped", reason
            continue
        if not s.fits(len(s.seeds)):  # its screening and its verification
            found.out_of_time = True
            c.reason = "time budget spent"
            break
        trials = _try(s, c, original, targets)
        if trials is None:
            further = _further(c, s.base_lr, {repr(x.changes.get("train.lr")) for x in pool})
            if further is not None:
                pool.insert(i + 1, further)
            continue
        raised = sorted(outcome(trials).codes - original.codes)
        if raised:  # a fix that trades the problem for another: kept only if no clean one is found
            c.reason += f", but it raises {', '.join(raised)}"
            fallback = fallback or Found(c, trials, judge(original, trials, targets, s.higher))
            continue
        if fallback is not None:
            fallback.kept.status, fallback.kept.reason = "rejected", (  # type: ignore[union-attr]
                f"{fallback.kept.reason}; {c.label} fixes it without")  # type: ignore[union-attr]
        found = Found(c, trials, judge(original, trials, targets, s.higher))
        combo = next((x for x in (_combine(c, d) for d in pool[i + 1:] if not s.blocker(d.changes)) if x), None)
        if combo is not None and s.fits(len(s.seeds)):
            pool.append(combo)
            best = outcome(trials)
            combo_trials = _try(s, combo, original, targets)
            if combo_trials and all(seed_better(t.metric, best.values[t.seed], s.higher) for t in combo_trials):
                c.status, c.reason = "rejected", "the combination with the next fix beats it on every seed"
                found = Found(combo, combo_trials, judge(original, combo_trials, targets, s.higher))
            elif combo_trials:
                combo.status, combo.reason = "rejected", "a fix, but not better than the single change on every seed"
        break
    if found.kept is None and fallback is not None:
        fallback.out_of_time = found.out_of_time
        found = fallback
    if found.kept is None and s.trained and not any(math.isfinite(v) for v in s.trained):
        raise GradlabError(
            f"no candidate trains: all {len(s.trained)} candidates tried gave a non-finite metric; "
            "check that train() returns a finite number for a healthy model")
    return found


__all__ = ["Found", "Search", "search"]
