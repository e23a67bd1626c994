"""``gan-slope``'s sample figure: the data's modes and a trained generator's points, side by side.

The picture of the mode-collapse literature (Metz et al. 2017, Fig. 1; Srivastava et al. 2017):
real points in grey, generated points in colour, one panel per configuration — the baseline and
the configuration with the best mean score. The points are those the lowest-seed trial of each
configuration stored while it ran (:mod:`gradlab.train.gan_samples`); nothing is trained here.
"""

from __future__ import annotations

from gradlab.report._style import color, new_figure, placeholder, wrap
from gradlab.report.article_helpers import mean_of, setting
from gradlab.report.figure_items import FigureItem, done, safe
from gradlab.report.page_data import GroupInfo, ReportData
from gradlab.study.grid import same_value
from gradlab.study.stored_points import GENERATED, REAL, stored_points


def _is_baseline(data: ReportData, group: GroupInfo) -> bool:
    return bool(data.baseline) and all(same_value(setting(group, k), v) for k, v in data.baseline.items())


def sample_groups(data: ReportData) -> list[GroupInfo]:
    """The first baseline group and the group of best mean metric (one group if they coincide)."""
    scored = [(m, i) for i, g in enumerate(data.groups) if (m := mean_of(data, g, data.metric)) is not None]
    if not scored:
        return []
    sign = 1.0 if data.higher_is_better else -1.0
    best = data.groups[max(scored, key=lambda mi: (sign * mi[0], -mi[1]))[1]]
    base = next((g for g in data.groups if _is_baseline(data, g)), None)
    return [g for g in (base, best) if g is not None][: 1 if base is best else 2]


def _points(data: ReportData, group: GroupInfo) -> tuple[dict, dict]:
    """The stored points and the metrics of the group's lowest-seed trial that has points."""
    for tid in sorted(done(data, group), key=lambda t: data.trial(t).get("seed", 0)):
        points = stored_points(data.activations.get(tid) or [])
        if GENERATED in points:
            return points, data.trial(tid)
    return {}, {}


def gan_sample_figures(data: ReportData) -> list[FigureItem]:
    """Real vs generated points for the baseline and the best configuration of ``gan-slope``."""
    groups = sample_groups(data)

    def draw():
        if not groups:
            return None
        fig, axes = new_figure(len(groups), 1, width=3.6, height=3.6)
        for i, (ax, g) in enumerate(zip(axes[0], groups)):
            points, trial = _points(data, g)
            if GENERATED not in points:
                placeholder(ax, f"no stored points for {g.label}")
                continue
            if REAL in points:
                ax.scatter(*points[REAL].T, s=6, c="#999999", label="real", linewidths=0)
            ax.scatter(*points[GENERATED].T, s=4, c=color(i), alpha=0.5, label="generated", linewidths=0)
            m = trial.get("metrics") or {}
            score = f"{m.get('modes', '?')}/{m.get('n_modes', '?')} modes" if "modes" in m else ""
            ax.set_title(wrap(f"{'baseline' if _is_baseline(data, g) else 'best'}: {g.label}\n"
                              f"seed {trial.get('seed')}, {score}", 40), fontsize=8)
            ax.set_aspect("equal", adjustable="datalim")
            ax.legend(fontsize=7, loc="upper right", markerscale=2)
        return fig

    return [safe("Real and generated points: baseline and best configuration",
                 "Grey: training points (the modes); colour: points the trained generator drew "
                 "(the first 512 of the samples its scores were computed on), stored by the "
                 "lowest-seed trial of each configuration while it ran. A collapsed generator "
                 "leaves modes grey; a generator between modes draws arcs of colour.", draw)]
