"""The watch on training code as people write it: optimizer wrappers, closure steps, float64 and
bfloat16 models, the first NaN between sampled steps, and what is not an activation."""

from collections import OrderedDict

import pytest
import torch
from torch import nn

import gradlab
from gradlab.errors import ConfigError


def _mlp(act=nn.Tanh, dtype=torch.float32, seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(OrderedDict(fc1=nn.Linear(4, 16), act1=act(), fc2=nn.Linear(16, 16), act2=act(),
                                     fc3=nn.Linear(16, 1))).to(dtype)


def _layer_grad_norm(model, name):
    mod = dict(model.named_modules())[name]
    return float(torch.sqrt(sum((p.grad.double() ** 2).sum() for p in mod.parameters())))


def test_lbfgs_closure_gradient_norms_are_those_at_the_start_of_each_step():
    model = _mlp()
    twin = _mlp()
    x, y = torch.randn(32, 4), torch.randn(32, 1)
    opt = torch.optim.LBFGS(model.parameters(), lr=0.5, max_iter=4)

    def closure():
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        return loss

    expected = []
    with gradlab.watch(model, optimizer=opt, every=1) as w:
        for _ in range(4):
            twin.load_state_dict(model.state_dict())  # brute force: the gradient at the step's start
            twin.zero_grad()
            nn.functional.mse_loss(twin(x), y).backward()
            expected.append({n: _layer_grad_norm(twin, n) for n in ("fc1", "fc2", "fc3")})
            w.log(loss=opt.step(closure))
    for name in ("fc1", "fc2", "fc3"):
        steps, values = w.vitals.series(name, "grad_norm")
        assert steps == [0, 1, 2, 3]
        assert values == pytest.approx([e[name] for e in expected], rel=1e-5)
    assert len(set(expected[i]["fc1"] for i in range(4))) == 4  # the weights did move


def test_a_non_optimizer_fails_at_watch_entry_with_the_way_out():
    class Engine:  # wraps nothing gradlab can reach
        pass

    with pytest.raises(ConfigError) as err:
        gradlab.watch(_mlp(), optimizer=Engine())
    msg = str(err.value)
    assert "Engine" in msg and "w.step()" in msg and "\n" not in msg


def test_a_generic_wrapper_is_reached_through_its_optimizer_attribute():
    class Wrapper:
        def __init__(self, opt):
            self.optimizer = opt

        def step(self):
            self.optimizer.step()

    model = _mlp()
    inner = torch.optim.SGD(model.parameters(), lr=0.1)
    wrapped = Wrapper(Wrapper(inner))
    x, y = torch.randn(8, 4), torch.randn(8, 1)
    with gradlab.watch(model, optimizer=wrapped, every=1) as w:
        for _ in range(3):
            inner.zero_grad()
            nn.functional.mse_loss(model(x), y).backward()
            want = _layer_grad_norm(model, "fc2")
            wrapped.step()
            assert w.vitals.last("fc2", "grad_norm") == pytest.approx(want, rel=1e-5)
    assert w.optimizer is inner and w.step_index == 3


def test_accelerate_optimizer_and_gradient_accumulation():
    accelerate = pytest.importorskip("accelerate")
    model = _mlp(nn.ReLU)
    acc = accelerate.Accelerator(cpu=True, gradient_accumulation_steps=2)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    model, opt = acc.prepare(model, opt)
    x, y = torch.randn(8, 4), torch.randn(8, 1)
    norms = []
    with gradlab.watch(model, optimizer=opt, every=1) as w:
        for _ in range(6):  # six micro-batches: three updates
            with acc.accumulate(model):
                loss = nn.functional.mse_loss(model(x), y)
                acc.backward(loss)
                if acc.sync_gradients:
                    norms.append(_layer_grad_norm(model, "fc1"))
                opt.step()
                opt.zero_grad()
    assert w.step_index == 3
    assert w.vitals.series("fc1", "grad_norm")[1] == pytest.approx(norms, rel=1e-5)


def test_lightning_optimizer_wrapper_is_unwrapped():
    pytest.importorskip("lightning")
    from lightning.pytorch.core.optimizer import LightningOptimizer

    model = _mlp()
    inner = torch.optim.Adam(model.parameters(), lr=1e-3)
    w = gradlab.watch(model, optimizer=LightningOptimizer(inner))
    assert w.optimizer is inner


@pytest.mark.parametrize("dtype", [torch.float64, torch.bfloat16], ids=["float64", "bfloat16"])
def test_float64_and_bf16_models_train_and_report_true_gradient_norms(dtype):
    model = _mlp(nn.ReLU, dtype=dtype)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.randn(16, 4, dtype=dtype), torch.randn(16, 1, dtype=dtype)
    outs = []

    def keep_out_grad(m, a, o):
        o.register_hook(lambda g: outs.append(g.double().norm()))

    model.fc2.register_forward_hook(keep_out_grad)
    with gradlab.watch(model, optimizer=opt, every=1) as w:
        for _ in range(3):
            opt.zero_grad()
            nn.functional.mse_loss(model(x), y).backward()
            want = _layer_grad_norm(model, "fc1")
            opt.step()
            assert w.vitals.last("fc1", "grad_norm") == pytest.approx(want, rel=1e-3)
    rel = 1e-9 if dtype == torch.float64 else 1e-2
    assert w.vitals.series("fc2", "out_grad_norm")[1] == pytest.approx([float(o) for o in outs], rel=rel)


def _nan_run(every, inject, steps=60):
    model = _mlp(nn.ReLU)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.randn(32, 4), torch.randn(32, 1)
    with gradlab.watch(model, optimizer=opt, every=every) as w:
        for i in range(steps):
            xb = inject(i, model, x)
            opt.zero_grad()
            loss = nn.functional.mse_loss(model(xb), y)
            loss.backward()
            opt.step()
    return [f for f in w.findings() if f.code == "non_finite"]


def _weight_nan_at_37(i, model, x):
    if i == 37:
        with torch.no_grad():
            model.fc2.weight[3, 5] = float("nan")
    return x


@pytest.mark.parametrize("every", [1, 7, 10, 50])
def test_first_nan_weight_is_placed_exactly_between_sampled_steps(every):
    (f,) = _nan_run(every, _weight_nan_at_37)
    assert (f.layer, f.step, f.evidence["source"]) == ("fc2", 37, "weight")


@pytest.mark.parametrize("every", [1, 10])
def test_nan_in_the_data_is_traced_to_the_input(every):
    def bad_batch(i, model, x):
        if i == 23:
            x = x.clone()
            x[4, 1] = float("inf")
        return x

    (f,) = _nan_run(every, bad_batch)
    assert (f.layer, f.step, f.evidence["source"]) == ("fc1", 23, "input")


def test_healthy_run_has_no_finiteness_finding_and_no_flag_rows():
    assert _nan_run(10, lambda i, m, x: x) == []


def test_identity_is_not_an_activation_site():
    model = nn.Sequential(nn.Linear(4, 8), nn.Identity(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1))
    with gradlab.watch(model) as w:
        model(torch.randn(4, 4)).sum().backward()
        w.step()
    assert [layer.path for layer in w.layers if layer.kind == "activation"] == ["3"]
