"""The study CLI: run, show (--json, --csv), status, studies, and one-line errors."""

import csv
import json

import pytest
from typer.testing import CliRunner

from gradlab.cli.app import app

STUDY = """
name = "cli-tiny"
seeds = 2
[model]
hidden = [3]
[train]
epochs = 5
lr = 0.1
[sweep]
"model.act" = ["relu", "tanh"]
[compare]
baseline = { "model.act" = "relu" }
"""

runner = CliRunner()


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    (root / "s.toml").write_text(STUDY)
    result = runner.invoke(app, ["run", str(root / "s.toml"), "--out", str(root / "out"),
                                 "--workers", "1", "--no-progress"])
    assert result.exit_code == 0, result.output
    return root, result


def test_run_prints_the_plan_and_the_comparison_table(study_dir):
    _, result = study_dir
    assert "2 configurations x 2 seeds; 4 new trials" in result.output
    assert "act=tanh" in result.output and "act=relu" in result.output


def test_show_json_and_csv(study_dir):
    root, _ = study_dir
    result = runner.invoke(app, ["show", str(root / "out"), "--json", "--csv", str(root / "t.csv")])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["metric"] == "dev_accuracy"
    assert [g["label"] for g in data["groups"]] == ["act=relu", "act=tanh"]
    assert [g["n"] for g in data["groups"]] == [2, 2]
    rows = list(csv.DictReader(open(root / "t.csv")))
    assert rows[1]["baseline"] == "act=relu" and rows[1]["test"] == "sign-flip"
    assert rows[1]["verdict"] in ("too few seeds", "identical")  # two seeds cannot show one


def test_status_counts(study_dir):
    root, _ = study_dir
    result = runner.invoke(app, ["status", str(root / "out"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["total"], data["done"], data["failed"], data["running_now"]) == (4, 4, 0, False)


def test_studies_lists_every_builtin():
    result = runner.invoke(app, ["studies"])
    assert result.exit_code == 0
    names = [line.split()[0] for line in result.output.strip().splitlines()]
    from gradlab.studies import study_names

    assert names == study_names()  # every study file, sorted
    assert {"dying-relu", "negative-inputs", "slope-sweep", "vanishing", "zero-init", "gan-slope",
            "slope-depth", "regularization", "transfer", "defaults",
            "init-compare", "clipping"} <= set(names)
    assert all("seed 00" not in line.lower() for line in result.output.splitlines())


@pytest.mark.parametrize(
    "args,message",
    [
        (["run", "dying-relu", "--set", "model.actt=elu"], "model.actt"),
        (["run", "dying-rel"], "did you mean 'dying-relu'"),
        (["run", "dying-relu", "--executor", "locl"], "did you mean 'local'"),
        (["show", "no/such/dir"], "no study store"),
    ],
    ids=["bad-override-key", "study-typo", "executor-typo", "missing-store"],
)
def test_errors_are_one_line_and_exit_2(args, message, tmp_path):
    result = runner.invoke(app, [*args] if args[0] == "show" else [*args, "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_run_says_how_to_get_tensorboard_logs_without_writing_them(study_dir):
    root, result = study_dir
    assert "TensorBoard logs" in result.output and "--tensorboard" in result.output
    assert not (root / "out" / "tb").exists()


def test_run_with_tensorboard_writes_one_run_per_trial(tmp_path):
    pytest.importorskip("tensorboard")
    (tmp_path / "s.toml").write_text(STUDY.replace("seeds = 2", "seeds = 1"))
    result = runner.invoke(app, ["run", str(tmp_path / "s.toml"), "--out", str(tmp_path / "out"),
                                 "--workers", "1", "--no-progress", "--tensorboard"])
    assert result.exit_code == 0, result.output
    runs = sorted(p for p in (tmp_path / "out" / "tb").iterdir() if p.is_dir())
    assert len(runs) == 2  # two configurations x one seed
    assert all(any(f.name.startswith("events.out.tfevents") for f in r.rglob("*")) for r in runs)
    assert "TensorBoard runs:" in result.output


def test_run_exits_1_and_says_so_when_trials_fail(tmp_path, monkeypatch):
    import gradlab.train.experiment as experiment

    real = experiment.run_trial

    def tanh_breaks(config, seed):
        if config["model"]["act"] == "tanh":
            raise RuntimeError(f"tanh broke in seed {seed}")
        return real(config, seed)

    # --workers 1 runs trials in this process, resolving run_trial by name at each call
    monkeypatch.setattr(experiment, "run_trial", tanh_breaks)
    (tmp_path / "s.toml").write_text(STUDY)
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(tmp_path / "s.toml"), "--out", str(out),
                                 "--workers", "1", "--no-progress"])
    assert result.exit_code == 1, result.output
    assert "baseline" in result.output  # the table is still printed
    assert "not tested (2 failed)" in result.output
    assert result.output.strip().splitlines()[-1] == (
        f"2 of 4 trials failed; see `gradlab status {out} --failed`")
    status = runner.invoke(app, ["status", str(out), "--failed"])
    assert status.exit_code == 0 and "tanh broke in seed" in status.output
