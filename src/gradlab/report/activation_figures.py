"""Figures about activations themselves: histograms, their history, shapes and mean shift.

- :func:`activation_histograms`: positive and negative outputs side by side (seed 000's
  ``plot_activation_stats``), one row per model or group.
- :func:`colorful_dimension`: one layer's histogram over time as an image, negative values kept
  (the "colorful dimension" view of activations, with time on x and value on y).
- :func:`activation_shapes`: f(z) and f'(z) of any registered activations at once (seeds
  003/004), the derivative from :func:`gradlab.components.activations.activation_info`.
- :func:`output_mean_shift`: what an activation does to the mean of N(0, 1) inputs (seed 001:
  ReLU moves it to 1/sqrt(2*pi) ~ 0.399, GELU to 1/(2*sqrt(pi)) ~ 0.282).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import torch
from matplotlib.figure import Figure

from gradlab.report._style import SEED_TRAIN, color, legend, new_figure, placeholder, short


def _flat(values) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().double().numpy()
    arr = np.asarray(values, dtype=float).ravel()
    return arr[np.isfinite(arr)]


def activation_histograms(values: Any, bins: int = 50, title: str | None = None) -> Figure:
    """Histograms of positive (left) and negative (right) activation values.

    Args:
        values: an array or tensor of activation outputs (any shape), or a mapping
            label -> array for one row per label (e.g. ReLU vs LeakyReLU).
        bins: histogram bins per panel.
        title: optional title.
    """
    rows = dict(values) if isinstance(values, Mapping) else {"": values}
    fig, axes = new_figure(2, max(1, len(rows)), width=4.2, height=2.5)
    for r, (label, vals) in enumerate(rows.items()):
        arr = _flat(vals)
        pos, neg = arr[arr >= 0], arr[arr < 0]
        for ax, part, col, name in ((axes[r][0], pos, color(0), "positive"),
                                    (axes[r][1], neg, "#D55E00", "negative")):
            # the row's label once, on a line of its own over the left panel: a long label
            # beside each panel's text ran into the neighbouring panel
            head = f"{short(label, 40)}\n" if label and ax is axes[r][0] else ""
            if part.size == 0:
                placeholder(ax, f"{head}no {name} activations")
                continue
            ax.hist(part, bins=bins, color=col, alpha=0.8)
            ax.set_title(f"{head}{name} activations ({part.size / max(arr.size, 1):.0%})", fontsize="medium")
            ax.set_ylabel("count")
    for ax in axes[-1]:
        ax.set_xlabel("activation value")
    if title:
        fig.suptitle(title)
    return fig


def colorful_dimension(snapshots: Sequence[Any], steps: Sequence[int] | None = None,
                       bins: int = 60, title: str | None = None, xlabel: str = "epoch") -> Figure:
    """One layer's activation histogram over time as an image (time on x, value on y).

    The value range covers every snapshot and keeps negative values, so a LeakyReLU's negative
    tail or a collapse of the whole layer onto zero is visible. Counts are shown as log(1 + n).

    Args:
        snapshots: one array of activation values per point in time.
        steps: the time of each snapshot (epochs by default 0, 1, ...).
        bins: number of value bins.
        title: optional title.
        xlabel: label of the time axis.
    """
    fig, axes = new_figure(1, width=6.0, height=3.4)
    ax = axes[0][0]
    arrays = [_flat(s) for s in snapshots]
    nonempty = [a for a in arrays if a.size]
    if not nonempty:
        placeholder(ax, "no activations recorded")
        return fig
    lo = min(float(a.min()) for a in nonempty)
    hi = max(float(a.max()) for a in nonempty)
    if hi - lo < 1e-12:  # a dead layer: everything at one value still deserves a visible row
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, bins + 1)
    image = np.stack([np.histogram(a, bins=edges)[0] for a in arrays], axis=1)
    times = [float(s) for s in (range(len(arrays)) if steps is None else steps)]
    x0, x1 = (times[0], times[-1]) if len(times) > 1 else (times[0] - 0.5, times[0] + 0.5)
    im = ax.imshow(np.log1p(image), aspect="auto", origin="lower", cmap="viridis",
                   extent=(x0, x1, lo, hi), interpolation="nearest")
    if lo < 0 < hi:
        ax.axhline(0.0, color="white", lw=0.6, alpha=0.7)
    fig.colorbar(im, ax=ax, label="log(1 + count)")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("activation value")
    if title:
        ax.set_title(title, fontsize="medium")
    return fig


def _label(obj: Any) -> str:
    if isinstance(obj, str):
        return obj
    if isinstance(obj, torch.nn.Module):  # "LeakyReLU(negative_slope=0.2)" tells slopes apart
        text = repr(obj)
        return text if len(text) <= 40 and "\n" not in text else type(obj).__name__
    return getattr(obj, "__name__", type(obj).__name__)


def _as_callable(obj: Any):
    """A module or function for ``obj`` (a registered spec, an nn.Module, a function)."""
    if isinstance(obj, type) and issubclass(obj, torch.nn.Module):
        return obj()
    if isinstance(obj, str):
        from gradlab.components.activations import create_activation  # lazy: optional at import

        return create_activation(obj)
    return obj


def _derivative(obj: Any, fn, z: torch.Tensor) -> torch.Tensor:
    """f'(z) from the registry's ActivationInfo, or by autograd for anything unregistered."""
    from gradlab.components.activations import activation_info

    info = activation_info(obj) if not isinstance(obj, type) else activation_info(fn)
    if info is not None:
        return info.derivative(z.detach()).detach()
    zz = z.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(fn(zz).sum(), zz)
    return g.detach()


def activation_shapes(activations: Sequence[Any], z_range: tuple[float, float] = (-5.0, 5.0),
                      points: int = 401, title: str | None = None) -> Figure:
    """The shape f(z) (left) and derivative f'(z) (right) of several activations at once.

    Args:
        activations: registered specs (``"relu"``, ``"leaky_relu(0.2)"``, ``"selu"``),
            ``nn.Module`` instances or classes, or plain functions such as ``torch.tanh``.
        z_range: the pre-activation interval to draw.
        points: samples over ``z_range``.
        title: optional title.
    """
    fig, axes = new_figure(2, width=4.3, height=3.2)
    ax_f, ax_d = axes[0]
    z = torch.linspace(float(z_range[0]), float(z_range[1]), points)
    for i, obj in enumerate(activations):
        fn = _as_callable(obj)
        if isinstance(fn, torch.nn.Module):
            fn.eval()  # rrelu and dropout-like modules are deterministic in eval mode
        with torch.no_grad():
            y = fn(z.clone())
        d = _derivative(obj, fn, z)
        ax_f.plot(z.numpy(), y.numpy(), color=color(i), lw=1.6, label=_label(obj))
        ax_d.plot(z.numpy(), d.numpy(), color=color(i), lw=1.6, label=_label(obj))
    for ax, name in ((ax_f, "f(z)"), (ax_d, "f'(z)")):
        ax.axhline(0, color="#888888", lw=0.6)
        ax.axvline(0, color="#888888", lw=0.6)
        ax.set_xlabel("pre-activation z")
        ax.set_title(name, fontsize="medium")
        ax.grid(alpha=0.3)
    legend(ax_f, len(activations))
    if title:
        fig.suptitle(title)
    return fig


def output_means(activations: Sequence[Any], n: int = 100_000, seed: int = 0) -> dict[str, float]:
    """Mean output of each activation on ``n`` draws of N(0, 1) (the same draws for all)."""
    x = torch.randn(n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    out = {}
    for obj in activations:
        fn = _as_callable(obj)
        if isinstance(fn, torch.nn.Module):
            fn = fn.double().eval()
        with torch.no_grad():
            out[_label(obj)] = float(fn(x.clone()).mean())
    return out


def output_mean_shift(activations: Sequence[Any], n: int = 20_000, seed: int = 0,
                      title: str | None = None) -> Figure:
    """How far each activation moves the mean of N(0, 1) inputs (seed 001's ReLU vs GELU).

    Left: the output distributions with their means marked; right: the mean per activation
    beside the input's. A mean far from zero is the "non-zero-centred" bias the next layer has to
    absorb.

    Args:
        activations: specs, modules or functions, as for :func:`activation_shapes`.
        n: number of N(0, 1) samples.
        seed: seed of the samples.
        title: optional title.
    """
    x = torch.randn(n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    fig, axes = new_figure(2, width=4.3, height=3.2)
    ax_h, ax_b = axes[0]
    means = output_means(activations, n=n, seed=seed)
    for i, obj in enumerate(activations):
        fn = _as_callable(obj)
        if isinstance(fn, torch.nn.Module):
            fn = fn.double().eval()
        with torch.no_grad():
            y = fn(x.clone()).numpy()
        ax_h.hist(y, bins=80, histtype="step", color=color(i), lw=1.3, label=_label(obj))
        ax_h.axvline(means[_label(obj)], color=color(i), ls="--", lw=1)
    ax_h.set_xlabel("output value")
    ax_h.set_ylabel("count")
    ax_h.set_title("outputs on N(0, 1) inputs", fontsize="medium")
    legend(ax_h, len(activations))
    labels = list(means)
    ax_b.bar(range(len(labels)), [means[k] for k in labels],
             color=[color(i) for i in range(len(labels))])
    ax_b.axhline(float(x.mean()), color=SEED_TRAIN, ls="--", lw=1.2, label="input mean")
    ax_b.set_xticks(range(len(labels)), labels, rotation=20 if len(labels) > 3 else 0)
    ax_b.set_ylabel("output mean")
    ax_b.set_title("mean shift", fontsize="medium")
    ax_b.legend(fontsize="small", frameon=False)
    lo, hi = ax_b.get_ylim()
    ax_b.set_ylim(lo, hi + 0.12 * (hi - lo))  # room for the value labels
    for i, k in enumerate(labels):
        ax_b.annotate(f"{means[k]:+.3f}", (i, means[k]), ha="center", va="bottom", fontsize="small")
    if title:
        fig.suptitle(title)
    return fig
