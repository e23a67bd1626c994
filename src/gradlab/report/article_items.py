"""Which of the articles' own figures a study report gets, decided by what the study stored.

A figure appears when its data is there: the output-mean and spread profiles when the study
swept the activation or the init, the time ratios when trials timed themselves against a twin
(``train.time_against``), the learning-rate curves when it swept the schedule, the chosen groups'
curves and steps-to-target when it chose a value per group on dev (``[compare] select``), the
clipping example and the clip angle when trials clipped. Nothing here trains or re-runs.
"""

from __future__ import annotations

from collections.abc import Callable

from matplotlib.figure import Figure

from gradlab.report import article_plots as A
from gradlab.report import figures as F
from gradlab.report.figure_items import FigureItem, done, safe, series
from gradlab.report.page_data import GroupInfo, ReportData

RATIOS = {"train_time_ratio": "train epoch", "eval_time_ratio": "inference"}
TARGET_SHARE = 0.9  # steps-to-target: the target is this share of the best chosen group's dev mean


def _panels(data: ReportData, line_key: str, groups: list[GroupInfo] | None = None) -> dict[str, dict[str, GroupInfo]]:
    """panel label (the group's other swept values) -> line label (its ``line_key`` value) -> group."""
    out: dict[str, dict[str, GroupInfo]] = {}
    for g in groups if groups is not None else data.groups:
        if line_key not in g.overrides:
            continue
        rest = ", ".join(f"{k.rsplit('.', 1)[-1]}={v}" for k, v in g.overrides.items() if k != line_key)
        out.setdefault(rest or "all", {})[str(g.overrides[line_key])] = g
    return out


def _profile(data: ReportData, line_key: str, stat: str, which: str) -> dict:
    """panel -> line -> layer -> values over seeds, at each trial's first or last recorded epoch."""
    panels: dict = {}
    for panel, lines in _panels(data, line_key).items():
        for line, g in lines.items():
            per_layer: dict[str, list[float]] = {}
            for tid in done(data, g):
                for layer, per in series(data, [tid], stat).items():
                    epoch = min(per) if which == "first" else max(per)
                    per_layer.setdefault(layer, []).extend(per[epoch])
            if per_layer:
                panels.setdefault(panel, {})[line] = per_layer
    return panels


def activation_items(data: ReportData) -> list[FigureItem]:
    """Seed 001's output mean shift, layer by layer, at the start and the end of training."""
    if "model.act" not in data.axes:
        return []
    def draw(which: str) -> Callable[[], Figure]:
        return lambda: A.layer_profiles(_profile(data, "model.act", "out_mean", which), "output mean",
                                        reference=0.0)

    return [safe(f"Output mean by layer, {which} epoch", "Mean output of each activation layer on the "
                 f"training batches at the {which} recorded epoch, mean over seeds; one panel per "
                 "setting, one line per activation. Seed 001: ReLU's outputs are never negative, so "
                 "its mean moves up from 0 — the smooth activations with a negative side move it less.",
                 draw(which))
            for which in ("first", "last")]


def init_items(data: ReportData) -> list[FigureItem]:
    """Glorot & Bengio's figure: activation and gradient spread by depth, at initialisation."""
    if "model.init" not in data.axes:
        return []
    return [
        safe("Activation spread by depth at initialisation", "Standard deviation of each activation "
             "layer's outputs at the first recorded step (before any update), geometric mean over "
             "seeds, log axis; one panel per activation and depth, one line per init. A line that "
             "falls layer after layer is the signal dying with depth (Glorot & Bengio 2010); a flat "
             "line is an init that keeps the variance.",
             lambda: A.layer_profiles(_profile(data, "model.init", "out_std", "first"),
                                      "activation std", log=True)),
        safe("Gradient norm by depth at initialisation", "L2 norm of each layer's weight gradient at "
             "the first step, log axis: falling towards the input (left) is a vanishing gradient, "
             "rising an exploding one. Missing points are exact zeros (zero init).",
             lambda: A.layer_profiles(_profile(data, "model.init", "grad_norm", "first"),
                                      "gradient L2 norm", log=True)),
    ]


def timing_items(data: ReportData) -> list[FigureItem]:
    """Cost relative to the twin each trial timed itself against (``train.time_against``)."""
    import math

    from gradlab.study.stats import summarize

    rows: dict[str, dict[str, tuple[float, float, float]]] = {}
    for g in data.groups:
        per: dict[str, tuple[float, float, float]] = {}
        for key, name in RATIOS.items():
            vals = [data.trial(t)["metrics"].get(key) for t in done(data, g)]
            logs = [math.log(v) for v in vals if isinstance(v, (int, float)) and v > 0]
            if logs:  # ratios average on the log scale: a geometric mean and its interval
                s = summarize(logs)
                mean, low, high = (math.exp(x) if math.isfinite(x) else math.nan
                                   for x in (s.mean, s.ci_low, s.ci_high))
                per[name] = (mean, low, high)
        if per:
            rows[g.label] = per
    if not rows:
        return []
    twin = (data.groups[0].config.get("train") or {}).get("time_against") or {}
    against = ", ".join(f"{k.rsplit('.', 1)[-1]}={v}" for k, v in twin.items()) or "the twin"
    how = data.trial(done(data, data.groups[0])[0])["metrics"] if done(data, data.groups[0]) else {}
    rounds, rows_n, repeats = (how.get(k, "several") for k in
                               ("timing_rounds", "timing_eval_rows", "timing_eval_repeats"))
    return [safe(f"Time relative to {against}", "Each trial timed its own net against the same net "
                 f"with {against}, interleaved in one process: after a warm-up, {rounds} rounds of "
                 f"one training epoch and the fastest of {repeats} inference passes over "
                 f"{rows_n} rows each, alternating who goes first; a trial's ratio is the median "
                 "of its rounds'. Bars are the geometric mean over seeds, whiskers its 95 % "
                 "t-interval on the log scale; 1 = as fast.",
                 lambda: A.ratio_bars(rows, reference_label=against))]


def schedule_items(data: ReportData) -> list[FigureItem]:
    """The learning-rate (and momentum) curve of every schedule."""
    if "train.schedule" not in data.axes:
        return []
    groups = {}
    for g in data.groups:
        ids = done(data, g)
        if ids and data.history.get(ids[0]):
            groups[g.label] = data.history[ids[0]]
    return [safe("Learning rate and momentum per epoch", "The rate each schedule set (lowest seed; "
                 "plateau's depends on the run). 1cycle raises the rate then lowers it, and moves "
                 "the momentum the other way (Smith 2018; seed 004).",
                 lambda: A.schedule_curves(groups))]


def _first_reach(history: list[dict], key: str, target: float, higher: bool) -> int | None:
    for row in history:
        v = row.get(key)
        if v is not None and (v >= target if higher else v <= target):
            return int(row["epoch"])
    return None


def _chosen_label(g: GroupInfo, select: str) -> str:
    """``"momentum, lr=0.1"``: the group's other values, then the chosen one."""
    rest = ", ".join(str(v) for k, v in g.overrides.items() if k != select)
    return f"{rest}, {select.rsplit('.', 1)[-1]}={g.overrides.get(select)}" if rest else g.label


def selection_items(data: ReportData) -> list[FigureItem]:
    """The chosen groups' curves and the steps each took to reach a dev target."""
    select = (data.spec.get("compare") or {}).get("select")
    chosen = {r.label for r in data.comparison if getattr(r, "selected", None)}
    if not select or not chosen:
        return []
    groups = [g for g in data.groups if g.label in chosen]
    name = {g.label: _chosen_label(g, select) for g in groups}
    curves = {name[g.label]: [data.history[t] for t in done(data, g) if data.history.get(t)] for g in groups}
    on = (data.spec.get("compare") or {}).get("select_on") or data.metric
    key = "dev_" + on.rsplit("_", 1)[-1]
    higher = data.higher_is_better
    peaks = []  # each chosen group's mean (over seeds) of its best dev value
    for g in groups:
        per_seed = []
        for tid in done(data, g):
            curve = [row[key] for row in data.history.get(tid) or [] if row.get(key) is not None]
            if curve:
                per_seed.append(max(curve) if higher else min(curve))
        if per_seed:
            peaks.append(sum(per_seed) / len(per_seed))
    if not peaks:
        return []
    best = max(peaks) if higher else min(peaks)
    target = TARGET_SHARE * best if higher else best / TARGET_SHARE
    steps: dict[str, list[float | None]] = {}
    for g in groups:
        vals = []
        for tid in done(data, g):
            m = data.trial(tid)["metrics"]
            per_epoch = (m.get("steps") or 0) / max(m.get("epochs_run") or 1, 1)
            epoch = _first_reach(data.history.get(tid) or [], key, target, higher)
            vals.append(None if epoch is None else epoch * per_epoch)
        steps[name[g.label]] = vals
    return [
        safe(f"Training curves at the {select.rsplit('.', 1)[-1]} chosen on dev", "Each group at the "
             f"value of {select} with the best mean {on}; train solid, dev dashed, mean ± std over seeds.",
             lambda: F.training_curves({k: v for k, v in curves.items() if v}, metric=data.metric_kind)),
        safe("Steps to target", f"Optimizer steps until {key} first reached {target:.3g} "
             f"({TARGET_SHARE:.0%} of the best chosen group's mean peak {key}); counted in whole "
             "epochs. Dots are seeds, × a seed that never got there.",
             lambda: A.steps_to_target(steps, target, key)),
    ]


def clip_items(data: ReportData) -> list[FigureItem]:
    """Seed 004's clipping example and the angle clipping turned the gradient by in training."""
    angles: dict[str, dict[int, list[float]]] = {}
    for g in data.groups:
        per: dict[int, list[float]] = {}
        for tid in done(data, g):
            for row in data.vitals.get(tid, []):
                if row.get("stat") == "clip_angle" and row.get("value") is not None:
                    per.setdefault(int(row["epoch"]), []).append(float(row["value"]))
        if per:
            angles[g.label] = per
    if not angles:
        return []
    return [
        safe("Seed 004's clipping example", "The gradient [0.9, 100] clipped at 1.0: by value it "
             "becomes [0.9, 1.0] and turns towards the diagonal; by norm it becomes "
             "[0.00899964, 0.9999595] and keeps its direction (computed with the clipping training uses).",
             A.clip_example),
        safe("Angle between the raw and the clipped gradient", "Degrees between the whole gradient "
             "before and after clipping, at each epoch's last recorded step; line the mean over "
             "seeds, band min to max. Clipping by norm keeps the direction (0°); by value it turns it.",
             lambda: A.epoch_series(angles, "clip angle (degrees)")),
    ]


def article_items(data: ReportData) -> list[FigureItem]:
    """Every article figure the study's stored data supports, in page order."""
    return (selection_items(data) + activation_items(data) + init_items(data) + timing_items(data)
            + schedule_items(data) + clip_items(data))
