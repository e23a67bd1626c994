"""Whether a study's report is up to date: a digest of what the report is drawn from.

``gradlab run`` on a finished study has nothing to train; redrawing its report would still take
most of the time. The report carries a digest of the store's trials (their ids, statuses, finish
times, attempts and metrics), of the study's definition and of the gradlab version that drew it,
in a ``<meta name="gradlab-digest">`` tag; when the digest of the store matches, the report on
disk already shows exactly this, and is kept.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from pathlib import Path

from gradlab import __version__

META_NAME = "gradlab-digest"
_META = re.compile(rf'<meta name="{META_NAME}" content="([0-9a-f]{{64}})">')
# keys of the study table that change on every run without changing what the report shows
_VOLATILE = ("updated_at", "executor")


def study_digest(study_dir: str | Path) -> str:
    """SHA-256 over the study's trials, its definition and the gradlab version (hex).

    Raises:
        StoreError: no store in ``study_dir``.
    """
    from gradlab.study.store import Store

    h = hashlib.sha256(f"gradlab {__version__}\n".encode())
    with Store(study_dir, create=False) as store:
        db: sqlite3.Connection = store.db
        for row in db.execute("SELECT key, value FROM study ORDER BY key"):
            if row[0] not in _VOLATILE:
                h.update(f"{row[0]}={row[1]}\n".encode())
        for row in db.execute("SELECT trial_id, status, finished_at, attempts, metrics_json "
                              "FROM trials ORDER BY trial_id"):
            h.update(("\x1f".join("" if v is None else str(v) for v in tuple(row)) + "\n").encode())
    return h.hexdigest()


def meta_tag(digest: str) -> str:
    """The tag the report's head carries."""
    return f'<meta name="{META_NAME}" content="{digest}">'


def report_digest(report: str | Path) -> str | None:
    """The digest a written report carries (None: no report there, or one without a digest)."""
    try:
        with open(report, encoding="utf-8", errors="replace") as fh:
            head = fh.read(4096)  # the tag sits in <head>, before the stylesheet
    except OSError:
        return None
    match = _META.search(head)
    return match.group(1) if match else None


def is_current(study_dir: str | Path, report: str | Path | None = None) -> bool:
    """True when ``report`` (default ``study_dir/report.html``) was drawn from the store as it is."""
    report = Path(report) if report is not None else Path(study_dir) / "report.html"
    found = report_digest(report)
    return found is not None and found == study_digest(study_dir)
