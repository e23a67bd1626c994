"""Overhead of gradlab.watch: time ratios watched/plain, interleaved in one process, and memory.

    python benchmarks/bench_watch.py            # full run (about 7 minutes on the shared 2 cores)
    python benchmarks/bench_watch.py --quick    # a rough pass

Workloads (CPU, 2 threads, SGD):
  W1  the seed MLP 2-3-3-3-3-1 (ReLU) on 640 moons points, full batch
  W2  8 Linear(1024) + ReLU, input 784, batch 256
  W3  4 convs 3-32-64-64-128 with BatchNorm and ReLU, batch 64 of 3x32x32
Plain and watched blocks alternate; each ratio is the median of per-block ratios. Each watched
block opens a fresh watch and first runs 10 untimed steps (the watch's set-up and its first
sampling period, which a run pays once), then times as many steps as the plain block; a timed
block spans at least one sampling period at defaults (10 steps), so it holds the one sampled step
in ten that a run has. Memory: peak
RSS of a child process training W2 plain vs watched (ru_maxrss; the watch's tensors live in the
same allocator, so any extra copy shows up there). Flatness: a W2 step takes a few hundred ms
here, so 20 000 W2 steps would take hours; what grows with the number of steps is the history
(one report per sampled step), not the model, so a child trains the seed MLP (W1) for 20 000
watched steps with every=1 (20 000 reports, the worst case) and prints its RSS after 2 000 and
after 20 000 steps. The load average is printed because the machine is shared.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import statistics
import subprocess
import sys
import time

import torch
from torch import nn

import gradlab


def moons(n=640, seed=0):
    g = torch.Generator().manual_seed(seed)
    t = torch.rand(n, generator=g) * math.pi
    half = n // 2
    x = torch.cat([torch.stack([t[:half].cos(), t[:half].sin()], 1),
                   torch.stack([1 - t[half:].cos(), 0.5 - t[half:].sin()], 1)])
    x += 0.2 * torch.randn(n, 2, generator=g)
    y = torch.cat([torch.zeros(half), torch.ones(n - half)]).unsqueeze(1)
    return x, y


def workload(name: str):
    torch.manual_seed(0)
    if name == "W1":
        dims = [2, 3, 3, 3, 3]
        layers = [m for a, b in zip(dims, dims[1:]) for m in (nn.Linear(a, b), nn.ReLU())]
        model = nn.Sequential(*layers, nn.Linear(3, 1))
        x, y = moons()
        return model, x, y, nn.BCEWithLogitsLoss()
    if name == "W2":
        dims = [784] + [1024] * 8
        layers = [m for a, b in zip(dims, dims[1:]) for m in (nn.Linear(a, b), nn.ReLU())]
        model = nn.Sequential(*layers, nn.Linear(1024, 10))
        return model, torch.randn(256, 784), torch.randint(0, 10, (256,)), nn.CrossEntropyLoss()
    chans = [3, 32, 64, 64, 128]
    layers = []
    for a, b in zip(chans, chans[1:]):
        layers += [nn.Conv2d(a, b, 3, padding=1), nn.BatchNorm2d(b), nn.ReLU()]
    model = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10))
    return model, torch.randn(64, 3, 32, 32), torch.randint(0, 10, (64,)), nn.CrossEntropyLoss()


def block(model, opt, x, y, loss_fn, steps, w=None) -> float:
    t0 = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        if w is not None:
            w.log(loss=loss)
    return time.perf_counter() - t0


WARM = 10  # steps of each watched block before its timing starts: one period at the default every


def ratio(name: str, options: dict, blocks: int, steps: int) -> float:
    model, x, y, loss_fn = workload(name)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    block(model, opt, x, y, loss_fn, max(2, steps // 4))  # warm-up
    ratios = []
    for _ in range(blocks):
        plain = block(model, opt, x, y, loss_fn, steps)
        with gradlab.watch(model, optimizer=opt, **options) as w:
            # the watch's set-up (hooks, the first forward's look for functional activations) and
            # its first sampling period are paid once per run: untimed, so a block measures the
            # steady state a training run spends its time in
            block(model, opt, x, y, loss_fn, WARM, w)
            watched = block(model, opt, x, y, loss_fn, steps, w)
        ratios.append(watched / plain)
    return statistics.median(ratios)


def child(mode: str, steps: int) -> None:
    torch.set_num_threads(1 if mode == "flat" else 2)  # flatness is memory, not time
    if mode == "flat":
        model, x, y, loss_fn = workload("W1")
        opt = torch.optim.SGD(model.parameters(), lr=1e-2)
        with gradlab.watch(model, optimizer=opt, every=1) as w:
            block(model, opt, x, y, loss_fn, steps // 10, w)
            early = _rss_kib()
            block(model, opt, x, y, loss_fn, steps - steps // 10, w)
            late = _rss_kib()
        print(early, late)
        return
    model, x, y, loss_fn = workload("W2")
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    if mode == "plain":
        block(model, opt, x, y, loss_fn, steps)
    else:
        with gradlab.watch(model, optimizer=opt) as w:
            block(model, opt, x, y, loss_fn, steps, w)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, 0)


def _rss_kib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() // 1024


def memory(steps: int, flat_steps: int) -> tuple[float, int, int]:
    out = {}
    for mode, n in (("plain", steps), ("watched", steps), ("flat", flat_steps)):
        res = subprocess.run([sys.executable, __file__, "--child", mode, "--steps", str(n)],
                             capture_output=True, text=True, check=True)
        out[mode] = [int(v) for v in res.stdout.split()]
    return out["watched"][0] / out["plain"][0], out["flat"][0], out["flat"][1]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="fewer, shorter blocks")
    p.add_argument("--child", choices=["plain", "watched", "flat"], help=argparse.SUPPRESS)
    p.add_argument("--steps", type=int, default=0, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        return child(a.child, a.steps)
    torch.set_num_threads(2)
    blocks = 3 if a.quick else 5
    configs = [("defaults", {}), ("every=1", {"every": 1}), ("every=1+hist", {"every": 1, "histograms": True})]
    # a timed block spans one default sampling period (every=10), so it holds one sampled step
    steps = {"W1": 100 if a.quick else 300, "W2": 10, "W3": 10}
    targets = {"W1": {"defaults": 1.5}, "W2": {"defaults": 1.05, "every=1": 1.15, "every=1+hist": 1.25}}
    targets["W3"] = targets["W2"]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {blocks} interleaved blocks, "
          f"load average {_load()}", flush=True)
    for name in ("W1", "W2", "W3"):
        for label, opts in configs:
            r = ratio(name, opts, blocks, steps[name])
            t = targets[name].get(label)
            print(f"{name} {label:14s} {r:5.3f}x" + (f"  (target <= {t}x)" if t else "") + f"  load {_load()}", flush=True)
    flat = 2000 if a.quick else 20000
    mem, early, late = memory(10 if a.quick else 20, flat)
    print(f"W2 peak RSS watched/plain {mem:5.3f}   W1 every=1 RSS after {flat // 10} steps {early} KiB, "
          f"after {flat} steps {late} KiB (growth {late - early} KiB)   load {_load()}")


def _load() -> str:
    return "/".join(f"{v:.1f}" for v in os.getloadavg())


if __name__ == "__main__":
    main()
