"""live_chart's payload: what the browser is handed for Plotly.react."""

from __future__ import annotations

import ast
import datetime
import hashlib
import json
import subprocess
import sys
from unittest import mock

import numpy as np
import orjson
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from _plotly_utils.utils import to_typed_array_spec
from plotly.offline import get_plotlyjs_version

from rmsprop_lab import chart_component, live_chart
from rmsprop_lab.figures import PLOT_CONFIG

from .apptest_helpers import charts, decode_array, fresh_app
from .conftest import ROOT


def test_payload_is_the_figure_with_its_config():
    x = np.linspace(0, 1, 50)
    figure = go.Figure(go.Scatter(x=x, y=x**2, name="curve"), layout={"height": 320, "uirevision": "rosenbrock"})
    payload = json.loads(live_chart.chart_payload(figure))
    assert set(payload) == {"data", "layout", "config"}
    assert payload["config"] == PLOT_CONFIG
    assert payload["layout"]["height"] == 320 and payload["layout"]["uirevision"] == "rosenbrock"
    (trace,) = payload["data"]
    assert trace["name"] == "curve"
    np.testing.assert_array_equal(decode_array(trace["y"]), x**2)  # exact, in plotly's base64 form


def test_payload_is_encoded_with_orjson_and_its_arrays_travel_exactly_in_base64():
    """A Compare-sized figure: its arrays arrive as plotly's base64 typed arrays, bit for bit the
    engine's numbers, in under ¾ of the bytes of the decimal lists the default engine writes; the
    rest reads as the default engine writes it."""
    steps = np.arange(1001)
    figure = {
        "data": [
            {
                "type": "scatter",
                "x": np.sin(steps) * 1e-7,
                "y": np.exp(-steps / 100.0),
                "customdata": np.column_stack([steps, np.cos(steps)]),
                "name": "RMSProp ρ",
            }
        ],
        "layout": {"height": 560, "title": {"text": "f − f*"}},
    }
    payload = live_chart.chart_payload(figure)
    default = pio.to_json(
        {"data": figure["data"], "layout": figure["layout"], "config": PLOT_CONFIG}, validate=False, engine="json"
    )
    sent, expected = json.loads(payload), json.loads(default)
    trace = sent["data"][0]
    for name in ("x", "y", "customdata"):
        assert set(trace[name]) >= {"dtype", "bdata"}, name
        np.testing.assert_array_equal(decode_array(trace[name]), figure["data"][0][name], err_msg=name)
    assert {name: trace[name] for name in ("type", "name")} == {"type": "scatter", "name": "RMSProp ρ"}
    assert (sent["layout"], sent["config"]) == (expected["layout"], expected["config"])
    assert len(payload) < 0.75 * len(default.encode())
    # no HTML escapes ("/" as \u002f, "<br>" as \u003cbr\u003e): the browser parses it as JSON
    assert b"\\u002f" not in payload and b"\\u003c" not in payload and b"/" in payload
    with mock.patch.object(pio, "to_json", wraps=pio.to_json) as to_json:
        live_chart.chart_payload(figure)
    assert not to_json.called


ARRAY_CASES = [
    *("float64", "float32", "int32", "uint8-2d", "strided", "int64", "int64-to-int32", "uint64", "int64-wide"),
    *("int64-wide-strided", "int64-wide-big-endian", "float16", "empty", "empty-int64"),
]


@pytest.mark.parametrize(
    "array",
    [
        np.linspace(-1.0, 1.0, 7),
        np.float32([1.5, np.nan, np.inf, -0.0]),
        np.arange(5, dtype=np.int32),
        np.arange(6, dtype=np.uint8).reshape(2, 3),
        np.linspace(0.0, 1.0, 12).reshape(3, 4)[:, ::2],  # not contiguous
        np.arange(4, dtype=np.int64),  # plotly narrows it to int8
        np.int64([-40_000, 7]),  # to int32
        np.uint64([3, 70_000]),  # to uint32
        np.arange(2**40, 2**40 + 3),  # too wide to narrow: left as numbers
        np.arange(2**40, 2**40 + 12).reshape(3, 4)[:, ::2],  # the same, not contiguous
        np.array([2**40, 5], dtype=">i8"),  # the same, big-endian
        np.float16([0.5, 2.0]),  # no typed array in plotly.js: left as numbers
        np.array([], dtype=float),
        np.array([], dtype=np.int64),
    ],
    ids=ARRAY_CASES,
)
def test_arrays_are_written_as_plotlys_own_encoder_writes_them(array):
    written, expected = live_chart._typed_array(array), to_typed_array_spec(array)
    assert isinstance(written, dict) == isinstance(expected, dict)
    if isinstance(expected, dict):
        assert written == expected
    else:  # left as numbers, which orjson writes (native, contiguous arrays; it has no float16)
        np.testing.assert_array_equal(written, expected)
        if array.dtype != np.float16:
            assert orjson.loads(orjson.dumps(written, option=orjson.OPT_SERIALIZE_NUMPY)) == array.tolist()


def test_a_big_endian_array_arrives_as_its_numbers():
    """plotly's encoder leaves a big-endian array undecoded (its dtype name is not plotly's); it is
    sent little-endian, as plotly.js reads typed arrays."""
    array = np.arange(3.0, dtype=">f8") / 3
    sent = json.loads(live_chart.chart_payload({"data": [{"type": "scatter", "y": array}], "layout": {}}))
    np.testing.assert_array_equal(decode_array(sent["data"][0]["y"]), array)


def test_a_narrow_screens_variant_travels_with_the_width_it_is_for():
    wide = {"data": [{"type": "scatter", "x": np.arange(3.0), "y": np.ones(3)}], "layout": {"margin": {"r": 104}}}
    narrow = {"data": [{"type": "scatter", "x": np.arange(3.0), "y": np.zeros(3)}], "layout": {"margin": {"r": 16}}}
    sent = json.loads(live_chart.chart_payload(wide, narrow=(600, narrow)))
    assert sent["layout"] == wide["layout"] and sent["narrow"]["below"] == 600
    assert sent["narrow"]["layout"]["margin"] == narrow["layout"]["margin"] and sent["narrow"]["frames"] == []
    assert sent["narrow"]["layout"]["uirevision"] != sent["layout"].get("uirevision")  # a view of its own
    np.testing.assert_array_equal(decode_array(sent["narrow"]["data"][0]["y"]), np.zeros(3))
    assert "narrow" not in json.loads(live_chart.chart_payload(wide))


def test_a_value_orjson_does_not_know_is_converted_by_plotly():
    """A date on an axis (nothing of ours draws one, but a figure may): plotly's encoder writes it."""
    figure = {"data": [{"type": "scatter", "x": [datetime.date(2026, 11, 27)], "y": [1.0]}], "layout": {}}
    figure["data"][0]["x"] = np.array(figure["data"][0]["x"], dtype=object)
    assert json.loads(live_chart.chart_payload(figure))["data"][0]["x"] == ["2026-11-27"]


def test_presentation_room_above_the_main_chart_travels_only_in_presentation_mode():
    figure = {"data": [], "layout": {"height": 400}}
    presented = json.loads(live_chart.chart_payload(figure, present=True, present_room_above=100))
    assert (presented["present"], presented["presentRoomAbove"]) == (True, 100)
    plain = json.loads(live_chart.chart_payload(figure, present=False, present_room_above=100))
    assert "present" not in plain and "presentRoomAbove" not in plain
    assert "presentRoomAbove" not in json.loads(live_chart.chart_payload(figure, present=True))


def test_payload_keeps_animation_frames_and_a_given_config():
    figure = go.Figure(
        data=[go.Scatter(x=[0], y=[0])],
        frames=[go.Frame(data=[go.Scatter(x=[1], y=[1])], name="1")],
    )
    payload = json.loads(live_chart.chart_payload(figure, config={"displayModeBar": False}))
    assert payload["config"] == {"displayModeBar": False}
    assert [frame["name"] for frame in payload["frames"]] == ["1"]


def test_figures_with_traces_the_bundle_cannot_draw_are_refused():
    heatmap = go.Figure(go.Heatmap(z=[[1, 2], [3, 4]]))
    with pytest.raises(ValueError, match="heatmap"):
        live_chart.chart_payload(heatmap)


def test_the_vendored_plotly_js_matches_the_plotly_package():
    """The basic bundle draws the JSON the installed plotly package writes: same major version
    (a major release may change the figure format)."""
    assert (chart_component.STATIC_FOLDER / chart_component.PLOTLY_JS_FILE).stat().st_size > 500_000
    assert (chart_component.STATIC_FOLDER / "plotly.js-LICENSE.txt").read_text().startswith("MIT License")
    assert chart_component.bundled_plotly_js_version().split(".")[0] == get_plotlyjs_version().split(".")[0]


def test_static_paths_follow_the_base_url_path():
    name = chart_component._static_server.name
    assert chart_component.static_path("", "live-chart.js") == f"/component/{name}/live-chart.js"
    assert chart_component.static_path("/lab/", "live-chart.js") == f"/lab/component/{name}/live-chart.js"
    assert chart_component.static_path("lab/rmsprop", "a.js") == f"/lab/rmsprop/component/{name}/a.js"


def test_each_chart_element_carries_a_small_loader_of_the_charts_module():
    """The charts' code (39 KB) is a static module the page imports once; every chart's message
    carried all of it (three charts a press, and the ladder's message went over 300 KB)."""
    module = (chart_component.STATIC_FOLDER / chart_component.CHART_MODULE_FILE).read_text()
    plotly_url = f"new URL({json.dumps(chart_component.PLOTLY_JS_FILE)}, import.meta.url)"
    assert "export default function" in module and plotly_url in module
    assert len(chart_component._CHART_JS) < 1_000
    assert json.dumps(chart_component.CHART_MODULE_URL) in chart_component._CHART_JS
    digest = hashlib.sha256(module.encode()).hexdigest()[:12]
    assert chart_component.CHART_MODULE_URL.endswith(f"/live-chart.js?v={digest}")  # a new module, a new URL


LIVE_CHART_PAGES = ["compare", "conventions", "lesson", "anatomy", "decay", "mission"]


@pytest.mark.parametrize("page", [f"pages/{name}.py" for name in LIVE_CHART_PAGES])
def test_every_live_chart_figure_is_valid_plotly(page):
    """live_chart hands figures to plotly.js unvalidated (plotly.js ignores what it does not know);
    st.plotly_chart used to validate them. Here go.Figure validates every one a page draws."""
    at = fresh_app(page=page)
    drawn = charts(at)
    assert drawn
    for spec in drawn:
        go.Figure(spec)  # raises ValueError on any attribute Plotly does not have


def test_a_chart_reports_picks_only_when_asked():
    figure = {"data": [{"type": "scatter", "x": [1, 2], "y": [3, 4]}], "layout": {}}
    assert "select" not in json.loads(live_chart.chart_payload(figure))  # every other page's charts, as before
    assert json.loads(live_chart.chart_payload(figure, select=True))["select"] is True


@pytest.mark.parametrize(
    ("reported", "points"),
    [
        (None, None),
        ({"points": [{"curve_number": 1, "point_index": 57}], "box": []}, [(1, 57)]),
        ({"points": [], "box": []}, []),
        # what a browser could send instead of plotly's numbers is left out, not a traceback
        (
            {
                "points": [
                    {"curve_number": 1, "point_index": 2},
                    {"curve_number": "1", "point_index": 3},
                    {"curve_number": 1, "point_index": -4},
                    {"curve_number": True, "point_index": 5},
                    {"curve_number": 1},
                    "6",
                    None,
                ]
            },
            [(1, 2)],
        ),
        ({"points": "all"}, None),
        ("points", None),
        ([1, 2], None),
    ],
)
def test_a_reported_selection_is_read_as_trace_and_point_numbers(reported, points):
    assert live_chart.selection_points(reported) == points


def test_the_picked_points_are_read_from_the_charts_state_before_it_is_drawn():
    with mock.patch.object(
        live_chart.st, "session_state", {"map": {"selection": {"points": [{"curve_number": 0, "point_index": 3}]}}}
    ):
        assert live_chart.picked_points("map") == [(0, 3)]
        assert live_chart.picked_points("another") is None


def test_the_app_sends_the_plotly_js_preloader_before_anything_else():
    """On a cold start the first charts wait for plotly.js: its download starts with the run's first
    element, sent before ``app.py`` imports the engine or the figure builders."""
    at = fresh_app()
    at.run()
    first = next(iter(at.main.children.values()))
    assert first.proto.component_name == chart_component.COMPONENT_NAME
    assert first.key == chart_component.PRELOAD_KEY
    statements = ast.parse((ROOT / "app.py").read_text()).body
    sent = next(i for i, node in enumerate(statements) if "preload_plotly()" in ast.unparse(node))
    imported = [alias.name for node in statements[:sent] if isinstance(node, ast.Import) for alias in node.names]
    imported += [node.module for node in statements[:sent] if isinstance(node, ast.ImportFrom)]
    assert sorted(imported) == ["rmsprop_lab.chart_component", "streamlit"]


PRELOADER_IMPORTS = """
import sys, streamlit, streamlit.components.v1
before = set(sys.modules)
import rmsprop_lab.chart_component
print(sorted(set(sys.modules) - before))
"""


def test_the_preloader_module_imports_nothing_streamlit_does_not():
    found = subprocess.run(
        [sys.executable, "-c", PRELOADER_IMPORTS], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert found.stdout.strip() == "['rmsprop_lab', 'rmsprop_lab.chart_component']"
