"""bench/compare_elements_app.py, the floor under Compare's server CPU in bench_ui.py, is a floor
of that page only while it shows what the page's optimizer lab shows: the same controls, the same
three charts whole, the same caption and results table."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from .apptest_helpers import charts, fresh_app, table
from .conftest import ROOT

#: the lab's controls with RMSProp's picked (the page's default): kind -> the settings they show
LAB_CONTROLS = {
    "select_slider": ("rms_lr", "rho", "eps", "rms_mu"),
    "toggle": ("rms",),
    "checkbox": ("eps_in_sqrt", "centered"),
}


def shown(at: AppTest) -> dict:
    """What a learner sees of the lab, keyed by setting, the page's keys without ``compare.``."""
    controls = {}
    for kind, names in LAB_CONTROLS.items():
        for element in getattr(at, kind):
            name = element.key.removeprefix("compare.")
            if name in names:
                controls[name] = (element.label, element.value, getattr(element, "options", None))
    step_caption = [caption.value for caption in at.caption if caption.value.startswith("RMSProp divides α")]
    return {
        "controls": controls,
        "charts": [comparable(chart) for chart in charts(at)],
        "caption": step_caption,
        "table": table(at),
    }


def comparable(chart: dict) -> dict:
    """A chart's payload whole, but for its ladders' revisions: digests of the page's settings, of
    which only whether each slider has one (its optimizer is on) must agree."""
    revisions = chart.get("scrubRevisions", {})
    return {**chart, "scrubRevisions": {name: digest is not None for name, digest in revisions.items()}}


def test_the_elements_app_shows_what_the_compare_lab_shows_before_and_after_a_rho_move():
    page = fresh_app({"objective": "rosenbrock", "steps": "1000"})
    elements = AppTest.from_file(str(ROOT / "bench" / "compare_elements_app.py"), default_timeout=60).run()
    assert not elements.exception, elements.exception
    before = shown(page)
    assert set(before["controls"]) == {name for names in LAB_CONTROLS.values() for name in names}
    assert len(before["charts"]) == 3 and before["caption"]
    assert shown(elements) == before
    assert elements.button_group(key="panel").options == page.button_group(key="compare._panel").options

    page.select_slider(key="compare.rho").set_value(0.95).run()
    elements.select_slider(key="rho").set_value(0.95).run()
    after = shown(page)
    assert after["charts"] != before["charts"]
    assert shown(elements) == after
