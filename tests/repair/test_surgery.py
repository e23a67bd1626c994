"""Surgery on a live (model, optimizer): each operation against the obvious by-hand twin."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gradlab.errors import ConfigError
from gradlab.repair.surgery import Patient, as_code, blocker, operate


class Functional(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(2, 8), nn.Linear(8, 1)
        self.out = nn.Sigmoid()  # a module: swapped (not a Sequential's last)

    def forward(self, x):
        return self.b(F.relu(self.a(x)))


def _pair(model, lr=0.1):
    return model, torch.optim.SGD(model.parameters(), lr=lr)


def test_functional_activation_in_forward_is_swapped_without_touching_the_class():
    torch.manual_seed(0)
    m, opt = _pair(Functional())
    x = torch.randn(16, 2) - 1.0
    want = m.b(F.leaky_relu(m.a(x), 0.1))
    operate(Patient(m, opt), {"model.act": "leaky_relu(0.1)"})
    assert torch.allclose(m(x), want)
    assert type(m).forward is Functional.forward  # the source is untouched


def test_sequential_output_activation_is_kept_and_hidden_ones_swapped():
    m, opt = _pair(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1), nn.Sigmoid()))
    operate(Patient(m, opt), {"model.act": "elu"})
    assert isinstance(m[1], nn.ELU) and isinstance(m[3], nn.Sigmoid)
    x = torch.randn(4, 2)
    assert torch.allclose(m(x), torch.sigmoid(m[2](F.elu(m[0](x)))))


def test_he_init_uses_the_new_activations_slope_for_the_gain():
    torch.manual_seed(0)
    m, opt = _pair(nn.Sequential(nn.Linear(400, 400), nn.ReLU(), nn.Linear(400, 1)))
    operate(Patient(m, opt, act="relu"), {"model.act": "leaky_relu(0.5)", "model.init": "he_normal",
                                          "model.bias_init": "zeros"})
    want = math.sqrt(2.0 / (1 + 0.5**2) / 400)  # He et al. 2015 for a leaky slope a
    assert m[0].weight.std().item() == pytest.approx(want, rel=0.03)
    assert torch.all(m[0].bias == 0)


def test_optimizer_class_and_lr_change_on_the_same_parameters():
    m, opt = _pair(nn.Linear(3, 1), lr=0.01)
    p = operate(Patient(m, opt), {"train.optimizer": "adam", "train.lr": 0.05})
    assert isinstance(p.opt, torch.optim.Adam)
    assert [q for g in p.opt.param_groups for q in g["params"]] == list(m.parameters())
    assert p.opt.param_groups[0]["lr"] == 0.05


def test_clipping_hook_steps_as_clip_grad_norm_in_the_loop_would():
    torch.manual_seed(0)
    a = nn.Linear(4, 1)
    b = nn.Linear(4, 1)
    b.load_state_dict(a.state_dict())
    x = torch.randn(8, 4) * 100
    pa = operate(Patient(*_pair(a)), {"train.clip_norm": 1.0})
    opt_b = torch.optim.SGD(b.parameters(), lr=0.1)
    for model, opt in ((a, pa.opt), (b, opt_b)):
        opt.zero_grad()
        model(x).pow(2).mean().backward()
        if model is b:
            torch.nn.utils.clip_grad_norm_(b.parameters(), 1.0)
        opt.step()
    assert torch.allclose(a.weight, b.weight) and torch.allclose(a.bias, b.bias)


def test_cosine_schedule_by_hook_follows_the_formula_over_the_original_steps():
    m, opt = _pair(nn.Linear(2, 1), lr=0.1)
    p = operate(Patient(m, opt, total_steps=10), {"train.schedule": "cosine"})
    for _ in range(4):
        p.opt.zero_grad()
        m(torch.randn(2, 2)).sum().backward()
        p.opt.step()
    assert p.opt.param_groups[0]["lr"] == pytest.approx(0.1 * (1 + math.cos(math.pi * 4 / 10)) / 2)


def test_norm_goes_into_a_sequential_and_its_parameters_into_the_optimizer():
    m, opt = _pair(nn.Sequential(nn.Linear(2, 5), nn.Tanh(), nn.Linear(5, 1)))
    operate(Patient(m, opt), {"model.norm": "batch"})
    assert [type(c).__name__ for c in m] == ["Linear", "BatchNorm1d", "Tanh", "Linear"]
    trained = {id(q) for g in opt.param_groups for q in g["params"]}
    assert all(id(q) in trained for q in m.parameters())


class Wrapped(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(2, 6), nn.Sigmoid(), nn.Linear(6, 6), nn.Sigmoid())
        self.head = nn.Linear(6, 1)

    def forward(self, x):
        return self.head(self.body(x))


def test_norm_goes_into_a_sequential_inside_the_users_module():
    torch.manual_seed(0)
    m, opt = _pair(Wrapped())
    operate(Patient(m, opt), {"model.norm": "batch"})
    assert [type(c).__name__ for c in m.body] == ["Linear", "BatchNorm1d", "Sigmoid", "Linear", "BatchNorm1d",
                                                  "Sigmoid"]
    x = torch.randn(16, 2)
    b = m.body
    by_hand = m.head(torch.sigmoid(F.batch_norm(b[3](torch.sigmoid(F.batch_norm(b[0](x), None, None, training=True))),
                                                None, None, training=True)))
    assert torch.allclose(m(x), by_hand, atol=1e-5)
    trained = {id(q) for g in opt.param_groups for q in g["params"]}
    assert all(id(q) in trained for q in m.parameters())


def test_what_cannot_be_applied_is_named():
    m, opt = _pair(Functional())
    assert "forward()" in blocker(Patient(m, opt), {"model.norm": "batch"})
    assert "no surgery for pre_layer_norm" in blocker(Patient(m, opt), {"model.pre_norm": True})
    assert "no surgery for model.depth=3" in blocker(Patient(m, opt), {"model.depth": 3})
    with pytest.raises(ConfigError):
        operate(Patient(m, opt), {"model.norm": "batch"})


def test_code_is_plain_pytorch_from_the_one_table_of_code_fixes():
    changes = {"model.act": "leaky_relu(0.1)", "model.init": "he_normal", "model.bias_init": "zeros",
               "train.clip_norm": 1.0}
    code = as_code(changes, act="relu")
    assert "nn.LeakyReLU(0.1)" in code
    assert 'nn.init.kaiming_normal_(m.weight, a=0.1, nonlinearity="leaky_relu")' in code
    assert "torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)" in code
    # the recommendation a finding carries has the same code, where it has the same context
    from gradlab.diagnose.code_fixes import complete

    assert complete({"set": changes}, {"model.act": "relu"})["code"] == code


def test_a_deep_copy_of_a_repaired_model_runs_its_own_weights():
    # checkpointing code deep-copies models; the swap must follow the copy, not the original
    import copy

    torch.manual_seed(0)
    m, opt = _pair(Functional())
    operate(Patient(m, opt), {"model.act": "leaky_relu(0.1)"})
    twin = copy.deepcopy(m)
    with torch.no_grad():
        twin.a.weight.mul_(2.0)
    x = torch.randn(8, 2)
    assert torch.allclose(twin(x), twin.b(F.leaky_relu(twin.a(x), 0.1)))
    assert not torch.allclose(twin(x), m(x))
