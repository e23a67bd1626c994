"""Regression (issue 15.5): on a full disk ``run`` ended in a 45-line traceback (``database or disk
is full``), and ``report`` left a truncated ``report.html``.

The full disk is a small tmpfs mounted in a private mount namespace (``unshare``); the test is
skipped where namespaces are not allowed. The atomic write itself is also tested directly.
"""

import json
import os
import shutil
import stat
import subprocess

import pytest

from gradlab.atomic_write import atomic_open, atomic_write
from procs import TINY_STUDY, gradlab_cmd, make_study

INSIDE = r"""
import json, os, shutil, sys
sys.path.insert(0, sys.argv[1])
from procs import cli
disk, study, finished = sys.argv[2:5]
out = {}
r = cli("run", study, "--out", f"{disk}/s", "--workers", "1", "--no-progress")
out["run"] = [r.exit_code, r.stderr, repr(r.exception)]
import sqlite3
db = sqlite3.connect(f"{disk}/s/gradlab.sqlite")
out["check"] = db.execute("PRAGMA quick_check").fetchone()[0]
out["done"] = db.execute("SELECT count(*) FROM trials WHERE status = 'done'").fetchone()[0]
out["with_history"] = db.execute("SELECT count(DISTINCT trial_id) FROM history").fetchone()[0]
out["running"] = db.execute("SELECT count(*) FROM trials WHERE status = 'running'").fetchone()[0]
db.close()
shutil.rmtree(f"{disk}/s")
os.makedirs(f"{disk}/done")
shutil.copy(f"{finished}/gradlab.sqlite", f"{disk}/done/gradlab.sqlite")
with open(f"{disk}/done/report.html", "w") as f:
    f.write("OLD REPORT")
try:  # fill the disk to the last byte
    with open(f"{disk}/filler", "wb", buffering=0) as f:
        while True:
            f.write(b"x" * 512)
except OSError:
    pass
r = cli("report", f"{disk}/done", "--no-replay")
out["report"] = [r.exit_code, r.stderr, repr(r.exception)]
out["report_html"] = open(f"{disk}/done/report.html").read()
out["leftovers"] = sorted(os.listdir(f"{disk}/done"))
print(json.dumps(out))
"""


def _namespaces_work() -> bool:
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-rm", "true"], capture_output=True, timeout=30).returncode == 0


def test_full_disk_run_is_one_line_and_report_keeps_the_old_file(tmp_path):
    if not _namespaces_work():
        pytest.skip("cannot mount a small tmpfs here (no user namespaces)")
    finished = make_study(tmp_path / "finished")
    study = tmp_path / "big.toml"
    study.write_text(TINY_STUDY.format(seeds=4, epochs=40))
    disk = tmp_path / "disk"
    disk.mkdir()
    cmd, env = gradlab_cmd()
    script = tmp_path / "inside.py"
    script.write_text(INSIDE)
    size = (finished / "gradlab.sqlite").stat().st_size + 64 * 1024
    shell = (f'mount -t tmpfs -o size={size} tmpfs "{disk}" && exec "{cmd[0]}" "{script}" '
             f'"{os.path.dirname(__file__)}" "{disk}" "{study}" "{finished}"')
    done = subprocess.run(["unshare", "-rm", "sh", "-c", shell], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])

    code, stderr, exception = out["run"]
    # the plan line may come first (the disk fills while trials are written): one error line
    errors = [line for line in stderr.splitlines() if not line.startswith("tiny: ")]
    assert code == 2 and len(errors) == 1 and errors[0].startswith("error: "), (stderr, exception)
    assert "is full (database or disk is full): free some space and run again" in stderr
    # consistent: every done trial has its curves (a trial may stay marked running: resetting
    # it is a write too, and the next run resets it before anything else)
    assert out["check"] == "ok" and out["done"] == out["with_history"]
    code, stderr, exception = out["report"]
    assert code == 2 and stderr.count("\n") == 1, (stderr, exception)
    assert "No space left on device" in stderr
    assert out["report_html"] == "OLD REPORT"  # untouched, not truncated
    assert not [f for f in out["leftovers"] if f.endswith(".tmp")]


def test_full_disk_atomic_write_failure_keeps_the_previous_file(tmp_path):
    path = tmp_path / "report.html"
    path.write_text("previous")
    with pytest.raises(OSError):
        with atomic_open(path, "w", encoding="utf-8") as handle:
            handle.write("half of a new report")
            raise OSError(28, "No space left on device")
    assert path.read_text() == "previous"
    assert os.listdir(tmp_path) == ["report.html"]


def test_full_disk_atomic_write_replaces_and_keeps_usual_permissions(tmp_path):
    mask = os.umask(0o022)
    try:
        atomic_write(tmp_path / "a.csv", "x,y\n")
        atomic_write(tmp_path / "b.bin", b"\x00\x01")
    finally:
        os.umask(mask)
    assert (tmp_path / "a.csv").read_text() == "x,y\n"
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert stat.S_IMODE((tmp_path / "a.csv").stat().st_mode) == 0o644
