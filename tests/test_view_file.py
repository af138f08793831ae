"""The standalone view file: its numbers are the engine's, its settings are all there, it needs nothing
from the network, and user text in it is shown, never run."""

from __future__ import annotations

import html
import json
import re

import numpy as np

from rmsprop_core import RMSProp, get_objective, optimize
from rmsprop_core.metrics import evaluate_grid
from rmsprop_lab import figures, view_file
from rmsprop_lab.schemas import COMPARE

from .apptest_helpers import decode_array


def figure_in(page: str) -> dict:
    found = re.search(r'<script type="application/json" id="figure">(.*?)</script>', page, re.S)
    return json.loads(found.group(1).replace("<\\/", "</"))


def ellipse_view():
    objective = get_objective("ellipse")
    xs, ys, values = evaluate_grid(objective, 100)
    surface = figures.make_surface(xs, ys, values, objective.minima)
    run = optimize(RMSProp(lr=0.05), objective, (-5.0, 2.0), 200)
    path = figures.PathData("RMSProp", figures.colour_for("rmsprop"), run.points, run.losses)
    return surface, path, run


def test_the_file_carries_the_engines_paths_its_playback_and_every_setting():
    surface, path, run = ellipse_view()
    values = COMPARE.defaults("ellipse") | {"rho": 0.99, "formula": "</script><script>alert(1)</script>"}
    page = view_file.view_html(
        figures.animated_contour_figure(surface, [path]),
        title="RMSProp Lab: Ellipse",
        notes=["RMSProp: lr = 0.05"],
        schema=COMPARE,
        values=values,
        link="http://127.0.0.1:8501/?objective=ellipse&rho=0.99",
    )
    spec = figure_in(page)
    line = next(trace for trace in spec["data"] if trace.get("meta") == "path")
    drawn = np.column_stack([decode_array(line["x"]), decode_array(line["y"])])
    np.testing.assert_array_equal(drawn, run.points)
    assert len(spec["frames"]) == 60 and spec["frames"][-1]["data"][0]["x"][1] == run.points[-1, 0]
    assert [button["label"] for button in spec["layout"]["updatemenus"][0]["buttons"]] == ["▶", "❚❚"]
    for param in COMPARE.params:  # every setting, by its URL name, with its value
        assert f"<code>{param.key}</code></td><td><code>{html.escape(param.format(values[param.key]))}</code>" in page
    assert 'href="http://127.0.0.1:8501/?objective=ellipse&amp;rho=0.99"' in page
    # offline: one inline plotly.js, no script or stylesheet fetched from anywhere
    assert not re.search(r"<script[^>]*\bsrc=", page) and "<link" not in page
    assert page.count("plotly.js (basic - minified)") == 1
    # user text is shown, never run: the only </script> tags close the page's own three scripts
    assert page.count("</script>") == 3 and "&lt;/script&gt;&lt;script&gt;alert(1)" in page


def test_a_3d_view_carries_the_full_bundle():
    surface, path, _ = ellipse_view()
    page = view_file.view_html(
        figures.surface_3d_figure(surface, [path]),
        title="3-D",
        notes=[],
        schema=COMPARE,
        values=COMPARE.defaults("ellipse"),
        link="/compare",
    )
    assert "plotly.js (basic" not in page and "scatter3d" in page
    assert figure_in(page)["data"][0]["type"] == "surface"
