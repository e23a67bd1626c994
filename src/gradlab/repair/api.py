"""``gradlab.repair``: diagnose the user's own model and loop, apply the fixes, keep what is proven.

The user gives two functions and keeps their code as it is::

    def build(seed):           # -> (model, optimizer), seeded
    def train(model, opt):     # the loop, unchanged; returns the metric to improve

The original trains under :func:`gradlab.watch` on every seed; the findings' recommendations
become candidates (:mod:`~gradlab.repair.candidates`), applied to freshly built pairs by surgery
(:mod:`~gradlab.repair.surgery`), screened and verified within a time budget
(:mod:`~gradlab.repair.search`, :mod:`~gradlab.repair.verify`). ``docs/repair.md`` walks through it.
"""

from __future__ import annotations

import math
import numbers
import statistics
import time
from typing import Any, Callable, Iterable

import torch
from torch import nn

from gradlab.errors import ConfigError
from gradlab.repair.candidates import candidates, run_context
from gradlab.repair.explain import data_caveat, raised, why_not
from gradlab.repair.result import RepairResult
from gradlab.repair.search import Search, search
from gradlab.repair.surgery import Patient, as_code, blocker, operate
from gradlab.repair.verify import Trial, outcome, serious_codes


def _seeds(seeds: int | Iterable[int]) -> list[int]:
    out = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    if not out or len(set(out)) != len(out):
        raise ConfigError(f"seeds must be a positive count or distinct seeds, got {seeds!r}")
    return out


def _built(value: Any) -> tuple[nn.Module, torch.optim.Optimizer]:
    if (not isinstance(value, (tuple, list)) or len(value) != 2 or not isinstance(value[0], nn.Module)
            or not isinstance(value[1], torch.optim.Optimizer)):
        got = type(value).__name__ if not isinstance(value, (tuple, list)) else \
            f"({', '.join(type(v).__name__ for v in value)})"
        raise ConfigError(f"build(seed) must return (model, optimizer): an nn.Module and a torch.optim.Optimizer, "
                          f"got {got}")
    return value[0], value[1]


def _number(value: Any) -> float:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value.detach().reshape(()).item())
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    raise ConfigError(f"train(model, opt) must return the metric to improve as a number, got "
                      f"{type(value).__name__}; end it with e.g. `return accuracy`")


class _UserRuns:
    """Trains the user's (model, optimizer) pairs, with or without changes, under the watch."""

    def __init__(self, build: Callable, train: Callable, every: int):
        self.build, self.train, self.every = build, train, every
        self.act: str | None = None
        self.total_steps = 1
        self.weight_decay = 0.0
        self.context: dict = {}
        self._probe: tuple | None = None

    def patient(self, seed: int, changes: dict) -> Patient:
        model, opt = _built(self.build(seed))
        return operate(Patient(model, opt, self.act, self.total_steps), changes)

    def __call__(self, changes: dict, seed: int) -> Trial:
        from gradlab.monitor.watch import watch

        start = time.perf_counter()
        p = self.patient(seed, changes)
        with watch(p.model, optimizer=p.opt, every=self.every) as w:
            metric = _number(self.train(p.model, p.opt))
        if not changes:  # the original: what the recommendations are ranked for
            self.context = run_context(p.opt, w.layers)
            self.act = self.context.get("model.act")
            self.total_steps = max(self.total_steps, w.step_index)
            self.weight_decay = float(p.opt.param_groups[0].get("weight_decay", 0.0))
        findings = w.findings(context={**self.context, **changes})
        return Trial(seed, metric, findings, time.perf_counter() - start, w.step_index)

    def blocker(self, changes: dict) -> str | None:
        if self._probe is None:  # blockers read the structure only: one built pair serves all
            self._probe = _built(self.build(0))
        return blocker(Patient(self._probe[0], self._probe[1], self.act, self.total_steps), changes)


def repair(
    build: Callable[[int], tuple[nn.Module, torch.optim.Optimizer]],
    train: Callable[[nn.Module, torch.optim.Optimizer], Any],
    seeds: int | Iterable[int] = 3,
    higher_is_better: bool = True,
    budget: float = 3.0,
    *,
    every: int = 10,
    max_candidates: int = 12,
    progress: bool | None = None,
    metric: str = "metric",
) -> RepairResult:
    """Diagnose a training setup, apply the recommended fixes and keep the one that is proven.

    Example:
        >>> result = gradlab.repair(build, train, seeds=3)      # doctest: +SKIP
        >>> print(result); model, opt = result.apply(*build(0))  # doctest: +SKIP

    Args:
        build: ``build(seed) -> (model, optimizer)``, seeding everything it draws.
        train: ``train(model, opt) -> metric``: the user's loop, returning the number to improve.
            ``gradlab.log(loss=loss)`` in it feeds the loss-based findings.
        seeds: how many seeds (0, 1, ...) or which; each candidate is judged on all of them.
        higher_is_better: the metric's direction (False for a loss).
        budget: the most wall time, as a multiple of the original runs' time (3.0: at most three
            times as long as training the original on every seed).
        every: the watch's sampling interval in steps.
        max_candidates: the most recommendations considered.
        progress: a progress bar on stderr (default: only on a terminal).
        metric: the metric's name, for printing.

    Returns:
        A :class:`RepairResult`; ``fixed`` is False and ``changes`` empty when nothing was proven.

    Raises:
        ConfigError: ``build`` does not return a module and an optimizer, or ``train`` returns
            no number.
        GradlabError: no candidate trains (every one gave a non-finite metric).
    """
    seed_list = _seeds(seeds)
    if not (isinstance(budget, (int, float)) and budget > 1.0):
        raise ConfigError(f"budget must be a multiple of the original run's time above 1, got {budget!r}")
    runs = _UserRuns(build, train, every)
    return run_repair(runs, runs.blocker, seed_list, higher_is_better, budget, max_candidates, progress, metric,
                      code=lambda changes: as_code(changes, runs.act, runs.context.get("train.lr"),
                                                   runs.total_steps, runs.weight_decay),
                      apply=lambda changes: (lambda model, opt: _apply(runs, changes, model, opt)),
                      base_lr=lambda: runs.context.get("train.lr"))


def _apply(runs: _UserRuns, changes: dict, model: nn.Module, opt: torch.optim.Optimizer) -> tuple:
    model, opt = _built((model, opt))
    p = operate(Patient(model, opt, runs.act, runs.total_steps), changes)
    return p.model, p.opt


def run_repair(run: Callable[[dict, int], Trial], block: Callable[[dict], str | None], seeds: list[int],
               higher: bool, budget: float, max_candidates: int, progress: bool | None, metric: str,
               code: Callable[[dict], str], apply: Callable[[dict], Callable] | None,
               base_lr: Callable[[], float | None] = lambda: None) -> RepairResult:
    """The repair of any setup given as ``run(changes, seed) -> Trial`` (the API and the CLI share it);
    ``base_lr()``: the original's learning rate, known once it has trained."""
    from gradlab.repair.progress import repair_progress

    start = time.perf_counter()
    with repair_progress(progress, total=math.ceil(budget * len(seeds))) as bar:
        original = [run({}, s) for s in seeds]
        for _ in seeds:
            bar.tick()
        before = outcome(original)
        original_seconds = time.perf_counter() - start
        targets = serious_codes([f for t in original for f in t.findings])
        pool = candidates({t.seed: t.findings for t in original}, max_candidates)
        if not targets:
            return RepairResult(False, {}, before, before, message="nothing to repair: no warning or error "
                                "findings on any seed, so nothing was changed", seconds=time.perf_counter() - start,
                                original_seconds=original_seconds, metric=metric)
        s = Search(run, block, seeds, higher, start + budget * original_seconds, tick=bar.tick,
                   slowest=statistics.median(t.seconds for t in original),  # the first run may be a cold start
                   base_lr=base_lr())
        found = search(s, before, pool, targets)
    seconds = time.perf_counter() - start
    if found.kept is None:
        findings = [f for t in original for f in t.findings]
        return RepairResult(False, {}, before, before, message=why_not(pool, findings, targets, found.out_of_time),
                            candidates=pool, seconds=seconds, original_seconds=original_seconds, metric=metric)
    kept = found.kept
    after = outcome(found.trials)
    judgement = found.judgement
    return RepairResult(
        True, dict(kept.changes), before, after, code=code(kept.changes),
        message=f"repaired {', '.join(sorted(targets))}: {judgement.reason if judgement else ''}"
                f"{data_caveat(kept.changes)}{raised(after, before)}",
        candidates=pool, seconds=seconds, original_seconds=original_seconds, metric=metric,
        test=judgement.test if judgement else None, _apply=apply(kept.changes) if apply else None)


__all__ = ["repair", "run_repair"]
