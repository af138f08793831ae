"""Nothing a user sets is lost, in a real Chromium: runs that stop early keep every widget's value."""

from __future__ import annotations

import urllib.parse

import pytest

from .browser_support import open_page, plotted_trace, wait_settled

pytestmark = pytest.mark.browser


def url_settings(page) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(page.url).query))


def shown_controls(page) -> list:
    """Every slider's shown value and every toggle's and checkbox's state, in page order."""
    sliders = page.get_by_role("slider").evaluate_all(
        "elements => elements.map(e => [e.getAttribute('aria-label'), e.getAttribute('aria-valuetext')])"
    )
    boxes = page.locator("input[type=checkbox]").evaluate_all(
        "elements => elements.map(e => [e.closest('label')?.innerText, e.checked])"
    )
    return sliders + boxes


OPTIMIZERS = ("SGD", "Momentum", "RMSProp", "Adam", "Adagrad")


def every_optimizer_control(page) -> list:
    """Compare shows one optimizer's controls at a time: every optimizer's, picked in turn (RMSProp's
    last, as the page starts), and the controls outside the picker."""
    found = []
    for name in (*OPTIMIZERS[:2], *OPTIMIZERS[3:], "RMSProp"):
        option = page.locator(".st-key-compare-_panel").get_by_role("radio", name=name, exact=True)
        option.click()
        wait_settled(page)
        page.wait_for_function(
            "(option) => option.getAttribute('aria-checked') === 'true'", arg=option.element_handle()
        )
        # the radio shows the pick at once; the panel, once its rerun has drawn it (on a busy machine
        # that rerun may not have begun when wait_settled looks)
        page.wait_for_function(
            "(name) => Array.from(document.querySelectorAll('input[type=checkbox]'))"
            ".some((box) => box.closest('label')?.innerText === `Show ${name}`)",
            arg=name,
        )
        wait_settled(page)
        found.append((name, shown_controls(page)))
    return found


def submit_formula(page, formula: str) -> None:
    box = page.get_by_role("textbox", name="f(x, y) =")
    box.fill(formula)
    box.press("Enter")
    wait_settled(page)


def test_a_formula_typo_then_its_fix_loses_no_setting(served_app, browser):
    """Issue 10, defect 1: the run that stopped on the typo did not draw the optimizer controls, and
    the next runs reset every one of them to its ladder's first value and wrote that into the URL."""
    chosen = {"objective": "custom", "rho": "0.95", "sgd": "0", "adam": "1", "tol": "0.01", "eps": "1e-08"}
    page = open_page(browser, f"{served_app.url}/?{urllib.parse.urlencode(chosen)}", charts=3)
    before_controls, before_url = every_optimizer_control(page), url_settings(page)
    assert {"rho": "0.95", "sgd": "0", "adam": "1"}.items() <= before_url.items()
    assert ["Decay rate ρ (gamma, alpha, decay)", "0.95"] in before_controls[-1][1]
    assert ["Show Adam", True] in before_controls[2][1] and ["Show SGD", False] in before_controls[0][1]

    submit_formula(page, "x^2 + 10*y^2 +")
    assert page.get_by_text("This formula cannot be used").is_visible()

    submit_formula(page, "x^2 + 10*y^2")
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length === 3")
    assert every_optimizer_control(page) == before_controls
    assert url_settings(page) == {**before_url, "formula": "x^2 + 10*y^2"}

    seed = page.get_by_role("spinbutton", name="Noise seed")
    seed.fill("7")
    seed.press("Enter")
    wait_settled(page)
    page.wait_for_function("() => location.search.includes('seed=7')")
    assert every_optimizer_control(page) == before_controls
    assert url_settings(page) == {**before_url, "formula": "x^2 + 10*y^2", "seed": "7"}
    page.close()


def test_the_replay_shows_the_whole_run_after_a_remembered_formula_is_fixed(served_app, browser):
    """Issue 10, defect 2: choosing "your own formula" while the remembered one is invalid, then
    fixing it, left the replay slider at step 0 and every path at its start."""
    page = open_page(browser, f"{served_app.url}/?formula=x%2B", charts=3)
    page.get_by_role("combobox", name="Function").first.click()
    page.get_by_role("option", name="Your own formula").click()
    wait_settled(page)
    assert page.get_by_text("This formula cannot be used").is_visible()

    submit_formula(page, "x^2 + 10*y^2")
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length === 3")
    replay = page.get_by_role("slider", name="Replay: show the paths up to step")
    assert replay.get_attribute("aria-valuetext") == "300"  # the formula's default steps: the whole run
    assert len(plotted_trace(page, "RMSProp")["x"]) == 301
    page.close()


def test_a_visit_to_another_page_and_back_keeps_the_settings(served_app, browser):
    """The menu opens a page without its settings in the URL: the page's own store brings them
    back, and the URL shows them again."""
    page = open_page(browser, f"{served_app.url}/decay?gamma=1&rhos=0.2%2C0.9&steps=120", charts=4)
    assert page.get_by_role("heading", name="Decay-rate explorer: what γ does").is_visible()
    page.get_by_role("link", name="Compare optimizers").click()
    page.wait_for_function("() => location.pathname.endsWith('/compare') || location.pathname === '/'")
    wait_settled(page)
    assert "gamma" not in url_settings(page)
    page.get_by_role("link", name="Decay-rate explorer").click()
    page.wait_for_function("() => location.search.includes('gamma=1')")
    wait_settled(page)
    assert url_settings(page) == {"gamma": "1", "rhos": "0.2,0.9", "steps": "120"}
    assert page.get_by_role("heading", name="Decay-rate explorer: what γ does").is_visible()
    page.close()


def test_a_settings_file_loads_over_a_shorter_replay(served_app, browser, tmp_path):
    """Issue 11: a file the app accepts, ``{"upto": -1}`` (the whole run of the default 500 steps),
    crashed Compare when loaded over a 120-step view: the upload reran only the fragment, whose
    replay slider still allowed the 120 steps of the last full run."""
    page = open_page(browser, f"{served_app.url}/?objective=ellipse&steps=120&upto=60", charts=3)
    page.get_by_text("Save or load these settings").click()
    whole_run = tmp_path / "whole-run.json"
    whole_run.write_text('{"app": "rmsprop-lab", "version": 1, "page": "compare", "settings": {"upto": -1}}')
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(whole_run))
    crashed = page.locator("[data-testid=stException]")
    page.get_by_text("Loaded the settings from").or_(crashed).first.wait_for(timeout=30_000)
    wait_settled(page)
    assert crashed.count() == 0, crashed.first.inner_text()
    page.wait_for_function("() => location.search === ''")  # every setting is its default
    replay = page.get_by_role("slider", name="Replay: show the paths up to step")
    assert replay.get_attribute("aria-valuetext") == "500"
    assert len(plotted_trace(page, "RMSProp")["x"]) == 501
    page.close()
