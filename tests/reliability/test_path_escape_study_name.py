"""Regression (issue 15.2): the study name is the default folder ``runs/<name>``; a name such as
``../../../../tmp/x`` or ``/tmp/x`` wrote the store and the report outside ``runs/``, and an empty
name wrote into ``runs/`` itself."""

import pytest

from gradlab.errors import ConfigError
from gradlab.study.spec import load_study
from procs import TINY_STUDY, gradlab

BAD_NAMES = ["../../../../tmp/x", "/tmp/x", "", ".", "..", "a/b", "a\\b", ".hidden", "-rf",
             "x" * 65, "tab\there", "nul\u0000"]


def _study(name: str) -> dict:
    return {"name": name, "seeds": 1, "model": {"hidden": [2]}, "train": {"epochs": 1}}


@pytest.mark.parametrize("name", BAD_NAMES, ids=repr)
def test_path_escape_study_name_is_refused(name):
    with pytest.raises(ConfigError, match="study name .* is not valid: use 1 to 64 letters"):
        load_study(_study(name))


@pytest.mark.parametrize("name", ["dying-relu", "a", "v1.2_test", "X" * 64])
def test_path_escape_plain_names_are_accepted(name):
    assert load_study(_study(name)).name == name


def test_path_escape_cli_writes_nothing_outside_runs(tmp_path, monkeypatch):
    target = tmp_path / "outside"
    study = tmp_path / "esc.toml"
    study.write_text(TINY_STUDY.format(seeds=1, epochs=1).replace(
        'name = "tiny"', f'name = "../../{target}"'))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    result = gradlab("run", str(study), "--workers", "1", "--no-progress")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "study name" in result.stderr
    assert not target.exists() and not (work / "runs").exists()
