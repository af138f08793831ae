"""The Compare page through AppTest: every control changes the numbers it should."""

from __future__ import annotations

import numpy as np
import pytest

from rmsprop_core import SGD, Adam, Momentum, RMSProp, get_objective, optimize
from rmsprop_core.metrics import steps_to_tolerance

from .apptest_helpers import charts, figure, fresh_app, path_points, table, trace


def key(name):
    return f"compare.{name}"


def engine_path(spec, objective="rosenbrock", start=None, steps=1000):
    objective = get_objective(objective)
    return optimize(spec, objective, start or objective.start, steps)


@pytest.fixture
def app():
    return fresh_app()


def test_default_view_runs_three_optimizers_with_engine_numbers(app):
    rows = table(app)
    assert list(rows) == ["SGD", "Momentum", "RMSProp"]
    expected = engine_path(RMSProp(lr=0.005, rho=0.9, eps=1e-6))
    np.testing.assert_array_equal(path_points(app, "RMSProp"), expected.points)
    assert rows["RMSProp"]["final loss"] == f"{expected.losses[-1]:.6g}"
    assert "f(x, y) = (1 - x)^2" in app.latex[0].value
    assert len(charts(app)) == 3
    assert app.query_params == {} or all(not v for v in app.query_params.values())


def test_objective_picker_switches_formula_defaults_and_paths(app):
    app.selectbox(key=key("objective")).set_value("ellipse").run()
    assert r"f(x, y) = x^2 + 10\,y^2" in app.latex[0].value
    assert app.number_input(key=key("steps")).value == 200
    expected = engine_path(SGD(lr=0.079), "ellipse", steps=200)
    np.testing.assert_array_equal(path_points(app, "SGD"), expected.points)
    assert app.query_params["objective"] == "ellipse"


def test_start_point_and_steps(app):
    app.number_input(key=key("x0")).set_value(0.5).run()
    app.number_input(key=key("y0")).set_value(-0.5).run()
    app.number_input(key=key("steps")).set_value(50).run()
    points = path_points(app, "Momentum")
    assert points.shape == (51, 2) and points[0].tolist() == [0.5, -0.5]
    np.testing.assert_array_equal(points, engine_path(Momentum(lr=0.001), start=(0.5, -0.5), steps=50).points)


def test_start_outside_the_box_is_refused_with_a_message(app):
    app.number_input(key=key("x0")).set_value(1e5).run()
    assert not app.exception
    assert any("outside" in warning.value for warning in app.warning)
    assert path_points(app, "SGD")[0].tolist() == [-1.5, 2.0]


def test_optimizer_switches(app):
    app.toggle(key=key("sgd")).set_value(False).run()
    app.toggle(key=key("adam")).set_value(True).run()
    assert list(table(app)) == ["Momentum", "RMSProp", "Adam"]
    for name in ("mom", "rms", "adam"):
        app.toggle(key=key(name)).set_value(False).run()
    assert any("Switch on at least one optimizer" in info.value for info in app.info)
    assert not app.table


@pytest.mark.parametrize(
    ("changes", "label", "spec"),
    [
        ({"sgd_lr": 0.001}, "SGD", SGD(lr=0.001)),
        ({"mom_lr": 0.002, "mom_mu": 0.5}, "Momentum", Momentum(lr=0.002, momentum=0.5)),
        ({"rms_lr": 0.01}, "RMSProp", RMSProp(lr=0.01)),
        ({"rho": 0.99}, "RMSProp", RMSProp(lr=0.005, rho=0.99)),
        ({"eps": 0.01}, "RMSProp", RMSProp(lr=0.005, eps=0.01)),
        ({"rms_mu": 0.5}, "RMSProp", RMSProp(lr=0.005, momentum=0.5)),
    ],
)
def test_each_slider_drives_its_optimizer(app, changes, label, spec):
    for name, value in changes.items():
        app.select_slider(key=key(name)).set_value(value).run()
    np.testing.assert_array_equal(path_points(app, label), engine_path(spec).points)
    for name, value in changes.items():
        assert app.query_params[name] == repr(value)


@pytest.mark.parametrize(
    ("checkbox", "label", "spec"),
    [
        ("nesterov", "Nesterov", Momentum(lr=0.001, nesterov=True)),
        ("centered", "RMSProp", RMSProp(lr=0.005, centered=True)),
        ("eps_in_sqrt", "RMSProp", RMSProp(lr=0.005, eps_in_sqrt=True)),
    ],
)
def test_each_checkbox_drives_its_variant(app, checkbox, label, spec):
    app.checkbox(key=key(checkbox)).check().run()
    np.testing.assert_array_equal(path_points(app, label), engine_path(spec).points)


def test_adam_controls(app):
    app.toggle(key=key("adam")).set_value(True).run()
    app.select_slider(key=key("adam_lr")).set_value(0.02).run()
    app.select_slider(key=key("beta1")).set_value(0.8).run()
    app.select_slider(key=key("beta2")).set_value(0.99).run()
    app.select_slider(key=key("adam_eps")).set_value(1e-6).run()
    expected = engine_path(Adam(lr=0.02, beta1=0.8, beta2=0.99, eps=1e-6))
    np.testing.assert_array_equal(path_points(app, "Adam"), expected.points)


def test_side_by_side_view(app):
    app.radio(key=key("view")).set_value("side by side").run()
    main = figure(app)
    assert {"xaxis", "xaxis2", "xaxis3"} <= set(main["layout"])
    assert trace(main, "RMSProp")["xaxis"] == "x3"
    assert app.query_params["view"] == "side by side"


def test_replay_slider_truncates_the_paths(app):
    app.slider(key=key("upto")).set_value(25).run()
    assert path_points(app, "RMSProp").shape == (26, 2)
    assert app.query_params["upto"] == "25"
    app.number_input(key=key("steps")).set_value(300).run()
    assert app.slider(key=key("upto")).value == 300  # new run length: replay restarts at the end


def test_tolerance_changes_steps_to_reach(app):
    app.select_slider(key=key("tol")).set_value(0.1).run()
    expected = engine_path(SGD(lr=0.002))
    reached = int(steps_to_tolerance(expected.losses, 0.0, 0.1))
    assert table(app)["SGD"]["steps to f − f* ≤ tol"] == str(reached)


def test_step_size_chart_shows_rmsprop_per_coordinate(app):
    step_chart = figure(app, 2)
    assert [t["name"] for t in step_chart["data"]] == ["RMSProp: x", "RMSProp: y"]
    app.toggle(key=key("rms")).set_value(False).run()
    assert any("Switch on RMSProp" in info.value for info in app.info)


def test_divergence_is_reported_and_the_page_still_renders(app):
    app.select_slider(key=key("sgd_lr")).set_value(10.0).run()
    expected = int(engine_path(SGD(lr=10.0)).diverged_at)
    assert any(f"SGD diverged at step {expected}" in error.value for error in app.error)
    assert table(app)["SGD"]["diverged at step"] == str(expected)
    assert len(charts(app)) == 3 and not app.exception


def test_shared_url_reproduces_the_view():
    first = fresh_app()
    first.selectbox(key=key("objective")).set_value("beale").run()
    first.select_slider(key=key("rho")).set_value(0.99).run()
    first.checkbox(key=key("centered")).check().run()
    first.toggle(key=key("adam")).set_value(True).run()
    query = dict(first.query_params.items())
    second = fresh_app(query)
    for name in ("objective", "rho", "centered", "adam"):
        widget = second.get(
            "selectbox"
            if name == "objective"
            else "select_slider"
            if name == "rho"
            else "checkbox"
            if name == "centered"
            else "toggle"
        )
        assert any(w.key == key(name) for w in widget)
    np.testing.assert_array_equal(path_points(second, "RMSProp"), path_points(first, "RMSProp"))
    assert table(second) == table(first)


def test_bad_query_parameters_fall_back_with_a_notice():
    app = fresh_app({"rho": "<script>alert(1)</script>", "steps": "1e12", "objective": "nope", "zzz": "1"})
    assert not app.exception
    notices = " ".join(warning.value for warning in app.warning)
    assert "`rho`" in notices and "`steps`" in notices and "`objective`" in notices and "`zzz`" in notices
    assert app.select_slider(key=key("rho")).value == 0.9
    assert app.selectbox(key=key("objective")).value == "rosenbrock"
    # user text is only ever shown inside code spans, never as markup
    for element in [*app.markdown, *app.warning]:
        assert "<script>" not in element.value.replace("`<script>", "")


# --- your own formula -----------------------------------------------------------------------------


def test_custom_formula_runs_the_engine_on_the_parsed_function():
    from rmsprop_core import parse_objective

    at = fresh_app()
    at.selectbox(key=key("objective")).set_value("custom").run()
    at.text_input(key=key("formula")).input("(x-1)^2 + 3*abs(y)").run()
    at.number_input(key=key("xmin")).set_value(-3.0).run()
    at.number_input(key=key("x0")).set_value(-2.0).run()
    at.number_input(key=key("y0")).set_value(2.0).run()
    objective = parse_objective("(x-1)^2 + 3*abs(y)", domain=((-3.0, 5.0), (-5.0, 5.0)))
    expected = optimize(RMSProp(lr=0.05), objective, (-2.0, 2.0), 300)
    np.testing.assert_array_equal(path_points(at, "RMSProp"), expected.points)
    assert r"\left|{y}\right|" in at.latex[0].value
    assert at.query_params["formula"] == "(x-1)^2 + 3*abs(y)" and at.query_params["xmin"] == "-3.0"
    # the shared URL reproduces the same view
    again = fresh_app(dict(at.query_params.items()))
    np.testing.assert_array_equal(path_points(again, "RMSProp"), expected.points)


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("x + z", "unknown name 'z' at column 5"),
        ("9**9**9**9", "constant exponent"),
        ("sin(x", "expected ')'"),
        # issue 11: refused by the bounds at once, and (within every bound) at the worker's CPU limit
        ("exp(exp(1e6))", "is about 10^434294, larger than any floating-point number"),
        ("abs(1.0 + sinh(cosh(7))) * sinh((x^0.5 - y^y)^50)", "takes too long to compute"),
    ],
)
def test_bad_formula_shows_what_and_where_and_keeps_the_settings(formula, message):
    at = fresh_app({"objective": "custom", "rho": "0.99"})
    at.text_input(key=key("formula")).input(formula).run()
    assert not at.exception
    assert any(message in error.value for error in at.error)
    assert not charts(at)
    at.text_input(key=key("formula")).input("x^2 + y^2").run()
    assert len(charts(at)) == 3 and not at.error
    assert at.select_slider(key=key("rho")).value == 0.99  # nothing the user set was lost


def test_formula_that_is_undefined_somewhere_is_flagged_not_crashing():
    at = fresh_app(
        {"objective": "custom", "formula": "log(x) + y^2", "xmin": "-1", "x0": "0.3", "y0": "1", "sgd_lr": "0.5"}
    )
    assert not at.exception
    assert any("SGD diverged" in error.value for error in at.error)


def test_gradient_noise_and_seed_controls():
    at = fresh_app()
    at.select_slider(key=key("noise")).set_value(10.0).run()
    at.number_input(key=key("seed")).set_value(42).run()
    expected = optimize(RMSProp(lr=0.005), get_objective("rosenbrock"), (-1.5, 2.0), 1000, noise=10.0, seed=42)
    np.testing.assert_array_equal(path_points(at, "RMSProp"), expected.points)
    assert at.query_params["noise"] == "10.0" and at.query_params["seed"] == "42"
    again = fresh_app(dict(at.query_params.items()))
    np.testing.assert_array_equal(path_points(again, "RMSProp"), expected.points)
