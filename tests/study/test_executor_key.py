"""A study file may name its executor; ``run_study``/``--executor`` override it; bad names fail."""

import pytest

from gradlab.errors import ConfigError
from gradlab.study.runner import run_study
from gradlab.study.spec import Study, load_study
from gradlab.study.store import Store
from gradlab.studies import study_names

BASE = {"name": "k", "model": {"hidden": [3]}, "train": {"epochs": 2},
        "sweep": {"model.act": ["relu", "elu"]}, "seeds": 2}


def test_the_executor_key_is_read_and_written_back():
    study = Study.from_dict({**BASE, "executor": "ensemble"})
    assert study.executor == "ensemble"
    assert Study.from_dict(study.to_dict()).executor == "ensemble"
    assert Study.from_dict(BASE).executor is None
    assert "executor" not in Study.from_dict(BASE).to_dict()


@pytest.mark.parametrize("bad", ["ensembel", "gpu", 3], ids=["typo", "unknown", "not-a-string"])
def test_a_bad_executor_names_the_value_and_the_choices(bad):
    with pytest.raises(ConfigError, match=r"executor = .*choices: local, ensemble, ray"):
        Study.from_dict({**BASE, "executor": bad})


def test_a_typo_gets_a_did_you_mean():
    with pytest.raises(ConfigError, match="did you mean 'ensemble'"):
        Study.from_dict({**BASE, "executor": "ensembel"})


def _executor_of(out) -> tuple[str, set]:
    with Store(out) as store:
        return store.meta()["executor"], {t["executor"] for t in store.trials()}


def test_run_uses_the_study_executor_unless_told_otherwise(tmp_path):
    study = Study.from_dict({**BASE, "executor": "ensemble"})
    run_study(study, tmp_path / "a", workers=1, progress=False)
    assert _executor_of(tmp_path / "a") == ("ensemble", {"ensemble"})
    run_study(study, tmp_path / "b", workers=1, executor="local", progress=False)
    assert _executor_of(tmp_path / "b") == ("local", {"local"})
    run_study(Study.from_dict(BASE), tmp_path / "c", workers=1, progress=False)
    assert _executor_of(tmp_path / "c")[0] == "local"


@pytest.mark.parametrize("name", study_names())
def test_every_builtin_study_names_a_valid_executor(name):
    study = load_study(name, validate=False)
    assert study.executor in (None, "local", "ensemble")
