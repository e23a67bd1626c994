"""A metric over two sweep axes as a grid of annotated cells, one panel per third setting.

The shape of the seed articles' tables ("depth -> best slope", "D slope x G slope"): each cell is
coloured by a mean over seeds and carries a short note (the interval, a count of failures), so
the picture and the numbers are read in one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from gradlab.report._style import new_figure


def metric_grid(panels: Mapping[str, Mapping[tuple[str, str], Mapping]], *, rows: Sequence[str],
                cols: Sequence[str], row_label: str, col_label: str, value_label: str,
                vmin: float | None = None, vmax: float | None = None,
                higher_is_better: bool = True) -> Figure:
    """Draw one heat-map panel per entry of ``panels``.

    Args:
        panels: panel title -> ``{(row, col): {"value": float, "text": str}}``; a missing cell
            stays blank.
        rows: the row labels, in order.
        cols: the column labels, in order.
        row_label: the y axis' name.
        col_label: the x axis' name.
        value_label: what the colour means (the colour bar's label).
        vmin: the low end of the colour range (default: the smallest value drawn).
        vmax: the high end (default: the largest value drawn).
        higher_is_better: dark green is the better end.
    """
    values = [c["value"] for cells in panels.values() for c in cells.values()
              if c.get("value") is not None and np.isfinite(c["value"])]
    lo = vmin if vmin is not None else (min(values) if values else 0.0)
    hi = vmax if vmax is not None else (max(values) if values else 1.0)
    hi = hi if hi > lo else lo + 1.0
    n = max(len(panels), 1)
    # size the cells by their notes and the margin by the row labels, so no text is cut off
    lines = [line for cells in panels.values() for c in cells.values() for line in str(c.get("text", "")).split("\n")]
    cell_w = max(1.1, 0.075 * max((len(line) for line in lines), default=0))
    cell_h = max(0.6, 0.16 * max((len(str(c.get("text", "")).split("\n"))
                                  for cells in panels.values() for c in cells.values()), default=1) + 0.15)
    label_w = 0.075 * max((len(str(r)) for r in rows), default=0)
    fig, axes = new_figure(n, width=cell_w * len(cols) + label_w + 1.8, height=cell_h * len(rows) + 1.4)
    cmap = "Greens" if higher_is_better else "Greens_r"
    image = None
    for ax, (title, cells) in zip(axes[0], panels.items()):
        grid = np.full((len(rows), len(cols)), np.nan)
        for (r, c), cell in cells.items():
            if r in rows and c in cols and cell.get("value") is not None:
                grid[list(rows).index(r), list(cols).index(c)] = cell["value"]
        image = ax.imshow(grid, cmap=cmap, vmin=lo, vmax=hi, aspect="auto")
        for (r, c), cell in cells.items():
            if r not in rows or c not in cols:
                continue
            i, j = list(rows).index(r), list(cols).index(c)
            t = (grid[i, j] - lo) / (hi - lo)  # where the cell sits on the colour scale
            dark = bool(np.isfinite(t) and (t > 0.6 if higher_is_better else t < 0.4))
            ax.text(j, i, cell.get("text", ""), ha="center", va="center", fontsize=7,
                    color="white" if dark else "black")
        ax.set_xticks(range(len(cols)), [str(c) for c in cols], fontsize=8)
        ax.set_yticks(range(len(rows)), [str(r) for r in rows], fontsize=8)
        ax.set_xlabel(col_label)
        ax.set_ylabel(row_label)
        ax.set_title(title, fontsize=9)
    if image is not None:
        fig.colorbar(image, ax=list(axes[0]), shrink=0.8, label=value_label)
    return fig
