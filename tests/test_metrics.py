"""Honest metrics: settling versus first touch, escaping a saddle, f* estimated for formulas, and no
warning or dishonest number at the edges of floating point."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from rmsprop_core import OBJECTIVES, SGD, RMSProp, get_objective, optimize, parse_objective
from rmsprop_core.metrics import (
    distance_to_nearest_minimum,
    estimate_minimum,
    finite_points,
    steps_to_escape,
    steps_to_settle,
    steps_to_tolerance,
    summarize,
)
from rmsprop_lab.options import story_defaults

LOSSES = np.array([5.0, 0.5, 0.0005, 0.2, 0.0001, 0.0002])


def test_finite_points_are_those_with_both_coordinates_finite():
    points = np.array([[0.0, 1.0], [np.nan, 1.0], [2.0, np.inf], [-np.inf, np.nan], [1e308, -1e308]])
    assert finite_points(points).tolist() == [True, False, False, False, True]
    batch = points.reshape(5, 1, 2).repeat(3, axis=1)  # (steps, runs, 2): per step and run
    assert finite_points(batch).shape == (5, 3)
    assert finite_points(batch)[:, 2].tolist() == [True, False, False, False, True]


def test_settling_is_the_step_after_which_the_run_stays_within_the_tolerance():
    assert steps_to_tolerance(LOSSES, 0.0, 1e-3) == 2  # the first touch
    assert steps_to_settle(LOSSES, 0.0, 1e-3) == 4  # it left again at step 3
    assert steps_to_settle(LOSSES, 0.0, 1.0) == 1
    assert steps_to_settle(LOSSES, 0.0, 10.0) == 0  # within from the start
    assert steps_to_settle(np.append(LOSSES, 0.5), 0.0, 1e-3) == -1  # ends outside
    assert steps_to_settle(np.append(LOSSES, np.nan), 0.0, 1e-3) == -1  # NaN is outside
    assert steps_to_settle(LOSSES, None, 1e-3) == -1


def test_settling_works_on_batches():
    batch = np.stack([LOSSES, LOSSES[::-1], np.full(6, 1e-9)], axis=1).reshape(6, 3, 1)
    np.testing.assert_array_equal(steps_to_settle(batch, 0.0, 1e-3), [[4], [-1], [0]])


def test_first_touch_is_not_settling_on_himmelblau():
    """The issue's example: RMSProp "reached" the tolerance at step 80 and ended at a loss of 0.08."""
    objective = get_objective("himmelblau")
    story = story_defaults("himmelblau")
    run = optimize(RMSProp(lr=story["rms_lr"]), objective, objective.start, int(story["steps"]))
    summary = summarize(run, objective, 1e-3)
    assert summary.steps_to_tolerance >= 0 and summary.final_loss > 1e-3
    assert summary.steps_to_settle == -1


def test_escaping_the_saddle():
    saddle = get_objective("saddle")
    run = optimize(SGD(lr=0.05), saddle, saddle.start, 150)
    escaped = int(steps_to_escape(run.losses, 1.0))
    assert escaped > 0
    assert run.losses[escaped] <= run.losses[0] - 1.0 < run.losses[escaped - 1]
    assert steps_to_escape(np.array([1.0, 0.5, 0.2]), 1.0) == -1


def test_a_formulas_minimum_is_estimated_on_a_refined_grid():
    estimate, reason = estimate_minimum(parse_objective("(x - 0.3)^2 + 10*(y + 1.7)^2"))
    assert reason == ""
    assert estimate.value == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(estimate.point, (0.3, -1.7), atol=1e-6)


def test_the_estimate_agrees_with_a_known_minimum():
    rosenbrock = get_objective("rosenbrock")
    estimate, _ = estimate_minimum(rosenbrock)
    assert estimate.value == pytest.approx(rosenbrock.min_value, abs=1e-9)
    np.testing.assert_allclose(estimate.point, rosenbrock.minima[0], atol=1e-4)


@pytest.mark.parametrize(
    ("formula", "reason"),
    [("x + y", "edge of the domain"), (None, "undefined everywhere")],
)
def test_no_estimate_where_there_is_no_minimum_to_find(formula, reason):
    from rmsprop_core import Objective

    # parse_objective refuses a formula undefined everywhere, so that case is built by hand
    nowhere = Objective(
        "nowhere",
        "nowhere",
        lambda x, y: np.full(np.broadcast(x, y).shape, np.nan),
        lambda x, y: (x * np.nan, y * np.nan),
        ((-1, 1), (-1, 1)),
        (0.5, 0.5),
        "f = nan",
    )
    estimate, why = estimate_minimum(parse_objective(formula) if formula else nowhere)
    assert estimate is None and reason in why


@pytest.mark.parametrize("name", list(OBJECTIVES))
def test_a_start_at_1e308_is_summarised_without_a_warning(name):
    """Issue 11: the distance to the minimum squared the offsets, and a start at 1e308 leaked an
    overflow RuntimeWarning."""
    objective = get_objective(name)
    run = optimize(RMSProp(lr=0.1), objective, (1e308, -1e308), 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        summary = summarize(run, objective, 1e-3)
    assert summary.diverged_at == 0 and summary.final_point == (1e308, -1e308)
    if objective.minima:
        assert math.isclose(summary.distance_to_minimum, math.hypot(1e308, 1e308), rel_tol=1e-15)


def test_distances_are_exact_near_and_inf_beyond_the_largest_float():
    minima = [(1.0, 2.0), (-3.0, 0.5)]
    points = np.array([[4.0, 6.0], [-3.0, 0.5], [1.7e308, 1.7e308], [np.nan, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        distances = distance_to_nearest_minimum(points, minima)
    assert distances[0] == 5.0 and distances[1] == 0.0
    assert distances[2] == math.inf and math.isnan(distances[3])
