"""The Sweep page in a real Chromium: its map and the picked run's path are drawn in place
(``live_chart``), a click on a cell or a box over cells picks a run, and the page shows it."""

from __future__ import annotations

import re

import numpy as np
import pytest

from .browser_support import open_page, wait_settled

pytestmark = pytest.mark.browser

# What the map and the path chart hold, as drawn: the cells trace's cells and the ring's position.
MAP_STATE = """() => {
    const [map, path] = document.querySelectorAll('.js-plotly-plot');
    const ring = map._fullData.find(t => t.name === 'selected');
    const cells = map._fullData.find(t => t.meta === 'cells');
    const run = path && path._fullData.find(t => t.meta === 'path');
    return {
        ring: ring ? [ring.x[0], ring.y[0]] : null,
        cells: cells ? cells.x.length : 0,
        path: run ? [Array.from(run.x), Array.from(run.y)] : null,
        liveCharts: document.querySelectorAll('.live-chart').length,
    };
}"""

# the charts on the page now, marked; then how many charts on the page are those (redrawn in place)
MARK_CHARTS = "() => document.querySelectorAll('.js-plotly-plot').forEach((chart) => { chart.__before = true; })"
SAME_CHARTS = "() => Array.from(document.querySelectorAll('.js-plotly-plot')).filter((chart) => chart.__before).length"


def cell_centre(page, column: int, row: int) -> tuple[float, float]:
    """Where the centre of the cell (column, row) of the map is on the screen."""
    return tuple(
        page.evaluate(
            """([column, row]) => {
                const map = document.querySelector('.js-plotly-plot');
                const cells = map._fullData.find(t => t.meta === 'cells');
                const columns = new Set(Array.from(cells.x)).size;
                const at = row * columns + column;
                const {xaxis, yaxis} = map._fullLayout;
                const box = map.querySelector('.nsewdrag').getBoundingClientRect();
                return [box.left + xaxis.l2p(xaxis.c2l(cells.x[at])), box.top + yaxis.l2p(yaxis.c2l(cells.y[at]))];
            }""",
            [column, row],
        )
    )


def shown_settings(page) -> dict[str, float]:
    """The picked run's settings the page writes above its path ("RMSProp: lr 0.01, rho 0.9, ...")."""
    text = page.get_by_text(re.compile(r"^RMSProp: lr")).first.inner_text()
    return {name: float(value) for name, value in re.findall(r"(\w+) ([-+.\de]+)", text)}


def test_a_click_on_a_cell_shows_that_run_and_its_path(served_app, browser):
    page = open_page(browser, f"{served_app.url}/sweep?resolution=20", charts=1)
    assert page.evaluate(MAP_STATE)["liveCharts"] == 1  # drawn in place, by live_chart
    x, y = cell_centre(page, 13, 6)
    page.mouse.move(x, y)
    page.mouse.click(x, y)
    wait_settled(page)
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 2", timeout=30_000)
    shown = shown_settings(page)
    learning_rates = np.logspace(-4, np.log10(0.5), 20)
    rhos = np.linspace(0.5, 0.999, 20)
    assert shown["lr"] == pytest.approx(learning_rates[13], rel=1e-3)
    assert shown["rho"] == pytest.approx(rhos[6], rel=1e-3)
    state = page.evaluate(MAP_STATE)
    assert state["ring"] == pytest.approx([learning_rates[13], rhos[6]], rel=1e-9)  # the picked cell is ringed
    assert state["liveCharts"] == 2 and state["path"] is not None and len(state["path"][0]) > 1
    assert "row=6" in page.url and "col=13" in page.url  # a link keeps the picked cell
    assert page.get_by_role("link", name="Open on the Compare page").get_attribute("href").startswith("/compare?")

    # another cell: the same two charts redraw in place, the path is the new run's
    page.evaluate(MARK_CHARTS)
    x, y = cell_centre(page, 4, 15)
    page.mouse.move(x, y)
    page.mouse.click(x, y)
    wait_settled(page)
    page.wait_for_function(
        "(x) => document.querySelector('.js-plotly-plot')._fullData.find(t => t.name === 'selected').x[0] === x",
        arg=float(learning_rates[4]),
    )
    assert shown_settings(page)["lr"] == pytest.approx(learning_rates[4], rel=1e-3)
    assert page.evaluate(SAME_CHARTS) == 2
    assert page.evaluate(MAP_STATE)["path"] != state["path"]
    assert page.locator("[data-testid=stException]").count() == 0
    page.close()


def test_a_box_over_cells_picks_the_best_of_them(served_app, browser):
    page = open_page(browser, f"{served_app.url}/sweep?resolution=10", charts=1)
    page.locator(".js-plotly-plot").first.hover()
    page.locator(".modebar-btn[data-attr=dragmode][data-val=select]").click()
    # a box from cell (5, 2) to cell (8, 6): 4 x 5 cells
    left, bottom = cell_centre(page, 5, 2)
    right, top = cell_centre(page, 8, 6)
    page.mouse.move(left - 5, bottom + 5)
    page.mouse.down()
    page.mouse.move((left + right) / 2, (top + bottom) / 2, steps=4)
    page.mouse.move(right + 5, top - 5, steps=4)
    page.mouse.up()
    wait_settled(page)
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 2", timeout=30_000)
    # the best final loss of those 20 runs, as the map's own hover values say
    best = page.evaluate(
        """() => {
            const map = document.querySelector('.js-plotly-plot');
            const cells = map._fullData.find(t => t.meta === 'cells');
            let found = null;
            for (let row = 2; row <= 6; row++) for (let column = 5; column <= 8; column++) {
                const value = cells.customdata[row * 10 + column][0];
                if (Number.isFinite(value) && (found === null || value < found.value)) found = {row, column, value};
            }
            return found;
        }"""
    )
    assert best is not None
    shown = shown_settings(page)
    assert shown["lr"] == pytest.approx(np.logspace(-4, np.log10(0.5), 10)[best["column"]], rel=1e-3)
    assert shown["rho"] == pytest.approx(np.linspace(0.5, 0.999, 10)[best["row"]], rel=1e-3)
    assert page.locator("[data-testid=stException]").count() == 0
    page.close()


def test_a_key_press_redraws_the_map_and_the_path_in_place(served_app, browser):
    # the tolerance keeps the picked cell (a setting of the sweep itself, such as ε, drops it)
    page = open_page(browser, f"{served_app.url}/sweep?resolution=20&outcome=steps&row=3&col=12", charts=2)
    page.evaluate(MARK_CHARTS)
    image = page.evaluate("() => document.querySelector('.js-plotly-plot').layout.images[0].source")
    page.get_by_role("slider", name="Tolerance (f − f* ≤ tol)").focus()
    page.keyboard.press("ArrowRight")
    wait_settled(page)
    page.wait_for_function(
        "(image) => document.querySelector('.js-plotly-plot').layout.images[0].source !== image", arg=image
    )
    assert page.evaluate(SAME_CHARTS) == 2  # the same charts, redrawn
    assert page.evaluate(MAP_STATE)["path"] is not None
    page.close()


def test_the_sgd_curve_picks_a_run_with_a_click(served_app, browser):
    page = open_page(browser, f"{served_app.url}/sweep?kind=sgd&resolution=20", charts=1)
    point = page.evaluate(
        """() => {
            const map = document.querySelector('.js-plotly-plot');
            const curve = map._fullData.find(t => t.meta === 'cells' && t.mode === 'lines+markers');
            const at = Array.from(curve.y).findIndex(Number.isFinite);
            const {xaxis, yaxis} = map._fullLayout;
            const box = map.querySelector('.nsewdrag').getBoundingClientRect();
            return [at, box.left + xaxis.l2p(xaxis.c2l(curve.x[at])), box.top + yaxis.l2p(yaxis.c2l(curve.y[at]))];
        }"""
    )
    at, x, y = point
    page.mouse.move(x, y)
    page.mouse.click(x, y)
    wait_settled(page)
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 2", timeout=30_000)
    text = page.get_by_text(re.compile(r"^SGD: lr")).first.inner_text()
    assert float(re.search(r"lr ([-+.\de]+)", text).group(1)) == pytest.approx(
        np.logspace(-4, np.log10(0.5), 20)[at], rel=1e-3
    )
    page.close()
