"""TensorBoard export: read back with TensorBoard's own event reader, hparams included."""

from __future__ import annotations

import pytest

pytest.importorskip("tensorboard", reason="the 'tensorboard' extra is not installed")

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402
from tensorboard.plugins.hparams import plugin_data_pb2  # noqa: E402

from gradlab.report.data import load_report_data  # noqa: E402
from gradlab.report.tensorboard import export_tensorboard  # noqa: E402


def _hparams(acc: EventAccumulator) -> dict:
    content = acc.PluginTagToContent("hparams")
    out = {}
    for tag, blob in content.items():
        out[tag] = plugin_data_pb2.HParamsPluginData.FromString(blob)
    return out


def test_every_trial_round_trips(study_dir):
    data = load_report_data(study_dir)
    tb = export_tensorboard(study_dir)
    assert tb == study_dir / "tb"
    group_of = {tid: g for g in data.groups for tid in g.trial_ids}
    # runs named after the group and the seed, as the dashboard lists them
    runs = sorted(str(p.parent.relative_to(tb)) for p in tb.rglob("events.out.tfevents*"))
    assert runs == sorted(f"act={t['config']['model']['act']}/seed{t['seed']}"
                          for t in data.trials if t["status"] == "done")
    for trial in data.trials:
        acc = EventAccumulator(str(tb / f"act={trial['config']['model']['act']}/seed{trial['seed']}"))
        acc.Reload()
        tags = acc.Tags()["scalars"]
        # curves, per-epoch, exactly as stored
        dev = [(e.step, e.value) for e in acc.Scalars("curves/dev_accuracy")]
        stored = [(r["epoch"], r["dev_accuracy"]) for r in data.history[trial["trial_id"]]]
        assert [s for s, _ in dev] == [s for s, _ in stored]
        assert [v for _, v in dev] == pytest.approx([v for _, v in stored], rel=1e-6)
        # vitals, with the model-wide rows under "model"
        assert "vitals/act1/dead_frac" in tags and "vitals/fc1/grad_norm" in tags
        assert "vitals/model/loss" in tags
        final = acc.Scalars("metrics/dev_accuracy")[-1].value
        assert final == pytest.approx(trial["metrics"]["dev_accuracy"], rel=1e-6)
        # hparams: the swept value and the seed of this trial, the metrics for the dashboard
        hp = _hparams(acc)
        start = hp["_hparams_/session_start_info"].session_start_info.hparams
        assert start["model.act"].string_value == group_of[trial["trial_id"]].overrides["model.act"]
        assert start["seed"].number_value == trial["seed"]
        experiment = hp["_hparams_/experiment"].experiment
        assert "metrics/dev_accuracy" in [m.name.tag for m in experiment.metric_infos]
        assert {"model.act", "seed"} <= {h.name for h in experiment.hparam_infos}


def test_exporting_again_replaces_the_runs(study_dir):
    tb = study_dir / "tb"
    (tb / "0df251eb019a23fc-s0").mkdir(parents=True)  # a run of an earlier, hash-named export
    (tb / "0df251eb019a23fc-s0" / "events.out.tfevents.1.host").write_bytes(b"")
    (tb / "notes.txt").write_text("mine")  # not a run: stays
    export_tensorboard(study_dir)
    first = sorted(p.relative_to(tb) for p in tb.rglob("events.out.tfevents*"))
    export_tensorboard(study_dir)
    again = sorted(p.relative_to(tb) for p in tb.rglob("events.out.tfevents*"))
    assert len(again) == len(first) == 6  # one event file per trial, not two
    assert [p.parent for p in again] == [p.parent for p in first]
    assert not (tb / "0df251eb019a23fc-s0").exists() and (tb / "notes.txt").read_text() == "mine"
    acc = EventAccumulator(str(tb / "act=relu" / "seed0"))
    acc.Reload()
    assert len(acc.Scalars("curves/dev_accuracy")) == 6  # each epoch once


def test_run_names_keep_values_whole():
    from gradlab.report.tensorboard import run_name

    assert run_name("act=relu optimizer=sgd", 0) == "act=relu,optimizer=sgd/seed0"
    assert run_name("act=scheduled_leaky_relu(0.3, 0.1) lr=0.1", 2) == (
        "act=scheduled_leaky_relu(0.3,0.1),lr=0.1/seed2")
    assert run_name("data=a/b", 1) == "data=a_b/seed1"


def test_cli_report_with_tensorboard(study_dir, tmp_path):
    from typer.testing import CliRunner

    from gradlab.cli.app import app

    out = tmp_path / "r.html"
    result = CliRunner().invoke(app, ["report", str(study_dir), "--no-replay", "--tensorboard",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.is_file() and (study_dir / "tb").is_dir() and "TensorBoard" in result.output
    bad = CliRunner().invoke(app, ["report", str(study_dir / "missing")])
    assert bad.exit_code == 2 and "no study store" in bad.output
