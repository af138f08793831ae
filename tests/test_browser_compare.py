"""The Compare page in a real Chromium: what only a browser shows."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from rmsprop_core import RMSProp, get_objective, optimize, read_trajectories_csv
from rmsprop_core.objectives import quadratic_valley
from rmsprop_lab import chart_component

from .browser_support import (
    DESKTOP,
    PAGES_WITH_CHARTS,
    PHONE,
    PROJECTOR,
    open_page,
    plotted_trace,
    save_screenshots,
    wait_settled,
)

pytestmark = pytest.mark.browser
#: Compare on Rosenbrock (the landing view is the first guided scenario, the valley)
ROSENBROCK_URL = "{}/?objective=rosenbrock"


def test_page_loads_with_all_charts(served_app, browser):
    page = open_page(browser, ROSENBROCK_URL.format(served_app.url), charts=3)
    assert page.title() == "RMSProp Lab"
    assert page.locator(".js-plotly-plot").count() == 3
    assert page.locator("[data-testid=stException]").count() == 0
    drawn = plotted_trace(page, "RMSProp")
    expected = optimize(RMSProp(lr=0.005), get_objective("rosenbrock"), (-1.5, 2.0), 1000).points
    np.testing.assert_allclose(np.column_stack([drawn["x"], drawn["y"]]), expected, rtol=1e-12)
    page.close()


def test_rho_slider_moves_with_the_keyboard_and_the_path_changes(served_app, browser):
    page = open_page(browser, ROSENBROCK_URL.format(served_app.url), charts=3)
    before = plotted_trace(page, "RMSProp")
    slider = page.get_by_role("slider", name="Decay rate")
    slider.focus()
    page.keyboard.press("ArrowRight")  # 0.9 -> 0.95
    wait_settled(page)
    page.wait_for_function("() => location.search.includes('rho=0.95')")
    after = plotted_trace(page, "RMSProp")
    assert after["x"] != before["x"]
    expected = optimize(RMSProp(lr=0.005, rho=0.95), get_objective("rosenbrock"), (-1.5, 2.0), 1000).points
    np.testing.assert_allclose(np.column_stack([after["x"], after["y"]]), expected, rtol=1e-12)
    page.close()


def zoom_the_map(page) -> list[float]:
    """Zoom the page's first chart the way a user does, dragging a box on it; its new x range."""
    box = page.locator(".js-plotly-plot .nsewdrag").first.bounding_box()
    page.mouse.move(box["x"] + 0.3 * box["width"], box["y"] + 0.3 * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + 0.6 * box["width"], box["y"] + 0.7 * box["height"], steps=8)
    page.mouse.up()
    zoomed = page.evaluate("() => document.querySelector('.js-plotly-plot')._fullLayout.xaxis.range")
    assert zoomed[0] > -2 and zoomed[1] < 2
    return zoomed


def test_charts_redraw_in_place_keeping_the_zoom(served_app, browser):
    """live_chart: a key press hands new figures to the same three chart elements (no remount),
    drawn by the vendored plotly.js bundle, and a zoom survives."""
    page = open_page(browser, ROSENBROCK_URL.format(served_app.url), charts=3)
    assert page.evaluate("() => Plotly.version") == chart_component.bundled_plotly_js_version()
    assert page.locator("[data-testid=liveChart]").count() == 3
    page.evaluate(
        "() => document.querySelectorAll('.js-plotly-plot').forEach((plot, index) => { plot.__mark = index; })"
    )
    zoomed = zoom_the_map(page)
    before = plotted_trace(page, "RMSProp", chart=1)
    page.get_by_role("slider", name="Decay rate").focus()
    page.keyboard.press("ArrowRight")
    wait_settled(page)
    page.wait_for_function("() => location.search.includes('rho=0.95')")
    assert page.evaluate("() => Array.from(document.querySelectorAll('.js-plotly-plot'), p => p.__mark)") == [0, 1, 2]
    assert plotted_trace(page, "RMSProp", chart=1)["y"] != before["y"]  # the loss chart was redrawn
    assert page.evaluate("() => document.querySelector('.js-plotly-plot')._fullLayout.xaxis.range") == zoomed
    page.close()


def test_a_message_appearing_above_the_map_keeps_its_zoom(served_app, browser):
    """A press to rho = 1 makes RMSProp diverge, and its message appears above the map. While
    Streamlit inserts it, the map is 0 px wide for a moment: the chart took that for a narrow
    screen and drew itself anew twice, losing the user's zoom. Now it keeps the zoom, and shows the
    diverged run."""
    page = open_page(browser, ROSENBROCK_URL.format(served_app.url) + "&rho=0.9999", charts=3)
    zoomed = zoom_the_map(page)
    page.get_by_role("slider", name="Decay rate").focus()
    page.keyboard.press("ArrowRight")  # 0.9999 -> 1
    wait_settled(page)
    page.wait_for_function("() => new URLSearchParams(location.search).get('rho') === '1.0'")
    assert "RMSProp diverged at step 2" in page.locator("[data-testid=stAlertContentError]").first.inner_text()
    assert page.evaluate("() => document.querySelector('.js-plotly-plot')._fullLayout.xaxis.range") == zoomed
    drawn = plotted_trace(page, "RMSProp")
    run = optimize(RMSProp(lr=0.005, rho=1.0), get_objective("rosenbrock"), (-1.5, 2.0), 1000)
    finite = run.points[np.isfinite(run.points).all(axis=1)]
    np.testing.assert_allclose(np.column_stack([drawn["x"], drawn["y"]])[: len(finite)], finite, rtol=1e-12)
    page.close()


# Every chart as drawn (each axis's range, each trace's line and markers), next to a full Plotly.newPlot
# of the same data and layout in a hidden chart of the same size; and how the last draw was made.
DRAWN_AND_FULL_DRAW = """async () => {
  const drawing = (plot) => ({
    ranges: Object.keys(plot._fullLayout).filter((name) => /^[xy]axis[0-9]*$/.test(name))
      .map((name) => plot._fullLayout[name].range.map((end) => Number(end.toPrecision(12)))),
    traces: Array.from(plot.querySelectorAll('.scatterlayer .trace'), (trace) => [
      Array.from(trace.querySelectorAll('path.js-line'), (line) => line.getAttribute('d')),
      Array.from(trace.querySelectorAll('path.point'), (point) => point.getAttribute('transform')),
    ]),
  });
  const found = [];
  for (const plot of document.querySelectorAll('.live-chart.js-plotly-plot')) {
    const copy = document.createElement('div');
    copy.style.cssText = `position: absolute; left: -5000px; width: ${plot.clientWidth}px`;
    document.body.appendChild(copy);
    const {transition, ...layout} = JSON.parse(JSON.stringify(plot.layout));
    const shown = drawing(plot);
    await Plotly.newPlot(copy, JSON.parse(JSON.stringify(plot.data)), layout);
    found.push({shown, full: drawing(copy), draws: plot.__draws});
    Plotly.purge(copy);
    copy.remove();
  }
  return found;
}"""


def test_a_new_figure_with_new_points_alone_is_drawn_as_a_full_draw_draws_it(served_app, browser):
    """A key press changes the charts' points alone, and sometimes a line chart's axis range (its
    fit to the lines, rounded outward): a chart whose ranges stay draws its changed traces alone
    (Plotly.animate), one whose ranges move is drawn whole. Each chart then shows what a full draw
    of its data shows, and the map's data are the engine's run for the new value. RMSProp alone is
    shown, so its curves set the loss and step-size axes, and a press can move them."""
    page = open_page(browser, f"{served_app.url}/?objective=rosenbrock&sgd=0&mom=0", charts=3)
    page.evaluate(
        """() => document.querySelectorAll('.live-chart.js-plotly-plot').forEach((plot) => {
            plot.on('plotly_afterplot', () => plot.__draws.push('full'));
            plot.on('plotly_transitioned', () => plot.__draws.push('transition'));
        })"""
    )
    presses = [
        ("compare-rho", "ArrowRight", "location.search.includes('rho=0.95')"),
        ("compare-rho", "ArrowLeft", "!location.search.includes('rho=')"),  # back to the default
        ("compare-rho", "ArrowRight", "location.search.includes('rho=0.95')"),
        ("compare-rms_lr", "ArrowRight", "location.search.includes('rms_lr=')"),
    ]
    ranges, draws = [], []
    for slider, key, shown_in_url in presses:
        page.evaluate("() => document.querySelectorAll('.live-chart.js-plotly-plot').forEach((p) => p.__draws = [])")
        page.locator(f".st-key-{slider}").get_by_role("slider").focus()
        page.keyboard.press(key)
        page.wait_for_function(f"() => {shown_in_url}")
        # the URL changes before the rerun's figures reach the charts: wait for each chart's draw
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('.live-chart.js-plotly-plot')).every((p) => p.__draws.length)"
        )
        wait_settled(page)
        charts = page.evaluate(DRAWN_AND_FULL_DRAW)
        for chart in charts:
            assert chart["shown"] == chart["full"]
        draws.append([chart["draws"] for chart in charts])
        ranges.append([chart["shown"]["ranges"] for chart in charts])
    # the map's axes stay; a line chart's lines alone are redrawn while its axes stay, and the
    # whole chart when they move (its fit follows the lines)
    assert all(press[0] == ["transition"] for press in draws)
    for (before, after), press in zip(itertools.pairwise(ranges), draws[1:], strict=True):
        assert [["transition"] if old == new else ["full"] for old, new in zip(before, after, strict=True)] == press
    assert ["transition"] in [press[1] for press in draws[1:]] + [press[2] for press in draws[1:]]
    assert any(before[1] != after[1] or before[2] != after[2] for before, after in itertools.pairwise(ranges))
    drawn = plotted_trace(page, "RMSProp")
    lr = float(page.evaluate("() => new URLSearchParams(location.search).get('rms_lr')"))
    expected = optimize(RMSProp(lr=lr, rho=0.95), get_objective("rosenbrock"), (-1.5, 2.0), 1000).points
    np.testing.assert_allclose(np.column_stack([drawn["x"], drawn["y"]]), expected, rtol=1e-12)
    page.close()


def test_a_control_that_changes_no_chart_redraws_none(served_app, browser):
    """The tolerance changes the results table only: the charts, identical, are not drawn again
    (Streamlit keeps an element whose data did not change, so live_chart is not even called)."""
    page = open_page(browser, ROSENBROCK_URL.format(served_app.url), charts=3)
    page.evaluate(
        """() => {
            window.__draws = 0;
            for (const plot of document.querySelectorAll('.js-plotly-plot')) {
                plot.on('plotly_react', () => window.__draws++);
            }
        }"""
    )
    before = page.locator("[data-testid=stMarkdownContainer] table").inner_text()
    page.get_by_role("slider", name="Tolerance").focus()
    page.keyboard.press("ArrowLeft")
    wait_settled(page)
    page.wait_for_function("() => location.search.includes('tol=')")
    assert page.locator("[data-testid=stMarkdownContainer] table").inner_text() != before
    assert "steps to settle (f − f* ≤ tol)" in before  # the results table, its Markdown escaped
    assert page.evaluate("() => window.__draws") == 0
    page.close()


def test_full_screen_button_fills_the_screen_and_gives_the_size_back(served_app, browser):
    """For projecting in class: the mode bar's full-screen button (live_chart adds it)."""
    page = open_page(browser, ROSENBROCK_URL.format(served_app.url), charts=3)
    main = page.locator(".js-plotly-plot").first
    main.hover()
    main.locator("[data-title='Full screen (Esc to leave)']").click()
    page.wait_for_function("document.fullscreenElement === document.querySelector('.js-plotly-plot')")
    page.wait_for_function("document.querySelector('.js-plotly-plot')._fullLayout.height === innerHeight")
    page.evaluate("() => document.exitFullscreen()")
    page.wait_for_function("document.fullscreenElement === null")
    page.wait_for_function("document.querySelector('.js-plotly-plot')._fullLayout.height === 560")
    page.close()


def test_deep_link_with_a_trailing_slash_still_draws(served_app, browser):
    """plotly.js is fetched from an absolute path, whatever the page's URL looks like."""
    page = open_page(browser, f"{served_app.url}/decay/", charts=2)
    assert page.get_by_text("Decay-rate explorer: what ρ does").is_visible()
    assert page.evaluate("() => typeof Plotly.react") == "function"
    page.close()


def test_switch_to_side_by_side(served_app, browser):
    page = open_page(browser, ROSENBROCK_URL.format(served_app.url), charts=3)
    page.get_by_text("side by side", exact=True).click()
    wait_settled(page)
    page.wait_for_function("() => !!document.querySelectorAll('.js-plotly-plot')[0].layout.xaxis3")
    titles = page.evaluate("() => document.querySelectorAll('.js-plotly-plot')[0].layout.annotations.map(a => a.text)")
    assert titles == ["<b>SGD</b>", "<b>Momentum</b>", "<b>RMSProp</b>"]
    page.close()


def test_download_csv_and_read_it_back(served_app, browser):
    page = open_page(browser, ROSENBROCK_URL.format(served_app.url), charts=3)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download trajectories (CSV)").click()
    download = download_info.value
    assert download.suggested_filename == "rmsprop-lab_rosenbrock.csv"
    runs = read_trajectories_csv(download.path().read_text(encoding="utf-8"))
    assert list(runs) == ["SGD", "Momentum", "RMSProp"]
    expected = optimize(RMSProp(lr=0.005), get_objective("rosenbrock"), (-1.5, 2.0), 1000)
    np.testing.assert_array_equal(runs["RMSProp"].points, expected.points)
    assert runs["RMSProp"].hyperparameters["rho"] == 0.9
    # the optimizer state per step, bit-exact: RMSProp's s and effective step size per coordinate
    np.testing.assert_array_equal(runs["RMSProp"].state["s"], expected.state["s"])
    np.testing.assert_array_equal(runs["RMSProp"].state["step_size"], expected.state["step_size"])
    assert runs["SGD"].state == {} and set(runs["Momentum"].state) == {"b"}
    page.close()


def test_downloads_outside_the_fragment_follow_its_presses(served_app, browser):
    """The downloads sit below the fragment that a press reruns, so a press does not redraw them:
    each file is built on click from the fragment's last run (a new ρ, Adam switched on)."""
    page = open_page(browser, ROSENBROCK_URL.format(served_app.url), charts=3)
    page.get_by_role("slider", name="Decay rate").focus()
    page.keyboard.press("ArrowRight")  # 0.9 -> 0.95, a fragment-only rerun
    wait_settled(page)
    page.wait_for_function("() => location.search.includes('rho=0.95')")
    page.locator(".st-key-compare-_panel").get_by_role("radio", name="Adam", exact=True).click()
    wait_settled(page)
    page.get_by_text("Show Adam").click()
    wait_settled(page)
    page.wait_for_function("() => location.search.includes('adam=1')")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download trajectories (CSV)").click()
    runs = read_trajectories_csv(download_info.value.path().read_text(encoding="utf-8"))
    assert list(runs) == ["SGD", "Momentum", "RMSProp", "Adam"]
    expected = optimize(RMSProp(lr=0.005, rho=0.95), get_objective("rosenbrock"), (-1.5, 2.0), 1000)
    np.testing.assert_array_equal(runs["RMSProp"].points, expected.points)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download this view (HTML)").click()
    html = download_info.value.path().read_text(encoding="utf-8")
    assert "rho = 0.95" in html and "Adam: " in html and "rho=0.95" in html and "adam=1" in html
    page.close()


def test_shared_url_opens_the_same_view(served_app, browser):
    page = open_page(browser, f"{served_app.url}/?objective=beale&rho=0.99&eps=1e-08&view=side+by+side", charts=3)
    assert page.get_by_text("Beale", exact=True).first.is_visible()
    rho_slider = page.get_by_role("slider", name="Decay rate")
    assert rho_slider.get_attribute("aria-valuetext") == "0.99"
    drawn = plotted_trace(page, "RMSProp")
    beale = get_objective("beale")
    expected = optimize(RMSProp(lr=0.05, rho=0.99, eps=1e-8), beale, beale.start, 600).points
    np.testing.assert_allclose(np.column_stack([drawn["x"], drawn["y"]]), expected, rtol=1e-12)
    page.close()


def test_hostile_url_shows_a_notice_not_markup(served_app, browser):
    page = open_page(browser, f"{served_app.url}/?rho=%3Cscript%3Ewindow.pwned%3D1%3C%2Fscript%3E&steps=1e99", charts=3)
    assert page.evaluate("() => window.pwned === undefined")
    alerts = page.locator("[data-testid=stAlert]").all_inner_texts()
    assert any("rho" in text and "ignored" in text for text in alerts)
    assert page.locator("[data-testid=stException]").count() == 0
    page.close()


def test_screenshots_desktop_and_phone(served_app, browser):
    saved = save_screenshots(browser, f"{served_app.url}/?objective=ellipse", "compare", "Ellipse (x² + 10y²)", 3)
    assert [path.name for path in saved] == ["compare-desktop.png", "compare-phone.png"]


#: how plotly treats a tick label sticking out of the chart, over every axis of every chart drawn
TICK_LABELS_OVERFLOW_MODES = """() => [...new Set(Array.from(document.querySelectorAll('.live-chart.js-plotly-plot'))
  .flatMap((chart) => Object.keys(chart._fullLayout).filter((name) => /^[xy]axis[0-9]*$/.test(name))
    .map((name) => chart._fullLayout[name].ticklabeloverflow)))]"""
VISIBLE_TICK_LABELS = """() => Array.from(document.querySelectorAll('.live-chart .xtick text, .live-chart .ytick text'))
  .filter((label) => label.textContent && getComputedStyle(label).display !== 'none').length"""
TICK_LABELS_OUTSIDE = """() => Array.from(document.querySelectorAll('.live-chart.js-plotly-plot')).flatMap((chart) => {
  const frame = chart.getBoundingClientRect();
  return Array.from(chart.querySelectorAll('.xtick text, .ytick text, .cbaxis text'))
    .filter((label) => label.textContent && getComputedStyle(label).display !== 'none')
    .map((label) => [label.textContent, label.getBoundingClientRect()])
    .filter(([, box]) => box.left < frame.left - 1 || box.right > frame.right + 1
      || box.top < frame.top - 1 || box.bottom > frame.bottom + 1)
    .map(([text]) => text);
})"""


#: the legend entries drawn beyond their chart's top or sides (a phone's legend on more rows than its room)
LEGEND_ENTRIES_OUTSIDE = """() => Array.from(document.querySelectorAll('.live-chart.js-plotly-plot'))
.flatMap((chart) => {
  const frame = chart.querySelector('svg.main-svg').getBoundingClientRect();
  return Array.from(chart.querySelectorAll('.legend .traces'))
    .map((entry) => [entry.textContent, entry.getBoundingClientRect()])
    .filter(([, box]) => box.top < frame.top - 1 || box.left < frame.left - 1 || box.right > frame.right + 1)
    .map(([name]) => name);
})"""
#: the x and y tick labels of a chart whose ink comes within 3 pixels (a map's first of each met at
#: its corner, half a pixel apart): a label's box is its font's full height, so the digits' own
#: extent is measured in a canvas in the label's font; labels with superscripts (10⁻²) are left out
AXIS_LABELS_CLASHING = """() => {
  const measure = document.createElement('canvas').getContext('2d');
  const inked = (label) => {
    const box = label.getBoundingClientRect(), style = getComputedStyle(label);
    measure.font = `${style.fontSize} ${style.fontFamily}`;
    const text = measure.measureText(label.textContent);
    const scale = box.height / (text.fontBoundingBoxAscent + text.fontBoundingBoxDescent);
    return {left: box.left, right: box.right,
            top: box.top + (text.fontBoundingBoxAscent - text.actualBoundingBoxAscent) * scale,
            bottom: box.bottom - (text.fontBoundingBoxDescent - text.actualBoundingBoxDescent) * scale};
  };
  return Array.from(document.querySelectorAll('.live-chart.js-plotly-plot')).flatMap((chart) => {
    const labels = (selector) => Array.from(chart.querySelectorAll(selector))
      .filter((label) => label.textContent && !label.querySelector('tspan'))
      .filter((label) => getComputedStyle(label).display !== 'none')
      .map((label) => [label.textContent, inked(label)]);
    const ys = labels('.ytick text');
    return labels('.xtick text').flatMap(([x, a]) => ys
      .filter(([, b]) => a.left < b.right && b.left < a.right && a.top < b.bottom + 3 && b.top < a.bottom + 3)
      .map(([y]) => `${x} / ${y}`));
  });
}"""
#: the colour bars' labels that plotly turned on end, or that run into their neighbour
COLOURBAR_LABELS_CLASHING = """() => Array.from(document.querySelectorAll('.live-chart.js-plotly-plot'))
.flatMap((chart) => {
  const labels = Array.from(chart.querySelectorAll('.colorbar [class$=tick] > text'))
    .map((label) => [label.textContent, label.getBoundingClientRect(), label.getAttribute('transform') || ''])
    .sort((first, second) => first[1].left - second[1].left);
  const turned = labels.filter(([, , transform]) => /rotate\\((?!0[,)])/.test(transform)).map(([text]) => text);
  const clashing = labels.slice(1).filter(([, box], at) => box.left < labels[at][1].right).map(([text]) => text);
  return [...turned, ...clashing];
})"""


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE, PROJECTOR], ids=["desktop", "phone", "1280x720"])
@pytest.mark.parametrize(
    ("path", "charts"),
    [("?objective=rosenbrock", 3), ("?objective=beale", 3), *((page[1], page[3]) for page in PAGES_WITH_CHARTS[1:])],
    ids=["compare-rosenbrock", "compare-beale", *(page[0] for page in PAGES_WITH_CHARTS[1:])],
)
def test_every_label_is_drawn_inside_its_chart_and_clear_of_the_others(served_app, browser, viewport, path, charts):
    """Plotly's check that hides a label sticking out of its chart is left out (it measured every
    label on every draw): the margins must keep every label inside, on every screen. On a phone the
    legends of long names took more rows than their room, the maps' colour bars had their labels
    turned on end or run together, and a map's first x and y labels touched at its corner."""
    page = open_page(browser, f"{served_app.url}/{path}", viewport, charts=charts)
    assert page.evaluate(TICK_LABELS_OVERFLOW_MODES) == ["allow"]
    assert page.evaluate(VISIBLE_TICK_LABELS) > 5
    assert page.evaluate(TICK_LABELS_OUTSIDE) == []
    assert page.evaluate(LEGEND_ENTRIES_OUTSIDE) == []
    assert page.evaluate(COLOURBAR_LABELS_CLASHING) == []
    assert page.evaluate(AXIS_LABELS_CLASHING) == []
    page.close()


def test_the_loss_axis_stops_at_ten_to_the_minus_twenty(served_app, browser):
    """On the default page (the valley) RMSProp reaches the minimum exactly, f − f* = 0, drawn at
    the smallest positive float: the axis reached down to 10⁻³⁰⁸, a label every 45 powers of ten
    and the decades that matter squashed into its top tenth."""
    page = open_page(browser, served_app.url, charts=3)
    loss_axis = page.evaluate(
        "() => { const axis = document.querySelectorAll('.live-chart.js-plotly-plot')[1]._fullLayout.yaxis;"
        " return [axis.type, axis.range]; }"
    )
    assert loss_axis[0] == "log" and loss_axis[1][0] == -20
    valley = quadratic_valley(100.0, 0.0)
    assert optimize(RMSProp(lr=0.1, rho=0.999), valley, (-4.0, 0.3), 500).losses.min() == 0.0  # still so
    page.close()


def test_deep_link_as_a_fresh_servers_first_request_is_routed(tmp_path, browser):
    from .browser_support import ServedApp

    fresh = ServedApp(tmp_path / "streamlit.log")
    try:
        page = open_page(browser, f"{fresh.url}/sweep", charts=1)
        navigation = page.locator("[data-testid=stSidebarNav]").inner_text()
        assert "Hyperparameter sweep" in navigation and "Compare optimizers" in navigation
        entries = [line.strip() for line in navigation.splitlines() if line.strip()]
        assert "app" not in entries and "sweep" not in entries  # no raw file names (MPA v1 fallback)
        assert page.title() == "RMSProp Lab"
        page.close()
    finally:
        fresh.stop()


def test_typing_a_formula_draws_its_paths(served_app, browser):
    page = open_page(browser, f"{served_app.url}/?objective=custom", charts=3)
    box = page.get_by_role("textbox", name="f(x, y) =")
    box.fill("(x-1)^2 + 10*(y+2)^2")
    box.press("Enter")
    wait_settled(page)
    page.wait_for_function("() => location.search.includes('formula=')")
    drawn = plotted_trace(page, "RMSProp")
    from rmsprop_core import parse_objective

    objective = parse_objective("(x-1)^2 + 10*(y+2)^2")
    expected = optimize(RMSProp(lr=0.05), objective, objective.start, 300).points
    np.testing.assert_allclose(np.column_stack([drawn["x"], drawn["y"]]), expected, rtol=1e-12)
    page.close()


def test_settings_file_download_edit_and_load(served_app, browser, tmp_path):
    import json

    page = open_page(browser, ROSENBROCK_URL.format(served_app.url), charts=3)
    page.get_by_role("slider", name="Decay rate").focus()
    page.keyboard.press("ArrowRight")  # a fragment-only rerun: the saved file must still see it
    wait_settled(page)
    page.get_by_text("Save or load these settings").click()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download settings (JSON)").click()
    document = json.loads(download_info.value.path().read_text())
    assert document["settings"]["objective"] == "rosenbrock" and document["settings"]["rho"] == 0.95
    document["settings"].update(objective="beale", x0=1.0, y0=1.5, steps=600, rms_lr=0.05, rho=0.99)
    edited = tmp_path / "beale.json"
    edited.write_text(json.dumps(document))
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(edited))
    wait_settled(page)
    page.wait_for_function("() => location.search.includes('objective=beale')", timeout=30_000)
    wait_settled(page)
    drawn = plotted_trace(page, "RMSProp")
    beale = get_objective("beale")
    expected = optimize(RMSProp(lr=0.05, rho=0.99), beale, (1.0, 1.5), 600).points
    np.testing.assert_allclose(np.column_stack([drawn["x"], drawn["y"]]), expected, rtol=1e-12)

    bad = tmp_path / "bad.json"
    bad.write_text('{"app": "rmsprop-lab", "page": "compare", "settings": {"rho": "lots"}}')
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(bad))
    wait_settled(page)
    page.get_by_text("`rho` has the wrong type", exact=False).or_(
        page.get_by_text("has the wrong type")
    ).first.wait_for()
    assert page.locator("[data-testid=stException]").count() == 0
    page.close()


def test_six_sessions_at_once_never_see_each_others_work(served_app, browser):
    """Six users, each with their own formula and seed, interleave ten slider moves each."""
    from rmsprop_core import parse_objective

    sessions = []
    for index in range(6):
        formula = f"x^2 + {index + 2}*y^2"
        context = browser.new_context(viewport={"width": 1200, "height": 800})
        page = context.new_page()
        page.goto(
            f"{served_app.url}/?objective=custom&formula={formula.replace('+', '%2B')}&steps=120&seed={index}&noise=0.1"
        )
        sessions.append((context, page, formula, index))
    for _, page, _, _ in sessions:
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 3", timeout=60_000)
        wait_settled(page)
    for round_number in range(10):
        for _, page, _, index in sessions:  # every session's rerun overlaps the others'
            page.get_by_role("slider", name="Decay rate").focus()
            page.keyboard.press("ArrowRight" if (round_number + index) % 2 == 0 else "ArrowLeft")
        for _, page, formula, index in sessions:
            wait_settled(page)
            page.wait_for_timeout(200)
            wait_settled(page)
            latex = page.locator("[data-testid=stMarkdownContainer] .katex, .stLatex").first.inner_text()
            assert f"{index + 2}y" in latex.replace(" ", "").replace("\n", ""), (index, latex)
            rho = float(page.get_by_role("slider", name="Decay rate").get_attribute("aria-valuetext"))
            drawn = plotted_trace(page, "RMSProp")
            objective = parse_objective(formula)
            expected = optimize(RMSProp(lr=0.05, rho=rho), objective, objective.start, 120, noise=0.1, seed=index)
            np.testing.assert_allclose(np.column_stack([drawn["x"], drawn["y"]]), expected.points, rtol=1e-12)
    for context, *_ in sessions:
        context.close()
    log = served_app.log_text()
    assert "Traceback" not in log and "Error" not in log, log[-2000:]


def test_playback_grows_the_paths_in_the_browser_without_a_rerun(served_app, browser):
    page = open_page(browser, f"{served_app.url}/?objective=ellipse", charts=3)
    page.evaluate(
        """() => {
            window.__reruns = 0;
            const app = document.querySelector('[data-testid=stApp]');
            new MutationObserver(() => {
                if (app.dataset.testScriptState === 'running') window.__reruns++;
            }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
            window.__lengths = [];
            const plot = document.querySelector('.js-plotly-plot');
            plot.on('plotly_restyle', () => {
                const line = plot._fullData.find(t => t.name === 'RMSProp' && t.meta === 'path');
                if (window.__lengths.at(-1) !== line.x.length) window.__lengths.push(line.x.length);
            });
        }"""
    )
    page.get_by_role("button", name="Play").click()  # 1×: the whole run in about six seconds
    page.wait_for_function(
        "() => document.querySelector('[data-testid=playbackStep]').textContent === 'step 200 / 200'"
    )
    lengths = page.evaluate("() => window.__lengths")
    assert len(lengths) > 10 and lengths == sorted(lengths)  # grew step by step, frame by frame
    assert lengths[0] < 50 and lengths[-1] == 201
    assert page.evaluate("() => window.__reruns") == 0
    drawn = plotted_trace(page, "RMSProp")
    expected = optimize(RMSProp(lr=0.05), get_objective("ellipse"), (-5.0, 2.0), 200).points
    np.testing.assert_allclose(np.column_stack([drawn["x"], drawn["y"]]), expected, rtol=1e-12)
    assert page.get_by_role("button", name="Play").is_visible()  # ready to play again
    page.close()


def test_a_figure_drawn_while_an_older_ones_animation_waits_is_not_covered_by_it(served_app, browser):
    """Plotly.animate may draw a frame later (plotly first waits for a loading image, or for its
    animation loop's next frame). A new figure drawn meanwhile is drawn whole, then drawn whole again
    once the older animation has drawn its points: here Momentum's new α (points alone, animated),
    then Momentum switched off (a trace fewer, drawn whole), with the animation held back until
    both have arrived. Its points, drawn last, would otherwise land on the traces now in their slots."""
    page = open_page(browser, ROSENBROCK_URL.format(served_app.url), charts=3)
    page.locator(".st-key-compare-_panel").get_by_role("radio", name="Momentum", exact=True).click()
    wait_settled(page)
    page.locator(".st-key-compare-mom_lr").get_by_role("slider").wait_for()
    page.evaluate(
        """() => {
            const animate = Plotly.animate;
            window.__heldAnimations = [];
            Plotly.animate = (...args) => new Promise((release) => window.__heldAnimations.push(release))
                .then(() => animate(...args));
        }"""
    )
    page.locator(".st-key-compare-mom_lr").get_by_role("slider").focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => window.__heldAnimations.length === 1")
    page.get_by_role("switch", name="Show Momentum").focus()
    page.keyboard.press("Space")
    page.wait_for_function("() => location.search.includes('mom=0')")
    page.wait_for_function(
        "() => !document.querySelector('.st-key-compare_main .live-chart').data.some((t) => t.name === 'Momentum')"
    )
    page.evaluate("() => window.__heldAnimations.forEach((release) => release())")
    wait_settled(page)
    main = page.evaluate(DRAWN_AND_FULL_DRAW)[0]
    assert main["shown"] == main["full"]
    names = page.evaluate("() => document.querySelector('.st-key-compare_main .live-chart').data.map((t) => t.name)")
    assert "Momentum" not in names and "RMSProp" in names
    drawn = plotted_trace(page, "RMSProp")
    expected = optimize(RMSProp(lr=0.005), get_objective("rosenbrock"), (-1.5, 2.0), 1000).points
    np.testing.assert_allclose(np.column_stack([drawn["x"], drawn["y"]]), expected, rtol=1e-12)
    page.close()


def test_a_new_value_after_a_paused_playback_draws_every_path_whole(served_app, browser):
    """A paused playback leaves every path drawn up to its step; a changed ρ changes RMSProp's
    points alone, yet the other optimizers' paths are drawn whole again too (the chart is drawn
    whole, not just its changed traces)."""
    page = open_page(browser, f"{served_app.url}/?objective=ellipse", charts=3)
    full = len(plotted_trace(page, "SGD")["x"])
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("() => /step [1-9]/.test(document.querySelector('[data-testid=playbackStep]').textContent)")
    page.get_by_role("button", name="Pause").click()
    assert len(plotted_trace(page, "SGD")["x"]) < full
    page.locator(".st-key-compare-rho").get_by_role("slider").focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => location.search.includes('rho=')")
    wait_settled(page)
    assert len(plotted_trace(page, "SGD")["x"]) == full
    assert len(plotted_trace(page, "RMSProp")["x"]) == full
    page.close()


def test_picking_a_scenario_then_tuning_in_the_browser(served_app, browser):
    """The scenario picker sets a whole view and asks its question; "Tune learning rates" then gives
    each optimizer its best α and says by which criterion."""
    from rmsprop_lab.scenarios import SCENARIOS, measure

    page = open_page(browser, served_app.url, charts=3)
    assert page.get_by_text("Predict first: A valley 100 times steeper").is_visible()  # the landing view
    page.get_by_role("combobox", name="Guided scenario").click()
    page.get_by_role("option", name=SCENARIOS["saddle"].title).click()
    page.wait_for_function("() => location.search.includes('scenario=saddle')")
    wait_settled(page)
    assert page.get_by_text(f"{SCENARIOS['saddle'].title}. Predict first").is_visible()
    page.get_by_text("What to notice").click()
    escape = measure(SCENARIOS["saddle"].settings())["RMSProp"].escape
    assert page.get_by_text(f"RMSProp escapes (f falls 1 below its start) at step {escape}").is_visible()

    page.get_by_role("button", name="Tune learning rates").click()
    wait_settled(page)
    note = page.get_by_text("α tuned on this function and start")
    note.wait_for()
    assert "fewest steps to settle" in note.inner_text()
    assert page.get_by_text("its settings have changed since").is_visible()  # tuning changed the view
    page.close()


def test_a_key_press_in_the_lab_retires_the_scenario_notes_above_it_and_a_press_back_restores_them(served_app, browser):
    """ρ's slider reruns the optimizer lab alone; the scenario's question above the lab must still
    say at once that its notes no longer apply, and ask it again when ρ is back at the scenario's."""
    page = open_page(browser, served_app.url, charts=3)
    question = page.get_by_text("Predict first: A valley 100 times steeper")
    retired = page.get_by_text("its settings have changed since")
    assert question.is_visible() and not retired.count()
    slider = page.locator(".st-key-compare-rho").get_by_role("slider")
    # away from the scenario's ρ (the URL then names it), and back (the URL drops it again)
    named = "location.search.includes('rho=')"
    for key, url, shown, gone in (
        ("ArrowRight", named, retired, question),
        ("ArrowLeft", f"!{named}", question, retired),
    ):
        slider.focus()
        page.keyboard.press(key)
        page.wait_for_function(f"() => {url}")
        wait_settled(page)
        shown.wait_for()
        assert not gone.count()
    page.close()


#: for each chart, under the pointer: what plotly's mode bar covers of its title and legend entries
MODE_BAR_COVERS = """(chart) => {
  const bar = chart.querySelector('.modebar').getBoundingClientRect();
  const covered = (box) => box.width && box.left < bar.right && bar.left < box.right
    && box.top < bar.bottom && bar.top < box.bottom;
  const named = [...chart.querySelectorAll('.gtitle, .legend .traces')].map((item) => [item.textContent, item]);
  return named.filter(([, item]) => covered(item.getBoundingClientRect())).map(([text]) => text);
}"""


@pytest.mark.parametrize("viewport", [DESKTOP, PROJECTOR], ids=["desktop", "1280x720"])
@pytest.mark.parametrize(
    ("path", "charts"), [("?objective=rosenbrock", 3), ("decay?steps=200", 4)], ids=["compare", "decay"]
)
def test_the_mode_bar_covers_no_title_or_legend_entry(served_app, browser, viewport, path, charts):
    """The mode bar, shown while the pointer is over a chart, sat over the end of the step-size
    chart's title ("… per coordinate") and of the Decay explorer's "Steps to settle" one: it moves
    under a title that reaches under it, beside the legend."""
    presented = "&present=1" if viewport is PROJECTOR else ""
    page = open_page(browser, f"{served_app.url}/{path}{presented}", viewport, charts)
    covered = {}
    for index, chart in enumerate(page.locator(".live-chart.js-plotly-plot").all()):
        chart.scroll_into_view_if_needed()
        chart.hover(position={"x": 100, "y": 200})
        page.wait_for_function(
            "(chart) => getComputedStyle(chart.querySelector('.modebar')).opacity === '1'", arg=chart.element_handle()
        )
        title = chart.evaluate("(chart) => chart.querySelector('.gtitle')?.textContent || 'untitled'")
        covered[f"chart {index}: {title}"] = chart.evaluate(MODE_BAR_COVERS)  # two untitled charts stay apart
    assert any("per coordinate" in title or "Steps to settle" in title for title in covered)
    assert covered == {title: [] for title in covered}
    page.close()
