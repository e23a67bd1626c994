"""End to end: one study run with ``--executor local`` and with ``--executor ensemble``, side by side.

The study is the dying-relu base network (2→3→3→3→3→1 ReLU, N(0, 0.01) weights, biases -8, SGD,
full-batch moons, watched as a study watches) with ``--seeds`` seeds × 2 learning rates, trained for
``--epochs`` epochs. Each executor runs it into its own fresh folder through :func:`run_study`,
exactly as ``gradlab run`` does (process start-up, member builds, vitals, findings and storage
included), and the script prints both wall times, the ratio and the load average (the machine may
be shared: run it twice).

    python benchmarks/bench_study_executors.py                 # 64 seeds x 2 lrs, 200 epochs
    python benchmarks/bench_study_executors.py --seeds 8 --epochs 20   # a quick look
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def study(seeds: int, epochs: int) -> dict:
    """The study as a dict (what a TOML file would hold)."""
    return {
        "name": "bench-executors",
        "seeds": seeds,
        "task": {"name": "moons"},
        "model": {"kind": "mlp", "hidden": [3, 3, 3, 3], "act": "relu",
                  "init": "normal(0, 0.01)", "bias_init": "constant(-8)"},
        "train": {"optimizer": "sgd", "epochs": epochs, "batch_size": 640},
        "sweep": [{"train.lr": [0.01, 0.1]}],
    }


def timed(executor: str, spec: dict, workers: int, root: Path) -> tuple[float, int]:
    """Wall seconds of one ``run_study`` into a fresh folder, and the trials done."""
    from gradlab.study.runner import run_study

    start = time.perf_counter()
    summary = run_study(spec, root / executor, executor=executor, workers=workers, progress=False)
    return time.perf_counter() - start, summary.done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--executors", default="local,ensemble",
                        help="comma-separated, the first is the reference of the ratio")
    args = parser.parse_args()
    spec = study(args.seeds, args.epochs)
    names = args.executors.split(",")
    print(f"study: seed MLP, {args.seeds} seeds x 2 lrs = {2 * args.seeds} trials, "
          f"{args.epochs} full-batch epochs, {args.workers} workers, load {os.getloadavg()}")
    times = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            seconds, done = timed(name, spec, args.workers, Path(tmp))
            times[name] = seconds
            print(f"  {name:>9}: {seconds:7.2f} s  ({done} trials done)")
    ref = times[names[0]]
    for name in names[1:]:
        print(f"  {name} is {ref / times[name]:.1f}x faster than {names[0]} (load {os.getloadavg()})")


if __name__ == "__main__":
    main()
