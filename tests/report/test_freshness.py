"""The report is redrawn only when what it shows changed (a digest of the store in its head)."""

from __future__ import annotations

import json

from report_study import make_study

from gradlab.report.freshness import is_current, report_digest, study_digest
from gradlab.report.html import write_report
from gradlab.study.store import Store


def test_a_written_report_is_current_until_a_trial_changes(tmp_path):
    study = make_study(tmp_path / "study")
    assert not is_current(study)  # no report yet
    path = write_report(study, activations=False)
    assert report_digest(path) == study_digest(study) and is_current(study)
    with Store(study) as store:  # a run that only touches the time stamp changes nothing shown
        store.set_meta(updated_at="2030-01-01T00:00:00+00:00")
    assert is_current(study)
    with Store(study) as store:  # another seed arrives
        store.add_trials([{"trial_id": "h0-s9", "config_hash": "h0", "seed": 9,
                           "group_key": "model.act=relu", "group_json": json.dumps({"model.act": "relu"}),
                           "config_json": "{}"}])
    assert not is_current(study)


def test_rerunning_a_finished_study_keeps_its_report(tmp_path):
    from typer.testing import CliRunner

    from gradlab.cli.app import app

    toml = tmp_path / "s.toml"
    toml.write_text('name = "again"\nseeds = 2\n[model]\nhidden = [3]\n[train]\nepochs = 2\n'
                    '[sweep]\n"model.act" = ["relu", "tanh"]\n')
    args = ["run", str(toml), "--out", str(tmp_path / "out"), "--workers", "1", "--no-progress"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    report = tmp_path / "out" / "report.html"
    stamp = report.stat().st_mtime_ns
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "ran 0 trials" in again.output and "up to date: nothing changed" in again.output
    assert report.stat().st_mtime_ns == stamp
    more = CliRunner().invoke(app, [*args, "--seeds", "3"])  # a new seed: drawn again
    assert more.exit_code == 0 and "up to date" not in more.output
    assert report.stat().st_mtime_ns != stamp
