"""Each optimizer's first two steps, computed by hand, and every RMSProp option."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from rmsprop_core import SGD, Adagrad, Adam, Momentum, Objective, RMSProp, get_objective, optimize

# A linear objective has a constant gradient, which keeps the hand computations short:
# f(x, y) = 3x - 4y has gradient (3, -4) everywhere.
LINEAR = Objective(
    "linear",
    "linear",
    lambda x, y: 3.0 * x - 4.0 * y,
    lambda x, y: (3.0 + 0 * x, -4.0 + 0 * y),
    ((-1e9, 1e9), (-1e9, 1e9)),
    (0.0, 0.0),
    "3x - 4y",
)
G = np.array([3.0, -4.0])


def first_two_steps(optimizer, objective=LINEAR, start=(1.0, 2.0)):
    return optimize(optimizer, objective, start, 2).points


def test_sgd_by_hand():
    points = first_two_steps(SGD(lr=0.1))
    np.testing.assert_allclose(points[1], [1.0 - 0.3, 2.0 + 0.4], rtol=1e-15)
    np.testing.assert_allclose(points[2], [1.0 - 0.6, 2.0 + 0.8], rtol=1e-15)


def test_momentum_by_hand_pytorch_convention():
    points = first_two_steps(Momentum(lr=0.1, momentum=0.9))
    # v1 = g, v2 = 0.9 g + g = 1.9 g
    np.testing.assert_allclose(points[1], np.array([1.0, 2.0]) - 0.1 * G, rtol=1e-15)
    np.testing.assert_allclose(points[2], points[1] - 0.1 * 1.9 * G, rtol=1e-15)


def test_nesterov_by_hand():
    points = first_two_steps(Momentum(lr=0.1, momentum=0.9, nesterov=True))
    # step 1: v = g, w -= lr (g + 0.9 g); step 2: v = 1.9 g, w -= lr (g + 0.9 * 1.9 g)
    np.testing.assert_allclose(points[1], np.array([1.0, 2.0]) - 0.1 * 1.9 * G, rtol=1e-15)
    np.testing.assert_allclose(points[2], points[1] - 0.1 * 2.71 * G, rtol=1e-14)


def test_rmsprop_plain_by_hand():
    lr, rho, eps = 0.01, 0.9, 1e-6
    points = first_two_steps(RMSProp(lr=lr, rho=rho, eps=eps))
    s1 = 0.1 * G**2
    s2 = 0.9 * s1 + 0.1 * G**2
    np.testing.assert_allclose(points[1], np.array([1.0, 2.0]) - lr * G / (np.sqrt(s1) + eps), rtol=1e-15)
    np.testing.assert_allclose(points[2], points[1] - lr * G / (np.sqrt(s2) + eps), rtol=1e-15)
    # the first step is lr / sqrt(1 - rho) in each coordinate, whatever the gradient's size
    np.testing.assert_allclose(np.abs(points[1] - points[0]), lr / math.sqrt(0.1), rtol=1e-5)


def test_rmsprop_eps_in_sqrt_by_hand():
    points = first_two_steps(RMSProp(lr=0.01, rho=0.9, eps=0.5, eps_in_sqrt=True))
    s1 = 0.1 * G**2
    np.testing.assert_allclose(points[1], np.array([1.0, 2.0]) - 0.01 * G / np.sqrt(s1 + 0.5), rtol=1e-15)


def test_rmsprop_initial_accumulator_tensorflow1():
    points = first_two_steps(RMSProp(lr=0.01, rho=0.9, eps=1e-10, eps_in_sqrt=True, initial_accumulator=1.0))
    s1 = 0.9 * 1.0 + 0.1 * G**2
    s2 = 0.9 * s1 + 0.1 * G**2
    np.testing.assert_allclose(points[1], np.array([1.0, 2.0]) - 0.01 * G / np.sqrt(s1 + 1e-10), rtol=1e-15)
    np.testing.assert_allclose(points[2], points[1] - 0.01 * G / np.sqrt(s2 + 1e-10), rtol=1e-15)


def test_rmsprop_centered_by_hand():
    # a varying gradient, so that the centred variance is not zero: f = x^2 + y^2 from (1, 2)
    bowl = Objective("b", "b", lambda x, y: x * x + y * y, lambda x, y: (2 * x, 2 * y), ((-9, 9), (-9, 9)), (0, 0), "")
    lr, rho, eps = 0.1, 0.5, 1e-3
    points = optimize(RMSProp(lr=lr, rho=rho, eps=eps, centered=True), bowl, (1.0, 2.0), 2).points
    w0 = np.array([1.0, 2.0])
    g1 = 2 * w0
    s1, m1 = 0.5 * g1**2, 0.5 * g1
    w1 = w0 - lr * g1 / (np.sqrt(s1 - m1**2) + eps)
    g2 = 2 * w1
    s2, m2 = 0.5 * s1 + 0.5 * g2**2, 0.5 * m1 + 0.5 * g2
    w2 = w1 - lr * g2 / (np.sqrt(s2 - m2**2) + eps)
    np.testing.assert_allclose(points[1], w1, rtol=1e-13)
    np.testing.assert_allclose(points[2], w2, rtol=1e-13)


def test_rmsprop_momentum_by_hand():
    lr, rho, eps, mu = 0.01, 0.9, 1e-6, 0.5
    points = first_two_steps(RMSProp(lr=lr, rho=rho, eps=eps, momentum=mu))
    s1 = 0.1 * G**2
    s2 = 0.9 * s1 + 0.1 * G**2
    b1 = G / (np.sqrt(s1) + eps)
    b2 = mu * b1 + G / (np.sqrt(s2) + eps)
    np.testing.assert_allclose(points[1], np.array([1.0, 2.0]) - lr * b1, rtol=1e-15)
    np.testing.assert_allclose(points[2], points[1] - lr * b2, rtol=1e-15)


def test_rmsprop_centered_with_momentum_and_eps_in_sqrt_runs_together():
    trajectory = optimize(
        RMSProp(lr=0.01, rho=0.9, eps=1e-8, momentum=0.9, centered=True, eps_in_sqrt=True),
        LINEAR,
        (0.0, 0.0),
        50,
    )
    assert np.isfinite(trajectory.points).all()
    assert set(trajectory.state) == {"s", "step_size", "m", "b"}


def test_adam_by_hand_with_bias_correction():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    points = first_two_steps(Adam(lr=lr, beta1=b1, beta2=b2, eps=eps))
    m1, v1 = 0.1 * G, 0.001 * G**2
    step1 = lr / (1 - b1) * m1 / (np.sqrt(v1) / np.sqrt(1 - b2) + eps)
    m2, v2 = b1 * m1 + 0.1 * G, b2 * v1 + 0.001 * G**2
    step2 = lr / (1 - b1**2) * m2 / (np.sqrt(v2) / np.sqrt(1 - b2**2) + eps)
    np.testing.assert_allclose(points[1], np.array([1.0, 2.0]) - step1, rtol=1e-14)
    np.testing.assert_allclose(points[2], points[1] - step2, rtol=1e-14)
    # Adam's first step is lr * sign(g) (up to eps)
    np.testing.assert_allclose(points[1], np.array([1.0, 2.0]) - lr * np.sign(G), rtol=1e-7)


def test_rmsprop_state_records_s_and_effective_step_size():
    lr, rho, eps = 0.01, 0.9, 1e-6
    trajectory = optimize(RMSProp(lr=lr, rho=rho, eps=eps), LINEAR, (0.0, 0.0), 3)
    s = trajectory.state["s"]
    np.testing.assert_allclose(s[0], [0.0, 0.0])
    np.testing.assert_allclose(s[1], 0.1 * G**2, rtol=1e-15)
    np.testing.assert_allclose(s[2], 0.19 * G**2, rtol=1e-15)
    np.testing.assert_allclose(trajectory.state["step_size"][1:], lr / (np.sqrt(s[1:]) + eps), rtol=1e-15)
    # the step actually taken is step_size * g for plain RMSProp
    moves = trajectory.points[:-1] - trajectory.points[1:]
    np.testing.assert_allclose(moves, trajectory.state["step_size"][1:] * G, rtol=1e-15)


def test_momentum_and_adam_state():
    momentum = optimize(Momentum(lr=0.1, momentum=0.5), LINEAR, (0.0, 0.0), 2)
    np.testing.assert_allclose(momentum.state["b"][1:], [G, 1.5 * G])
    adam = optimize(Adam(), LINEAR, (0.0, 0.0), 1)
    np.testing.assert_allclose(adam.state["m"][1], 0.1 * G)
    np.testing.assert_allclose(adam.state["s"][1], 0.001 * G**2)
    assert optimize(SGD(lr=0.1), LINEAR, (0.0, 0.0), 2).state == {}


@pytest.mark.parametrize(
    "spec",
    [RMSProp(lr=0.1, eps=0.0), Adam(lr=0.1, eps=0.0), RMSProp(lr=0.1, eps=0.0, centered=True), Adagrad(eps=0.0)],
)
def test_eps_zero_with_zero_gradient_makes_no_move(spec):
    flat = Objective("flat", "flat", lambda x, y: 0 * x, lambda x, y: (0 * x, 0 * y), ((-1, 1), (-1, 1)), (0, 0), "0")
    trajectory = optimize(spec, flat, (0.25, -0.5), 5)
    assert trajectory.points.tolist() == [[0.25, -0.5]] * 6
    assert (trajectory.diverged_at == -1).all()


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: SGD(lr=-0.1), r"lr must be in \[0, inf\), got -0.1"),
        (lambda: SGD(lr=float("nan")), "lr must be in"),
        (lambda: SGD(lr=float("inf")), "lr must be in"),
        (lambda: RMSProp(rho=1.5), r"rho must be in \[0, 1\], got 1.5"),
        (lambda: RMSProp(rho=-0.01), "rho must be in"),
        (lambda: RMSProp(eps=-1e-8), "eps must be in"),
        (lambda: RMSProp(momentum=1.0), r"momentum must be in \[0, 1\)"),
        (lambda: RMSProp(initial_accumulator=-1), "initial_accumulator must be in"),
        (lambda: Momentum(momentum=-0.5), "momentum must be in"),
        (lambda: Momentum(momentum=1.0), "momentum must be in"),
        (lambda: Adam(beta1=1.0), r"beta1 must be in \[0, 1\)"),
        (lambda: Adam(beta2=2), "beta2 must be in"),
        (lambda: Adam(beta2=1.0), r"beta2 must be in \[0, 1\)"),  # 1 - beta2^t would be 0: a division by 0
        (lambda: Adam(beta2=np.array([0.9, 1.0])), "beta2 must be in .* containing 1"),
        (lambda: Momentum(lr=-1.0), "lr must be in"),
        (lambda: Adam(lr=-1.0), "lr must be in"),
        (lambda: Adam(beta1=-0.1), "beta1 must be in"),
        (lambda: RMSProp(rho=float("nan")), "rho must be in"),
        (lambda: Adam(eps=float("nan")), "eps must be in"),
        (lambda: RMSProp(lr=np.array([0.1, -2.0])), "lr must be in .* containing -2"),
        (lambda: RMSProp(lr="fast"), "lr must be a number"),
        (lambda: Adagrad(lr=-1.0), "lr must be in"),
        (lambda: Adagrad(eps=-1e-10), "eps must be in"),
        (lambda: Adagrad(initial_accumulator=float("inf")), "initial_accumulator must be in"),
    ],
)
def test_invalid_hyperparameters_name_parameter_and_range(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()


def test_boundary_values_are_valid():
    RMSProp(rho=0.0)
    RMSProp(rho=1.0)
    RMSProp(eps=0.0, lr=0.0)
    Momentum(momentum=0.0)
    Adam(beta1=0.0, beta2=0.0)


def test_labels_and_hyperparameters():
    assert Momentum(nesterov=True).label == "Nesterov"
    assert RMSProp().hyperparameters() == {
        "lr": 0.01,
        "rho": 0.9,
        "eps": 1e-6,
        "momentum": 0.0,
        "centered": False,
        "eps_in_sqrt": False,
        "initial_accumulator": 0.0,
    }


def test_adagrad_by_hand_pytorch_convention():
    """s1 = g², s2 = 2 g²; each step is lr · (g / (√s + ε)), divided first as torch's addcdiv."""
    lr, eps = 0.1, 1e-10
    points = first_two_steps(Adagrad(lr=lr, eps=eps))
    step1 = lr * (G / (np.sqrt(G * G) + eps))
    step2 = lr * (G / (np.sqrt(G * G + G * G) + eps))
    np.testing.assert_array_equal(points[1], np.array([1.0, 2.0]) - step1)
    np.testing.assert_array_equal(points[2], points[1] - step2)
    # the steps shrink as 1 / √t for ever: Adagrad's sum never forgets
    assert np.allclose(step2, step1 / math.sqrt(2))


def test_adagrad_state_and_initial_accumulator():
    trajectory = optimize(Adagrad(lr=0.5, eps=0.0, initial_accumulator=16.0), LINEAR, (0.0, 0.0), 2)
    s = trajectory.state["s"]
    np.testing.assert_array_equal(s[0], [16.0, 16.0])
    np.testing.assert_array_equal(s[1], [25.0, 32.0])
    np.testing.assert_array_equal(s[2], [34.0, 48.0])
    np.testing.assert_array_equal(trajectory.state["step_size"][1], 0.5 / np.sqrt([25.0, 32.0]))
    np.testing.assert_array_equal(trajectory.points[1], -0.5 * (G / np.sqrt([25.0, 32.0])))


def test_adagrad_broadcasts_over_a_batch_of_learning_rates():
    lrs = np.array([[0.01, 0.1, 1.0]])
    starts = np.zeros((2, 3, 2))
    batch = optimize(Adagrad(lr=lrs), LINEAR, starts, 5)
    assert batch.points.shape == (6, 2, 3, 2)
    for column, lr in enumerate(lrs[0]):
        single = optimize(Adagrad(lr=float(lr)), LINEAR, (0.0, 0.0), 5)
        np.testing.assert_array_equal(batch.points[:, 1, column], single.points)


def test_adagrad_steps_die_out_where_rmsprop_keeps_moving():
    """The comparison that shows why RMSProp decays its average: on a constant gradient, after
    many steps Adagrad's step is a small fraction of its first, RMSProp's is not."""
    adagrad = optimize(Adagrad(lr=0.1), LINEAR, (0.0, 0.0), 400).state["step_size"]
    rmsprop = optimize(RMSProp(lr=0.1, rho=0.9), LINEAR, (0.0, 0.0), 400).state["step_size"]
    np.testing.assert_allclose(adagrad[400], adagrad[1] / 20, rtol=1e-9)  # √400 = 20
    np.testing.assert_allclose(rmsprop[400], 0.1 / np.abs(G), rtol=1e-6)  # s → g²: the step stays α / |g|


def test_centered_rmsprop_with_eps_inside_the_root_adds_eps_to_the_variance():
    """One step by hand: s = (1-rho) g^2, m = (1-rho) g, v = s - m^2, d = sqrt(v + eps)."""
    gradient, rho, eps, lr = 3.0, 0.5, 0.25, 0.1
    run = optimize(
        RMSProp(lr=lr, rho=rho, eps=eps, centered=True, eps_in_sqrt=True), linear_slope(gradient), (0.0, 0.0), 1
    )
    s, m = (1 - rho) * gradient**2, (1 - rho) * gradient
    expected_step = lr * gradient / np.sqrt(s - m * m + eps)
    assert run.points[1, 0] == pytest.approx(-expected_step, rel=1e-15)
    assert run.state["step_size"][1, 0] == pytest.approx(lr / np.sqrt(s - m * m + eps), rel=1e-15)


def linear_slope(slope):
    """f = slope * (x + y): the same gradient everywhere."""
    from rmsprop_core import Objective

    return Objective(
        "slope",
        "slope",
        lambda x, y: slope * (x + y),
        lambda x, y: (slope + 0 * x, slope + 0 * y),
        ((-9, 9), (-9, 9)),
        (0, 0),
        "",
    )


def test_step_zero_effective_step_sizes_follow_each_denominator():
    line = linear_slope(1.0)
    adagrad = optimize(Adagrad(lr=0.1, eps=1e-3, initial_accumulator=4.0), line, (0.0, 0.0), 1, record_state=True)
    assert adagrad.state["step_size"][0].tolist() == [0.1 / (2.0 + 1e-3)] * 2
    inside = optimize(RMSProp(lr=0.1, eps=0.25, eps_in_sqrt=True, initial_accumulator=1.0), line, (0, 0), 1)
    assert inside.state["step_size"][0].tolist() == [0.1 / np.sqrt(1.25)] * 2
    outside = optimize(RMSProp(lr=0.1, eps=0.25, initial_accumulator=1.0), line, (0, 0), 1)
    assert outside.state["step_size"][0].tolist() == [0.1 / 1.25] * 2


def test_plain_rmsprop_keeps_no_momentum_buffer():
    assert set(optimize(RMSProp(lr=0.1), linear_slope(1.0), (0.0, 0.0), 2).state) == {"s", "step_size"}
    assert set(optimize(RMSProp(lr=0.1, momentum=0.0), linear_slope(1.0), (0.0, 0.0), 2).state) == {"s", "step_size"}


@pytest.mark.parametrize(
    "spec", [RMSProp(lr=0.1, rho=1.0, eps=0.0), Adagrad(lr=0.1, eps=0.0, initial_accumulator=0.0)], ids=str
)
def test_a_zero_denominator_under_a_nonzero_gradient_is_a_divergence_not_a_rest(spec):
    # rho = 1 keeps s at 0, so with eps = 0 the first step divides g by 0: only 0/0 is taken as 0
    if isinstance(spec, Adagrad):
        objective = Objective(
            "kink", "kink", lambda x, y: x + y, lambda x, y: (1.0 + 0 * x, 0 * y), ((-9, 9), (-9, 9)), (0, 0), ""
        )
        run = optimize(spec, objective, (0.0, 0.0), 3)
        assert np.isfinite(run.points).all()  # Adagrad's s = g^2 > 0 at once; only y, with g = 0, rests (0/0)
        assert run.points[1, 1] == 0.0
    else:
        run = optimize(spec, linear_slope(1.0), (0.0, 0.0), 3)
        assert int(run.diverged_at) == 1


def test_centered_variance_is_clipped_at_zero_when_rounding_makes_it_negative():
    # a constant gradient 0.7 at rho = 0.5 makes s - m^2 round to below 0 at step 54
    run = optimize(RMSProp(lr=1e-3, rho=0.5, eps=1e-8, centered=True), linear_slope(0.7), (0.0, 0.0), 100)
    assert int(run.diverged_at) == -1 and np.isfinite(run.points).all()
    assert np.isfinite(run.state["step_size"]).all()


def test_whole_number_settings_work_like_their_floats():
    line = linear_slope(1.0)
    for whole, real in [
        (
            RMSProp(lr=1, rho=1, eps=1, initial_accumulator=1),
            RMSProp(lr=1.0, rho=1.0, eps=1.0, initial_accumulator=1.0),
        ),
        (Adagrad(lr=1, eps=1, initial_accumulator=2), Adagrad(lr=1.0, eps=1.0, initial_accumulator=2.0)),
        (Adam(lr=1, beta1=0, beta2=0, eps=1), Adam(lr=1.0, beta1=0.0, beta2=0.0, eps=1.0)),
    ]:
        np.testing.assert_array_equal(optimize(whole, line, (0, 0), 3).points, optimize(real, line, (0, 0), 3).points)


def test_a_refused_array_setting_names_its_first_bad_value():
    with pytest.raises(ValueError, match=r"lr must be in \[0, inf\), got an array containing -2$"):
        RMSProp(lr=np.array([0.0, 0.5, -2.0]))
    with pytest.raises(ValueError, match=r"rho must be in \[0, 1\], got an array containing nan$"):
        RMSProp(rho=np.array([0.0, 1.0, np.nan]))


@pytest.mark.parametrize(
    ("spec", "state", "grad", "expected_move"),
    [
        # rho = 1 keeps s at 0: g / 0 is infinite, 0 / 0 is no move
        (RMSProp(lr=0.5, rho=1.0, eps=0.0), {"s": np.zeros(2)}, [2.0, 0.0], [np.inf, 0.0]),
        # g = 0 and s = 0: d = 0 under m = 0.9 (g / 0) and under m = 0 (0 / 0)
        (Adam(lr=0.5, eps=0.0), {"m": np.array([1.0, 0.0]), "s": np.zeros(2)}, [0.0, 0.0], [np.inf, 0.0]),
        # 1e-200 squared underflows to 0, so s stays 0 under a nonzero g
        (Adagrad(lr=0.5, eps=0.0), {"s": np.zeros(2)}, [1e-200, 0.0], [np.inf, 0.0]),
    ],
    ids=["rmsprop", "adam", "adagrad"],
)
def test_the_reference_formula_divides_by_zero_silently(spec, state, grad, expected_move):
    with np.errstate(divide="raise", invalid="raise"):
        move, _ = spec.reference_update(np.array(grad), state, 1)
    assert move.tolist() == expected_move


def test_an_array_of_exact_fractions_runs_as_its_floats():
    fractions = optimize(SGD(lr=[Fraction(1, 10), Fraction(1, 4)]), LINEAR, (0.0, 0.0), 2).points
    floats = optimize(SGD(lr=[0.1, 0.25]), LINEAR, (0.0, 0.0), 2).points
    np.testing.assert_array_equal(fractions, floats)


# built in the test, not at collection, so a mutation test sees the conversion run
@pytest.mark.parametrize(
    ("exact", "as_floats"),
    [
        (lambda: SGD(lr=Decimal("0.25")), SGD(lr=0.25)),
        (lambda: Momentum(lr=Fraction(1, 10), momentum=Fraction(1, 2)), Momentum(lr=0.1, momentum=0.5)),
        (
            lambda: RMSProp(lr=Fraction(1, 100), rho=Fraction(1, 2), eps=Fraction(1, 10**6), momentum=Fraction(1, 4)),
            RMSProp(lr=0.01, rho=0.5, eps=1e-6, momentum=0.25),
        ),
        (
            lambda: Adam(lr=Fraction(1, 10), beta1=Fraction(1, 2), beta2=Fraction(3, 4), eps=Fraction(1, 10**8)),
            Adam(0.1, 0.5, 0.75, 1e-8),
        ),
        (
            lambda: Adagrad(lr=Fraction(1, 10), eps=Fraction(1, 10**10), initial_accumulator=1),
            Adagrad(0.1, 1e-10, 1.0),
        ),
    ],
    ids=["sgd", "momentum", "rmsprop", "adam", "adagrad"],
)
def test_scalar_fractions_and_decimals_are_kept_as_their_floats(exact, as_floats):
    exact = exact()
    assert exact == as_floats
    assert all(type(exact.hyperparameters()[name]) is float for name in exact.numeric_fields)
    start = np.array([[0.5, -0.3], [1.0, 2.0]])
    exact_run = optimize(exact, get_objective("rosenbrock"), start, 20, record_state=True)
    float_run = optimize(as_floats, get_objective("rosenbrock"), start, 20, record_state=True)
    np.testing.assert_array_equal(exact_run.points, float_run.points)


def test_a_momentum_array_always_keeps_the_buffer_and_a_scalar_only_above_zero():
    def state_names(momentum):
        return sorted(optimize(RMSProp(momentum=momentum), get_objective("bowl"), (1.0, 1.0), 2).state)

    assert state_names(np.array([0.0, 0.0])) == state_names(0.5) == ["b", "s", "step_size"]
    assert state_names(0.0) == ["s", "step_size"]
