"""``run_trial`` for a whole ensemble: train, evaluate the best-dev weights, one result per member.

The result of each member has the shape of :class:`gradlab.train.experiment.TrialResult`: the
same metrics (train/dev/test loss and metric of the best-dev weights, best epoch, epochs run,
steps, early stop), the same history rows, and — when the configuration is watched — the same
per-epoch vital summaries, computed inside the batched passes, and the findings of
:func:`gradlab.diagnose.diagnose` on each member's own vitals.
"""

from __future__ import annotations

import time
from typing import Any

from gradlab.models.members import member_count
from gradlab.study.batched.fit import FitSpec, evaluate, fit
from gradlab.study.batched.member import Ensemble


def _schedule_hooks(ens: Ensemble):
    """Step every member's own schedule on its own (never stepped) optimizer.

    The members' ``torch.optim`` optimizers only carry the learning rate their schedules write;
    :class:`~gradlab.study.batched.optim.MemberOptimizer` reads it back on every step, so any
    schedule gradlab knows works unchanged.
    """
    from gradlab.train.metrics import higher_is_better

    schedules = [b.schedule for b in ens.builts]
    for s in schedules:
        if s is not None and getattr(s, "interval", None) == "metric" and hasattr(s, "mode"):
            # as the Trainer does: a plateau schedule watches the checkpoint's dev metric
            s.mode = "max" if higher_is_better(ens.metric_name) else "min"
    if all(s is None or _is_constant(s) for s in schedules):
        return None, None
    per_step = [s for s in schedules if s is not None and s.interval == "step"]

    def on_step() -> None:
        for s in per_step:
            s.step()

    def on_epoch(scores: list[float]) -> None:
        for s, score in zip(schedules, scores):
            if s is None:
                continue
            if s.interval == "epoch":
                s.step()
            elif s.interval == "metric":
                s.step(metric=score)

    return (on_step if per_step else None), on_epoch


def _is_constant(schedule: Any) -> bool:
    # a schedule that never changes the rate needs no per-step python calls for 1000 members
    return type(schedule).__name__.lower().startswith("constant")


def _recorder(ens: Ensemble) -> Any:
    """``run_trial``'s activation recorder with a member axis, for the lowest seed of each configuration.

    The store keeps the snapshots of a configuration's lowest seed only, so only those members
    (lowest within this ensemble) are recorded and sent back.
    """
    import json

    from gradlab.train.activation_record import ActivationRecorder, activation_layers
    from gradlab.train.plan import make_plan

    lowest: dict[str, int] = {}
    keys = [json.dumps(b.config, sort_keys=True, default=repr) for b in ens.builts]
    for key, seed in zip(keys, ens.seeds):
        lowest[key] = min(seed, lowest.get(key, seed))
    tr = ens.builts[0].config["train"]
    planned = make_plan(len(ens.train), tr["epochs"], tr["steps"], tr["batch_size"]).epochs
    return ActivationRecorder(ens.net, ens.dev.x, planned, members=member_count(ens.net),
                              keep=[lowest[k] == s for k, s in zip(keys, ens.seeds)],
                              layers=activation_layers(ens.builts[0].model))


def _metrics(ens: Ensemble, hist) -> list[dict]:
    name = ens.metric_name
    scores = {part: evaluate(ens.net, getattr(ens, part), ens.loss_fn, ens.metric_fn)
              for part in ("train", "dev", "test")}
    out = []
    for i, h in enumerate(hist):
        metrics = {f"{part}_loss": s[0][i] for part, s in scores.items()}
        if name != "mse":
            metrics.update({f"{part}_{name}": s[1][i] for part, s in scores.items()})
        metrics.update(best_epoch=h.best_epoch, epochs_run=len(h), steps=h.steps,
                       stopped_early=h.stopped_early)
        out.append(metrics)
    return out


def run_ensemble(ens: Ensemble) -> list[Any]:
    """Train the ensemble; return one ``TrialResult`` per member, in member order."""
    from gradlab.train.callbacks import EarlyStopping
    from gradlab.train.experiment import TrialResult
    from gradlab.train.metrics import higher_is_better

    start = time.perf_counter()
    cfg = ens.builts[0].config
    tr = cfg["train"]
    spec = FitSpec(
        epochs=tr["epochs"],
        steps=tr.get("steps"),
        batch_size=tr["batch_size"],
        seeds=ens.seeds,
        early_stopping=EarlyStopping.coerce(tr["early_stopping"]),
        maximize=higher_is_better(ens.metric_name),
        metric_name=ens.metric_name,
    )
    on_step, on_epoch = _schedule_hooks(ens)
    observer = None
    if cfg["watch"]["enabled"]:
        from gradlab.study.batched.watcher import EnsembleWatcher

        observer = EnsembleWatcher(ens, every=cfg["watch"]["every"])
    recorder = _recorder(ens)
    hist, ends = fit(ens.net, ens.opt, ens.train, ens.dev, spec, ens.loss_fn, ens.metric_fn,
                     thresholds=ens.thresholds, on_step=on_step, on_epoch=on_epoch, observer=observer,
                     recorder=recorder)
    metrics = _metrics(ens, hist)
    wall = (time.perf_counter() - start) / member_count(ens.net)
    results = []
    for i, h in enumerate(hist):
        vitals: Any = []
        findings: list[Any] = []
        layers: list[Any] = []
        if observer is not None:
            vitals, findings, layers = observer.member_report(i, h, ends[i], cfg["watch"]["rules"] or None,
                                                              ens.builts[i].config)
        results.append(TrialResult(metrics[i], list(h), vitals, findings, layers, wall, recorder.member_rows[i]))
    return results
