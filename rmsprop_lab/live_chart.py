"""Plotly charts that redraw in place: ``live_chart(figure, key=...)``.

``st.plotly_chart`` derives a chart's identity from its figure, so every new figure mounts a new
chart: a fresh ``Plotly.newPlot``, a follow-up ``Plotly.react`` and the teardown of the old one.
On Compare one key press redraws three charts, and that was most of its latency (README,
Performance). Its component (``st.components.v2``, no iframe; the browser side, with plotly.js
and ``preload_plotly()``, is in ``chart_component``) keeps one ``<div>`` per key for as long as
the page shows it and hands each new figure to ``Plotly.react``, which redraws what changed and
keeps the zoom (``layout.uirevision``).

Scrubbing (``scrub_ladder``): while a hyperparameter's slider is dragged (Streamlit sends its
value only on release) the charts follow the pointer: a hidden element holds that optimizer's
paths at every value of the slider's ladder (one broadcast engine run, ``runs.ladder``), and the
browser draws the row under the pointer into the charts, with no server round trip. The charts
and the ladder each carry a revision of what the ladder is computed from (``scrub_revision``), so
the ladder can live apart from the charts (a press need not send it again) and a stale one is
asked for anew instead of drawn.

Selection (``on_select=True``, the Sweep page's map): a click on a point, or a box dragged over
points, is reported to Python as ``st.plotly_chart(on_select="rerun")`` reports it, through a
trigger value (it reruns the page, or its fragment, once; ``live_chart`` returns the picked
points in that run and None otherwise). Only figures of the bundle's trace types can be drawn:
the Sweep page draws its heatmap as an image under scatter markers, as Compare draws its contours.
"""

from __future__ import annotations

import base64
import hashlib
import re

import numpy as np
import orjson
import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st
from _plotly_utils.utils import plotlyjsShortTypes

from .chart_component import BUNDLE_TRACE_TYPES, LIVE_CHART_COMPONENT, SCRUB_COMPONENT, SCRUB_KEY_SUFFIX
from .figures import PLOT_CONFIG, ScrubLadder
from .presentation import presented, presenting


def chart_payload(
    figure: go.Figure | dict,
    config: dict | None = None,
    playback_steps: int | None = None,
    present: bool = False,
    select: bool = False,
    present_room_above: int = 0,
    narrow: tuple[int, go.Figure | dict] | None = None,
    scrub_revisions: dict[str, str] | None = None,
) -> bytes:
    """The bytes the browser gets: ``{"data", "layout", "config"}`` as Plotly JSON (arrays in
    plotly's base64 form, which plotly.js reads directly), ``playback`` when the chart offers
    ▶ / ❚❚ over its paths' ``playback_steps`` steps, ``present`` in presentation mode (with
    ``presentRoomAbove``, pixels the page's main chart leaves on the screen for controls just above
    it), ``select`` when it reports the points a click or a box picks, ``narrow`` ``(width,
    figure)``: the figure a chart narrower than ``width`` pixels shows instead, and
    ``scrubRevisions`` (``scrub_revisions``): the revision a ladder of each slider must have to be
    swapped into this chart."""
    payload = {**_figure_parts(figure), "config": config or PLOT_CONFIG}
    if playback_steps is not None:
        payload["playback"] = {"steps": int(playback_steps)}
    if present:
        payload["present"] = True
        if present_room_above:
            payload["presentRoomAbove"] = int(present_room_above)
    if select:
        payload["select"] = True
    if narrow is not None:
        below, narrow_figure = narrow
        variant = _figure_parts(narrow_figure)
        # a view of its own: plotly keeps a zoom across draws of one uirevision, and the other
        # variant's axis ranges (fitted to its margins and equal scale) shrank this one's map
        variant["layout"] = {**variant["layout"], "uirevision": f"{variant['layout'].get('uirevision')} (narrow)"}
        payload["narrow"] = {"below": int(below), "frames": [], **variant}
    if scrub_revisions:
        payload["scrubRevisions"] = scrub_revisions
    try:
        # orjson straight to bytes: plotly.io's to_json (orjson too) also escapes "<", ">" and "/"
        # for embedding in HTML, which JSON.parse does not need (a seventh of a press's bytes)
        return orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY)
    except TypeError:  # a value orjson does not know (a date, a Decimal): plotly's encoder converts it
        return pio.to_json(payload, validate=False, engine="orjson").encode()


def _figure_parts(figure: go.Figure | dict) -> dict:
    """``figure``'s ``data`` (arrays in plotly's base64 form), ``layout`` and ``frames`` (when it
    has any); a trace the bundle cannot draw is refused."""
    spec = figure.to_plotly_json() if isinstance(figure, go.Figure) else figure
    unsupported = {trace.get("type", "scatter") for trace in spec.get("data", [])} - BUNDLE_TRACE_TYPES
    if unsupported:
        raise ValueError(f"live_chart draws {sorted(BUNDLE_TRACE_TYPES)} traces only, not {sorted(unsupported)}")
    parts = {"data": _typed_arrays(spec.get("data", [])), "layout": spec.get("layout", {})}
    if spec.get("frames"):
        parts["frames"] = _typed_arrays(spec["frames"])
    return parts


def _typed_array(array: np.ndarray) -> dict | np.ndarray:
    """One array in plotly's base64 form, as plotly's ``to_typed_array_spec`` writes it (64-bit
    integers narrowed to the smallest type that holds them; an empty array, or one of a type
    plotly.js has no typed array for, left as it is). That function first offers every array to
    narwhals as a possible data frame: most of a chart's encoding time, and on a server's first
    chart a scan of every installed package's entry points."""
    narrower = _NARROWER_INTEGERS.get(array.dtype.name)
    if narrower is not None and array.size:
        low, high = array.min(), array.max()
        fitting = (kind for kind in narrower if np.iinfo(kind).min <= low and high <= np.iinfo(kind).max)
        array = next((array.astype(kind) for kind in fitting), array)
    code = plotlyjsShortTypes.get(array.dtype.name)
    if code is None or array.size == 0:
        # as numbers: orjson writes only contiguous arrays in the machine's byte order (as plotly's copy was)
        return np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("="))
    little_endian = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
    spec = {"dtype": code, "bdata": base64.b64encode(little_endian).decode("ascii")}
    if array.ndim > 1:
        spec["shape"] = str(array.shape)[1:-1]
    return spec


#: the types plotly narrows 64-bit integers to, smallest first (plotly.js has no 64-bit typed array)
_NARROWER_INTEGERS = {"int64": ("int8", "int16", "int32"), "uint64": ("uint8", "uint16", "uint32")}


def _typed_arrays(value):
    """``value`` with every numeric NumPy array in plotly's base64 form (``{"dtype", "bdata"}``):
    exact, about half the bytes of the decimal list orjson writes for a dict's arrays, and read by
    plotly.js straight into a typed array."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "fiu" and value.ndim >= 1:
        return _typed_array(value)
    if isinstance(value, dict):
        return {name: _typed_arrays(item) for name, item in value.items()}
    if isinstance(value, list | tuple):
        return [_typed_arrays(item) for item in value]
    return value


def live_chart(
    figure: go.Figure | dict,
    *,
    key: str,
    config: dict | None = None,
    playback_steps: int | None = None,
    on_select: bool = False,
    present_room_above: int = 0,
    narrow: tuple[int, go.Figure | dict] | None = None,
    scrub_revisions: dict[str, str] | None = None,
) -> list[tuple[int, int]] | None:
    """Show ``figure``; a later call with the same ``key`` redraws the same chart in place. With
    ``playback_steps``, ▶ / ❚❚ and a speed control grow its paths step by step in the browser.

    ``on_select``: a click on a point, or a box over points, reruns the page (the fragment it is
    drawn in); in that run this returns the picked points as (trace index, point index) pairs,
    and None in every other run. ``picked_points(key)`` reads them before the chart is drawn.

    ``present_room_above``: as the page's first chart in presentation mode, it is as tall as the
    screen less this many pixels more, so that a row of controls just above it stays in view.

    ``narrow``: ``(width, figure)``, the figure shown instead while the chart is narrower than
    ``width`` pixels (a phone), such as the same map with its colour bar under it.

    ``scrub_revisions``: for a chart a ``scrub_ladder`` draws into, each slider's ``scrub_revision``
    for the settings the figure was drawn for."""
    spec = figure.to_plotly_json() if isinstance(figure, go.Figure) else figure
    if narrow is not None:
        narrow = (narrow[0], presented(narrow[1]))
    payload = chart_payload(
        presented(spec), config, playback_steps, presenting(), on_select, present_room_above, narrow, scrub_revisions
    )
    if not on_select:
        LIVE_CHART_COMPONENT(data=payload, key=key)
        return None
    result = LIVE_CHART_COMPONENT(data=payload, key=key, on_selection_change=_ignore)
    return selection_points(result.get("selection"))


def picked_points(key: str) -> list[tuple[int, int]] | None:
    """What ``live_chart(..., key=key, on_select=True)`` will return in this run, read before it
    is drawn: a page that rings the picked point draws it in the run of the pick."""
    state = st.session_state.get(key)
    return selection_points(state.get("selection") if hasattr(state, "get") else None)


def selection_points(selection) -> list[tuple[int, int]] | None:
    """The (trace index, point index) pairs of a selection the browser reported, None for no
    selection; anything malformed (the browser's word is not trusted) is left out."""
    if not isinstance(selection, dict) or not isinstance(selection.get("points"), list):
        return None
    points = []
    for point in selection["points"]:
        numbers = [point.get(name) for name in ("curve_number", "point_index")] if isinstance(point, dict) else []
        if len(numbers) == 2 and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in numbers):
            points.append((numbers[0], numbers[1]))
    return points


LADDER_MAGIC = b"RMSL"


def widget_class(key: str) -> str:
    """The class Streamlit gives the container of the element with ``key`` (other characters as -)."""
    return "st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key.strip())


def scrub_revision(inputs) -> str:
    """A digest of what a slider's ladder is computed from (everything but the slider's own value:
    the ladder holds every value of it). The charts carry the revision of each slider's ladder for
    the settings they show and the ladder its own; the browser swaps a ladder into the charts only
    while the two are the same, so a ladder made stale by a later change of another setting is
    asked for anew, never drawn."""
    return hashlib.blake2b(repr(inputs).encode(), digest_size=8).hexdigest()


def ladder_payload(
    ladder: ScrubLadder | None, sliders: dict[str, str], charts: dict[str, str], revision: str | None = None
) -> bytes:
    """The bytes a scrub element gets: "RMSL", the header's length (uint32), a JSON header (the
    sliders that scrub by their containers' classes, the charts by role, the ladder's shape and
    ``scrub_revision``), then the ladder's float32 arrays."""
    header = {"sliders": {widget_class(key): setting for setting, key in sliders.items()}, "charts": charts}
    body = b""
    if ladder is None:
        header["ladder"] = None
    else:
        header["ladder"] = {
            "setting": ladder.setting,
            "label": ladder.label,
            "count": len(ladder.paths),
            "pathSteps": ladder.path_steps,
            "lineSteps": ladder.line_steps,
            "stepSteps": ladder.step_steps,
            "revision": revision,
        }
        body = ladder.float32_bytes
    head = orjson.dumps(header, option=orjson.OPT_SERIALIZE_NUMPY)
    return b"".join([LADDER_MAGIC, len(head).to_bytes(4, "little"), head, body])


def _ignore() -> None:
    """A scrub element's state is read before the element is drawn (requested_ladder), a chart's
    selection from what ``live_chart`` returns: the callback only declares the value."""


def requested_ladder(key: str) -> str | None:
    """The setting whose ladder the browser asked the scrub element ``key`` for (the slider the
    user is about to move), or None. The browser asks with ``{"setting", "revision"}``: the
    revision it holds for that slider makes each request for a fresh ladder a change of state."""
    state = st.session_state.get(key)
    wanted = state.get("wanted") if hasattr(state, "get") else None
    setting = wanted.get("setting") if isinstance(wanted, dict) else None
    return setting if isinstance(setting, str) else None


def scrub_ladder(
    ladder: ScrubLadder | None,
    *,
    revision: str | None,
    sliders: dict[str, str],
    charts: dict[str, str],
    key: str,
) -> None:
    """While a slider of ``sliders`` (setting -> widget key) moves, the browser swaps the row of
    ``ladder`` at its position into the ``charts`` (role "main", "loss", "step" -> live_chart key)
    while ``revision`` (its ``scrub_revision``) is the one those charts carry for its slider.
    ``key`` ends with ``SCRUB_KEY_SUFFIX``; ``requested_ladder(key)`` says which ladder to send."""
    if not key.endswith(SCRUB_KEY_SUFFIX):
        raise ValueError(f"a scrub element's key ends with {SCRUB_KEY_SUFFIX!r}, not {key!r}")
    SCRUB_COMPONENT(
        data=ladder_payload(ladder, sliders, charts, revision),
        key=key,
        default={"wanted": None},
        on_wanted_change=_ignore,
    )
