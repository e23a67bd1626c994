"""The training loop a user writes, for tests that only need some steps run under a watch.

Importable from every test folder (``pythonpath = ["tests"]`` in pyproject.toml).
"""

from torch import nn


def mse_steps(w, model, opt, x, y, steps, before=None):
    """``steps`` plain steps (zero_grad, MSE loss, backward, step), each loss logged to the watch
    ``w``; ``before(i)``, if given, runs at the start of step ``i``."""
    for i in range(steps):
        if before is not None:
            before(i)
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        w.log(loss=loss)
