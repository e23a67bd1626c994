"""The seed articles' three broken networks in plain PyTorch, as a user would write them (seed 002).

2-5-1 sigmoid with every weight and bias 0 (SGD 0.2); 2-3-3-3-3-1 sigmoid with N(0, 0.01) weights
and biases 1 (SGD 0.01); the same net with ReLU and biases -8. Full batch on two moons, 200 steps;
``train`` returns the dev accuracy.
"""

import torch
from torch import nn

import gradlab
from gradlab.data import create_task

TASK = create_task("moons", seed=0)


class Net(nn.Module):
    def __init__(self, sizes, act):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
        self.act = act  # a function, called in forward: the seed's ``self.act = torch.sigmoid`` style

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = self.act(layer(x))
        return self.layers[-1](x)


def seed_net(sizes, act, w_std, bias, lr):
    def build(seed):
        torch.manual_seed(seed)
        model = Net(sizes, act)
        for layer in model.layers:
            nn.init.normal_(layer.weight, 0.0, w_std) if w_std else nn.init.zeros_(layer.weight)
            nn.init.constant_(layer.bias, bias)
        return model, torch.optim.SGD(model.parameters(), lr=lr)

    return build


BUILDS = {
    "zero-init": seed_net([2, 5, 1], torch.sigmoid, 0.0, 0.0, 0.2),
    "vanishing": seed_net([2, 3, 3, 3, 3, 1], torch.sigmoid, 0.01, 1.0, 0.01),
    "dying-relu": seed_net([2, 3, 3, 3, 3, 1], torch.relu, 0.01, -8.0, 0.01),
}


def train(model, opt, steps=200):
    (x, y), (xd, yd) = TASK.train, TASK.dev
    loss_fn = nn.BCEWithLogitsLoss()
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        gradlab.log(loss=loss)
    with torch.no_grad():
        return ((model(xd) > 0).float() == yd).float().mean()
