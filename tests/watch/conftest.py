import torch
from torch import nn


def capture(module: nn.Module, store: list, pre: bool = True):
    """Test-side brute force: record a clone of a module's input (pre) or output every call."""
    if pre:
        return module.register_forward_pre_hook(lambda m, a: store.append(a[0].detach().clone()))
    return module.register_forward_hook(lambda m, a, o: store.append(o.detach().clone()))


def train(model, opt, x, y, steps, w=None, loss_fn=nn.functional.mse_loss, batches=None):
    for i in range(steps):
        xb, yb = (x, y) if batches is None else batches[i % len(batches)]
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        if w is not None:
            w.log(loss=loss)
    return model
