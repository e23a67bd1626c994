"""Two CPU processes with the gloo backend: vitals are combined across ranks."""

import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, port: int, out):
    import gradlab

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
    try:
        torch.manual_seed(0)
        lin = nn.Linear(2, 4)
        with torch.no_grad():
            lin.weight.zero_()
            # unit 0 alive only on rank 0's data, unit 1 only on rank 1's, 2 dead everywhere, 3 alive
            lin.bias.copy_(torch.tensor([-1.0, -1.0, -1.0, 1.0]))
        model = nn.parallel.DistributedDataParallel(nn.Sequential(lin, nn.ReLU(), nn.Linear(4, 1)))
        opt = torch.optim.SGD(model.parameters(), lr=0.0)
        x = torch.zeros(3, 2)
        with gradlab.watch(model, optimizer=opt, every=1) as w:
            with torch.no_grad():
                lin.bias[rank] = 1.0  # rank-local: the two ranks see different alive units
                lin.bias[3] = 1.0 + 2.0 * rank
            opt.zero_grad()
            model(x + rank).sum().backward()
            opt.step()
        out[rank] = (w.vitals.last("1", "dead_units"), w.vitals.last("1", "pre_mean"))
    finally:
        dist.destroy_process_group()


def test_ddp_gloo_dead_only_if_dead_on_every_rank():
    with mp.Manager() as manager:
        out = manager.dict()
        mp.spawn(_worker, args=(_free_port(), out), nprocs=2, join=True)
        res = dict(out)
    # unit 2 is the only one dead on both ranks; per rank, 2 of 4 units would look dead
    assert res[0][0] == res[1][0] == 1
    # pre_mean averages both ranks' samples: biases (+1, -1, -1, +1) mean 0, (-1, +1, -1, +3) mean 0.5
    assert res[0][1] == pytest.approx(0.25) and res[1][1] == pytest.approx(0.25)
