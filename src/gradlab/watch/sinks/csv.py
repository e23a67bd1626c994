"""CSV output of vitals: a streaming sink and the writer behind ``w.to_csv(path)``."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Iterable, TextIO

from gradlab.watch.distributed import is_main_rank
from gradlab.watch.sinks import Sink

COLUMNS = ("step", "layer", "stat", "value")


def write_rows(path: str | Path, rows: Iterable[dict]) -> None:
    """Write rows to ``path`` as CSV with the header ``step,layer,stat,value``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        for r in rows:
            w.writerow([r["step"], r["layer"], r["stat"], repr(float(r["value"]))])


def read_rows(path: str | Path) -> list[dict]:
    """Read a CSV written by :func:`write_rows` or :class:`CSVSink`."""
    with Path(path).open(newline="", encoding="utf-8") as f:
        return [
            {"step": int(r["step"]), "layer": r["layer"], "stat": r["stat"], "value": float(r["value"])}
            for r in csv.DictReader(f)
        ]


class CSVSink(Sink):
    """Stream every pulled vital to a CSV file (full resolution, no thinning)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._f: TextIO | None = None
        self._w: Any = None

    def open(self, watch: Any) -> None:
        if is_main_rank():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._f = f = self.path.open("w", newline="", encoding="utf-8")
            self._w = csv.writer(f)
            self._w.writerow(COLUMNS)

    def write(self, rows: list[dict]) -> None:
        if self._w is None or self._f is None:
            return
        for r in rows:
            self._w.writerow([r["step"], r["layer"], r["stat"], repr(float(r["value"]))])
        self._f.flush()

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
            self._f = self._w = None

    def __repr__(self) -> str:
        return f"CSVSink({str(self.path)!r})"
