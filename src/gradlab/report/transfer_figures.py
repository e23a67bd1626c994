"""``transfer``'s figure: test accuracy by the number of layers reused, frozen or fine-tuned.

The article's workflow figure (reuse the lower layers of a network trained on a similar task;
pretrain them as an autoencoder when labels are scarce), measured: one series per way of
reusing (related labelled task or autoencoder, frozen or fine-tuned), with from-scratch training
as the row "0 layers".
"""

from __future__ import annotations

from gradlab.report.article_helpers import metric_values, setting
from gradlab.report.figure_items import FigureItem, safe
from gradlab.report.interval_figure import interval_panels
from gradlab.report.page_data import ReportData
from gradlab.study.stats import summarize


def transfer_series(data: ReportData) -> tuple[dict, list[str]]:
    """``{series: {"N layers": cell}}`` for the test accuracy, and the row names in order."""
    series: dict[str, dict] = {}
    rows: set[int] = set()
    for g in data.groups:
        values = metric_values(data, g, "test_accuracy")
        layers = setting(g, "train.pretrain.layers") or 0
        if not values:
            continue
        if layers == 0:
            name = "from scratch"
        else:
            source = "autoencoder" if setting(g, "train.pretrain.objective") == "autoencoder" else "related task"
            name = f"{source}, {'frozen' if setting(g, 'train.pretrain.freeze') else 'fine-tuned'}"
        s = summarize(values)
        rows.add(int(layers))
        series.setdefault(name, {})[f"{layers} layers reused"] = {"mean": s.mean, "low": s.ci_low, "high": s.ci_high}
    return series, [f"{n} layers reused" for n in sorted(rows)]


def transfer_figures(data: ReportData) -> list[FigureItem]:
    """The reuse panel of ``transfer``."""
    def draw():
        series, rows = transfer_series(data)
        return interval_panels({"test accuracy": series}, groups=rows) if series else None
    return [safe("Test accuracy by layers reused: related task or autoencoder, frozen or fine-tuned",
                 "Dots: means over seeds; whiskers: 95 % t-intervals. '0 layers reused' is the same "
                 "net trained from scratch on the few labels.", draw)]
