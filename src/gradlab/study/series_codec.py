"""Pack a trial's per-epoch series (vitals, curves) into one array pair per series, and back.

The store used to keep vitals and curves in long format, one SQLite row per trial × epoch ×
layer × stat (or × curve) with a primary-key index repeating every key: ~2.3 million rows and
245 MB for ``dying-relu``. Packed, a series is one row holding its epochs as little-endian int32
and its values as little-endian float64 (``numpy.tobytes`` / ``frombuffer``); NaN stays NaN in
the array and is read back as ``None``, as the long format returned it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

EPOCH_DTYPE = np.dtype("<i4")
VALUE_DTYPE = np.dtype("<f8")


def _epoch(row: dict) -> int:
    return int(row.get("epoch", row.get("step", 0)))


def _value(value) -> float:
    # non-numbers (strings, None) have no place in a float series: NaN, read back as None
    if isinstance(value, (bool, int, float, np.integer, np.floating)):
        return float(value)
    return float("nan")


def _pack(points: dict[int, float]) -> tuple[bytes, bytes]:
    epochs = sorted(points)
    return (np.asarray(epochs, dtype=EPOCH_DTYPE).tobytes(),
            np.asarray([points[e] for e in epochs], dtype=VALUE_DTYPE).tobytes())


def _unpack(name: str, epochs_blob: bytes, values_blob: bytes):
    epochs = np.frombuffer(epochs_blob, dtype=EPOCH_DTYPE).tolist()
    values = np.frombuffer(values_blob, dtype=VALUE_DTYPE).tolist()
    if len(epochs) != len(values):
        raise ValueError(f"series {name}: {len(epochs)} epochs but {len(values)} values")
    return zip(epochs, [None if v != v else v for v in values])


def pack_vitals(rows: list[dict]) -> list[tuple[str, str, bytes, bytes]]:
    """``rows`` ({epoch, layer, stat, value}) as ``(layer, stat, epochs, values)`` byte series.

    Each series is sorted by epoch; when an (epoch, layer, stat) repeats, the last row wins
    (as ``INSERT OR REPLACE`` did). ``layer`` is ``""`` for model-wide rows (docs/contracts.md);
    a ``None`` layer is passed on, for the store's ``NOT NULL`` to refuse.
    """
    series: dict[tuple, dict[int, float]] = {}
    for row in rows:
        key = (row["layer"], str(row["stat"]))
        series.setdefault(key, {})[_epoch(row)] = _value(row.get("value"))
    return [(layer, stat, *_pack(points)) for (layer, stat), points in series.items()]


def unpack_vitals(series: list[tuple[str, str, bytes, bytes]]) -> list[dict]:
    """The rows of packed ``series``, ordered by (epoch, layer, stat); NaN values as ``None``."""
    rows = [{"epoch": e, "layer": layer, "stat": stat, "value": v}
            for layer, stat, eb, vb in series for e, v in _unpack(f"{layer}/{stat}", eb, vb)]
    rows.sort(key=lambda r: (r["epoch"], r["layer"], r["stat"]))
    return rows


def pack_history(rows: list[dict]) -> list[tuple[str, bytes, bytes]]:
    """Curve rows ({"epoch": e, key: value, ...}) as ``(key, epochs, values)`` byte series."""
    series: dict[str, dict[int, float]] = {}
    for row in rows:
        epoch = int(row["epoch"])
        for key, value in row.items():
            if key != "epoch":
                series.setdefault(key, {})[epoch] = _value(value)
    return [(key, *_pack(points)) for key, points in series.items()]


def unpack_history(series: list[tuple[str, bytes, bytes]]) -> list[dict]:
    """Curve rows by epoch, each with the keys recorded at that epoch; NaN values as ``None``."""
    epochs: dict[int, dict] = {}
    for key, eb, vb in sorted(series, key=lambda s: s[0]):
        for e, v in _unpack(key, eb, vb):
            epochs.setdefault(e, {"epoch": e})[key] = v
    return [epochs[e] for e in sorted(epochs)]


class PackedVitals(Sequence):
    """A trial's vital rows, packed in the worker that made them (:func:`pack_vitals`).

    A watched study sends ~10,000 vital rows per trial from its workers; as dicts they cost a
    pickle, an unpickle and a pack in the driver, which stores them one trial after another. Packed
    in the worker they cross the process boundary as a few byte strings, and the store writes
    :attr:`series` as they are. Read as a sequence, they are the rows :func:`unpack_vitals` gives
    (ordered by epoch, layer and stat; NaN as ``None``), unpacked once on first access.
    """

    def __init__(self, series: list[tuple[str, str, bytes, bytes]]):
        self.series = series
        self._rows: list[dict] | None = None

    @classmethod
    def from_rows(cls, rows: list[dict]) -> "PackedVitals":
        """Pack ``rows`` ({epoch, layer, stat, value})."""
        return cls(pack_vitals(rows))

    @classmethod
    def from_series(cls, series: dict[tuple[str, str], list[tuple[int, float]]]) -> "PackedVitals":
        """Pack ``{(layer, stat): [(epoch, value), ...]}`` (epochs in order), without row dicts."""
        # the values are floats already (a Vitals series): no per-value check, one array each
        return cls([(layer, stat, np.asarray([e for e, _ in points], dtype=EPOCH_DTYPE).tobytes(),
                     np.asarray([v for _, v in points], dtype=VALUE_DTYPE).tobytes())
                    for (layer, stat), points in series.items()])

    def rows(self) -> list[dict]:
        """The unpacked rows (cached)."""
        if self._rows is None:
            self._rows = unpack_vitals(self.series)
        return self._rows

    def __getitem__(self, index):  # noqa: D105
        return self.rows()[index]

    def __len__(self) -> int:  # noqa: D105
        # one row per packed epoch: counted from the bytes (the store asks; unpacking costs more)
        return sum(len(eb) // EPOCH_DTYPE.itemsize for _, _, eb, _ in self.series)

    def __getstate__(self) -> dict:  # the packed bytes only cross a process boundary
        return {"series": self.series, "_rows": None}

    def __eq__(self, other) -> bool:  # noqa: D105
        return list(self) == list(other) if isinstance(other, (list, PackedVitals)) else NotImplemented
