"""Sweeps (engine and page) and the library-conventions presets (engine and page)."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest

from rmsprop_core import CONVENTIONS, SGD, Momentum, RMSProp, get_objective, optimize, sweep_outcomes
from rmsprop_core.csv_io import grid_to_csv
from rmsprop_core.metrics import steps_to_tolerance
from rmsprop_core.objectives import scaled
from rmsprop_lab.schemas import MAX_SWEEP_RUN_STEPS, MAX_SWEEP_STEPS, SWEEP, SWEEP_KINDS, SWEEP_RESOLUTIONS

from .apptest_helpers import figure, fresh_app, trace
from .test_page_settings import open_with_query

ROSENBROCK = get_objective("rosenbrock")


@pytest.mark.parametrize(
    "spec",
    [
        RMSProp(lr=np.logspace(-4, 0, 7)[None, :], rho=np.linspace(0.5, 0.999, 5)[:, None]),
        Momentum(lr=np.logspace(-4, -1, 6)[None, :], momentum=np.linspace(0, 0.99, 4)[:, None]),
        SGD(lr=np.logspace(-5, 1, 9)),
    ],
)
def test_sweep_outcomes_equal_per_configuration_runs(spec):
    outcome = sweep_outcomes(spec, ROSENBROCK, ROSENBROCK.start, 200, tolerance=1e-2)
    shape = outcome.diverged_at.shape
    flat = spec.flattened(shape)
    for index in np.ndindex(shape):
        flat_index = np.ravel_multi_index(index, shape)
        single = type(spec)(
            **{
                name: (value[flat_index] if name in spec.numeric_fields and np.ndim(value) else value)
                for name, value in flat.hyperparameters().items()
            }
        )
        run = optimize(single, ROSENBROCK, ROSENBROCK.start, 200)
        diverged = int(run.diverged_at)
        assert outcome.diverged_at[index] == diverged
        assert outcome.steps_to_tolerance[index] == int(steps_to_tolerance(run.losses, 0.0, 1e-2))
        last = 200 if diverged < 0 else max(diverged - 1, 0)
        if diverged < 0:
            np.testing.assert_array_equal(outcome.final_points[index], run.points[last])
            assert outcome.final_losses[index] == run.losses[last]
    # the SGD and Momentum grids reach diverging learning rates; RMSProp's steps stay bounded
    assert (outcome.diverged_at.max() >= 0) != isinstance(spec, RMSProp)


def test_sweep_keeps_memory_independent_of_steps():
    import tracemalloc

    spec = RMSProp(lr=np.logspace(-4, -1, 50)[None, :], rho=np.linspace(0.5, 0.99, 50)[:, None])
    tracemalloc.start()
    sweep_outcomes(spec, ROSENBROCK, ROSENBROCK.start, 400, tolerance=1e-3)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 5 * 2**20  # all points would need 401 x 2500 x 2 x 8 bytes = 16 MB


def test_grid_csv_one_row_per_cell_bit_exact():
    rhos, lrs = np.array([0.5, 0.9]), np.array([1e-3, 1e-2, 0.1])
    losses = np.arange(6.0).reshape(2, 3) / 7
    text = grid_to_csv(
        {"rho": rhos, "lr": lrs}, {"final_loss": losses, "diverged_at": np.array([[-1, 3, -1], [0, -1, 2]])}
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 6 and list(rows[0]) == ["rho", "lr", "final_loss", "diverged_at"]
    assert float(rows[1]["lr"]) == 1e-2 and float(rows[1]["rho"]) == 0.5 and rows[1]["diverged_at"] == "3"
    assert float(rows[4]["final_loss"]) == losses[1, 1]  # repr round-trips exactly


# --- conventions ----------------------------------------------------------------------------------


G = np.array([3.0, -4.0])


@pytest.mark.parametrize(
    ("name", "first_step"),
    [
        ("the lesson", 0.01 * G / (np.sqrt(0.1 * G**2) + 1e-6)),
        ("PyTorch", 0.01 * G / (np.sqrt(0.01 * G**2) + 1e-8)),
        ("Keras 3", 0.01 * G / np.sqrt(0.1 * G**2 + 1e-7)),
        ("optax", 0.01 * G / np.sqrt(0.1 * G**2 + 1e-8)),
        ("TensorFlow 1", 0.01 * G / np.sqrt(0.9 * 1.0 + 0.1 * G**2 + 1e-10)),
    ],
)
def test_convention_first_steps_by_hand(name, first_step):
    from rmsprop_core import Objective

    linear = Objective(
        "l", "l", lambda x, y: 3 * x - 4 * y, lambda x, y: (3.0 + 0 * x, -4.0 + 0 * y), ((-9, 9), (-9, 9)), (0, 0), ""
    )
    points = optimize(CONVENTIONS[name].optimizer(0.01), linear, (0.0, 0.0), 1).points
    np.testing.assert_allclose(points[0] - points[1], first_step, rtol=1e-14)


def test_scaled_objective_scales_values_and_gradients():
    scaled_bowl = scaled(get_objective("goldstein_price"), 1e-3)
    assert scaled_bowl.min_value == pytest.approx(3e-3)
    gx, gy = get_objective("goldstein_price").grad(0.3, -0.2)
    sx, sy = scaled_bowl.grad(0.3, -0.2)
    assert (sx, sy) == pytest.approx((1e-3 * gx, 1e-3 * gy))
    with pytest.raises(ValueError, match="scale factor"):
        scaled(ROSENBROCK, -1.0)


# --- pages ----------------------------------------------------------------------------------------


def test_sweep_page_default_grid_matches_the_engine():
    at = fresh_app(page="pages/sweep.py")
    cells = next(t for t in figure(at, 0)["data"] if t.get("meta") == "cells")
    from .apptest_helpers import decode_array

    z, diverged = decode_array(cells["customdata"]).reshape(100, 100, 2).transpose(2, 0, 1)
    lrs = np.logspace(-4, np.log10(0.5), 100)
    rhos = np.linspace(0.5, 0.999, 100)
    outcome = sweep_outcomes(
        RMSProp(lr=lrs[None, :], rho=rhos[:, None], eps=1e-6), ROSENBROCK, ROSENBROCK.start, 500, tolerance=1e-3
    )
    with np.errstate(divide="ignore"):
        expected = np.where(outcome.diverged_at >= 0, np.nan, np.log10(np.maximum(outcome.final_losses, 1e-300)))
    np.testing.assert_allclose(z, expected, rtol=1e-12, equal_nan=True)
    assert np.array_equal(diverged == 1, outcome.diverged_at >= 0)


@pytest.mark.parametrize("kind", ["rms_eps", "mom", "sgd"])
def test_sweep_page_kinds_and_controls(kind):
    at = fresh_app(page="pages/sweep.py")
    at.radio(key="sweep.kind").set_value(kind).run()
    at.select_slider(key="sweep.resolution").set_value(20).run()
    at.number_input(key="sweep.steps").set_value(100).run()
    at.radio(key="sweep.outcome").set_value("steps").run()
    at.select_slider(key="sweep.tol").set_value(0.1).run()
    assert not at.exception
    chart = figure(at, 0)
    if kind == "sgd":
        lrs = np.logspace(-4, np.log10(0.5), 20)
        outcome = sweep_outcomes(SGD(lr=lrs), ROSENBROCK, ROSENBROCK.start, 100, tolerance=0.1)
        from .apptest_helpers import decode_array

        drawn = decode_array(trace(chart, "first step with f − f* ≤ 0.1")["y"])
        expected = np.where(
            (outcome.steps_to_tolerance >= 0) & (outcome.diverged_at < 0), outcome.steps_to_tolerance, np.nan
        )
        np.testing.assert_array_equal(drawn, expected)
    else:  # the cells as an image under a marker per cell, which a click or a box picks
        assert len(chart["layout"]["images"]) == 1
        cells = next(t for t in chart["data"] if t.get("meta") == "cells")
        from .apptest_helpers import decode_array

        assert decode_array(cells["x"]).size == 20 * 20


@pytest.mark.parametrize("kind", ["rms_rho", "sgd"])
def test_the_picked_cell_is_ringed_and_its_run_drawn_in_place(kind):
    """The map and the picked run's path are both charts the basic bundle draws in place
    (``live_chart``: ``charts`` reads st.plotly_chart's too, and would list them)."""
    from rmsprop_lab import chart_component

    from .apptest_helpers import charts, decode_array

    at = open_with_query("sweep", {"kind": kind, "resolution": "20", "row": "0" if kind == "sgd" else "4", "col": "9"})
    drawn = charts(at)
    assert len(drawn) == 2 and not at.get("plotly_chart")
    nodes = [node for node in at.main if node.type == "bidi_component" and node.proto.WhichOneof("data") == "bytes"]
    assert [node.proto.component_name for node in nodes] == [chart_component.COMPONENT_NAME] * 2
    assert json_flag(nodes[0], "select") and not json_flag(nodes[1], "select")  # only the map reports picks
    learning_rates = np.logspace(-4, np.log10(0.5), 20)
    ring = trace(drawn[0], "selected")
    assert ring["x"] == [pytest.approx(learning_rates[9])]
    if kind == "rms_rho":
        assert ring["y"] == [pytest.approx(np.linspace(0.5, 0.999, 20)[4])]
    text = " ".join(node.value for node in at.markdown)
    assert f"lr {learning_rates[9]:.4g}" in text
    path = decode_array(trace(drawn[1], "SGD" if kind == "sgd" else "RMSProp")["x"])
    assert path.size > 1


def json_flag(node, name: str) -> bool:
    import json

    return bool(json.loads(node.proto.bytes).get(name))


@pytest.mark.parametrize(
    ("kind", "resolution", "steps", "used"),
    [("rms_rho", 200, 2000, 500), ("mom", 150, 2000, 888), ("rms_eps", 100, 2000, 2000), ("sgd", 200, 2000, 2000)],
)
def test_a_sweep_runs_at_most_its_budget_of_run_steps(kind, resolution, steps, used):
    """Issue 11: the largest legal sweep, 200 × 200 runs of 2000 steps, took seconds of one core
    that no widget event could interrupt; its runs × steps are now bounded, and the page says so."""
    query = {"kind": kind, "resolution": str(resolution), "steps": str(steps)}
    settings, notices = SWEEP.parse_query(query)
    assert settings["steps"] == used
    assert bool(notices) == (used < steps)
    assert notices == [] or notices[0].startswith(f"A sweep of {resolution**2:,} runs takes at most {used:,} steps")


def test_every_sweep_grid_fits_the_budget_at_the_most_steps():
    for kind in SWEEP_KINDS:
        for resolution in SWEEP_RESOLUTIONS:
            query = {"kind": kind, "resolution": str(resolution), "steps": str(MAX_SWEEP_STEPS)}
            steps = SWEEP.parse_query(query)[0]["steps"]
            runs = resolution * (1 if kind == "sgd" else resolution)
            assert steps >= 1 and runs * steps <= MAX_SWEEP_RUN_STEPS


def test_the_sweep_page_lowers_the_steps_of_a_large_grid_and_says_so():
    at = open_with_query("sweep", {"resolution": "200", "steps": "2000"})
    assert at.number_input(key="sweep.steps").value == 500
    assert len(at.warning) == 1 and "at most 500 steps" in at.warning[0].value
    assert "500 steps" in at.caption[0].value


def test_conventions_page_runs_every_library_and_reports_distances():
    at = fresh_app(page="pages/conventions.py")
    rows = at.table[0].value.to_dict("records")
    assert [row["library"] for row in rows] == list(CONVENTIONS)
    assert rows[1]["decay rate is called"] == "alpha" and rows[4]["s starts at"] == "1"
    lesson_final = optimize(CONVENTIONS["the lesson"].optimizer(0.005), ROSENBROCK, ROSENBROCK.start, 500).points[-1]
    torch_final = optimize(CONVENTIONS["PyTorch"].optimizer(0.005), ROSENBROCK, ROSENBROCK.start, 500).points[-1]
    assert rows[1]["final distance from the lesson"] == f"{np.linalg.norm(torch_final - lesson_final):.3g}"
    at.select_slider(key="conventions.scale").set_value(1e-6).run()
    at.select_slider(key="conventions.lr").set_value(0.01).run()
    at.number_input(key="conventions.steps").set_value(100).run()
    at.selectbox(key="conventions.reference").set_value("PyTorch").run()
    at.selectbox(key="conventions.objective").set_value("bowl").run()
    rows = at.table[0].value.to_dict("records")
    assert rows[1]["final distance from PyTorch"] == "0"
    # with gradients a millionth as large, eps inside the root dominates: Keras moves far less
    bowl = scaled(get_objective("bowl"), 1e-6)
    keras = optimize(CONVENTIONS["Keras 3"].optimizer(0.01), bowl, bowl.start, 100).points
    torch = optimize(CONVENTIONS["PyTorch"].optimizer(0.01), bowl, bowl.start, 100).points
    assert math.dist(keras[0], keras[-1]) < 0.5 * math.dist(torch[0], torch[-1])
    assert not at.exception


def test_conventions_formula_writes_the_scale_as_a_power_of_ten():
    at = fresh_app()
    for name in list(at.query_params):
        del at.query_params[name]
    at.query_params["scale"] = "1e-06"  # a link into the page
    at.switch_page("pages/conventions.py").run()
    assert "10^{-6} \\times" in at.latex[0].value and "e-06" not in at.latex[0].value
