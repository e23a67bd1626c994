"""MC dropout (Gal & Ghahramani, 2016): T stochastic forward passes at test time.

Dropout stays on while everything else is in eval mode (BatchNorm uses its running statistics),
so the T predictions are draws from the approximate posterior predictive: their mean is the
model average, their variance the model's uncertainty about that input ("I know that I don't
know"). :func:`far_points` makes inputs far from the training data and :func:`auroc` scores how
well an uncertainty tells them from the test inputs.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from gradlab.errors import ConfigError

MC_SAMPLES = 30


def dropout_modules(model: nn.Module) -> list[nn.Module]:
    """Every dropout module of ``model`` (Dropout, AlphaDropout, Dropout2d, ...)."""
    return [m for m in model.modules() if isinstance(m, nn.modules.dropout._DropoutNd)]


@torch.no_grad()
def mc_predict(model: nn.Module, x: Tensor, T: int = MC_SAMPLES, *, probs: bool = True,
               seed: int | None = None) -> tuple[Tensor, Tensor]:
    """Mean and variance of ``T`` forward passes with dropout on and everything else in eval mode.

    Args:
        model: a network with at least one dropout module.
        x: the inputs (moved to the model's device).
        T: the number of stochastic passes (>= 2).
        probs: average probabilities (sigmoid for one output, softmax for several) rather than
            raw outputs: the Bayesian model average of a classifier.
        seed: when given, the dropout masks come from this seed and the global random stream is
            left as it was.

    Returns:
        ``(mean, variance)``, each of the model's output shape; the variance is the unbiased
        variance over the T passes.

    Raises:
        ConfigError: no dropout in the model (the T passes would be identical) or T < 2.
    """
    if isinstance(T, bool) or not isinstance(T, int) or T < 2:
        raise ConfigError(f"mc_predict needs T >= 2 stochastic passes, got T={T!r}")
    drops = dropout_modules(model)
    if not drops:
        raise ConfigError("mc_predict needs a model with dropout: without it the T passes are "
                          "identical; build the model with dropout, e.g. model.dropout = 0.2")
    modes = {m: m.training for m in model.modules()}
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    model.eval()
    for m in drops:
        m.train()
    try:
        with torch.random.fork_rng(devices=[] if device.type == "cpu" else [device]):
            if seed is not None:
                torch.manual_seed(seed)
            outs = torch.stack([_as_probs(model(x.to(device)), probs) for _ in range(T)])
    finally:
        for m, was in modes.items():
            m.training = was
    return outs.mean(0), outs.var(0, unbiased=True)


def _as_probs(out: Tensor, probs: bool) -> Tensor:
    if not probs:
        return out
    return torch.sigmoid(out) if out.shape[-1] == 1 else torch.softmax(out, dim=-1)


def far_points(x_train: Tensor, n: int, *, near: float = 2.0, far: float = 4.0, seed: int = 0) -> Tensor:
    """``n`` inputs far from the training data: at a distance between ``near`` and ``far`` times
    the training set's radius (its largest distance from its mean), in random directions."""
    flat = x_train.reshape(len(x_train), -1).double()
    centre = flat.mean(0)
    radius = (flat - centre).norm(dim=1).max()
    g = torch.Generator().manual_seed(seed)
    direction = torch.randn(n, flat.shape[1], generator=g, dtype=torch.float64)
    direction = direction / direction.norm(dim=1, keepdim=True)
    dist = radius * (near + (far - near) * torch.rand(n, 1, generator=g, dtype=torch.float64))
    return (centre + direction * dist).to(x_train.dtype).reshape(n, *x_train.shape[1:])


def auroc(positive: Tensor, negative: Tensor) -> float:
    """The probability that a random positive scores above a random negative (ties count half):
    the area under the ROC curve, from ranks (Mann & Whitney, 1947)."""
    pos, neg = positive.reshape(-1).double(), negative.reshape(-1).double()
    if len(pos) == 0 or len(neg) == 0:
        raise ConfigError("auroc needs at least one positive and one negative score")
    scores = torch.cat([pos, neg])
    order = scores.argsort()
    ranks = torch.empty_like(scores)
    ranks[order] = torch.arange(1, len(scores) + 1, dtype=torch.float64)
    # tied scores share the mean of their ranks
    uniq, inverse = torch.unique(scores, return_inverse=True)
    sums = torch.zeros(len(uniq), dtype=torch.float64).index_add_(0, inverse, ranks)
    counts = torch.zeros(len(uniq), dtype=torch.float64).index_add_(0, inverse, torch.ones_like(ranks))
    ranks = (sums / counts)[inverse]
    u = ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2
    return float(u / (len(pos) * len(neg)))


def mc_metrics(model: nn.Module, task, seed: int, T: int = MC_SAMPLES) -> dict:
    """MC-dropout scores of a trained classifier on its task's test split.

    Returns ``mc_test_accuracy`` (accuracy of the mean prediction), ``mc_test_uncertainty`` and
    ``mc_far_uncertainty`` (mean total predictive variance on the test inputs and on as many
    :func:`far_points`), and ``ood_auroc``: how well that variance tells far points from test
    points (0.5 = not at all, 1 = perfectly).
    """
    from gradlab.train.metrics import accuracy

    x_test, y_test = task.test
    mean, var = mc_predict(model, x_test, T, seed=seed)
    y_test = y_test.to(mean.device)
    # accuracy() reads logits: the logit of p is > 0 where p > 0.5, log p keeps the argmax
    scores = torch.logit(mean.clamp(1e-7, 1 - 1e-7)) if mean.shape[-1] == 1 else mean.clamp_min(1e-12).log()
    _, var_far = mc_predict(model, far_points(task.train[0], len(x_test), seed=seed), T, seed=seed + 1)
    u_test, u_far = var.sum(-1), var_far.sum(-1)
    return {"mc_test_accuracy": float(accuracy(scores, y_test)), "mc_test_uncertainty": float(u_test.mean()),
            "mc_far_uncertainty": float(u_far.mean()), "ood_auroc": auroc(u_far, u_test)}
