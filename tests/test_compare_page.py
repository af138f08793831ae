"""The Compare page through AppTest: every control changes the numbers it should."""

from __future__ import annotations

import numpy as np
import pytest

from rmsprop_core import SGD, Adagrad, Adam, Momentum, RMSProp, get_objective, optimize
from rmsprop_core.metrics import steps_to_escape, steps_to_settle, steps_to_tolerance
from rmsprop_lab import presentation
from rmsprop_lab.live_chart import scrub_revision
from rmsprop_lab.options import LR_OPTIONS
from rmsprop_lab.schemas import COMPARE

from .apptest_helpers import charts, figure, fresh_app, markdown_tables, path_points, table, trace


def key(name):
    return f"compare.{name}"


#: the optimizer whose controls show a setting (the page shows one optimizer's controls at a time)
PANEL_OF = {
    **dict.fromkeys(("sgd", "sgd_lr"), "sgd"),
    **dict.fromkeys(("mom", "mom_lr", "mom_mu", "nesterov"), "momentum"),
    **dict.fromkeys(("adam", "adam_lr", "beta1", "beta2", "adam_eps"), "adam"),
    **dict.fromkeys(("ada", "ada_lr", "ada_eps"), "adagrad"),
}


def shown(app, name):
    """``app`` with the controls of the optimizer that ``name`` belongs to picked (RMSProp's by default)."""
    panel = PANEL_OF.get(name, "rmsprop")
    picker = app.button_group(key=key("_panel"))
    if picker.value != panel:
        picker.set_value(panel).run()
    return app


def engine_path(spec, objective="rosenbrock", start=None, steps=1000):
    objective = get_objective(objective)
    return optimize(spec, objective, start or objective.start, steps)


@pytest.fixture
def app():
    """Compare on Rosenbrock (the landing view is the first guided scenario, the valley)."""
    return fresh_app({"objective": "rosenbrock"})


def test_default_view_runs_three_optimizers_with_engine_numbers(app):
    rows = table(app)
    assert list(rows) == ["SGD", "Momentum", "RMSProp"]
    expected = engine_path(RMSProp(lr=0.005, rho=0.9, eps=1e-6))
    np.testing.assert_array_equal(path_points(app, "RMSProp"), expected.points)
    assert rows["RMSProp"]["final loss"] == f"{expected.losses[-1]:.6g}"
    assert "f(x, y) = (1 - x)^2" in app.latex[0].value
    assert len(charts(app)) == 3
    assert dict(app.query_params) == {"objective": "rosenbrock"}


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
    shown(app, "sgd").toggle(key=key("sgd")).set_value(False).run()
    shown(app, "adam").toggle(key=key("adam")).set_value(True).run()
    assert list(table(app)) == ["Momentum", "RMSProp", "Adam"]
    for name in ("mom", "rms", "adam"):
        shown(app, name).toggle(key=key(name)).set_value(False).run()
    assert any("Switch on at least one optimizer" in info.value for info in app.info)
    assert not markdown_tables(app)


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
        shown(app, name).select_slider(key=key(name)).set_value(value).run()
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
    shown(app, checkbox).checkbox(key=key(checkbox)).check().run()
    np.testing.assert_array_equal(path_points(app, label), engine_path(spec).points)


def test_adam_controls(app):
    shown(app, "adam").toggle(key=key("adam")).set_value(True).run()
    shown(app, "adam_lr").select_slider(key=key("adam_lr")).set_value(0.02).run()
    shown(app, "beta1").select_slider(key=key("beta1")).set_value(0.8).run()
    shown(app, "beta2").select_slider(key=key("beta2")).set_value(0.99).run()
    shown(app, "adam_eps").select_slider(key=key("adam_eps")).set_value(1e-6).run()
    expected = engine_path(Adam(lr=0.02, beta1=0.8, beta2=0.99, eps=1e-6))
    np.testing.assert_array_equal(path_points(app, "Adam"), expected.points)


def test_side_by_side_view(app):
    app.radio(key=key("view")).set_value("side by side").run()
    main = figure(app)
    assert {"xaxis", "xaxis2", "xaxis3"} <= set(main["layout"])
    assert trace(main, "RMSProp")["xaxis"] == "x3"
    assert app.query_params["view"] == "side by side"
    assert main["layout"]["yaxis3"]["domain"][1] < main["layout"]["yaxis"]["domain"][0]  # two a row: RMSProp below


def test_side_by_side_on_a_projector_puts_three_panels_in_a_row(app):
    """Presentation mode stretches the chart to the screen's height at larger fonts: two rows of
    panels were squashed into strips, each row's titles on the tick labels of the row above."""
    app.radio(key=key("view")).set_value("side by side").run()
    app.toggle(key=key("present")).set_value(True).run()
    main = figure(app)
    assert [main["layout"][f"yaxis{suffix}"]["domain"] for suffix in ("2", "3")] == [
        main["layout"]["yaxis"]["domain"]
    ] * 2
    lefts = [main["layout"][f"xaxis{suffix}"]["domain"][0] for suffix in ("", "2", "3")]
    assert lefts == sorted(lefts) and len(set(lefts)) == 3
    # a shared presentation link on a phone: two a row, as without presentation mode
    phone = main["narrow"]
    assert phone["below"] == presentation.NARROW_CHART_PX
    assert phone["layout"]["yaxis3"]["domain"][1] < phone["layout"]["yaxis"]["domain"][0]


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
    settled = int(steps_to_settle(expected.losses, 0.0, 0.1))
    assert table(app)["SGD"]["first touch"] == str(reached)
    assert table(app)["SGD"]["steps to settle (f − f* ≤ tol)"] == str(settled)


def test_step_size_chart_shows_rmsprop_per_coordinate(app):
    step_chart = figure(app, 2)
    assert [t["name"] for t in step_chart["data"]] == [
        "RMSProp: x",
        "RMSProp: y",
        "SGD: α = 0.002 for every coordinate",
    ]
    app.toggle(key=key("rms")).set_value(False).run()
    assert any("Switch on RMSProp" in info.value for info in app.info)


def test_divergence_is_reported_and_the_page_still_renders(app):
    shown(app, "sgd_lr").select_slider(key=key("sgd_lr")).set_value(10.0).run()
    expected = int(engine_path(SGD(lr=10.0)).diverged_at)
    assert any(f"SGD diverged at step {expected}" in error.value for error in app.error)
    assert table(app)["SGD"]["diverged at step"] == str(expected)
    assert len(charts(app)) == 3 and not app.exception
    assert "try a smaller learning rate" in next(error.value for error in app.error if "SGD diverged" in error.value)


def test_a_divergence_at_rho_1_blames_rho_not_the_learning_rate(app):
    """With ρ = 1, s never leaves 0: no learning rate helps, so the advice is to lower ρ."""
    app.select_slider(key=key("rho")).set_value(1.0).run()
    (error,) = [error.value for error in app.error if "RMSProp diverged" in error.value]
    assert "— pick ρ < 1. With ρ = 1, s keeps its starting value 0" in error
    assert "smaller learning rate" not in error


def test_shared_url_reproduces_the_view():
    first = fresh_app()
    first.selectbox(key=key("objective")).set_value("beale").run()
    first.select_slider(key=key("rho")).set_value(0.99).run()
    first.checkbox(key=key("centered")).check().run()
    shown(first, "adam").toggle(key=key("adam")).set_value(True).run()
    query = dict(first.query_params.items())
    second = fresh_app(query)
    for name in ("objective", "rho", "centered", "adam"):
        widget = shown(second, name).get(
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
    assert app.select_slider(key=key("rho")).value == COMPARE.defaults("valley")["rho"]
    assert app.selectbox(key=key("objective")).value == "valley"  # the landing view's function
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
    at = fresh_app({"objective": "rosenbrock"})
    at.select_slider(key=key("noise")).set_value(10.0).run()
    at.number_input(key=key("seed")).set_value(42).run()
    expected = optimize(RMSProp(lr=0.005), get_objective("rosenbrock"), (-1.5, 2.0), 1000, noise=10.0, seed=42)
    np.testing.assert_array_equal(path_points(at, "RMSProp"), expected.points)
    assert at.query_params["noise"] == "10.0" and at.query_params["seed"] == "42"
    again = fresh_app(dict(at.query_params.items()))
    np.testing.assert_array_equal(path_points(again, "RMSProp"), expected.points)


def test_adagrad_runs_beside_rmsprop_with_engine_numbers(app):
    shown(app, "ada").toggle(key=key("ada")).set_value(True).run()
    shown(app, "ada_lr").select_slider(key=key("ada_lr")).set_value(0.5).run()
    expected = engine_path(Adagrad(lr=0.5))
    np.testing.assert_array_equal(path_points(app, "Adagrad"), expected.points)
    assert table(app)["Adagrad"]["final loss"] == f"{expected.losses[-1]:.6g}"
    step_sizes = figure(app, 2)
    assert trace(step_sizes, "Adagrad: x")
    assert app.query_params["ada"] == "1" and app.query_params["ada_lr"] == "0.5"


def test_a_saddle_reports_steps_to_escape():
    at = fresh_app({"objective": "saddle"})
    expected = engine_path(SGD(lr=0.05), "saddle", steps=150)
    escaped = int(steps_to_escape(expected.losses, 1.0))
    assert escaped > 0
    assert table(at)["SGD"]["steps to escape (f ≤ f(start) − 1)"] == str(escaped)


def test_a_formula_gets_an_estimated_minimum_so_its_metrics_work():
    """A custom formula showed "not reached" and distance "—" even for x^2+y^2 ending at 2e-13."""
    at = fresh_app({"objective": "custom", "formula": "x^2 + y^2"})
    rows = table(at)
    assert rows["SGD"]["steps to settle (f − f* ≤ tol)"] != "not settled"
    assert float(rows["SGD"]["distance to nearest minimum"]) < 0.05
    assert any("estimated on a refined grid" in caption.value for caption in at.caption)
    at.text_input(key=key("formula")).set_value("x + y").run()
    assert any("f* n/a: f is lowest on the edge of the domain" in caption.value for caption in at.caption)


def test_tuning_gives_each_optimizer_its_best_learning_rate_by_the_stated_criterion():
    at = fresh_app({"objective": "ellipse"})
    at.button(key=key("tune")).click().run()
    assert not at.exception
    ellipse = get_objective("ellipse")
    lrs = np.array(LR_OPTIONS)
    starts = np.broadcast_to(np.array(ellipse.start), (len(lrs), 2))
    for label, spec, lr_key in (
        ("SGD", SGD(lr=lrs), "sgd_lr"),
        ("Momentum", Momentum(lr=lrs, momentum=0.9), "mom_lr"),
        ("RMSProp", RMSProp(lr=lrs, rho=0.9, eps=1e-6), "rms_lr"),
    ):
        family = optimize(spec, ellipse, starts, 200)
        settle = steps_to_settle(family.losses, 0.0, 1e-3)
        if (settle >= 0).any():
            best = lrs[np.argmin(np.where(settle >= 0, settle, 10**9))]
            settled = str(int(settle[settle >= 0].min()))
        else:  # none settles: the lowest final loss
            best = lrs[np.nanargmin(np.where(family.diverged_at < 0, family.losses[-1], np.nan))]
            settled = "not settled"
        assert shown(at, lr_key).select_slider(key=key(lr_key)).value == best, label
        assert at.query_params.get(lr_key) == repr(float(best)) or best == COMPARE.defaults("ellipse")[lr_key]
        assert table(at)[label]["steps to settle (f − f* ≤ tol)"] == settled
    note = next(s.value for s in at.success)
    assert "α tuned on this function and start" in note and "fewest steps to settle" in note
    # a changed learning rate makes the note stale: it goes
    shown(at, "rms_lr").select_slider(key=key("rms_lr")).set_value(0.5).run()
    assert not any("α tuned" in s.value for s in at.success)


def test_the_sensitivity_chart_draws_every_optimizer_over_the_ladder():
    at = fresh_app({"objective": "ellipse", "sensitivity": "1"})
    chart = charts(at)[3]
    assert chart["layout"]["xaxis"]["type"] == "log"
    names = [t["name"] for t in chart["data"]]
    assert {"SGD", "Momentum", "RMSProp"} <= set(names)
    assert "RMSProp: tuned α" in names


def test_with_every_optimizer_off_no_empty_charts_are_drawn():
    at = fresh_app({"sgd": "0", "mom": "0", "rms": "0"})
    assert len(charts(at)) == 1  # the map alone, with the function: no loss chart with made-up axes
    assert any("Switch on at least one optimizer" in info.value for info in at.info)


def test_an_overflowing_squared_gradient_is_reported_as_divergence():
    """Issue 11: exp(x)² overflows from x = 400; RMSProp and Adam stopped there and were reported
    with a final loss of 5.22e+173 and no divergence."""
    query = {"objective": "custom", "formula": "exp(x)+y^2", "xmin": "-500", "xmax": "500", "x0": "400", "y0": "1"}
    at = fresh_app(query | {"adam": "1"})
    rows = table(at)
    for name in ("RMSProp", "Adam"):
        assert rows[name]["diverged at step"] == "1" and rows[name]["final loss"] == "—", rows[name]
        assert any(f"{name} diverged at step 1" in error.value for error in at.error)


def test_one_optimizers_controls_at_a_time_and_none_of_them_forgotten(app):
    """A press reruns the controls it shows: one optimizer's, picked above them. The others keep
    their values (in the store, the URL and their widgets when shown again)."""
    app.select_slider(key=key("rho")).set_value(0.99).run()
    shown(app, "beta1").select_slider(key=key("beta1")).set_value(0.8).run()
    keys = {slider.key for slider in app.select_slider}
    assert {key("adam_lr"), key("beta1")} <= keys and key("rho") not in keys and key("sgd_lr") not in keys
    assert shown(app, "rho").select_slider(key=key("rho")).value == 0.99
    assert shown(app, "beta1").select_slider(key=key("beta1")).value == 0.8
    assert app.query_params["rho"] == "0.99" and app.query_params["beta1"] == "0.8"
    np.testing.assert_array_equal(path_points(app, "RMSProp"), engine_path(RMSProp(lr=0.005, rho=0.99)).points)


def test_the_results_table_shows_every_cell_as_it_is(app):
    """The results are a Markdown table: its Markdown characters (the * of f*) are escaped, not markup."""
    assert "steps to settle (f − f* ≤ tol)" in table(app)["SGD"]
    (results,) = [element.value for element in app.markdown if element.value.startswith("| optimizer |")]
    assert "f − f\\* ≤ tol" in results


def test_the_charts_carry_the_revision_each_sliders_ladder_must_have(app):
    """The charts say which ladder of each dragged slider may be swapped into them: one computed
    from what they show. A slider's own move keeps its revision (its ladder holds every value of
    it); a change of what its ladder is computed from makes a new one; a setting that changes no
    path (the tolerance) changes none, so the charts, identical, are not sent again."""

    def revisions():
        carried = [payload["scrubRevisions"] for payload in charts(app)]
        assert len(carried) == 3 and carried[0] == carried[1] == carried[2]
        return carried[0]

    first = revisions()
    assert set(first) == {"rho", "eps", "sgd_lr", "mom_lr", "rms_lr", "adam_lr", "ada_lr"}
    assert first["adam_lr"] is None and first["ada_lr"] is None  # switched off: no ladder
    choice = app.session_state["compare._latest"]["choice"]
    others = tuple((name, value) for name, value in RMSProp(lr=0.005).hyperparameters().items() if name != "rho")
    assert first["rho"] == scrub_revision(("rmsprop", others, choice, (-1.5, 2.0), 1000, -1))
    app.select_slider(key=key("rho")).set_value(0.99).run()
    after_rho = revisions()
    assert after_rho["rho"] == first["rho"] and after_rho["rms_lr"] != first["rms_lr"]
    assert after_rho["sgd_lr"] == first["sgd_lr"]  # SGD's ladder does not depend on ρ
    app.checkbox(key=key("centered")).check().run()
    after_centered = revisions()
    assert all(after_centered[name] != after_rho[name] for name in ("rho", "eps", "rms_lr"))
    app.select_slider(key=key("tol")).set_value(1e-4).run()
    assert revisions() == after_centered
