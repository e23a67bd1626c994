"""The batched machinery against plain PyTorch: the stacked stock optimizer vs each member's own
torch.optim run, the batched forward vs nn.Module."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gradlab.components.activations import LearnableLeakyReLU
from gradlab.models.members import member_state, stack_members
from gradlab.study.batched import MemberOptimizer, NotBatchable
from gradlab.study.batched.data import stack_split
from gradlab.train.metrics import get_loss, per_member


def member_loss(name):
    return per_member(get_loss(name))


def _mlp(seed: int, act: nn.Module) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 4), act, nn.Linear(4, 4), type(act)(*_args(act)), nn.Linear(4, 1))


def _args(act: nn.Module) -> tuple:
    if isinstance(act, nn.LeakyReLU):
        return (act.negative_slope,)
    if isinstance(act, nn.ELU):
        return (act.alpha,)
    return ()


OPTIMIZERS = {
    "sgd": lambda p, lr: torch.optim.SGD(p, lr=lr),
    "sgd-decay": lambda p, lr: torch.optim.SGD(p, lr=lr, weight_decay=0.01 * lr * 10),
    "momentum": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9),
    "nesterov": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.8, nesterov=True),
    "dampened": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9, dampening=0.3),
    "adam": lambda p, lr: torch.optim.Adam(p, lr=lr),
    "adam-decay": lambda p, lr: torch.optim.Adam(p, lr=lr, betas=(0.8, 0.99), weight_decay=1e-3),
    "adamw": lambda p, lr: torch.optim.AdamW(p, lr=lr, weight_decay=0.05),
    "adamw-decay-sweep": lambda p, lr: torch.optim.AdamW(p, lr=lr, weight_decay=lr),
    "sgd-decay-sweep": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.5, weight_decay=lr),
    "adagrad": lambda p, lr: torch.optim.Adagrad(p, lr=lr, lr_decay=0.01),
    "rmsprop": lambda p, lr: torch.optim.RMSprop(p, lr=lr, alpha=0.9, momentum=0.3, centered=True),
    "adamax": lambda p, lr: torch.optim.Adamax(p, lr=lr),
    "nadam": lambda p, lr: torch.optim.NAdam(p, lr=lr, weight_decay=0.01, decoupled_weight_decay=True),
    "amsgrad": lambda p, lr: torch.optim.Adam(p, lr=lr, amsgrad=True),
}


TIGHT = {"rtol": 1e-5, "atol": 1e-6}
# a step divided by a root of a running mean of squared gradients amplifies the forward pass's
# last-bit differences (batched vs one matmul: ~6e-8 after one step) to ~1e-5 in 25 steps
DRIFT = {kind: {"rtol": 1e-4, "atol": 2e-5} for kind in ("adagrad", "rmsprop", "nadam", "adamax", "amsgrad")}


@pytest.mark.parametrize("lrs", [[0.05, 0.05, 0.05], [0.1, 0.01, 0.03]], ids=["same-lr", "lr-sweep"])
@pytest.mark.parametrize("kind", list(OPTIMIZERS))
def test_batched_optimizer_matches_torch_optim(kind, lrs):
    x = torch.randn(32, 2)
    y = (x[:, :1] * x[:, 1:] > 0).float()
    plain = [_mlp(s, nn.Tanh()) for s in range(len(lrs))]
    twins = [_mlp(s, nn.Tanh()) for s in range(len(lrs))]
    net = stack_members(twins)
    opt = MemberOptimizer(list(net.parameters()), [OPTIMIZERS[kind](m.parameters(), lr) for m, lr in zip(twins, lrs)])
    loss = member_loss("bce")
    for _ in range(25):
        opt.zero_grad()
        loss(net(x), y.expand(len(lrs), -1, -1)).sum().backward()
        opt.step()
    for i, (model, lr) in enumerate(zip(plain, lrs)):
        ref = OPTIMIZERS[kind](model.parameters(), lr)
        for _ in range(25):
            ref.zero_grad()
            nn.functional.binary_cross_entropy_with_logits(model(x), y).backward()
            ref.step()
        state = member_state(net, i)
        for name, p in model.named_parameters():
            torch.testing.assert_close(state[name], p.detach(), **DRIFT.get(kind, TIGHT), msg=f"{kind} {name}")


@pytest.mark.parametrize(
    "acts",
    [
        [nn.ReLU(), nn.ReLU()],
        [nn.LeakyReLU(0.01), nn.LeakyReLU(0.3)],
        [nn.ELU(1.0), nn.ELU(0.5)],
        [nn.GELU(), nn.GELU()],
        [nn.SELU(), nn.SELU()],
    ],
    ids=["relu", "leaky-slopes", "elu-alphas", "gelu", "selu"],
)
def test_batched_forward_and_gradients_match_each_member(acts):
    models = [_mlp(s, a) for s, a in enumerate(acts)]
    net = stack_members(models)
    x = torch.randn(16, 2) * 3
    y = torch.randint(0, 2, (16, 1)).float()
    out = net(x)
    member_loss("bce")(out, y.expand(len(models), -1, -1)).sum().backward()
    for i, model in enumerate(models):
        torch.testing.assert_close(out[i], model(x), rtol=1e-5, atol=1e-6)
        nn.functional.binary_cross_entropy_with_logits(model(x), y).backward()
        for (own, t), (name, p) in zip(net.named_parameters(), model.named_parameters()):
            assert own == name
            torch.testing.assert_close(t.grad[i], p.grad, rtol=1e-5, atol=1e-7)


def test_per_member_data_is_stacked_and_shared_data_kept_once():
    a = (torch.randn(10, 2), torch.ones(10, 1))
    b = (torch.randn(10, 2), torch.ones(10, 1))
    shared = stack_split([a, a, a], "train")
    assert shared.x_shared and shared.x.shape == (10, 2)
    mixed = stack_split([a, b], "train")
    assert not mixed.x_shared and mixed.x.shape == (2, 10, 2) and mixed.y_shared
    order = torch.stack([torch.arange(10), torch.arange(10).flip(0)])[:, :4]
    x, y = mixed.take(order)
    torch.testing.assert_close(x[1], b[0][[9, 8, 7, 6]])
    assert y.shape == (2, 4, 1)


@pytest.mark.parametrize(
    "models",
    [
        lambda: [nn.Sequential(nn.Linear(2, 3), nn.GroupNorm(1, 3), nn.ReLU(), nn.Linear(3, 1))] * 2,
        lambda: [nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Dropout(0.2), nn.Linear(3, 1))] * 2,
        lambda: [nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)),
                 nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))],
        lambda: [nn.Sequential(nn.Linear(2, 3), nn.PReLU(init=0.1), nn.Linear(3, 1)),
                 nn.Sequential(nn.Linear(2, 3), nn.PReLU(init=0.2), nn.Linear(3, 1))],
        lambda: [nn.Sequential(nn.Linear(2, 3), LearnableLeakyReLU(), nn.Linear(3, 1))] * 2,
        lambda: [nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)),
                 nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))],
    ],
    ids=["groupnorm", "dropout", "different-widths", "prelu-different-slopes", "learnable-leaky-relu",
         "mixed-activations"],
)
def test_what_cannot_be_batched_says_so(models):
    with pytest.raises(NotBatchable):
        stack_members(models())


@pytest.mark.parametrize(
    "make",
    [
        lambda p, i: torch.optim.SGD(p, lr=0.1, momentum=0.5 + 0.1 * i),
        lambda p, i: torch.optim.SGD(p, lr=0.1) if i else torch.optim.Adam(p, lr=0.1),
        lambda p, i: torch.optim.Rprop(p, lr=0.1),
    ],
    ids=["different-momentum", "different-classes", "not-linear-in-lr"],
)
def test_optimizers_that_cannot_share_one_step_say_so(make):
    models = [_mlp(s, nn.ReLU()) for s in range(2)]
    net = stack_members(models)
    with pytest.raises(NotBatchable):
        MemberOptimizer(list(net.parameters()), [make(m.parameters(), i) for i, m in enumerate(models)])
