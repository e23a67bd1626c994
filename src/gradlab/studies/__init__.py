"""The built-in studies: one TOML file per seed-article experiment, shipped in the package.

``gradlab studies`` lists them; ``gradlab run dying-relu`` runs one by name.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from gradlab.components.suggest import did_you_mean
from gradlab.errors import ConfigError


def _files() -> dict[str, Path]:
    root = resources.files(__name__)
    return {
        entry.name[: -len(".toml")]: Path(str(entry))
        for entry in root.iterdir()
        if entry.name.endswith(".toml")
    }


def study_names() -> list[str]:
    """Names of the built-in studies, sorted."""
    return sorted(_files())


def find_study(name: str) -> Path:
    """The file of a built-in study.

    Raises:
        ConfigError: neither a file nor a built-in name (with the choices and a did-you-mean).
    """
    files = _files()
    if name in files:
        return files[name]
    hint = did_you_mean(name, sorted(files))
    raise ConfigError(
        f"no study file or built-in study named {name!r}{hint} "
        f"(built-in studies: {', '.join(sorted(files))})"
    )


def list_studies() -> list[dict]:
    """One dict per built-in study: name, description, configurations and seeds (unvalidated)."""
    from gradlab.study.grid import expand_axes
    from gradlab.study.spec import load_study

    out = []
    for name in study_names():
        study = load_study(find_study(name), validate=False)
        configs = sum(len(expand_axes(b.axes, b.mode, b.samples, study.sample_seed))
                      for b in study.sweep) or 1
        out.append({"name": name, "description": study.description, "configs": configs,
                    "seeds": len(study.seeds), "path": str(find_study(name))})
    return out
