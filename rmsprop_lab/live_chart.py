"""Plotly charts that redraw in place: ``live_chart(figure, key=...)``.

``st.plotly_chart`` derives a chart's identity from its figure, so every new figure mounts a new
chart: a fresh ``Plotly.newPlot``, a follow-up ``Plotly.react`` and the teardown of the old one.
On Compare one key press redraws three charts, and that was most of its latency (three charts
alone measured about 145 ms a key press; drawn in place, about 90 ms). This Streamlit component
(``st.components.v2``, no iframe) keeps one ``<div>`` per key for as long as the page shows it and
hands each new figure to ``Plotly.react``, which redraws what changed and keeps the zoom
(``layout.uirevision``).

Plotly.js itself is the ``plotly.min.js`` that ships with the installed ``plotly`` Python package,
so it always matches the figures that package writes. Streamlit serves it from that folder: the
folder is declared as a (v1) component's static path, which is what that path is for.
``preload_plotly()`` starts the download before the first chart is ready.

Charts whose points can be picked (the sweep heatmap) keep ``st.plotly_chart``, which reports
selections back to Python.
"""

from __future__ import annotations

import json
import pathlib

import plotly
import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st
import streamlit.components.v1 as components_v1

from .figures import PLOT_CONFIG

PLOTLY_JS_FOLDER = pathlib.Path(plotly.__file__).parent / "package_data"
_plotly_js_server = components_v1.declare_component("plotly_js", path=str(PLOTLY_JS_FOLDER))
#: Where the browser fetches plotly.js (relative to the page, so a server.baseUrlPath works too).
PLOTLY_JS_URL = f"component/{_plotly_js_server.name}/plotly.min.js"

# The module is evaluated once per page load; its default export runs on every mount and every
# new figure, with the same parentElement for as long as the element keeps its key.
_CHART_JS = """
const PLOTLY_URL = new URL(PLOTLY_JS_URL, document.baseURI).href;

function loadPlotly() {
  if (!window.__rmspropLabPlotly) {
    window.__rmspropLabPlotly = window.Plotly
      ? Promise.resolve(window.Plotly)
      : new Promise((resolve, reject) => {
          const script = document.createElement("script");
          script.src = PLOTLY_URL;
          script.async = true;
          script.onload = () => resolve(window.Plotly);
          script.onerror = () => {
            window.__rmspropLabPlotly = null;  // a later chart may try again
            reject(new Error("plotly.js did not load"));
          };
          document.head.appendChild(script);
        });
  }
  return window.__rmspropLabPlotly;
}

export default function ({ data, parentElement }) {
  const plotlyLoading = loadPlotly();
  if (data == null) return;  // preload_plotly(): start the download, draw nothing
  let chart = parentElement.querySelector(":scope > .live-chart");
  if (!chart) {
    chart = document.createElement("div");
    chart.className = "live-chart";
    chart.setAttribute("data-testid", "liveChart");
    parentElement.appendChild(chart);
  }
  const figure = JSON.parse(new TextDecoder().decode(data));
  // reserve the height at once, so nothing below jumps while plotly.js loads
  chart.style.minHeight = (figure.layout.height || 450) + "px";
  let current = true;
  plotlyLoading.then((Plotly) => {
    if (!current) return;
    Plotly.react(chart, figure);  // {data, layout, config, frames}
    if (!chart.__resizeObserver) {
      let lastWidth = chart.clientWidth;
      chart.__resizeObserver = new ResizeObserver(() => {
        if (chart.clientWidth !== lastWidth && chart.isConnected) {
          lastWidth = chart.clientWidth;
          Plotly.Plots.resize(chart);
        }
      });
      chart.__resizeObserver.observe(chart);
    }
  }).catch(() => {
    if (current) chart.textContent = "The chart library could not be loaded. Reload the page to try again.";
  });
  return () => {
    current = false;
    // also called before each new figure; only a chart that has left the page is torn down
    setTimeout(() => {
      if (!chart.isConnected && window.Plotly) {
        chart.__resizeObserver?.disconnect();
        window.Plotly.purge(chart);
      }
    }, 0);
  };
}
""".replace("PLOTLY_JS_URL", json.dumps(PLOTLY_JS_URL), 1)

# isolate_styles=False: plotly.js styles its hover labels and mode bar through the page's <head>,
# which a shadow root would not see
COMPONENT_NAME = "rmsprop_lab.live_chart"
_live_chart = st.components.v2.component(COMPONENT_NAME, js=_CHART_JS, isolate_styles=False)


def chart_payload(figure: go.Figure | dict, config: dict | None = None) -> bytes:
    """The bytes the browser gets: ``{"data", "layout", "config"}`` as Plotly JSON (arrays in
    plotly's base64 form, which plotly.js reads directly)."""
    spec = figure.to_plotly_json() if isinstance(figure, go.Figure) else dict(figure)
    payload = {"data": spec.get("data", []), "layout": spec.get("layout", {}), "config": config or PLOT_CONFIG}
    if spec.get("frames"):
        payload["frames"] = spec["frames"]
    return pio.to_json(payload, validate=False).encode()


def live_chart(figure: go.Figure | dict, *, key: str, config: dict | None = None) -> None:
    """Show ``figure``; a later call with the same ``key`` redraws the same chart in place."""
    _live_chart(data=chart_payload(figure, config), key=key)


def preload_plotly() -> None:
    """Start downloading plotly.js now (an invisible element), before the first chart is built."""
    _live_chart(key="rmsprop_lab_plotly_preload")
