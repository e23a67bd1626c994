"""`gradlab train` through typer's runner: a tiny run as JSON and as tables; every error path."""

import json

import pytest
from typer.testing import CliRunner

from gradlab.cli.app import app

runner = CliRunner()
TINY = ["--hidden", "8", "--epochs", "3", "--batch-size", "0", "--lr", "0.05", "--quiet"]


def test_train_json_carries_metrics_history_and_findings():
    result = runner.invoke(app, ["train", *TINY, "--json", "--seed", "1"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    for key in ("dev_accuracy", "test_accuracy", "dev_loss", "test_loss", "best_epoch", "history", "findings"):
        assert key in out
    assert [row["epoch"] for row in out["history"]] == [1, 2, 3]
    assert out["config"]["model"]["hidden"] == [8]
    assert out["config"]["train"]["batch_size"] is None  # 0 means full batch
    again = json.loads(runner.invoke(app, ["train", *TINY, "--json", "--seed", "1"]).stdout)
    assert again["history"] == out["history"]


def test_train_regression_json_reports_losses():
    result = runner.invoke(app, ["train", *TINY, "--task", "teacher", "--json", "--no-watch"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert "dev_loss" in out and "test_loss" in out and "dev_accuracy" not in out


def test_train_prints_a_results_table():
    result = runner.invoke(app, ["train", *TINY, "--no-watch"])
    assert result.exit_code == 0, result.output
    for word in ("accuracy", "dev", "test", "best epoch"):
        assert word in result.stdout


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["--act", "lrelu"], "did you mean 'leaky_relu'"),
        (["--init", "normal(0,"], "malformed spec"),
        (["--hidden", "3,x"], "--hidden '3,x'"),
        (["--lr", "-1"], "train.lr must be > 0"),
        (["--task", "moon"], "did you mean 'moons'"),
        (["--hidden", "3", "--depth", "2"], "not both"),
        (["--early-stopping", "0"], "patience"),
        (["--device", "tpu"], "device"),
    ],
    ids=["unknown-act", "malformed-spec", "bad-hidden", "negative-lr", "unknown-task", "hidden-and-depth",
         "bad-patience", "bad-device"],
)
def test_bad_input_exits_2_with_one_error_line_and_no_traceback(args, fragment):
    result = runner.invoke(app, ["train", *TINY, *args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert fragment in lines[0]
    assert "Traceback" not in result.output
    assert result.stdout == ""
