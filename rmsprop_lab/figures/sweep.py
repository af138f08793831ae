"""The Sweep page's figures: an outcome over a grid of two hyperparameters (a map whose cells
can be picked) or along one, with diverged settings set apart and the picked one ringed.

They draw with plotly.js's basic bundle (``live_chart``): the map's cells are a PNG (as the
contour maps' surface is), and the points a click or a box picks are scatter markers."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..surface_image import cells_data_uri, colourise, hex_to_rgb
from .style import OPTIMIZER_COLOURS, empty_trace, grid_axis, horizontal_colourbar, layout, plain_axis

DIVERGED_COLOUR = "#222222"
#: plotly's Viridis, spelled out: the cells' image and their colour bar are coloured by the same stops.
SWEEP_COLOURSCALE = [
    [index / 9, colour]
    for index, colour in enumerate(
        ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725"]
    )
]
#: A cell with no outcome that did not diverge (a tolerance never reached) shows the plot's background.
NO_OUTCOME_RGB = (255, 255, 255)
#: The ``meta`` of a trace whose point ``i`` is the sweep's cell ``i`` (the cells a click or a box picks).
CELLS = "cells"


def _pickable_figure(traces: list[dict], picked, height: int, uirevision, **more) -> dict:
    """A chart whose points a click or a box selects (``live_chart(..., on_select=True)`` reports
    them to the page), with a ring around the ``picked`` point (x, y), if any; ``more`` completes
    the layout."""
    if picked is not None:
        ring = {
            "type": "scatter",
            "x": [picked[0]],
            "y": [picked[1]],
            "mode": "markers",
            "name": "selected",
            "marker": {"symbol": "circle-open", "size": 16, "color": "#ff2d2d", "line": {"width": 3}},
            "hoverinfo": "skip",
        }
        traces = [*traces, ring]
    return {"data": traces, "layout": layout(height, uirevision=uirevision, clickmode="event+select", **more)}


def picked_cells(figure: dict, points: Sequence[tuple[int, int]]) -> list[int]:
    """The cells of ``points`` ((trace, point) pairs a click or a box picked in ``figure``): those
    on its cell traces (``meta`` ``CELLS``) that exist, in order; the ring and legend entries are
    no cells."""
    traces = figure["data"]
    cells = []
    for curve, index in points:
        if 0 <= curve < len(traces) and traces[curve].get("meta") == CELLS and 0 <= index < len(traces[curve]["x"]):
            cells.append(index)
    return cells


def cell_edges(centres: np.ndarray, log: bool) -> tuple[float, float]:
    """Where a row of evenly spaced cells (``centres``, evenly spaced on a ``log`` axis or a linear
    one) starts and how wide it is, in the axis's own units (decades on a log axis, as plotly
    places images and ranges there)."""
    along = np.log10(centres) if log else np.asarray(centres, dtype=float)
    step = (along[-1] - along[0]) / (len(along) - 1) if len(along) > 1 else 1.0
    return float(along[0] - step / 2), float(step * len(along))


def cells_image(outcome: np.ndarray, diverged: np.ndarray, low: float, high: float) -> str:
    """The cells coloured as a heatmap colours them (``low`` to ``high`` through the colour scale),
    diverged cells dark, cells with no outcome blank: a PNG data URI, row 0 at the bottom."""
    span = high - low if high > low else 1.0
    rgb = colourise((outcome - low) / span, SWEEP_COLOURSCALE)
    rgb[~np.isfinite(outcome)] = NO_OUTCOME_RGB
    rgb[diverged] = hex_to_rgb(DIVERGED_COLOUR)
    return cells_data_uri(rgb)


def sweep_heatmap_figure(
    x_values: np.ndarray,
    y_values: np.ndarray,
    outcome: np.ndarray,
    diverged: np.ndarray,
    *,
    x_title: str,
    y_title: str,
    outcome_title: str,
    x_log: bool = True,
    y_log: bool = False,
    selected: tuple[int, int] | None = None,
    height: int = 520,
    uirevision=None,
) -> dict:
    """Outcome over a (y, x) grid, a heatmap drawn as an image; diverged cells dark (not a loss colour).

    A marker on every cell centre makes cells selectable by click or box (the ``CELLS`` trace:
    point ``i`` = row * len(x) + column); ``selected`` (row, column) is ringed. Plotly draws one
    of those markers (``maxdisplayed``), and hovers over and selects them all: 10 000 drawn SVG
    markers cost ~800 ms a redraw in Chromium here.
    """
    shown = np.where(diverged, np.nan, outcome)
    finite = shown[np.isfinite(shown)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    grid_x, grid_y = np.meshgrid(x_values, y_values)
    status = np.where(diverged, "diverged", "")
    (x_start, x_size), (y_start, y_size) = cell_edges(x_values, x_log), cell_edges(y_values, y_log)
    traces = [
        empty_trace(
            outcome_title,
            mode="markers",
            marker={
                "colorscale": SWEEP_COLOURSCALE,
                "cmin": low,
                "cmax": high,
                "color": [low],
                "showscale": True,
                "colorbar": horizontal_colourbar(outcome_title),
            },
            hoverinfo="skip",
            showlegend=False,
        ),
        {
            "type": "scatter",
            "x": grid_x.ravel(),
            "y": grid_y.ravel(),
            "mode": "markers",
            "meta": CELLS,
            "marker": {"size": 6, "color": "rgba(0,0,0,0)", "maxdisplayed": 1},
            "showlegend": False,
            "name": "cells",
            "customdata": np.column_stack([shown.ravel(), diverged.ravel().astype(float)]),
            "text": status.ravel(),
            "hovertemplate": f"{x_title} %{{x:.4g}}<br>{y_title} %{{y:.4g}}<br>{outcome_title} "
            "%{customdata[0]:.4g} %{text}<extra></extra>",
            "selected": {"marker": {"color": "rgba(0,0,0,0)"}},
            "unselected": {"marker": {"opacity": 1}},
        },
        empty_trace("diverged", mode="markers", marker={"symbol": "square", "size": 12, "color": DIVERGED_COLOUR}),
    ]
    picked = None if selected is None else (x_values[selected[1]], y_values[selected[0]])
    image = {
        "source": cells_image(shown, diverged, low, high),
        "xref": "x",
        "yref": "y",
        "x": x_start,
        "y": y_start + y_size,
        "sizex": x_size,
        "sizey": y_size,
        "sizing": "stretch",
        "layer": "below",
    }
    return _pickable_figure(
        traces,
        picked,
        height,
        uirevision,
        bottom_margin=120,
        images=[image],
        xaxis=_cells_axis(x_title, x_log, x_start, x_size),
        yaxis=_cells_axis(y_title, y_log, y_start, y_size),
    )


def _cells_axis(title: str, log: bool, start: float, size: float) -> dict:
    """An axis over the cells, edge to edge: powers of ten on a log axis (SI prefixes, 100p, 10n,
    1µ, are no notation for ε or α), tick marks that keep the labels off the cells, which reach the
    axis' ends (the corner's two labels apart)."""
    return plain_axis(
        title={"text": title},
        type="log" if log else "linear",
        exponentformat="power",
        range=[start, start + size],
        ticks="outside",
    )


def sweep_curve_figure(
    x_values,
    outcome,
    diverged,
    *,
    x_title: str,
    outcome_title: str,
    log_y: bool,
    selected: int | None = None,
    unreached_at: float | None = None,
    height: int = 420,
    uirevision=None,
) -> dict:
    """A 1-D sweep: outcome by one hyperparameter, diverged settings marked on the axis.

    ``unreached_at`` (the steps run, for an outcome in steps): the y axis runs from 0 to it, and
    runs with no outcome sit on that top line, ○ if they never reached it and × if they diverged.
    Every trace of settings holds all of them (NaN where it does not show one), so that a picked
    point's index is its setting's (``CELLS``)."""
    finite = np.where(diverged, np.nan, outcome)
    traces = [
        {
            "type": "scatter",
            "x": x_values,
            "y": finite,
            "mode": "lines+markers",
            "meta": CELLS,
            "name": outcome_title,
            "line": {"color": OPTIMIZER_COLOURS["sgd"], "width": 2},
            "marker": {"size": 6},
            "hovertemplate": f"{x_title} %{{x:.4g}}<br>{outcome_title} %{{y:.4g}}<extra></extra>",
        },
    ]
    floor = float(np.nanmin(finite)) if np.isfinite(finite).any() else 1.0
    marked = [(diverged, "diverged", "x", floor if unreached_at is None else unreached_at)]
    if unreached_at is not None:
        marked.append((~diverged & ~np.isfinite(finite), "never reached", "circle-open", unreached_at))
    for mask, name, symbol, height_at in marked:
        if np.any(mask):
            traces.append(
                {
                    "type": "scatter",
                    "x": x_values,
                    "y": np.where(mask, float(height_at), np.nan),
                    "mode": "markers",
                    "meta": CELLS,
                    "name": name,
                    "marker": {"symbol": symbol, "size": 10, "color": DIVERGED_COLOUR, "line": {"width": 1.5}},
                    "hovertemplate": f"{x_title} %{{x:.4g}}: {name}<extra></extra>",
                }
            )
    # a picked run with no outcome is ringed where its marker sits
    ring_y = None if selected is None else finite[selected]
    for mask, _, _, height_at in marked:
        if selected is not None and mask[selected]:
            ring_y = height_at
    picked = None if selected is None else (x_values[selected], ring_y)
    return _pickable_figure(
        traces,
        picked,
        height,
        uirevision,
        xaxis=grid_axis(title={"text": x_title}, type="log", exponentformat="power"),
        yaxis=grid_axis(
            title={"text": outcome_title},
            type="log" if log_y else "linear",
            exponentformat="power",
            **({} if unreached_at is None else {"range": [0, unreached_at * 1.05]}),
        ),
    )
