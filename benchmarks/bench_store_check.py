"""What the integrity check costs: opening a large study store with and without ``quick_check``.

Builds a store from a tiny real study, copies its trials until the file reaches ``--mb`` MB, then
times ``Store(dir, create=False)`` (which runs ``PRAGMA quick_check`` before anything else) against
the same open with the check switched off, side by side, best of ``--repeat``. The first open of
each round reads from the page cache, as every open after a run does.

    python benchmarks/bench_store_check.py --mb 200
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

import gradlab.study.store as store_module
from gradlab.study.runner import run_study
from gradlab.study.store import Store

STUDY = {"name": "bench", "seeds": 4, "model": {"hidden": [8, 8]}, "train": {"epochs": 100},
         "sweep": {"model.act": ["relu", "tanh"]}, "compare": {"baseline": {"model.act": "relu"}}}
COPY = {  # every table keyed by trial_id, copied under a new id
    "trials": "trial_id, config_hash, seed, group_key, group_json, config_json, status, "
              "metrics_json, layers_json, error, wall_time, attempts, executor, created_at",
    "history": "trial_id, key, epochs, vals",
    "vitals": "trial_id, layer, stat, epochs, vals",
    "findings": "trial_id, idx, code, severity, layer, step, message, data_json",
}


def grow(db_path: Path, megabytes: float) -> None:
    db = sqlite3.connect(db_path)
    round_ = 0
    while db_path.stat().st_size < megabytes * 1e6:
        round_ += 1
        for table, cols in COPY.items():
            rest = cols.split(", ", 1)[1]
            seed_expr = "seed + 1000 * ?" if table == "trials" else None
            if table == "trials":
                rest = rest.replace("seed,", "").replace("config_hash, ", "")
                db.execute(f"INSERT INTO trials (trial_id, config_hash, seed, {rest}) SELECT "
                           f"trial_id || '-c' || ?, config_hash, {seed_expr}, {rest} FROM trials "
                           "WHERE trial_id NOT LIKE '%-c%'", (round_, round_))
            else:
                db.execute(f"INSERT INTO {table} ({cols}) SELECT trial_id || '-c' || ?, {rest} "
                           f"FROM {table} WHERE trial_id NOT LIKE '%-c%'", (round_,))
        db.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=200.0)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "study"
        run_study(STUDY, folder, workers=1, progress=False)
        grow(folder / "gradlab.sqlite", args.mb)
        size = (folder / "gradlab.sqlite").stat().st_size / 1e6

        def open_store():
            Store(folder, create=False).close()

        checked = best(open_store, args.repeat)
        original = store_module.check_integrity
        store_module.check_integrity = lambda db, path: None
        try:
            unchecked = best(open_store, args.repeat)
        finally:
            store_module.check_integrity = original
    print(f"store {size:.0f} MB: open with quick_check {checked * 1e3:.0f} ms, without "
          f"{unchecked * 1e3:.1f} ms; the check costs {(checked - unchecked) * 1e3:.0f} ms "
          f"({(checked - unchecked) / size * 100 * 1e3:.0f} ms per 100 MB, "
          f"{checked / max(unchecked, 1e-9):.0f}x the bare open)")


if __name__ == "__main__":
    main()
