"""The code a repair prints does what its surgery did: both run on twin models and are compared.

The code comes from :mod:`gradlab.diagnose.code_fixes` (one table for every recommendation's
code and actions); surgery applies the actions. Executing the printed code on a fresh twin, from
the same random state, must give the same weights, the same optimizer and the same learning
rates step by step.
"""

import math

import pytest
import torch
from torch import nn

import gradlab
from gradlab.repair.surgery import Patient, as_code, operate

ACTS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "selu": nn.SELU}


def _twins(act):
    pairs = []
    for _ in range(2):
        torch.manual_seed(0)
        m = nn.Sequential(nn.Linear(30, 40), ACTS[act](), nn.Linear(40, 20), ACTS[act](), nn.Linear(20, 1))
        pairs.append((m, torch.optim.SGD(m.parameters(), lr=0.1)))
    return pairs


def _by_code(code, model, optimizer):
    scope = {"model": model, "optimizer": optimizer, "nn": nn, "torch": torch, "gradlab": gradlab, "math": math}
    torch.manual_seed(1)
    exec(code, scope)
    return scope


def _hyper(opt):
    return type(opt), [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]


@pytest.mark.parametrize("act, changes", [
    ("relu", {"model.init": "he_normal", "model.bias_init": "zeros"}),
    ("relu", {"model.act": "leaky_relu(0.1)", "model.init": "he_uniform", "model.bias_init": "zeros"}),
    ("tanh", {"model.init": "xavier_normal"}),
    ("sigmoid", {"model.init": "xavier_uniform", "model.bias_init": "constant(0.1)"}),
    ("relu", {"model.act": "selu", "model.init": "lecun_normal", "model.bias_init": "zeros"}),
    ("tanh", {"model.init": "lecun_uniform"}),
    ("relu", {"model.bias_init": "zeros"}),
    ("relu", {"model.init": "orthogonal", "model.bias_init": "zeros"}),
], ids=["he-relu", "he-leaky", "xavier-tanh", "xavier-sigmoid-const-bias", "lecun-selu", "lecun-tanh",
        "bias-only", "orthogonal-fallback"])
def test_init_code_draws_the_weights_surgery_draws(act, changes):
    (a, opt_a), (b, opt_b) = _twins(act)
    torch.manual_seed(1)
    operate(Patient(a, opt_a, act=act), changes)
    _by_code(as_code(changes, act=act), b, opt_b)
    for pa, pb in zip(a.state_dict().values(), b.state_dict().values()):
        assert torch.equal(pa, pb)


@pytest.mark.parametrize("changes", [
    {"train.optimizer": "momentum", "train.lr": 0.05},
    {"train.optimizer": "adam(betas=[0.9, 0.99])"},
    {"train.optimizer": "rmsprop"},
    {"train.optimizer": "adamw"},
    {"train.lr": 0.3},
], ids=["momentum-lr", "adam-betas", "rmsprop", "adamw", "lr"])
def test_optimizer_code_builds_the_optimizer_surgery_builds(changes):
    (a, opt_a), (b, opt_b) = _twins("relu")
    p = operate(Patient(a, opt_a), changes)
    scope = _by_code(as_code(changes, act="relu", lr=0.1, weight_decay=0.0), b, opt_b)
    assert _hyper(p.opt) == _hyper(scope["optimizer"])


@pytest.mark.parametrize("spec", ["warmup(steps=5)", "cosine"])
def test_schedule_code_gives_the_learning_rates_the_hook_gives(spec):
    (a, opt_a), (b, opt_b) = _twins("relu")
    p = operate(Patient(a, opt_a, total_steps=12), {"train.schedule": spec})
    scope = _by_code(as_code({"train.schedule": spec}, act="relu", total_steps=12), b, opt_b)
    got, want = [], []
    for _ in range(12):
        want.append(p.opt.param_groups[0]["lr"])
        got.append(scope["optimizer"].param_groups[0]["lr"])
        p.opt.step()
        scope["optimizer"].step()
        scope["scheduler"].step()
    assert got == pytest.approx(want)


def test_nan_code_cleans_the_data_as_the_input_hook_cleans_the_model_input():
    torch.manual_seed(0)
    x = torch.randn(10, 3)
    x[2, 1], x[5, 0], x[7, 2] = float("nan"), float("inf"), -float("inf")
    (a, opt_a), _ = _twins("relu")
    a[0] = nn.Linear(3, 40)
    seen = []
    a[0].register_forward_pre_hook(lambda m, args: seen.append(args[0]))
    operate(Patient(a, opt_a), {"task.nan_to_num": True})
    a(x)
    code = as_code({"task.nan_to_num": True}, act="relu")
    assert "the data holds NaN/Inf" in code and "clean it" in code
    scope = {"x": x.clone(), "y": torch.zeros(10), "torch": torch}
    exec(code, scope)
    assert torch.equal(seen[0], scope["x"]) and torch.isfinite(scope["x"]).all()
