"""What users read describes the experiment, never the project's sources ("seed 002 §3")."""

import json
import re

import pytest
from typer.testing import CliRunner

from gradlab.cli.app import app

runner = CliRunner()
PROJECT_WORDS = re.compile(r"\bseed 00\d|§\d|\bseeds'", re.IGNORECASE)


def test_studies_describe_their_experiment():
    result = runner.invoke(app, ["studies", "--json"])
    assert result.exit_code == 0
    for study in json.loads(result.output):
        assert not PROJECT_WORDS.search(study["description"]), study
        assert len(study["description"].split()) >= 8, study  # a sentence, not a tag


@pytest.mark.parametrize("family", ["activations", "inits", "optimizers", "schedules", "tasks",
                                    "models"])
def test_list_summaries_speak_to_users(family):
    result = runner.invoke(app, ["list", family, "--json"])
    assert result.exit_code == 0, result.output
    for entry in json.loads(result.output):
        assert not re.search(r"\bseed 00\d|\bseeds'", entry.get("summary", ""), re.I), entry
