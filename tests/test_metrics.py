"""What the app reports about a run, at the edges of floating point: no warning, honest numbers."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from rmsprop_core import OBJECTIVES, RMSProp, get_objective, optimize
from rmsprop_core.metrics import distance_to_nearest_minimum, summarize


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
