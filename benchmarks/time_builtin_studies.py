"""Run every built-in study end to end with the local executor and print its wall time.

Each built-in study must finish with its default seeds in at most 5 minutes on 2 cores:

    python benchmarks/time_builtin_studies.py                 # all, 2 workers
    python benchmarks/time_builtin_studies.py dying-relu --workers 2

Results go to a temporary folder (deleted afterwards) unless --out is given. Besides the wall
time it prints the CPU time the run used (all its processes, polled with psutil) and the load
average around it: on a machine shared with other jobs the wall time says little, while CPU
seconds / 2 is about what the run would take alone on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUDGET_S = 300.0


def main() -> int:
    from gradlab.studies import study_names

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("studies", nargs="*", default=None, help="names (default: every built-in)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    names = args.studies or study_names()
    root = args.out or Path(tempfile.mkdtemp(prefix="gradlab-bench-"))
    env = {**os.environ, "GRADLAB_NO_PROGRESS": "1"}
    rows = []
    for name in names:
        load_before = os.getloadavg()[0]
        start = time.perf_counter()
        result, cpu = _run_measured(
            [sys.executable, "-m", "gradlab", "run", name, "--out", str(root / name),
             "--workers", str(args.workers), "--no-progress"], env)
        wall = time.perf_counter() - start
        # `gradlab run` exits 1 when trials failed; the summary line says how many
        ran = re.search(r"ran \d+ trials \((\d+) done, (\d+) failed\)", result.stdout)
        ok = result.returncode == 0 and ran is not None and ran.group(2) == "0"
        rows.append((name, wall, ok))
        trials = f"{ran.group(1)} done, {ran.group(2)} failed" if ran else "no summary"
        store = sum(p.stat().st_size for p in (root / name).glob("gradlab.sqlite*"))
        print(f"{name:<16} {wall:7.1f} s  {'ok' if ok else 'FAILED'} ({trials}, store "
              f"{store / 1e6:.1f} MB)"
              f"  {'within' if wall <= BUDGET_S else 'OVER'} the {BUDGET_S:.0f} s budget", flush=True)
        cpu_text = "unmeasured (no psutil)" if cpu is None else (
            f"{cpu:7.1f} s (/2 = {cpu / 2:.1f} s on 2 idle cores, "
            f"{'within' if cpu / 2 <= BUDGET_S else 'OVER'} the budget)")
        print(f"{'':<16} cpu {cpu_text}; load average {load_before:.1f} before, "
              f"{os.getloadavg()[0]:.1f} after", flush=True)
        if not ok:
            print(result.stdout[-2000:] + result.stderr[-2000:], file=sys.stderr)
        else:
            print(result.stdout[-4000:], flush=True)
    return 0 if all(ok and wall <= BUDGET_S for _, wall, ok in rows) else 1


def _run_measured(cmd: list[str], env: dict) -> tuple[subprocess.CompletedProcess, float | None]:
    """Run ``cmd``; also sum the CPU seconds of it and every process below it (the trial
    workers are children of a forkserver, which ``RUSAGE_CHILDREN`` never sees), polled twice a
    second: a process's time is its last polled value."""
    try:
        import psutil
    except ImportError:
        return subprocess.run(cmd, env=env, capture_output=True, text=True), None
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, text=True)
        seen: dict[int, float] = {}
        root = psutil.Process(proc.pid)
        while proc.poll() is None:
            try:
                family = [root, *root.children(recursive=True)]
            except psutil.Error:
                family = []
            for p in family:
                try:
                    t = p.cpu_times()
                    seen[p.pid] = t.user + t.system
                except psutil.Error:
                    pass
            time.sleep(0.5)
        out.seek(0)
        err.seek(0)
        result = subprocess.CompletedProcess(cmd, proc.returncode, out.read(), err.read())
    return result, sum(seen.values())


if __name__ == "__main__":
    sys.exit(main())
