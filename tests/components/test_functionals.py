"""The one functional-activation table: the registry and the watch recognise the same calls.

Regression: the table lived twice (``components/activations.py`` and ``watch/functional.py``)
and the copies disagreed on ``F.prelu``, ``F.rrelu``, ``torch.celu``, ``F.elu_`` and
``torch.special.expit``.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import gradlab
from gradlab.components.activations import ACTIVATIONS, activation_info
from gradlab.components.functionals import ENTRIES, functional_kwargs

# Arguments a call needs besides the input (PReLU has no default slope).
NEEDS = {"prelu": {"weight": torch.tensor([0.25])}}
IDS = [e.path for e in ENTRIES]


def test_the_table_covers_the_spellings_that_once_disagreed():
    paths = {e.path for e in ENTRIES}
    assert {"F.prelu", "F.rrelu", "torch.celu", "F.elu_", "torch.special.expit"} <= paths
    assert any(e.inplace for e in ENTRIES) and any(not e.inplace for e in ENTRIES)


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_the_registry_recognises_every_entry(entry):
    assert entry.name in ACTIVATIONS
    info = activation_info(entry.fn, **NEEDS.get(entry.name, {}))
    assert info is not None and info.name == entry.name


class _Calls(nn.Module):
    """``fc`` then the functional under test, as a user writes it inside ``forward``."""

    def __init__(self, fn, kwargs):
        super().__init__()
        self.fc, self.head = nn.Linear(3, 8), nn.Linear(8, 1)
        self.fn, self.kwargs = fn, kwargs

    def forward(self, x):
        return self.head(self.fn(self.fc(x), **self.kwargs))


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_the_watch_makes_a_site_of_every_entry(entry):
    torch.manual_seed(0)
    model = _Calls(entry.fn, NEEDS.get(entry.name, {}))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    seen = []
    model.fc.register_forward_hook(lambda m, a, o: seen.append(o.detach().clone()))
    x, y = torch.randn(16, 3), torch.randn(16, 1)
    with gradlab.watch(model, optimizer=opt, every=1) as w:
        opt.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        opt.step()
    sites = {layer.path: layer.act for layer in w.layers if layer.kind == "activation"}
    site = f":{entry.name}#0"
    assert sites == {site: entry.name}
    # an in-place form overwrites its input: the site must have read it before the call
    z = seen[0].double()
    assert w.vitals.last(site, "pre_mean") == pytest.approx(z.mean().item(), rel=1e-5, abs=1e-7)
    assert w.vitals.last(site, "neg_frac") == pytest.approx((z < 0).double().mean().item())


def test_positional_parameters_follow_each_callable():
    # the in-place form takes no ``inplace`` flag, so its second positional is not one
    assert functional_kwargs(F.leaky_relu_, (0.3,)) == {"negative_slope": 0.3}
    assert functional_kwargs(F.elu_, (0.5,)) == {"alpha": 0.5}
    assert functional_kwargs(torch.celu, (2.0,)) == {"alpha": 2.0}
    assert functional_kwargs(F.rrelu, (0.1, 0.2, True, False)) == {"lower": 0.1, "upper": 0.2}
    assert functional_kwargs(F.relu, (True,)) == {}


@pytest.mark.parametrize("slope, dead", [(0.0, 1.0), (0.3, 0.0)], ids=["slope0", "slope0.3"])
def test_the_watch_reads_a_positional_slope_of_an_inplace_call(slope, dead):
    model = _Calls(lambda h: F.leaky_relu_(h, slope), {})
    with torch.no_grad():  # every pre-activation is -1: dead exactly when the slope is 0
        model.fc.weight.zero_()
        model.fc.bias.fill_(-1.0)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    with gradlab.watch(model, optimizer=opt, every=1) as w:
        model(torch.randn(4, 3)).sum().backward()
        opt.step()
    (layer,) = [layer for layer in w.layers if layer.kind == "activation"]
    assert layer.path == ":leaky_relu#0"
    assert w.vitals.last(layer.path, "dead_frac") == dead
