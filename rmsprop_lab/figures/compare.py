"""The Compare page's figures: the paths on the contour map (overlaid, or one small map per
optimizer), the loss by step and RMSProp's effective step sizes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from rmsprop_core.metrics import finite_points

from .style import (
    MAP_X_LABEL_STANDOFF,
    colour_for,
    grid_axis,
    layout,
    legend_top_margin,
    line_chart_layout,
    line_trace,
    plain_axis,
)
from .surface import (
    PathData,
    Surface,
    axis_ranges,
    background_image,
    colourbar_trace,
    contour_map_layout,
    contour_map_traces,
    minima_traces,
    path_traces,
    playback_controls,
    playback_steps,
)

#: Small multiples side by side, at most: three made 65 px wide panels on a phone.
SMALL_MULTIPLES_PER_ROW = 2
#: On a projector: its chart is wide, and as tall as the screen, which two rows of panels at its
#: larger fonts squashed into strips, each row's title on the row above's tick labels.
PROJECTED_MULTIPLES_PER_ROW = 3


def contour_figure(
    surface: Surface,
    paths: Sequence[PathData],
    *,
    upto: int | None = None,
    height: int = 560,
    uirevision=None,
    narrow: bool = False,
) -> dict:
    """All paths overlaid on the log-level contour, with start/end markers and known minima;
    ``narrow``: a chart a third of a page wide (``colourbar_trace``)."""
    traces = contour_map_traces(surface, paths, upto, narrow=narrow)
    # a round bowl is drawn round, and each path's steps at their true angles
    layout = contour_map_layout(surface, height, traces, uirevision=uirevision, equal_scale=True)
    return {"data": traces, "layout": layout}


def animated_contour_figure(surface: Surface, paths: Sequence[PathData], *, height: int = 640) -> dict:
    """The overlay map with a playback of its own, for a file that works without the app: plotly
    frames move each path's "now" marker along its path, driven by ▶ / ❚❚ and a step slider."""
    spec = contour_figure(surface, paths, height=height)
    markers = {
        trace["legendgroup"]: index for index, trace in enumerate(spec["data"]) if trace.get("meta") == "path-marker"
    }
    moving = [(path, markers[path.label]) for path in paths if path.label in markers]
    steps = playback_steps(max((len(path.points) - 1 for path, _ in moving), default=0))

    def now(path: PathData, step: int) -> dict:
        finite = np.flatnonzero(finite_points(path.points[: step + 1]))
        x, y = path.points[int(finite[-1])]
        return {"x": [path.points[0, 0], float(x)], "y": [path.points[0, 1], float(y)]}

    frames = [
        {"name": str(step), "traces": [index for _, index in moving], "data": [now(path, step) for path, _ in moving]}
        for step in steps
    ]
    margin = {**spec["layout"]["margin"], "b": spec["layout"]["margin"]["b"] + 110}
    # below the x axis's title
    spec["layout"] = {**spec["layout"], **playback_controls(steps, gap=64), "margin": margin}
    return {**spec, "frames": frames}


def _map_title(path: PathData, centre: float) -> dict:
    """The optimizer's name above its small map, in its colour."""
    return {
        "text": f"<b>{path.label}</b>",
        "x": centre,
        "y": 1.0,
        "xref": "paper",
        "yref": "paper",
        "xanchor": "center",
        "yanchor": "bottom",
        "showarrow": False,
        "font": {"color": path.colour},
    }


def small_multiples_figure(
    surface: Surface,
    paths: Sequence[PathData],
    *,
    upto: int | None = None,
    height: int = 420,
    uirevision=None,
    per_row: int = SMALL_MULTIPLES_PER_ROW,
) -> dict:
    """One contour per optimizer, at most ``per_row`` a row (two: a panel stays wide enough to
    read on a phone, and its tick labels clear its neighbour's), with shared axes and one shared
    colour scale; ``height`` is one row's."""
    count = max(len(paths), 1)
    columns = min(count, per_row)
    rows = -(-count // columns)
    # in pixels: one row's plot area (the layout's margins are 64 above and 120 below) and the gap
    # under a row, for its x tick labels and the next row's titles
    panel, gap = height - 184, 64
    paper = rows * panel + (rows - 1) * gap
    height = paper + 184
    gap_x, gap_y = 0.06, gap / paper
    width = (1.0 - gap_x * (columns - 1)) / columns
    row_height = panel / paper
    x_range, y_range = axis_ranges(surface)
    traces = [colourbar_trace(surface.background)]
    axes, images, titles = {}, [], []
    for index, path in enumerate(paths or [None]):
        column, row = index % columns, index // columns
        suffix = "" if index == 0 else str(index + 1)
        left, top = column * (width + gap_x), 1.0 - row * (row_height + gap_y)
        axes[f"xaxis{suffix}"] = plain_axis(
            range=x_range,
            domain=[left, left + width],
            anchor=f"y{suffix}",
            matches="x" if index else None,
            nticks=6,
            ticklabelstandoff=MAP_X_LABEL_STANDOFF,
        )
        axes[f"yaxis{suffix}"] = plain_axis(
            range=y_range,
            domain=[top - row_height, top],
            anchor=f"x{suffix}",
            matches="y" if index else None,
            showticklabels=column == 0,
            nticks=6,
        )
        images.append(background_image(surface, suffix))
        if path is not None:
            traces.extend(path_traces(path, upto, axis_suffix=suffix, show_legend=False))
            titles.append({**_map_title(path, left + width / 2), "y": top})
        traces.extend(minima_traces(surface, axis_suffix=suffix, show_legend=False))
    return {
        "data": traces,
        "layout": layout(height, uirevision=uirevision, bottom_margin=120, images=images, annotations=titles, **axes),
    }


def loss_shown(losses: np.ndarray, min_value: float | None, dtype=float) -> np.ndarray:
    """What the loss chart draws: f itself, or with a known minimum f* the gap f - f*, which can
    reach exactly 0 at the minimum, so it is clipped to the smallest positive ``dtype`` that a log
    axis can draw."""
    if min_value is None:
        return np.asarray(losses, dtype=dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        return np.maximum(np.asarray(losses - min_value, dtype=dtype), np.finfo(dtype).tiny)


def loss_figure(paths: Sequence[PathData], min_value: float | None, *, height: int = 320, uirevision=None) -> dict:
    """Loss vs step. With a known minimum f*, the gap f - f* on a log axis; otherwise f itself.
    The y axis fits the runs that did not diverge: a diverged loss (10⁹⁰ at rho = 1) runs off the
    top instead of squashing the others into the bottom row."""
    traces = []
    for path in paths:
        values = loss_shown(path.losses, min_value)
        traces.append(line_trace(path.label, np.arange(len(values)), values, color=path.colour))
    kept = [trace for trace, path in zip(traces, paths, strict=True) if path.diverged_at < 0]
    log_scale = min_value is not None
    return {
        "data": traces,
        "layout": line_chart_layout(
            height,
            traces,
            title="Loss by step",
            x_title="step",
            y_title="f − f*  (log scale)" if log_scale else "f",
            log_y=log_scale,
            uirevision=uirevision,
            fitted_lines=kept or None,
        ),
    }


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
    gradient was seen) is left out. ``reference``: (label, colour, value) horizontal lines such as
    SGD's constant lr, dashed, named in the legend (a label on the plot would cross the curves).
    """
    traces = [
        line_trace(f"{label}: {name}", np.arange(1, len(step_size)), step_size[1:, axis], color=colour, dash=dash)
        for label, colour, step_size in series
        for axis, name, dash in ((0, "x", "solid"), (1, "y", "dot"))
    ]
    last_step = max((len(step_size) - 1 for _, _, step_size in series), default=1)
    traces += [
        line_trace(label, [1, max(last_step, 1)], [value, value], color=colour, dash="dash")
        for label, colour, value in reference
    ]
    return {
        "data": traces,
        "layout": line_chart_layout(
            height,
            traces,
            title=title,
            x_title="step",
            y_title="step size (log scale)",
            log_y=True,
            uirevision=uirevision,
        ),
    }


def compare_step_size_figure(results, specs, *, uirevision=None) -> dict | None:
    """Compare's step-size chart: the per-coordinate effective step size of each RMSProp or
    Adagrad run of ``results``, beside SGD's constant α when ``specs`` switch SGD on; None when no
    such run is on."""
    adaptive = [result for result in results if result.kind in ("rmsprop", "adagrad")]
    if not adaptive:
        return None
    reference = [
        (f"SGD: α = {spec.lr:g} for every coordinate", colour_for("sgd"), spec.lr)
        for spec in specs
        if spec.kind == "sgd"
    ]
    series = [(result.label, colour_for(result.kind), result.state["step_size"]) for result in adaptive]
    return step_size_figure(series, reference=reference, uirevision=uirevision)


@dataclass(frozen=True)
class SensitivityCurve:
    """One optimizer's steps to settle at each learning rate (-1: never settles), its diverged
    runs, and the index of the α the tuning picked (-1: none)."""

    label: str
    colour: str
    learning_rates: np.ndarray
    steps_to_settle: np.ndarray
    diverged: np.ndarray
    best: int


def sensitivity_figure(curves: Sequence[SensitivityCurve], steps: int, *, height: int = 340, uirevision=None) -> dict:
    """Steps to settle against α (log axis), one line per optimizer: how wide each good range is.
    Runs that never settle sit on the top line (open circles), diverged ones are crosses there."""
    traces = []
    for curve in curves:
        settled = curve.steps_to_settle >= 0
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": curve.label,
                "x": np.where(settled, curve.learning_rates, np.nan),
                "y": np.where(settled, curve.steps_to_settle, np.nan).astype(float),
                "line": {"color": curve.colour, "width": 2},
                "marker": {"size": 5},
                "hovertemplate": "α = %{x:.3g}: settles in %{y} steps<extra>" + curve.label + "</extra>",
            }
        )
        for mask, symbol, text in (
            (~settled & ~curve.diverged, "circle-open", "never settles"),
            (curve.diverged, "x-thin-open", "diverges"),
        ):
            if mask.any():
                traces.append(
                    {
                        "type": "scatter",
                        "mode": "markers",
                        "name": f"{curve.label}: {text}",
                        "showlegend": False,
                        "x": curve.learning_rates[mask],
                        "y": np.full(int(mask.sum()), float(steps)),
                        "marker": {"color": curve.colour, "symbol": symbol, "size": 7, "line": {"width": 1.5}},
                        "hovertemplate": "α = %{x:.3g}: " + text + "<extra>" + curve.label + "</extra>",
                    }
                )
        if curve.best >= 0:
            best_steps = curve.steps_to_settle[curve.best]
            traces.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": f"{curve.label}: tuned α",
                    "showlegend": False,
                    "x": [float(curve.learning_rates[curve.best])],
                    "y": [float(best_steps if best_steps >= 0 else steps)],
                    "marker": {
                        "color": curve.colour,
                        "symbol": "star",
                        "size": 14,
                        "line": {"color": "white", "width": 1},
                    },
                    "hovertemplate": "tuned α = %{x:.3g}<extra>" + curve.label + "</extra>",
                }
            )
    spec = layout(
        height,
        title="Steps to settle, by learning rate",
        uirevision=uirevision,
        top_margin=legend_top_margin(traces) + 24,
        xaxis=grid_axis(title={"text": "learning rate α"}, type="log", exponentformat="power"),
        yaxis=grid_axis(title={"text": "steps to settle"}, range=[0, steps * 1.05]),
    )
    return {"data": traces, "layout": spec}


#: What one hyperparameter's ladder may take on the wire: the float32 arrays, the header aside.
SCRUB_LADDER_BYTES = 270_000


@dataclass(frozen=True)
class ScrubLadder:
    """One optimizer's path, loss curve and step sizes at every value of one hyperparameter's
    ladder, in float32 and thinned to ``SCRUB_LADDER_BYTES``: what the browser swaps into the
    Compare charts while that hyperparameter's slider is dragged. Row ``i`` is the ladder's value
    ``i``, which is the slider's position ``i``."""

    setting: str  # the page setting whose slider this ladder follows
    label: str  # the optimizer's trace name in the charts
    path_steps: np.ndarray  # (P,) the steps of the path points kept
    paths: np.ndarray  # (values, 2, P): x then y
    ends: np.ndarray  # (values, 2): the last finite point shown (the end marker)
    line_steps: np.ndarray  # (L,) the steps of the loss points kept
    losses: np.ndarray  # (values, L), as the loss chart draws them
    step_steps: np.ndarray | None  # (S,) the steps of the step sizes kept (from 1)
    step_sizes: np.ndarray | None  # (values, 2, S): x then y

    def arrays(self) -> list[np.ndarray]:
        """The float32 arrays in the order the browser reads them."""
        return [self.paths, self.ends, self.losses, *([] if self.step_sizes is None else [self.step_sizes])]

    @cached_property
    def float32_bytes(self) -> bytes:
        """``arrays()`` as little-endian float32 bytes, one after the other; made once, as the page
        sends the same (cached) ladder on every press while its slider is in use."""
        return b"".join(array.astype("<f4").tobytes() for array in self.arrays())


def even_steps(last: int, count: int, first: int = 0) -> np.ndarray:
    """At most ``count`` evenly spaced steps from ``first`` to ``last``, both included."""
    return np.unique(np.linspace(first, last, max(2, min(count, last - first + 1))).round().astype(np.int64))


def scrub_ladder(
    setting: str,
    label: str,
    points: np.ndarray,
    losses: np.ndarray,
    step_sizes: np.ndarray | None,
    min_value: float | None,
    upto: int | None = None,
    budget: int = SCRUB_LADDER_BYTES,
) -> ScrubLadder:
    """``points`` (steps + 1, values, 2), ``losses`` (steps + 1, values) and ``step_sizes`` (like
    ``points``, or None) of a broadcast run over a ladder, thinned to ``budget`` bytes: the path up
    to ``upto`` with twice as many points as each line of the loss and step-size charts."""
    steps, count = losses.shape[0] - 1, losses.shape[1]
    floats = budget // 4 // count - 2  # per value, after its end point
    path_count = int(floats / (2 + 0.5 * (1 + (0 if step_sizes is None else 2))))
    last = steps if upto is None else min(max(upto, 0), steps)
    path_steps = even_steps(last, path_count)
    line_steps = even_steps(steps, path_count // 2)
    shown = points[: last + 1]
    finite = finite_points(shown)
    end = np.where(finite.any(axis=0), last - np.argmax(finite[::-1], axis=0), 0)
    step_steps = None if step_sizes is None else even_steps(steps, path_count // 2, first=1)
    with np.errstate(over="ignore"):  # beyond float32's range is inf: off every chart alike
        return ScrubLadder(
            setting=setting,
            label=label,
            path_steps=path_steps,
            paths=np.ascontiguousarray(points[path_steps].transpose(1, 2, 0), dtype=np.float32),
            ends=np.ascontiguousarray(shown[end, np.arange(count)], dtype=np.float32),
            line_steps=line_steps,
            losses=np.ascontiguousarray(loss_shown(losses[line_steps], min_value, np.float32).T),
            step_steps=step_steps,
            step_sizes=None
            if step_sizes is None
            else np.ascontiguousarray(step_sizes[step_steps].transpose(1, 2, 0), dtype=np.float32),
        )
