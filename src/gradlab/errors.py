"""The exception hierarchy of gradlab.

Every error gradlab raises on purpose derives from :class:`GradlabError`, so a caller can catch
the library's complaints without swallowing real bugs. Errors at the boundary name the bad value
and the way out.
"""

from __future__ import annotations


class GradlabError(Exception):
    """Root of every error gradlab raises on purpose."""


class ConfigError(GradlabError, ValueError):
    """A configuration value is invalid (bad key, bad value, impossible shape)."""


class SpecError(ConfigError):
    """A component spec string such as ``"leaky_relu(0.2)"`` could not be parsed."""


class UnknownComponentError(ConfigError, KeyError):
    """A registry was asked for a name it does not hold."""

    def __str__(self) -> str:  # KeyError would repr() the message; keep it readable
        return str(self.args[0]) if self.args else ""


class TrainingStopped(GradlabError):
    """Raised by ``watch(..., stop_on=...)`` when a finding of that severity appears.

    Attributes:
        finding: the :class:`gradlab.Finding` that stopped training.
    """

    def __init__(self, finding, message: str | None = None):
        self.finding = finding
        super().__init__(message or f"training stopped: {getattr(finding, 'message', finding)}")


class StatisticError(GradlabError):
    """A watched statistic failed (raised only with ``watch(..., strict=True)``)."""


class StoreError(GradlabError):
    """The study store could not be read or written."""


class MissingExtraError(GradlabError, ImportError):
    """An optional dependency is missing; the message says which extra to install."""


def missing_extra(package: str, extra: str, feature: str) -> MissingExtraError:
    """Build the one-line install hint for an optional dependency."""
    return MissingExtraError(
        f"{feature} needs the optional package '{package}': pip install 'gradlab[{extra}]'"
    )


class NotBatchable(Exception):
    """These members cannot share one member-axis model; the ensemble executor runs them alone.

    Internal signal, not a user-facing error: the ensemble executor catches it and falls back to
    ``run_trial``, so it deliberately does not derive from ``GradlabError``.
    """
