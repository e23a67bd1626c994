"""Training curves of a few groups, on axes one diverged seed cannot flatten.

Lines are medians over seeds and bands the interquartile range: a seed whose loss explodes to
5000 does not move the median, where a mean would stretch the axis a thousandfold and squash
every other curve onto a flat line. The y axis fits the median lines (a loss, or any positive
curve spanning more than a decade, on a log axis); what lies above it — a band widened by a
diverged seed, a median that diverged itself — is cut at the top and marked there (▲, with its
largest value), never silently dropped.
"""

from __future__ import annotations

import textwrap
from typing import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from gradlab.report._style import SEED_DEV, SEED_TRAIN, color, new_figure, placeholder

# how far above the 95th percentile of the median lines the axis may reach (decades on a log
# axis, else spans of the lines' range) before what lies beyond is cut off and marked
CLIP_FACTOR = 3.0


def stack(histories: Sequence[Sequence[Mapping]], key: str) -> tuple[np.ndarray, np.ndarray]:
    """Epochs and a (seeds × epochs) array of ``key``, NaN where a run stopped early."""
    epochs = sorted({int(r["epoch"]) for h in histories for r in h if r.get(key) is not None})
    if not epochs:
        return np.array([]), np.empty((0, 0))
    index = {e: i for i, e in enumerate(epochs)}
    out = np.full((len(histories), len(epochs)), np.nan)
    for s, hist in enumerate(histories):
        for row in hist:
            v = row.get(key)
            if v is not None:
                out[s, index[int(row["epoch"])]] = float(v)
    return np.asarray(epochs), out


def nan_quantiles(ys: np.ndarray, qs: tuple[float, ...]) -> list[np.ndarray]:
    """Per-column percentiles ``qs`` of ``ys`` ignoring NaN, as ``np.nanpercentile(ys, q, axis=0)``
    (linear interpolation) computes them, but in one sort: numpy's NaN path applies a Python
    function to every column, which took seconds for a report's thousands of epochs. Where
    numpy's interpolation gives NaN (``inf - inf``, a diverged seed) this keeps the infinity,
    so the figure marks the value as cut off instead of dropping it."""
    s = np.sort(ys, axis=0)  # NaN sorts last
    n = np.sum(~np.isnan(ys), axis=0)
    cols = np.arange(ys.shape[1])
    out = []
    for q in qs:
        pos = q / 100.0 * np.maximum(n - 1, 0)
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, np.maximum(n - 1, 0))
        frac = pos - lo
        a, b = s[lo, cols], s[hi, cols]
        with np.errstate(invalid="ignore"):
            v = np.where((frac == 0) | (a == b), a, a + (b - a) * frac)
        out.append(np.where(n == 0, np.nan, v))
    return out


def _quartiles(ys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mid, q1, q3 = nan_quantiles(ys, (50, 25, 75))
    return mid, q1, q3


def _limits(ax, lines: list[np.ndarray], bands: list[np.ndarray], log: bool) -> float | None:
    """Set y limits that fit the median lines, robustly; return the largest value (of a line or
    a band) cut off the top, or None when nothing is."""
    def values(arrays):
        v = np.concatenate([a[np.isfinite(a)] for a in arrays]) if arrays else np.array([])
        return v[v > 0] if log else v

    mids, everything = values(lines), values(lines + bands)
    if mids.size == 0:
        return None
    top_ok = float(np.percentile(mids, 95))
    lo = float(mids.min())
    cap = top_ok * 10 ** CLIP_FACTOR if log else top_ok + CLIP_FACTOR * max(top_ok - lo, abs(top_ok))
    top = min(float(mids.max()), cap)
    pad = 1.3 if log else 0.05 * (top - lo) or 0.05
    ax.set_ylim(lo / 1.3 if log else lo - pad, top * pad if log else top + pad)
    hi = float(everything.max())
    return hi if hi > ax.get_ylim()[1] else None


def training_curves(groups: Mapping[str, Sequence[Sequence[Mapping]]], metric: str = "accuracy",
                    title: str | None = None) -> Figure:
    """Train (solid) and dev (dashed) loss and metric per epoch, one colour per group.

    Args:
        groups: group label -> one history per seed; a history is a list of per-epoch dicts
            with ``epoch``, ``train_loss``, ``dev_loss``, ``train_<metric>``, ``dev_<metric>``.
            Meant for a few groups (the report passes the baseline and the best ones).
        metric: the metric's name (``"accuracy"``, ``"mse"``).
        title: optional figure title.
    """
    fig, axes = new_figure(2, width=5.2, height=3.4)
    single = len(groups) == 1
    for stat, ax in ((("loss", axes[0][0]), (metric, axes[0][1]))):
        lines, bands, positive = [], [], True
        for g, (label, histories) in enumerate(groups.items()):
            for split, style in (("train", "-"), ("dev", "--")):
                x, ys = stack(histories, f"{split}_{stat}")
                if x.size == 0:
                    continue
                col = (SEED_TRAIN if split == "train" else SEED_DEV) if single else color(g)
                mid, q1, q3 = _quartiles(ys)
                ax.plot(x, mid, style, color=col, lw=1.6)
                if ys.shape[0] > 1:
                    ax.fill_between(x, q1, q3, color=col, alpha=0.15, lw=0)
                lines.append(mid)
                bands += [q1, q3]
                positive &= bool(np.all(ys[np.isfinite(ys)] > 0))
        ax.set_xlabel("epoch")
        ax.set_ylabel(stat)
        ax.grid(alpha=0.3)
        if not lines:
            placeholder(ax, f"no {stat} curves recorded")
            continue
        finite = np.concatenate([d[np.isfinite(d)] for d in lines])
        log = positive and stat != "accuracy" and finite.size > 0 and finite.max() / max(finite.min(), 1e-300) > 10
        if log:
            ax.set_yscale("log")
        cut = _limits(ax, lines, bands, log)
        if cut is not None:
            ax.text(0.99, 0.98, f"▲ cut off above the axis: up to {cut:.3g}", transform=ax.transAxes,
                    ha="right", va="top", fontsize="x-small", color="#b42318")
    handles = [Line2D([], [], color="#444444", ls="-", label="train"),
               Line2D([], [], color="#444444", ls="--", label="dev")]
    if not single:
        handles = [Line2D([], [], color=color(g), lw=3, label="\n".join(textwrap.wrap(str(label), 60)))
                   for g, label in enumerate(groups)] + handles
    fig.legend(handles=handles, loc="outside lower center", ncols=2 if not single else 2,
               fontsize="small", frameon=False)
    if title:
        fig.suptitle(title)
    return fig
