"""TensorBoard event files for a study: ``DIR/tb/<group>/seed<N>/`` (the ``tensorboard`` extra).

Each finished trial becomes one TensorBoard run, named after its group and seed as the dashboard
lists it (``act=relu,optimizer=sgd/seed0``), holding its curves (``curves/<key>``, x = epoch),
its vitals (``vitals/<layer>/<stat>``, ``model`` for model-wide rows), its final metrics
(``metrics/<name>``) and an HParams summary: the trial's swept values and its seed as
hyperparameters, the final metrics as the HParams dashboard's metrics. TensorFlow is not
needed: the writer is PyTorch's ``torch.utils.tensorboard``, which only needs ``tensorboard``.

Exporting again replaces the runs: event files are appended to, never overwritten, so the runs
of an earlier export are removed first (folders that hold nothing but event files).
"""

from __future__ import annotations

import json
import numbers
import re
import shutil
from pathlib import Path

from gradlab.errors import missing_extra
from gradlab.report.page_data import ReportData


def _writer_parts():
    try:
        from torch.utils.tensorboard import SummaryWriter
        from torch.utils.tensorboard.summary import hparams
    except ImportError as exc:  # torch raises ImportError when tensorboard is missing
        raise missing_extra("tensorboard", "tensorboard", "gradlab report --tensorboard") from exc
    return SummaryWriter, hparams


def _hparam_value(value):
    """HParams take bool, int, float or str; anything else (lists, dicts) as its JSON text."""
    if isinstance(value, (bool, str)) or isinstance(value, numbers.Real):
        return value
    return json.dumps(value, sort_keys=True)


def _numeric(metrics: dict) -> dict[str, float]:
    return {k: float(v) for k, v in metrics.items()
            if isinstance(v, numbers.Real) and not isinstance(v, bool)}


def run_name(label: str, seed: int) -> str:
    """The run's folder, relative to the export: ``"act=relu optimizer=sgd"``, 0 ->
    ``"act=relu,optimizer=sgd/seed0"`` (path separators and control characters replaced)."""
    # the label's "key=value" pairs are joined by spaces; values may hold ", " themselves
    group = re.sub(r" (?=[\w.]+=)", ",", label).replace(" ", "")
    group = re.sub(r"[\\/\x00-\x1f]", "_", group)
    return f"{group}/seed{seed}"


def _remove_earlier_runs(out_dir: Path) -> None:
    """Delete the run folders of an earlier export; anything else in ``out_dir`` stays."""
    if not out_dir.is_dir():
        return
    for child in out_dir.iterdir():
        files = [f for f in child.rglob("*") if f.is_file()] if child.is_dir() else None
        if files and all(f.name.startswith("events.out.tfevents") for f in files):
            shutil.rmtree(child)


def export_trials(data: ReportData, out_dir: str | Path) -> list[Path]:
    """Write one TensorBoard run per finished trial of ``data`` under ``out_dir``.

    Returns:
        The run folders written, in trial order.
    """
    SummaryWriter, hparams = _writer_parts()
    out_dir = Path(out_dir)
    _remove_earlier_runs(out_dir)
    group_of = {tid: g for g in data.groups for tid in g.trial_ids}
    # every value each swept key takes, so the dashboard can offer them as filters
    domains = {k: [_hparam_value(v) for v in vals] for k, vals in data.axes.items()
               if all(isinstance(_hparam_value(v), (bool, str, int, float)) for v in vals)}
    written = []
    for trial in data.trials:
        if trial.get("status") != "done":
            continue
        tid = trial["trial_id"]
        group = group_of.get(tid)
        run_dir = out_dir / run_name(group.label if group else trial.get("group_key", tid),
                                     int(trial["seed"]))
        writer = SummaryWriter(log_dir=str(run_dir))
        try:
            for row in data.history.get(tid, []):
                for key, value in row.items():
                    if key != "epoch" and value is not None:
                        writer.add_scalar(f"curves/{key}", float(value), int(row["epoch"]))
            for row in data.vitals.get(tid, []):
                if row.get("value") is not None:
                    writer.add_scalar(f"vitals/{row['layer'] or 'model'}/{row['stat']}",
                                      float(row["value"]), int(row["epoch"]))
            metrics = {f"metrics/{k}": v for k, v in _numeric(trial.get("metrics") or {}).items()}
            last = max((int(r["epoch"]) for r in data.history.get(tid, [])), default=0)
            for tag, value in metrics.items():
                writer.add_scalar(tag, value, last)
            hp = {k: _hparam_value(v) for k, v in (group.overrides if group else {}).items()}
            hp["seed"] = int(trial["seed"])
            hp["group"] = group.label if group else trial.get("group_key", "")
            discrete = {k: v for k, v in domains.items() if k in hp}
            for summary in hparams(hp, metrics, hparam_domain_discrete=discrete):
                writer.file_writer.add_summary(summary)
        finally:
            writer.close()
        written.append(run_dir)
    return written


def export_tensorboard(study_dir: str | Path) -> Path:
    """Export the study in ``study_dir`` to TensorBoard event files; returns ``study_dir/tb``.

    View with ``tensorboard --logdir DIR/tb`` (the HParams tab compares the trials).

    Raises:
        MissingExtraError: when ``tensorboard`` is not installed.
        StoreError: when ``study_dir`` holds no study.
    """
    _writer_parts()  # fail before reading the store when the extra is missing
    from gradlab.report.data import load_report_data

    out = Path(study_dir) / "tb"
    export_trials(load_report_data(study_dir, all_vitals=True), out)
    return out
