"""The browser side of the live charts: the two components that carry their JavaScript (a small
loader of ``static/live-chart.js``, the charts' module) and CSS, where plotly.js and that module
are served from, and ``preload_plotly()``.

Kept apart from ``live_chart`` (which builds the figures' payloads with NumPy, orjson and the
figure builders) so that importing it costs little: ``app.py`` sends the preloader, which starts
plotly.js's download, before its first run imports anything heavy.

Plotly.js is the official *basic* bundle (scatter, bar, pie: all these charts use), vendored in
``static/`` with its licence: a quarter of the full bundle's size (Streamlit's, or the plotly
package's), which Chromium evaluates in a fraction of the time (README, Performance). Streamlit
serves that folder as a (v1) component's static path, which is what that path is for; the charts'
module sits beside plotly.js there.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import re

import streamlit as st
import streamlit.components.v1 as components_v1

STATIC_FOLDER = pathlib.Path(__file__).parent / "static"
PLOTLY_JS_FILE = "plotly-basic.min.js"
#: The trace types the basic bundle draws; any other would leave an empty chart.
BUNDLE_TRACE_TYPES = frozenset({"scatter", "bar", "pie"})
_static_server = components_v1.declare_component("static", path=str(STATIC_FOLDER))


def static_path(base_url_path: str, file_name: str) -> str:
    """Where the browser fetches ``file_name`` of ``static/``: an absolute path under
    ``server.baseUrlPath``, so it does not depend on the page's own URL (``/sweep``, ``/sweep/``,
    ``/?objective=...``)."""
    base = "/".join(part for part in base_url_path.split("/") if part)
    return f"{'/' + base if base else ''}/component/{_static_server.name}/{file_name}"


CHART_MODULE_FILE = "live-chart.js"
_CHART_MODULE_VERSION = hashlib.sha256((STATIC_FOLDER / CHART_MODULE_FILE).read_bytes()).hexdigest()[:12]
#: The charts' module (which fetches plotly.js from beside itself)
CHART_MODULE_URL = f"{static_path(st.get_option('server.baseUrlPath'), CHART_MODULE_FILE)}?v={_CHART_MODULE_VERSION}"


def bundled_plotly_js_version() -> str:
    """The vendored bundle's version, from its licence header ("plotly.js (basic - minified) v4.1.1")."""
    with open(STATIC_FOLDER / PLOTLY_JS_FILE, encoding="utf-8") as bundle:
        header = bundle.read(200)
    return re.search(r"\bv(\d+\.\d+\.\d+)", header).group(1)


# Every chart element's message carries its component's JavaScript: this loader, which imports the
# charts' module (static/live-chart.js, 39 KB) once per page load, instead of the module itself.
# Identical code is one module for Streamlit, so both components share the loader and its import.
# The ?v= of the module's content: a browser that cached an older one fetches the new one.
_LOADER_JS = """
// (absolute: this loader runs from a blob: URL, against which a path cannot be resolved)
const loading = import(new URL(CHART_MODULE_URL, window.location.origin).href);
let loaded = null;
loading.then((module) => { loaded = module; }, () => {});

export default function (component) {
  if (loaded) return loaded.default(component);
  let current = true, cleanup;
  loading.then(
    (module) => { if (current) cleanup = module.default(component); },
    () => { if (current && component.data != null) component.parentElement.textContent = UNLOADED; },
  );
  return () => { current = false; cleanup?.(); };
}
"""
_CHART_JS = _LOADER_JS.replace("CHART_MODULE_URL", json.dumps(CHART_MODULE_URL), 1).replace(
    "UNLOADED", json.dumps("The chart could not be loaded. Reload the page to try again."), 1
)

COMPONENT_NAME = "rmsprop_lab.live_chart"
PRELOAD_KEY = "rmsprop_lab_plotly_preload"
#: A scrub element's key ends so (it draws nothing: its container takes no room).
SCRUB_KEY_SUFFIX = "_scrub"
# Streamlit gives a keyed element's container the class st-key-<key>: the preloader takes no room
_CHART_CSS = f""".st-key-{PRELOAD_KEY}, [class*="{SCRUB_KEY_SUFFIX} "] {{ display: none; }}
.live-chart-playback {{ display: flex; gap: 0.5rem; align-items: center; margin: 0 0 0.25rem 0.25rem; }}
.live-chart-playback button {{ min-width: 2.75rem; min-height: 2rem; border: 1px solid #ccc; border-radius: 0.4rem;
  background: white; cursor: pointer; font-size: 1rem; }}
.live-chart-playback select {{ min-height: 2rem; border: 1px solid #ccc; border-radius: 0.4rem; background: white; }}
.live-chart-playback span {{ color: #555; font-variant-numeric: tabular-nums; }}"""
# isolate_styles=False: plotly.js styles its hover labels and mode bar through the page's <head>,
# which a shadow root would not see
LIVE_CHART_COMPONENT = st.components.v2.component(COMPONENT_NAME, js=_CHART_JS, css=_CHART_CSS, isolate_styles=False)
#: The ladders for scrubbing: the same code under its own name, so a chart's element is always a figure.
SCRUB_COMPONENT_NAME = "rmsprop_lab.scrub"
SCRUB_COMPONENT = st.components.v2.component(SCRUB_COMPONENT_NAME, js=_CHART_JS, css=_CHART_CSS, isolate_styles=False)


def preload_plotly() -> None:
    """Start loading plotly.js now (a hidden element), while the page is still computing its first
    charts: on a cold start it is ready when they arrive instead of starting to load then."""
    LIVE_CHART_COMPONENT(key=PRELOAD_KEY)
