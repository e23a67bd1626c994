"""Vitals packed in the worker: the same rows after the trip, the same stored series."""

from __future__ import annotations

import pickle

from gradlab.study.series_codec import PackedVitals, pack_vitals, unpack_vitals


def _rows():
    return [{"epoch": e, "layer": layer, "stat": stat, "value": e * 0.5 + len(layer)}
            for e in (3, 1, 2) for layer in ("fc1", "", "act1") for stat in ("grad_norm", "dead_frac")]


def test_packed_rows_are_the_unpacked_series_and_pickle_as_bytes_only():
    rows = _rows()
    packed = PackedVitals.from_rows(rows)
    want = unpack_vitals(pack_vitals(rows))
    assert list(packed) == want and len(packed) == len(rows) and packed[0] == want[0]
    assert packed == want
    blob = pickle.dumps(packed)
    assert b"grad_norm" in blob and b"epoch" not in blob  # series names, no row dicts
    back = pickle.loads(blob)
    assert back.series == packed.series and list(back) == want


def test_the_store_writes_packed_vitals_as_the_rows_they_came_from(tmp_path):
    from gradlab.study.store import _vital_series

    rows = _rows()
    assert _vital_series(PackedVitals.from_rows(rows)) == _vital_series(rows)
