"""Fixtures of the report tests: a small finished study in the real store."""

from __future__ import annotations

import pytest
from report_study import make_study

from gradlab.report.html import write_report


@pytest.fixture
def study_dir(tmp_path):
    """A finished small study (3 seeds x relu / leaky_relu) in a temporary folder."""
    return make_study(tmp_path / "study")


@pytest.fixture(scope="session")
def rendered(tmp_path_factory):
    """Four seeds, one LeakyReLU trial failed, its report written once for every test.

    Returns:
        (study_dir, report_path)
    """
    study = make_study(tmp_path_factory.mktemp("rendered") / "study", seeds=(0, 1, 2, 3))
    return study, write_report(study, activations=False)
