"""Plotly figure builders: pure functions from numbers to a figure spec.

A figure spec is the plain ``{"data": [...], "layout": {...}}`` dict Plotly itself reads;
``st.plotly_chart`` and ``live_chart`` take it as it is, ``go.Figure(spec)`` validates it. These
figures are rebuilt on every slider move, and going through ``go.Figure`` (which validates and
then deep-copies every attribute on the way out) cost about 10 ms a figure.

The builders compose small functions that return traces and layout pieces: ``style`` holds the
palette and the pieces every figure shares, ``surface`` the sampled objective and the contour map
drawn from it, and ``compare``, ``learn`` and ``sweep`` the figures of those pages. This package
names what the pages, the app's modules and the tests use.
"""

from .compare import (
    PROJECTED_MULTIPLES_PER_ROW,
    SCRUB_LADDER_BYTES,
    ScrubLadder,
    SensitivityCurve,
    animated_contour_figure,
    compare_step_size_figure,
    contour_figure,
    loss_figure,
    loss_shown,
    scrub_ladder,
    sensitivity_figure,
    small_multiples_figure,
    step_size_figure,
)
from .learn import Series, anatomy_figure, bar_figure, flight_figure, line_figure
from .style import (
    OPTIMIZER_COLOURS,
    PLOT_CONFIG,
    SELECTABLE_PLOT_CONFIG,
    SERIES_COLOURS,
    colour_for,
    decimate_min_max,
    fitted_range,
    projected,
)
from .surface import (
    SURFACE_COLOURSCALE,
    PathData,
    Surface,
    colour_levels,
    colourbar_ticks,
    log_levels,
    make_surface,
    surface_3d_figure,
)
from .sweep import picked_cells, sweep_curve_figure, sweep_heatmap_figure

__all__ = [
    "OPTIMIZER_COLOURS",
    "PLOT_CONFIG",
    "PROJECTED_MULTIPLES_PER_ROW",
    "SCRUB_LADDER_BYTES",
    "SELECTABLE_PLOT_CONFIG",
    "SERIES_COLOURS",
    "SURFACE_COLOURSCALE",
    "PathData",
    "ScrubLadder",
    "SensitivityCurve",
    "Series",
    "Surface",
    "anatomy_figure",
    "animated_contour_figure",
    "bar_figure",
    "colour_for",
    "colour_levels",
    "colourbar_ticks",
    "compare_step_size_figure",
    "contour_figure",
    "decimate_min_max",
    "fitted_range",
    "flight_figure",
    "line_figure",
    "log_levels",
    "loss_figure",
    "loss_shown",
    "make_surface",
    "picked_cells",
    "projected",
    "scrub_ladder",
    "sensitivity_figure",
    "small_multiples_figure",
    "step_size_figure",
    "surface_3d_figure",
    "sweep_curve_figure",
    "sweep_heatmap_figure",
]
