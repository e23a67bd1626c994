"""`gradlab repair`: the seeds' networks repaired from the command line, the fixed command and config."""

import json
import shlex

import pytest
from typer.testing import CliRunner

from gradlab.cli.app import app
from gradlab.cli.repair_cmd import fixed_command
from gradlab.train.experiment import run_trial

runner = CliRunner()
SEED_RUNS = {
    "zero-init": ["--hidden", "5", "--act", "sigmoid", "--init", "zeros", "--bias-init", "zeros",
                  "--optimizer", "sgd", "--lr", "0.2", "--epochs", "200", "--batch-size", "0"],
    "vanishing": ["--hidden", "3,3,3,3", "--act", "sigmoid", "--init", "normal(0, 0.01)", "--bias-init",
                  "constant(1.0)", "--optimizer", "sgd", "--lr", "0.01", "--epochs", "200", "--batch-size", "0"],
    "dying-relu": ["--hidden", "3,3,3,3", "--act", "relu", "--init", "normal(0, 0.01)", "--bias-init",
                   "constant(-8)", "--optimizer", "sgd", "--lr", "0.01", "--epochs", "200", "--batch-size", "0"],
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SEED_RUNS))
def test_seed_run_is_repaired_and_the_written_config_is_the_fixed_run(name, tmp_path):
    path = tmp_path / "fixed.json"
    result = runner.invoke(app, ["--threads", "1", "repair", *SEED_RUNS[name], "-q", "--json",
                                 "--write-config", str(path)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["fixed"], out["message"]
    assert all(out["after"]["values"][s] > out["before"]["values"][s] for s in out["before"]["values"])
    assert out["command"].startswith("gradlab train ")
    # the fixed command line, run by `gradlab train`, is the repaired run: same score on seed 0
    train = runner.invoke(app, ["--threads", "1", *shlex.split(out["command"])[1:], "-q", "--json"])
    assert json.loads(train.stdout)["dev_accuracy"] == pytest.approx(out["after"]["values"]["0"])
    config = json.loads(path.read_text())
    assert run_trial(config, 1).metrics["dev_accuracy"] == pytest.approx(out["after"]["values"]["1"])


def test_fixed_command_replaces_the_changed_options():
    cmd = fixed_command({"act": "relu", "lr": 0.01, "hidden": "3,3", "seed": None},
                        {"model.act": "leaky_relu(0.1)", "train.clip_norm": 1.0})
    assert cmd == "gradlab train --act 'leaky_relu(0.1)' --lr 0.01 --hidden 3,3 --clip-norm 1.0"


def test_bad_option_is_one_line_and_exit_2():
    result = runner.invoke(app, ["repair", "--act", "lrelu"])
    assert result.exit_code == 2
    assert "error:" in result.output and "Traceback" not in result.output
