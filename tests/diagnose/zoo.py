"""The zoo: small faulty and healthy training setups the rules are calibrated on.

Each :class:`Case` builds a model, its data, loss and optimizer with a fixed seed, and says which
finding codes it must raise (at warning or error) during training and at a checkup. Healthy cases
expect nothing at warning or above. Tiny models, a few hundred steps: the whole zoo runs in
seconds on one CPU thread.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F

from gradlab.data import create_task


@dataclass
class Case:
    name: str
    build: Callable  # () -> dict(model, x, y, loss_fn, opt, steps, batch, context)
    expect: set = field(default_factory=set)        # codes during training ("" = healthy)
    expect_checkup: set = field(default_factory=set)  # codes at a checkup
    severity: dict = field(default_factory=dict)     # code -> required severity
    any_of: bool = False  # expect: at least one of the codes (huge lr: exploding or non_finite)


def moons(normalize=False):
    t = create_task("moons", seed=0, normalize=normalize)
    return t.train[0], t.train[1]


def mlp(sizes, act: Callable[[], nn.Module], w_init=None, b_init=None):
    layers = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        lin = nn.Linear(a, b)
        if w_init:
            w_init(lin.weight)
        if b_init:
            b_init(lin.bias)
        layers.append(lin)
        if i < len(sizes) - 2:
            layers.append(act())
    return nn.Sequential(*layers)


BCE = nn.BCEWithLogitsLoss()


def _sgd(lr):
    return lambda m: torch.optim.SGD(m.parameters(), lr=lr)


def _adam(lr):
    return lambda m: torch.optim.Adam(m.parameters(), lr=lr)


def seed_net(act, w_std, bias):
    """Seed 002's 2-3-3-3-3-1 net with N(0, w_std) weights and constant biases."""
    return mlp([2, 3, 3, 3, 3, 1], act, lambda w: nn.init.normal_(w, 0.0, w_std), lambda b: nn.init.constant_(b, bias))


def setup(model, data, loss_fn, opt, steps=200, batch=None, context=None):
    x, y = data
    return dict(model=model, x=x, y=y, loss_fn=loss_fn, opt=opt(model), steps=steps, batch=batch,
                context=context or {})


def ctx(lr, optimizer="sgd", act=None):
    c = {"train": {"lr": lr, "optimizer": optimizer}}
    if act:
        c["model"] = {"act": act}
    return {"config": c}


# ---- faulty -------------------------------------------------------------------------------------

def zero_init():
    m = mlp([2, 5, 1], nn.Sigmoid, nn.init.zeros_, nn.init.zeros_)
    return setup(m, moons(), BCE, _sgd(0.2), context=ctx(0.2, act="sigmoid"))


def vanishing():
    return setup(seed_net(nn.Sigmoid, 0.01, 1.0), moons(), BCE, _sgd(0.01), context=ctx(0.01, act="sigmoid"))


def dying():
    return setup(seed_net(nn.ReLU, 0.01, -8.0), moons(), BCE, _sgd(0.01), context=ctx(0.01, act="relu"))


def negative_inputs():
    # seed 003: x ~ U(-1, 0)^4 into a ReLU layer with zero biases; targets from the task
    t = create_task("negative_uniform", seed=0)
    x, y = t.train[0][:512], t.train[1][:512]
    m = mlp([4, 8, 1], nn.ReLU, None, nn.init.zeros_)
    return setup(m, (x, y), nn.MSELoss(), _sgd(0.5), steps=300, context=ctx(0.5, act="relu"))


def deep_sigmoid():
    return setup(mlp([2] + [16] * 10 + [1], nn.Sigmoid), moons(), BCE, _sgd(0.1), context=ctx(0.1, act="sigmoid"))


def saturated_tanh():
    x, y = moons()
    return setup(mlp([2, 16, 16, 1], nn.Tanh), (x * 60.0, y), BCE, _sgd(0.05), context=ctx(0.05, act="tanh"))


def huge_lr():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(256, 8, generator=g)
    y = x @ torch.randn(8, 1, generator=g)
    m = mlp([8, 32, 32, 1], nn.ReLU)
    return setup(m, (x, y), nn.MSELoss(), _sgd(3.0), steps=100, context=ctx(3.0, act="relu"))


def nan_data():
    x, y = moons()
    x = x.clone()
    x[::50, 0] = float("nan")
    return setup(mlp([2, 16, 16, 1], nn.ReLU), (x, y), BCE, _sgd(0.1), steps=30, context=ctx(0.1))


def tiny_lr():
    m = mlp([2, 16, 16, 1], nn.ReLU, lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"), nn.init.zeros_)
    return setup(m, moons(), BCE, _sgd(1e-6), steps=300, context=ctx(1e-6, act="relu"))


class SmallCNN(nn.Module):
    def __init__(self, norm=False, dead_bias=None):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8) if norm else nn.Identity()
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(8) if norm else nn.Identity()
        self.act1, self.act2 = nn.ReLU(), nn.ReLU()
        self.head = nn.Linear(8, 1)
        if dead_bias is not None:
            nn.init.constant_(self.conv2.bias, dead_bias)

    def forward(self, x):
        x = self.act1(self.bn1(self.conv1(x)))
        x = self.act2(self.bn2(self.conv2(x)))
        return self.head(x.mean(dim=(2, 3)))


def images():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(256, 1, 8, 8, generator=g)
    y = (x[:, :, :4].mean(dim=(1, 2, 3)) > x[:, :, 4:].mean(dim=(1, 2, 3))).float().unsqueeze(1)
    return x, y


def dead_conv():
    return setup(SmallCNN(dead_bias=-20.0), images(), BCE, _sgd(0.05), steps=150, batch=64, context=ctx(0.05))


FAULTY = [
    Case("seed-zero-init", zero_init, {"symmetric_weights"}, {"symmetric_weights"}, {"symmetric_weights": "error"}),
    Case("seed-vanishing", vanishing, {"vanishing_gradient"}, {"vanishing_gradient"}),
    Case("seed-dying-relu", dying, {"dead_units"}, {"dead_units"}, {"dead_units": "error"}),
    Case("negative-inputs", negative_inputs, {"dead_units"}),
    Case("deep-sigmoid", deep_sigmoid, {"vanishing_gradient"}, {"vanishing_gradient"}),
    Case("saturated-tanh", saturated_tanh, {"saturated_units"}, {"saturated_units"}),
    # the loss blows up in 3 steps, between two samples of the gradient norms: both codes, the
    # explosion first (test_zoo checks the order)
    Case("huge-lr", huge_lr, {"exploding_gradient", "non_finite"}, severity={"exploding_gradient": "error"}),
    Case("nan-in-data", nan_data, {"non_finite"}, {"non_finite"}),
    Case("tiny-lr", tiny_lr, {"loss_not_decreasing", "update_ratio"}),
    Case("dead-conv-channels", dead_conv, {"dead_units"}, {"dead_units"}, {"dead_units": "error"}),
]


# ---- healthy ------------------------------------------------------------------------------------

def healthy_relu_adam():
    return setup(mlp([2, 16, 16, 1], nn.ReLU), moons(), BCE, _adam(0.01), steps=300, batch=64, context=ctx(0.01, "adam"))


def healthy_relu_sgd():
    m = mlp([2, 32, 32, 1], nn.ReLU, lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"), nn.init.zeros_)
    return setup(m, moons(), BCE, _sgd(0.1), steps=300, context=ctx(0.1))


def healthy_cnn_bn():
    return setup(SmallCNN(norm=True), images(), BCE, _adam(0.01), steps=150, batch=64, context=ctx(0.01, "adam"))


class ResMLP(nn.Module):
    """Residual blocks calling F.relu in forward (the seed's ``self.act = F.relu`` style)."""

    def __init__(self, width=16, blocks=3):
        super().__init__()
        self.inp = nn.Linear(2, width)
        self.blocks = nn.ModuleList(nn.Sequential(nn.Linear(width, width), nn.Linear(width, width))
                                    for _ in range(blocks))
        self.out = nn.Linear(width, 1)

    def forward(self, x):
        h = F.relu(self.inp(x))
        for b in self.blocks:
            h = h + b[1](F.relu(b[0](h)))
            h = F.relu(h)
        return self.out(h)


def healthy_resnet():
    return setup(ResMLP(), moons(), BCE, _adam(0.005), steps=300, batch=64, context=ctx(0.005, "adam"))


def healthy_gelu():
    return setup(mlp([2, 32, 32, 1], nn.GELU), moons(), BCE, _adam(0.01), steps=300, batch=64, context=ctx(0.01, "adam"))


def healthy_selu():
    m = mlp([2, 32, 32, 32, 1], nn.SELU, lambda w: nn.init.kaiming_normal_(w, nonlinearity="linear"), nn.init.zeros_)
    return setup(m, moons(), BCE, _sgd(0.05), steps=300, batch=64, context=ctx(0.05))


class TinyAttention(nn.Module):
    def __init__(self, d=16, vocab=8, length=6):
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(length, d) * 0.1)
        self.attn = nn.MultiheadAttention(d, 2, batch_first=True)
        self.norm = nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, 32), nn.GELU(), nn.Linear(32, d))
        self.head = nn.Linear(d, 1)

    def forward(self, tokens):
        h = self.emb(tokens) + self.pos
        a, _ = self.attn(h, h, h, need_weights=False)
        h = self.norm(h + a)
        h = h + self.ff(h)
        return self.head(h.mean(dim=1))


def healthy_attention():
    g = torch.Generator().manual_seed(0)
    tokens = torch.randint(0, 8, (256, 6), generator=g)
    y = (tokens == 3).any(dim=1).float().unsqueeze(1)
    return setup(TinyAttention(), (tokens, y), BCE, _adam(0.005), steps=200, batch=64, context=ctx(0.005, "adam"))


def healthy_tanh_xavier():
    m = mlp([2, 16, 16, 1], nn.Tanh, nn.init.xavier_normal_, nn.init.zeros_)
    return setup(m, moons(normalize=True), BCE, _sgd(0.1), steps=300, context=ctx(0.1, act="tanh"))


HEALTHY = [
    Case("mlp-relu-adam", healthy_relu_adam),
    Case("mlp-relu-sgd-he", healthy_relu_sgd),
    Case("cnn-batchnorm", healthy_cnn_bn),
    Case("resnet-functional-relu", healthy_resnet),
    Case("mlp-gelu", healthy_gelu),
    Case("mlp-selu-lecun", healthy_selu),
    Case("attention", healthy_attention),
    Case("mlp-tanh-xavier", healthy_tanh_xavier),
]


def train_watched(s: dict, every: int = 10, seed: int = 0, **watch_kw):
    """Train a zoo setup under ``gradlab.watch``; return the watch (for vitals, layers, findings)."""
    from gradlab.monitor.watch import watch  # the public watch, with live diagnosis

    model, x, y, loss_fn, opt = s["model"], s["x"], s["y"], s["loss_fn"], s["opt"]
    g = torch.Generator().manual_seed(seed)
    with watch(model, optimizer=opt, every=every, **watch_kw) as w:
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
            w.log(loss=loss.detach())
    return w


def checkup_batch(s: dict, n: int = 512):
    return s["x"][:n], s["y"][:n]
