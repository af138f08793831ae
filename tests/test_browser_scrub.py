"""Scrubbing on Compare in a real Chromium: while a slider is dragged, the drawn paths are the
engine's for the value under the pointer, with no server round trip; the release keeps it."""

from __future__ import annotations

import numpy as np
import pytest

from rmsprop_core import RMSProp, get_objective, optimize
from rmsprop_lab.options import LR_OPTIONS, RHO_OPTIONS

from .browser_support import DESKTOP, plotted_trace, wait_settled

pytestmark = pytest.mark.browser
ROSENBROCK_URL = "{}/?objective=rosenbrock"

#: What a chart's SVG shows for one trace, read back into data coordinates through its axes, and
#: how many pixels one unit of each axis takes (the reading's resolution).
DRAWN_LINE = """([key, name]) => {
  const chart = document.querySelector(`.st-key-${key} .js-plotly-plot`);
  const index = chart.data.findIndex(t => t.name === name && t.meta !== 'path-marker');
  const group = [...chart.querySelectorAll('.scatterlayer .trace')]
    .find(g => g.__data__ && g.__data__[0] && g.__data__[0].trace.index === index);
  const trace = chart._fullData[index];
  const axis = id => chart._fullLayout[id.replace(/^([xy])/, '$1axis')];
  const xa = axis(trace.xaxis), ya = axis(trace.yaxis);
  const d = group.querySelector('path.js-line').getAttribute('d');
  const points = [...d.matchAll(/[ML]([-0-9.e]+),([-0-9.e]+)/g)];
  return {
    x: points.map(m => xa.p2c(+m[1])), y: points.map(m => ya.p2c(+m[2])),
    x_pixels: xa._length / (xa.range[1] - xa.range[0]), y_pixels: ya._length / (ya.range[1] - ya.range[0]),
  };
}"""
SLIDER_TRACK = """(key) => {
  const input = document.querySelector(`.st-key-${key} input[type=range]`);
  const thumb = input.parentElement.parentElement, track = thumb.parentElement.getBoundingClientRect();
  const box = thumb.getBoundingClientRect();
  return {x: track.x, width: track.width, y: box.y + box.height / 2, thumb: box.x + box.width / 2};
}"""
SLIDER_POSITION = "(key) => Number(document.querySelector(`.st-key-${key} input[type=range]`).getAttribute('value'))"


#: The issue's budget for a ladder on the wire: its element's whole WebSocket message
LADDER_MESSAGE_BYTES = 300_000


def ask_for_ladder(page, key: str, setting: str) -> None:
    """Point at the slider, as a user does before dragging it: the page fetches its ladder, in a
    WebSocket message of at most ``LADDER_MESSAGE_BYTES`` (each element's message also carries its
    component's loader, under 1 KB)."""
    page.locator(f".st-key-{key} input[type=range]").wait_for(state="attached", timeout=30_000)
    page.received.clear()
    track = page.evaluate(SLIDER_TRACK, key)
    page.mouse.move(track["thumb"], track["y"])
    page.wait_for_function("(setting) => window.__rmspropLabScrub.ready(setting)", arg=setting, timeout=30_000)
    wait_settled(page)
    assert 100_000 < max(page.received) <= LADDER_MESSAGE_BYTES  # the ladder's message, within budget


def open_watched(browser, url: str, charts: int = 3):
    """``open_page``, with every WebSocket message the page sends counted in ``page.sent``, and the
    size of each it receives in ``page.received``."""
    page = browser.new_page(viewport=DESKTOP)
    page.sent, page.received = [], []
    page.on("websocket", lambda socket: socket.on("framesent", lambda frame: page.sent.append(frame)))
    page.on("websocket", lambda socket: socket.on("framereceived", lambda frame: page.received.append(len(frame))))
    page.goto(url)
    page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot').length >= {charts}", timeout=60_000)
    wait_settled(page)
    assert page.sent  # the app's own WebSocket is watched
    return page


def drag(page, key: str, positions: list[int], count: int) -> tuple[list[dict], int]:
    """Press the slider's thumb and move the pointer over the track to each ladder position in
    turn (one pointer move each), without releasing; the swaps logged and the WebSocket messages
    the page sent meanwhile."""
    sent = page.sent
    track = page.evaluate(SLIDER_TRACK, key)
    page.evaluate("() => { window.__rmspropScrubLog = []; }")
    page.mouse.move(track["thumb"], track["y"])
    page.mouse.down()
    before = len(sent)
    move_along(page, track, positions, count)
    return page.evaluate("window.__rmspropScrubLog"), len(sent) - before


def move_along(page, track: dict, positions: list[int], count: int) -> None:
    """Move the pointer over the slider's track to each of ``count`` ladder positions in turn, one
    pointer move each, waiting two animation frames after each."""
    for position in positions:
        page.mouse.move(track["x"] + track["width"] * position / (count - 1), track["y"])
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def assert_drawn_on(drawn: dict, points: np.ndarray) -> set[int]:
    """Every point of a line Plotly drew (it leaves out points on a straight stretch) is a point
    of ``points``, within the reading's resolution; returns their steps."""
    line = np.column_stack([drawn["x"], drawn["y"]])
    nearest = np.array([int(np.argmin(np.hypot(*(points - point).T))) for point in line])
    np.testing.assert_allclose(line[:, 0], points[nearest, 0], rtol=0, atol=0.006 / drawn["x_pixels"])
    np.testing.assert_allclose(line[:, 1], points[nearest, 1], rtol=0, atol=0.006 / abs(drawn["y_pixels"]))
    return set(nearest.tolist())


def engine_rmsprop(**hyperparameters):
    return optimize(RMSProp(**{"lr": 0.005, **hyperparameters}), get_objective("rosenbrock"), (-1.5, 2.0), 1000)


def test_dragging_rho_draws_the_engines_path_for_the_value_under_the_pointer(served_app, browser):
    page = open_watched(browser, ROSENBROCK_URL.format(served_app.url))
    ask_for_ladder(page, "compare-rho", "rho")
    hidden = "() => getComputedStyle(document.querySelector('.st-key-compare_scrub')).display"
    assert page.evaluate(hidden) == "none"  # the ladder's element takes no room on the page
    # 38 moves, each to another value of the ladder (7 apart, around its 19 values), ending on 0.97
    positions = [(3 + 7 * move) % len(RHO_OPTIONS) for move in range(38)]
    log, frames_sent = drag(page, "compare-rho", positions, len(RHO_OPTIONS))
    assert [entry["index"] for entry in log] == positions  # every move redrew the charts
    assert {"main", "loss", "step"} <= set(log[-1])
    assert frames_sent == 0  # no server round trip while dragging
    assert page.evaluate(SLIDER_POSITION, "compare-rho") == positions[-1]
    rho = RHO_OPTIONS[positions[-1]]
    run = engine_rmsprop(rho=rho)

    drawn = page.evaluate(DRAWN_LINE, ["compare_main", "RMSProp"])
    assert len(drawn["x"]) == 1001  # 19 values: every step of the path travels
    np.testing.assert_allclose(drawn["x"], run.points[:, 0], rtol=0, atol=0.006 / drawn["x_pixels"])
    np.testing.assert_allclose(drawn["y"], run.points[:, 1], rtol=0, atol=0.006 / abs(drawn["y_pixels"]))
    loss = page.evaluate(DRAWN_LINE, ["compare_loss", "RMSProp"])
    steps = np.rint(loss["x"]).astype(int)
    assert steps[0] == 0 and steps[-1] == 1000
    # a log axis: 0.006 px is a relative error of 10**(0.006 / pixels per decade) - 1
    np.testing.assert_allclose(loss["y"], run.losses[steps], rtol=10 ** (0.006 / abs(loss["y_pixels"])) - 1)
    step_size = page.evaluate(DRAWN_LINE, ["compare_step_size", "RMSProp: y"])
    steps = np.rint(step_size["x"]).astype(int)
    np.testing.assert_allclose(
        step_size["y"], run.state["step_size"][steps, 1], rtol=10 ** (0.006 / abs(step_size["y_pixels"])) - 1
    )

    page.mouse.up()  # the release: Streamlit syncs the value into the settings
    wait_settled(page)
    page.wait_for_function("(rho) => location.search.includes(`rho=${rho}`)", arg=f"{rho:g}")
    exact = plotted_trace(page, "RMSProp")  # the server's figure, at full precision
    np.testing.assert_allclose(np.column_stack([exact["x"], exact["y"]]), run.points, rtol=1e-12)
    assert_drawn_on(page.evaluate(DRAWN_LINE, ["compare_main", "RMSProp"]), run.points)  # and Plotly drew it
    # the value is kept through further interaction, and the keyboard still moves the slider
    page.get_by_role("radio", name="Side by side").check(force=True)
    wait_settled(page)
    assert f"rho={rho:g}" in page.evaluate("location.search")
    # side by side, RMSProp's path is on its own axes (x3, y3): a drag draws there too
    log, frames_sent = drag(page, "compare-rho", [positions[-1] - 4, positions[-1] - 2], len(RHO_OPTIONS))
    assert [entry["index"] for entry in log] == [positions[-1] - 4, positions[-1] - 2] and frames_sent == 0
    side = page.evaluate(DRAWN_LINE, ["compare_main", "RMSProp"])
    assert_drawn_on(side, engine_rmsprop(rho=RHO_OPTIONS[positions[-1] - 2]).points)
    track = page.evaluate(SLIDER_TRACK, "compare-rho")
    page.mouse.move(track["x"] + track["width"] * positions[-1] / (len(RHO_OPTIONS) - 1), track["y"])
    page.mouse.up()  # back where it was: nothing changes
    wait_settled(page)
    assert f"rho={rho:g}" in page.evaluate("location.search")
    page.get_by_role("slider", name="Decay rate").focus()
    page.keyboard.press("ArrowRight")
    wait_settled(page)
    following = RHO_OPTIONS[positions[-1] + 1]
    page.wait_for_function("(rho) => location.search.includes(`rho=${rho}`)", arg=f"{following:g}")
    after = plotted_trace(page, "RMSProp")
    np.testing.assert_allclose(
        np.column_stack([after["x"], after["y"]]), engine_rmsprop(rho=following).points, rtol=1e-12
    )
    page.close()


def test_dragging_the_learning_rate_follows_a_thinned_path_and_back_home_shows_the_exact_one(served_app, browser):
    """α's ladder has 61 values: each path travels thinned to fit 300 KB, at the engine's steps;
    a drag that ends where it began shows the server's exact figure again."""
    page = open_watched(browser, ROSENBROCK_URL.format(served_app.url))
    ask_for_ladder(page, "compare-rms_lr", "rms_lr")
    home = LR_OPTIONS.index(0.005)
    assert page.evaluate(SLIDER_POSITION, "compare-rms_lr") == home
    positions = [home - 1 - move for move in range(16)] + [home - 15 + move for move in range(14)]  # ends at home - 2
    log, frames_sent = drag(page, "compare-rms_lr", positions, len(LR_OPTIONS))
    assert frames_sent == 0 and [entry["index"] for entry in log] == positions
    position = page.evaluate(SLIDER_POSITION, "compare-rms_lr")
    ladder = page.evaluate(
        "() => { const l = window.__rmspropLabScrub.header.ladder; return {steps: l.pathSteps, count: l.count}; }"
    )
    assert ladder["count"] == len(LR_OPTIONS) and len(ladder["steps"]) < 1001
    run = engine_rmsprop(lr=LR_OPTIONS[position])
    drawn = page.evaluate(DRAWN_LINE, ["compare_main", "RMSProp"])
    finite = np.isfinite(run.points[ladder["steps"]]).all(axis=1)
    expected = run.points[ladder["steps"]][finite]
    np.testing.assert_allclose(drawn["x"], expected[:, 0], rtol=0, atol=0.006 / drawn["x_pixels"])
    np.testing.assert_allclose(drawn["y"], expected[:, 1], rtol=0, atol=0.006 / abs(drawn["y_pixels"]))
    # back to where the drag began: the server's exact figure is drawn again (nothing reruns)
    page.evaluate(
        """() => { window.__redrawn = 0;
                   document.querySelector('.st-key-compare_main .js-plotly-plot')
                     .on('plotly_afterplot', () => window.__redrawn++); }"""
    )
    track = page.evaluate(SLIDER_TRACK, "compare-rms_lr")
    page.mouse.move(track["x"] + track["width"] * home / (len(LR_OPTIONS) - 1), track["y"])
    page.mouse.up()
    page.wait_for_function("() => window.__redrawn > 0", timeout=10_000)
    wait_settled(page)
    assert "rms_lr" not in page.evaluate("location.search")  # still the story's default
    drawn_steps = assert_drawn_on(page.evaluate(DRAWN_LINE, ["compare_main", "RMSProp"]), engine_rmsprop().points)
    assert drawn_steps - set(ladder["steps"])  # steps that only the exact figure has
    page.close()


def test_a_ladder_made_stale_by_another_setting_is_fetched_again_and_pointing_redraws_no_chart(served_app, browser):
    """The ladder lives apart from the charts: pointing at a slider fetches it without drawing any
    chart again, and a press in the optimizer lab does not send it again. The charts carry the
    revision of each slider's ladder for what they show, so a ladder from before another setting
    changed is never drawn: pressing its slider fetches it anew, for the settings as they are."""
    page = open_watched(browser, ROSENBROCK_URL.format(served_app.url))
    page.evaluate(
        """() => { window.__redrawn = 0;
                   for (const chart of document.querySelectorAll('.live-chart.js-plotly-plot'))
                     chart.on('plotly_afterplot', () => window.__redrawn++); }"""
    )
    ask_for_ladder(page, "compare-rho", "rho")
    assert page.evaluate("() => window.__redrawn") == 0  # the charts were not drawn again
    page.evaluate("() => { window.__held = window.__rmspropLabScrub.header; }")
    page.get_by_role("checkbox", name="Centered (variance of g)").check(force=True)
    page.wait_for_function("() => location.search.includes('centered=')")
    wait_settled(page)
    assert page.evaluate("() => window.__rmspropLabScrub.header === window.__held")  # the press sent no ladder
    assert not page.evaluate("() => window.__rmspropLabScrub.ready('rho')")  # and the one held is stale
    stale = page.evaluate("() => window.__rmspropLabScrub.header.ladder.revision")
    positions = [4, 9, 14]
    drag(page, "compare-rho", positions[:1], len(RHO_OPTIONS))  # the thumb pressed and held
    # the press asked for a fresh ladder, which comes while the thumb is held; the drag goes on with it
    page.wait_for_function("() => window.__rmspropLabScrub.ready('rho')", timeout=30_000)
    fresh = page.evaluate("() => window.__rmspropLabScrub.revisions.rho")
    assert fresh != stale
    track = page.evaluate(SLIDER_TRACK, "compare-rho")
    before = len(page.sent)
    move_along(page, track, positions[1:], len(RHO_OPTIONS))
    log = page.evaluate("window.__rmspropScrubLog")
    assert [entry["index"] for entry in log][-2:] == positions[1:] and len(page.sent) == before
    assert {entry["revision"] for entry in log} == {fresh}  # nothing was drawn from the stale ladder
    run = engine_rmsprop(rho=RHO_OPTIONS[positions[-1]], centered=True)
    drawn = page.evaluate(DRAWN_LINE, ["compare_main", "RMSProp"])
    assert len(drawn["x"]) == 1001
    np.testing.assert_allclose(drawn["x"], run.points[:, 0], rtol=0, atol=0.006 / drawn["x_pixels"])
    np.testing.assert_allclose(drawn["y"], run.points[:, 1], rtol=0, atol=0.006 / abs(drawn["y_pixels"]))
    uncentered = engine_rmsprop(rho=RHO_OPTIONS[positions[-1]]).points
    assert np.abs(uncentered - run.points).max() > 100 * 0.006 / min(drawn["x_pixels"], abs(drawn["y_pixels"]))
    page.mouse.up()
    wait_settled(page)
    page.wait_for_function("(rho) => location.search.includes(`rho=${rho}`)", arg=f"{RHO_OPTIONS[positions[-1]]:g}")
    page.close()


def test_a_change_sent_with_a_ladder_request_in_one_message_is_drawn(served_app, browser):
    """Focusing a slider asks for its ladder; a key pressed at once (here, in the same instant) is
    sent by Streamlit in the same message, with the ladder's fragment as the one to rerun. The
    page is then drawn again, so the charts and the URL show the slider's new value."""
    page = open_watched(browser, ROSENBROCK_URL.format(served_app.url))
    sent = len(page.sent)
    page.get_by_role("slider", name="Decay rate").focus()  # asks for the ladder of rho
    page.keyboard.press("ArrowRight")  # 0.9 -> 0.95
    page.wait_for_function("() => location.search.includes('rho=0.95')", timeout=30_000)
    wait_settled(page)
    assert len(page.sent) > sent
    after = plotted_trace(page, "RMSProp")
    np.testing.assert_allclose(np.column_stack([after["x"], after["y"]]), engine_rmsprop(rho=0.95).points, rtol=1e-12)
    page.wait_for_function("() => window.__rmspropLabScrub.ready('rho')", timeout=30_000)
    page.close()
