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


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["--act", "leaky_relu(foo)"], "bad arguments for activation 'leaky_relu(foo)'"),
        (["--act", "elu(alpha='x')"], "bad arguments for activation"),
        (["--model", "gan", "--task", "ring"], "did you mean 'model.g_hidden'"),
        (["--task", "csv('/data.csv')"], "csv(path='/data.csv')"),
    ],
    ids=["word-as-slope", "word-as-alpha", "gan-with-mlp-sizes", "positional-task-arg"],
)
def test_bad_input_found_by_qa_exits_2_without_traceback(args, fragment):
    # regressions: a word where a number belongs crashed inside init with a ValueError traceback;
    # --model gan died on a key it does not take; the positional hint showed moons for a csv
    result = runner.invoke(app, ["train", *TINY, *args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], result.stderr


def test_cnn_and_resnet_keep_their_own_batchnorm_unless_norm_is_given():
    # regression: the CLI's mlp defaults (norm none, norm_position) broke resnet and switched the
    # cnn's BatchNorm off, so `gradlab train --model cnn --task images` stayed at chance
    from gradlab.cli.common import options_to_config

    cnn = options_to_config({"model": "cnn", "task": "images"})
    assert cnn["model"]["norm"] == "batch" and cnn["model"]["init"] == "default"
    resnet = options_to_config({"model": "resnet", "task": "images"})
    assert resnet["model"]["norm"] == "batch" and "norm_position" not in resnet["model"]
    assert options_to_config({"model": "cnn", "task": "images", "norm": "none"})["model"]["norm"] == "none"
    assert options_to_config({})["model"]["norm"] == "none"  # the mlp default is unchanged


def test_regression_table_title_is_not_wrapped():
    # regression: a two-column table wrapped its title as "negative_uniform · / mlp · seed 0"
    result = runner.invoke(app, ["train", *TINY, "--task", "teacher", "--no-watch"])
    assert result.exit_code == 0, result.output
    assert "teacher · mlp · seed 0" in result.stdout


def test_help_paragraphs_are_not_cut_by_hard_line_breaks():
    # typer keeps a docstring's line breaks: a paragraph written over several lines was shown
    # cut mid-sentence ("symmetric" / "weights") in `gradlab checkup --help`
    from gradlab.cli import checkup_cmd, train_cmd

    for text in (train_cmd.HELP, checkup_cmd.HELP):
        prose = text.split("Examples:")[0]
        assert all("\n" not in p.strip() for p in prose.split("\n\n")), prose


def test_a_gan_trains_on_the_ring_by_default_and_reports_mode_coverage():
    result = runner.invoke(app, ["train", "--model", "gan", "--epochs", "2", "--batch-size", "256", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "ring · gan" in result.stdout and "modes captured" in result.stdout
    bad = runner.invoke(app, ["train", "--model", "gan", "--task", "moons", "--epochs", "1", "--quiet"])
    assert bad.exit_code == 2 and "needs a generative task" in bad.stderr
