"""Extreme settings and hostile URLs on every page: always the page's charts and numbers (or a
message saying why not), never a traceback."""

from __future__ import annotations

import pytest

from .apptest_helpers import charts, decode_array, fresh_app, markdown_tables


def _texts(elements) -> list[str]:
    return [str(element.value) for element in elements]


def _table_cells(at) -> list[str]:
    """Every cell of the page's Markdown results tables."""
    return [cell for rows in markdown_tables(at) for row in rows for cell in row.values()]


#: what each page tabulates or prints besides its charts, as text
NUMBERS = {
    "compare": _table_cells,
    "sweep": lambda at: _texts(at.caption),
    "conventions": lambda at: _texts(at.table),
    "lesson": lambda at: _texts(at.code),
    "anatomy": lambda at: _texts(at.table),
    "decay": _table_cells,
    "mission": lambda at: _texts(at.table),
}


def assert_shows_charts_and_numbers(at, page: str, charts_at_least: int = 1) -> None:
    """The page drew its charts, each with data, and its table or printed numbers."""
    assert not at.exception, at.exception
    drawn = charts(at)
    assert len(drawn) >= charts_at_least, f"{page}: {len(drawn)} charts"
    for figure in drawn:
        sizes = [
            len(t[axis]) if isinstance(t[axis], list) else decode_array(t[axis]).size
            for t in figure["data"]
            for axis in ("x", "z")
            if axis in t
        ]
        assert any(size > 0 for size in sizes), f"{page}: a chart without data"
    numbers = NUMBERS[page](at)
    assert any(any(character.isdigit() for character in text) for text in numbers), f"{page}: no numbers shown"


def page_name(path: str) -> str:
    return path.removeprefix("pages/").removesuffix(".py")


EXTREME_COMPARE_URLS = [
    {"rms_lr": "10", "sgd_lr": "10", "mom_lr": "10", "adam": "1", "adam_lr": "10"},
    {"rho": "0", "eps": "1e-10"},
    {"rho": "1", "eps": "1e-10", "centered": "1", "rms_mu": "0.99"},
    {"rho": "1", "eps_in_sqrt": "1", "beta2": "0", "adam": "1"},
    {"steps": "5000", "adam": "1", "view": "side by side"},
    {"objective": "bowl", "x0": "0", "y0": "0"},  # exactly at the minimum
    {"objective": "rosenbrock", "x0": "-2", "y0": "3"},  # the domain's corner
    {"objective": "himmelblau", "x0": "-15", "y0": "15", "upto": "0"},  # the start box's corner
    {"objective": "saddle", "steps": "5000", "rms_lr": "10"},  # unbounded below
    {"objective": "goldstein_price", "sgd_lr": "10", "tol": "1e-08"},
    {"objective": "custom", "formula": "exp(exp(exp(x))) + y^50"},  # overflows
    {"objective": "custom", "formula": "1/x + log(y)", "x0": "0", "y0": "0"},  # undefined at the start
    {"objective": "custom", "formula": "abs(x) + abs(y)", "xmin": "-100000", "xmax": "100000"},
    {"noise": "100", "seed": "2147483647"},
]


@pytest.mark.parametrize("query", EXTREME_COMPARE_URLS, ids=lambda q: ",".join(f"{k}={v}" for k, v in q.items()))
def test_compare_renders_at_extreme_settings(query):
    at = fresh_app(query)
    assert not at.exception
    if any("cannot be used" in error.value for error in at.error):
        assert query.get("objective") == "custom"  # only a formula may stop the page, and says why
    else:
        assert_shows_charts_and_numbers(at, "compare", charts_at_least=3)


HOSTILE_VALUES = [
    "<script>alert(1)</script>",
    "9" * 400,
    "1e308",
    "-1e308",
    "nan",
    "inf",
    "x" * 10_000,
    "[link](javascript:alert(1))",
    "%00",
    "0x1F",
    "１２３",
]


@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=range(len(HOSTILE_VALUES)))
def test_hostile_url_values_fall_back_and_are_never_markup(value):
    query = {name: value for name in ("objective", "rho", "steps", "x0", "formula", "noise", "view", "centered")}
    query["unknown_" + "k" * 50] = value
    at = fresh_app(query)
    assert not at.exception
    for element in [*at.markdown, *at.warning, *at.error, *at.caption]:
        text = element.value
        assert "<script>" not in text.replace("`<script>", "")
        assert "](javascript:" not in text.replace("`[link](javascript:", "")


PAGES = [
    "pages/lesson.py",
    "pages/anatomy.py",
    "pages/decay.py",
    "pages/mission.py",
    "pages/sweep.py",
    "pages/conventions.py",
]


@pytest.mark.parametrize("page", PAGES)
def test_other_pages_ignore_hostile_urls(page):
    at = fresh_app({"rho": "<script>alert(1)</script>", "steps": "1e99", "z" * 100: "x" * 10_000}, page=page)
    assert_shows_charts_and_numbers(at, page_name(page))


def extreme(page: str, changes: list[tuple[str, str, object]]):
    at = fresh_app(page=page)
    for kind, name, value in changes:
        getattr(at, kind)(key=name).set_value(value).run()
        assert not at.exception, (name, value, at.exception)
        assert_shows_charts_and_numbers(at, page_name(page))
    return at


def test_lesson_page_at_extremes():
    extreme(
        "pages/lesson.py",
        [
            ("select_slider", "lesson.lr", 10.0),
            ("select_slider", "lesson.rho", 1.0),
            ("select_slider", "lesson.eps", 1e-10),
            ("number_input", "lesson.updates", 2000),
            ("number_input", "lesson.x0", 0.0),
            ("number_input", "lesson.y0", 0.0),
            ("select_slider", "lesson.rho", 0.0),
            ("number_input", "lesson.every", 500),
        ],
    )


def test_anatomy_page_at_extremes():
    extreme(
        "pages/anatomy.py",
        [
            ("select_slider", "anatomy.rho", 1.0),
            ("select_slider", "anatomy.eps", 1e-10),
            ("select_slider", "anatomy.lr", 10.0),
            ("number_input", "anatomy.steps", 200),
            ("slider", "anatomy.step", 200),
            ("selectbox", "anatomy.objective", "saddle"),
            ("select_slider", "anatomy.rho", 0.0),
        ],
    )


def test_decay_page_at_extremes():
    extreme(
        "pages/decay.py",
        [
            ("multiselect", "decay.rhos", [0.0, 1.0, 0.9999]),
            ("select_slider", "decay.lr", 10.0),
            ("select_slider", "decay.eps", 1e-10),
            ("number_input", "decay.steps", 5000),
            ("selectbox", "decay.objective", "goldstein_price"),
        ],
    )


def test_mission_page_at_extremes():
    extreme(
        "pages/mission.py",
        [
            ("number_input", "mission.ship_x", 4.0),
            ("number_input", "mission.ship_y", 3.0),
            ("select_slider", "mission.sgd_lr", 10.0),
            ("select_slider", "mission.rms_lr", 10.0),
            ("select_slider", "mission.rho", 1.0),
            ("number_input", "mission.steps", 3000),
            ("number_input", "mission.radius", 0.01),
        ],
    )


def test_sweep_page_at_extremes():
    extreme(
        "pages/sweep.py",
        [
            ("select_slider", "sweep.resolution", 200),
            ("number_input", "sweep.steps", 2000),
            ("radio", "sweep.kind", "sgd"),
            ("radio", "sweep.outcome", "steps"),
            ("selectbox", "sweep.objective", "saddle"),
        ],
    )


def test_conventions_page_at_extremes():
    extreme(
        "pages/conventions.py",
        [
            ("select_slider", "conventions.scale", 1e-8),
            ("select_slider", "conventions.lr", 10.0),
            ("number_input", "conventions.steps", 5000),
            ("selectbox", "conventions.objective", "saddle"),
            ("select_slider", "conventions.scale", 100.0),
        ],
    )
