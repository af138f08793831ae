"""Every page's settings through AppTest: the URL round-trips, corrections are written back, and
no run that ends early (an error, a visit to another page) loses a value."""

from __future__ import annotations

import numpy as np
import pytest

from rmsprop_lab.schemas import PAGE_SCHEMAS

from .apptest_helpers import charts, fresh_app, path_points, visit

#: a view of each page with non-default values, as a copied link carries it
PAGE_QUERIES = {
    "compare": {
        "objective": "ellipse",
        "x0": "-2.5",
        "steps": "120",
        "rho": "0.99",
        "sgd": "0",
        "adam": "1",
        "beta2": "0.99",
        "tol": "0.01",
        "view": "side by side",
        "upto": "60",
        "noise": "0.1",
        "seed": "5",
        "present": "1",
    },
    "sweep": {
        "objective": "ellipse",
        "kind": "rms_eps",
        "outcome": "steps",
        "lr_low": "0.001",
        "lr_high": "0.1",
        "resolution": "20",
        "steps": "200",
        "rho": "0.99",
        "row": "3",
        "col": "7",
        "present": "1",
    },
    "conventions": {
        "objective": "ellipse",
        "lr": "0.01",
        "steps": "300",
        "scale": "0.001",
        "reference": "PyTorch",
        "present": "1",
    },
    "lesson": {"lr": "0.05", "rho": "0.99", "eps": "1e-08", "x0": "3.0", "y0": "-2.0", "updates": "40", "every": "5"},
    "anatomy": {"objective": "beale", "lr": "0.05", "rho": "0.95", "steps": "30", "step": "12"},
    "decay": {
        "objective": "himmelblau",
        "rhos": "0.2,0.9,0.999",
        "lr": "0.02",
        "steps": "150",
        "gamma": "1",
        "present": "1",
    },
    "mission": {
        "preset": "open space",
        "ship_x": "-3.0",
        "radius": "0.3",
        "hazards": "0,1,30,1,0.3;2,-1,10,0.5,0.2",
        "rms_lr": "0.1",
        "steps": "400",
        "present": "1",
    },
}
PAGES = list(PAGE_QUERIES)


def open_with_query(page: str, query: dict):
    """A new session showing ``page`` with ``query`` as its URL (first visit: read from the URL)."""
    at = fresh_app()
    if page != "compare":
        for name in list(at.query_params):
            del at.query_params[name]
        for name, value in query.items():  # a link into the page
            at.query_params[name] = value
        at.switch_page(f"pages/{page}.py").run()
    else:
        at = fresh_app(query)
    assert not at.exception, at.exception
    return at


def stored(at, page: str) -> dict:
    return dict(at.session_state[f"{page}._settings"])


def test_every_page_has_a_query_here():
    assert set(PAGE_QUERIES) == set(PAGE_SCHEMAS)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_round_trips_its_url(page):
    schema, query = PAGE_SCHEMAS[page], PAGE_QUERIES[page]
    expected, notices = schema.parse_query(query)
    assert notices == []
    assert all(expected[name] != schema.defaults(expected[schema.subject])[name] for name in query)

    at = open_with_query(page, query)
    assert not at.warning, [w.value for w in at.warning]
    assert stored(at, page) == expected
    assert dict(at.query_params) == schema.to_query(expected)
    assert schema.parse_query(dict(at.query_params))[0] == expected
    # the widgets show the link's values
    for name, value in expected.items():
        widget = f"{page}.{name}"
        if widget in at.session_state and name not in ("upto",):
            shown = at.session_state[widget]
            assert (tuple(shown) if isinstance(shown, list) else shown) == value, name
    assert charts(at), "the page draws its charts"


def test_the_compare_link_reproduces_the_paths():
    at = open_with_query("compare", PAGE_QUERIES["compare"])
    assert at.slider(key="compare.upto").value == 60
    # the replay shows steps 0..60 of the 120-step runs
    assert path_points(at, "RMSProp").shape == (61, 2)
    assert at.radio(key="compare.view").value == "side by side"


#: how to make each page stop early or show its error, then recover: (kind, key, value) steps
ERROR_PATHS = {
    page: [
        ("selectbox", f"{page}.objective", "custom"),
        ("text_input", f"{page}.formula", "x^2 + 10*y^2 +"),
        ("text_input", f"{page}.formula", "x^2 + 10*y^2"),
    ]
    for page in ("compare", "sweep", "conventions", "anatomy", "decay")
}
ERROR_PATHS["lesson"] = [("select_slider", "lesson.lr", 10.0), ("select_slider", "lesson.lr", 0.05)]  # diverges
# the mission never stops early: a station moved to the map's edge and back
ERROR_PATHS["mission"] = [("number_input", "mission.station_x", 20.0), ("number_input", "mission.station_x", 0.0)]
#: what changing the function may also reset on each page, besides the settings that follow it
ALSO_RESET = {"compare": {"upto"}, "sweep": {"row", "col"}, "anatomy": {"step"}}


@pytest.mark.parametrize("page", PAGES)
def test_a_run_that_ends_early_keeps_every_value(page):
    """Non-default values, then the page's error path (a formula that cannot be used stops the
    run before most widgets are drawn), then the fix: every other setting is as it was."""
    at = open_with_query(page, PAGE_QUERIES[page])
    before = stored(at, page)
    for step, (kind, key, value) in enumerate(ERROR_PATHS[page]):
        getattr(at, kind)(key=key).set_value(value).run()
        assert not at.exception, at.exception
        if step == 1 and kind == "text_input":
            assert any("cannot be used" in error.value for error in at.error)
    after = stored(at, page)
    changed = {name for name in before if before[name] != after[name]}
    schema = PAGE_SCHEMAS[page]
    may_change = {schema.subject, "formula", *(p.key for p in schema.params if p.follows), *ALSO_RESET.get(page, ())}
    assert changed <= may_change, changed - may_change
    for name in set(before) - changed:
        widget = f"{page}.{name}"
        if widget in at.session_state:
            shown = at.session_state[widget]
            assert (tuple(shown) if isinstance(shown, list) else shown) == after[name] or name == "upto", name
    assert charts(at)


@pytest.mark.parametrize("page", PAGES)
def test_a_visit_to_another_page_keeps_every_value(page):
    at = open_with_query(page, PAGE_QUERIES[page])
    before = stored(at, page)
    other = "pages/lesson.py" if page != "lesson" else "pages/compare.py"
    visit(at, other)
    visit(at, f"pages/{page}.py")
    assert not at.exception
    assert stored(at, page) == before
    assert PAGE_SCHEMAS[page].parse_query(dict(at.query_params))[0] == before


def test_a_corrected_start_is_written_back_once():
    """Issue 10, defect 4: the refused start stayed in the widget and the URL, and the warning came
    back on every rerun."""
    at = fresh_app({"objective": "rosenbrock", "x0": "1e5"})
    assert len(at.warning) == 1 and "outside" in at.warning[0].value
    assert at.number_input(key="compare.x0").value == -1.5
    assert "x0" not in at.query_params and at.query_params["objective"] == "rosenbrock"
    at.select_slider(key="compare.rho").set_value(0.99).run()
    assert not at.warning
    assert at.number_input(key="compare.x0").value == -1.5 and "x0" not in at.query_params


def test_a_start_typed_outside_the_box_is_corrected_in_the_widget():
    at = fresh_app({"objective": "rosenbrock"})
    at.number_input(key="compare.x0").set_value(1e5).run()
    assert len(at.warning) == 1
    assert at.number_input(key="compare.x0").value == -1.5


def test_a_start_outside_the_domain_widens_the_plotted_area():
    """Issue 10, defect 5: ``?x0=5&y0=5`` on Rosenbrock drew every path outside the chart."""
    at = fresh_app({"objective": "rosenbrock", "x0": "5", "y0": "5"})
    main = charts(at)[0]
    x_range, y_range = main["layout"]["xaxis"]["range"], main["layout"]["yaxis"]["range"]
    start = path_points(at, "RMSProp")[0]
    assert start.tolist() == [5.0, 5.0]
    assert x_range[0] <= -2 and x_range[1] > 5 and y_range[0] <= -1 and y_range[1] > 5
    # the surface image covers the widened area too
    image = next(item for item in main["layout"]["images"])
    assert image["x"] <= x_range[0] + 1e-9 and image["x"] + image["sizex"] >= 5


def test_a_path_leaving_the_plotted_area_is_named():
    at = fresh_app({"objective": "bowl", "sgd_lr": "1.3", "steps": "10"})  # x ← -1.6 x: out, not diverged
    assert not at.error
    assert any("SGD: the path leaves the plotted area" in caption.value for caption in at.caption)


@pytest.mark.parametrize("page", PAGES)
def test_a_settings_value_from_the_url_that_is_refused_is_dropped_from_it(page):
    at = open_with_query(page, {"steps": "0", "nonsense": "1"})
    assert at.warning
    assert "steps" not in at.query_params and "nonsense" not in at.query_params
    assert np.all([not e for e in at.exception])
