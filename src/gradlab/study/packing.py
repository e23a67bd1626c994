"""Pack a trial's vital rows into one array per (layer, stat) for the store, and back.

The store used to keep vitals in long format, one SQLite row per trial × epoch × layer × stat
with a primary-key index repeating every key: ~1.6 million rows and 245 MB for ``dying-relu``.
Packed, a (trial, layer, stat) series is one row holding its epochs as little-endian int32 and
its values as little-endian float64 (``numpy.tobytes`` / ``frombuffer``); NaN stays NaN in the
array and is read back as ``None``, as the long format returned it.
"""

from __future__ import annotations

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
    out = []
    for (layer, stat), points in series.items():
        epochs = sorted(points)
        out.append((layer, stat,
                    np.asarray(epochs, dtype=EPOCH_DTYPE).tobytes(),
                    np.asarray([points[e] for e in epochs], dtype=VALUE_DTYPE).tobytes()))
    return out


def unpack_vitals(series: list[tuple[str, str, bytes, bytes]]) -> list[dict]:
    """The rows of packed ``series``, ordered by (epoch, layer, stat); NaN values as ``None``."""
    rows = []
    for layer, stat, epochs_blob, values_blob in series:
        epochs = np.frombuffer(epochs_blob, dtype=EPOCH_DTYPE).tolist()
        values = np.frombuffer(values_blob, dtype=VALUE_DTYPE).tolist()
        if len(epochs) != len(values):
            raise ValueError(f"vitals series {layer}/{stat}: {len(epochs)} epochs "
                             f"but {len(values)} values")
        rows.extend({"epoch": e, "layer": layer, "stat": stat, "value": None if v != v else v}
                    for e, v in zip(epochs, values))
    rows.sort(key=lambda r: (r["epoch"], r["layer"], r["stat"]))
    return rows
