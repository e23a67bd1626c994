"""Repair on the zoo (tests/diagnose/zoo.py): share of faulty cases repaired, time ratio, healthy untouched.

Each zoo case becomes the user-facing pair ``build(seed)`` / ``train(model, opt)``: ``build`` seeds
torch and builds the case (its own inits draw from that seed), ``train`` runs the case's loop with
``gradlab.log(loss=...)`` and returns the final loss on the whole training set (lower is better;
a diverged run returns inf). Then ``gradlab.repair(build, train, seeds=3, higher_is_better=False)``
with the default budget (3x the original runs' time).

    python benchmarks/bench_repair.py            # every case
    python benchmarks/bench_repair.py dying      # the cases whose name contains "dying"

Prints one line per case and the totals: repaired share of the faulty cases (and of those with a
recommendation that applies to the user's model at all), the time ratio (mean and max), and the
healthy cases changed (the goal: 0). NaN in the data counts as repaired only through the input
stop-gap, whose message says the data must be cleaned.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "diagnose"))

import gradlab  # noqa: E402
from zoo import FAULTY, HEALTHY  # noqa: E402


def as_user_code(case):
    """The zoo case as the two functions a user gives repair."""
    shared = {}

    def build(seed):
        torch.manual_seed(seed)
        s = case.build()
        shared[id(s["model"])] = s
        return s["model"], s["opt"]

    def train(model, opt):
        s = shared[id(model)]
        x, y, loss_fn = s["x"], s["y"], s["loss_fn"]
        g = torch.Generator().manual_seed(0)
        for _ in range(s["steps"]):
            if s["batch"]:
                idx = torch.randint(0, len(x), (s["batch"],), generator=g)
                xb, yb = x[idx], y[idx]
            else:
                xb, yb = x, y
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            gradlab.log(loss=loss.detach())
        model.eval()
        with torch.no_grad():
            final = float(loss_fn(model(x), y))
        model.train()
        return final if math.isfinite(final) else math.inf

    return build, train


def run(case):
    build, train = as_user_code(case)
    start = time.perf_counter()
    try:
        r = gradlab.repair(build, train, seeds=3, higher_is_better=False, progress=False, metric="loss")
    except gradlab.GradlabError as exc:
        return None, time.perf_counter() - start, str(exc)
    return r, time.perf_counter() - start, ""


def main(pattern: str = "") -> None:
    torch.set_num_threads(1)
    rows = {"faulty": [], "healthy": []}
    for kind, cases in (("faulty", FAULTY), ("healthy", HEALTHY)):
        for case in cases:
            if pattern not in case.name:
                continue
            r, _, err = run(case)
            rows[kind].append((case, r))
            if r is None:
                print(f"{kind:7} {case.name:24} error: {err}")
                continue
            change = ", ".join(f"{k}={v}" for k, v in r.changes.items()) or "-"
            print(f"{kind:7} {case.name:24} fixed={str(r.fixed):5} {r.time_ratio:4.1f}x  "
                  f"{r.before.mean:.4g} -> {r.after.mean:.4g}  {change}  [{r.message}]", flush=True)
    faulty = rows["faulty"]
    if faulty:
        fixed = sum(1 for _, r in faulty if r is not None and r.fixed)
        reachable = [(c, r) for c, r in faulty if r is not None and any(x.status != "skipped" for x in r.candidates)]
        ratios = [r.time_ratio for _, r in faulty + rows["healthy"] if r is not None]
        print(f"\nfaulty repaired: {fixed}/{len(faulty)} = {fixed / len(faulty):.0%}"
              f" (of those with an applicable recommendation: "
              f"{sum(1 for _, r in reachable if r.fixed)}/{len(reachable)})")
        print(f"time ratio to the original runs: mean {sum(ratios) / len(ratios):.2f}x, max {max(ratios):.2f}x")
    healthy = rows["healthy"]
    if healthy:
        changed = [c.name for c, r in healthy if r is None or r.changes]
        print(f"healthy cases changed: {len(changed)}/{len(healthy)} {changed or ''}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "")
