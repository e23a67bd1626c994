"""Ensemble vs one-after-another training of the seed MLP, side by side.

The seed articles' network, 2→3→3→3→3→1 ReLU on 640 moons points, trained with full-batch SGD for
200 steps: M models trained sequentially with a plain PyTorch loop, then the same M models (same
initial weights) as one :class:`gradlab.study.batched.BatchedMLP`. Prints the wall time of each,
the speed-up, and the largest absolute difference between the final parameters.

    python benchmarks/bench_ensemble.py            # M in 10, 100, 1000
    python benchmarks/bench_ensemble.py --quick    # M in 10, 100, fewer steps
    python benchmarks/bench_ensemble.py --sample 100   # time the sequential loop on 100 models
                                                       # and scale it (marked with *)
"""

from __future__ import annotations

import argparse
import math
import time

import torch
from torch import nn

from gradlab.study.batched import BatchedMLP, batch_optimizers


def moons(n: int, noise: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Two interleaving half circles (sklearn's make_moons layout), labels ``[n, 1]``."""
    g = torch.Generator().manual_seed(seed)
    half = n // 2
    t_out = torch.linspace(0, math.pi, n - half)
    t_in = torch.linspace(0, math.pi, half)
    outer = torch.stack([torch.cos(t_out), torch.sin(t_out)], 1)
    inner = torch.stack([1 - torch.cos(t_in), 1 - torch.sin(t_in) - 0.5], 1)
    x = torch.cat([outer, inner]) + noise * torch.randn(n, 2, generator=g)
    y = torch.cat([torch.zeros(n - half), torch.ones(half)]).unsqueeze(1)
    perm = torch.randperm(n, generator=g)
    return x[perm], y[perm]


def seed_mlp(seed: int) -> nn.Sequential:
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    sizes = [2, 3, 3, 3, 3, 1]
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def sequential(models, x, y, steps: int, lr: float) -> float:
    loss_fn = nn.BCEWithLogitsLoss()
    start = time.perf_counter()
    for model in models:
        opt = torch.optim.SGD(model.parameters(), lr=lr)
        for _ in range(steps):
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
    return time.perf_counter() - start


def ensemble(models, x, y, steps: int, lr: float) -> tuple[float, BatchedMLP]:
    start = time.perf_counter()
    net = BatchedMLP(models)
    opt = batch_optimizers(net.parameters(), [torch.optim.SGD(m.parameters(), lr=lr) for m in models])
    target = y.unsqueeze(0).expand(len(models), *y.shape)
    for _ in range(steps):
        opt.zero_grad()
        logits = net(x)
        # mean over samples per member, summed over members: each member gets its own gradient
        per_member = nn.functional.binary_cross_entropy_with_logits(logits, target, reduction="none")
        per_member.mean(dim=(1, 2)).sum().backward()
        opt.step()
    return time.perf_counter() - start, net


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="M in 10, 100 and 50 steps")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--sample", type=int, default=None,
                        help="time the sequential loop on at most this many models, scaled to M")
    args = parser.parse_args()
    torch.set_num_threads(2)
    sizes = [10, 100] if args.quick else [10, 100, 1000]
    steps = 50 if args.quick else args.steps
    x, y = moons(640, 0.2, seed=0)
    # warm up both paths (first-call allocations, lazy kernels) outside the timings
    sequential([seed_mlp(0)], x, y, 5, lr=0.1)
    ensemble([seed_mlp(0), seed_mlp(1)], x, y, 5, lr=0.1)
    print(f"seed MLP 2-3-3-3-3-1, moons 640 points, {steps} full-batch SGD steps, 2 threads")
    print(f"{'M':>6} {'sequential s':>13} {'ensemble s':>11} {'speed-up':>9} {'max |dW|':>10}")
    for m in sizes:
        n_seq = m if args.sample is None else min(m, args.sample)
        base = [seed_mlp(s) for s in range(n_seq)]
        twins = [seed_mlp(s) for s in range(m)]
        t_seq = sequential(base, x, y, steps, lr=0.1) * m / n_seq
        t_ens, net = ensemble(twins, x, y, steps, lr=0.1)
        diff = 0.0
        for i, model in enumerate(base):
            state = net.member_state(i)
            for name, p in model.named_parameters():
                diff = max(diff, (state[name] - p.detach()).abs().max().item())
        mark = "*" if n_seq < m else " "
        print(f"{m:>6} {t_seq:>12.2f}{mark} {t_ens:>11.3f} {t_seq / t_ens:>8.1f}x {diff:>10.2e}")


if __name__ == "__main__":
    main()
