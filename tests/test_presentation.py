"""Presentation mode through AppTest: a setting of every page, kept by links and by the menu."""

from __future__ import annotations

from rmsprop_lab.schemas import PAGE_SCHEMAS

from .apptest_helpers import charts, fresh_app, visit


def test_every_page_declares_it():
    assert all(schema.by_key()["present"].default is False for schema in PAGE_SCHEMAS.values())


def test_a_link_turns_it_on_and_the_menu_keeps_it_on_every_page():
    at = fresh_app({"present": "1", "objective": "ellipse"})
    assert at.toggle(key="compare.present").value
    assert charts(at)[0]["layout"]["font"]["size"] > 13
    for page in ("sweep", "conventions", "lesson", "anatomy", "decay", "mission"):
        at = visit(at, f"pages/{page}.py")  # the menu: the URL has no settings
        assert not at.exception, at.exception
        assert at.toggle(key=f"{page}.present").value, page
        assert dict(at.query_params) == {"present": "1"}, page
        assert all(chart["layout"]["font"]["size"] > 13 for chart in charts(at)), page
    at.toggle(key="mission.present").set_value(False).run()
    assert "present" not in at.query_params
    at = visit(at, "pages/compare.py")
    assert not at.toggle(key="compare.present").value  # turned off on another page: off here too
    assert charts(at)[0]["layout"]["font"]["size"] == 13


def test_a_bad_flag_gets_a_notice_and_the_scenario_stays_the_same():
    at = fresh_app({"present": "please"})
    assert not at.exception
    assert any("`present` is not true or false" in warning.value for warning in at.warning)
    assert not at.toggle(key="compare.present").value
    at.toggle(key="compare.present").set_value(True).run()
    # the landing scenario's question is still asked: how the view is shown changes no setting of it
    assert not any("no longer apply" in caption.value for caption in at.caption)
    assert any("Predict first" in info.value for info in at.info)
