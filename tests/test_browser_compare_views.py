"""Compare's other views in a real Chromium: the 3-D surface, and the view downloaded as a file."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from rmsprop_core import Momentum, RMSProp, get_objective, optimize
from rmsprop_lab import figures

from .browser_support import (
    ARTIFACTS,
    DESKTOP,
    PHONE,
    PROJECTOR,
    open_page,
    plotted_trace,
    save_screenshots,
    wait_settled,
)

pytestmark = pytest.mark.browser
THREE_D = "{}/?objective=ellipse&view=3-D+surface"

PLOT_3D = (
    "Array.from(document.querySelectorAll('.js-plotly-plot')).find(p => p._fullData.some(t => t.type === 'surface'))"
)
TRACE_3D = f"""(name) => {{
    const plot = {PLOT_3D};
    const trace = plot._fullData.find(t => t.name === name);
    return trace ? {{type: trace.type, x: Array.from(trace.x), y: Array.from(trace.y), z: Array.from(trace.z)}} : null;
}}"""


def test_the_3d_view_draws_the_surface_with_the_paths_lifted_onto_it(served_app, browser):
    page = open_page(browser, THREE_D.format(served_app.url), charts=3)
    page.wait_for_function("() => !!document.querySelector('.js-plotly-plot .gl-container canvas')")
    objective = get_objective("ellipse")
    expected = optimize(RMSProp(lr=0.05), objective, (-5.0, 2.0), 200)
    drawn = page.evaluate(TRACE_3D, "RMSProp")
    assert drawn["type"] == "scatter3d"
    np.testing.assert_allclose(np.column_stack([drawn["x"], drawn["y"]]), expected.points, rtol=1e-12)
    # lifted onto the surface: z is the engine's f at each point of the path
    np.testing.assert_allclose(drawn["z"], expected.losses, rtol=1e-12)
    np.testing.assert_allclose(drawn["z"], objective.f(expected.points[:, 0], expected.points[:, 1]), rtol=1e-12)
    momentum = page.evaluate(TRACE_3D, "Momentum")
    expected_momentum = optimize(Momentum(lr=0.01, momentum=0.9), objective, (-5.0, 2.0), 200).losses
    np.testing.assert_allclose(momentum["z"], expected_momentum, rtol=1e-12)
    surface = page.evaluate(TRACE_3D, "f")
    assert surface["type"] == "surface" and len(surface["x"]) == 100  # the 400² map grid, every 4th point
    assert page.locator("[data-testid=liveChart]").count() == 2  # loss and step size; the map is the 3-D one

    # rotate: a drag on the scene turns the camera
    camera = f"() => JSON.stringify({PLOT_3D}._fullLayout.scene.camera.eye)"
    before = page.evaluate(camera)
    box = page.locator(".js-plotly-plot").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 120, box["y"] + box["height"] / 2 + 30, steps=8)
    page.mouse.up()
    page.wait_for_function(f"({camera})() !== {before!r}")

    # ▶ flies each optimizer's marker along its path
    page.evaluate(f"() => {{ window.__frames = 0; {PLOT_3D}.on('plotly_animatingframe', () => window.__frames++); }}")
    page.locator(".js-plotly-plot .updatemenu-button").first.click()
    page.wait_for_function("() => window.__frames > 5")
    page.close()


def test_switching_to_3d_and_back_keeps_the_settings(served_app, browser):
    page = open_page(browser, f"{served_app.url}/?objective=ellipse&rho=0.99", charts=3)
    page.get_by_text("3-D surface", exact=True).click()
    wait_settled(page)
    page.wait_for_function("() => location.search.includes('view=3-D')")
    page.wait_for_function(f"() => !!{PLOT_3D}")
    drawn = page.evaluate(TRACE_3D, "RMSProp")
    expected = optimize(RMSProp(lr=0.05, rho=0.99), get_objective("ellipse"), (-5.0, 2.0), 200).losses
    np.testing.assert_allclose(drawn["z"], expected, rtol=1e-12)
    page.get_by_text("overlay", exact=True).click()
    wait_settled(page)
    page.wait_for_function("() => !location.search.includes('view=')")
    assert page.locator("[data-testid=liveChart]").count() == 3
    page.close()


# the boxes, in the page, of what the 3-D view draws around its scene (the mode bar shows on hover)
PLAYBACK_BOXES = f"""() => {{
    const plot = {PLOT_3D};
    const box = (element) => {{
        const b = element.getBoundingClientRect();
        return [b.left, b.top, b.right, b.bottom];
    }};
    const all = (selector) => Array.from(plot.querySelectorAll(selector), box);
    // the slider's one visible text, "step N" (its labels, one per frame, are see-through)
    const texts = Array.from(plot.querySelectorAll('.slider-container text'));
    const readout = texts.filter(t => t.textContent.startsWith('step '));
    return {{
        buttons: all('.updatemenu-button'), readout: readout.map(box),
        rail: all('.slider-rail-rect'), ticks: all('.slider-tick-rect'), colourbar: all('.colorbar .cboutline'),
        colourbarLabels: all('.colorbar [class$=tick] > text'),
        legend: all('.legend'), modebar: all('.modebar'), scene: all('#scene'), chart: [box(plot)],
    }};
}}"""


def overlap(first, second) -> bool:
    return first[0] < second[2] and second[0] < first[2] and first[1] < second[3] and second[1] < first[3]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_3d_views_controls_legend_and_colour_bar_stay_clear_of_each_other(served_app, browser, viewport):
    """On a phone the step readout sat behind ❚❚, the slider's labels ran into the colour bar, whose
    own labels ran into each other, and the mode bar lay over the legend."""
    page = open_page(browser, THREE_D.format(served_app.url), charts=3, viewport=viewport)
    page.wait_for_function(f"() => !!{PLOT_3D}")
    page.locator(".js-plotly-plot").first.hover()  # shows the mode bar
    page.wait_for_function(f"() => !!{PLOT_3D}.querySelector('.modebar')")
    boxes = page.evaluate(PLAYBACK_BOXES)
    assert len(boxes["buttons"]) == 2 and boxes["readout"] and boxes["colourbar"] and boxes["legend"]
    for button in boxes["buttons"]:
        assert not any(overlap(button, readout) for readout in boxes["readout"])
        assert not any(overlap(button, rail) for rail in boxes["rail"])
    lowest_slider_part = max(part[3] for part in boxes["rail"] + boxes["ticks"] + boxes["readout"])
    assert lowest_slider_part <= min(bar[1] for bar in boxes["colourbar"])
    labels = sorted(boxes["colourbarLabels"])
    assert len(labels) >= 2
    assert not any(overlap(left, right) for left, right in itertools.pairwise(labels))
    assert not any(overlap(legend, modebar) for legend in boxes["legend"] for modebar in boxes["modebar"])
    # the scene as wide as the chart less two narrow margins: a phone's narrower one lost its sides
    (scene,), (chart,) = boxes["scene"], boxes["chart"]
    assert scene[2] - scene[0] >= chart[2] - chart[0] - 2 * figures.surface.SCENE_SIDE_MARGIN - 1
    page.close()


def test_screenshots_of_the_3d_view(served_app, browser):
    sizes = (
        ("desktop", {"width": 1400, "height": 900}),
        ("phone", {"width": 390, "height": 844}),
        ("projector", PROJECTOR),
    )
    saved = save_screenshots(
        browser, THREE_D.format(served_app.url), "compare-3d", "Ellipse (x² + 10y²)", 3, sizes=sizes
    )
    assert len(saved) == 3


def download_view(page, button: str = "Download this view (HTML)"):
    with page.expect_download() as download_info:
        page.get_by_role("button", name=button).click()
    return download_info.value


def open_file(browser, path) -> object:
    """The downloaded file opened from disk, with every request off the machine refused."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri())
    page.wait_for_function("() => document.querySelector('.js-plotly-plot')?._fullData?.length > 0")
    assert all(url.startswith("file://") or url.startswith("data:") for url in requests), requests
    return page


def test_download_this_view_opens_from_disk_with_the_paths_and_the_settings(served_app, browser, tmp_path):
    page = open_page(browser, f"{served_app.url}/?objective=ellipse&rho=0.99", charts=3)
    download = download_view(page)
    assert download.suggested_filename == "rmsprop-lab_compare_ellipse.html"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    page.close()

    view = open_file(browser, saved)
    expected = optimize(RMSProp(lr=0.05, rho=0.99), get_objective("ellipse"), (-5.0, 2.0), 200).points
    drawn = plotted_trace(view, "RMSProp")
    np.testing.assert_allclose(np.column_stack([drawn["x"], drawn["y"]]), expected, rtol=1e-12)
    assert plotted_trace(view, "SGD") is not None and plotted_trace(view, "Momentum") is not None
    assert view.evaluate("() => document.querySelector('.js-plotly-plot').layout.images.length") == 1  # the surface
    settings = view.locator("[data-testid=settings]").inner_text()
    assert "rho\t0.99" in settings and "objective\tellipse" in settings
    assert view.locator("[data-testid=reopen]").get_attribute("href") == f"{served_app.url}/?objective=ellipse&rho=0.99"
    # its playback: ▶ moves each optimizer's marker along its path
    marker = (
        "() => Array.from(document.querySelector('.js-plotly-plot')._fullData"
        ".find(t => t.meta === 'path-marker' && t.legendgroup === 'RMSProp').x)"
    )
    view.locator(".updatemenu-button").first.click()
    view.wait_for_function(f"({marker})()[1] !== {float(expected[-1, 0])!r}")
    view.wait_for_function(f"({marker})()[1] === {float(expected[-1, 0])!r}")  # and ends where the path ends
    view.screenshot(path=str(ARTIFACTS / "compare-view-file.png"), full_page=True)
    view.close()


def test_download_the_mission_view(served_app, browser, tmp_path):
    page = open_page(browser, f"{served_app.url}/mission", charts=1)
    download = download_view(page)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    drawn_in_app = plotted_trace(page, "RMSProp")
    page.close()
    view = open_file(browser, saved)
    assert plotted_trace(view, "RMSProp") == drawn_in_app
    assert view.get_by_text("▶ Fly").count() == 1
    assert "RMSProp (lr = 0.05, rho = 0.9" in view.locator("body").inner_text()
    view.screenshot(path=str(ARTIFACTS / "mission-view-file.png"), full_page=True)
    view.close()
