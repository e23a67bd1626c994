"""One GAN trial: a run config with ``model.kind = "gan"`` and a seed in, a :class:`TrialResult` out.

Generator and discriminator are built by :func:`gradlab.models.gan`, each gets its own optimizer
(the run's ``train.optimizer``, ``lr`` and ``weight_decay``) and, when the run is watched, its own
:func:`gradlab.watch` on that optimizer: vitals, layers and findings carry the network in the
layer path (``G.fc1``, ``D.act2``), and a finding's recommendation names the network's own key
(``model.g_act``, not ``model.act``). The seeding order is :func:`gradlab.train.experiment.build`'s.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import torch

from gradlab.errors import ConfigError
from gradlab.monitor.watch import watch
from gradlab.train.callbacks import Callback
from gradlab.train.gan import GANTrainer
from gradlab.train.gan_samples import point_rows

NETWORKS = (("G", "generator", "g_"), ("D", "discriminator", "d_"))
D_WINS = 0.1        # the discriminator "wins outright" when its last-epoch loss is below this
FINAL_SAMPLES = 5000
LOSS_TREND_OFF = {"loss_not_decreasing": False, "oscillating_loss": False}
# run-config keys the adversarial loop does not implement: refused rather than silently ignored
_UNSUPPORTED = {"schedule": "constant", "clip_norm": None, "clip_value": None, "max_norm": None,
                "early_stopping": None}


def build_gan(cfg: dict, seed: int, device: Any = None) -> tuple[Any, Any, dict]:
    """Task, GAN and ``{"G": optimizer, "D": optimizer}`` for a validated config, seeded."""
    from gradlab.components.optim import create_optimizer
    from gradlab.data import create_task
    from gradlab.models import create_model
    from gradlab.train.trainer import resolve_device

    tr = cfg["train"]
    for key, default in _UNSUPPORTED.items():
        if tr[key] != default:
            raise ConfigError(f"train.{key} = {tr[key]!r}: the GAN trainer does not support it yet; "
                              f"remove it (default {default!r})")
    torch.manual_seed(seed)
    task = create_task(cfg["task"]["name"], seed=seed, **{k: v for k, v in cfg["task"].items() if k != "name"})
    if task.kind != "generative":
        raise ConfigError(f"model.kind 'gan' needs a generative task with known modes such as 'ring' or "
                          f"'grid'; task {cfg['task']['name']!r} is {task.kind}")
    model_kw = {k: v for k, v in cfg["model"].items() if k != "kind"}
    gan = create_model("gan", input_shape=task.input_shape, n_outputs=1, **model_kw).to(resolve_device(device))
    optimizers = {short: create_optimizer(tr["optimizer"], getattr(gan, attr).parameters(), lr=tr["lr"],
                                          weight_decay=tr["weight_decay"]) for short, attr, _ in NETWORKS}
    return task, gan, optimizers


def run_gan_trial(cfg: dict, seed: int, *, device: Any = None, progress: bool | None = False,
                  callbacks: Iterable[Callback] = ()) -> tuple:
    """Train one GAN (``cfg`` already validated) and score its samples; see the module doc.

    Returns:
        the fields of a :class:`gradlab.train.experiment.TrialResult`, in order: metrics,
        history, vitals, findings, layers, wall time, and the generated and real points of
        :mod:`gradlab.train.gan_samples` in the activation rows' place.
    """
    from gradlab.train.epoch_vitals import as_dict, epoch_vitals

    start = time.perf_counter()
    task, gan, opt = build_gan(cfg, seed, device)
    tr = cfg["train"]
    trainer = GANTrainer(gan, opt["G"], opt["D"], callbacks=list(callbacks), device=device, progress=progress)
    fit_kw = {"epochs": tr["epochs"], "steps": tr["steps"], "batch_size": tr["batch_size"], "seed": seed}
    vitals: list[dict] = []
    findings: list[dict] = []
    layers: list[dict] = []
    if not cfg["watch"]["enabled"]:
        history = trainer.fit(task.train, **fit_kw)
    else:
        clock = _GANClock()
        trainer.callbacks = [clock, *trainer.callbacks]
        live = cfg["watch"]["rules"] or None
        # adversarial losses are not meant to fall steadily: the loss-trend rules would cry wolf
        rules = {**LOSS_TREND_OFF, **(cfg["watch"]["rules"] or {})}
        every = cfg["watch"]["every"]
        with watch(gan.generator, optimizer=opt["G"], every=every, rules=live) as wg, \
                watch(gan.discriminator, optimizer=opt["D"], every=every, rules=live) as wd:
            clock.watches = {"G": wg, "D": wd}
            history = trainer.fit(task.train, **fit_kw)
        for short, w in clock.watches.items():
            vitals += [{**r, "layer": _prefix(short, r["layer"])}
                       for r in epoch_vitals(w.vitals.rows(), clock.epoch_steps)]
            findings += [_own_finding(short, f.to_dict()) for f in w.findings(rules, context={"config": cfg})]
            layers += [{**as_dict(li), "path": _prefix(short, li.path)} for li in w.layers]
        vitals.sort(key=lambda r: (r["epoch"], r["layer"], r["stat"]))
    # fresh samples (latents seeded apart from the epoch-end ones) for the final scores; the
    # report's sample figure gets the first of them and as many training points
    scores = trainer.evaluate(FINAL_SAMPLES, seed=seed + 1)
    metrics = final_metrics(scores, history, vitals)
    points = point_rows(scores["samples"], task.train[0])
    return metrics, list(history), vitals, findings, layers, time.perf_counter() - start, points


def final_metrics(scores: dict, history: Any, vitals: list[dict]) -> dict:
    """Coverage of the final samples (``scores``: :meth:`GANTrainer.evaluate`), last-epoch
    losses, whether D won outright, and the share of dead units in G and in D at the end."""
    from gradlab.train.epoch_vitals import dead_share

    last = history[-1] if history else {}
    d_loss = float(last.get("d_loss", float("nan")))
    out = {"modes": scores["modes"], "soft_modes": scores["soft_modes"], "n_modes": len(scores["counts"]),
           "mode_share": scores["mode_share"], "hq_share": scores["hq_share"],
           "d_loss": d_loss, "g_loss": float(last.get("g_loss", float("nan"))),
           "d_wins": float(d_loss < D_WINS), "best_epoch": history.best_epoch,
           "epochs_run": len(history), "steps": history.steps, "stopped_early": False}
    for short, _, key in NETWORKS:
        out[f"{key}dead_frac"] = dead_share(vitals, f"{short}.")
    return out


def _prefix(short: str, layer: str) -> str:
    return f"{short}.{layer}" if layer else short


def _own_finding(short: str, finding: dict) -> dict:
    """A finding of one network: its layer prefixed, its recommendations on that network's keys."""
    key = "g_" if short == "G" else "d_"
    own = {"model.act": f"model.{key}act", "model.norm": f"model.{key}norm"}
    recs = [{**rec, "set": {own.get(k, k): v for k, v in (rec.get("set") or {}).items()}}
            for rec in finding.get("recommendations") or []]
    layer = finding.get("layer")
    return {**finding, "layer": _prefix(short, layer) if layer is not None else short,
            "recommendations": recs}


class _GANClock(Callback):
    """Feeds each network's watch its own loss and remembers the step count at each epoch's end."""

    def __init__(self) -> None:
        self.watches: dict = {}
        self.epoch_steps: list[tuple[int, int]] = []

    def on_step_end(self, trainer: Any, step: int, loss: Any) -> None:
        d_loss, g_loss = trainer.last_losses
        self.watches["D"].log(loss=d_loss)
        self.watches["G"].log(loss=g_loss)

    def on_epoch_end(self, trainer: Any, epoch: int, logs: dict) -> None:
        self.epoch_steps.append((epoch, trainer.step))
