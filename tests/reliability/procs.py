"""Test helpers: run ``gradlab`` in a subprocess, find its process tree, wait for a store state."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[2] / "src")

TINY_STUDY = """
name = "tiny"
seeds = {seeds}
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


def gradlab_cmd(*args: str) -> tuple[list[str], dict]:
    """The command line and environment of ``python -m gradlab ARGS`` on this checkout."""
    path = os.environ.get("PYTHONPATH", "")
    env = {**os.environ, "GRADLAB_NO_PROGRESS": "1",
           "PYTHONPATH": SRC + (os.pathsep + path if path else "")}
    return [sys.executable, "-m", "gradlab", *args], env


def gradlab(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``gradlab ARGS`` to the end; stdout and stderr as text."""
    cmd, env = gradlab_cmd(*args)
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)


def children(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (from /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != b"Z":
            parents.setdefault(int(fields[1]), []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def alive(pids: list[int]) -> list[int]:
    """The pids of ``pids`` that still name a live (not zombie) process."""
    from gradlab.study.executors.parent_watch import pid_alive

    return [p for p in pids if pid_alive(p)]


def count(db_path: Path, status: str) -> int:
    """Trials of a status in a store being written by another process (0 before it exists)."""
    if not db_path.exists():
        return 0
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
    try:
        return db.execute("SELECT count(*) FROM trials WHERE status = ?", (status,)).fetchone()[0]
    except sqlite3.OperationalError:  # schema not created yet
        return 0
    finally:
        db.close()


def wait_for(condition, timeout: float, proc: subprocess.Popen | None = None) -> bool:
    """Poll ``condition()`` until true, the timeout, or ``proc`` ending; returns the last value."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return True
        if proc is not None and proc.poll() is not None:
            return bool(condition())
        time.sleep(0.05)
    return bool(condition())


def cli(*args: str):
    """Run ``gradlab ARGS`` in this process (typer's runner): the result has exit_code, stdout
    and stderr apart."""
    from typer.testing import CliRunner

    from gradlab.cli.app import app

    return CliRunner().invoke(app, [str(a) for a in args])


def one_error_line(result) -> str:
    """The single ``error: ...`` line of a failed command (asserts there is exactly one line)."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr + result.stdout
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return lines[0]


def make_study(folder: Path, seeds: int = 2, epochs: int = 5) -> Path:
    """A small finished study in ``folder/out``; returns the folder of the study."""
    folder.mkdir(parents=True, exist_ok=True)
    study = folder / "tiny.toml"
    study.write_text(TINY_STUDY.format(seeds=seeds, epochs=epochs))
    result = cli("run", study, "--out", folder / "out", "--workers", "1", "--no-progress")
    assert result.exit_code == 0, result.output
    return folder / "out"
