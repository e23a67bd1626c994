"""Regression (issue 15.9): ``status`` on an unrelated SQLite file exited 0 and created gradlab's
tables in it."""

import sqlite3

import pytest

from procs import TINY_STUDY, cli, one_error_line


def _foreign(folder):
    folder.mkdir()
    db = sqlite3.connect(folder / "gradlab.sqlite")
    db.execute("CREATE TABLE notes (x TEXT)")
    db.execute("INSERT INTO notes VALUES ('private')")
    db.commit()
    db.close()
    return folder / "gradlab.sqlite"


@pytest.mark.parametrize("command", ["status", "show", "report", "run"])
def test_foreign_sqlite_file_is_refused_and_left_untouched(tmp_path, command):
    path = _foreign(tmp_path / "other")
    before = path.read_bytes()
    study = tmp_path / "tiny.toml"
    study.write_text(TINY_STUDY.format(seeds=1, epochs=1))
    args = {"status": ["status", path.parent], "show": ["show", path.parent],
            "report": ["report", path.parent, "--no-replay"],
            "run": ["run", study, "--out", path.parent, "--workers", "1", "--no-progress"]}
    result = cli(*args[command])
    assert result.exit_code == 2
    line = one_error_line(result)
    assert "is not a gradlab study store (none of its 1 tables is gradlab's)" in line
    assert "private" not in line and "notes" not in line
    assert path.read_bytes() == before
    db = sqlite3.connect(path)
    assert [r[0] for r in db.execute("SELECT name FROM sqlite_master")] == ["notes"]
    db.close()


def test_foreign_sqlite_file_that_is_not_sqlite_at_all(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "gradlab.sqlite").write_text("just some text, not a database\n" * 200)
    result = cli("status", tmp_path / "d")
    assert result.exit_code == 2
    assert "gradlab.sqlite is damaged: file is not a database" in one_error_line(result)
