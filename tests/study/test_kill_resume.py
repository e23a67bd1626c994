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
        "SELECT count(*) FROM (SELECT trial_id, key FROM history"
        " GROUP BY trial_id, key HAVING count(*) > 1)"
    ).fetchone()[0] == 0


def _count(db_path, status):
    if not db_path.exists():
        return 0
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
    try:
        return db.execute("SELECT count(*) FROM trials WHERE status = ?", (status,)).fetchone()[0]
    except sqlite3.OperationalError:  # schema not created yet
        return 0
    finally:
        db.close()


def test_sigterm_stops_the_run_and_leaves_no_trial_running(tmp_path):
    study = tmp_path / "tiny.toml"
    # 16 trials: the signal goes out after the first, so many stay pending however slow the
    # machine is (the run is stopped early, so more seeds cost no time)
    study.write_text(STUDY.format(epochs=60).replace("seeds = 4", "seeds = 8"))
    out = tmp_path / "run"
    cmd, env = _gradlab("run", str(study), "--out", str(out), "--workers", "1", "--no-progress")
    log = tmp_path / "run.log"  # a file, not a pipe: a full pipe would block the run
    db_path = out / "gradlab.sqlite"
    with open(log, "wb") as sink:
        proc = subprocess.Popen(cmd, env=env, stdout=sink, stderr=subprocess.STDOUT,
                                start_new_session=True)
        deadline = time.time() + 300
        try:
            # a concrete state, not a fixed sleep: one trial stored, the next one in flight
            while proc.poll() is None and time.time() < deadline and not (
                    _count(db_path, "done") >= 1 and _count(db_path, "running") >= 1):
                time.sleep(0.05)
            assert proc.poll() is None, (
                f"the run ended before it could be stopped: {log.read_text()[-2000:]!r}")
            assert time.time() < deadline, f"no trial finished in 300 s: {log.read_text()[-2000:]!r}"
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=180)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=60)
    output = log.read_text(errors="replace")[-2000:]
    assert proc.returncode == 130, output
    # the way back, as one command line: the same study, folder and options
    assert f"resume with\n  gradlab run {study} --out {out} --workers 1" in output, output
    db = sqlite3.connect(db_path)
    statuses = {s for (s,) in db.execute("SELECT status FROM trials")}
    assert "running" not in statuses and "done" in statuses and "pending" in statuses, (
        statuses, output)
