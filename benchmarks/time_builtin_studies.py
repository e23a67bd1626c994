"""Run every built-in study end to end with the local executor and print its wall time.

Each built-in study must finish with its default seeds in at most 5 minutes on 2 cores:

    python benchmarks/time_builtin_studies.py                 # all, 2 workers
    python benchmarks/time_builtin_studies.py dying-relu --workers 2

Results go to a temporary folder (deleted afterwards) unless --out is given.

On a busy machine the wall time says little; each line also prints the CPU time the study used
(the driver and every worker process, which the forkserver starts: sampled from the process
tree every half second, needs psutil) and the 1-minute load average before and after, so the
time on ``--workers`` idle cores can be estimated as CPU time / workers.
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
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "gradlab", "run", name, "--out", str(root / name),
                 "--workers", str(args.workers), "--no-progress"],
                env=env, stdout=out, stderr=err, text=True,
            )
            cpu = _tree_cpu(proc)
            out.seek(0)
            err.seek(0)
            result = subprocess.CompletedProcess(proc.args, proc.returncode, out.read(), err.read())
        wall = time.perf_counter() - start
        # `gradlab run` exits 1 when trials failed; the summary line says how many
        ran = re.search(r"ran \d+ trials \((\d+) done, (\d+) failed\)", result.stdout)
        ok = result.returncode == 0 and ran is not None and ran.group(2) == "0"
        rows.append((name, wall, ok))
        trials = f"{ran.group(1)} done, {ran.group(2)} failed" if ran else "no summary"
        store = sum(p.stat().st_size for p in (root / name).glob("gradlab.sqlite*"))
        print(f"{name:<16} {wall:7.1f} s  {'ok' if ok else 'FAILED'} ({trials}, store "
              f"{store / 1e6:.1f} MB)"
              f"  {'within' if wall <= BUDGET_S else 'OVER'} the {BUDGET_S:.0f} s budget; CPU "
              f"{cpu:.0f} core-s (~{cpu / args.workers:.0f} s on {args.workers} idle cores), load "
              f"{load_before:.1f} -> {os.getloadavg()[0]:.1f}", flush=True)
        if not ok:
            print(result.stdout[-2000:] + result.stderr[-2000:], file=sys.stderr)
        else:
            print(result.stdout[-4000:], flush=True)
    return 0 if all(ok and wall <= BUDGET_S for _, wall, ok in rows) else 1


def _tree_cpu(proc: subprocess.Popen) -> float:
    """Wait for ``proc``; return the user + system CPU seconds of it and all its descendants.

    Workers are children of the forkserver, not of ``proc``, so ``RUSAGE_CHILDREN`` misses them:
    the tree is sampled every half second and each process's last reading kept.
    """
    import psutil

    seen: dict[int, float] = {}
    root = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            for p in [root, *root.children(recursive=True)]:
                try:
                    t = p.cpu_times()
                    seen[p.pid] = t.user + t.system
                except psutil.Error:  # it ended between listing and reading
                    pass
        except psutil.Error:
            pass
        time.sleep(0.5)
    return sum(seen.values())


if __name__ == "__main__":
    sys.exit(main())
