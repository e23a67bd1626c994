"""``regularization``'s figure: what each regulariser does to test accuracy, and what MC dropout knows.

The article describes dropout, MC dropout, max-norm, weight decay and early stopping without a
measurement; MC dropout's promise is "I know that I don't know". Left: test accuracy per group
beside its train accuracy (the gap is the overfitting a regulariser should close) and, for
dropout, the accuracy of the MC mean prediction. Right: the MC-dropout predictive
variance on the test points and on points far from the data, with the AUROC that tells them apart.
"""

from __future__ import annotations

from gradlab.report.article_helpers import metric_values
from gradlab.report.figure_items import FigureItem, safe
from gradlab.report.interval_figure import interval_panels
from gradlab.report.page_data import ReportData
from gradlab.study.stats import summarize

REGULARIZERS = (("model.dropout", "dropout"), ("train.max_norm", "max-norm"),
                ("train.weight_decay", "weight decay"), ("train.early_stopping", "early stopping"),
                ("train.restore_best", "best-dev epoch"))


def group_name(overrides: dict, baseline: dict) -> str:
    """``dropout 0.3`` for a group that differs from the baseline in one regulariser."""
    for key, label in REGULARIZERS:
        if key in overrides and key in baseline and overrides[key] != baseline[key]:
            value = overrides[key]
            if isinstance(value, bool):  # a switch: its name says it
                return label
            return f"{label} {value:g}" if isinstance(value, (int, float)) else f"{label} {value}"
    return "none"


def _cell(values: list[float], note: str = "") -> dict | None:
    if not values:
        return None
    s = summarize(values)
    return {"mean": s.mean, "low": s.ci_low, "high": s.ci_high, "note": note}


def _present(series: dict) -> dict:
    return {k: {n: c for n, c in v.items() if c} for k, v in series.items()}


def regularization_panels(data: ReportData) -> tuple[dict, list[str]]:
    """The two panels' series by group name, and the group names in study order."""
    acc: dict[str, dict] = {"train": {}, "test": {}, "MC mean (test)": {}}
    unc: dict[str, dict] = {"test points": {}, "far points": {}}
    names = []
    for g in data.groups:
        name = group_name(g.overrides, data.baseline)
        names.append(name)
        acc["train"][name] = _cell(metric_values(data, g, "train_accuracy"))
        acc["test"][name] = _cell(metric_values(data, g, "test_accuracy"))
        acc["MC mean (test)"][name] = _cell(metric_values(data, g, "mc_test_accuracy"))
        auroc = metric_values(data, g, "ood_auroc")
        note = f"AUROC {summarize(auroc).mean:.2f}" if auroc else ""
        unc["test points"][name] = _cell(metric_values(data, g, "mc_test_uncertainty"))
        unc["far points"][name] = _cell(metric_values(data, g, "mc_far_uncertainty"), note)
    panels = {"accuracy": _present(acc), "MC-dropout predictive variance": _present(unc)}
    return {t: s for t, s in panels.items() if any(s.values())}, names


def regularization_figures(data: ReportData) -> list[FigureItem]:
    """The accuracy and uncertainty panels of ``regularization``."""
    def draw():
        panels, names = regularization_panels(data)
        return interval_panels(panels, groups=names) if panels else None
    return [safe("Train and test accuracy by regulariser, and MC-dropout uncertainty on and off the data",
                 "Dots: means over seeds; whiskers: 95 % t-intervals. Left: the train-test gap is "
                 "the overfitting a regulariser should close. Right: the total predictive "
                 "variance of 30 dropout passes on the test points and on points 2-4 training radii "
                 "away; the AUROC says how well it tells the two apart (0.5: not at all).", draw)]
