"""Read what a report needs out of a study folder: :func:`load_report_data`.

The numbers come from the study's own modules — the store's read API
(:class:`gradlab.study.store.Store`) and the table, comparisons and sentences of
:func:`gradlab.study.results.analyze` (which uses :mod:`gradlab.study.stats`). Nothing
statistical is recomputed here; this module only reshapes it into a :class:`ReportData`.
"""

from __future__ import annotations

from pathlib import Path

from gradlab.report.page_data import GroupInfo, ReportData
from gradlab.study.results import GroupRow


def _axes(spec: dict) -> dict[str, list]:
    """Swept keys and their values, merged over the study's sweep blocks, in study order."""
    blocks = spec.get("sweep") or []
    if isinstance(blocks, dict):
        blocks = [blocks]
    axes: dict[str, list] = {}
    for block in blocks:
        for key, values in block.items():
            if key in ("mode", "samples") or not isinstance(values, list):
                continue
            merged = axes.setdefault(key, [])
            merged.extend(v for v in values if v not in merged)
    return axes


def headline(rows: list[GroupRow], metric: str, higher: bool) -> str:
    """One plain sentence over the whole table: how many groups beat or trail their baseline."""
    tested = [r for r in rows if r.significant is not None]
    if not tested:
        return (f"No group could be tested against its baseline on {metric} yet "
                "(each side needs at least two finished seeds).")
    better = [r for r in tested if r.significant and ((r.diff or 0) > 0) == higher]
    worse = [r for r in tested if r.significant and r not in better]
    parts = []
    if better:
        parts.append(f"{len(better)} of {len(tested)} groups did significantly better than their "
                     f"baseline on {metric} ({', '.join(r.label for r in better[:4])}"
                     f"{', ...' if len(better) > 4 else ''})")
    if worse:
        parts.append(f"{len(worse)} did significantly worse ({', '.join(r.label for r in worse[:4])}"
                     f"{', ...' if len(worse) > 4 else ''})")
    if not parts:
        return (f"None of the {len(tested)} tested groups differs significantly from its baseline "
                f"on {metric} after Holm's correction.")
    rest = len(tested) - len(better) - len(worse)
    tail = f"; {rest} showed no significant difference" if rest else ""
    return "; ".join(parts) + tail + " (Holm-corrected)."


def load_report_data(study_dir: str | Path) -> ReportData:
    """Everything the report shows about the study in ``study_dir``.

    Raises:
        StoreError: no store in ``study_dir``, or it holds no study yet.
    """
    from gradlab.study.results import analyze
    from gradlab.study.store import Store

    study_dir = Path(study_dir)
    with Store(study_dir, create=False) as store:
        results = analyze(store)
        meta = store.meta()
        hashes = meta.get("config_hashes")
        trials = store.trials(hashes=set(hashes) if hashes else None)
        history = {t["trial_id"]: store.history(t["trial_id"]) for t in trials if t["status"] == "done"}
        vitals = {t["trial_id"]: store.vitals(t["trial_id"]) for t in trials if t["status"] == "done"}
        findings = {t["trial_id"]: store.findings(t["trial_id"]) for t in trials}
        firsts = _first_done(trials)
        activations = {tid: store.activations(tid) for tid in firsts}
    by_hash: dict[str, list[dict]] = {}
    for t in trials:
        by_hash.setdefault(t["config_hash"], []).append(t)
    groups, rows = [], []
    for g in results.groups:
        members = sorted(by_hash.get(g.config_hash, []), key=lambda t: t["seed"])
        groups.append(GroupInfo(key=g.label, label=g.label, overrides=dict(g.assignment or {}),
                                trial_ids=[t["trial_id"] for t in members],
                                config=members[0]["config"] if members else {}))
        rows.append(g)
    spec = meta.get("spec") or {}
    first = next((t for t in trials if t["status"] == "done"), trials[0] if trials else {})
    versions = {k: first.get(f"{k}_version") for k in ("gradlab", "torch", "python")
                if first.get(f"{k}_version")}
    return ReportData(
        name=results.name, description=results.description or "", spec=spec, metric=results.metric,
        higher_is_better=results.higher_is_better, baseline=dict((meta.get("compare") or {}).get("baseline") or {}),
        axes=_axes(spec), groups=groups, comparison=rows,
        verdict=[headline(rows, results.metric, results.higher_is_better), *results.sentences()],
        trials=[{"trial_id": t["trial_id"], "group_key": t["group_key"], "seed": t["seed"],
                 "status": t["status"], "metrics": t.get("metrics") or {}, "config": t.get("config") or {},
                 "wall_time": t.get("wall_time"), "error": t.get("error")} for t in trials],
        history=history, vitals=vitals, findings=findings, activations=activations, versions=versions,
        study_dir=str(study_dir))


def _first_done(trials: list[dict]) -> list[str]:
    """The done trial of lowest seed of each configuration (whose activations the report draws)."""
    first: dict[str, dict] = {}
    for t in trials:
        if t["status"] == "done" and (t["config_hash"] not in first or t["seed"] < first[t["config_hash"]]["seed"]):
            first[t["config_hash"]] = t
    return [t["trial_id"] for t in first.values()]
