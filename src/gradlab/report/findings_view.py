"""The study's findings, condensed, as the report prints them.

Ten seeds of a dead network raise ten ``dead_units`` findings, and sixteen groups raise the same
codes again: listing them per group repeats one message and one list of fixes screens long. The
report prints one row per finding code — its worst severity, the groups whose trials raised it
(with how many of their trials), the layers (as patterns: ``fc{1-4}``), one message — and then every distinct
recommendation once, each a runnable change to the configuration (``model.act =
"leaky_relu(0.1)"``) with why, and the codes it answers.
"""

from __future__ import annotations

import json
from html import escape

from gradlab.diagnose.name_ranges import describe_names
from gradlab.report.page_data import ReportData

_RANK = {"error": 0, "warning": 1, "info": 2}


def condense_findings(data: ReportData) -> list[dict]:
    """One entry per finding code over the whole study.

    Each entry: ``code``, worst ``severity``, ``message`` (of a worst-severity finding),
    ``layers`` (in the order first seen), ``groups`` (label -> [trials with it, trials]) and
    ``trials`` (how many trials raised it). Sorted by severity, then by trials, then code.
    """
    by_code: dict[str, dict] = {}
    for g in data.groups:
        for tid in g.trial_ids:
            seen: set[str] = set()
            for f in data.findings.get(tid, []):
                code = str(f.get("code", "?"))
                e = by_code.setdefault(code, {"code": code, "severity": "info", "message": "",
                                              "layers": [], "groups": {}, "trials": 0})
                sev = str(f.get("severity", "info"))
                if not e["message"] or _RANK.get(sev, 3) < _RANK.get(e["severity"], 3):
                    e["severity"], e["message"] = sev, str(f.get("message", ""))
                layer = f.get("layer")
                if layer and layer not in e["layers"]:
                    e["layers"].append(layer)
                if code not in seen:  # a trial counts once per code, however many layers
                    seen.add(code)
                    e["trials"] += 1
                    e["groups"].setdefault(g.label, [0, len(g.trial_ids)])[0] += 1
    out = list(by_code.values())
    out.sort(key=lambda e: (_RANK.get(e["severity"], 3), -e["trials"], e["code"]))
    return out


def distinct_recommendations(data: ReportData) -> list[dict]:
    """Every distinct recommendation of the study once: ``set``, ``why``, ``codes``, ``trials``.

    Ordered by how many trials' findings recommended it (the most common fix first).
    """
    recs: dict[str, dict] = {}
    for tid, findings in data.findings.items():
        for f in findings:
            for rec in f.get("recommendations") or []:
                key = json.dumps(rec.get("set") or {}, sort_keys=True, default=str)
                entry = recs.setdefault(key, {"set": rec.get("set") or {}, "why": rec.get("why", ""),
                                              "codes": [], "trials": set()})
                code = str(f.get("code", "?"))
                if code not in entry["codes"]:
                    entry["codes"].append(code)
                entry["trials"].add(tid)
    out = list(recs.values())
    out.sort(key=lambda r: -len(r["trials"]))
    return out


def _groups_cell(groups: dict[str, list[int]]) -> str:
    return " · ".join(f"{escape(label)}&nbsp;<span class=meta>{k}/{n}</span>"
                       for label, (k, n) in groups.items())


def _layers(layers: list) -> str:
    # fifty layers of one Transformer read as a few patterns: enc.layers.{0-11}.linear{1,2}
    return escape(describe_names(map(str, layers), width=80)) or "—"


def findings_section(data: ReportData) -> str:
    """HTML: the condensed findings table, then each distinct recommendation once."""
    rows = condense_findings(data)
    if not rows:
        return "<p class=meta>No findings: the rules saw nothing wrong in any trial.</p>"
    body = "".join(
        f"<tr><td><span class=\"sev-{escape(e['severity'])}\">{escape(e['severity'])}</span> "
        f"<code>{escape(e['code'])}</code></td><td>{_groups_cell(e['groups'])}</td>"
        f"<td>{_layers(e['layers'])}</td><td>{escape(e['message'])}</td></tr>" for e in rows)
    table = ("<table id=findings-table><thead><tr><th>finding</th><th>groups (trials with it)</th>"
             f"<th>layers</th><th>what it means</th></tr></thead><tbody>{body}</tbody></table>")
    recs = distinct_recommendations(data)
    if not recs:
        return table
    items = "".join(
        "<li><code>" + escape(", ".join(f"{k} = {json.dumps(v, ensure_ascii=False)}"
                                        for k, v in r["set"].items())) + "</code>"
        + (f" — {escape(str(r['why']))}" if r["why"] else "")
        + f" <span class=meta>(for {escape(', '.join(r['codes']))})</span></li>" for r in recs)
    return (f"{table}<p>Recommended changes, each once (a study's sweep or "
            f"<code>gradlab run --set</code> runs them as written):</p><ul class=recs>{items}</ul>")
