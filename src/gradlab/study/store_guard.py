"""Open a study store without hurting it: damaged files, foreign databases, read-only media, full
disks.

- **Damage.** Before anything is written into an existing store, and before a command reads one,
  ``PRAGMA quick_check`` reads every page (0.28 s per 100 MB from the page cache on the
  development machine, ``benchmarks/bench_store_check.py``; a built-in study's store is a few
  MB); a damaged store is refused with one line and nothing is written into it. An error
  SQLite raises later while reading (a page that went bad since) is turned into the same line
  by :func:`explain`.
- **Foreign files.** A database without gradlab's ``study`` and ``trials`` tables is not a study
  store: it is refused, and no table is ever created in it.
- **Read-only media.** A folder that cannot be written is opened read-only (``mode=ro``, then
  ``immutable=1`` when SQLite cannot make the WAL index beside it), so ``status``, ``show`` and
  ``report --out elsewhere`` work on a finished study on a read-only disk.
- **Full disks** and other SQLite failures become one :class:`StoreError` line.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from gradlab.errors import StoreError

REQUIRED_TABLES = ("study", "trials")


def damaged(path: Path, detail: str) -> StoreError:
    """The one line for a store whose file is damaged."""
    detail = " ".join(str(detail).replace("*** in database main ***", "").split())[:200]
    return StoreError(
        f"the store {path} is damaged: {detail}; nothing was written to it. Run the study into a "
        "new folder (--out NEW_DIR), or restore the file from a backup"
    )


def not_writable(folder: Path, detail: str = "") -> StoreError:
    """The one line for a study folder that cannot be written (read-only media, permissions)."""
    why = f" ({detail})" if detail else ""
    return StoreError(
        f"the study folder {folder} is not writable{why}: reading it still works (gradlab show, "
        "status, report --out ELSEWHERE); to run, choose a writable folder with --out"
    )


def explain(exc: BaseException, path: Path) -> StoreError:
    """Turn an ``sqlite3`` error about the store at ``path`` into one readable StoreError."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in text \
            or "not a database" in text:
        return damaged(path, text)
    if name.startswith("SQLITE_FULL") or "disk is full" in text:
        return StoreError(
            f"the disk holding {path} is full ({text}): free some space and run again; every "
            "trial stored before is kept and the run resumes where it stopped"
        )
    if name.startswith("SQLITE_READONLY") or "readonly database" in text:
        return not_writable(path.parent, text)
    return StoreError(f"cannot use the study store {path}: {text}")


def folder_writable(folder: Path, db_path: Path) -> bool:
    """Whether the store can be written: the folder (for the WAL files) and the file itself."""
    if folder.exists() and not os.access(folder, os.W_OK | os.X_OK):
        return False
    return not db_path.exists() or os.access(db_path, os.W_OK)


def connect_read_only(path: Path) -> sqlite3.Connection:
    """Open ``path`` for reading only; ``immutable=1`` where SQLite cannot make its WAL index."""
    uri = Path(path).resolve().as_uri()
    last: sqlite3.Error | None = None
    for query in ("mode=ro", "mode=ro&immutable=1"):
        try:
            db = sqlite3.connect(f"{uri}?{query}", uri=True, timeout=30.0, isolation_level=None)
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return db
        except sqlite3.Error as exc:  # a WAL store on read-only media: no -shm can be made
            last = exc
    assert last is not None
    raise explain(last, path)


def check_gradlab_store(db: sqlite3.Connection, path: Path, *, allow_empty: bool) -> bool:
    """Refuse a database that is not a gradlab store; returns whether it holds any table.

    Args:
        db: the open connection.
        path: the file, for the message.
        allow_empty: an empty database (no table at all) is accepted (a new store is made in it).
    """
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables and allow_empty:
        return False
    missing = [t for t in REQUIRED_TABLES if t not in tables]
    if missing:
        # the count, not the names: a message never quotes what a user's file holds
        what = f"none of its {len(tables)} tables is gradlab's" if tables else "it holds no table"
        raise StoreError(
            f"{path} is not a gradlab study store ({what}); gradlab leaves it as it is. Give a "
            "study folder made by `gradlab run`, or another --out for a new study"
        )
    return True


def check_integrity(db: sqlite3.Connection, path: Path) -> None:
    """``PRAGMA quick_check``: every page readable and well-formed (else the damaged line)."""
    try:
        rows = db.execute("PRAGMA quick_check(3)").fetchall()
    except sqlite3.DatabaseError as exc:
        raise damaged(path, str(exc)) from None
    problems = [str(r[0]) for r in rows if str(r[0]) != "ok"]
    if problems:
        raise damaged(path, "; ".join(problems))
