"""Regression (issue 15.1): ``kill -9`` of ``gradlab run`` left its workers, the forkserver and the
resource tracker alive indefinitely (about 790 MB per kill)."""

import os
import signal
import subprocess

import pytest

from procs import TINY_STUDY, alive, children, count, gradlab_cmd, wait_for

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads the process tree from /proc")


def test_orphan_processes_exit_when_the_driver_is_killed(tmp_path):
    study = tmp_path / "tiny.toml"
    study.write_text(TINY_STUDY.format(seeds=2, epochs=100000))  # never ends by itself
    out = tmp_path / "run"
    cmd, env = gradlab_cmd("run", str(study), "--out", str(out), "--workers", "2", "--no-progress")
    log = open(tmp_path / "run.log", "wb")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    tree: list[int] = []
    try:
        # both workers training: the state the issue killed in
        assert wait_for(lambda: count(out / "gradlab.sqlite", "running") >= 2, 120, proc), (
            (tmp_path / "run.log").read_text())
        assert wait_for(lambda: len(children(proc.pid)) >= 3, 30, proc)  # helpers + 2 workers
        tree = children(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)  # the driver only: its children are on their own
        proc.wait(timeout=30)
        assert wait_for(lambda: not alive(tree), 10), f"still alive: {alive(tree)} of {tree}"
    finally:
        for pid in alive(tree):  # never leave a process behind, even when the test fails
            os.kill(pid, signal.SIGKILL)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        log.close()


DRIVER = """
import multiprocessing as mp, sys, time
from gradlab.study.executors.pool import init_worker as _init_worker

def work(ready):
    _init_worker()
    ready.put(1)  # armed: the state a worker is in while it trains
    time.sleep(600)

if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    ready = ctx.Queue()
    for _ in range(2):
        ctx.Process(target=work, args=(ready,)).start()
    ready.get(), ready.get()
    print("started", flush=True)
    time.sleep(600)
"""


@pytest.mark.parametrize("start_method", ["spawn", "forkserver"])
def test_orphan_processes_worker_initializer_guards_every_start_method(tmp_path, start_method):
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    cmd, env = gradlab_cmd()
    proc = subprocess.Popen([cmd[0], str(script), start_method], env=env, stdout=subprocess.PIPE,
                            start_new_session=True)
    tree: list[int] = []
    try:
        assert proc.stdout.readline() == b"started\n"
        assert wait_for(lambda: len(children(proc.pid)) >= 2, 60, proc)
        tree = children(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert wait_for(lambda: not alive(tree), 10), f"still alive: {alive(tree)} of {tree}"
    finally:
        for pid in alive(tree):
            os.kill(pid, signal.SIGKILL)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
