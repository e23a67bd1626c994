"""Where vitals go besides memory: JSONL, CSV and TensorBoard sinks.

A sink is a small object with no-op defaults; the watch calls :meth:`Sink.write` with the rows
of each pull (``{"step", "layer", "stat", "value"}``) and :meth:`Sink.write_histogram` for
histograms. In a distributed run only rank 0 writes files. A sink that fails warns once and is
switched off; training goes on.
"""

from __future__ import annotations

from typing import Any, Iterable

from gradlab.errors import ConfigError


class Sink:
    """Base class: override what you need."""

    def open(self, watch: Any) -> None:
        """Called when the watch attaches."""

    def write(self, rows: list[dict]) -> None:
        """Called after each pull with the new rows."""

    def write_histogram(self, step: int, layer: str, stat: str, edges: list[float], counts: list[float]) -> None:
        """Called for each recorded histogram (``len(edges) == len(counts) + 1``)."""

    def close(self) -> None:
        """Called when the watch detaches (also after an exception)."""


def make_sink(spec: Any) -> Sink:
    """A sink from an object, a ``"kind:PATH"`` string (``jsonl``, ``csv``, ``tensorboard``) or
    ``"wandb"`` (the active W&B run).

    A bare path ending in ``.jsonl`` or ``.csv`` works too.
    """
    if isinstance(spec, Sink) or (hasattr(spec, "write") and not isinstance(spec, str)):
        return spec
    if not isinstance(spec, str):
        raise ConfigError(f"a sink is a Sink object or 'jsonl:PATH' / 'csv:PATH' / 'tensorboard:DIR', got {spec!r}")
    kind, sep, path = spec.partition(":")
    if not sep:
        kind, path = spec.rsplit(".", 1)[-1] if "." in spec else "", spec
    kind = {"tb": "tensorboard"}.get(kind, kind)
    if kind == "jsonl":
        from gradlab.watch.sinks.jsonl import JSONLSink

        return JSONLSink(path)
    if kind == "csv":
        from gradlab.watch.sinks.csv import CSVSink

        return CSVSink(path)
    if spec == "wandb":
        from gradlab.watch.sinks.wandb import WandbSink

        return WandbSink()
    if kind == "tensorboard":
        from gradlab.watch.sinks.tensorboard import TensorBoardSink

        return TensorBoardSink(path)
    raise ConfigError(f"unknown sink {spec!r}: use 'jsonl:PATH', 'csv:PATH', 'tensorboard:DIR' or 'wandb'")


def make_sinks(specs: Iterable[Any] | Any) -> list[Sink]:
    """Sinks from a list of specs (a single spec is accepted too)."""
    if specs is None:
        return []
    if isinstance(specs, (str, Sink)):
        specs = [specs]
    return [make_sink(s) for s in specs]


__all__ = ["Sink", "make_sink", "make_sinks"]
