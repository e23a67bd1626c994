"""A study's results from its store: the group table, the comparisons in words, the findings.

This is what ``gradlab show DIR`` prints and what the report reads: per group (configuration),
n / mean / std / 95 % CI of the compared metric; per group against its baseline, the difference
with its interval, the exact p-value (sign-flip by seed, else a two-sample permutation test) and
Holm's correction, and the verdict in a word and a sentence (:mod:`gradlab.study.verdict`); and
how many trials of each group raised each finding.
"""

from __future__ import annotations

import csv
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from gradlab.errors import StoreError
from gradlab.study import stats, verdict
from gradlab.study.plan import baseline_for, canonical_json, effective_values, label_of
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
    verdict: str = ""            # one word: see gradlab.study.verdict
    n_baseline: int = 0          # the baseline's seeds in the test
    too_few: bool = False        # no outcome of these seeds could reach p < alpha
    identical: bool = False      # every seed gave the same value on both sides
    n_differ: int = 0            # paired seeds whose value differs from the baseline's
    setting: dict = field(default_factory=dict)  # every key that differs between groups -> value

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
    keys: list[str] = field(default_factory=list)  # the swept keys whose value differs by group

    def to_dict(self) -> dict:
        return asdict(self)

    def sentences(self) -> list[str]:
        return [g.sentence for g in self.groups if g.sentence]

    def write_csv(self, path: str | Path) -> None:
        """One row per group: the summary and the comparison columns."""
        cols = ["label", "n", "mean", "std", "ci_low", "ci_high", "failed", "baseline", "diff",
                "diff_low", "diff_high", "p", "p_holm", "test", "significant", "verdict",
                "config_hash"]
        from gradlab.atomic_write import atomic_open

        with atomic_open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=cols)
            writer.writeheader()
            for g in self.groups:
                writer.writerow({c: getattr(g, c) for c in cols})


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
    bounds = stats.metric_bounds(metric)
    for g in rows:
        s = stats.summarize(list(g.values.values()), bounds=bounds)
        g.n, g.mean, g.std, g.ci_low, g.ci_high = s.n, s.mean, s.std, s.ci_low, s.ci_high
    swept = list(dict.fromkeys([*sweep_keys(meta.get("spec") or {}),
                                *(k for g in rows for k in g.assignment)]))
    values = [effective_values(configs[g.config_hash], swept) for g in rows]
    keys = _relabel(rows, values, swept)
    baseline = compare.get("baseline") or {}
    compared = rows
    if select:  # compare only each family's best value of the select key (chosen on dev)
        from gradlab.study.selection import select_best
        from gradlab.study.spec import Compare

        on_higher = Compare(metric=str(select_on or metric)).higher
        compared, values = select_best(rows, values, on_values, select, on_higher)
        baseline = {k: v for k, v in baseline.items() if k != select}
        for g in rows:
            if g.selected is False:
                g.verdict = verdict.NOT_CHOSEN
    _compare(compared, values, baseline, metric, higher, alpha, bounds)
    return StudyResults(meta["name"], meta.get("description", ""), metric, higher, alpha,
                        rows, counts, keys)


def sweep_keys(spec: dict) -> list[str]:
    """The swept keys of a study definition, in the order its sweep blocks name them."""
    blocks = spec.get("sweep") or []
    blocks = [blocks] if isinstance(blocks, dict) else blocks
    return list(dict.fromkeys(k for b in blocks for k, v in b.items() if isinstance(v, list)))


def _relabel(rows: list[GroupRow], values: list[dict], swept: list[str]) -> list[str]:
    """Label each group by the keys that differ between groups only; return those keys.

    A key swept over one value in every block (or set to the same value by every block) tells
    the groups apart no more than the seed does, so it leaves the labels and the table.
    """
    keys = [k for k in swept if len({canonical_json(v[k]) for v in values}) > 1]
    for g, vals in zip(rows, values):
        g.setting = {k: vals[k] for k in keys}
        g.label = label_of({k: g.assignment[k] for k in keys if k in g.assignment})
    return keys


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
             higher: bool, alpha: float, bounds: tuple[float, float]) -> None:
    tested: list[GroupRow] = []
    for g, vals in zip(rows, values):
        index = baseline_for(vals, values, baseline)
        if index is None or rows[index] is g:
            continue
        base = rows[index]
        g.baseline, g.n_baseline = base.label, base.n
        result = stats.compare(g.values, base.values, alpha, bounds)
        if result is not None:
            g.diff, g.diff_low, g.diff_high = result.diff, result.ci_low, result.ci_high
            g.p, g.test, g.too_few = result.p, result.test, result.too_few
            g.identical = g.values == base.values
            g.n_differ = (sum(g.values[s] != base.values[s] for s in g.values)
                          if result.test == "sign-flip" else min(g.n, base.n))
            tested.append(g)
    # Holm over the comparisons that could be significant at all (stats.holm_family)
    for g, adjusted in zip(tested, stats.holm_family(tested)):
        g.p_holm = adjusted
    family = [g for g in tested if g.p_holm is not None]
    for g in tested:
        g.significant = g.p_holm is not None and g.p_holm < alpha
    for g in rows:
        g.verdict = verdict.verdict_of(g, higher)
        g.sentence = verdict.sentence(g, metric, higher, alpha, len(family))
