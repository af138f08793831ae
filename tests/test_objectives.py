"""Every catalogue entry: minima, minimum values, domains, gradients."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from rmsprop_core import OBJECTIVES, get_objective
from rmsprop_core.objectives import MAX_CONDITION, VALLEY_START, divide_or_zero, quadratic_valley, scaled

REQUIRED = {
    "bowl",
    "ellipse",
    "rosenbrock",
    "beale",
    "himmelblau",
    "rastrigin",
    "ackley",
    "booth",
    "matyas",
    "six_hump_camel",
    "three_hump_camel",
    "goldstein_price",
    "saddle",
}
# Known global minimum values from the literature, stated here independently of the catalogue.
KNOWN_MINIMUM = {
    "bowl": 0.0,
    "ellipse": 0.0,
    "rosenbrock": 0.0,
    "beale": 0.0,
    "himmelblau": 0.0,
    "rastrigin": 0.0,
    "ackley": 0.0,
    "booth": 0.0,
    "matyas": 0.0,
    "six_hump_camel": -1.0316284534898774,
    "three_hump_camel": 0.0,
    "goldstein_price": 3.0,
    "valley": 0.0,
}
KNOWN_MINIMISERS = {
    "rosenbrock": [(1, 1)],
    "beale": [(3, 0.5)],
    "booth": [(1, 3)],
    "goldstein_price": [(0, -1)],
    "himmelblau": [(3, 2), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)],
    "six_hump_camel": [(0.0898, -0.7126), (-0.0898, 0.7126)],
}

ALL = sorted(OBJECTIVES)


def test_catalogue_has_every_required_function():
    assert set(OBJECTIVES) >= REQUIRED


def test_unknown_name_lists_valid_names():
    with pytest.raises(KeyError, match=r"valid names: .*rosenbrock"):
        get_objective("banana")


@pytest.mark.parametrize("name", ALL)
def test_value_and_gradient_at_each_minimiser(name):
    objective = get_objective(name)
    if name == "saddle":
        assert objective.minima == () and objective.min_value is None
        return
    assert objective.min_value == pytest.approx(KNOWN_MINIMUM[name], abs=1e-12)
    assert objective.minima, "a function with a minimum lists its minimisers"
    for x, y in objective.minima:
        value = objective.f(np.float64(x), np.float64(y))
        assert value == pytest.approx(objective.min_value, abs=1e-12)
        gx, gy = objective.grad(np.float64(x), np.float64(y))
        assert abs(gx) < 1e-9 and abs(gy) < 1e-9


@pytest.mark.parametrize("name", sorted(KNOWN_MINIMISERS))
def test_minimisers_agree_with_the_literature(name):
    listed = np.array(get_objective(name).minima)
    for known in KNOWN_MINIMISERS[name]:
        assert np.min(np.linalg.norm(listed - np.array(known), axis=1)) < 1e-4


@pytest.mark.parametrize("name", ALL)
def test_minimum_is_the_lowest_value_on_a_fine_grid(name):
    objective = get_objective(name)
    if objective.min_value is None:
        return
    (xmin, xmax), (ymin, ymax) = objective.domain
    x, y = np.meshgrid(np.linspace(xmin, xmax, 801), np.linspace(ymin, ymax, 801))
    assert objective.f(x, y).min() >= objective.min_value - 1e-9


@pytest.mark.parametrize("name", ALL)
def test_domain_contains_start_and_minima(name):
    objective = get_objective(name)
    (xmin, xmax), (ymin, ymax) = objective.domain
    assert xmin < xmax and ymin < ymax
    for x, y in (objective.start, *objective.minima):
        assert xmin <= x <= xmax and ymin <= y <= ymax


@pytest.mark.parametrize("name", ALL)
def test_gradient_matches_central_finite_difference(name):
    objective = get_objective(name)
    # crc32, not hash(): str hashes are randomised per process, so the sample points would change every run
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    (xmin, xmax), (ymin, ymax) = objective.domain
    x = rng.uniform(xmin, xmax, 200)
    y = rng.uniform(ymin, ymax, 200)
    h = 1e-6
    numeric_x = (objective.f(x + h, y) - objective.f(x - h, y)) / (2 * h)
    numeric_y = (objective.f(x, y + h) - objective.f(x, y - h)) / (2 * h)
    gx, gy = objective.grad(x, y)
    scale = 1.0 + np.abs(objective.f(x, y))
    np.testing.assert_allclose(gx, numeric_x, rtol=1e-5, atol=1e-6 * scale.max())
    np.testing.assert_allclose(gy, numeric_y, rtol=1e-5, atol=1e-6 * scale.max())


@pytest.mark.parametrize("name", ALL)
def test_functions_accept_any_shape_and_scalars(name):
    objective = get_objective(name)
    grid = np.zeros((3, 4, 5)) + 0.3
    assert np.shape(objective.f(grid, grid)) == (3, 4, 5)
    gx, gy = objective.grad(grid, grid)
    assert np.shape(gx) == np.shape(gy) == (3, 4, 5)
    assert np.isfinite(float(objective.f(0.25, -0.5)))
    assert all(np.isfinite(float(g)) for g in objective.grad(0.25, -0.5))


def test_ackley_gradient_at_its_tip_is_zero_without_warnings():
    gx, gy = get_objective("ackley").grad(np.array([0.0]), np.array([0.0]))
    assert gx[0] == 0.0 and gy[0] == 0.0


def test_latex_and_titles_present():
    for objective in OBJECTIVES.values():
        assert objective.latex.startswith("f(x, y) =") and objective.title and objective.description


def test_the_valley_turns_with_its_angle_and_starts_alike():
    from rmsprop_core.objectives import quadratic_valley

    flat, turned = quadratic_valley(100.0, 0.0), quadratic_valley(100.0, 45.0)
    assert flat.f(*flat.start) == pytest.approx(turned.f(*turned.start), rel=1e-12)
    # along the turned floor the function rises slowly, across it a hundred times faster
    along, across = np.array([1.0, 1.0]) / np.sqrt(2), np.array([-1.0, 1.0]) / np.sqrt(2)
    assert turned.f(*along) == pytest.approx(1.0) and turned.f(*across) == pytest.approx(100.0)
    gx, gy = turned.grad(np.float64(0.3), np.float64(-0.2))
    h = 1e-6
    assert gx == pytest.approx((turned.f(0.3 + h, -0.2) - turned.f(0.3 - h, -0.2)) / (2 * h), rel=1e-6)
    assert gy == pytest.approx((turned.f(0.3, -0.2 + h) - turned.f(0.3, -0.2 - h)) / (2 * h), rel=1e-6)
    with pytest.raises(ValueError, match="condition"):
        quadratic_valley(0.5)
    with pytest.raises(ValueError, match="angle"):
        quadratic_valley(10.0, float("nan"))


def test_a_scaled_objective_scales_value_gradient_and_minimum_and_keeps_the_rest():
    beale = get_objective("beale")
    tenth = scaled(beale, 0.1)
    x, y = np.array([1.0, -2.5]), np.array([0.5, 3.0])
    np.testing.assert_array_equal(tenth.f(x, y), 0.1 * beale.f(x, y))
    for scaled_part, part in zip(tenth.grad(x, y), beale.grad(x, y), strict=True):
        np.testing.assert_array_equal(scaled_part, 0.1 * part)
    assert tenth.min_value == 0.1 * beale.min_value and tenth.minima == beale.minima
    assert (tenth.domain, tenth.start, tenth.name) == (beale.domain, beale.start, beale.name)
    assert tenth.title == f"0.1 × {beale.title}"
    assert (tenth.latex, tenth.description) == (beale.latex, beale.description)
    from rmsprop_core import parse_objective

    assert scaled(parse_objective("x^2 + y"), 2.0).min_value is None  # no known minimum stays unknown
    assert scaled(beale, 1.0) is beale
    for bad in (0.0, -2.0, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="scale factor must be a positive finite number"):
            scaled(beale, bad)


# The catalogue's functions as the literature writes them, independently of rmsprop_core's code.
TEXTBOOK = {
    "bowl": lambda x, y: x**2 + y**2,
    "ellipse": lambda x, y: x**2 + 10 * y**2,
    "rosenbrock": lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
    "beale": lambda x, y: (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2,
    "himmelblau": lambda x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2,
    "rastrigin": lambda x, y: 20 + x**2 - 10 * np.cos(2 * np.pi * x) + y**2 - 10 * np.cos(2 * np.pi * y),
    "ackley": lambda x, y: (
        -20 * np.exp(-0.2 * np.sqrt(0.5 * (x**2 + y**2)))
        - np.exp(0.5 * (np.cos(2 * np.pi * x) + np.cos(2 * np.pi * y)))
        + np.e
        + 20
    ),
    "booth": lambda x, y: (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2,
    "matyas": lambda x, y: 0.26 * (x**2 + y**2) - 0.48 * x * y,
    "six_hump_camel": lambda x, y: (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2,
    "three_hump_camel": lambda x, y: 2 * x**2 - 1.05 * x**4 + x**6 / 6 + x * y + y**2,
    "goldstein_price": lambda x, y: (
        (1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x**2 - 14 * y + 6 * x * y + 3 * y**2))
        * (30 + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x**2 + 48 * y - 36 * x * y + 27 * y**2))
    ),
    "saddle": lambda x, y: x**2 - y**2,
}


@pytest.mark.parametrize("name", sorted(TEXTBOOK))
def test_values_away_from_the_minima_match_the_textbook_formula(name):
    objective = get_objective(name)
    (xmin, xmax), (ymin, ymax) = objective.domain
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    x, y = rng.uniform(xmin, xmax, 25), rng.uniform(ymin, ymax, 25)
    np.testing.assert_allclose(objective.f(x, y), TEXTBOOK[name](x, y), rtol=1e-12, atol=1e-12)


def test_gradients_take_broadcasting_inputs():
    for name in ("rosenbrock", "ackley", "goldstein_price"):
        objective = get_objective(name)
        gx, gy = objective.grad(np.array([0.5, -0.5, 1.0]), 0.25)  # an array and a scalar
        assert gx.shape == gy.shape == (3,), name
        gx, gy = objective.grad(0.25, np.array([[0.5], [-0.5]]))
        assert gx.shape == gy.shape == (2, 1), name
    ackley = get_objective("ackley")
    gx, gy = ackley.grad(np.array([0.0, 1e-3]), np.array([0.0, 0.0]))
    assert gx[0] == 0.0 and gy[0] == 0.0 and gx[1] > 0  # the tip is flat by convention, its slope is not


@pytest.mark.parametrize(("condition", "angle"), [(1.0, 0.0), (100.0, 0.0), (1e4, 30.0), (10.0, -120.0)])
def test_the_valley_is_u2_plus_kappa_v2_in_turned_coordinates(condition, angle):
    valley = quadratic_valley(condition, angle)
    theta = np.deg2rad(angle)
    x, y = np.array([1.0, -2.0, 3.5]), np.array([0.5, 4.0, -1.5])
    u, v = np.cos(theta) * x + np.sin(theta) * y, -np.sin(theta) * x + np.cos(theta) * y
    np.testing.assert_allclose(valley.f(x, y), u**2 + condition * v**2, rtol=1e-12)
    gx, gy = valley.grad(x, y)
    du, dv = 2 * u, 2 * condition * v
    np.testing.assert_allclose(gx, np.cos(theta) * du - np.sin(theta) * dv, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gy, np.sin(theta) * du + np.cos(theta) * dv, rtol=1e-12, atol=1e-12)
    assert valley.name == "valley" and valley.domain == ((-5.0, 5.0), (-5.0, 5.0))
    assert valley.minima == ((0.0, 0.0),) and valley.min_value == 0.0
    assert valley.title == f"Valley (κ = {condition:g}, θ = {angle:g}°)"
    assert valley.extra == {"condition": condition, "angle_degrees": angle}
    assert valley.latex == rf"f(x, y) = u^2 + {condition:g}\,v^2"
    assert f"{condition:g} times steeper" in valley.description
    u0, v0 = VALLEY_START  # the start sits at the same (u, v) however the valley turns
    start_u = np.cos(theta) * valley.start[0] + np.sin(theta) * valley.start[1]
    start_v = -np.sin(theta) * valley.start[0] + np.cos(theta) * valley.start[1]
    assert (start_u, start_v) == pytest.approx((u0, v0), abs=1e-12)


def test_the_valley_refuses_what_is_not_a_valley():
    quadratic_valley(1.0)  # a round bowl is the smallest condition
    quadratic_valley(MAX_CONDITION)
    for bad in (0.5, MAX_CONDITION * 1.01, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="condition must be in"):
            quadratic_valley(bad)
    with pytest.raises(ValueError, match="angle_degrees must be a finite number"):
        quadratic_valley(10.0, float("nan"))


def test_divide_or_zero_writes_zero_wherever_the_denominator_is_not_positive():
    numerator = np.ones(64)
    denominator = np.where(np.arange(64) % 2 == 0, 0.0, 2.0)
    denominator[2] = -1.0
    leftover = np.full(64, 7.0)  # freed just before the call: a result left unwritten would show its 7s
    del leftover
    result = divide_or_zero(numerator, denominator)
    assert result[::2].tolist() == [0.0] * 32
    assert result[1::2].tolist() == [0.5] * 32


def test_the_default_valley_is_kappa_100_along_the_x_axis():
    valley = quadratic_valley()
    assert valley.extra == {"condition": 100.0, "angle_degrees": 0.0}
    assert valley.title == "Valley (κ = 100, θ = 0°)"
    assert valley.start == VALLEY_START


def test_an_unknown_name_lists_every_valid_name_comma_separated():
    with pytest.raises(KeyError) as raised:
        get_objective("nope")
    assert raised.value.args[0] == "unknown objective 'nope'; valid names: " + ", ".join(sorted(OBJECTIVES))
