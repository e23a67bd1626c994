"""`gradlab train` and `gradlab checkup` take one set of options, declared once (RUN_OPTIONS)."""

import json

import typer
from typer.testing import CliRunner

from gradlab.cli.app import app
from gradlab.cli.common import FINDINGS_OPTIONS, RUN_OPTIONS

runner = CliRunner()
ARGS = ["--hidden", "4,3", "--act", "tanh", "--init", "xavier_normal", "--lr", "0.2",
        "--optimizer", "momentum", "--clip-norm", "2", "--weight-decay", "0.001", "--every", "3",
        "--epochs", "2", "--batch-size", "0", "--seed", "4", "--quiet", "--json"]


def _options(name: str) -> list[tuple[str, tuple[str, ...]]]:
    command = typer.main.get_command(app).commands[name]
    return [(p.name, tuple(p.opts)) for p in command.params]


def test_both_commands_have_every_run_option_in_the_same_order():
    assert _options("train") == _options("checkup")
    # the run options, then --no-group, how both print their findings
    assert [name for name, _ in _options("train")] == [*RUN_OPTIONS, *FINDINGS_OPTIONS]
    assert len(RUN_OPTIONS) == 28


def test_both_commands_read_the_same_command_line_into_the_same_config():
    trained = json.loads(runner.invoke(app, ["train", *ARGS]).stdout)
    checked = json.loads(runner.invoke(app, ["checkup", *ARGS]).stdout)
    assert trained["config"] == checked["config"]
    assert trained["seed"] == checked["seed"] == 4
    assert trained["config"]["model"] | {"hidden": [4, 3], "act": "tanh"} == trained["config"]["model"]
    assert trained["config"]["train"]["clip_norm"] == 2.0 and trained["config"]["watch"]["every"] == 3


def test_no_watch_turns_off_the_runs_watch_but_a_checkup_still_watches():
    trained = json.loads(runner.invoke(app, ["train", *ARGS, "--no-watch"]).stdout)
    checked = json.loads(runner.invoke(app, ["checkup", *ARGS, "--no-watch"]).stdout)
    assert trained["config"]["watch"]["enabled"] is False and trained["findings"] == []
    assert checked["config"]["watch"]["enabled"] is True
