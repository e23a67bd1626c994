"""Standing chaos test (issue 15): SIGKILL a study's driver at random moments several times, resume
it, and check that the store holds exactly what an uninterrupted run stores — every stored value,
byte for byte — and that no process of the killed runs is left behind."""

import os
import random
import signal
import sqlite3
import subprocess
import time

import pytest

from gradlab.study.runner import run_study
from procs import TINY_STUDY, alive, children, gradlab, gradlab_cmd

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads the process tree from /proc")

# what a trial stores; times, attempts and the executor's bookkeeping differ between runs
TABLES = {
    "trials": "trial_id, config_hash, seed, group_key, group_json, config_json, status, "
              "metrics_json, layers_json, error",
    "history": "trial_id, key, epochs, vals",
    "vitals": "trial_id, layer, stat, epochs, vals",
    "findings": "trial_id, idx, code, severity, layer, step, message, data_json",
}


def _contents(db_path) -> dict:
    db = sqlite3.connect(db_path)
    try:
        out = {t: sorted(db.execute(f"SELECT {cols} FROM {t}").fetchall(), key=repr)
               for t, cols in TABLES.items()}
        out["study"] = sorted(db.execute(
            "SELECT key, value FROM study WHERE key NOT IN ('updated_at', 'executor')").fetchall())
        return out
    finally:
        db.close()


def test_chaos_random_sigkills_then_resume_equal_an_uninterrupted_run(tmp_path):
    study = tmp_path / "tiny.toml"
    study.write_text(TINY_STUDY.format(seeds=3, epochs=40))
    reference = tmp_path / "reference"
    summary = run_study(study, reference, workers=1, progress=False)
    assert summary.done == 6

    out = tmp_path / "chaos"
    cmd, env = gradlab_cmd("run", str(study), "--out", str(out), "--workers", "2", "--no-progress")
    rng = random.Random(15)
    for attempt in range(3):
        with open(tmp_path / f"run{attempt}.log", "wb") as log:
            proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
            tree: list[int] = []
            try:
                # a random moment: starting up, planning, training, or writing a trial
                deadline = time.time() + rng.uniform(0.5, 6.0)
                while time.time() < deadline and proc.poll() is None:
                    tree = sorted(set(tree) | set(children(proc.pid)))
                    time.sleep(0.02)
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
                assert _wait_gone(tree), f"kill {attempt}: left behind {alive(tree)}"
            finally:
                for pid in alive(tree):
                    os.kill(pid, signal.SIGKILL)
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=30)

    final = gradlab("run", str(study), "--out", str(out), "--workers", "2", "--no-progress",
                    timeout=300)
    assert final.returncode == 0, final.stderr
    assert _contents(out / "gradlab.sqlite") == _contents(reference / "gradlab.sqlite")


def _wait_gone(pids: list[int], timeout: float = 10.0) -> bool:
    deadline = time.time() + timeout
    while alive(pids) and time.time() < deadline:
        time.sleep(0.05)
    return not alive(pids)
