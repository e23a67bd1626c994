"""A study's results from its store: the group table, the comparisons in words, the findings.

This is what ``gradlab show DIR`` prints and what the report reads: per group (configuration),
n / mean / std / 95 % CI of the compared metric; per group against its baseline, the difference
with its interval, the p-value (paired by seed or Welch) and Holm's correction; and how many
trials of each group raised each finding.
"""

from __future__ import annotations

import csv
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from gradlab.errors import StoreError
from gradlab.study import stats
from gradlab.study.plan import baseline_for, effective_values
from gradlab.study.store import Store


@dataclass
class GroupRow:
    """One configuration's trials and their summary: a line of the comparison table.

    ``gradlab show``, the CSV and the HTML report all print these rows. ``mean``/``std``/``ci_*``
    are NaN without a finished trial (or, for the std and CI, with one); the comparison fields
    (``diff`` … ``significant``) are None for the baseline and for a group that could not be
    tested (each side needs two finished seeds).
    """

    label: str
    config_hash: str
    assignment: dict
    n: int
    mean: float
    std: float
    ci_low: float
    ci_high: float
    failed: int = 0
    pending: int = 0
    values: dict = field(default_factory=dict)   # seed -> metric
    findings: dict = field(default_factory=dict)  # code -> trials with it
    baseline: str | None = None
    diff: float | None = None
    diff_low: float | None = None
    diff_high: float | None = None
    p: float | None = None
    p_holm: float | None = None
    test: str | None = None
    significant: bool | None = None
    sentence: str = ""
    selected: bool | None = None  # with [compare] select: chosen on the select_on metric?

    @property
    def is_baseline(self) -> bool:
        """Whether this group is a baseline (it is compared with no other group; a group not
        chosen on dev by ``[compare] select`` is none)."""
        return self.baseline is None and self.selected is not False


@dataclass
class StudyResults:
    """Everything ``gradlab show`` prints."""

    name: str
    description: str
    metric: str
    higher_is_better: bool
    alpha: float
    groups: list[GroupRow]
    counts: dict

    def to_dict(self) -> dict:
        return asdict(self)

    def sentences(self) -> list[str]:
        return [g.sentence for g in self.groups if g.sentence]

    def write_csv(self, path: str | Path) -> None:
        """One row per group: the summary and the comparison columns."""
        cols = ["label", "n", "mean", "std", "ci_low", "ci_high", "failed", "baseline", "diff",
                "diff_low", "diff_high", "p", "p_holm", "test", "significant", "config_hash"]
        from gradlab.atomic_write import atomic_open

        with atomic_open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=cols)
            writer.writeheader()
            for g in self.groups:
                writer.writerow({c: getattr(g, c) for c in cols})


def _fmt(x: float | None) -> str:
    return "?" if x is None else f"{x:+.3g}"


def _p_text(p: float | None) -> str:
    return "p=?" if p is None else "p<0.0001" if p < 1e-4 else f"p={p:.2g}"


def _sentence(g: GroupRow, metric: str, higher: bool, alpha: float) -> str:
    if g.diff is None:
        return f"{g.label} vs {g.baseline}: too few finished trials to test (n={g.n})"
    better = g.diff > 0 if higher else g.diff < 0
    verb = "beats" if better else "trails" if g.diff != 0 else "ties"
    tail = ("significant after Holm" if g.significant
            else f"not significant after Holm, adjusted p={g.p_holm:.2g}")
    return (f"{g.label} {verb} {g.baseline} by {_fmt(g.diff)} {metric} "
            f"(95% CI {_fmt(g.diff_low)}..{_fmt(g.diff_high)}, {_p_text(g.p)}, {tail})")


def analyze(source: "Store | str | Path") -> StudyResults:
    """Read a study folder (or an open store) and compute the table and the comparisons.

    Raises:
        StoreError: no store there, or it holds no study.
    """
    store = source if isinstance(source, Store) else Store(source, create=False)
    try:
        meta = store.meta()
        if "name" not in meta:
            raise StoreError(f"{store.path} holds no study yet: run one into it first")
        compare = meta.get("compare") or {}
        metric = compare.get("metric", "dev_accuracy")
        higher = bool(compare.get("higher_is_better", True))
        alpha = float(compare.get("alpha", 0.05))
        hashes = meta.get("config_hashes")
        trials = store.trials(hashes=set(hashes) if hashes else None)
        groups: dict[str, GroupRow] = {}
        configs: dict[str, dict] = {}
        select, select_on = compare.get("select"), compare.get("select_on")
        on_values: dict[str, list[float]] = {}
        for t in trials:
            g = groups.get(t["config_hash"])
            if g is None:
                g = groups[t["config_hash"]] = GroupRow(
                    t["group_key"], t["config_hash"], t["group"], 0, math.nan, math.nan, math.nan, math.nan)
                configs[t["config_hash"]] = t["config"]
            if t["status"] == "done":
                value = (t["metrics"] or {}).get(metric)
                if isinstance(value, (int, float)) and math.isfinite(value):
                    g.values[t["seed"]] = float(value)
                chosen_on = (t["metrics"] or {}).get(select_on)
                if select and isinstance(chosen_on, (int, float)) and math.isfinite(chosen_on):
                    on_values.setdefault(t["config_hash"], []).append(float(chosen_on))
            elif t["status"] == "failed":
                g.failed += 1
            else:
                g.pending += 1
        _count_findings(store, groups, {t["trial_id"]: t["config_hash"] for t in trials})
        counts = store.counts(hashes)
    finally:
        if store is not source:
            store.close()
    order = hashes or list(groups)
    rows = [groups[h] for h in order if h in groups]
    for g in rows:
        s = stats.summarize(list(g.values.values()))
        g.n, g.mean, g.std, g.ci_low, g.ci_high = s.n, s.mean, s.std, s.ci_low, s.ci_high
    swept = list(dict.fromkeys(k for g in rows for k in g.assignment))
    values = [effective_values(configs[g.config_hash], swept) for g in rows]
    baseline = compare.get("baseline") or {}
    compared = rows
    if select:  # compare only each family's best value of the select key (chosen on dev)
        from gradlab.study.selection import select_best
        from gradlab.study.spec import Compare

        on_higher = Compare(metric=str(select_on or metric)).higher
        compared, values = select_best(rows, values, on_values, select, on_higher)
        baseline = {k: v for k, v in baseline.items() if k != select}
    _compare(compared, values, baseline, metric, higher, alpha)
    return StudyResults(meta["name"], meta.get("description", ""), metric, higher, alpha,
                        rows, counts)


def _count_findings(store: Store, groups: dict, group_of: dict) -> None:
    seen: set[tuple[str, str | None]] = set()
    for f in store.findings():
        h = group_of.get(f["trial_id"])
        if h is None or (f["trial_id"], f.get("code")) in seen:
            continue
        seen.add((f["trial_id"], f.get("code")))
        counter = groups[h].findings
        counter[f["code"]] = counter.get(f["code"], 0) + 1


def _compare(rows: list[GroupRow], values: list[dict], baseline: dict, metric: str,
             higher: bool, alpha: float) -> None:
    tested: list[GroupRow] = []
    p_values: list[float] = []
    for g, vals in zip(rows, values):
        index = baseline_for(vals, values, baseline)
        if index is None or rows[index] is g:
            continue
        base = rows[index]
        g.baseline = base.label
        result = stats.compare(g.values, base.values)
        if result is not None:
            g.diff, g.diff_low, g.diff_high = result.diff, result.ci_low, result.ci_high
            g.p, g.test = result.p, result.test
            tested.append(g)
            p_values.append(result.p)
    for g, adjusted in zip(tested, stats.holm(p_values)):
        g.p_holm = adjusted
        g.significant = adjusted < alpha
    for g in rows:
        if g.baseline is not None:
            g.sentence = _sentence(g, metric, higher, alpha)
