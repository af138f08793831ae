"""The Learn pages in a real Chromium: load, interact, screenshot."""

from __future__ import annotations

import pytest

from .browser_support import DESKTOP, PHONE, open_page, plotted_trace, save_screenshots, wait_settled

pytestmark = pytest.mark.browser


def test_lesson_page_shows_the_lesson_output(served_app, browser, lesson_text):
    from .test_lesson import lesson_printed_lines

    page = open_page(browser, f"{served_app.url}/lesson", charts=2)
    code = page.locator("[data-testid=stCode]").first.inner_text()
    assert code.strip().splitlines() == lesson_printed_lines(lesson_text)
    page.get_by_role("slider", name="Decay rate").focus()
    page.keyboard.press("ArrowRight")
    wait_settled(page)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=stCode]').innerText.includes('4.68377233 3.68377236')"
    )
    assert page.locator("[data-testid=stException]").count() == 0
    page.close()


def test_anatomy_next_button_advances_the_table(served_app, browser):
    page = open_page(browser, f"{served_app.url}/anatomy", charts=1)
    assert "Update 1:" in page.get_by_text("Update 1:").first.inner_text()
    page.get_by_role("button", name="Next ▶").click()
    wait_settled(page)
    page.get_by_text("Update 2:").first.wait_for()
    arrows = page.evaluate("() => document.querySelectorAll('.js-plotly-plot')[0].layout.annotations.length")
    assert arrows == 2
    page.close()


def test_decay_explorer_draws_one_path_per_rho(served_app, browser):
    page = open_page(browser, f"{served_app.url}/decay", charts=4)
    for rho in ("0.5", "0.9", "0.99", "0.999"):
        assert plotted_trace(page, f"ρ = {rho}") is not None
    page.close()


DOTS_OF_PATHS = """(chart) => {
    const plot = document.querySelectorAll('.js-plotly-plot')[chart];
    return Array.from(plot.querySelectorAll('.scatterlayer .trace')).flatMap((group) => {
        const trace = plot.data[group.__data__[0].trace.index];
        if (trace.meta !== 'path') return [];
        const line = group.querySelector('path.js-line');
        const dot = document.querySelector(line.getAttribute('marker-mid').slice(4, -1));
        return [{
            name: trace.name,
            vertices: (line.getAttribute('d').match(/[ML]/g) || []).length,
            ends: ['marker-start', 'marker-end'].every(
                (end) => line.getAttribute(end) === line.getAttribute('marker-mid')),
            plotlyPoints: group.querySelectorAll('path.point').length,
            fill: dot.firstChild.getAttribute('fill'),
            colour: trace.line.color,
            radius: Number(dot.firstChild.getAttribute('r')),
        }];
    });
}"""


def test_decay_explorer_draws_a_dot_at_every_step_on_each_path_as_one_element(served_app, browser):
    """A path of up to 300 steps shows a dot at every step: drawn by the browser on the line's
    vertices, not by plotly as one element per step; a playback frame and a zoom keep them."""
    page = open_page(browser, f"{served_app.url}/decay", charts=4)
    dots = page.evaluate(DOTS_OF_PATHS, 0)
    assert [path["name"] for path in dots] == ["ρ = 0.5", "ρ = 0.9", "ρ = 0.99", "ρ = 0.999"]
    for path in dots:
        # 200 steps: 201 points, each a vertex of the one line element that carries the dots
        assert path["vertices"] == 201 and path["ends"] and path["plotlyPoints"] == 0, path
        assert path["fill"] == path["colour"] and path["radius"] == 2, path  # the figure's marker size 4
    page.close()
    # Compare's playback redraws the paths frame by frame, a zoom redraws them: the dots follow
    page = open_page(browser, f"{served_app.url}/?objective=ellipse", charts=3)
    page.get_by_role("button", name="Play").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=playbackStep]').textContent === 'step 200 / 200'"
    )
    assert [(path["vertices"], path["ends"]) for path in page.evaluate(DOTS_OF_PATHS, 0)] == [(201, True)] * 3
    page.evaluate("() => Plotly.relayout(document.querySelectorAll('.js-plotly-plot')[0], {'xaxis.range': [-3, 1]})")
    assert all(path["vertices"] > 0 and path["ends"] for path in page.evaluate(DOTS_OF_PATHS, 0))
    # 500 steps: past 300 a path is a line alone, drawn into the same elements, which lose their dots
    steps = page.get_by_role("spinbutton", name="Steps")
    steps.fill("500")
    steps.press("Enter")
    wait_settled(page)
    page.wait_for_function("() => location.search.includes('steps=500')")
    page.wait_for_timeout(300)
    dotted = "() => document.querySelectorAll('.js-plotly-plot path.js-line[marker-mid]').length"
    assert page.evaluate(dotted) == 0
    assert [len(plotted_trace(page, name)["x"]) for name in ("SGD", "Momentum", "RMSProp")] == [501] * 3
    page.close()


def test_mission_fly_button_moves_the_ships(served_app, browser):
    page = open_page(browser, f"{served_app.url}/mission", charts=1)
    start = plotted_trace(page, "RMSProp ship")
    page.get_by_text("▶ Fly").click()
    page.wait_for_timeout(1500)
    moved = plotted_trace(page, "RMSProp ship")
    assert (moved["x"], moved["y"]) != (start["x"], start["y"])
    page.close()


@pytest.mark.parametrize(
    ("path", "heading", "charts"),
    [
        ("lesson", "RMSProp, the lesson live", 2),
        ("anatomy", "Update anatomy", 1),
        ("decay", "Decay-rate explorer: what ρ does", 4),
        ("mission", "Space mission: dock the ship", 1),
    ],
)
def test_learn_screenshots_desktop_and_phone(served_app, browser, path, heading, charts):
    saved = save_screenshots(browser, f"{served_app.url}/{path}", path, heading, charts)
    assert len(saved) == 2


def test_sweep_click_selects_a_cell_and_shows_its_path(served_app, browser):
    page = open_page(browser, f"{served_app.url}/sweep", charts=1)
    box = page.locator(".js-plotly-plot .nsewdrag").first.bounding_box()
    x, y = box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.5
    page.mouse.move(x, y)
    page.mouse.click(x, y)
    wait_settled(page)
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 2", timeout=30_000)
    assert page.get_by_text("RMSProp: lr").first.is_visible()
    assert page.get_by_role("link", name="Open on the Compare page").get_attribute("href").startswith("/compare?")
    page.close()


@pytest.mark.parametrize(
    ("path", "heading", "charts"),
    [("sweep", "Hyperparameter sweep", 1), ("conventions", "Why does my PyTorch run differ from my Keras run?", 2)],
)
def test_explore_screenshots_desktop_and_phone(served_app, browser, path, heading, charts):
    saved = save_screenshots(browser, f"{served_app.url}/{path}", path, heading, charts)
    assert len(saved) == 2


def test_conventions_distances_are_readable_and_no_chart_offers_to_share(served_app, browser):
    """The distance chart's log axis spanned 10⁻³⁰⁸ to 1 (step 0's distance of 0, clipped), and every
    chart drawn in place had a "share" button that uploads to Plotly's cloud."""
    page = open_page(browser, f"{served_app.url}/conventions?scale=1e-06", charts=2)
    low, high = page.evaluate("() => document.querySelectorAll('.js-plotly-plot')[1]._fullLayout.yaxis.range")
    assert -12 < low < high < 3  # decades of the distances themselves, not of the smallest float
    page.locator(".js-plotly-plot").first.hover()
    titles = page.evaluate(
        "() => Array.from(document.querySelectorAll('.modebar-btn'), button => button.getAttribute('data-title'))"
    )
    assert "Download plot as a PNG" in titles
    assert not [title for title in titles if "share" in title.lower() or "cloud" in title.lower()]
    page.close()


def test_every_chart_downloads_as_png_and_svg(served_app, browser):
    """The saved image is the chart as shown: a path hidden from the legend stays hidden, and
    the dots of the others are in it, one per step."""
    page = open_page(browser, f"{served_app.url}/decay", charts=4)
    page.locator(".js-plotly-plot").first.locator(".legend .traces").first.click()  # hides ρ = 0.5
    page.wait_for_function("() => document.querySelector('.js-plotly-plot')._fullData[1].visible === 'legendonly'")
    page.locator(".js-plotly-plot").first.hover()
    with page.expect_download() as svg:
        page.locator(".js-plotly-plot").first.locator("[data-title='Download plot as an SVG']").click()
    assert svg.value.suggested_filename == "rmsprop-lab-chart.svg"
    image = svg.value.path().read_text(encoding="utf-8")
    assert image.lstrip().startswith("<svg")
    # the saved image has the shown paths' dots, one per step (plotly's markers: 3 paths of 201 points)
    assert 3 * 201 <= image.count('class="point') < 4 * 201
    with page.expect_download() as png:
        page.locator(".js-plotly-plot").first.locator("[data-title='Download plot as a PNG']").click()
    assert png.value.suggested_filename == "rmsprop-lab-chart.png"
    assert png.value.path().read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page.close()


#: a map's pixels per unit on x and on y as plotly drew them, its axes' ranges and its picture's edges
MAP_SCALE = """() => {
    const layout = document.querySelector('.js-plotly-plot')._fullLayout, picture = layout.images[0];
    return [Math.abs(layout.xaxis._m), Math.abs(layout.yaxis._m), [...layout.xaxis.range, ...layout.yaxis.range],
        [picture.x, picture.x + picture.sizex, picture.y - picture.sizey, picture.y]];
}"""


@pytest.mark.parametrize(
    ("path", "charts"),
    [("?objective=bowl", 3), ("?objective=ellipse", 3), ("lesson", 2), ("anatomy", 1), ("mission", 1)],
    ids=["compare-bowl", "compare-ellipse", "lesson", "anatomy", "mission"],
)
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_map_draws_a_unit_as_long_on_x_as_on_y(served_app, browser, path, charts, viewport):
    """A round bowl is drawn round and a step's arrow at its true angle (before, the lesson's bowl was a
    wide ellipse and the anatomy's 45° step was drawn at about 30°); the axes keep the map's own ranges."""
    page = open_page(browser, f"{served_app.url}/{path}", viewport, charts=charts)
    x_scale, y_scale, axes, picture = page.evaluate(MAP_SCALE)
    assert y_scale == pytest.approx(x_scale, rel=0.01)
    assert axes == pytest.approx(picture)  # the plot shrank to the map: no axis was widened past its picture
    page.close()
