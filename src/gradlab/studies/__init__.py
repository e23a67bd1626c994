"""The built-in studies: one TOML file per seed-article experiment, shipped in the package.

``gradlab studies`` lists them (:func:`gradlab.study.builtin.list_studies`); ``gradlab run
dying-relu`` runs one by name. This package only finds the files: it imports nothing from
:mod:`gradlab.study`, which reads them.
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
