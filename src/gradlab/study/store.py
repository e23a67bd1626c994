"""The study store: one SQLite database in WAL mode at ``DIR/gradlab.sqlite``.

The schema is documented in ``docs/store.md``. The runner (driver process) is the only writer;
each finished trial is written in one transaction (its row, curves, vitals and findings), so a
``kill -9`` loses at most the trials in flight, and ``UNIQUE (config_hash, seed)`` keeps any trial
from being stored twice. A lock file stops two runs from driving one folder at once.
"""

from __future__ import annotations

import base64
import contextlib
import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Collection, Iterator

from gradlab.errors import StoreError
from gradlab.study.series_codec import PackedVitals, pack_history, pack_vitals, unpack_history, unpack_vitals
from gradlab.study.store_guard import (
    check_gradlab_store,
    check_integrity,
    connect_read_only,
    damaged,
    explain,
    folder_writable,
    not_writable,
)
from gradlab.study.vital_thinning import thin_vitals

# 2: curves and vitals packed, one row per series (docs/store.md); 1 stored one row per value
SCHEMA_VERSION = 2
DB_NAME = "gradlab.sqlite"
STATUSES = ("pending", "running", "done", "failed")

SCHEMA = """
CREATE TABLE IF NOT EXISTS study (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS trials (
    trial_id        TEXT PRIMARY KEY,
    config_hash     TEXT NOT NULL,
    seed            INTEGER NOT NULL,
    group_key       TEXT NOT NULL,
    group_json      TEXT NOT NULL,
    config_json     TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'running', 'done', 'failed')),
    metrics_json    TEXT,
    layers_json     TEXT,
    error           TEXT,
    wall_time       REAL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    executor        TEXT,
    created_at      TEXT NOT NULL,
    started_at      TEXT,
    finished_at     TEXT,
    gradlab_version TEXT,
    torch_version   TEXT,
    python_version  TEXT,
    UNIQUE (config_hash, seed)
);
CREATE INDEX IF NOT EXISTS trials_status ON trials (status);
CREATE TABLE IF NOT EXISTS history (
    trial_id TEXT NOT NULL REFERENCES trials (trial_id),
    key      TEXT NOT NULL,
    epochs   BLOB NOT NULL,
    vals     BLOB NOT NULL,
    PRIMARY KEY (trial_id, key)
);
CREATE TABLE IF NOT EXISTS vitals (
    trial_id TEXT NOT NULL REFERENCES trials (trial_id),
    layer    TEXT NOT NULL,
    stat     TEXT NOT NULL,
    epochs   BLOB NOT NULL,
    vals     BLOB NOT NULL,
    PRIMARY KEY (trial_id, layer, stat)
);
-- rowid tables on purpose: WITHOUT ROWID keeps only ~1/20 of a page in the b-tree, so every
-- 1.2 kB vitals series spilled into its own overflow page (22 MB instead of 6 for 48 trials)
CREATE TABLE IF NOT EXISTS findings (
    trial_id TEXT NOT NULL REFERENCES trials (trial_id),
    idx      INTEGER NOT NULL,
    code     TEXT NOT NULL,
    severity TEXT NOT NULL,
    layer    TEXT,
    step     INTEGER,
    message  TEXT NOT NULL,
    data_json TEXT NOT NULL,
    PRIMARY KEY (trial_id, idx)
);
-- added within version 2 (additive: a store made before it gets the table when opened for
-- writing, and reads as one whose trials recorded no activations): float16 activation values
-- for the report's activation figures; epoch 0 is the initialisation, -1 the trained model
CREATE TABLE IF NOT EXISTS activations (
    trial_id TEXT NOT NULL REFERENCES trials (trial_id),
    layer    TEXT NOT NULL,
    epoch    INTEGER NOT NULL,
    vals     BLOB NOT NULL,
    PRIMARY KEY (trial_id, layer, epoch)
);
"""


def _vital_series(vitals) -> list[tuple[str, str, bytes, bytes]]:
    """A result's vitals as stored series: packed in the worker already, or thinned and packed here."""
    if isinstance(vitals, PackedVitals):
        return vitals.series
    return pack_vitals(thin_vitals(list(vitals)))


def now() -> str:
    """UTC timestamp in ISO 8601, seconds precision."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def trial_id(config_hash: str, seed: int) -> str:
    """The id of one trial: 16 hex digits of the config hash and the seed."""
    return f"{config_hash[:16]}-s{seed}"


@contextlib.contextmanager
def run_lock(out_dir: str | Path) -> Iterator[None]:
    """Hold ``DIR/.gradlab.lock`` for the length of a run: one driver per study folder.

    The lock is an OS file lock, so a run killed with SIGKILL releases it at once.
    """
    import fcntl

    path = Path(out_dir) / ".gradlab.lock"
    if path.parent.exists() and not path.parent.is_dir():
        raise _not_a_folder(path.parent)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "w")  # noqa: SIM115 - closed below, after the lock is released
    except OSError as exc:  # read-only media, no permission
        raise not_writable(path.parent, exc.strerror or str(exc)) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError(
                f"another gradlab run is writing to {out_dir}; wait for it to finish "
                "or choose another --out folder"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def is_locked(out_dir: str | Path) -> bool:
    """Whether a live run holds the folder (used to tell running from interrupted trials)."""
    import fcntl

    path = Path(out_dir) / ".gradlab.lock"
    try:
        handle = open(path)  # noqa: SIM115 - read: a lock can be tested on read-only media too
    except OSError:  # no lock file (or unreadable): no run holds the folder
        return False
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def _not_a_folder(path: Path) -> StoreError:
    return StoreError(f"{path} is a file, not a study folder: give a folder with --out")


class Store:
    """Open (and with ``create``, make) the store of a study folder.

    An existing store is checked first (:mod:`gradlab.study.store_guard`): a damaged file or a
    database that is not a gradlab store is refused before anything is written. A folder that
    cannot be written is opened read-only (``writable`` is then False).

    Args:
        out_dir: the study folder; the database is ``out_dir/gradlab.sqlite``.
        create: create the folder and the schema when missing (else a missing store is an error).
    """

    db: sqlite3.Connection

    def __init__(self, out_dir: str | Path, *, create: bool = True):
        self.dir = Path(out_dir)
        self.path = self.dir / DB_NAME
        if self.dir.exists() and not self.dir.is_dir():
            raise _not_a_folder(self.dir)
        if not create and not self.path.is_file():
            raise StoreError(
                f"no study store at {self.path}: run a study into it first "
                f"(gradlab run STUDY --out {self.dir})"
            )
        self.writable = folder_writable(self.dir, self.path)
        if create and not self.writable:
            raise not_writable(self.dir)
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise not_writable(self.dir, exc.strerror or str(exc)) from None
        try:
            try:
                self._open(create)
            except sqlite3.OperationalError:
                if create or not self.writable:
                    raise
                # a reader on a full disk finds no room for the WAL index: read-only still reads
                self.close()
                self.writable = False
                self._open(create)
        except (sqlite3.Error, StoreError) as exc:
            self.close()
            raise (exc if isinstance(exc, StoreError) else explain(exc, self.path)) from None
        self.db.row_factory = sqlite3.Row

    def _open(self, create: bool) -> None:
        if self.writable:
            self.db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            self.db.execute("PRAGMA busy_timeout = 30000")
        else:
            self.db = connect_read_only(self.path)
        # checked before the first write: journal_mode = WAL itself rewrites the header
        if check_gradlab_store(self.db, self.path, allow_empty=create):
            check_integrity(self.db, self.path)
            self._check_version()
        if self.writable:
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.db.executescript(SCHEMA)
            self.db.execute(
                "INSERT OR IGNORE INTO study (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )

    # -- plumbing ------------------------------------------------------------------------------
    def _check_version(self) -> None:
        # a store of another schema version would be misread (or half-migrated): refuse it
        if not self.db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'study'"
        ).fetchone():
            return
        row = self.db.execute("SELECT value FROM study WHERE key = 'schema_version'").fetchone()
        if row is not None and str(row[0]) != str(SCHEMA_VERSION):
            raise StoreError(
                f"the study store {self.path} has schema version {row[0]}, this gradlab reads "
                f"version {SCHEMA_VERSION}: run the study into a new folder (gradlab run STUDY "
                f"--out NEW_DIR), or delete {self.path} to start this folder afresh"
            )

    def close(self) -> None:
        """Close the connection (idempotent)."""
        if getattr(self, "db", None) is not None:
            self.db.close()
            self.db = None  # type: ignore[assignment]  # closed

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``): all of it lands, or none.

        Raises:
            StoreError: the disk is full, the store is damaged or read-only (one line).
        """
        if not self.writable:
            raise not_writable(self.dir)
        try:
            if self.db.in_transaction:
                # a KeyboardInterrupt (Ctrl-C, SIGTERM) between BEGIN and ``try`` left one open
                self.db.execute("ROLLBACK")
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            if self.db.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self.db.execute("ROLLBACK")
            if isinstance(exc, (sqlite3.IntegrityError, sqlite3.InterfaceError,
                                sqlite3.ProgrammingError)):
                raise  # gradlab's own bug, not the file's: keep the traceback
            raise explain(exc, self.path) from None

    def _rows(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        """Run a read query; a failure of the file becomes one StoreError line."""
        try:
            return self.db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise explain(exc, self.path) from None

    def _unpacked(self, unpack, rows: list, tid: str) -> list[dict]:
        try:
            return unpack([tuple(r) for r in rows])
        except (ValueError, TypeError) as exc:  # a blob of the wrong length or type
            raise damaged(self.path, f"a series of trial {tid}: {exc}") from None

    def _json(self, text: str, where: str):
        """Decode a JSON cell; a cell that is not JSON means the store was damaged."""
        try:
            return json.loads(text)
        except (ValueError, TypeError):  # never quote the cell: it may be anything
            raise damaged(self.path, f"{where} is not valid JSON") from None

    # -- study meta ----------------------------------------------------------------------------
    def set_meta(self, **values) -> None:
        """Write keys of the ``study`` table (values are stored as JSON)."""
        with self.transaction() as db:
            for key, value in values.items():
                db.execute(
                    "INSERT OR REPLACE INTO study (key, value) VALUES (?, ?)",
                    (key, json.dumps(value)),
                )

    def meta(self) -> dict:
        """Every key of the ``study`` table, decoded."""
        return {r["key"]: self._json(r["value"], f"study key {r['key']!r}")
                for r in self._rows("SELECT * FROM study")}

    # -- trials --------------------------------------------------------------------------------
    def add_trials(self, rows: list[dict]) -> int:
        """Insert trials as pending unless present; returns how many were new.

        Each row: trial_id, config_hash, seed, group_key, group_json, config_json.
        """
        stamp = now()
        with self.transaction() as db:
            before = db.total_changes
            db.executemany(
                "INSERT OR IGNORE INTO trials (trial_id, config_hash, seed, group_key, group_json,"
                " config_json, status, created_at) VALUES (:trial_id, :config_hash, :seed,"
                " :group_key, :group_json, :config_json, 'pending', :created_at)",
                [{**r, "created_at": stamp} for r in rows],
            )
            return db.total_changes - before

    def mark_running(self, tid: str, executor: str | None = None) -> None:
        """A trial started: status running, start time, one more attempt."""
        with self.transaction() as db:
            db.execute(
                "UPDATE trials SET status = 'running', started_at = ?, attempts = attempts + 1,"
                " executor = coalesce(?, executor) WHERE trial_id = ?",
                (now(), executor, tid),
            )

    def reset_running(self) -> int:
        """Trials left 'running' by a dead run go back to pending; returns how many."""
        with self.transaction() as db:
            return db.execute(
                "UPDATE trials SET status = 'pending' WHERE status = 'running'"
            ).rowcount

    def finish(self, outcome, versions: dict) -> None:
        """Write one finished trial — row, history, vitals, findings — in one transaction."""
        tid = outcome.trial_id
        result = outcome.result or {}
        versions = {**versions, **outcome.extra.get("versions", {})}
        with self.transaction() as db:
            for table in ("history", "vitals", "findings", "activations"):
                db.execute(f"DELETE FROM {table} WHERE trial_id = ?", (tid,))
            updated = db.execute(
                "UPDATE trials SET status = ?, metrics_json = ?, layers_json = ?, error = ?,"
                " wall_time = ?, finished_at = ?, gradlab_version = ?, torch_version = ?,"
                " python_version = ? WHERE trial_id = ?",
                (
                    outcome.status,
                    json.dumps(result.get("metrics")) if outcome.status == "done" else None,
                    json.dumps(result.get("layers")) if outcome.status == "done" else None,
                    outcome.error,
                    outcome.wall_time or result.get("wall_time"),
                    now(),
                    versions.get("gradlab"),
                    versions.get("torch"),
                    versions.get("python"),
                    tid,
                ),
            ).rowcount
            if not updated:
                raise StoreError(f"trial {tid} is not in the store {self.path}")
            if outcome.status != "done":
                return
            db.executemany(
                "INSERT INTO history (trial_id, key, epochs, vals) VALUES (?, ?, ?, ?)",
                [(tid, *series) for series in pack_history(result.get("history", []))],
            )
            db.executemany(
                "INSERT INTO vitals (trial_id, layer, stat, epochs, vals) VALUES (?, ?, ?, ?, ?)",
                [(tid, *series) for series in _vital_series(result.get("vitals") or [])],
            )
            db.executemany(
                "INSERT INTO findings (trial_id, idx, code, severity, layer, step, message,"
                " data_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (tid, i, f.get("code", "?"), f.get("severity", "info"), f.get("layer"),
                     f.get("step"), f.get("message", ""), json.dumps(f, default=str))
                    for i, f in enumerate(result.get("findings", []))
                ],
            )
            if not self._lowest_seed(db, tid):
                return  # the report draws one trial per configuration: keep the store small
            db.executemany(
                "INSERT OR REPLACE INTO activations (trial_id, layer, epoch, vals) VALUES (?, ?, ?, ?)",
                [(tid, a["layer"], int(a["epoch"]), base64.b64decode(a["values"]))  # float16 bytes
                 for a in result.get("activations") or []],
            )

    @staticmethod
    def _lowest_seed(db: sqlite3.Connection, tid: str) -> bool:
        """Whether ``tid`` has the lowest seed of its configuration's trials in the store."""
        row = db.execute(
            "SELECT t.seed <= (SELECT min(seed) FROM trials WHERE config_hash = t.config_hash)"
            " FROM trials AS t WHERE t.trial_id = ?", (tid,)).fetchone()
        return bool(row and row[0])

    # -- reading -------------------------------------------------------------------------------
    def trials(self, status: str | None = None, hashes: Collection[str] | None = None) -> list[dict]:
        """Trial rows as dicts (JSON columns decoded), in insertion order."""
        rows = self._rows(
            "SELECT * FROM trials" + (" WHERE status = ?" if status else "") + " ORDER BY rowid",
            (status,) if status else (),
        )
        out = []
        for r in rows:
            if hashes is not None and r["config_hash"] not in hashes:
                continue
            d = dict(r)
            for col in ("group_json", "config_json", "metrics_json", "layers_json"):
                text = d.pop(col)
                d[col[:-5]] = None if text is None else self._json(
                    text, f"trial {d['trial_id']} column {col}")
            out.append(d)
        return out

    def counts(self, hashes: list[str] | None = None) -> dict:
        """Number of trials per status (every status present, zeros included)."""
        counts = dict.fromkeys(STATUSES, 0)
        for r in self._rows("SELECT config_hash, status FROM trials"):
            if hashes is None or r["config_hash"] in hashes:
                counts[r["status"]] += 1
        return counts

    def history(self, tid: str) -> list[dict]:
        """Per-epoch curves of one trial: [{"epoch": e, key: value, ...}], NaN as ``None``."""
        rows = self._rows("SELECT key, epochs, vals FROM history WHERE trial_id = ?", (tid,))
        return self._unpacked(unpack_history, rows, tid)

    def vitals(self, tid: str) -> list[dict]:
        """Per-epoch per-layer vital summaries of one trial: [{epoch, layer, stat, value}].

        Ordered by (epoch, layer, stat); a NaN value comes back as ``None``.
        """
        rows = self._rows("SELECT layer, stat, epochs, vals FROM vitals WHERE trial_id = ?", (tid,))
        return self._unpacked(unpack_vitals, rows, tid)

    def findings(self, tid: str | None = None) -> list[dict]:
        """Findings (as ``Finding.to_dict()``) of one trial, or of all with their trial_id."""
        query = "SELECT trial_id, data_json FROM findings"
        rows = self._rows(query + (" WHERE trial_id = ?" if tid else "") +
                          " ORDER BY trial_id, idx", (tid,) if tid else ())
        return [{**self._json(r["data_json"], f"a finding of trial {r['trial_id']}"),
                 "trial_id": r["trial_id"]} for r in rows]

    def activations(self, tid: str) -> list[dict]:
        """Activation snapshots of one trial: ``[{"layer", "epoch", "values": float32 array}]``.

        Ordered by layer and epoch (``epoch`` 0 is the initialisation, -1 the trained model); a
        store made before snapshots were recorded has none.
        """
        from gradlab.train.activation_record import unpack_values

        if not self._rows("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'activations'"):
            return []
        rows = self._rows("SELECT layer, epoch, vals FROM activations WHERE trial_id = ?"
                          " ORDER BY layer, epoch", (tid,))
        return [{"layer": r["layer"], "epoch": r["epoch"],
                 "values": unpack_values(r["vals"])} for r in rows]
