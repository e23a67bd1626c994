"""The MLP builder's member axis: M networks as one, each member exactly the network built alone."""

from __future__ import annotations

import pytest
import torch

from gradlab.errors import ConfigError
from gradlab.models.members import MemberGroups, MemberLinear, member_state, stack_members
from gradlab.models.mlp import mlp


@pytest.mark.parametrize("act", ["relu", "tanh", "leaky_relu(0.2)"])
def test_members_are_the_networks_the_builder_makes_alone_under_their_seeds(act):
    seeds = [3, 7, 11]
    net = mlp((2,), 1, hidden=[5, 4], act=act, init="he_normal", members=seeds)
    assert [n for n, _ in net.named_children()] == ["fc1", "act1", "fc2", "act2", "fc3"]
    assert isinstance(net.fc1, MemberLinear) and net.fc1.weight.shape == (3, 5, 2)
    x = torch.randn(9, 2)
    out = net(x)
    assert out.shape == (3, 9, 1)
    for i, seed in enumerate(seeds):
        torch.manual_seed(seed)
        alone = mlp((2,), 1, hidden=[5, 4], act=act, init="he_normal")
        state = member_state(net, i)
        assert state.keys() == alone.state_dict().keys()
        for name, p in alone.state_dict().items():
            torch.testing.assert_close(state[name], p, rtol=0, atol=0)
        torch.testing.assert_close(out[i], alone(x), rtol=1e-6, atol=1e-7)
        # per-member inputs [M, N, in] give each member its own rows
        torch.testing.assert_close(net(x.expand(3, -1, -1))[i], alone(x), rtol=1e-6, atol=1e-7)


def test_members_with_different_slopes_keep_each_members_own_activation():
    torch.manual_seed(0)
    a = mlp((2,), 1, hidden=[4], act="leaky_relu(0.01)")
    b = mlp((2,), 1, hidden=[4], act="leaky_relu(0.3)")
    net = stack_members([a, b, a])
    assert isinstance(net.act1, MemberGroups)
    assert [idx for idx, _ in net.act1.groups()] == [[0, 2], [1]]
    x = torch.randn(8, 2) * 3
    out = net(x)
    for i, model in enumerate([a, b, a]):
        torch.testing.assert_close(out[i], model(x), rtol=1e-6, atol=1e-7)


def test_one_backward_of_the_summed_losses_gives_each_member_its_own_gradient():
    net = mlp((2,), 1, hidden=[3], members=[0, 1])
    x = torch.randn(6, 2)
    net(x).pow(2).mean(dim=(1, 2)).sum().backward()
    for i in range(2):
        torch.manual_seed(i)
        alone = mlp((2,), 1, hidden=[3])
        alone(x).pow(2).mean().backward()
        for (name, p), (_, q) in zip(net.named_parameters(), alone.named_parameters()):
            torch.testing.assert_close(p.grad[i], q.grad, rtol=1e-5, atol=1e-7, msg=name)


def test_layers_the_member_axis_cannot_hold_are_a_config_error():
    with pytest.raises(ConfigError, match="member axis"):
        mlp((2,), 1, hidden=[3], dropout=0.2, members=2)
    with pytest.raises(ConfigError, match="member axis"):
        mlp((2,), 1, hidden=[3], act="rrelu", members=2)
    with pytest.raises(ConfigError, match="members"):
        mlp((2,), 1, hidden=[3], members=0)
