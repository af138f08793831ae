"""Presentation mode in a real Chromium, at a projector's sizes: what the class sees and the keys
the teacher presses."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from rmsprop_core import RMSProp, get_objective, optimize

from .browser_support import (
    ARTIFACTS,
    PAGES_WITH_CHARTS,
    PHONE,
    PROJECTOR,
    PROJECTOR_4_3,
    open_page,
    plotted_trace,
    save_screenshots,
    wait_settled,
)

pytestmark = pytest.mark.browser
ELLIPSE = "{}/?objective=ellipse"

DRAWN = """() => {
    const plot = document.querySelector('.js-plotly-plot');
    const line = plot.querySelector('.scatterlayer .trace path.js-line');
    return {
        height: plot.getBoundingClientRect().height,
        tick: parseFloat(getComputedStyle(plot.querySelector('.xtick text')).fontSize),
        line: parseFloat(line.style.strokeWidth),
        text: parseFloat(getComputedStyle(document.querySelector('[data-testid=stCaptionContainer], p')).fontSize),
        sidebar: document.querySelector('[data-testid=stSidebar]').getBoundingClientRect().right,
    };
}"""


@pytest.mark.parametrize("viewport", [PROJECTOR, PROJECTOR_4_3], ids=["1280x720", "1024x768"])
def test_a_presentation_link_draws_for_a_projector(served_app, browser, viewport):
    """?present=1: the sidebar is out of the way, the text and the chart's labels are larger, the
    paths thicker, and the main chart is as tall as the screen less the header and playback bar;
    the same page without it is drawn as before."""
    normal = open_page(browser, ELLIPSE.format(served_app.url), viewport, charts=3)
    before = normal.evaluate(DRAWN)
    normal.close()
    page = open_page(browser, ELLIPSE.format(served_app.url) + "&present=1", viewport, charts=3)
    # the presentation's style sheet is an element of the run, and can reach the page after the charts
    page.wait_for_function("() => getComputedStyle(document.documentElement).fontSize === '20px'")
    after = page.evaluate(DRAWN)
    assert after["sidebar"] <= 0 < before["sidebar"]  # collapsed: off the screen's left edge
    assert after["tick"] >= 1.4 * before["tick"] and after["tick"] >= 18
    assert after["line"] >= 2 * before["line"]
    assert after["text"] > before["text"]
    assert before["height"] == 560
    assert after["height"] == viewport["height"] - 120
    # the whole main chart is on the screen, though the title, scenario and formula come first
    box = page.evaluate(
        """() => { const r = document.querySelector('.live-chart').getBoundingClientRect();
                   return [r.top, r.bottom, window.innerHeight]; }"""
    )
    assert box[0] >= 0 and box[1] <= box[2] + 1, box
    play = page.get_by_role("button", name="Play").first.bounding_box()
    assert play["y"] >= 0 and play["y"] + play["height"] <= box[2], play  # its playback bar too
    assert page.get_by_role("switch", name="Presentation mode").is_checked()
    # the numbers drawn are the engine's, whatever the style
    drawn = plotted_trace(page, "RMSProp")
    expected = optimize(RMSProp(lr=0.05), get_objective("ellipse"), (-5.0, 2.0), 200).points
    np.testing.assert_allclose(np.column_stack([drawn["x"], drawn["y"]]), expected, rtol=1e-12)
    page.close()


def test_keys_play_pause_step_and_show_full_screen(served_app, browser):
    page = open_page(browser, ELLIPSE.format(served_app.url) + "&present=1", PROJECTOR, charts=3)
    readout = page.locator("[data-testid=playbackStep]")

    def rms_length() -> int:
        return len(plotted_trace(page, "RMSProp")["x"])

    page.keyboard.press("ArrowLeft")  # from the whole run: one step back
    assert readout.text_content() == "step 199 / 200" and rms_length() == 200
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowRight")
    assert readout.text_content() == "step 199 / 200"
    page.keyboard.press("Space")  # plays on from step 199
    page.wait_for_function("document.querySelector('[data-testid=playbackStep]').textContent === 'step 200 / 200'")
    assert rms_length() == 201
    page.keyboard.press("ArrowRight")  # after the end: starts over at step 1
    assert readout.text_content() == "step 1 / 200" and rms_length() == 2
    page.keyboard.press("Space")
    page.get_by_role("button", name="Pause").wait_for()
    page.wait_for_function("document.querySelector('[data-testid=playbackStep]').textContent !== 'step 1 / 200'")
    page.keyboard.press("Space")
    page.get_by_role("button", name="Play").wait_for()
    paused = readout.text_content()
    page.wait_for_timeout(300)
    assert readout.text_content() == paused != "step 200 / 200"  # it moved, then stopped before the end

    page.keyboard.press("f")
    page.wait_for_function("document.fullscreenElement === document.querySelector('.js-plotly-plot')")
    page.wait_for_function("document.querySelector('.js-plotly-plot')._fullLayout.height === innerHeight")
    page.wait_for_function(DRAWN_AGAIN)
    # drawn anew at the screen's size, the paused paths still end at the step the readout shows
    assert readout.text_content() == paused and rms_length() == int(paused.split()[1]) + 1
    page.keyboard.press("f")
    page.wait_for_function("document.fullscreenElement === null")
    page.wait_for_function("document.querySelector('.js-plotly-plot')._fullLayout.height < innerHeight")  # drawn back
    page.wait_for_function(DRAWN_AGAIN)
    assert readout.text_content() == paused and rms_length() == int(paused.split()[1]) + 1
    page.close()


#: the main chart has drawn its last figure (a redraw sets data-drawing until it is drawn)
DRAWN_AGAIN = "() => !('drawing' in document.querySelector('.live-chart').dataset)"


def test_full_screen_while_the_paths_grow_plays_on_from_the_same_step(served_app, browser):
    """F redraws the chart at the screen's size: the playback stopped, its readout went blank and
    the paths were drawn whole, in front of the class. It now plays on from the step it was at."""
    page = open_page(browser, ELLIPSE.format(served_app.url) + "&present=1", PROJECTOR, charts=3)
    readout = page.locator("[data-testid=playbackStep]")
    page.evaluate(
        """() => {
            window.__readouts = [];
            const readout = document.querySelector('[data-testid=playbackStep]');
            new MutationObserver(() => window.__readouts.push(readout.textContent))
                .observe(readout, {childList: true, characterData: true, subtree: true});
        }"""
    )
    page.keyboard.press("Space")  # ▶ from the start
    page.wait_for_function("() => window.__readouts.length > 10")
    page.keyboard.press("f")
    page.wait_for_function("document.fullscreenElement === document.querySelector('.js-plotly-plot')")
    page.wait_for_function(DRAWN_AGAIN)
    in_full_screen = len(page.evaluate("() => window.__readouts"))
    page.wait_for_function(f"() => window.__readouts.length > {in_full_screen + 10}")  # playing on
    page.keyboard.press("Space")
    page.get_by_role("button", name="Play").wait_for()
    readouts = page.evaluate("() => window.__readouts")
    steps = [int(text.split()[1]) for text in readouts if text]
    assert len(steps) == len(readouts), readouts  # never blank
    assert steps == sorted(steps) and steps[-1] < 200, readouts  # on from the same step, not from 0, not whole
    assert len(plotted_trace(page, "RMSProp")["x"]) == int(readout.text_content().split()[1]) + 1
    page.close()


def test_keys_belong_to_the_focused_control_and_do_nothing_outside_presentation_mode(served_app, browser):
    page = open_page(browser, ELLIPSE.format(served_app.url), PROJECTOR, charts=3)
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Space")
    assert page.locator("[data-testid=playbackStep]").text_content() == ""
    page.close()

    page = open_page(browser, ELLIPSE.format(served_app.url) + "&present=1", PROJECTOR, charts=3)
    page.get_by_role("slider", name="Replay").focus()
    page.keyboard.press("ArrowLeft")  # the replay slider's own key: a rerun to step 199
    wait_settled(page)
    page.wait_for_function("() => location.search.includes('upto=199')")
    assert page.locator("[data-testid=playbackStep]").text_content() == ""
    page.close()


def test_the_switch_turns_it_on_and_the_menu_keeps_it(served_app, browser):
    page = open_page(browser, ELLIPSE.format(served_app.url), PROJECTOR_4_3, charts=3)
    page.get_by_text("Presentation mode (projector)").click()
    wait_settled(page)
    page.wait_for_function("() => location.search.includes('present=1')")
    assert page.evaluate(DRAWN)["height"] == PROJECTOR_4_3["height"] - 120
    page.keyboard.press("ArrowLeft")  # the switch's focus went with the sidebar: Space and arrows are the chart's
    assert page.locator("[data-testid=playbackStep]").text_content() == "step 199 / 200"
    page.locator("[data-testid=stExpandSidebarButton]").click()
    page.get_by_role("link", name="Decay-rate explorer").click()
    page.wait_for_function("() => location.pathname.endsWith('/decay') && location.search.includes('present=1')")
    wait_settled(page)
    assert page.get_by_role("switch", name="Presentation mode").is_checked()
    assert page.evaluate(DRAWN)["tick"] >= 18
    page.close()


PAGES = [
    (path, name, heading, charts, "&objective=ellipse" if name == "compare" else "")
    for name, path, heading, charts in PAGES_WITH_CHARTS
]


@pytest.mark.parametrize(("path", "name", "heading", "charts", "more"), PAGES, ids=[page[1] for page in PAGES])
def test_screenshots_in_presentation_mode(served_app, browser, path, name, heading, charts, more):
    """Every page with a chart, presented at both projector sizes and on a phone, and the main chart
    scrolled into view as the class sees it."""
    url = f"{served_app.url}/{path}?present=1{more}"
    sizes = (("projector", PROJECTOR), ("projector-4x3", PROJECTOR_4_3), ("phone", PHONE))
    saved = save_screenshots(browser, url, f"{name}-present", heading, charts, sizes=sizes)
    assert [shot.name for shot in saved] == [f"{name}-present-{label}.png" for label, _ in sizes]
    page = open_page(browser, url, PROJECTOR, charts)
    page.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / f"{name}-present-chart.png"))
    box = page.locator(".js-plotly-plot").first.bounding_box()
    assert box["height"] <= PROJECTOR["height"]  # the whole chart fits on the screen
    page.close()


@pytest.mark.parametrize("viewport", [PROJECTOR, PROJECTOR_4_3], ids=["1280x720", "1024x768"])
def test_a_projected_mission_shows_the_map_and_every_flight_computer_at_once(served_app, browser, viewport):
    """The class sees the map and the five sliders the teacher moves, labels and values, on one
    screen: beside the map, since above it they were scrolled off by the map taking the height."""
    page = open_page(browser, f"{served_app.url}/mission?present=1", viewport, charts=1)
    page.wait_for_function(
        """() => { const chart = document.querySelector('.live-chart');
                   return chart && chart.__broughtToTop && chart.getBoundingClientRect().bottom <= innerHeight + 1; }"""
    )
    page.wait_for_timeout(300)
    on_screen = """(element) => { const box = element.getBoundingClientRect();
                                 return box.top >= 0 && box.bottom <= innerHeight + 1 && box.right <= innerWidth; }"""
    assert page.locator(".live-chart").first.evaluate(on_screen)
    for label in ("SGD α", "Momentum α", "Momentum μ", "RMSProp α", "RMSProp ρ"):
        slider = page.get_by_role("slider", name=label)
        assert slider.evaluate(on_screen), label
        assert page.get_by_text(label, exact=True).evaluate(on_screen), label
    assert page.get_by_role("slider", name="RMSProp ρ").get_attribute("aria-valuetext") == "0.9"
    # the colour bar is beside the map, not over it
    bar, plot = page.evaluate(
        """() => { const chart = document.querySelector('.live-chart');
                   const box = (selector) => chart.querySelector(selector).getBoundingClientRect();
                   return [box('.colorbar').left, box('.nsewdrag').right]; }"""
    )
    assert bar >= plot - 1, (bar, plot)
    page.close()


@pytest.mark.parametrize(
    ("path", "charts", "sliders", "buttons"),
    [
        ("sweep", 1, (("ε (fixed)", "1e-06"), ("Tolerance (f − f* ≤ tol)", "0.001")), ()),
        (
            "decay",
            4,
            (("Learning rate α", "0.05"), ("Epsilon ε", "1e-06"), ("Tolerance (f − f* ≤ tol)", "0.001")),
            (),
        ),
        ("anatomy", 1, (("Update number", "1"),), ("◀ Back", "Next ▶", "Reset")),
    ],
)
def test_a_projected_page_keeps_its_controls_row_on_the_screen_with_the_chart(
    served_app, browser, path, charts, sliders, buttons
):
    """The Sweep's map, the Decay explorer's paths and the update's arrows leave the room of the
    controls' row above them (presentation.CONTROLS_ROW_PX): the class sees what the teacher moves,
    label and value, with the whole chart (the anatomy's Back / Next / Reset were under the header)."""
    page = open_page(browser, f"{served_app.url}/{path}?present=1", PROJECTOR, charts=charts)
    page.wait_for_function(
        """() => { const chart = document.querySelector('.live-chart');
                   return chart && chart.__broughtToTop && chart.getBoundingClientRect().bottom <= innerHeight + 1; }"""
    )
    page.wait_for_timeout(300)
    assert page.evaluate("() => document.querySelector('.live-chart')._fullLayout.height") == 720 - 120 - 100
    on_screen = """(element) => { const box = element.getBoundingClientRect();
                                 return box.top >= 60 && box.bottom <= innerHeight + 1; }"""  # below the header
    assert page.locator(".live-chart").first.evaluate(on_screen)
    for label, value in sliders:
        assert page.get_by_text(label, exact=True).evaluate(on_screen), label
        slider = page.get_by_role("slider", name=label)
        assert slider.evaluate(on_screen) and slider.get_attribute("aria-valuetext") == value, label
    for name in buttons:
        assert page.get_by_role("button", name=name, exact=True).evaluate(on_screen), name
    page.close()


def open_mission_recording_frames(served_app, browser):
    """The projected mission, with window.__shown listing the name of every frame plotly shows, once
    the page has stopped growing: the content below the map, drawn last, adds a scrollbar, and the
    map's redraw at its narrower width (a chart that fitted its legend's room draws again) would
    show a flight's frame twice."""
    page = open_page(browser, f"{served_app.url}/mission?present=1", PROJECTOR, charts=1)
    page.wait_for_function(
        """() => new Promise((done) => {
            const main = document.querySelector('[data-testid=stMainBlockContainer]');
            const chart = document.querySelector('.js-plotly-plot');
            const size = () => `${main.scrollHeight} ${chart.clientWidth}`;
            const before = size();
            setTimeout(() => done(size() === before), 600);
        })""",
        polling=100,
    )
    page.evaluate(
        f"""() => {{
            window.__shown = [];
            window.__shipsBeforeFrame = [];
            const chart = document.querySelector('.js-plotly-plot');
            chart.on('plotly_animatingframe', (e) => {{
                window.__shown.push(Number(e.name));
                window.__shipsBeforeFrame.push(({SHIPS_DRAWN})());
            }});
        }}"""
    )
    return page


#: where the map draws each ship, in data coordinates read back from its marker's place on the screen
SHIPS_DRAWN = """() => {
    const chart = document.querySelector('.js-plotly-plot'), layout = chart._fullLayout;
    return Array.from(chart.querySelectorAll('.scatterlayer .trace'))
        .filter((group) => group.__data__?.[0]?.trace?.name?.endsWith(' ship'))
        .map((group) => {
            const [x, y] = group.querySelector('path.point').getAttribute('transform').match(/-?[\\d.]+/g).map(Number);
            return [layout.xaxis.p2l(x), layout.yaxis.p2l(y)];
        });
}"""
#: the ships' places in the frame plotly last showed, from the figure the chart was given
SHIPS_IN_FRAME_ON_SCREEN = """() => {
    const chart = document.querySelector('.live-chart');
    const frame = chart.__figure.frames.find((candidate) => candidate.name === chart._fullLayout._currentFrame);
    return frame.data.map((ship) => [ship.x[0], ship.y[0]]);
}"""
ONE_PIXEL = "() => { const x = document.querySelector('.live-chart')._fullLayout.xaxis; return x.p2l(1) - x.p2l(0); }"
SHIPS_AT_START = """() => document.querySelector('.live-chart').__figure.data
    .filter((trace) => trace.name?.endsWith(' ship')).map((ship) => [ship.x[0], ship.y[0]])"""


def flight_control(page, how: str, play: bool) -> None:
    """Space, or the chart's own ▶ Fly / ❚❚."""
    if how == "Space":
        page.keyboard.press("Space")
    else:
        page.locator(".updatemenu-button", has_text="Fly" if play else "❚❚").click()


def frames_after_a_stop(page) -> list[int]:
    """The frames shown until 300 ms after a stop, checking that no more come in the 500 ms after."""
    page.wait_for_timeout(300)
    shown = page.evaluate("() => window.__shown")
    page.wait_for_timeout(500)
    assert page.evaluate("() => window.__shown") == shown  # stopped
    return shown


def test_space_flies_the_mission_ships_and_stops_them(served_app, browser):
    page = open_mission_recording_frames(served_app, browser)
    page.keyboard.press("Space")
    page.wait_for_function("() => window.__shown.length > 3")
    page.keyboard.press("Space")  # ❚❚
    assert len(frames_after_a_stop(page)) < 60  # paused before the last frame
    page.close()


@pytest.mark.parametrize(
    ("start", "stop"), [("Space", "Space"), ("button", "button"), ("button", "Space"), ("Space", "button")]
)
def test_full_screen_in_mid_flight_flies_on_and_pause_still_stops_the_ships(served_app, browser, start, stop):
    """F redraws the chart while the ships fly: the flight went on outliving the redraw, and neither
    Space nor the chart's ❚❚ could stop it any more. Now the ships fly on from where they were, and
    either stops them, however the flight began."""
    page = open_mission_recording_frames(served_app, browser)
    flight_control(page, start, play=True)
    page.wait_for_function("() => window.__shown.length > 3")
    page.keyboard.press("f")
    page.wait_for_function("() => document.fullscreenElement !== null")
    before = page.evaluate("() => window.__shown.length")
    page.wait_for_function(f"() => window.__shown.length > {before + 2}")  # flying on, full screen
    flight_control(page, stop, play=False)
    shown = frames_after_a_stop(page)
    assert shown == sorted(shown) and len(set(shown)) == len(shown)  # on from the same frame, not from 0
    # and drawn there: the redraw put no ship back at its start, even for the moment until the next frame
    start = np.array(page.evaluate(SHIPS_AT_START))
    drawn = np.array(page.evaluate("() => window.__shipsBeforeFrame"))  # frames x ships x (x, y)
    left = np.linalg.norm(drawn - start, axis=2) > 0.5
    assert left[-1].all()  # every ship is on its way by the stop
    for ship in range(left.shape[1]):
        assert left[left[:, ship].argmax() :, ship].all(), (shown, drawn[:, ship].round(2).tolist())
    page.close()


def pause_a_flight(page) -> tuple[int, np.ndarray]:
    """Fly the ships some way and stop them: the frame they stopped at, and where they are drawn."""
    page.keyboard.press("Space")
    page.wait_for_function("() => window.__shown.length > 6")
    page.keyboard.press("Space")  # ❚❚
    stopped_at = frames_after_a_stop(page)[-1]
    paused = np.array(page.evaluate(SHIPS_DRAWN))
    assert np.linalg.norm(paused - page.evaluate(SHIPS_AT_START), axis=1).max() > 1  # flown some way
    return stopped_at, paused


def test_a_paused_flight_stays_where_it_stopped_in_full_screen_and_flies_on_from_there(served_app, browser):
    """F redraws the map from the figure, whose own data put every ship at its start: a teacher who
    paused a flight to talk about it saw the ships jump back to the start in full screen. They stay
    where the flight stopped them, and ▶ Fly goes on from there."""
    page = open_mission_recording_frames(served_app, browser)
    stopped_at, paused = pause_a_flight(page)
    page.keyboard.press("f")
    page.wait_for_function("() => document.fullscreenElement !== null")
    wait_settled(page)
    page.wait_for_function(DRAWN_AGAIN)
    in_full_screen = np.array(page.evaluate(SHIPS_DRAWN))
    pixel = page.evaluate(ONE_PIXEL)
    assert np.allclose(in_full_screen, page.evaluate(SHIPS_IN_FRAME_ON_SCREEN), atol=2 * pixel)
    assert np.allclose(in_full_screen, paused, atol=2 * pixel)  # the map is larger; the ships' places are the same
    page.keyboard.press("Space")  # ▶ Fly, on from the frame where they stopped
    page.wait_for_function(f"() => window.__shown.length > {len(page.evaluate('() => window.__shown')) + 2}")
    page.keyboard.press("Space")
    shown = frames_after_a_stop(page)
    resumed = shown[shown.index(stopped_at) + 1 :]
    assert resumed and resumed[0] > stopped_at and resumed == sorted(resumed), shown
    page.close()


def test_a_paused_flight_keeps_its_place_when_a_phone_turns_and_a_new_setting_flies_anew(served_app, browser):
    """A window crossing a phone's width draws the map's other layout afresh (a purge, which loses
    plotly's frame on screen): the ships stay where they stopped. A changed setting is a new flight:
    its ships wait at the start."""
    page = open_mission_recording_frames(served_app, browser)
    _, paused = pause_a_flight(page)
    start = np.array(page.evaluate(SHIPS_AT_START))
    page.set_viewport_size(PHONE)
    page.wait_for_function("() => document.querySelector('.live-chart').clientWidth < 480")
    page.wait_for_timeout(300)  # the resize observer's redraw
    page.wait_for_function(DRAWN_AGAIN)
    assert np.allclose(page.evaluate(SHIPS_DRAWN), paused, atol=2 * page.evaluate(ONE_PIXEL))
    assert np.allclose(page.evaluate(SHIPS_IN_FRAME_ON_SCREEN), paused, atol=2 * page.evaluate(ONE_PIXEL))

    page.set_viewport_size(PROJECTOR)
    page.wait_for_function("() => document.querySelector('.live-chart').clientWidth >= 480")
    page.get_by_role("slider", name="RMSProp ρ").focus()
    page.keyboard.press("ArrowRight")  # a rerun with another flight
    wait_settled(page)
    page.wait_for_function(DRAWN_AGAIN)
    assert np.allclose(page.evaluate(SHIPS_DRAWN), start, atol=2 * page.evaluate(ONE_PIXEL))
    assert page.evaluate("() => document.querySelector('.live-chart')._fullLayout._currentFrame") is None
    page.close()


def test_a_second_fly_in_mid_flight_does_not_fly_the_rest_twice(served_app, browser):
    """▶ Fly clicked again while the ships fly used to queue the rest of the flight a second time:
    the ships flew it again after landing, while Space took them for landed. Now they land once."""
    page = open_mission_recording_frames(served_app, browser)
    last = page.evaluate("() => Number(document.querySelector('.live-chart').__figure.frames.at(-1).name)")
    flight_control(page, "button", play=True)
    page.wait_for_function("() => window.__shown.length > 3")
    flight_control(page, "button", play=True)
    page.wait_for_function(f"() => window.__shown.includes({last})", timeout=30_000)  # landed
    shown = frames_after_a_stop(page)
    assert shown == sorted(shown) and len(set(shown)) == len(shown)  # one flight, never a frame twice
    page.close()


def test_after_the_ships_land_space_flies_them_again(served_app, browser):
    """A flight that reached its last frame is over: the next Space starts a new one (rather than
    pausing a flight that has ended), and the Space after that stops it."""
    page = open_mission_recording_frames(served_app, browser)
    first, last = page.evaluate(
        "() => { const frames = document.querySelector('.live-chart').__figure.frames;"
        " return [Number(frames[0].name), Number(frames.at(-1).name)]; }"
    )
    page.keyboard.press("Space")
    page.wait_for_function(f"() => window.__shown.at(-1) === {last}", timeout=30_000)  # landed
    page.wait_for_timeout(200)
    landed = page.evaluate("() => window.__shown.length")
    page.keyboard.press("Space")
    page.wait_for_function(f"() => window.__shown.length > {landed + 3}")
    page.keyboard.press("Space")
    shown = frames_after_a_stop(page)
    assert shown[landed] == first and last not in shown[landed:]  # flown again from the start, and stopped
    page.close()


def test_in_the_3d_view_the_loss_chart_is_not_taken_for_the_main_chart(served_app, browser):
    """The 3-D surface (st.plotly_chart) is the page's first chart: the loss chart below it keeps
    its own height, and F does not put it full screen."""
    url = ELLIPSE.format(served_app.url) + "&present=1&view=3-D+surface"
    page = open_page(browser, url, PROJECTOR, charts=3)
    heights = page.evaluate(
        "() => Array.from(document.querySelectorAll('.live-chart'), chart => chart._fullLayout.height)"
    )
    assert heights == [400, 400]  # the loss and step-size charts, projected (320 × 1.25), not 600
    page.keyboard.press("f")
    page.wait_for_timeout(300)
    assert page.evaluate("() => document.fullscreenElement") is None
    page.close()


COLOUR_BAR_LABELS = """() => Array.from(document.querySelectorAll('.js-plotly-plot .colorbar .cbaxis text'))
    .filter((label) => label.closest('.js-plotly-plot') === document.querySelector('.js-plotly-plot'))
    .map((label) => { const box = label.getBoundingClientRect(); return [label.textContent, box.left, box.right]; })
    .sort((a, b) => a[1] - b[1])"""


@pytest.mark.parametrize("objective", ["rosenbrock", "beale", "ellipse", "valley"])
def test_the_colour_bar_labels_never_touch_on_a_projector(served_app, browser, objective):
    """Presentation mode's larger labels on a 1280-pixel screen: the surface's lowest value
    ("2.53e-05") and the next decade were drawn into each other; a label that would touch its
    neighbour is left out, and the bar still starts at the lowest value."""
    page = open_page(browser, f"{served_app.url}/?objective={objective}&present=1", PROJECTOR, charts=3)
    labels = page.evaluate(COLOUR_BAR_LABELS)
    assert len(labels) >= 4, labels
    gaps = [right[1] - left[2] for left, right in itertools.pairwise(labels)]
    assert min(gaps) >= 4, labels  # pixels of white between every two neighbours
    assert float(labels[0][0]) < 0.1 <= float(labels[1][0])  # the lowest value of f, then the decades
    page.close()


MAP_AND_BAR = """() => { const chart = document.querySelector('.live-chart');
    const box = (selector) => chart.querySelector(selector).getBoundingClientRect();
    const [plot, bar] = [box('.nsewdrag'), box('.colorbar')];
    return {plotWidth: plot.width, plotRight: plot.right, plotBottom: plot.bottom,
            barLeft: bar.left, barTop: bar.top}; }"""


def test_a_projected_mission_on_a_phone_keeps_the_colour_bar_under_the_map(served_app, browser):
    """A presentation link opened on a phone: the colour bar beside the map (a projector's layout)
    left the square map a third of the screen wide; under a narrow chart it goes under the map,
    and the page switches layouts when the window crosses the width."""
    page = open_page(browser, f"{served_app.url}/mission?present=1", PHONE, charts=1)
    drawn = page.evaluate(MAP_AND_BAR)
    assert drawn["barTop"] >= drawn["plotBottom"] and drawn["plotWidth"] >= 0.6 * PHONE["width"], drawn
    labels = page.evaluate(COLOUR_BAR_LABELS)  # at most three, in the larger font, apart
    assert 2 <= len(labels) <= 3 and all(right[1] - left[2] >= 4 for left, right in itertools.pairwise(labels)), labels
    page.set_viewport_size(PROJECTOR)
    page.wait_for_function(f"() => {{ const drawn = ({MAP_AND_BAR})(); return drawn.barLeft >= drawn.plotRight - 1; }}")
    drawn = page.evaluate(MAP_AND_BAR)
    assert drawn["barLeft"] >= drawn["plotRight"] - 1, drawn  # beside it again on the wide screen
    assert drawn["plotWidth"] >= 300, drawn  # the map drawn afresh for its new width
    # the flights' dots came back with the new drawing, and follow its next redraws
    dotted = "() => document.querySelectorAll('.live-chart path.js-line[marker-mid]').length"
    assert page.evaluate(dotted) == 3
    page.evaluate("() => Plotly.relayout(document.querySelector('.live-chart'), {'xaxis.range': [-3, 3]})")
    assert page.evaluate(dotted) == 3
    page.close()


def test_a_projected_anatomy_map_has_its_colour_bar_beside_it_and_under_it_on_a_phone(served_app, browser):
    """On a projector the bar under the equal-scale map took the height the map is sized by: the map
    was 214 pixels square in a 540-pixel-wide chart. Beside it, as on the mission's map, the map gets
    that height back. A phone (a shared presentation link) keeps the bar under the map, with at most
    three labels: the wide bar's "20 40 60 80" were drawn into each other there."""
    page = open_page(browser, f"{served_app.url}/anatomy?present=1", PROJECTOR, charts=1)
    drawn = page.evaluate(MAP_AND_BAR)
    assert drawn["barLeft"] >= drawn["plotRight"] - 1 and drawn["plotWidth"] >= 280, drawn
    page.set_viewport_size(PHONE)
    page.wait_for_function(f"() => {{ const drawn = ({MAP_AND_BAR})(); return drawn.barTop >= drawn.plotBottom; }}")
    labels = page.evaluate(COLOUR_BAR_LABELS)
    assert 2 <= len(labels) <= 3 and all(right[1] - left[2] >= 4 for left, right in itertools.pairwise(labels)), labels
    page.close()


LEGEND_ROOM = """() => { const chart = document.querySelector('.live-chart');
    const box = (selector) => chart.querySelector(selector).getBoundingClientRect();
    return {top: box('svg.main-svg').top, legendTop: box('.legend').top, legendBottom: box('.legend').bottom,
            plotTop: box('.nsewdrag').top, margin: chart._fullLayout.margin.t,
            modeBarBottom: box('.modebar').bottom}; }"""


@pytest.mark.parametrize(("viewport", "fitted"), [(PROJECTOR, True), (PHONE, False)], ids=["1280x720", "phone"])
def test_a_projected_chart_gives_its_legends_empty_rows_to_the_plot(served_app, browser, viewport, fitted):
    """The fixed top margin leaves room for a legend wrapped onto three rows (a phone); on a
    projector the Decay explorer's legend takes one, and the other rows' room goes to the paths.
    A press draws the next figure with the same room; on a phone the legend keeps its rows and the
    margin grows to keep them clear of plotly's mode bar."""
    page = open_page(browser, f"{served_app.url}/decay?present=1", viewport, charts=4)
    page.wait_for_timeout(300)
    drawn = page.evaluate(LEGEND_ROOM)
    assert drawn["legendBottom"] <= drawn["plotTop"] + 1, drawn  # never over the plot
    if fitted:
        assert drawn["legendTop"] - drawn["top"] <= 20 and drawn["margin"] < 124 - 60, drawn
        page.get_by_role("slider", name="Learning rate α").focus()
        page.keyboard.press("ArrowLeft")
        wait_settled(page)
        page.wait_for_function("() => location.search.includes('lr=')")
        page.wait_for_timeout(300)
        assert page.evaluate(LEGEND_ROOM) == drawn
    else:  # three rows of legend, under the mode bar that a tap shows (it covered the first row)
        assert drawn["margin"] > 124 and drawn["legendTop"] >= drawn["modeBarBottom"], drawn
    page.close()


@pytest.mark.parametrize("path", ["anatomy", "mission", "lesson"])
def test_a_presentation_link_on_a_phone_shows_every_legend_row(served_app, browser, path):
    """A shared presentation link opened on a phone: at the projected font the anatomy's legend
    wraps onto four rows, one more than its margin held, and "RMSProp" was cut off above the chart."""
    page = open_page(browser, f"{served_app.url}/{path}?present=1", PHONE, charts=1)
    page.wait_for_timeout(300)
    drawn = page.evaluate(LEGEND_ROOM)
    assert drawn["legendTop"] >= drawn["top"], drawn  # the first row inside the chart
    assert drawn["legendBottom"] <= drawn["plotTop"] + 1, drawn  # and the last above the plot
    page.close()
