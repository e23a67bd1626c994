"""A sink that streams every pulled vital to a JSON-lines file, one row per line."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, TextIO

from gradlab.watch.distributed import is_main_rank
from gradlab.watch.sinks import Sink


def _jsonable(v: float) -> Any:
    # JSON has no NaN/inf; write them as strings that float() reads back
    return v if math.isfinite(v) else str(v)


class JSONLSink(Sink):
    """Append rows ``{"step", "layer", "stat", "value"}`` (and histograms) to ``path``.

    The file keeps the full resolution (no thinning), so it grows with the run.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._f: TextIO | None = None

    def open(self, watch: Any) -> None:
        if is_main_rank():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._f = self.path.open("a", encoding="utf-8")

    def write(self, rows: list[dict]) -> None:
        if self._f is None:
            return
        for r in rows:
            self._f.write(json.dumps({**r, "value": _jsonable(r["value"])}) + "\n")
        self._f.flush()

    def write_histogram(self, step, layer, stat, edges, counts) -> None:
        if self._f is not None:
            row = {"step": step, "layer": layer, "stat": f"hist/{stat}", "edges": edges, "counts": counts}
            self._f.write(json.dumps(row) + "\n")

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
            self._f = None

    def __repr__(self) -> str:
        return f"JSONLSink({str(self.path)!r})"


def read_jsonl(path: str | Path) -> list[dict]:
    """Read the scalar rows a :class:`JSONLSink` wrote (histogram lines are skipped)."""
    rows = []
    with Path(path).open(encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if "value" in r:
                r["value"] = float(r["value"])
                rows.append(r)
    return rows
