"""Engine pieces of the Learn pages: update anatomy and the space mission."""

from __future__ import annotations

import numpy as np
import pytest

from rmsprop_core import SGD, Momentum, RMSProp, get_objective, optimize
from rmsprop_core.anatomy import update_anatomy
from rmsprop_core.mission import MISSION_PRESETS, Hazard, Mission, flight_report, mission_domain, mission_objective


def test_anatomy_first_two_updates_by_hand_on_the_ellipse():
    # f = x^2 + 10 y^2, g = (2x, 20y), from (-5, 2), lr 0.1, rho 0.9, eps 1e-6
    trajectory = optimize(RMSProp(lr=0.1, rho=0.9, eps=1e-6), get_objective("ellipse"), (-5.0, 2.0), 5)
    first = update_anatomy(trajectory, 1)
    g1 = np.array([-10.0, 40.0])
    s1 = 0.1 * g1**2
    u1 = 0.1 * g1 / (np.sqrt(s1) + 1e-6)
    np.testing.assert_allclose(first.grad, g1)
    np.testing.assert_allclose(first.s_prev, [0.0, 0.0])
    np.testing.assert_allclose(first.s, [10.0, 160.0], rtol=1e-15)
    np.testing.assert_allclose(first.denominator, np.sqrt(s1) + 1e-6, rtol=1e-12)
    np.testing.assert_allclose(first.update, u1, rtol=1e-12)
    np.testing.assert_allclose(first.sgd_step, [-1.0, 4.0])
    # the point: equal-sized steps although the gradients differ fourfold
    np.testing.assert_allclose(np.abs(first.update), [0.316227766, 0.316227766], rtol=1e-6)

    second = update_anatomy(trajectory, 2)
    w1 = np.array([-5.0, 2.0]) - u1
    g2 = np.array([2 * w1[0], 20 * w1[1]])
    s2 = 0.9 * s1 + 0.1 * g2**2
    np.testing.assert_allclose(second.point, w1, rtol=1e-15)
    np.testing.assert_allclose(second.grad, g2, rtol=1e-14)
    np.testing.assert_allclose(second.s_prev, s1, rtol=1e-15)
    np.testing.assert_allclose(second.s, s2, rtol=1e-14)
    np.testing.assert_allclose(second.update, 0.1 * g2 / (np.sqrt(s2) + 1e-6), rtol=1e-12)
    np.testing.assert_allclose(second.next_point, w1 - 0.1 * g2 / (np.sqrt(s2) + 1e-6), rtol=1e-14)


def test_anatomy_refuses_what_it_cannot_take_apart():
    bowl = get_objective("bowl")
    with pytest.raises(ValueError, match="plain RMSProp"):
        update_anatomy(optimize(SGD(lr=0.1), bowl, (1.0, 1.0), 3), 1)
    with pytest.raises(ValueError, match="plain RMSProp"):
        update_anatomy(optimize(RMSProp(momentum=0.5), bowl, (1.0, 1.0), 3), 1)
    with pytest.raises(ValueError, match="between 1 and 3"):
        update_anatomy(optimize(RMSProp(), bowl, (1.0, 1.0), 3), 4)


def test_mission_objective_gradient_and_minimum():
    mission = MISSION_PRESETS["asteroid field"]
    objective = mission_objective(mission)
    rng = np.random.default_rng(3)
    (xmin, xmax), (ymin, ymax) = objective.domain
    x, y = rng.uniform(xmin, xmax, 300), rng.uniform(ymin, ymax, 300)
    h = 1e-6
    gx, gy = objective.grad(x, y)
    np.testing.assert_allclose(gx, (objective.f(x + h, y) - objective.f(x - h, y)) / (2 * h), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(gy, (objective.f(x, y + h) - objective.f(x, y - h)) / (2 * h), rtol=1e-5, atol=1e-5)
    empty = mission_objective(Mission(ship=(0.0, 0.0), station=(1.5, -2.0)))
    assert empty.f(1.5, -2.0) == 0.0 and empty.grad(1.5, -2.0) == (0.0, 0.0)


def test_mission_domain_is_a_square_around_everything():
    mission = MISSION_PRESETS["asteroid field"]
    (xmin, xmax), (ymin, ymax) = mission_domain(mission)
    assert xmax - xmin == pytest.approx(ymax - ymin)
    for x, y in (mission.ship, mission.station, *(h.centre for h in mission.hazards)):
        assert xmin < x < xmax and ymin < y < ymax


def independent_report(points, mission):
    """Docking step and fuel computed directly from the definition, for comparison."""
    distances = np.linalg.norm(points - np.array(mission.station), axis=1)
    docked = int(np.argmax(distances <= mission.docking_radius)) if (distances <= mission.docking_radius).any() else -1
    end = docked if docked >= 0 else len(points) - 1
    fuel = sum(float(np.hypot(*(points[i + 1] - points[i]))) for i in range(end))
    return docked, fuel


def test_flight_reports_for_the_asteroid_field_preset():
    mission = MISSION_PRESETS["asteroid field"]
    objective = mission_objective(mission)
    sgd = optimize(SGD(lr=0.05), objective, mission.ship, 500).points
    report = flight_report(sgd, mission)
    docked, fuel = independent_report(sgd, mission)
    assert report.docked and report.docked_at_step == docked == 60
    assert report.steps_taken == 60
    assert report.fuel_used == pytest.approx(fuel, rel=1e-12)
    assert report.fuel_used == pytest.approx(11.971441947, rel=1e-9)
    assert not report.crashed and report.closest_hazard_distance == pytest.approx(1.30698627, rel=1e-6)

    momentum = optimize(Momentum(lr=0.01), objective, mission.ship, 500).points
    crash = flight_report(momentum, mission)
    assert crash.crashed and not crash.docked and crash.crashed_at_step == 8 and crash.steps_taken == 8
    hazard_distances = [np.hypot(*(momentum[8] - np.array(h.centre))) for h in mission.hazards]
    assert min(hazard_distances) <= mission.hazards[int(np.argmin(hazard_distances))].core_radius
    assert crash.closest_hazard_distance == pytest.approx(min(hazard_distances))


def test_flight_report_without_hazards_and_after_divergence():
    mission = Mission(ship=(0.0, 0.0), station=(3.0, 4.0))
    points = np.array([[0.0, 0.0], [3.0, 4.0], [np.nan, np.nan]])
    report = flight_report(points, mission)
    assert report.docked and report.docked_at_step == 1 and report.fuel_used == pytest.approx(5.0)
    assert report.closest_hazard_distance == float("inf") and not report.crashed
    lost = flight_report(np.array([[0.0, 0.0], [1.0, 0.0], [np.nan, np.nan]]), mission)
    assert not lost.docked and lost.steps_taken == 1 and lost.fuel_used == pytest.approx(1.0)


def test_mission_validation():
    with pytest.raises(ValueError, match="docking_radius"):
        Mission(ship=(0, 0), station=(1, 1), docking_radius=0)
    with pytest.raises(ValueError, match="width"):
        Mission(ship=(0, 0), station=(1, 1), hazards=(Hazard((0, 0), width=0),))
