"""`gradlab list`: every family as a table and as JSON; a bad family name exits 2."""

import json

import pytest
from typer.testing import CliRunner

from gradlab.cli.app import app

runner = CliRunner()
FAMILIES = ["activations", "inits", "optimizers", "schedules", "tasks", "models"]


@pytest.mark.parametrize("family", FAMILIES)
def test_list_json_gives_every_registered_name(family):
    from gradlab.cli.list_cmd import registry_for

    result = runner.invoke(app, ["list", family, "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    _, registry = registry_for(family)
    assert [r["name"] for r in rows] == registry.names()
    assert all(isinstance(r["summary"], str) for r in rows)


def test_list_table_shows_names_and_summaries():
    result = runner.invoke(app, ["list", "activations"])
    assert result.exit_code == 0
    for name in ("relu", "leaky_relu", "gelu", "selu"):
        assert name in result.stdout


def test_singular_family_name_is_accepted():
    assert runner.invoke(app, ["list", "task", "--json"]).exit_code == 0


def test_unknown_family_exits_2_with_did_you_mean():
    result = runner.invoke(app, ["list", "activaton"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: unknown family 'activaton' — did you mean 'activations'? "
        "(choices: activations, inits, optimizers, schedules, tasks, models)"
    ]
    assert "Traceback" not in result.output


def test_list_table_keeps_brackets_in_summaries():
    # regression: rich took rrelu's "[lower, upper]" for markup and printed "a random slope in  ("
    result = runner.invoke(app, ["list", "activations"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "[lower, upper]" in result.stdout
