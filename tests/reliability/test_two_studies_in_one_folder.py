"""Regression (issue 15.7): running a *different* study into an existing folder silently hid the
earlier trials from ``show``, ``status`` and ``report``; now it is refused unless ``--force``."""

import sqlite3

from procs import TINY_STUDY, gradlab


def _names(db_path):
    db = sqlite3.connect(db_path)
    try:
        return db.execute("SELECT value FROM study WHERE key = 'name'").fetchone()[0]
    finally:
        db.close()


def test_two_studies_in_one_folder_needs_force(tmp_path):
    first, second = tmp_path / "a.toml", tmp_path / "b.toml"
    first.write_text(TINY_STUDY.format(seeds=1, epochs=2))
    second.write_text(TINY_STUDY.format(seeds=1, epochs=3).replace('"tiny"', '"other"'))
    out = tmp_path / "run"
    assert gradlab("run", str(first), "--out", str(out), "--workers", "1").returncode == 0
    before = (out / "gradlab.sqlite").stat().st_size

    refused = gradlab("run", str(second), "--out", str(out), "--workers", "1")
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1
    assert "holds the study 'tiny', not 'other'" in refused.stderr and "--force" in refused.stderr
    assert _names(out / "gradlab.sqlite") == '"tiny"'
    # the same study resumes as before
    again = gradlab("run", str(first), "--out", str(out), "--workers", "1")
    assert again.returncode == 0 and "2 already done" in again.stderr

    forced = gradlab("run", str(second), "--out", str(out), "--workers", "1", "--force")
    assert forced.returncode == 0, forced.stderr
    assert _names(out / "gradlab.sqlite") == '"other"'
    assert (out / "gradlab.sqlite").stat().st_size >= before
