"""Run every built-in study end to end with the local executor and print its wall time.

Each built-in study must finish with its default seeds in at most 5 minutes on 2 cores:

    python benchmarks/time_builtin_studies.py                 # all, 2 workers
    python benchmarks/time_builtin_studies.py dying-relu --workers 2

Results go to a temporary folder (deleted afterwards) unless --out is given. Besides the wall
time it prints the CPU time the run used (all its processes) and the load average around it: on
a machine shared with other jobs the wall time says little, while CPU seconds / 2 is what the run
would take alone on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
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
        cpu_before = _children_cpu()
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "gradlab", "run", name, "--out", str(root / name),
             "--workers", str(args.workers), "--no-progress"],
            env=env, capture_output=True, text=True,
        )
        wall = time.perf_counter() - start
        cpu = _children_cpu() - cpu_before
        # `gradlab run` exits 1 when trials failed; the summary line says how many
        ran = re.search(r"ran \d+ trials \((\d+) done, (\d+) failed\)", result.stdout)
        ok = result.returncode == 0 and ran is not None and ran.group(2) == "0"
        rows.append((name, wall, ok))
        trials = f"{ran.group(1)} done, {ran.group(2)} failed" if ran else "no summary"
        store = sum(p.stat().st_size for p in (root / name).glob("gradlab.sqlite*"))
        print(f"{name:<16} {wall:7.1f} s  {'ok' if ok else 'FAILED'} ({trials}, store "
              f"{store / 1e6:.1f} MB)"
              f"  {'within' if wall <= BUDGET_S else 'OVER'} the {BUDGET_S:.0f} s budget", flush=True)
        print(f"{'':<16} cpu {cpu:7.1f} s (/2 = {cpu / 2:.1f} s on 2 idle cores, "
              f"{'within' if cpu / 2 <= BUDGET_S else 'OVER'} the budget); load average "
              f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after", flush=True)
        if not ok:
            print(result.stdout[-2000:] + result.stderr[-2000:], file=sys.stderr)
        else:
            print(result.stdout[-4000:], flush=True)
    return 0 if all(ok and wall <= BUDGET_S for _, wall, ok in rows) else 1


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    sys.exit(main())
