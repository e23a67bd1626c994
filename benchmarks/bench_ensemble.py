"""Ensemble vs one-after-another training, side by side, in two cases.

1. The seed articles' network, 2→3→3→3→3→1 ReLU on 640 moons points, full-batch SGD for 200
   steps, M in 10, 100, 1000.
2. 64 members of a 4 × 64 ReLU MLP with Adam, gradient clipping by norm and a max-norm
   constraint (the Trainer's ``clip_gradients`` and ``MaxNorm``), 640 points, 200 steps.

M models are trained sequentially with a plain PyTorch loop, then the same M models (same initial
weights) as one MLP with a member axis (:func:`gradlab.models.members.stack_members`) stepped by the members' own stock
optimizer (:class:`gradlab.study.batched.MemberOptimizer`). Prints the wall time of each, the
speed-up, and the largest absolute difference between the final parameters. For the second case
it also times the batched matrix products alone: the sequential time divided by that is the most
any ensemble could gain on the machine, since batching saves per-call overhead, not arithmetic.

    python benchmarks/bench_ensemble.py            # both cases
    python benchmarks/bench_ensemble.py --quick    # M in 10, 100, 50 steps
    python benchmarks/bench_ensemble.py --sample 100   # time the sequential loop on 100 models
                                                       # and scale it (marked with *)
"""

from __future__ import annotations

import argparse
import math
import time

import torch
from torch import nn

from gradlab.components.regularizers import MaxNorm, clip_gradients
from gradlab.models.members import member_linears, member_state, stack_members
from gradlab.study.batched import MemberOptimizer


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


def seed_mlp(seed: int, sizes: tuple = (2, 3, 3, 3, 3, 1)) -> nn.Sequential:
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def _sgd(params, lr):
    return torch.optim.SGD(params, lr=lr)


def _adam(params, lr):
    return torch.optim.Adam(params, lr=lr)


def sequential(models, x, y, steps: int, lr: float, make=_sgd, clip=None, max_norm=None) -> float:
    loss_fn = nn.BCEWithLogitsLoss()
    constraint = MaxNorm(max_norm) if max_norm else None
    start = time.perf_counter()
    for model in models:
        opt = make(model.parameters(), lr)
        for _ in range(steps):
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            if clip:
                clip_gradients(model.parameters(), by="norm", max=clip)
            opt.step()
            if constraint:
                constraint.apply(model)
    return time.perf_counter() - start


def ensemble(models, x, y, steps: int, lr: float, make=_sgd, clip=None,
             max_norm=None) -> tuple[float, nn.Module]:
    start = time.perf_counter()
    net = stack_members(models)
    params = list(net.parameters())
    opt = MemberOptimizer(params, [make(m.parameters(), lr) for m in models])
    constraint = MaxNorm(max_norm) if max_norm else None
    target = y.unsqueeze(0).expand(len(models), *y.shape)
    for _ in range(steps):
        opt.zero_grad()
        logits = net(x)
        # mean over samples per member, summed over members: each member gets its own gradient
        per_member = nn.functional.binary_cross_entropy_with_logits(logits, target, reduction="none")
        per_member.mean(dim=(1, 2)).sum().backward()
        if clip:
            clip_gradients(params, by="norm", max=clip, members=True)
        opt.step()
        if constraint:
            for _, layer in member_linears(net):
                constraint.project_(layer.weight, members=True)
    return time.perf_counter() - start, net


def product_floor(m: int, n: int, sizes, steps: int) -> float:
    """Seconds for the matrix products alone of ``steps`` batched training steps of ``m`` members.

    Forward, gradient of the input (not for the first layer) and gradient of the weight of every
    Linear layer, as batched products of the ensemble's shapes on random data: the part of an
    ensemble step that batching cannot make cheaper. The sequential loop's time divided by this
    is the most any ensemble could gain on this machine with everything else free.
    """
    shapes = list(zip(sizes[1:], sizes[:-1]))  # (out, in) per layer
    data = [(torch.randn(m, o, i), torch.randn(m, i, n), torch.randn(m, o, n)) for o, i in shapes]
    start = time.perf_counter()
    for _ in range(steps):
        for k, (w, h, g) in enumerate(data):
            torch.bmm(w, h)  # forward, feature-major as MemberLinear computes it
            if k:
                torch.bmm(w.transpose(1, 2), g)  # gradient of the layer's input
            torch.bmm(g, h.transpose(1, 2))  # gradient of the weight
    return time.perf_counter() - start


def compare(m: int, n_seq: int, x, y, steps: int, sizes=(2, 3, 3, 3, 3, 1), **kw) -> str:
    """One line: M, sequential and ensemble seconds, the speed-up and max |dW|."""
    base = [seed_mlp(s, sizes) for s in range(n_seq)]
    twins = [seed_mlp(s, sizes) for s in range(m)]
    t_seq = sequential(base, x, y, steps, **kw) * m / n_seq
    t_ens, net = ensemble(twins, x, y, steps, **kw)
    diff = 0.0
    for i, model in enumerate(base):
        state = member_state(net, i)
        for name, p in model.named_parameters():
            diff = max(diff, (state[name] - p.detach()).abs().max().item())
    mark = "*" if n_seq < m else " "
    return f"{m:>6} {t_seq:>12.2f}{mark} {t_ens:>11.3f} {t_seq / t_ens:>8.1f}x {diff:>10.2e}"


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
    adam_kw = {"lr": 0.01, "make": _adam, "clip": 1.0, "max_norm": 2.0}
    # warm up both paths (first-call allocations, lazy kernels) outside the timings
    sequential([seed_mlp(0)], x, y, 5, lr=0.1)
    ensemble([seed_mlp(0), seed_mlp(1)], x, y, 5, lr=0.1)
    ensemble([seed_mlp(0), seed_mlp(1)], x, y, 5, **adam_kw)
    header = f"{'M':>6} {'sequential s':>13} {'ensemble s':>11} {'speed-up':>9} {'max |dW|':>10}"
    print(f"seed MLP 2-3-3-3-3-1, moons 640 points, {steps} full-batch SGD steps, 2 threads")
    print(header)
    for m in sizes:
        print(compare(m, m if args.sample is None else min(m, args.sample), x, y, steps, lr=0.1))
    print(f"4 x 64 ReLU MLP, Adam, clip_norm 1.0, max_norm 2.0, {steps} full-batch steps, 2 threads")
    print(header)
    m = 64
    wide = (2, 64, 64, 64, 64, 1)
    n_seq = m if args.sample is None else min(m, args.sample)
    print(compare(m, n_seq, x, y, steps, sizes=wide, **adam_kw))
    # the ceiling: the products alone, batched, against the same sequential loop timed again
    t_seq = sequential([seed_mlp(s, wide) for s in range(n_seq)], x, y, steps, **adam_kw) * m / n_seq
    t_floor = product_floor(m, x.shape[0], wide, steps)
    print(f"  the batched matrix products alone take {t_floor:.2f} s (sequential {t_seq:.2f} s): "
          f"the most any ensemble can gain here is {t_seq / t_floor:.1f}x")


if __name__ == "__main__":
    main()
