"""BatchNorm, LayerNorm and PReLU on a member axis: each member is the layer trained alone.

Reference: the members' own single networks, trained side by side with the same optimizer on the
same batches; every member's outputs, gradients, running statistics and eval-mode outputs are
compared with its own network's after each step.
"""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from gradlab.models.member_activations import MemberPReLU
from gradlab.models.member_norms import MemberBatchNorm, MemberLayerNorm
from gradlab.models.members import member_state, stack_members
from gradlab.models.mlp import mlp


def _train_side_by_side(alone: list[nn.Module], steps: int = 6, batch: int = 16, optimizer=torch.optim.SGD):
    """Train the stacked members and each member alone on its own batches; compare every step."""
    net = stack_members([copy.deepcopy(m) for m in alone])
    opt = optimizer(net.parameters(), lr=0.1)
    own = [optimizer(m.parameters(), lr=0.1) for m in alone]
    m, width = len(alone), alone[0][0].in_features
    for _ in range(steps):
        x = torch.randn(m, batch, width) * 2 + 0.5
        out = net(x)
        opt.zero_grad()
        out.pow(2).mean(dim=(1, 2)).sum().backward()
        for i, (model, o) in enumerate(zip(alone, own)):
            single = model(x[i])
            o.zero_grad()
            single.pow(2).mean().backward()
            torch.testing.assert_close(out[i], single, rtol=1e-5, atol=1e-6)
            for (name, p), q in zip(net.named_parameters(), model.parameters()):
                torch.testing.assert_close(p.grad[i], q.grad, rtol=1e-4, atol=1e-6, msg=name)
            o.step()
        opt.step()
    net.eval()
    x = torch.randn(7, width)
    out = net(x)
    for i, model in enumerate(alone):
        model.eval()
        torch.testing.assert_close(out[i], model(x), rtol=1e-5, atol=1e-6)  # running statistics
        state = member_state(net, i)
        assert state.keys() == model.state_dict().keys()
        for name, t in model.state_dict().items():
            torch.testing.assert_close(state[name], t, rtol=1e-4, atol=1e-6, msg=name)
    return net


# not Adam with BatchNorm before the activation: it cancels the Linear bias before it, whose gradient
# is then rounding noise that Adam turns into full steps (tests/study/test_ensemble.py)
CASES = [(norm, position, opt) for norm in ("batch", "layer") for position in ("before", "after")
         for opt in (torch.optim.SGD, torch.optim.Adam) if (norm, position, opt) != ("batch", "before", torch.optim.Adam)]


@pytest.mark.parametrize("norm, position, optimizer", CASES,
                         ids=[f"{n}-{p}-{o.__name__.lower()}" for n, p, o in CASES])
def test_each_member_normalises_trains_and_tracks_statistics_as_its_own_network(norm, position, optimizer):
    alone = []
    for seed in (3, 7, 11):
        torch.manual_seed(seed)
        alone.append(mlp((4,), 2, hidden=[6, 5], act="tanh", norm=norm, norm_position=position))
    net = _train_side_by_side(alone, optimizer=optimizer)
    kind = MemberBatchNorm if norm == "batch" else MemberLayerNorm
    assert [n for n, _ in net.named_children()][:3] == (
        ["fc1", "norm1", "act1"] if position == "before" else ["fc1", "act1", "norm1"])
    assert isinstance(net.norm1, kind) and net.norm1.weight.shape == (3, 6)
    if norm == "batch":
        assert net.norm1.running_mean.shape == (3, 6) and net.norm1.num_batches_tracked.tolist() == [6, 6, 6]


@pytest.mark.parametrize(
    "make",
    [
        lambda: nn.BatchNorm1d(5, momentum=None),  # cumulative average: 1 / num_batches_tracked
        lambda: nn.BatchNorm1d(5, momentum=0.3, eps=1e-3, affine=False),
        lambda: nn.BatchNorm1d(5, track_running_stats=False),  # batch statistics in eval mode too
        lambda: nn.LayerNorm(5, elementwise_affine=False),
        lambda: nn.LayerNorm(5, bias=False),
    ],
    ids=["bn-cumulative", "bn-no-affine", "bn-untracked", "ln-no-affine", "ln-no-bias"],
)
def test_norm_options_are_each_members_own(make):
    alone = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        alone.append(nn.Sequential(nn.Linear(3, 5), make(), nn.ReLU(), nn.Linear(5, 1)))
        with torch.no_grad():  # away from the default 1 and 0, so a mixed-up member would show
            for p in alone[-1][1].parameters():
                p.uniform_(0.5, 1.5)
    _train_side_by_side(alone)


def test_members_with_different_norm_options_do_not_share_a_layer():
    from gradlab.models.members import NotBatchable

    torch.manual_seed(0)
    a = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3, momentum=0.1), nn.ReLU(), nn.Linear(3, 1))
    b = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3, momentum=0.2), nn.ReLU(), nn.Linear(3, 1))
    with pytest.raises(NotBatchable, match="momentum"):
        stack_members([a, b])
    c = nn.Sequential(nn.Linear(2, 3), nn.LayerNorm(3), nn.ReLU(), nn.Linear(3, 1))
    with pytest.raises(NotBatchable, match="layer types"):
        stack_members([a, c])


@pytest.mark.parametrize("act", ["prelu", "prelu(6)", "prelu(init=-0.3)"])
@pytest.mark.parametrize("optimizer", [torch.optim.SGD, torch.optim.Adam], ids=["sgd", "adam"])
def test_each_member_learns_its_own_prelu_slopes(act, optimizer):
    """One slope or one per channel, each member's own, stepped as its own network steps it."""
    alone = []
    for seed in (3, 7, 11):
        torch.manual_seed(seed)
        alone.append(mlp((4,), 2, hidden=[6, 6], act=act))
    net = _train_side_by_side(alone, optimizer=optimizer)
    assert isinstance(net.act1, MemberPReLU) and net.act1.weight.shape == (3, alone[0].act1.num_parameters)
    assert not torch.equal(net.act1.weight[0], net.act1.weight[1])  # the slopes learnt apart


def test_prelu_members_that_start_from_different_slopes_do_not_share_a_layer():
    from gradlab.models.members import NotBatchable

    a, b = mlp((2,), 1, hidden=[3], act="prelu(init=0.1)"), mlp((2,), 1, hidden=[3], act="prelu(init=0.25)")
    with pytest.raises(NotBatchable, match="slopes"):
        stack_members([a, b])
