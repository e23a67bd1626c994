"""Run a study into a folder: plan, store, execute, resume.

``run_study`` validates the whole study first, then opens ``DIR/gradlab.sqlite``, adds the
trials it does not have yet, and hands the unfinished ones (pending, failed, or left running by a
dead run) to an executor, writing each outcome to the store as it arrives. Running it again
resumes; changing the study file adds only the new configurations.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from gradlab.errors import StoreError
from gradlab.study.executors import create_executor
from gradlab.study.executors.base import TrialTask
from gradlab.study.plan import apply_overrides, canonical_json, plan_study
from gradlab.study.progress import StudyProgress
from gradlab.study.spec import Study, _check_seeds, load_study, planned_configs
from gradlab.study.store import Store, now, run_lock, trial_id

# a plan this large takes seconds to validate: a line says what is going on before it starts
PLAN_NOTICE = 500


@dataclass
class StudySummary:
    """What one ``run_study`` call did."""

    name: str
    out_dir: str
    configs: int        # configurations in the study
    trials: int         # configurations x seeds
    new: int            # trials added to the store by this call
    already_done: int   # trials skipped because they were done before
    ran: int            # trials run by this call
    done: int           # of those, finished
    failed: int         # of those, failed (traceback in the store)
    wall_time: float
    message: str

    def to_dict(self) -> dict:
        return asdict(self)


def _plan_message(new: int, done: int, rerun: int, total: int) -> str:
    if total == new:
        return f"{new} new trial{'s' * (new != 1)}"
    parts = [f"{new} new trial{'s' * (new != 1)}", f"{done} already done"]
    if rerun:
        parts.append(f"{rerun} to re-run (failed or interrupted)")
    return ", ".join(parts)


def run_study(
    study_or_path: "Study | str | Path",
    out_dir: "str | Path | None" = None,
    *,
    seeds: int | None = None,
    workers: int | None = None,
    executor: Any = None,
    overrides: Iterable[str | tuple[str, Any]] = (),
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    force: bool = False,
) -> StudySummary:
    """Run (or resume) a study.

    Args:
        study_or_path: a :class:`Study`, a study file, or a built-in study's name.
        out_dir: the study folder (default ``runs/<study name>``).
        seeds: run seeds 0..seeds-1 instead of the study's own.
        workers: worker processes (default: the number of cores).
        executor: "local", "ensemble", "ray", or an executor object; None (the default) takes
            the study's own ``executor`` key, else "local".
        overrides: ``"train.epochs=50"`` strings (or (key, value) pairs) for fixed keys.
        progress: show a progress bar (and the plan line) on stderr.
        log: where the plan line goes (default: stderr when ``progress``).
        force: run into a folder that holds another study (its trials stay in the store but
            ``show``, ``status`` and ``report`` then read only this study's).

    Returns:
        a :class:`StudySummary`.

    Raises:
        ConfigError: an invalid study, override or executor, before anything runs.
        StoreError: the folder is used by another run, holds another study (without
            ``force``), or the store cannot be written.
    """
    start = time.perf_counter()
    study = apply_overrides(load_study(study_or_path, validate=False), overrides)  # a copy
    if seeds is not None:
        study.seeds = _check_seeds(seeds)
    if log is None:
        log = (lambda msg: print(msg, file=sys.stderr)) if progress else (lambda msg: None)
    planned = sum(planned_configs(block) for block in study.sweep)
    if planned >= PLAN_NOTICE:  # each one is validated (its optimizer built): say so first
        log(f"{study.name}: checking {planned:,} configurations before anything runs")
    points = plan_study(study)
    if executor is None:
        executor = study.executor or "local"
    ex = create_executor(executor, workers) if isinstance(executor, str) else executor
    out = Path(out_dir) if out_dir is not None else Path("runs") / study.name
    rows = [
        {"trial_id": trial_id(p.config_hash, s), "config_hash": p.config_hash, "seed": s,
         "group_key": p.label, "group_json": canonical_json(p.assignment),
         "config_json": canonical_json(p.config), "config": p.config}
        # seed-major order: every configuration gets its first seeds early
        for s in study.seeds for p in points
    ]
    with run_lock(out), Store(out) as store:
        _refuse_other_study(store, study.name, out, force)
        store.reset_running()  # left 'running' by a run that died: run them again
        known = {t["trial_id"]: t["status"] for t in store.trials()}
        before_done = sum(known.get(r["trial_id"]) == "done" for r in rows)
        new = store.add_trials([{k: v for k, v in r.items() if k != "config"} for r in rows])
        todo = [r for r in rows if known.get(r["trial_id"]) != "done"]
        message = _plan_message(new, before_done, len(todo) - new, len(rows))
        store.set_meta(name=study.name, description=study.description, spec=study.to_dict(),
                       compare=study.to_dict()["compare"], source=study.source,
                       config_hashes=[p.config_hash for p in points], seeds=study.seeds,
                       executor=getattr(ex, "name", type(ex).__name__), updated_at=now())
        log(f"{study.name}: {len(points)} configurations x {len(study.seeds)} seeds; {message}")
        bar = StudyProgress(len(todo), enabled=progress, title=study.name)
        tasks = [TrialTask(r["trial_id"], r["config"], r["seed"]) for r in todo]
        versions = _driver_versions()
        done = failed = 0

        def on_start(tid: str) -> None:
            store.mark_running(tid, getattr(ex, "name", None))
            bar.started()

        try:
            for outcome in ex.run(tasks, on_start=on_start) if tasks else ():
                store.finish(outcome, versions)
                done += outcome.status == "done"
                failed += outcome.status != "done"
                bar.finished(outcome.status)
        except BaseException:
            ex.close()
            store.reset_running()  # interrupted on purpose (Ctrl-C): pending again
            raise
        finally:
            bar.close()
        ex.close()
    return StudySummary(study.name, str(out), len(points), len(rows), new, before_done,
                        len(tasks), done, failed, time.perf_counter() - start, message)


def _refuse_other_study(store: Store, name: str, out: Path, force: bool) -> None:
    """Two studies in one folder would hide the first one's trials from show/status/report."""
    previous = store.meta().get("name")
    if previous is not None and previous != name and not force:
        raise StoreError(
            f"{out} holds the study {previous!r}, not {name!r}: choose another folder "
            f"(--out runs/{name}) or mix them on purpose with --force"
        )


def _driver_versions() -> dict:
    from gradlab.study.executors.local import versions

    return versions()


def summary_json(summary: StudySummary) -> str:
    """The summary as one JSON line."""
    return json.dumps(summary.to_dict())
