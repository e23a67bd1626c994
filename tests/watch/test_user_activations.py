"""Activations as users write them: library classes, declared ones, and undeclared elementwise
modules are one site each, with their true derivative; calls inside them are not extra sites."""

from collections import OrderedDict

import pytest
import torch
from torch import nn

import gradlab
from gradlab.components.activation_registration import unregister_activation
from gradlab.components.activations import activation_info
from gradlab.errors import ConfigError
from loops import mse_steps


class MySwish(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.5 * x)


class WhereLeaky(nn.Module):
    def forward(self, x):
        return torch.where(x > 0, x, 0.1 * x)


class WhereReLU(nn.Module):
    def forward(self, x):
        return torch.where(x > 0, x, torch.zeros_like(x))


class Noise(nn.Module):  # parameter-free, same shape, but random: not an activation
    def forward(self, x):
        return x + 0.1 * torch.randn_like(x)


class Scale(nn.Module):  # elementwise but linear: not an activation
    def forward(self, x):
        return 2.0 * x


class RowNorm(nn.Module):  # same shape, not elementwise
    def forward(self, x):
        return x / x.norm(dim=-1, keepdim=True)


def _net(act, scale=3.0, depth=3, seed=0):
    torch.manual_seed(seed)
    layers = OrderedDict()
    for i in range(depth):
        lin = nn.Linear(16, 16)
        nn.init.normal_(lin.weight, 0.0, scale / 4.0)
        layers[f"fc{i}"], layers[f"act{i}"] = lin, act()
    layers["out"] = nn.Linear(16, 1)
    return nn.Sequential(layers)


def _train(model, steps=30, lr=1e-4, every=10):
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    x, y = torch.randn(64, 16), torch.randn(64, 1)
    with gradlab.watch(model, optimizer=opt, every=every) as w:
        mse_steps(w, model, opt, x, y, steps)
    return w


def _sites(w):
    return {layer.path: layer.act for layer in w.layers if layer.kind == "activation"}


def _transformers_classes():
    acts = pytest.importorskip("transformers.activations")
    out = []
    for key, entry in acts.ACT2CLS.items():
        cls, kwargs = entry if isinstance(entry, tuple) else (entry, {})
        if cls.__module__.startswith("transformers") and cls.__name__ != "XIELUActivation":
            out.append(pytest.param(cls, kwargs, id=key))
    return out


@pytest.mark.parametrize(("cls", "kwargs"), _transformers_classes())
def test_every_transformers_activation_is_one_site_with_its_true_derivative(cls, kwargs):
    module = cls(**kwargs)
    model = _net(lambda: cls(**kwargs), scale=1.0)
    w = _train(model, steps=3, every=1)
    sites = _sites(w)
    if cls.__name__ == "LinearActivation":
        assert sites == {}
        return
    assert set(sites) == {"act0", "act1", "act2"}  # no site for a tanh/erf/sigmoid inside
    info = activation_info(module) or w._sites["act0"].info
    z = torch.linspace(-6, 6, 241, requires_grad=True)
    (want,) = torch.autograd.grad(module(z).sum(), z)  # brute force: autograd of the module
    assert info.derivative(z.detach()) == pytest.approx(want, abs=2e-4, rel=1e-3)


def test_gpt2_gelu_is_a_gelu_and_raises_no_false_saturation():
    acts = pytest.importorskip("transformers.activations")
    assert activation_info(acts.NewGELUActivation()).name == "gelu"
    w_new = _train(_net(acts.NewGELUActivation))
    w_ref = _train(_net(nn.GELU))
    assert [f.code for f in w_new.findings()] == [f.code for f in w_ref.findings()] == []
    assert _sites(w_new) == _sites(w_ref)


def test_bloom_gelu_is_a_tanh_gelu_with_its_own_backward():
    bloom = pytest.importorskip("transformers.models.bloom.modeling_bloom")
    module = bloom.BloomGelu()
    info = activation_info(module)
    assert info.name == "gelu"
    z = torch.linspace(-6, 6, 241, requires_grad=True)
    (want,) = torch.autograd.grad(module(z).sum(), z)  # BLOOM's hand-written backward
    assert info.derivative(z.detach()) == pytest.approx(want, abs=2e-4, rel=1e-3)
    assert _sites(_train(_net(bloom.BloomGelu), steps=3, every=1)) == {"act0": "gelu", "act1": "gelu",
                                                                       "act2": "gelu"}


def test_hand_written_swish_is_one_site_and_no_saturation_alarm():
    w = _train(_net(MySwish))
    assert _sites(w) == {"act0": "myswish", "act1": "myswish", "act2": "myswish"}
    assert [f.code for f in w.findings() if f.code == "saturated_units"] == []
    info = w._sites["act1"].info
    assert not info.bounded and info.grad_floor == 0.0
    assert info.grad_max == pytest.approx(1.0998, abs=1e-3)  # any Swish beta > 0 has SiLU's sup


def test_where_leaky_relu_is_seen_with_its_slope_and_exact_moments():
    model = _net(WhereLeaky, scale=1.0)
    seen = []
    model.act1.register_forward_pre_hook(lambda m, a: seen.append(a[0].detach().clone()))
    w = _train(model, steps=1, every=1)
    info = w._sites["act1"].info
    assert info.grad_floor == pytest.approx(0.1) and not info.can_die
    z = seen[0].double()
    assert w.vitals.last("act1", "pre_mean") == pytest.approx(float(z.mean()), rel=1e-5)
    assert w.vitals.last("act1", "neg_frac") == pytest.approx(float((z < 0).double().mean()))


def test_where_relu_dead_units_match_brute_force():
    torch.manual_seed(1)
    model = _net(WhereReLU, scale=1.0)
    with torch.no_grad():
        model.fc1.bias[:5] = -100.0  # five units dead on every sample
    seen = []
    model.act1.register_forward_pre_hook(lambda m, a: seen.append(a[0].detach().clone()))
    w = _train(model, steps=10, every=5)
    z = torch.stack(seen[5:])  # the window of the last report
    dead = int(((z > 0).sum(dim=(0, 1)) == 0).sum())
    assert dead >= 5
    assert w.vitals.last("act1", "dead_units") == dead


@pytest.mark.parametrize("make", [Noise, Scale, RowNorm, nn.Dropout, lambda: nn.Softmax(dim=-1)],
                         ids=["noise", "scale", "row_norm", "dropout", "softmax"])
def test_parameter_free_modules_that_are_not_activations_are_no_sites(make):
    model = nn.Sequential(nn.Linear(8, 8), make(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1))
    w = _train_small(model)
    assert _sites(w) == {"3": "relu"}


def _train_small(model):
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.randn(16, 8)
    with gradlab.watch(model, optimizer=opt, every=1) as w:
        for _ in range(2):
            opt.zero_grad()
            model(x).pow(2).mean().backward()
            opt.step()
    return w


def test_register_like_and_derivative():
    class Shifted(nn.Module):
        def forward(self, x):
            return torch.nn.functional.silu(x)

    try:
        gradlab.register_activation(Shifted, like="silu")
        w = _train(_net(Shifted), steps=2)
        assert set(_sites(w).values()) == {"silu"}
        gradlab.register_activation(Shifted, derivative=lambda z: torch.sigmoid(z) * (1 + z * (1 - torch.sigmoid(z))),
                                    name="my_silu")
        info = activation_info(Shifted())
        assert info.name == "my_silu" and info.grad_max == pytest.approx(1.0998, abs=1e-3) and not info.bounded
        assert _sites(_train(_net(Shifted), steps=2)) == {"act0": "my_silu", "act1": "my_silu", "act2": "my_silu"}
    finally:
        unregister_activation(Shifted)


def test_register_bounded_derivative_is_read_as_saturating():
    class HardClip(nn.Module):
        def forward(self, x):
            return x.clamp(-1, 1)

    try:
        gradlab.register_activation(HardClip, derivative=lambda z: ((z > -1) & (z < 1)).to(z.dtype))
        info = activation_info(HardClip())
        assert info.bounded and info.can_die and info.grad_max == 1.0
    finally:
        unregister_activation(HardClip)


def test_register_needs_exactly_one_of_like_and_derivative():
    with pytest.raises(ConfigError, match="exactly one"):
        gradlab.register_activation(MySwish)
    with pytest.raises(ConfigError, match="exactly one"):
        gradlab.register_activation(MySwish, like="silu", derivative=torch.sigmoid)
    with pytest.raises(ConfigError, match="did you mean"):
        gradlab.register_activation(MySwish, like="slu")
