"""The sampled objective and the contour map drawn from it: the surface (rendered once as a PNG of
log-level contour bands) with its colour bar, the known minima and the optimizers' paths."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..surface_image import banded_contour_rgb, png_data_uri
from .style import empty_trace, horizontal_colourbar, layout, legend_top_margin, plain_axis

# A pale, nearly neutral surface so the coloured paths stand out; low values are lightest.
SURFACE_COLOURSCALE = [[0.0, "#ffffff"], [0.5, "#dce4ec"], [1.0, "#93a5b8"]]
CONTOUR_LEVELS = 24
#: Paths longer than this are drawn as lines only; markers on every step would only add clutter.
MARKER_STEPS_LIMIT = 300


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


def axis_ranges(surface: Surface) -> tuple[list[float], list[float]]:
    return [float(surface.xs[0]), float(surface.xs[-1])], [float(surface.ys[0]), float(surface.ys[-1])]


def colourbar_trace(background: SurfaceBackground) -> dict:
    """The surface's colour bar, on a trace of its own since the surface itself is an image."""
    return empty_trace(
        "f",
        mode="markers",
        marker={
            "colorscale": SURFACE_COLOURSCALE,
            "cmin": background.log_min,
            "cmax": background.log_max,
            "color": [background.log_min],
            "showscale": True,
            "colorbar": horizontal_colourbar(
                "f (log scale)", tickvals=background.tick_positions, ticktext=background.tick_labels
            ),
        },
        hoverinfo="skip",
        showlegend=False,
    )


def background_image(surface: Surface, axis_suffix: str = "") -> dict:
    """The surface's PNG as a layout image, stretched over the axes ``x{axis_suffix}``, ``y{axis_suffix}``."""
    (xmin, xmax), (ymin, ymax) = axis_ranges(surface)
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


def path_traces(path: PathData, upto: int | None, axis_suffix: str = "", show_legend: bool = True) -> list[dict]:
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
            "meta": "path",  # what the browser's playback grows
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
                "meta": "path-marker",  # what the browser's playback moves
                "text": ["start", final_word],
                "customdata": [[0, losses[0]], [end, losses[end]]],
                "hovertemplate": f"<b>{path.label}</b> %{{text}}<br>step %{{customdata[0]:d}}<br>x %{{x:.6g}}"
                "<br>y %{y:.6g}<br>loss %{customdata[1]:.6g}<extra></extra>",
            }
        )
    return traces


def minima_traces(surface: Surface, axis_suffix: str = "", show_legend: bool = True) -> list[dict]:
    """Stars on the surface's known minima; none when it has none."""
    if not len(surface.minima):
        return []
    minima = np.asarray(surface.minima, dtype=float).reshape(-1, 2)
    return [
        {
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
    ]


def contour_map_traces(surface: Surface, paths: Sequence[PathData], upto: int | None = None) -> list[dict]:
    """The colour bar, every path up to ``upto`` with its start/end markers, and the known minima."""
    traces = [colourbar_trace(surface.background)]
    for path in paths:
        traces.extend(path_traces(path, upto))
    return traces + minima_traces(surface)


def contour_map_layout(
    surface: Surface, height: int, traces: Sequence[dict], *, uirevision=None, view_box=None, **more
) -> dict:
    """The surface as the plot's background, on x and y axes over ``view_box`` ((xmin, xmax),
    (ymin, ymax); the whole surface when None), with room above for the legend of ``traces``."""
    (xmin, xmax), (ymin, ymax) = axis_ranges(surface) if view_box is None else view_box
    return layout(
        height,
        uirevision=uirevision,
        bottom_margin=120,
        top_margin=legend_top_margin(traces),
        images=[background_image(surface)],
        xaxis=plain_axis(range=[xmin, xmax], title={"text": "x"}, constrain="domain"),
        yaxis=plain_axis(range=[ymin, ymax], title={"text": "y"}),
        **more,
    )


#: The 3-D view samples the surface on at most this many points a side: WebGL draws 120² quads
#: smoothly, and the 400² map grid would be 1.3 MB more to send on every rerun.
SURFACE_3D_POINTS = 120
#: Where a figure's own playback (plotly frames) stops, at most: each stop is one frame.
PLAYBACK_FRAMES = 60


def playback_steps(last: int, frames: int = PLAYBACK_FRAMES) -> np.ndarray:
    """The steps a figure's own playback stops at: at most ``frames`` of 0 … ``last``, ends included."""
    return np.unique(np.linspace(0, last, min(frames, last + 1)).round().astype(int))


def playback_controls(steps: Sequence[int], *, redraw: bool = False, gap: int = 36) -> dict:
    """Layout pieces for plotly's own animation over frames named by their step: ▶ / ❚❚ ``gap``
    pixels under the plot's left corner and a step slider beside them (``redraw`` for 3-D scenes,
    which need it)."""
    play = {
        "label": "▶",
        "method": "animate",
        "args": [None, {"frame": {"duration": 80, "redraw": redraw}, "fromcurrent": True}],
    }
    pause = {"label": "❚❚", "method": "animate", "args": [[None], {"frame": {"duration": 0}, "mode": "immediate"}]}
    at_step = {"mode": "immediate", "frame": {"duration": 0, "redraw": redraw}}
    return {
        "updatemenus": [
            {
                "type": "buttons",
                "direction": "left",
                "x": 0,
                "y": 0,
                "xanchor": "left",
                "yanchor": "top",
                "pad": {"t": gap},
                "buttons": [play, pause],
                "showactive": False,
            }
        ],
        "sliders": [
            {
                "active": len(steps) - 1,
                "currentvalue": {"prefix": "step "},
                "x": 0.16,
                "len": 0.84,
                "y": 0,
                "yanchor": "top",
                "pad": {"t": gap, "b": 0},
                "steps": [{"label": str(step), "method": "animate", "args": [[str(step)], at_step]} for step in steps],
            }
        ],
    }


def _position_at(points: np.ndarray, losses: np.ndarray, step: int) -> dict:
    """Where a path is at ``step`` (its last finite point up to then, with f there), as a marker's data."""
    finite = np.flatnonzero(np.isfinite(points[: step + 1]).all(axis=1) & np.isfinite(losses[: step + 1]))
    index = int(finite[-1]) if finite.size else 0
    return {"x": [float(points[index, 0])], "y": [float(points[index, 1])], "z": [float(losses[index])]}


def surface_3d_figure(
    surface: Surface, paths: Sequence[PathData], *, upto: int | None = None, height: int = 620, uirevision=None
) -> dict:
    """The surface in 3-D (z = f, coloured by the contour map's log levels and colour bar) with each
    path lifted onto it (z = its loss, f at each point), a marker per optimizer that ▶ flies along
    its path, and a step slider. For the full plotly.js bundle (``surface``, ``scatter3d``)."""
    stride = max(1, -(-len(surface.xs) // SURFACE_3D_POINTS))
    values = surface.values[::stride, ::stride]
    # the levels of the whole grid, as the contour map's colours and colour bar have them
    levels = log_levels(surface.values)[0][::stride, ::stride]
    background = surface.background
    traces = [
        {
            "type": "surface",
            "x": surface.xs[::stride],
            "y": surface.ys[::stride],
            "z": values,
            "surfacecolor": levels,
            "colorscale": SURFACE_COLOURSCALE,
            "cmin": background.log_min,
            "cmax": background.log_max,
            "colorbar": horizontal_colourbar(
                "f (log scale)", tickvals=background.tick_positions, ticktext=background.tick_labels
            ),
            "contours": {"z": {"show": False}},
            # see-through, so the parts of a path behind a hill stay visible
            "opacity": 0.75,
            "name": "f",
            "hovertemplate": "x %{x:.4g}<br>y %{y:.4g}<br>f %{z:.6g}<extra></extra>",
        }
    ]
    shown = []
    for path in paths:
        last = len(path.points) - 1 if upto is None else min(upto, len(path.points) - 1)
        points, losses = path.points[: last + 1], path.losses[: last + 1]
        shown.append((path, points, losses, last))
        traces.append(
            {
                "type": "scatter3d",
                "mode": "lines",
                "x": points[:, 0],
                "y": points[:, 1],
                "z": losses,
                "line": {"color": path.colour, "width": 5},
                "name": path.label,
                "legendgroup": path.label,
                "meta": "path",
                "hovertemplate": f"<b>{path.label}</b><br>step %{{pointNumber}}<br>x %{{x:.6g}}<br>y %{{y:.6g}}"
                "<br>f %{z:.6g}<extra></extra>",
            }
        )
    first_marker = len(traces)
    for path, points, losses, last in shown:
        traces.append(
            {
                "type": "scatter3d",
                "mode": "markers",
                **_position_at(points, losses, last),
                "marker": {"size": 6, "color": path.colour, "line": {"width": 1, "color": "#111111"}},
                "name": f"{path.label} now",
                "legendgroup": path.label,
                "showlegend": False,
                "hovertemplate": f"<b>{path.label}</b><br>x %{{x:.6g}}<br>y %{{y:.6g}}<br>f %{{z:.6g}}<extra></extra>",
            }
        )
    longest = max((last for *_, last in shown), default=0)
    steps = playback_steps(longest)
    markers = list(range(first_marker, first_marker + len(shown)))
    frames = [
        {
            "name": str(step),
            "traces": markers,
            "data": [
                {"type": "scatter3d", **_position_at(points, losses, min(step, last))}
                for _, points, losses, last in shown
            ],
        }
        for step in steps
    ]
    axis = {"showbackground": False, "gridcolor": "#dddddd"}
    spec = layout(
        height,
        uirevision=uirevision,
        bottom_margin=150,
        top_margin=legend_top_margin(traces),
        scene={
            "xaxis": {**axis, "title": {"text": "x"}},
            "yaxis": {**axis, "title": {"text": "y"}},
            "zaxis": {**axis, "title": {"text": "f"}},
            "aspectmode": "manual",
            "aspectratio": {"x": 1, "y": 1, "z": 0.6},
            "camera": {"eye": {"x": 1.2, "y": -1.2, "z": 0.75}},
        },
        **playback_controls(steps, redraw=True),
    )
    return {"data": traces, "layout": spec, "frames": frames}
