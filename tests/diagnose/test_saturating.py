"""Which activations the fixes treat as saturating comes from ``ActivationInfo.bounded``.

Regression: two hand lists in ``diagnose/`` (one naming ``softsign``, which is not registered)
disagreed with the derivative metadata the watch measures saturation with.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gradlab.components.activations import ACTIVATIONS, activation_info, is_bounded
from gradlab.diagnose.fixes import vanishing_gradient
from gradlab.diagnose.recommend import init_for

SPELLINGS = [(alias, e.name) for e in ACTIVATIONS.entries() for alias in (e.name, *e.aliases)]


def _flat_tails(name: str) -> bool:
    """Brute force: |f'(z)| falls under 1% of its peak far out on both sides."""
    module = ACTIVATIONS.create(name)
    z = torch.tensor([-50.0, 50.0] + torch.linspace(-5, 5, 1001).tolist(), requires_grad=True)
    module(z).sum().backward()
    g = z.grad.abs()
    return bool(g[0] < 0.01 * g.max() and g[1] < 0.01 * g.max())


@pytest.mark.parametrize("spelling, name", SPELLINGS, ids=[s for s, _ in SPELLINGS])
def test_bounded_is_the_metadata_and_the_derivative(spelling, name):
    # ReLU6 has flat tails too, but its left side is ReLU's dead region: judged as unbounded
    expected = _flat_tails(name) and name != "relu6"
    assert is_bounded(spelling) == activation_info(name).bounded == expected


@pytest.mark.parametrize("spelling, name", SPELLINGS, ids=[s for s, _ in SPELLINGS])
def test_the_fixes_follow_the_metadata(spelling, name):
    bounded = activation_info(name).bounded
    assert (init_for(spelling) == "xavier_normal") == bounded
    sets = [r["set"] for r in vanishing_gradient({}, {"model.act": spelling})]
    assert ({"model.init": "xavier_normal", "model.bias_init": "zeros"} in sets) == bounded


def test_unregistered_and_missing_names_are_not_known_to_saturate():
    assert not is_bounded("softsign")  # not a registered activation
    assert not is_bounded(None) and not is_bounded("")
    assert is_bounded(nn.Tanh.__name__.lower())


@pytest.mark.parametrize("alias,name", SPELLINGS, ids=[a for a, _ in SPELLINGS])
def test_output_range_of_every_bounded_activation_is_what_it_reaches(alias, name):
    """Regression: ``pinned_activation`` kept its own table of output ranges (naming the
    unregistered ``softsign``); the range now comes from ``ActivationInfo.out_range``."""
    from gradlab.components.activations import output_range

    bounds = output_range(alias)
    if not is_bounded(alias):
        assert bounds is None
        return
    assert bounds is not None
    module = ACTIVATIONS.create(name)
    with torch.no_grad():  # brute force: the outputs far out on both sides are the bounds
        y = module(torch.tensor([-1e4, 1e4]))
    assert (float(y[0]), float(y[1])) == pytest.approx(bounds, abs=1e-6)
