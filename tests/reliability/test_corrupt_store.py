"""Regression (issue 15.3, 15.6): with pages of ``gradlab.sqlite`` overwritten (header intact),
``status`` and ``show`` exited 0, ``report`` printed a 51-line traceback and ``run`` added trials to
the damaged file; a store cell holding invalid JSON gave a traceback."""

import random
import shutil
import sqlite3

import pytest

from procs import cli, make_study, one_error_line


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    return make_study(tmp_path_factory.mktemp("corrupt"))


def _damage(src, dst, pages=3, seed=1):
    shutil.copytree(src, dst)
    path = dst / "gradlab.sqlite"
    data = bytearray(path.read_bytes())
    size = 4096
    rng = random.Random(seed)
    for page in rng.sample(range(1, len(data) // size), pages):  # page 0 (the header) intact
        data[page * size:(page + 1) * size] = rng.randbytes(size)
    path.write_bytes(bytes(data))
    return dst


COMMANDS = {  # (damaged folder, study file) -> the command line
    "status": lambda d, study: ["status", d],
    "show": lambda d, study: ["show", d],
    "report": lambda d, study: ["report", d, "--no-replay", "--out", d.parent / "r.html"],
    "run": lambda d, study: ["run", study, "--out", d, "--workers", "1", "--no-progress"],
}


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_corrupt_store_every_command_says_damaged_and_writes_nothing(good, tmp_path, command, seed):
    bad = _damage(good, tmp_path / "bad", seed=seed)
    before = (bad / "gradlab.sqlite").read_bytes()
    result = cli(*COMMANDS[command](bad, good.parent / "tiny.toml"))
    assert result.exit_code == 2
    line = one_error_line(result)
    assert f"the store {bad / 'gradlab.sqlite'} is damaged: " in line
    assert (bad / "gradlab.sqlite").read_bytes() == before
    assert not (bad / "gradlab.sqlite-wal").exists() or (bad / "gradlab.sqlite-wal").stat().st_size == 0
    assert not (tmp_path / "r.html").exists()


def test_corrupt_store_cell_with_invalid_json_is_one_line(good, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(good, bad)
    db = sqlite3.connect(bad / "gradlab.sqlite")
    db.execute("UPDATE trials SET metrics_json = '{SECRET not json' WHERE rowid = 1")
    db.commit()
    db.close()
    for args in (["show", bad], ["report", bad, "--no-replay"]):
        result = cli(*args)
        assert result.exit_code == 2
        line = one_error_line(result)
        assert "is damaged: trial " in line and "column metrics_json is not valid JSON" in line
        assert "SECRET" not in line  # never quote the file's contents


def test_corrupt_store_intact_store_still_reads(good):
    result = cli("status", good)
    assert result.exit_code == 0 and "4/4 done" in result.stdout
