"""Findings per group, as the report prints them.

A group's trials usually raise the same findings (ten seeds of a dead network, ten
``dead_units`` findings): the report folds them into one line per finding code with how many
trials raised it, the worst severity, one message, and the distinct recommendations — each a
runnable change to the configuration (``model.act = "leaky_relu(0.1)"``) and why.
"""

from __future__ import annotations

import json
from html import escape

from gradlab.report.page_data import ReportData

_RANK = {"error": 0, "warning": 1, "info": 2}


def fold_findings(data: ReportData, trial_ids: list[str]) -> list[dict]:
    """One entry per finding code over ``trial_ids``: code, severity, trials, layers, message, recs.

    Sorted by severity (errors first), then by how many trials raised it.
    """
    by_code: dict[str, dict] = {}
    for tid in trial_ids:
        for f in data.findings.get(tid, []):
            code = str(f.get("code", "?"))
            entry = by_code.setdefault(code, {"code": code, "severity": "info", "trials": set(),
                                              "layers": [], "message": f.get("message", ""),
                                              "recommendations": []})
            entry["trials"].add(tid)
            sev = str(f.get("severity", "info"))
            if _RANK.get(sev, 3) < _RANK.get(entry["severity"], 3):
                entry["severity"], entry["message"] = sev, f.get("message", "")
            layer = f.get("layer")
            if layer and layer not in entry["layers"]:
                entry["layers"].append(layer)
            for rec in f.get("recommendations") or []:
                if rec not in entry["recommendations"]:
                    entry["recommendations"].append(rec)
    out = list(by_code.values())
    out.sort(key=lambda e: (_RANK.get(e["severity"], 3), -len(e["trials"]), e["code"]))
    return out


def _rec_html(rec: dict) -> str:
    settings = ", ".join(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in (rec.get("set") or {}).items())
    why = rec.get("why", "")
    return (f"<li><code>{escape(settings)}</code>" + (f" — {escape(str(why))}" if why else "")
            + "</li>")


def findings_section(data: ReportData) -> str:
    """HTML: for each group, its folded findings with recommendations (or that it has none)."""
    parts = []
    for g in data.groups:
        folded = fold_findings(data, g.trial_ids)
        n = len(g.trial_ids)
        if not folded:
            finished = sum(data.trial(t).get("status") == "done" for t in g.trial_ids)
            parts.append(f"<h3>{escape(g.label)}</h3><p class=meta>No findings in {finished} "
                         f"finished trial{'s' if finished != 1 else ''}: the rules saw nothing wrong.</p>")
            continue
        items = []
        for e in folded:
            layers = f" (layers: {escape(', '.join(map(str, e['layers'][:6])))})" if e["layers"] else ""
            recs = "".join(_rec_html(r) for r in e["recommendations"][:5])
            items.append(
                f"<li><span class=\"sev-{escape(e['severity'])}\">{escape(e['severity'])}</span> "
                f"<code>{escape(e['code'])}</code> in {len(e['trials'])} of {n} trials{layers}: "
                f"{escape(str(e['message']))}"
                + (f"<div>Recommended:</div><ul class=recs>{recs}</ul>" if recs else "") + "</li>")
        parts.append(f"<h3>{escape(g.label)}</h3><ul>{''.join(items)}</ul>")
    return "".join(parts) or "<p class=meta>No groups.</p>"
