"""The Sweep page's figures: an outcome over a grid of two hyperparameters (a heatmap whose cells
can be picked) or along one, with diverged settings set apart and the picked one ringed."""

from __future__ import annotations

import numpy as np

from .style import OPTIMIZER_COLOURS, empty_trace, grid_axis, horizontal_colourbar, layout, plain_axis

DIVERGED_COLOUR = "#222222"
SWEEP_COLOURSCALE = "Viridis"


def _pickable_figure(traces: list[dict], picked, height: int, uirevision, **more) -> dict:
    """A chart whose points a click or a box selects (Streamlit reports them to the page), with a
    ring around the ``picked`` point (x, y), if any; ``more`` completes the layout."""
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
    """Outcome over a (y, x) grid; diverged cells in their own dark layer (not a loss colour).

    An invisible marker on every cell centre makes cells selectable by click or box
    (``point_index`` = row * len(x) + column); ``selected`` (row, column) is ringed. The markers
    are WebGL (``scattergl``): 10 000 SVG markers cost ~800 ms per redraw in Chromium here, and
    Streamlit reports no selection for clicks on a heatmap itself.
    """
    shown = np.where(diverged, np.nan, outcome)
    grid_x, grid_y = np.meshgrid(x_values, y_values)
    status = np.where(diverged, "diverged", "")
    traces = [
        {
            "type": "heatmap",
            "x": x_values,
            "y": y_values,
            "z": shown,
            "colorscale": SWEEP_COLOURSCALE,
            "colorbar": horizontal_colourbar(outcome_title),
            "hoverinfo": "skip",
            "name": outcome_title,
        },
        {
            "type": "heatmap",
            "x": x_values,
            "y": y_values,
            "z": np.where(diverged, 1.0, np.nan),
            "colorscale": [[0, DIVERGED_COLOUR], [1, DIVERGED_COLOUR]],
            "showscale": False,
            "hoverinfo": "skip",
            "name": "diverged",
        },
        {
            "type": "scattergl",
            "x": grid_x.ravel(),
            "y": grid_y.ravel(),
            "mode": "markers",
            "marker": {"size": 6, "color": "rgba(0,0,0,0.01)"},
            "showlegend": False,
            "name": "cells",
            "customdata": np.column_stack([shown.ravel(), diverged.ravel().astype(float)]),
            "text": status.ravel(),
            "hovertemplate": f"{x_title} %{{x:.4g}}<br>{y_title} %{{y:.4g}}<br>{outcome_title} "
            "%{customdata[0]:.4g} %{text}<extra></extra>",
            "selected": {"marker": {"color": "rgba(0,0,0,0.01)"}},
            "unselected": {"marker": {"opacity": 1}},
        },
        empty_trace("diverged", mode="markers", marker={"symbol": "square", "size": 12, "color": DIVERGED_COLOUR}),
    ]
    picked = None if selected is None else (x_values[selected[1]], y_values[selected[0]])
    return _pickable_figure(
        traces,
        picked,
        height,
        uirevision,
        bottom_margin=120,
        # powers of ten on log axes: SI prefixes (100p, 10n, 1µ) are no notation for ε or α
        xaxis=plain_axis(title={"text": x_title}, type="log" if x_log else "linear", exponentformat="power"),
        yaxis=plain_axis(title={"text": y_title}, type="log" if y_log else "linear", exponentformat="power"),
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
    runs with no outcome sit on that top line, ○ if they never reached it and × if they diverged."""
    finite = np.where(diverged, np.nan, outcome)
    traces = [
        {
            "type": "scatter",
            "x": x_values,
            "y": finite,
            "mode": "lines+markers",
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
                    "x": np.asarray(x_values)[mask],
                    "y": np.full(int(np.sum(mask)), float(height_at)),
                    "mode": "markers",
                    "name": name,
                    "marker": {"symbol": symbol, "size": 10, "color": DIVERGED_COLOUR, "line": {"width": 1.5}},
                    "hovertemplate": f"{x_title} %{{x:.4g}}: {name}<extra></extra>",
                }
            )
    picked = None if selected is None else (x_values[selected], finite[selected])
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
