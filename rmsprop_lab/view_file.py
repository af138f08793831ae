"""A view as one standalone HTML file ("Download this view"): the figure, interactive, with plotly.js
inlined (it opens offline, in any browser, with no request anywhere), every setting that made it,
and the link that reopens them in the app.

The vendored basic bundle (1.2 MB) draws the 2-D maps; a figure with other trace types (the 3-D
view) carries the plotly package's full bundle (4.8 MB) instead. User text (a formula) and the
settings are escaped: the file shows them, never runs them.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import plotly.io as pio
import plotly.offline

from .chart_component import BUNDLE_TRACE_TYPES, PLOTLY_JS_FILE, STATIC_FOLDER
from .figures import PLOT_CONFIG
from .settings import Schema

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="RMSProp Lab">
<title>{title}</title>
<style>
body {{ font-family: Inter, "Segoe UI", Helvetica, Arial, sans-serif; margin: 1rem auto; max-width: 1100px;
  padding: 0 1rem; color: #222; }}
h1 {{ font-size: 1.5rem; }}
table {{ border-collapse: collapse; font-size: 0.9rem; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 0.2rem 0.8rem 0.2rem 0; text-align: left; }}
code {{ background: #f4f4f4; padding: 0 0.2rem; word-break: break-all; }}
</style>
<script>{plotly_js}</script>
</head>
<body>
<h1>{title}</h1>
{notes}
<div id="view" data-testid="view"></div>
<h2>The settings that made it</h2>
<p>Open them in RMSProp Lab: <a href="{link}" data-testid="reopen">{link_text}</a></p>
<table data-testid="settings"><tr><th>setting</th><th>value</th></tr>
{rows}
</table>
<script type="application/json" id="figure">{figure}</script>
<script>
const figure = JSON.parse(document.getElementById("figure").textContent);
Plotly.newPlot("view", figure.data, figure.layout, figure.config).then((plot) => {{
  if (figure.frames) Plotly.addFrames(plot, figure.frames);
}});
</script>
</body>
</html>
"""


def plotly_js_for(figure: Mapping) -> str:
    """The plotly.js that draws ``figure``: the vendored basic bundle when it is enough."""
    kinds = {trace.get("type", "scatter") for trace in figure.get("data", [])}
    if kinds <= BUNDLE_TRACE_TYPES:
        return (STATIC_FOLDER / PLOTLY_JS_FILE).read_text(encoding="utf-8")
    return plotly.offline.get_plotlyjs()


def view_html(figure: Mapping, *, title: str, notes: Sequence[str], schema: Schema, values: Mapping, link: str) -> str:
    """The standalone page of ``figure`` (a ``{data, layout, frames}`` spec): ``title``, ``notes``
    (plain text, one paragraph each), every setting of ``schema`` in ``values``, and ``link``
    (the app's URL with these settings) to reopen them."""
    spec = {
        "data": figure.get("data", []),
        "layout": {**figure.get("layout", {}), "uirevision": None},
        "config": {**PLOT_CONFIG, "responsive": True},
        "frames": figure.get("frames", []),
    }
    # the JSON sits in a <script> element: no "</" may end it early
    figure_json = pio.to_json(spec, validate=False).replace("</", "<\\/")
    rows = "\n".join(
        f"<tr><td><code>{html.escape(param.key)}</code></td><td><code>{html.escape(param.format(values[param.key]))}"
        "</code></td></tr>"
        for param in schema.params
        if param.key in values
    )
    return _PAGE.format(
        title=html.escape(title),
        notes="\n".join(f"<p>{html.escape(note)}</p>" for note in notes),
        plotly_js=plotly_js_for(figure),
        link=html.escape(link, quote=True),
        link_text=html.escape(link),
        rows=rows,
        figure=figure_json,
    )
