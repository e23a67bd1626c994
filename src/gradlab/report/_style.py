"""Shared look of gradlab's figures: one palette, one way to make a figure, one PNG encoder.

Figures are built on :class:`matplotlib.figure.Figure` directly, never through ``pyplot``: no
global state, no GUI backend, so a figure function is safe in a worker process, a test or a
server, and the caller owns the figure it gets back (Agg renders it on ``savefig``).
"""

from __future__ import annotations

import base64
import io
import math
import textwrap
import warnings
from typing import Iterable, Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from gradlab.diagnose.name_ranges import natural_key  # one sort order for layer names

# The seed articles draw train in magenta and dev in pink (seed 002); further groups cycle
# through a colour-blind-friendly list (Okabe & Ito, 2008) so lines stay apart in print.
SEED_TRAIN = "#e4007f"
SEED_DEV = "#f19ec2"
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442",
           "#000000", SEED_TRAIN, "#999999"]


def color(i: int) -> str:
    """The colour of the i-th group (cycles)."""
    return PALETTE[i % len(PALETTE)]


def new_figure(ncols: int = 1, nrows: int = 1, *, width: float = 4.2, height: float = 3.2,
               squeeze: bool = False):
    """A constrained-layout figure and its axes grid (always 2-D unless ``squeeze``)."""
    fig = Figure(figsize=(width * ncols, height * nrows), layout="constrained")
    FigureCanvasAgg(fig)  # render with Agg whatever pyplot's backend is
    axes = fig.subplots(nrows, ncols, squeeze=squeeze)
    return fig, axes


def layer_order(names: Iterable[str], order: Sequence[str] | None = None) -> list[str]:
    """``names`` from input to output: in the model's own ``order`` (a trial's ``layers``) where
    given, else naturally (``fc2`` before ``fc10``; ``norm1`` after ``fc1`` only by that order)."""
    rank = {name: i for i, name in enumerate(order or [])}
    return sorted(set(names), key=lambda n: (rank.get(n, len(rank)), natural_key(n)))


def finite(values: Iterable[float]) -> list[float]:
    """The finite numbers of ``values`` (NaN, inf and None dropped)."""
    out = []
    for v in values:
        if v is None:
            continue
        v = float(v)
        if math.isfinite(v):
            out.append(v)
    return out


def short(label: str, limit: int = 40) -> str:
    """Shorten a long group label for a legend, keeping its start and end."""
    label = str(label)
    return label if len(label) <= limit else label[: limit // 2 - 1] + "…" + label[-(limit // 2 - 1):]


def wrap(label: str, width: int = 48) -> str:
    """A group label for a legend: whole, wrapped over lines of ``width`` characters."""
    return "\n".join(textwrap.wrap(str(label), width)) or str(label)


def legend(ax, n_items: int) -> None:
    """A legend with every entry: inside the axes for a few, below the figure for more."""
    if n_items == 0:
        return
    if n_items <= 4:
        ax.legend(fontsize="small", frameon=False)
    else:
        ax.figure.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=2,
                         fontsize="small", frameon=False)


def placeholder(ax, text: str) -> None:
    """Say on the axes why there is nothing to draw, instead of leaving it blank."""
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#666666",
            wrap=True)
    ax.set_xticks([])
    ax.set_yticks([])


def to_png(fig: Figure, dpi: int = 90) -> bytes:
    """Render a figure to PNG bytes (Agg)."""
    buf = io.BytesIO()
    with warnings.catch_warnings():
        # a figure with many legend entries may not fit constrained layout; matplotlib then falls
        # back to the plain layout, which draws fine: not worth a warning in the user's terminal
        warnings.filterwarnings("ignore", message="constrained_layout not applied")
        fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def to_data_uri(fig: Figure, dpi: int = 90) -> str:
    """Render a figure to a ``data:image/png;base64,...`` URI for a self-contained page."""
    return "data:image/png;base64," + base64.b64encode(to_png(fig, dpi)).decode("ascii")


def as_float_list(values: Sequence) -> list[float]:
    """Plain floats from any sequence of numbers (tensors, numpy scalars, ints)."""
    return [float(v) for v in values]
