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

from gradlab.models.members import activation_groups, member_count
from gradlab.study.batched.fit import FitSpec, evaluate, fit
from gradlab.study.batched.member import Ensemble


def _schedule_hooks(ens: Ensemble):
    """Step every member's own schedule on its own (never stepped) optimizer, as the Trainer does.

    The members' ``torch.optim`` optimizers only carry the learning rate their schedules write;
    :class:`~gradlab.study.batched.optim.MemberOptimizer` reads it back on every step, so any
    schedule gradlab knows works unchanged.
    """
    from gradlab.train.trainer import align_schedule, step_after_epoch

    schedules = [b.schedule for b in ens.builts]
    for s in schedules:
        align_schedule(s, ens.metric_name)
    # a schedule that never changes the rate needs no per-step python calls for 1000 members
    if all(s is None or type(s).__name__.lower().startswith("constant") for s in schedules):
        return None, None
    per_step = [s for s in schedules if s is not None and s.interval == "step"]

    def on_step() -> None:
        for s in per_step:
            s.step()

    def on_epoch(scores: list[float]) -> None:
        for s, score in zip(schedules, scores):
            step_after_epoch(s, score)

    return (on_step if per_step else None), on_epoch


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
    from gradlab.train.experiment import final_metrics, timing_metrics

    m = ens.metric_name
    scores = {part: evaluate(ens.net, getattr(ens, part), ens.loss_fn, ens.metric_fn)
              for part in ("train", "dev", "test")}
    return [{**final_metrics(m, {part: {"loss": s[0][i], m: s[1][i]} for part, s in scores.items()}, h),
             **timing_metrics(b.config, seed, ens.train.x.device)}  # after training, as run_trial
            for i, (h, b, seed) in enumerate(zip(hist, ens.builts, ens.seeds))]


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
        from gradlab.watch.layers import has_own_params, module_activation_info
        from gradlab.watch.members import MemberWatch

        # the sites and the layers with parameters a single run's watch finds, and its loop checks
        m, children = len(ens.seeds), list(ens.net.named_children())
        acts = [(name, activation_groups(mod, m)) for name, mod in children]
        observer = MemberWatch(m, [(name, g) for name, g in acts if module_activation_info(g[0][1]) is not None],
                               [(name, mod) for name, mod in children if has_own_params(mod)],
                               every=cfg["watch"]["every"], model=ens.net, params=list(ens.net.parameters()))
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
        layers = [layer.to_dict() for layer in layers_of(ens)] if observer is not None else []
        if observer is not None:
            vitals, findings, dead = _member_vitals(observer.vitals[i], h, ends[i], layers_of(ens),
                                                    ens.builts[i].config)
            metrics[i]["dead_frac"] = dead  # as run_trial: the share of dead units at the end
        results.append(TrialResult(metrics[i], list(h), vitals, findings, layers, wall, recorder.member_rows[i]))
    return results


def _member_vitals(vitals: Any, hist: list[dict], ends: list[int], layers: list,
                   config: dict) -> tuple[Any, list, float]:
    """``(per-epoch vitals, findings, dead share at the end)`` of one member from its Vitals, as
    ``run_trial`` makes them."""
    from gradlab.diagnose import diagnose
    from gradlab.study.series_codec import PackedVitals
    from gradlab.study.vital_thinning import kept_epochs
    from gradlab.train.epoch_vitals import dead_share, epoch_series

    done = list(zip([row["epoch"] for row in hist], ends))
    # only the epochs the store keeps: the same rows as summarising every epoch, then thinning
    keep = kept_epochs([epoch for epoch, _ in done])
    done = [(epoch, steps) for epoch, steps in done if epoch in keep]
    findings = [f.to_dict() for f in diagnose(vitals, layers, rules=config["watch"]["rules"] or None,
                                                 context={"config": config})]
    # packed here, as a worker packs them (result_dict), straight from the member's series
    series = epoch_series(vitals, done)
    return PackedVitals.from_series(series), findings, dead_share(series)


def layers_of(ens: Ensemble) -> list:
    """The watch's LayerInfo list of one member's model (all members share it), cached."""
    if ens.layers is None:
        import copy

        from gradlab.watch.watch import watch

        model = copy.deepcopy(ens.builts[0].model).train()
        x = ens.train.x[:2] if ens.train.x_shared else ens.train.x[0, :2]
        with watch(model) as w:
            model(x).sum().backward()
        ens.layers = list(w.layers)
    return ens.layers
