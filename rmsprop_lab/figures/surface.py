"""The sampled objective and the contour map drawn from it: the surface (rendered once as a PNG of
log-level contour bands) with its colour bar, the known minima and the optimizers' paths."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from rmsprop_core.metrics import finite_points

from ..surface_image import banded_contour_rgb, png_data_uri
from .style import (
    MAP_X_LABEL_STANDOFF,
    MODEBAR_ROOM,
    TEXT_COLOUR,
    empty_trace,
    horizontal_colourbar,
    layout,
    legend_top_margin,
    nice_step,
    plain_axis,
    side_colourbar,
)

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
class ColourLevels:
    """How f maps to colour: log10(f − low + delta) when the surface's lowest point is inside it
    (the levels crowd towards the minimum, where the paths end), f itself when the lowest point is
    on its edge (a saddle, a slope: no minimum to zoom into, and a log scale would show only the
    corners). ``level_min``/``level_max``: the transformed values' range on the grid."""

    logarithmic: bool
    low: float
    delta: float
    level_min: float
    level_max: float

    def __call__(self, values: np.ndarray) -> np.ndarray:
        if not self.logarithmic:
            return np.asarray(values, dtype=float)
        with np.errstate(invalid="ignore"):
            return np.log10(values - self.low + self.delta)

    @property
    def title(self) -> str:
        return "f (log scale)" if self.logarithmic else "f (linear scale)"


@dataclass(frozen=True)
class SurfaceBackground:
    """The surface drawn as contour bands in a PNG, its colour levels and colour-bar ticks."""

    image_uri: str
    levels: ColourLevels
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


def colour_levels(values: np.ndarray, min_value: float | None = None) -> ColourLevels:
    """The colour levels of a sampled surface: logarithmic above its minimum when its lowest value
    lies inside the grid, linear in f when it lies on the grid's edge. With the function's known
    minimum ``min_value`` (f*), the log levels count from it, so the ticks read round values of f
    (0.1, 1, 10 on Rastrigin, whose grid misses its minimum: not 0.0653, 0.0663, 0.0753)."""
    finite = np.isfinite(values)
    if not finite.any():
        return ColourLevels(True, 0.0, 1.0, 0.0, 1.0)
    row, column = np.unravel_index(np.argmin(np.where(finite, values, np.inf)), values.shape)
    inside = 0 < row < values.shape[0] - 1 and 0 < column < values.shape[1] - 1
    _, low, delta = log_levels(values)
    if inside and min_value is not None and np.isfinite(min_value):
        low = min(low, float(min_value))
    levels = ColourLevels(inside, low, delta, 0.0, 1.0)(values)
    shown = levels[np.isfinite(levels)]
    return ColourLevels(inside, low, delta, float(shown.min()), float(shown.max()))


#: How many characters of label fit between two ticks a seventh of the colour bar apart, with a
#: few pixels to spare, in presentation mode's larger font under Compare's map on a 1280-pixel
#: projector (a bar of about 380 px: a seventh is 54 px, a character about 10).
COLOURBAR_LABEL_CHARACTERS = 4.5


def _roundest_f_near(levels: ColourLevels, exponent: float) -> float:
    """The roundest value of f (a multiple of the largest power of ten, down to three significant
    digits) whose colour lies within a tenth of a decade of f − min = 10^``exponent``: 0.02, 0.1
    and 10 above a lowest sample of 0.00809, where the decades themselves read 0.0181, 0.108, 10.01."""
    exact = levels.low + 10.0**exponent
    if exact == 0:
        return exact
    magnitude = int(np.floor(np.log10(abs(exact))))
    for power in range(magnitude + 1, magnitude - 3, -1):
        rounded = float(f"{round(exact / 10.0**power) * 10.0**power:.12g}")
        if rounded > levels.low and abs(float(levels(np.array(rounded))) - exponent) <= 0.1:
            return rounded
    return exact


def colourbar_ticks(levels: ColourLevels, most: int = 7) -> tuple[list[float], list[str]]:
    """Colour-bar ticks at round values of f, each placed where that f's colour is and labelled
    with it (3 significant digits; a tick whose label would repeat its neighbour's is left out).
    Logarithmic: near f − min's whole decades (``_roundest_f_near``); linear: a 1-2-5 step."""
    bottom, top = levels.level_min, levels.level_max
    if top <= bottom:
        return [bottom], [f"{levels.low:.3g}"]
    if levels.logarithmic:
        exponents = np.arange(np.ceil(bottom), np.floor(top) + 1)
        exponents = exponents[:: max(1, -(-len(exponents) // most))]
        values = np.array([_roundest_f_near(levels, exponent) for exponent in exponents])
    else:
        step = nice_step(top - bottom, most - 2)
        values = np.arange(np.ceil(bottom / step) * step, top + step * 1e-9, step)
        values = np.where(np.abs(values) < step * 1e-9, 0.0, values)  # no "-0" or "1e-17"
    if len(values) < 2:  # less than a decade (or a step) shown: its two ends
        values = np.array([levels.low, levels.low + 10.0**top - levels.delta]) if levels.logarithmic else [bottom, top]
    if levels.logarithmic:  # the bottom of the bar: the surface's lowest value
        values = np.concatenate([[10.0**bottom - levels.delta + levels.low], values])
    positions, labels = [], []
    spacing = (top - bottom) / most
    for value in values:
        label = f"{value:.3g}"
        position = float(levels(np.array(value)))
        # a label rounded far from its tick's value (just above a minimum such as -1.0316) would
        # tell a wrong colour, and a label would run into the next: the bar under a chart draws
        # each label from its tick rightwards, and a tick spacing holds COLOURBAR_LABEL_CHARACTERS
        width = len(labels[-1]) / COLOURBAR_LABEL_CHARACTERS if labels else 0.0
        crowded = bool(labels) and (label == labels[-1] or position - positions[-1] < max(0.5, width) * spacing)
        if crowded or abs(float(levels(np.array(float(label)))) - position) > 0.02 * (top - bottom):
            continue
        positions.append(position)
        labels.append(label)
    return positions, labels


def make_surface(xs, ys, values, minima=(), min_value: float | None = None) -> Surface:
    levels = colour_levels(values, min_value)
    rgb = banded_contour_rgb(levels(values), CONTOUR_LEVELS, SURFACE_COLOURSCALE)
    positions, labels = colourbar_ticks(levels)
    background = SurfaceBackground(png_data_uri(rgb), levels, positions, labels)
    return Surface(xs, ys, values, tuple(tuple(m) for m in minima), background)


def axis_ranges(surface: Surface) -> tuple[list[float], list[float]]:
    return [float(surface.xs[0]), float(surface.xs[-1])], [float(surface.ys[0]), float(surface.ys[-1])]


#: The labels a narrow chart's colour bar has room for, in presentation mode's larger font too.
NARROW_COLOURBAR_TICKS = 3
#: A chart narrower than this (a phone's) shows the narrow colour bar: the wide one's labels ran
#: into each other, or plotly turned them on end.
NARROW_COLOURBAR_BELOW_PX = 560
#: Colour-bar labels this short (20, 40, 60, 80) fit a phone's bar side by side as they are.
SHORT_LABEL_CHARACTERS = 3


def surface_colourbar(background: SurfaceBackground, beside: bool = False, narrow: bool = False) -> dict:
    """The surface's colour bar: under the plot, or ``beside`` it. ``narrow`` (a chart a third of a
    page wide, or a phone's): under it, its title below it and at most three ticks, where seven
    labels beside the title were drawn over each other."""
    bar = side_colourbar if beside else horizontal_colourbar
    ticks = {"tickvals": background.tick_positions, "ticktext": background.tick_labels}
    if narrow:
        every = -(-len(background.tick_positions) // NARROW_COLOURBAR_TICKS)
        ticks = {name: values[::every] for name, values in ticks.items()}
    colourbar = bar(background.levels.title, **ticks)
    if narrow:  # labels centred on their ticks, level (plotly draws a title "top" over the bar)
        colourbar.update(title={**colourbar["title"], "side": "bottom"}, ticklabelposition="outside", tickangle=0)
    return colourbar


def colourbar_trace(background: SurfaceBackground, beside: bool = False, narrow: bool = False) -> dict:
    """The surface's colour bar (``surface_colourbar``) on a trace of its own, since the surface
    itself is an image. A wide bar under the plot, unless its labels are short, carries the narrow
    one in its ``meta``, for the browser to show on a chart narrower than ``NARROW_COLOURBAR_BELOW_PX``
    (a phone's)."""
    colourbar = surface_colourbar(background, beside, narrow)
    more = {}
    if not (beside or narrow) and max(map(len, background.tick_labels), default=0) > SHORT_LABEL_CHARACTERS:
        narrow_bar = surface_colourbar(background, narrow=True)
        more["meta"] = {"narrowColourbar": {"below": NARROW_COLOURBAR_BELOW_PX, "colorbar": narrow_bar}}
    return empty_trace(
        "f",
        mode="markers",
        marker={
            "colorscale": SURFACE_COLOURSCALE,
            "cmin": background.levels.level_min,
            "cmax": background.levels.level_max,
            "color": [background.levels.level_min],
            "showscale": True,
            "colorbar": colourbar,
        },
        hoverinfo="skip",
        showlegend=False,
        **more,
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
    finite = np.flatnonzero(finite_points(shown))
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


def contour_map_traces(
    surface: Surface,
    paths: Sequence[PathData],
    upto: int | None = None,
    colourbar_beside: bool = False,
    narrow: bool = False,
) -> list[dict]:
    """The colour bar (``colourbar_trace``), every path up to ``upto`` with its start/end markers,
    and the known minima."""
    traces = [colourbar_trace(surface.background, beside=colourbar_beside, narrow=narrow)]
    for path in paths:
        traces.extend(path_traces(path, upto))
    return traces + minima_traces(surface)


#: Under a map, in pixels: its x tick labels and the x title.
MAP_AXIS_ROOM_PX = 56


def contour_map_layout(
    surface: Surface,
    height: int,
    traces: Sequence[dict],
    *,
    uirevision=None,
    view_box=None,
    equal_scale: bool = False,
    bottom_margin: int = 120,
    **more,
) -> dict:
    """The surface as the plot's background, on x and y axes over ``view_box`` ((xmin, xmax),
    (ymin, ymax); the whole surface when None), with room above for the legend of ``traces``.
    ``equal_scale``: a unit is as long on both axes (a circle on the map is drawn round)."""
    (xmin, xmax), (ymin, ymax) = axis_ranges(surface) if view_box is None else view_box
    # the plot shrinks to the map (constrain "domain"), rather than widening a range past its picture
    same_unit = {"scaleanchor": "x", "scaleratio": 1, "constrain": "domain"} if equal_scale else {}
    return layout(
        height,
        uirevision=uirevision,
        bottom_margin=bottom_margin,
        top_margin=legend_top_margin(traces),
        images=[background_image(surface)],
        xaxis=plain_axis(
            range=[xmin, xmax], title={"text": "x"}, constrain="domain", ticklabelstandoff=MAP_X_LABEL_STANDOFF
        ),
        yaxis=plain_axis(range=[ymin, ymax], title={"text": "y"}, **same_unit),
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


#: The 3-D view's left and right margins (room for the playback's buttons at the edge).
SCENE_SIDE_MARGIN = 8
#: How far the step slider's rail sits below the top of the ▶ / ❚❚ row, so that it passes under them.
PLAYBACK_RAIL_DROP = 8


def playback_controls(steps: Sequence[int], *, redraw: bool = False, gap: int = 36) -> dict:
    """Layout pieces for plotly's own animation over frames named by their step: ▶ / ❚❚ ``gap``
    pixels under the plot's left corner, and under them a step slider as wide as the plot, its
    "step N" on the right (``redraw`` for 3-D scenes, which need it). The slider's own labels, one
    per frame, are left out: on a phone they ran into each other and into the colour bar below."""
    play = {
        "label": "▶",
        "method": "animate",
        # immediate: a second ▶ replaces the remaining frames rather than queueing them again
        "args": [None, {"frame": {"duration": 80, "redraw": redraw}, "fromcurrent": True, "mode": "immediate"}],
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
                # beside the buttons, whose row it shares: on a phone they hid it when it sat on the left
                "currentvalue": {"prefix": "step ", "xanchor": "right", "font": {"color": TEXT_COLOUR}},
                "font": {"color": "rgba(0, 0, 0, 0)"},
                "x": 0,
                "len": 1,
                "y": 0,
                "yanchor": "top",
                "pad": {"t": gap + PLAYBACK_RAIL_DROP, "b": 0},
                "steps": [{"label": str(step), "method": "animate", "args": [[str(step)], at_step]} for step in steps],
            }
        ],
    }


def _position_at(points: np.ndarray, losses: np.ndarray, step: int) -> dict:
    """Where a path is at ``step`` (its last finite point up to then, with f there), as a marker's data."""
    finite = np.flatnonzero(finite_points(points[: step + 1]) & np.isfinite(losses[: step + 1]))
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
    background = surface.background
    levels = background.levels(values)  # as the contour map's colours and colour bar have them
    traces = [
        {
            "type": "surface",
            "x": surface.xs[::stride],
            "y": surface.ys[::stride],
            "z": values,
            "surfacecolor": levels,
            "colorscale": SURFACE_COLOURSCALE,
            "cmin": background.levels.level_min,
            "cmax": background.levels.level_max,
            # drawn by st.plotly_chart, which has no phone variant: the bar that fits a phone's width
            "colorbar": surface_colourbar(background, narrow=True),
            "contours": {"z": {"show": False}},
            # see-through, so the parts of a path behind a hill stay visible
            "opacity": 0.75,
            "name": "f",
            "showlegend": False,  # plotly leaves a surface out of the legend: no row to make room for
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
        # st.plotly_chart draws this figure, without live_chart's fitting of the legend's room
        top_margin=legend_top_margin(traces) + MODEBAR_ROOM,
        # a scene draws its axes' labels inside itself: the side margins only narrowed it, and on a
        # phone its sides (the f axis with them) were cut off
        left_margin=SCENE_SIDE_MARGIN,
        right_margin=SCENE_SIDE_MARGIN,
        scene={
            "xaxis": {**axis, "title": {"text": "x"}},
            "yaxis": {**axis, "title": {"text": "y"}},
            "zaxis": {**axis, "title": {"text": "f"}},
            "aspectmode": "manual",
            "aspectratio": {"x": 1, "y": 1, "z": 0.6},
            "camera": {"eye": {"x": 1.2, "y": -1.2, "z": 0.75}},
        },
        # a scene has no axis labels under it: the controls sit close, and clear of the colour bar
        **playback_controls(steps, redraw=True, gap=12),
    )
    return {"data": traces, "layout": spec, "frames": frames}
