"""Regression: a run killed with SIGKILL mid-way resumes and stores every trial exactly once."""

import os
import signal
import sqlite3
import subprocess
import sys
import time

STUDY = """
name = "tiny"
seeds = 4
[task]
name = "moons"
[model]
hidden = [4]
act = "relu"
[train]
epochs = {epochs}
lr = 0.1
[watch]
every = 10
[sweep]
"model.act" = ["relu", "tanh"]
[compare]
baseline = {{ "model.act" = "relu" }}
"""


def _done(db_path):
    if not db_path.exists():
        return 0
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
    try:
        return db.execute("SELECT count(*) FROM trials WHERE status = 'done'").fetchone()[0]
    except sqlite3.OperationalError:  # schema not created yet
        return 0
    finally:
        db.close()


def _gradlab(*args):
    env = {**os.environ, "GRADLAB_NO_PROGRESS": "1"}
    return [sys.executable, "-m", "gradlab", *args], env


def test_sigkill_mid_run_then_resume_finds_each_trial_once(tmp_path):
    study = tmp_path / "tiny.toml"
    study.write_text(STUDY.format(epochs=60))
    out = tmp_path / "run"
    cmd, env = _gradlab("run", str(study), "--out", str(out), "--workers", "1", "--no-progress")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    db_path = out / "gradlab.sqlite"
    deadline = time.time() + 120
    try:
        while _done(db_path) < 2 and proc.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, "the run finished before it could be killed: make it slower"
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    killed_at = _done(db_path)
    assert 2 <= killed_at < 8

    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"{killed_at} already done" in result.stderr
    db = sqlite3.connect(db_path)
    rows = db.execute("SELECT config_hash, seed, status FROM trials").fetchall()
    assert len(rows) == 8 and len({(h, s) for h, s, _ in rows}) == 8
    assert {status for _, _, status in rows} == {"done"}
    # every done trial has its curves, and none twice
    assert db.execute("SELECT count(DISTINCT trial_id) FROM history").fetchone()[0] == 8
    assert db.execute(
        "SELECT count(*) FROM (SELECT trial_id, epoch, key FROM history"
        " GROUP BY trial_id, epoch, key HAVING count(*) > 1)"
    ).fetchone()[0] == 0


def test_sigterm_stops_the_run_and_leaves_no_trial_running(tmp_path):
    study = tmp_path / "tiny.toml"
    study.write_text(STUDY.format(epochs=60))
    out = tmp_path / "run"
    cmd, env = _gradlab("run", str(study), "--out", str(out), "--workers", "1", "--no-progress")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    db_path = out / "gradlab.sqlite"
    deadline = time.time() + 120
    try:
        while _done(db_path) < 1 and proc.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, (
            f"the run ended before it could be stopped: {proc.communicate()[1][-2000:]!r}")
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    stderr = proc.stderr.read().decode(errors="replace")[-2000:]
    assert proc.returncode != 0, stderr
    db = sqlite3.connect(db_path)
    statuses = {s for (s,) in db.execute("SELECT status FROM trials")}
    assert "running" not in statuses and "done" in statuses and "pending" in statuses, (
        statuses, stderr)
