"""The article's own figure for a built-in study, drawn from what its trials stored.

Each built-in study that reproduces a figure or a table of a seed article has one builder,
listed here under the study's name. A builder reads only the :class:`ReportData` (metrics,
histories, vitals of finished trials) and returns figure items; nothing is trained while a
report is drawn.
"""

from __future__ import annotations

from collections.abc import Callable

from gradlab.report.defaults_figures import defaults_figures
from gradlab.report.figure_items import FigureItem
from gradlab.report.gan_figures import gan_slope_figures
from gradlab.report.gan_samples_figure import gan_sample_figures
from gradlab.report.page_data import ReportData
from gradlab.report.regularization_figures import regularization_figures
from gradlab.report.slope_depth_figures import slope_depth_figures
from gradlab.report.transfer_figures import transfer_figures

ARTICLE_FIGURES: dict[str, Callable[[ReportData], list[FigureItem]]] = {
    "gan-slope": lambda data: gan_slope_figures(data) + gan_sample_figures(data),
    "slope-depth": slope_depth_figures,
    "regularization": regularization_figures,
    "transfer": transfer_figures,
    "defaults": defaults_figures,
}


def article_figures(data: ReportData) -> list[FigureItem]:
    """The study's article figures (none for a study without a builder)."""
    builder = ARTICLE_FIGURES.get(data.name)
    return builder(data) if builder is not None else []
