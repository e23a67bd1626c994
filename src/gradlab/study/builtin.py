"""The built-in studies described for ``gradlab studies``: name, description, size.

The files and their lookup by name live in :mod:`gradlab.studies`; reading them is
:mod:`gradlab.study.spec`'s job, so the description that needs both sits here, above the two.
"""

from __future__ import annotations

from gradlab.studies import find_study, study_names
from gradlab.study.grid import expand_axes
from gradlab.study.spec import load_study


def list_studies() -> list[dict]:
    """One dict per built-in study: name, description, configurations and seeds (unvalidated)."""
    out = []
    for name in study_names():
        study = load_study(find_study(name), validate=False)
        configs = sum(len(expand_axes(b.axes, b.mode, b.samples, study.sample_seed))
                      for b in study.sweep) or 1
        out.append({"name": name, "description": study.description, "configs": configs,
                    "seeds": len(study.seeds), "path": str(find_study(name))})
    return out
