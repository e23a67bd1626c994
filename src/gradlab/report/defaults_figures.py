"""``defaults``'s figure: the article's table of default settings, one verdict per row and depth.

The study is a one-factor design: per depth, one group runs the article's defaults and every other
group changes one row of the table. This module finds that centre group from the data (the group
every other group of its depth differs from in exactly one row), pairs each alternative with it
by seed, and gives each row a verdict: *holds* (the default beats an alternative and none beats
it), *does not hold* (an alternative is better), *ties* (no difference the seeds can show), and
across depths *depends on depth* when the two disagree.
"""

from __future__ import annotations

from gradlab.report.article_helpers import setting, short_label
from gradlab.report.figure_items import FigureItem, done, safe
from gradlab.report.grid_figure import metric_grid
from gradlab.report.page_data import GroupInfo, ReportData
from gradlab.study.stats import compare, holm_family, metric_bounds

# the article's rows and the config keys each one sets
ROWS = {"initialisation": ("model.init",), "activation": ("model.act",), "normalisation": ("model.norm",),
        "regularisation": ("train.weight_decay", "train.early_stopping"),
        "optimizer": ("train.optimizer", "train.lr"), "schedule": ("train.schedule",)}


def _label(g: GroupInfo, row: str) -> str:
    return ", ".join(short_label(v) for v in (setting(g, k) for k in ROWS[row]) if v is not None)


def _row_of(a: GroupInfo, b: GroupInfo) -> list[str]:
    return [row for row, keys in ROWS.items() if any(setting(a, k) != setting(b, k) for k in keys)]


def _by_seed(data: ReportData, g: GroupInfo) -> dict[int, float]:
    out = {}
    for tid in done(data, g):
        t = data.trial(tid)
        value = (t.get("metrics") or {}).get(data.metric)
        if isinstance(value, (int, float)):
            out[int(t.get("seed", 0))] = float(value)
    return out


def _versus(data: ReportData, default: GroupInfo, alt: GroupInfo):
    # the studies' one comparison (paired by seed when the seeds match): default minus alternative
    return compare(_by_seed(data, default), _by_seed(data, alt), bounds=metric_bounds(data.metric))


def row_verdicts(data: ReportData) -> dict[str, dict[str, dict]]:
    """``{row: {depth label: {"verdict", "diff", "low", "high", "against"}}}``; ``diff`` is the
    default minus its strongest alternative (negative: the default is beaten).

    A difference counts only when it survives Holm's correction across every pairing in the
    figure, counted as the study table counts them (Tarone: pairings whose seeds cannot reach
    alpha at all are left out), so the figure never calls a row "holds" that the table calls a tie.
    """
    sign = 1.0 if data.higher_is_better else -1.0
    depths = sorted({setting(g, "model.depth") for g in data.groups}, key=lambda d: d or 0)
    pairings = []  # (row, depth label, default's label, test, alternative's label)
    for depth in depths:
        groups = [g for g in data.groups if setting(g, "model.depth") == depth]
        default = max(groups, key=lambda g: sum(len(_row_of(g, o)) == 1 for o in groups))
        for row in ROWS:
            for alt in groups:
                if _row_of(default, alt) == [row]:
                    test = _versus(data, default, alt)
                    if test is not None:
                        pairings.append((row, f"{depth} hidden layers", _label(default, row), test,
                                         _label(alt, row)))
    adjusted = holm_family([t for *_, t, _ in pairings])  # Holm across the pairings, as the table
    cells: dict[tuple[str, str], list] = {}
    for (row, label, default_label, test, alt_label), p in zip(pairings, adjusted):
        alpha = test.alpha
        better = p is not None and p < alpha and sign * test.diff > 0
        worse = p is not None and p < alpha and sign * test.diff < 0
        cells.setdefault((row, label), []).append(
            (sign * test.diff, sign * test.ci_low, sign * test.ci_high, alt_label, default_label, better, worse))
    out: dict[str, dict[str, dict]] = {}
    for (row, label), tests in cells.items():
        worst = min(tests, key=lambda t: t[0])
        if any(t[6] for t in tests):  # an alternative is significantly better
            verdict = "does not hold"
        elif any(t[5] for t in tests):
            verdict = "holds"
        else:
            verdict = "ties"
        out.setdefault(row, {})[label] = {"verdict": verdict, "diff": worst[0], "low": worst[1],
                                          "high": worst[2], "against": worst[3], "default": worst[4]}
    return out


def overall(cells: dict[str, dict]) -> str:
    """One row's verdict across depths."""
    verdicts = {depth: c["verdict"] for depth, c in cells.items()}
    if len(set(verdicts.values())) == 1:
        return next(iter(verdicts.values()))
    return "depends on depth (" + "; ".join(f"{d}: {v}" for d, v in verdicts.items()) + ")"


def defaults_figures(data: ReportData) -> list[FigureItem]:
    """The verdict grid of ``defaults``."""
    def draw():
        verdicts = row_verdicts(data)
        if not verdicts:
            return None
        cols = sorted({d for cells in verdicts.values() for d in cells}, key=lambda s: int(s.split()[0]))
        rows = [f"{row}: {overall(cells)}" for row, cells in verdicts.items()]
        panel = {}
        for (row, cells), name in zip(verdicts.items(), rows):
            for depth, c in cells.items():
                panel[(name, depth)] = {"value": c["diff"], "text": f"{c['default']}: {c['verdict']}\n"
                                        f"{c['diff']:+.3f} vs {c['against']}\n[{c['low']:+.3f}, {c['high']:+.3f}]"}
        span = max(abs(c["value"]) for c in panel.values()) or 1.0
        return metric_grid({f"the article's defaults ({data.metric})": panel}, rows=rows, cols=cols,
                           row_label="", col_label="", value_label="default minus its strongest alternative",
                           vmin=-span, vmax=span)
    return [safe("The article's default settings, row by row",
                 "Each cell: the article's default for that row and depth, its verdict, and its "
                 "difference from the strongest alternative with the 95 % interval (paired by seed). "
                 "Holds: better than an alternative and beaten by none; ties: no difference the "
                 "seeds can show after Holm's correction across the figure; does not hold: an "
                 "alternative is better.", draw)]
