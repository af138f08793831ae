"""What every figure shares: the palette, fonts, margins and plot configs, the layout pieces the
builders compose (axes, colour bars, room for the legend) and the decimated line trace.

Colours are the Okabe–Ito palette (distinguishable with every common colour-vision deficiency),
one fixed colour per optimizer kind so a method looks the same in every chart and on every page.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

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
_KIND_BY_LABEL = {
    "SGD": "sgd",
    "Momentum": "momentum",
    "Nesterov": "momentum",
    "RMSProp": "rmsprop",
    "Adagrad": "adagrad",
    "Adam": "adam",
}


class _ColoursByKind(dict):
    """Colours keyed by optimizer kind; a label finds its kind's colour too, since a label is what
    a page has at hand."""

    def __missing__(self, name: str) -> str:
        for label, kind in _KIND_BY_LABEL.items():
            if name.startswith(label):
                return self[kind]
        raise KeyError(name)


OPTIMIZER_COLOURS = _ColoursByKind(
    sgd=REDDISH_PURPLE, momentum=BLUE, rmsprop=VERMILLION, adam=BLUISH_GREEN, adagrad=SKY_BLUE
)
#: For series that are no optimizer, in turn; none of them is an optimizer's.
EXTRA_COLOURS = (ORANGE, BLACK, YELLOW, "#999999")
#: Distinct colours for a family of runs (e.g. one per rho value), Okabe–Ito order.
SERIES_COLOURS = (BLUE, BLUISH_GREEN, VERMILLION, REDDISH_PURPLE, ORANGE, SKY_BLUE, BLACK)


def colour_for(name: str, index: int = 0) -> str:
    """The colour of an optimizer kind (``"rmsprop"``) or label (``"RMSProp (centered)"``); any
    other name takes extra colour ``index``."""
    try:
        return OPTIMIZER_COLOURS[name]
    except KeyError:
        return EXTRA_COLOURS[index % len(EXTRA_COLOURS)]


FONT = {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 13}
GRID_COLOUR = "#eeeeee"
#: plotly's own colour for text, for the labels that must be given one
TEXT_COLOUR = "#444444"
# no "send to Plotly Cloud" or "edit in Chart Studio": nothing a user draws here leaves the app
NO_SHARING = {"displaylogo": False, "showSendToCloud": False, "showEditInChartStudio": False}
PLOT_CONFIG = {**NO_SHARING, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}
#: Charts whose cells can be picked keep the box-select tool.
SELECTABLE_PLOT_CONFIG = {**NO_SHARING, "modeBarButtonsToRemove": ["lasso2d"]}

LEFT_MARGIN = 60
RIGHT_MARGIN = 16
#: Room above a legend for plotly's mode bar, which a phone's legend of two rows would reach.
MODEBAR_ROOM = 28
#: Room above a chart's legend for its one-line title.
TITLE_ROOM = 32
#: How far below a map's x axis its labels sit (px): at plotly's own distance the first x label and
#: the lowest y label met at the map's corner, half a pixel apart.
MAP_X_LABEL_STANDOFF = 5
#: Room left of a log axis for its powers of ten (10⁻²) and its title, on a phone too.
LOG_AXIS_LEFT_MARGIN = 76


def layout(
    height: int,
    title: str | None = None,
    uirevision=None,
    bottom_margin: int = 48,
    top_margin: int | None = None,
    left_margin: int = LEFT_MARGIN,
    right_margin: int = RIGHT_MARGIN,
    **more,
) -> dict:
    """The layout every figure starts from; ``more`` adds its axes, images, shapes and so on."""
    spec = {
        "height": height,
        # Fixed margins with autoexpand off: Plotly's automatic margins cost a second layout pass
        # on every redraw (about 90 ms per slider move in Chromium here); these fit our labels,
        # including a legend wrapped onto two rows on a phone.
        "margin": {
            "l": left_margin,
            "r": right_margin,
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
        spec["title"] = {
            "text": title,
            "x": 0.01,
            "y": 0.98,
            "yref": "container",
            "yanchor": "top",
            "font": {"size": 15},
        }
    spec.update(more)
    return spec


#: The width a legend has on a phone (390 px: the page's padding and the plot's margins taken off).
PHONE_LEGEND_PX = 280
#: A legend entry's width on a phone: its symbol and gaps, and each character of its name.
LEGEND_ENTRY_PX, LEGEND_CHARACTER_PX = 40, 7


def legend_rows_on_a_phone(names: Sequence[str]) -> int:
    """How many rows a legend of ``names`` takes on a phone: two entries per row at most, and
    fewer where long names do not fit side by side (plotly starts a row when the next one does not)."""
    rows, used, in_row = 1, 0, 0
    for name in names:
        width = LEGEND_ENTRY_PX + LEGEND_CHARACTER_PX * len(name)
        if in_row and (in_row == 2 or used + width > PHONE_LEGEND_PX):
            rows, used, in_row = rows + 1, 0, 0
        used, in_row = used + width, in_row + 1
    return rows if names else 0


def legend_top_margin(traces: Sequence[dict]) -> int:
    """Room above the plot for the legend of ``traces`` (those not kept out of it), as it wraps
    on a phone (``legend_rows_on_a_phone``)."""
    names = [str(trace.get("name", "")) for trace in traces if trace.get("showlegend", True)]
    return max(64, 20 + 24 * legend_rows_on_a_phone(names))


def plain_axis(**more) -> dict:
    return {"showgrid": False, "zeroline": False, **more}


def grid_axis(**more) -> dict:
    return {"showgrid": True, "gridcolor": GRID_COLOUR, "zeroline": False, **more}


def nice_step(span: float, count: int) -> float:
    """The 1, 2 or 5 × 10^k step that cuts ``span`` into about ``count`` parts."""
    raw = span / count
    magnitude = 10.0 ** np.floor(np.log10(raw))
    return float(next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw * (1 - 1e-9)))


#: A line chart's value axis fits its lines with a margin of this share of their span, then is
#: widened to whole steps of about the same share: data that move a little (a slider's next value)
#: keep the same range, so the browser redraws the lines alone.
LINE_AXIS_MARGIN = 1 / 40


def fitted_range(low: float, high: float, step: float | None = None) -> list[float]:
    """An axis range over ``low``..``high`` (axis units: decades on a log axis), ``LINE_AXIS_MARGIN``
    of their span beyond each end and widened outward to whole ``step``s, by default 1-2-5 steps of
    about twice that margin (a single value: one unit either side)."""
    if high <= low:
        return [float(low) - 1.0, float(high) + 1.0]
    span = high - low
    step = step or nice_step(span, round(1 / (2 * LINE_AXIS_MARGIN)))
    margin = LINE_AXIS_MARGIN * span
    ends = (np.floor((low - margin) / step) * step, np.ceil((high + margin) / step) * step)
    return [float(f"{end:.12g}") for end in ends]  # without float noise such as 0.35000000000000003


#: The lowest a line chart's log axis reaches: a loss reaching the minimum exactly (f − f* drawn at
#: the smallest float, 10⁻³⁰⁸, on the default page) squashed the decades that matter into the
#: chart's top tenth; lower points run off its bottom edge, and the results table has the numbers.
LOG_AXIS_FLOOR = 1e-20


def _log_axis_fit(values, most_ticks: int = 7) -> dict:
    """A log axis fitted to ``values``: its range (``fitted_range`` in decades) stops at
    ``LOG_AXIS_FLOOR`` under lines that reach a decade above it (lines wholly below it, a run
    started at the minimum, are fitted themselves), and so does plotly's own fit when the user
    asks for it (clipmin). When the data span two decades or more down to the floor: a range of
    whole decades, and whole-decade ticks (no 2/5 clutter) spaced so that at most about
    ``most_ticks`` labels appear."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite) & (finite > 0)]
    if finite.size == 0:
        return {}
    low, high = np.log10(finite.min()), np.log10(finite.max())
    floored = finite.max() > 10 * LOG_AXIS_FLOOR
    if floored:  # the margins are fitted to what is drawn
        low = max(low, float(np.log10(LOG_AXIS_FLOOR)))
    decades = high - low
    # over whole decades, a nudged setting's lines mostly keep the range: they move, the axis stays
    fit = {"range": fitted_range(low, high, step=1.0 if decades >= 2 else None)}
    if floored:
        fit["range"][0] = max(fit["range"][0], float(np.log10(LOG_AXIS_FLOOR)))
        fit["autorangeoptions"] = {"clipmin": LOG_AXIS_FLOOR}
    if decades >= 2:
        fit["dtick"] = int(np.ceil(decades / most_ticks))
    return fit


def _linear_axis_fit(values) -> dict:
    """A linear axis fitted to ``values`` (``fitted_range``), or left to plotly when none is finite."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    return {"range": fitted_range(float(finite.min()), float(finite.max()))} if finite.size else {}


def line_chart_layout(
    height: int,
    lines: Sequence[dict],
    *,
    title: str | None,
    x_title: str,
    y_title: str,
    log_y: bool,
    uirevision=None,
    fitted_lines: Sequence[dict] | None = None,
    **more,
) -> dict:
    """The layout of a chart of ``lines`` (traces): x from the first point to the last, as plotly
    fits lines; y fitted with a margin (``fitted_range``) to ``fitted_lines`` (by default all
    ``lines``; others may run off the chart); a log y axis shows powers of ten, with whole-decade
    ticks fitted to the lines, and gets the wider left margin they need. Every range is given, so
    a new figure whose lines alone moved is drawn by redrawing its lines alone."""
    fitted = lines if fitted_lines is None else fitted_lines
    ys = np.concatenate([np.asarray(line["y"], dtype=float) for line in fitted]) if fitted else np.empty(0)
    xs = np.concatenate([np.asarray(line["x"], dtype=float) for line in lines]) if lines else np.empty(0)
    y_axis = grid_axis(title={"text": y_title}, type="log" if log_y else "linear", exponentformat="power")
    y_axis.update(_log_axis_fit(ys) if log_y else _linear_axis_fit(ys))
    xs = xs[np.isfinite(xs)]
    x_range = {"range": [float(xs.min()), float(xs.max())]} if xs.size and xs.max() > xs.min() else {}
    return layout(
        height,
        title=title,
        uirevision=uirevision,
        # the title's line above the legend, however many rows the legend wraps to on a phone
        top_margin=legend_top_margin(lines) + (TITLE_ROOM if title else 0),
        left_margin=LOG_AXIS_LEFT_MARGIN if log_y else LEFT_MARGIN,
        xaxis=grid_axis(title={"text": x_title}, **x_range),
        yaxis=y_axis,
        **more,
    )


def horizontal_colourbar(title: str, **more) -> dict:
    """A colour bar under the plot: a vertical one would take a third of a phone's width."""
    return {
        "title": {"text": title, "side": "right"},
        "orientation": "h",
        # each label to the right of its tick: the first would otherwise run into the title
        "ticklabelposition": "outside right",
        "thickness": 10,
        "len": 0.8,
        "x": 0.5,
        "xanchor": "center",
        # pinned to the figure's bottom edge, not to the plot: stays in the bottom margin at any
        # height (full screen included); the padding also holds the first label when a phone's
        # narrow bar turns its labels upright (plotly leaves it hanging below its own estimate)
        "yref": "container",
        "y": 0,
        "yanchor": "bottom",
        "ypad": 14,
        **more,
    }


#: The right margin that holds a side colour bar with its tick labels and title.
SIDE_COLOURBAR_MARGIN = 104


def side_colourbar(title: str, **more) -> dict:
    """A colour bar to the right of the plot, in a right margin of ``SIDE_COLOURBAR_MARGIN``, for a
    square map on a wide screen (a projector), where the room beside the map is free and the room
    under it is not. In the margin, not at the plot's edge: a map narrower than tall fills the
    plot's width, and the bar would lie over it."""
    return {
        "title": {"text": title, "side": "right"},
        "thickness": 14,
        "len": 0.9,
        "x": 1.0,
        "xanchor": "left",
        "xpad": 8,
        **more,
    }


def empty_trace(name: str, **style) -> dict:
    """A scatter with no points: a legend entry, or the holder of a colour bar, for something
    drawn otherwise (arrows, an image, a heatmap layer)."""
    return {"type": "scatter", "x": [None], "y": [None], "name": name, **style}


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


def line_trace(name: str, x, y, x_title: str = "step", **line) -> dict:
    """One line by ``x_title``, decimated for drawing (peaks kept); ``line`` styles it (color, dash).
    A line with one finite value (a run that diverged after its first step) is drawn as a dot."""
    shown_x, shown_y = decimate_min_max(np.asarray(x), np.asarray(y, dtype=float))
    # a line through one point draws nothing, and the axis would be fitted to a value nobody sees
    dot = np.count_nonzero(np.isfinite(shown_y)) == 1
    trace = {
        "type": "scatter",
        "x": shown_x,
        "y": shown_y,
        "mode": "lines+markers" if dot else "lines",
        "name": name,
        "line": {**line, "width": 2},
        "hovertemplate": f"<b>{name}</b><br>{x_title} %{{x}}<br>%{{y:.4g}}<extra></extra>",
    }
    if dot:  # its first step sits on the x axis's first value: drawn whole, not cut at the edge
        trace["cliponaxis"] = False
    return trace


#: Presentation mode (projecting): how much larger text, lines and markers are drawn, and how much
#: more room the fixed margins leave for the larger labels.
PROJECTOR_SCALE = {"font": 1.5, "line": 2.0, "marker": 1.6, "margin": 1.35, "height": 1.25}


def _scaled(value, factor: float):
    """A size (or a list of sizes, per point) times ``factor``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value * factor
    if isinstance(value, (list, tuple)):
        return [_scaled(item, factor) for item in value]
    return value


def _with_font(spec: dict | None, factor: float, default: float) -> dict:
    font = dict(spec or {})
    font["size"] = _scaled(font.get("size", default), factor)
    return font


def _projected_trace(trace: dict) -> dict:
    scale = PROJECTOR_SCALE
    trace = dict(trace)  # the data arrays are shared, never changed
    if trace.get("type", "scatter") in ("scatter", "scattergl", "scatter3d"):
        mode = trace.get("mode", "lines+markers")
        if "lines" in mode:
            line = dict(trace.get("line") or {})
            line["width"] = _scaled(line.get("width", 2), scale["line"])
            trace["line"] = line
        if "markers" in mode or "marker" in trace:
            marker = dict(trace.get("marker") or {})
            marker["size"] = _scaled(marker.get("size", 6), scale["marker"])
            if "line" in marker:
                marker["line"] = {**marker["line"], "width": _scaled(marker["line"].get("width", 0), scale["line"])}
            trace["marker"] = marker
        if "text" in mode:
            trace["textfont"] = _with_font(trace.get("textfont"), scale["font"], FONT["size"])
    return trace


def projected(spec: dict) -> dict:
    """``spec`` for a projector: every font 1.5×, lines 2×, markers 1.6×, the margins and height
    larger to fit them. A new spec; the original (and its data arrays) is left as it was."""
    scale = PROJECTOR_SCALE
    old = spec.get("layout", {})
    new = dict(old)
    new["font"] = _with_font(old.get("font"), scale["font"], FONT["size"])
    new["hoverlabel"] = {**old.get("hoverlabel", {}), "font": new["font"]}
    if isinstance(old.get("title"), dict):
        new["title"] = {**old["title"], "font": _with_font(old["title"].get("font"), scale["font"], FONT["size"])}
    if "margin" in old:
        new["margin"] = {
            side: round(_scaled(value, scale["margin"])) if side in "lrtb" else value
            for side, value in old["margin"].items()
        }
    if "height" in old:
        new["height"] = round(old["height"] * scale["height"])
    if old.get("annotations"):
        new["annotations"] = [
            {**note, "font": _with_font(note.get("font"), scale["font"], FONT["size"])} for note in old["annotations"]
        ]
    if old.get("shapes"):
        new["shapes"] = [
            {**shape, "line": {**shape["line"], "width": _scaled(shape["line"].get("width", 2), scale["line"])}}
            if "line" in shape
            else shape
            for shape in old["shapes"]
        ]
    return {**spec, "data": [_projected_trace(trace) for trace in spec.get("data", [])], "layout": new}
