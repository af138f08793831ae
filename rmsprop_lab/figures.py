"""Plotly figure builders: pure functions from numbers to a figure spec.

A figure spec is the plain ``{"data": [...], "layout": {...}}`` dict Plotly itself reads;
``st.plotly_chart`` and ``live_chart`` take it as it is, ``go.Figure(spec)`` validates it. These
figures are rebuilt on every slider move, and going through ``go.Figure`` (which validates and
then deep-copies every attribute on the way out) cost about 10 ms a figure.

Colours are the Okabe–Ito palette (distinguishable with every common colour-vision deficiency),
one fixed colour per optimizer so a method looks the same in every chart and on every page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .surface_image import banded_contour_rgb, png_data_uri

# The Okabe–Ito colours.
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
BLACK = "#000000"

#: The labels optimizer specs give themselves (``spec.label``) and their kind; a page's label
#: such as "RMSProp (centered)" starts with one of them.
_KIND_BY_LABEL = {"SGD": "sgd", "Momentum": "momentum", "Nesterov": "momentum", "RMSProp": "rmsprop", "Adam": "adam"}


class _ColoursByKind(dict):
    """Colours keyed by optimizer kind; a label finds its kind's colour too, since a label is what
    a page has at hand."""

    def __missing__(self, name: str) -> str:
        for label, kind in _KIND_BY_LABEL.items():
            if name.startswith(label):
                return self[kind]
        raise KeyError(name)


OPTIMIZER_COLOURS = _ColoursByKind(sgd=REDDISH_PURPLE, momentum=BLUE, rmsprop=VERMILLION, adam=BLUISH_GREEN)
#: For series that are no optimizer, in turn; none of them is an optimizer's.
EXTRA_COLOURS = (ORANGE, SKY_BLUE, BLACK, YELLOW, "#999999")
# A pale, nearly neutral surface so the coloured paths stand out; low values are lightest.
SURFACE_COLOURSCALE = [[0.0, "#ffffff"], [0.5, "#dce4ec"], [1.0, "#93a5b8"]]
CONTOUR_LEVELS = 24
FONT = {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 13}
GRID_COLOUR = "#eeeeee"
PLOT_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}
#: Charts whose cells can be picked keep the box-select tool.
SELECTABLE_PLOT_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d"]}
#: Paths longer than this are drawn as lines only; markers on every step would only add clutter.
MARKER_STEPS_LIMIT = 300


def colour_for(name: str, index: int = 0) -> str:
    """The colour of an optimizer kind (``"rmsprop"``) or label (``"RMSProp (centered)"``); any
    other name takes extra colour ``index``."""
    try:
        return OPTIMIZER_COLOURS[name]
    except KeyError:
        return EXTRA_COLOURS[index % len(EXTRA_COLOURS)]


@dataclass(frozen=True)
class PathData:
    """One optimizer's path as the figures need it (unbatched)."""

    label: str
    colour: str
    points: np.ndarray  # (steps + 1, 2), NaN after divergence
    losses: np.ndarray  # (steps + 1,)
    diverged_at: int = -1


@dataclass(frozen=True)
class SurfaceBackground:
    """The surface drawn as log-level contour bands in a PNG, and its colour-bar ticks."""

    image_uri: str
    log_min: float
    log_max: float
    tick_positions: list
    tick_labels: list


@dataclass(frozen=True)
class Surface:
    """A sampled objective: ``values[j, i] = f(xs[i], ys[j])``, NaN where undefined.

    Build it with :func:`make_surface`, which also renders the background once.
    """

    xs: np.ndarray
    ys: np.ndarray
    values: np.ndarray
    minima: tuple = ()
    background: SurfaceBackground | None = field(default=None, compare=False)


def log_levels(values: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Map surface values to log10(f - min + delta) so equally spaced contours are log-spaced in f.

    Returns the transformed values, the shift (min) and delta; delta (1e-6 of the range, at least
    1e-12) keeps the minimum itself finite and sets how deep into the valley the levels reach.
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.full_like(values, np.nan), 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    delta = max((high - low) * 1e-6, 1e-12)
    with np.errstate(invalid="ignore"):
        return np.log10(values - low + delta), low, delta


def colourbar_ticks(low: float, delta: float, log_min: float, log_max: float) -> tuple[list[float], list[str]]:
    """Tick positions on the log axis labelled with the actual f values."""
    positions = np.linspace(log_min, log_max, 6)
    labels = [f"{10**p - delta + low:.3g}" for p in positions]
    return positions.tolist(), labels


def make_surface(xs, ys, values, minima=()) -> Surface:
    transformed, low, delta = log_levels(values)
    finite = transformed[np.isfinite(transformed)]
    log_min, log_max = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    rgb = banded_contour_rgb(transformed, CONTOUR_LEVELS, SURFACE_COLOURSCALE)
    positions, labels = colourbar_ticks(low, delta, log_min, log_max)
    background = SurfaceBackground(png_data_uri(rgb), log_min, log_max, positions, labels)
    return Surface(xs, ys, values, tuple(tuple(m) for m in minima), background)


# --- shared pieces ----------------------------------------------------------------------------

LEFT_MARGIN = 60
#: Room left of a log axis for its powers of ten (10⁻²) and its title, on a phone too.
LOG_AXIS_LEFT_MARGIN = 76


def _layout(
    height: int,
    title: str | None = None,
    uirevision=None,
    bottom_margin: int = 48,
    top_margin: int | None = None,
    left_margin: int = LEFT_MARGIN,
    **more,
) -> dict:
    layout = {
        "height": height,
        # Fixed margins with autoexpand off: Plotly's automatic margins cost a second layout pass
        # on every redraw (about 90 ms per slider move in Chromium here); these fit our labels,
        # including a legend wrapped onto two rows on a phone.
        "margin": {
            "l": left_margin,
            "r": 16,
            "t": top_margin if top_margin is not None else (96 if title else 64),
            "b": bottom_margin,
            "autoexpand": False,
        },
        "font": FONT,
        "plot_bgcolor": "white",
        "paper_bgcolor": "white",
        # a titled chart keeps its title on the first line and the legend on the second
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.01, "xanchor": "left", "x": 0},
        "uirevision": uirevision,
        "hoverlabel": {"font": FONT},
    }
    if title:
        layout["title"] = {
            "text": title,
            "x": 0.01,
            "y": 0.98,
            "yref": "container",
            "yanchor": "top",
            "font": {"size": 15},
        }
    layout.update(more)
    return layout


#: Line charts by step show at most about this many points per trace: a chart is at most a few
#: hundred pixels wide, and fewer points make each redraw cheaper.
LINE_POINTS_LIMIT = 600


def decimate_min_max(steps: np.ndarray, values: np.ndarray, limit: int = LINE_POINTS_LIMIT):
    """Keep each bucket's first, lowest and highest point, in step order, so that every peak and
    trough of an oscillating curve survives. Returns ``(steps, values)`` unchanged when short."""
    count = len(values)
    if count <= limit:
        return steps, values
    # equal buckets as the rows of a matrix (the last one padded), so one argmin and one argmax
    # cover them all: this runs on every redraw
    bucket = -(-count // max(limit // 3, 1))
    rows = -(-count // bucket)
    padded = np.full(rows * bucket, np.nan)
    padded[:count] = values
    padded = padded.reshape(rows, bucket)
    finite = np.isfinite(padded)
    starts = np.arange(rows) * bucket
    lowest = np.where(finite, padded, np.inf).argmin(axis=1) + starts
    highest = np.where(finite, padded, -np.inf).argmax(axis=1) + starts
    has_finite = finite.any(axis=1)
    keep = np.concatenate([[0, count - 1], starts, lowest[has_finite], highest[has_finite]])
    index = np.unique(keep)
    return steps[index], values[index]


def _log_axis_ticks(values, most_ticks: int = 7) -> dict:
    """Whole-decade ticks (no 2/5 clutter) when the data span two decades or more, spaced so that
    at most about ``most_ticks`` labels appear."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite) & (finite > 0)]
    if finite.size == 0:
        return {}
    decades = np.log10(finite.max()) - np.log10(finite.min())
    if decades < 2:
        return {}
    return {"dtick": int(np.ceil(decades / most_ticks))}


def _horizontal_colourbar(title: str, **more) -> dict:
    """A colour bar under the plot: a vertical one would take a third of a phone's width."""
    return {
        "title": {"text": title, "side": "right"},
        "orientation": "h",
        "thickness": 10,
        "len": 0.8,
        "x": 0.5,
        "xanchor": "center",
        # pinned to the figure's bottom edge, not to the plot: stays in the bottom margin at any
        # height (full screen included)
        "yref": "container",
        "y": 0,
        "yanchor": "bottom",
        "ypad": 8,
        **more,
    }


def _colourbar_trace(background: SurfaceBackground) -> dict:
    """An invisible trace that carries the surface's colour bar (the surface itself is an image)."""
    return {
        "type": "scatter",
        "x": [None],
        "y": [None],
        "mode": "markers",
        "marker": {
            "colorscale": SURFACE_COLOURSCALE,
            "cmin": background.log_min,
            "cmax": background.log_max,
            "color": [background.log_min],
            "showscale": True,
            "colorbar": _horizontal_colourbar(
                "f (log scale)", tickvals=background.tick_positions, ticktext=background.tick_labels
            ),
        },
        "hoverinfo": "skip",
        "showlegend": False,
        "name": "f",
    }


def _surface_image(surface: Surface, axis_suffix: str = "") -> dict:
    (xmin, xmax), (ymin, ymax) = _axis_ranges(surface)
    return {
        "source": surface.background.image_uri,
        "xref": f"x{axis_suffix}",
        "yref": f"y{axis_suffix}",
        "x": xmin,
        "y": ymax,
        "sizex": xmax - xmin,
        "sizey": ymax - ymin,
        "sizing": "stretch",
        "layer": "below",
    }


def _path_traces(path: PathData, upto: int | None, axis_suffix: str = "", show_legend: bool = True) -> list[dict]:
    """The path up to step ``upto`` (all of it when None), its start marker and its end/now marker."""
    points, losses = path.points, path.losses
    last = len(points) - 1 if upto is None else min(upto, len(points) - 1)
    shown = points[: last + 1]
    axes = {"xaxis": f"x{axis_suffix}", "yaxis": f"y{axis_suffix}"}
    traces = [
        {
            "type": "scatter",
            **axes,
            "x": shown[:, 0],
            "y": shown[:, 1],
            "mode": "lines+markers" if last <= MARKER_STEPS_LIMIT else "lines",
            "line": {"color": path.colour, "width": 2.2},
            "marker": {"size": 4, "color": path.colour},
            "name": path.label,
            "legendgroup": path.label,
            "showlegend": show_legend,
            # point i is step i, so the hover takes the step from the point number and only the
            # loss travels as extra data (a step column would add a third to the payload)
            "customdata": losses[: last + 1],
            "hovertemplate": f"<b>{path.label}</b><br>step %{{pointNumber}}<br>x %{{x:.6g}}<br>y %{{y:.6g}}"
            "<br>loss %{customdata:.6g}<extra></extra>",
        }
    ]
    finite = np.flatnonzero(np.isfinite(shown).all(axis=1))
    if finite.size:
        end = int(finite[-1])
        final_word = "end" if upto is None else "now"
        traces.append(
            {
                "type": "scatter",
                **axes,
                "x": [shown[0, 0], shown[end, 0]],
                "y": [shown[0, 1], shown[end, 1]],
                "mode": "markers",
                "marker": {
                    "size": [9, 13],
                    "symbol": ["circle-open", "x" if upto is None else "circle"],
                    "color": path.colour,
                    "line": {"width": 2.5, "color": path.colour},
                },
                "legendgroup": path.label,
                "showlegend": False,
                "text": ["start", final_word],
                "customdata": [[0, losses[0]], [end, losses[end]]],
                "hovertemplate": f"<b>{path.label}</b> %{{text}}<br>step %{{customdata[0]:d}}<br>x %{{x:.6g}}"
                "<br>y %{y:.6g}<br>loss %{customdata[1]:.6g}<extra></extra>",
            }
        )
    return traces


def _minima_trace(minima, axis_suffix: str = "", show_legend: bool = True) -> dict:
    minima = np.asarray(minima, dtype=float).reshape(-1, 2)
    return {
        "type": "scatter",
        "xaxis": f"x{axis_suffix}",
        "yaxis": f"y{axis_suffix}",
        "x": minima[:, 0],
        "y": minima[:, 1],
        "mode": "markers",
        "marker": {"symbol": "star", "size": 14, "color": "white", "line": {"width": 1.5, "color": "#222222"}},
        "name": "known minimum" if len(minima) == 1 else "known minima",
        "showlegend": show_legend,
        "hovertemplate": "minimum<br>x %{x:.6g}<br>y %{y:.6g}<extra></extra>",
    }


def _legend_top_margin(entries: int) -> int:
    """Room above the plot for a legend that wraps to two entries per row on a phone."""
    return max(64, 20 + 24 * math.ceil(entries / 2))


def _axis_ranges(surface: Surface) -> tuple[list[float], list[float]]:
    return [float(surface.xs[0]), float(surface.xs[-1])], [float(surface.ys[0]), float(surface.ys[-1])]


def _plain_axis(**more) -> dict:
    return {"showgrid": False, "zeroline": False, **more}


def _grid_axis(**more) -> dict:
    return {"showgrid": True, "gridcolor": GRID_COLOUR, "zeroline": False, **more}


# --- the figures ------------------------------------------------------------------------------


def contour_figure(
    surface: Surface, paths: Sequence[PathData], *, upto: int | None = None, height: int = 560, uirevision=None
) -> dict:
    """All paths overlaid on the log-level contour, with start/end markers and known minima."""
    traces = [_colourbar_trace(surface.background)]
    for path in paths:
        traces.extend(_path_traces(path, upto))
    if len(surface.minima):
        traces.append(_minima_trace(surface.minima))
    x_range, y_range = _axis_ranges(surface)
    layout = _layout(
        height,
        uirevision=uirevision,
        bottom_margin=120,
        top_margin=_legend_top_margin(len(paths) + bool(len(surface.minima))),
        images=[_surface_image(surface)],
        xaxis=_plain_axis(range=x_range, title={"text": "x"}, constrain="domain"),
        yaxis=_plain_axis(range=y_range, title={"text": "y"}),
    )
    return {"data": traces, "layout": layout}


def small_multiples_figure(
    surface: Surface, paths: Sequence[PathData], *, upto: int | None = None, height: int = 420, uirevision=None
) -> dict:
    """One contour per optimizer, side by side, with shared axes and one shared colour scale."""
    columns = max(len(paths), 1)
    gap = 0.02
    width = (1.0 - gap * (columns - 1)) / columns
    x_range, y_range = _axis_ranges(surface)
    traces = [_colourbar_trace(surface.background)]
    layout = _layout(height, uirevision=uirevision, bottom_margin=120, images=[], annotations=[])
    for column, path in enumerate(paths or [None], start=1):
        suffix = "" if column == 1 else str(column)
        left = (column - 1) * (width + gap)
        layout[f"xaxis{suffix}"] = _plain_axis(
            range=x_range, domain=[left, left + width], anchor=f"y{suffix}", matches="x" if column > 1 else None
        )
        layout[f"yaxis{suffix}"] = _plain_axis(
            range=y_range, anchor=f"x{suffix}", matches="y" if column > 1 else None, showticklabels=column == 1
        )
        layout["images"].append(_surface_image(surface, suffix))
        if path is not None:
            traces.extend(_path_traces(path, upto, axis_suffix=suffix, show_legend=False))
            layout["annotations"].append(
                {
                    "text": f"<b>{path.label}</b>",
                    "x": left + width / 2,
                    "y": 1.0,
                    "xref": "paper",
                    "yref": "paper",
                    "xanchor": "center",
                    "yanchor": "bottom",
                    "showarrow": False,
                    "font": {"color": path.colour},
                }
            )
        if len(surface.minima):
            traces.append(_minima_trace(surface.minima, axis_suffix=suffix, show_legend=False))
    return {"data": traces, "layout": layout}


def loss_figure(paths: Sequence[PathData], min_value: float | None, *, height: int = 320, uirevision=None) -> dict:
    """Loss vs step. With a known minimum f*, the gap f - f* on a log axis; otherwise f itself."""
    traces = []
    for path in paths:
        if min_value is None:
            values = path.losses
        else:
            # the gap can reach exactly 0 at the minimum: clip to the smallest positive double
            # so the log axis can draw it
            with np.errstate(invalid="ignore"):
                values = np.maximum(path.losses - min_value, np.finfo(float).tiny)
        shown_steps, shown_values = decimate_min_max(np.arange(len(values)), values)
        traces.append(
            {
                "type": "scatter",
                "x": shown_steps,
                "y": shown_values,
                "mode": "lines",
                "name": path.label,
                "line": {"color": path.colour, "width": 2},
                "hovertemplate": f"<b>{path.label}</b><br>step %{{x}}<br>%{{y:.4g}}<extra></extra>",
            }
        )
    log_scale = min_value is not None
    y_axis = _grid_axis(
        title={"text": "f − f*  (log scale)" if log_scale else "f"},
        type="log" if log_scale else "linear",
        exponentformat="power",
    )
    if log_scale and traces:
        y_axis.update(_log_axis_ticks(np.concatenate([trace["y"] for trace in traces])))
    layout = _layout(
        height,
        title="Loss by step",
        uirevision=uirevision,
        left_margin=LOG_AXIS_LEFT_MARGIN if log_scale else LEFT_MARGIN,
        xaxis=_grid_axis(title={"text": "step"}),
        yaxis=y_axis,
    )
    return {"data": traces, "layout": layout}


def step_size_figure(
    series: Sequence[tuple[str, str, np.ndarray]],
    *,
    reference: Sequence[tuple[str, str, float]] = (),
    height: int = 320,
    uirevision=None,
    title: str = "Effective step size lr / (√s + ε) per coordinate",
) -> dict:
    """Per-coordinate effective step sizes by step (log axis).

    ``series``: (label, colour, step_size array of shape (steps + 1, 2)); entry 0 (before any
    gradient was seen) is left out. ``reference``: horizontal lines such as SGD's constant lr.
    """
    traces = []
    for label, colour, step_size in series:
        for axis, dash in ((0, "solid"), (1, "dot")):
            name = f"{label}: {'x' if axis == 0 else 'y'}"
            shown_steps, shown_values = decimate_min_max(np.arange(1, len(step_size)), step_size[1:, axis])
            traces.append(
                {
                    "type": "scatter",
                    "x": shown_steps,
                    "y": shown_values,
                    "mode": "lines",
                    "name": name,
                    "line": {"color": colour, "dash": dash, "width": 2},
                    "hovertemplate": f"<b>{name}</b><br>step %{{x}}<br>%{{y:.4g}}<extra></extra>",
                }
            )
    shapes, annotations = [], []
    for label, colour, value in reference:
        shapes.append(
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": value,
                "y1": value,
                "line": {"color": colour, "dash": "dash", "width": 1.5},
            }
        )
        annotations.append(
            {
                "text": label,
                "xref": "paper",
                "x": 0.01,
                "y": np.log10(value),
                "yanchor": "bottom",
                "xanchor": "left",
                "showarrow": False,
                "font": {"color": colour, "size": 12},
            }
        )
    plotted = [trace["y"] for trace in traces] + [[value] for _, _, value in reference]
    y_axis = _grid_axis(title={"text": "step size (log scale)"}, type="log", exponentformat="power")
    if plotted:
        y_axis.update(_log_axis_ticks(np.concatenate(plotted)))
    layout = _layout(
        height,
        title=title,
        uirevision=uirevision,
        left_margin=LOG_AXIS_LEFT_MARGIN,
        shapes=shapes,
        annotations=annotations,
        xaxis=_grid_axis(title={"text": "step"}),
        yaxis=y_axis,
    )
    return {"data": traces, "layout": layout}


# --- Learn pages ------------------------------------------------------------------------------

#: Distinct colours for a family of runs (e.g. one per rho value), Okabe–Ito order.
SERIES_COLOURS = (BLUE, BLUISH_GREEN, VERMILLION, REDDISH_PURPLE, ORANGE, SKY_BLUE, BLACK)


@dataclass(frozen=True)
class Series:
    """One line of a line chart."""

    label: str
    colour: str
    x: np.ndarray
    y: np.ndarray
    dash: str = "solid"


def line_figure(
    series: Sequence[Series],
    *,
    title: str,
    x_title: str = "step",
    y_title: str = "",
    log_y: bool = False,
    height: int = 320,
    uirevision=None,
) -> dict:
    """Lines by step (decimated for drawing, peaks kept)."""
    traces = []
    for line in series:
        shown_x, shown_y = decimate_min_max(np.asarray(line.x), np.asarray(line.y, dtype=float))
        traces.append(
            {
                "type": "scatter",
                "x": shown_x,
                "y": shown_y,
                "mode": "lines",
                "name": line.label,
                "line": {"color": line.colour, "dash": line.dash, "width": 2},
                "hovertemplate": f"<b>{line.label}</b><br>{x_title} %{{x}}<br>%{{y:.4g}}<extra></extra>",
            }
        )
    y_axis = _grid_axis(title={"text": y_title}, type="log" if log_y else "linear", exponentformat="power")
    if log_y and traces:
        y_axis.update(_log_axis_ticks(np.concatenate([trace["y"] for trace in traces])))
    layout = _layout(
        height,
        title=title,
        uirevision=uirevision,
        left_margin=LOG_AXIS_LEFT_MARGIN if log_y else LEFT_MARGIN,
        xaxis=_grid_axis(title={"text": x_title}),
        yaxis=y_axis,
    )
    return {"data": traces, "layout": layout}


def bar_figure(
    labels: Sequence[str],
    values: Sequence[float],
    colours: Sequence[str],
    *,
    title: str,
    y_title: str,
    notes: Sequence[str] = (),
    height: int = 320,
) -> dict:
    """One bar per label; ``notes`` (e.g. "not reached") are written on the bars."""
    trace = {
        "type": "bar",
        "x": list(labels),
        "y": list(values),
        "marker": {"color": list(colours)},
        "text": list(notes) if notes else None,
        "textposition": "outside",
        "cliponaxis": False,
        "hovertemplate": "%{x}<br>%{y}<extra></extra>",
    }
    layout = _layout(
        height,
        title=title,
        showlegend=False,
        xaxis=_plain_axis(type="category"),
        yaxis=_grid_axis(title={"text": y_title}, rangemode="tozero"),
    )
    return {"data": [trace], "layout": layout}


def _arrow(start, move, colour: str, dash: bool = False) -> dict:
    """A data-coordinate arrow from ``start`` by ``move``."""
    return {
        "x": float(start[0] + move[0]),
        "y": float(start[1] + move[1]),
        "ax": float(start[0]),
        "ay": float(start[1]),
        "xref": "x",
        "yref": "y",
        "axref": "x",
        "ayref": "y",
        "showarrow": True,
        "arrowhead": 3,
        "arrowsize": 1.2,
        "arrowwidth": 2.5 if not dash else 2,
        "arrowcolor": colour,
        "opacity": 0.95 if not dash else 0.75,
        "text": "",
    }


def anatomy_figure(
    surface: Surface,
    path: PathData,
    step: int,
    rmsprop_move,
    sgd_move,
    *,
    view_box=None,
    height: int = 520,
    uirevision=None,
) -> dict:
    """The path up to ``step`` and, at the point where update ``step`` starts, two arrows: the
    step RMSProp takes and the step SGD with the same lr would take."""
    figure = contour_figure(surface, [path], upto=step - 1, height=height, uirevision=uirevision)
    start = path.points[step - 1]
    arrows = [
        _arrow(start, -np.asarray(sgd_move), OPTIMIZER_COLOURS["sgd"], dash=True),
        _arrow(start, -np.asarray(rmsprop_move), OPTIMIZER_COLOURS["rmsprop"]),
    ]
    legend_entries = [
        {
            "type": "scatter",
            "x": [None],
            "y": [None],
            "mode": "lines",
            "name": "SGD's step (−α g)",
            "line": {"color": OPTIMIZER_COLOURS["sgd"], "width": 2.5},
        },
        {
            "type": "scatter",
            "x": [None],
            "y": [None],
            "mode": "lines",
            "name": "RMSProp's step",
            "line": {"color": OPTIMIZER_COLOURS["rmsprop"], "width": 2.5},
        },
    ]
    figure["data"].extend(legend_entries)
    figure["layout"]["annotations"] = arrows
    if view_box is not None:
        (xmin, xmax), (ymin, ymax) = view_box
        figure["layout"]["xaxis"]["range"] = [xmin, xmax]
        figure["layout"]["yaxis"]["range"] = [ymin, ymax]
    return figure


def _circle(centre, radius: float, **style) -> dict:
    """A circle shape in data coordinates."""
    return {
        "type": "circle",
        "xref": "x",
        "yref": "y",
        "x0": centre[0] - radius,
        "x1": centre[0] + radius,
        "y0": centre[1] - radius,
        "y1": centre[1] + radius,
        **style,
    }


def flight_figure(
    surface: Surface,
    paths: Sequence[PathData],
    *,
    station,
    docking_radius: float,
    hazards,
    frames: int = 60,
    height: int = 600,
    uirevision=None,
) -> dict:
    """Mission map: the flights, the station (with its docking circle), hazard cores, and a Play
    button that flies one ship marker per flight along its path."""
    figure = contour_figure(surface, paths, height=height, uirevision=uirevision)
    shapes = [_circle(station, docking_radius, line={"color": BLUISH_GREEN, "width": 2})]
    shapes += [
        _circle(centre, core_radius, fillcolor="rgba(80,40,20,0.55)", line={"color": "#5a2d0c", "width": 1})
        for centre, core_radius in hazards
    ]
    station_trace = {
        "type": "scatter",
        "x": [station[0]],
        "y": [station[1]],
        "mode": "markers+text",
        "marker": {"symbol": "diamond", "size": 14, "color": BLUISH_GREEN, "line": {"width": 1.5, "color": "#003322"}},
        "text": ["station"],
        "textposition": "top center",
        "name": "docking station",
        "hovertemplate": "docking station<br>x %{x:.4g}<br>y %{y:.4g}<extra></extra>",
    }
    figure["data"].append(station_trace)
    ship_indices = []
    longest = max((len(path.points) for path in paths), default=1)
    frame_steps = np.unique(np.linspace(0, longest - 1, max(frames, 2)).round().astype(int))
    for path in paths:
        ship_indices.append(len(figure["data"]))
        figure["data"].append(
            {
                "type": "scatter",
                "x": [path.points[0, 0]],
                "y": [path.points[0, 1]],
                "mode": "markers",
                "marker": {
                    "symbol": "triangle-up",
                    "size": 15,
                    "color": path.colour,
                    "line": {"width": 1.5, "color": "#111111"},
                },
                "name": f"{path.label} ship",
                "showlegend": False,
                "hoverinfo": "skip",
            }
        )

    def ship_at(path: PathData, step: int) -> dict:
        """The ship's marker at ``step``: its last finite position up to then."""
        finite = np.flatnonzero(np.isfinite(path.points[: step + 1]).all(axis=1))
        x, y = path.points[int(finite[-1]) if finite.size else 0]
        return {"type": "scatter", "x": [float(x)], "y": [float(y)]}

    figure["frames"] = [
        {"name": str(step), "traces": ship_indices, "data": [ship_at(path, step) for path in paths]}
        for step in frame_steps
    ]
    play = {
        "label": "▶ Fly",
        "method": "animate",
        "args": [
            None,
            {"frame": {"duration": 60, "redraw": False}, "fromcurrent": True, "transition": {"duration": 0}},
        ],
    }
    pause = {
        "label": "❚❚",
        "method": "animate",
        "args": [[None], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}],
    }
    figure["layout"].update(
        shapes=shapes,
        updatemenus=[
            {
                "type": "buttons",
                "direction": "left",
                "x": 0,
                "y": -0.08,
                "xanchor": "left",
                "yanchor": "top",
                "buttons": [play, pause],
                "showactive": False,
            }
        ],
    )
    return figure


# --- sweeps -------------------------------------------------------------------------------------

DIVERGED_COLOUR = "#222222"
SWEEP_COLOURSCALE = "Viridis"


def _selected_marker(x, y) -> dict:
    """The ring around the picked cell or setting."""
    return {
        "type": "scatter",
        "x": [x],
        "y": [y],
        "mode": "markers",
        "name": "selected",
        "marker": {"symbol": "circle-open", "size": 16, "color": "#ff2d2d", "line": {"width": 3}},
        "hoverinfo": "skip",
    }


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
    traces = [
        {
            "type": "heatmap",
            "x": x_values,
            "y": y_values,
            "z": shown,
            "colorscale": SWEEP_COLOURSCALE,
            "colorbar": _horizontal_colourbar(outcome_title),
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
    ]
    grid_x, grid_y = np.meshgrid(x_values, y_values)
    status = np.where(diverged, "diverged", "")
    traces.append(
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
        }
    )
    traces.append(
        {
            "type": "scatter",
            "x": [None],
            "y": [None],
            "mode": "markers",
            "name": "diverged",
            "marker": {"symbol": "square", "size": 12, "color": DIVERGED_COLOUR},
        }
    )
    if selected is not None:
        row, column = selected
        traces.append(_selected_marker(x_values[column], y_values[row]))
    layout = _layout(
        height,
        uirevision=uirevision,
        bottom_margin=120,
        clickmode="event+select",
        xaxis=_plain_axis(title={"text": x_title}, type="log" if x_log else "linear"),
        yaxis=_plain_axis(title={"text": y_title}, type="log" if y_log else "linear"),
    )
    return {"data": traces, "layout": layout}


def sweep_curve_figure(
    x_values,
    outcome,
    diverged,
    *,
    x_title: str,
    outcome_title: str,
    log_y: bool,
    selected: int | None = None,
    height: int = 420,
    uirevision=None,
) -> dict:
    """A 1-D sweep: outcome by one hyperparameter, diverged settings marked on the axis."""
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
    if np.any(diverged):
        floor = float(np.nanmin(finite)) if np.isfinite(finite).any() else 1.0
        traces.append(
            {
                "type": "scatter",
                "x": np.asarray(x_values)[diverged],
                "y": np.full(int(np.sum(diverged)), floor),
                "mode": "markers",
                "name": "diverged",
                "marker": {"symbol": "x", "size": 10, "color": DIVERGED_COLOUR},
            }
        )
    if selected is not None:
        traces.append(_selected_marker(x_values[selected], finite[selected]))
    layout = _layout(
        height,
        uirevision=uirevision,
        clickmode="event+select",
        xaxis=_grid_axis(title={"text": x_title}, type="log"),
        yaxis=_grid_axis(title={"text": outcome_title}, type="log" if log_y else "linear", exponentformat="power"),
    )
    return {"data": traces, "layout": layout}
