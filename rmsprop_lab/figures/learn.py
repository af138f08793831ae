"""The Learn pages' figures: lines and bars, the anatomy of one RMSProp update (its step and SGD's
as arrows on the map) and the mission map (station, hazards, ships flying the paths)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rmsprop_core.metrics import finite_points

from .style import (
    BLUISH_GREEN,
    OPTIMIZER_COLOURS,
    RIGHT_MARGIN,
    SIDE_COLOURBAR_MARGIN,
    empty_trace,
    grid_axis,
    layout,
    legend_top_margin,
    line_chart_layout,
    line_trace,
    plain_axis,
)
from .surface import MAP_AXIS_ROOM_PX, PathData, Surface, contour_map_layout, contour_map_traces


@dataclass(frozen=True)
class Series:
    """One line of a line chart."""

    label: str
    colour: str
    x: np.ndarray
    y: np.ndarray
    dash: str = "solid"
    #: lines with the same group share one legend entry, the group's name, and are shown and hidden together
    group: str | None = None


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
    traces, grouped = [], set()
    for line in series:
        trace = line_trace(line.label, line.x, line.y, x_title=x_title, color=line.colour, dash=line.dash)
        if line.group is not None:  # the hover keeps the line's own label
            trace.update(name=line.group, legendgroup=line.group, showlegend=line.group not in grouped)
            grouped.add(line.group)
        traces.append(trace)
    return {
        "data": traces,
        "layout": line_chart_layout(
            height, traces, title=title, x_title=x_title, y_title=y_title, log_y=log_y, uirevision=uirevision
        ),
    }


def bar_figure(
    labels: Sequence[str],
    values: Sequence[float],
    colours: Sequence[str],
    *,
    title: str,
    y_title: str,
    notes: Sequence[str] = (),
    hatched: Sequence[bool] = (),
    height: int = 320,
) -> dict:
    """One bar per label; ``notes`` (e.g. "not settled") are written on the bars and shown on
    hover instead of the value; ``hatched`` bars stand for no value (a run that never settled drawn
    to the top), so they do not read as the tallest measured ones."""
    marker = {"color": list(colours)}
    if any(hatched):
        marker["pattern"] = {"shape": ["/" if mark else "" for mark in hatched], "solidity": 0.4}
    trace = {
        "type": "bar",
        "x": list(labels),
        "y": list(values),
        "marker": marker,
        "text": list(notes) if notes else None,
        "textposition": "outside",
        "cliponaxis": False,
        "hovertemplate": f"%{{x}}<br>{'%{text}' if notes else '%{y}'}<extra></extra>",
    }
    return {
        "data": [trace],
        "layout": layout(
            height,
            title=title,
            showlegend=False,
            xaxis=plain_axis(type="category"),
            yaxis=grid_axis(title={"text": y_title}, rangemode="tozero"),
        ),
    }


def _arrow(start, move, colour: str, faint: bool = False) -> dict:
    """A data-coordinate arrow from ``start`` by ``move``; a faint one is thinner and lighter."""
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
        "arrowwidth": 2 if faint else 2.5,
        "arrowcolor": colour,
        "opacity": 0.75 if faint else 0.95,
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
    colourbar_beside: bool = False,
    narrow: bool = False,
    uirevision=None,
) -> dict:
    """The path up to ``step`` and, at the point where update ``step`` starts, two arrows: the
    step RMSProp takes and the step SGD with the same lr would take (fainter: it is not taken).
    ``colourbar_beside`` and ``narrow`` as for ``flight_figure``."""
    sgd_colour, rmsprop_colour = OPTIMIZER_COLOURS["sgd"], OPTIMIZER_COLOURS["rmsprop"]
    start = path.points[step - 1]
    arrows = [
        _arrow(start, -np.asarray(sgd_move), sgd_colour, faint=True),
        _arrow(start, -np.asarray(rmsprop_move), rmsprop_colour),
    ]
    arrow_legend = [
        empty_trace("SGD's step (−α g)", mode="lines", line={"color": sgd_colour, "width": 2.5}),
        empty_trace("RMSProp's step", mode="lines", line={"color": rmsprop_colour, "width": 2.5}),
    ]
    traces = contour_map_traces(surface, [path], upto=step - 1, colourbar_beside=colourbar_beside, narrow=narrow)
    traces += arrow_legend
    return {
        "data": traces,
        "layout": contour_map_layout(
            surface,
            height,
            traces,
            uirevision=uirevision,
            view_box=view_box,
            equal_scale=True,  # a step's direction is drawn at its true angle
            annotations=arrows,
            # beside the map, the colour bar leaves under it only the tick labels and the x title
            **({"bottom_margin": MAP_AXIS_ROOM_PX, "right_margin": SIDE_COLOURBAR_MARGIN} if colourbar_beside else {}),
        ),
    }


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


def _ship_at(path: PathData, step: int) -> dict:
    """The ship's position at ``step``: its last finite point up to then."""
    finite = np.flatnonzero(finite_points(path.points[: step + 1]))
    x, y = path.points[int(finite[-1]) if finite.size else 0]
    return {"type": "scatter", "x": [float(x)], "y": [float(y)]}


def _flight_buttons(below_plot: float) -> dict:
    """Play flies the ships on from where they are; pause stops them at once. ``below_plot``: where
    the buttons' top is, in plot heights under the plot (paper coordinates)."""
    play = {
        "label": "▶ Fly",
        "method": "animate",
        "args": [
            None,
            # immediate: a second ▶ replaces the flight's remaining frames rather than queueing them again
            {
                "frame": {"duration": 60, "redraw": False},
                "fromcurrent": True,
                "transition": {"duration": 0},
                "mode": "immediate",
            },
        ],
    }
    pause = {
        "label": "❚❚",
        "method": "animate",
        "args": [[None], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}],
    }
    return {
        "type": "buttons",
        "direction": "left",
        "x": 0,
        "y": -below_plot,
        "xanchor": "left",
        "yanchor": "top",
        "buttons": [play, pause],
        "showactive": False,
    }


def flight_figure(
    surface: Surface,
    paths: Sequence[PathData],
    *,
    station,
    docking_radius: float,
    hazards,
    crashes=(),
    frames: int = 60,
    height: int = 600,
    colourbar_beside: bool = False,
    narrow: bool = False,
    uirevision=None,
) -> dict:
    """Mission map: the flights (each ending where its ship docked or crashed), the station (with
    its docking circle), hazard cores, a ✕ where a ship crashed (``crashes``: ``(label, point)``),
    and a Play button that flies one ship marker per flight along its path. ``colourbar_beside``:
    the colour bar right of the map (on a wide screen), not under it; ``narrow``: under it with at most
    three labels (a phone's map in presentation mode's larger font)."""
    map_traces = contour_map_traces(surface, paths, colourbar_beside=colourbar_beside, narrow=narrow)
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
    ships = [
        {
            **_ship_at(path, 0),
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
        for path in paths
    ]
    first_ship = len(map_traces) + 1
    ship_indices = list(range(first_ship, first_ship + len(ships)))
    longest = max((len(path.points) for path in paths), default=1)
    frame_steps = np.unique(np.linspace(0, longest - 1, max(frames, 2)).round().astype(int))
    shapes = [_circle(station, docking_radius, line={"color": BLUISH_GREEN, "width": 2})]
    shapes += [
        _circle(centre, core_radius, fillcolor="rgba(80,40,20,0.55)", line={"color": "#5a2d0c", "width": 1})
        for centre, core_radius in hazards
    ]
    crash_trace = {
        "type": "scatter",
        "x": [float(point[0]) for _, point in crashes],
        "y": [float(point[1]) for _, point in crashes],
        "mode": "markers+text",
        "marker": {"symbol": "x-thin-open", "size": 22, "color": "#b00020", "line": {"width": 3}},
        "text": [f"{label} crashed" for label, _ in crashes],
        "textposition": "bottom center",
        "textfont": {"color": "#b00020"},
        "name": "crash",
        "showlegend": bool(crashes),
        "hoverinfo": "text",
    }
    traces = [*map_traces, station_trace, *ships, crash_trace]
    # under the plot, in pixels: tick labels and the x title, then ▶ Fly / ❚❚ (40), then the
    # colour bar with its labels, which a phone turns upright (74), unless it is beside the map
    bottom = MAP_AXIS_ROOM_PX + 40 + (0 if colourbar_beside else 74)
    plot_height = height - legend_top_margin(traces) - bottom
    return {
        "data": traces,
        "layout": contour_map_layout(
            surface,
            height,
            traces,
            uirevision=uirevision,
            equal_scale=True,  # hazards and the docking circle are round
            bottom_margin=bottom,
            right_margin=SIDE_COLOURBAR_MARGIN if colourbar_beside else RIGHT_MARGIN,
            shapes=shapes,
            updatemenus=[_flight_buttons(56 / plot_height)],
        ),
        "frames": [
            {"name": str(step), "traces": ship_indices, "data": [_ship_at(path, step) for path in paths]}
            for step in frame_steps
        ],
    }
