"""A TensorBoard sink: one scalar per (layer, stat) under ``layer/stat``, plus histograms.

TensorBoard is an optional extra; the package is imported when the sink opens, and its absence
gives a one-line install hint. Events are written with TensorBoard's own ``SummaryWriter`` shim in
PyTorch (``torch.utils.tensorboard``), which needs the ``tensorboard`` package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gradlab.errors import missing_extra
from gradlab.watch.distributed import is_main_rank
from gradlab.watch.sinks import Sink


def tag(layer: str, stat: str) -> str:
    """The TensorBoard tag of a vital: ``fc1/grad_norm``; model-wide stats sit under ``model/``."""
    return f"{layer or 'model'}/{stat}"


class TensorBoardSink(Sink):
    """Write vitals as TensorBoard event files under ``logdir``."""

    def __init__(self, logdir: str | Path):
        self.logdir = Path(logdir)
        self._writer: Any = None

    def open(self, watch: Any) -> None:
        if not is_main_rank():
            return
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise missing_extra("tensorboard", "tensorboard", "TensorBoard logging") from None
        self._writer = SummaryWriter(log_dir=str(self.logdir))

    def write(self, rows: list[dict]) -> None:
        if self._writer is None:
            return
        for r in rows:
            self._writer.add_scalar(tag(r["layer"], r["stat"]), r["value"], global_step=r["step"])

    def write_histogram(self, step, layer, stat, edges, counts) -> None:
        if self._writer is None:
            return
        total = float(sum(counts))
        if total <= 0:
            return
        mids = [(a + b) / 2 for a, b in zip(edges[:-1], edges[1:])]
        s1 = sum(m * c for m, c in zip(mids, counts))
        s2 = sum(m * m * c for m, c in zip(mids, counts))
        self._writer.add_histogram_raw(
            tag(layer, f"hist_{stat}"), min=edges[0], max=edges[-1], num=total, sum=s1, sum_squares=s2,
            bucket_limits=list(edges[1:]), bucket_counts=list(counts), global_step=step,
        )

    def close(self) -> None:
        if self._writer is not None:
            self._writer.flush()
            self._writer.close()
            self._writer = None

    def __repr__(self) -> str:
        return f"TensorBoardSink({str(self.logdir)!r})"
