"""Read what a report needs out of a study folder: :func:`load_report_data`.

The numbers come from the study's own modules — the store's read API
(:class:`gradlab.study.store.Store`) and the table, comparisons and sentences of
:func:`gradlab.study.results.analyze` (which uses :mod:`gradlab.study.stats`). Nothing
statistical is recomputed here; this module only reshapes it into a :class:`ReportData`.
"""

from __future__ import annotations

from pathlib import Path

from gradlab.report.page_data import GroupInfo, ReportData
from gradlab.report.selection import shown_groups


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


def load_report_data(study_dir: str | Path, *, all_vitals: bool = False) -> ReportData:
    """Everything the report shows about the study in ``study_dir``.

    Args:
        study_dir: the study folder.
        all_vitals: read the vitals of every finished trial; by default only those of the groups
            the report draws per layer (:func:`gradlab.report.selection.shown_groups`) — the
            vitals are most of a store, and a report of 16 groups draws four.

    Raises:
        StoreError: no store in ``study_dir``, or it holds no study yet.
    """
    from gradlab.study.headline import headline
    from gradlab.study.results import analyze
    from gradlab.study.store import Store

    study_dir = Path(study_dir)
    with Store(study_dir, create=False) as store:
        results = analyze(store)
        meta = store.meta()
        hashes = meta.get("config_hashes")
        trials = store.trials(hashes=set(hashes) if hashes else None)
        shown = {g.config_hash for g in shown_groups(results.groups, results.higher_is_better)}
        done = [t for t in trials if t["status"] == "done"]
        history = {t["trial_id"]: store.history(t["trial_id"]) for t in done}
        vitals = {t["trial_id"]: store.vitals(t["trial_id"]) for t in done
                  if all_vitals or t["config_hash"] in shown}
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
        axes=_axes(spec), groups=groups, comparison=rows, keys=list(results.keys),
        verdict=headline(results), sentences=results.sentences(),
        shown=[g.label for g in shown_groups(results.groups, results.higher_is_better)],
        layers=[entry["path"] for entry in (first.get("layers") or []) if entry.get("path")],
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
