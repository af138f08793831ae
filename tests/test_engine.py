"""optimize(): batch shapes, broadcasting, divergence, properties."""

from __future__ import annotations

import math
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rmsprop_core import SGD, Adam, Momentum, Objective, RMSProp, get_objective, optimize, sweep_outcomes
from rmsprop_core.metrics import steps_to_tolerance, summarize

ROSENBROCK = get_objective("rosenbrock")


def test_single_start_shapes():
    trajectory = optimize(RMSProp(lr=0.01), ROSENBROCK, (-1.5, 2.0), 10)
    assert trajectory.points.shape == (11, 2)
    assert trajectory.losses.shape == (11,)
    assert trajectory.grads.shape == (11, 2)
    assert trajectory.state["s"].shape == (11, 2)
    assert trajectory.diverged_at.shape == () and int(trajectory.diverged_at) == -1
    assert trajectory.points[0].tolist() == [-1.5, 2.0]
    assert trajectory.losses[0] == pytest.approx(12.5)
    assert trajectory.grads[0].tolist() == [-155.0, -50.0]


def test_batch_of_starts_matches_single_runs():
    starts = np.array([[-1.5, 2.0], [0.0, 0.0], [1.5, -0.5]])
    batch = optimize(RMSProp(lr=0.01), ROSENBROCK, starts, 30)
    assert batch.points.shape == (31, 3, 2)
    for i, start in enumerate(starts):
        single = optimize(RMSProp(lr=0.01), ROSENBROCK, start, 30)
        np.testing.assert_array_equal(batch.points[:, i], single.points)
        np.testing.assert_array_equal(batch.state["step_size"][:, i], single.state["step_size"])


def test_grid_sweep_broadcasts_hyperparameters():
    learning_rates = np.array([1e-3, 1e-2, 3e-2])
    rhos = np.array([0.5, 0.9, 0.99, 0.999])
    spec = RMSProp(lr=learning_rates[:, None], rho=rhos[None, :])
    sweep = optimize(spec, ROSENBROCK, (-1.5, 2.0), 25)  # a scalar start broadcasts too
    assert sweep.points.shape == (26, 3, 4, 2)
    assert sweep.diverged_at.shape == (3, 4)
    for i, lr in enumerate(learning_rates):
        for j, rho in enumerate(rhos):
            single = optimize(RMSProp(lr=lr, rho=rho), ROSENBROCK, (-1.5, 2.0), 25)
            np.testing.assert_array_equal(sweep.points[:, i, j], single.points)
            np.testing.assert_array_equal(sweep.losses[:, i, j], single.losses)


def test_grid_of_starts_with_per_row_hyperparameters():
    starts = np.zeros((4, 5, 2)) + np.array([-1.0, 1.0])
    sweep = optimize(Momentum(lr=np.full((4, 1), 1e-3), momentum=np.linspace(0, 0.9, 5)), ROSENBROCK, starts, 5)
    assert sweep.points.shape == (6, 4, 5, 2)


def test_incompatible_shapes_and_bad_start_are_refused():
    with pytest.raises(ValueError):
        optimize(RMSProp(lr=np.ones(3)), ROSENBROCK, np.zeros((4, 2)), 5)
    with pytest.raises(ValueError, match="start must have shape"):
        optimize(SGD(lr=0.1), ROSENBROCK, (1.0, 2.0, 3.0), 5)
    with pytest.raises(ValueError, match="steps"):
        optimize(SGD(lr=0.1), ROSENBROCK, (1.0, 2.0), -1)
    with pytest.raises(ValueError, match="steps"):
        optimize(SGD(lr=0.1), ROSENBROCK, (1.0, 2.0), 2.5)


def test_zero_steps():
    trajectory = optimize(Adam(), ROSENBROCK, (0.5, 0.5), 0)
    assert trajectory.points.tolist() == [[0.5, 0.5]]
    assert int(trajectory.diverged_at) == -1


@pytest.mark.parametrize("spec", [SGD(lr=10.0), Momentum(lr=10.0), Momentum(lr=10.0, nesterov=True)])
def test_divergence_is_flagged_without_warnings(spec):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trajectory = optimize(spec, ROSENBROCK, (-1.5, 2.0), 200)
        diverged = int(trajectory.diverged_at)
        losses, grads, state = trajectory.losses, trajectory.grads, trajectory.state
    assert 0 < diverged < 10
    assert np.isfinite(trajectory.points[:diverged]).all()
    assert np.isnan(trajectory.points[diverged + 1 :]).all()
    assert np.isnan(losses[diverged + 1 :]).all() and np.isnan(grads[diverged + 1 :]).all()
    for values in state.values():
        assert np.isnan(values[diverged + 1 :]).all()


def test_rmsprop_at_lr_10_stays_bounded_instead_of_diverging():
    # its step is at most lr / sqrt(1 - rho) per coordinate, so it wanders but cannot blow up
    trajectory = optimize(RMSProp(lr=10.0), ROSENBROCK, (-1.5, 2.0), 500)
    assert int(trajectory.diverged_at) == -1
    assert np.abs(np.diff(trajectory.points, axis=0)).max() <= 10.0 / math.sqrt(0.1) * (1 + 1e-12)


def test_divergence_in_a_batch_freezes_only_the_diverged_elements():
    spec = SGD(lr=np.array([1e-3, 10.0, 1e-4]))
    trajectory = optimize(spec, ROSENBROCK, (-1.5, 2.0), 100)
    assert trajectory.diverged_at[0] == -1 and trajectory.diverged_at[2] == -1
    assert trajectory.diverged_at[1] > 0
    assert np.isfinite(trajectory.points[:, [0, 2]]).all()


def test_divergence_exact_step_matches_a_per_step_check():
    # SGD on the bowl with lr = 1.5 multiplies w by -2 each step: it leaves the 1e6-spans box
    # (half-width 1.2e7 for the bowl's 12-wide domain) at a step we can compute by hand
    trajectory = optimize(SGD(lr=1.5), get_objective("bowl"), (1.0, 0.0), 60)
    first_outside = next(t for t in range(61) if 2.0**t > 1.2e7)
    assert int(trajectory.diverged_at) == first_outside


def test_start_outside_or_non_finite_is_flagged_at_step_zero():
    trajectory = optimize(SGD(lr=0.1), ROSENBROCK, (np.nan, 0.0), 5)
    assert int(trajectory.diverged_at) == 0
    assert np.isnan(trajectory.points[1:]).all()


def test_non_finite_loss_at_a_finite_point_counts_as_divergence():
    # f is undefined (NaN) for x < 0 while its gradient is finite there: the run must still stop
    half_plane = Objective(
        "half",
        "half",
        lambda x, y: np.where(x >= 0, x + y * y, np.nan),
        lambda x, y: (1.0 + 0 * x, 2 * y),
        ((-5, 5), (-5, 5)),
        (1, 1),
        "",
    )
    trajectory = optimize(SGD(lr=0.3), half_plane, (1.0, 1.0), 10)
    # issue 13: points read before diverged_at were rewritten by reading it; they are final at once
    points_first = trajectory.points
    assert np.isnan(points_first[5:]).all()
    assert int(trajectory.diverged_at) == 4  # x: 1, 0.7, 0.4, 0.1, -0.2
    assert np.isnan(trajectory.points[5:]).all()
    assert np.isnan(trajectory.losses[4:]).all()


#: f = exp(x) + y², whose x gradient squares past the largest float for x > 355
EXP_X = Objective(
    "exp",
    "exp(x) + y²",
    lambda x, y: np.exp(x) + y * y,
    lambda x, y: (np.exp(x), 2.0 * y),
    ((-500.0, 500.0), (-500.0, 500.0)),
    (400.0, 1.0),
    "",
)


@pytest.mark.parametrize(
    ("spec", "accumulator", "y_after_one_step"),
    [
        # y's step: lr g / (sqrt((1 - rho) g²) + eps), with g = 2
        (RMSProp(lr=0.1, rho=0.9, eps=1e-6), "s", 1.0 - 0.1 * 2.0 / (math.sqrt(4.0 * (1.0 - 0.9)) + 1e-6)),
        # Adam's first step: lr m̂ / (sqrt(ŝ) + eps) with m̂ = g, ŝ = g²
        (Adam(lr=0.05, eps=1e-8), "s", 1.0 - 0.05 * 2.0 / (2.0 + 1e-8)),
    ],
)
def test_an_overflowing_squared_gradient_is_divergence(spec, accumulator, y_after_one_step):
    """Issue 11: from x = 400, exp(x)² overflows, the running average of g² is infinite, and the x
    step is 0: the run stopped at f = 5.22e+173 and was reported as not diverged."""
    run = optimize(spec, EXP_X, (400.0, 1.0), 20)
    assert int(run.diverged_at) == 1
    assert run.state[accumulator][1, 0] == math.inf and np.isfinite(run.state[accumulator][1, 1])
    assert run.points[1, 1] == y_after_one_step  # the update itself is as it was: y moved as usual
    assert np.isnan(run.points[1, 0]) and np.isnan(run.points[2:]).all()
    summary = summarize(run, EXP_X, 1e-3)
    assert summary.diverged_at == 1 and math.isnan(summary.final_loss)
    assert summary.final_point == (400.0, 1.0)  # the last point before the overflow


def test_an_overflow_later_in_a_run_is_dated_to_its_step():
    # f = -exp(x): RMSProp's first step is lr / sqrt(1 - rho) uphill in x, from 353 to 356.16,
    # where the next gradient squares to infinity
    rising = Objective(
        "rise", "-exp(x)", lambda x, y: -np.exp(x), lambda x, y: (-np.exp(x), 0.0 * y), EXP_X.domain, (353.0, 0.0), ""
    )
    gradient = -math.exp(353.0)
    x_after_one_step = 353.0 - (1.0 * gradient) / (math.sqrt(0.0 + gradient * gradient * (1.0 - 0.9)) + 1e-6)
    assert math.exp(x_after_one_step) > math.sqrt(sys.float_info.max)  # its square overflows
    run = optimize(RMSProp(lr=1.0, rho=0.9, eps=1e-6), rising, (353.0, 0.0), 30)
    assert int(run.diverged_at) == 2
    assert run.points[1].tolist() == [x_after_one_step, 0.0]
    assert np.isnan(run.points[2:, 0]).all()


def test_a_sweep_dates_an_overflowing_state_like_optimize():
    starts = np.array([[400.0, 1.0], [350.0, 1.0]])  # exp(350)² = 1e304 is still finite
    outcome = sweep_outcomes(RMSProp(lr=0.1), EXP_X, starts, 20, tolerance=1e-3)
    assert outcome.diverged_at.tolist() == [1, -1]
    assert outcome.final_losses[0] == np.exp(400.0) + 1.0
    assert outcome.final_points[0].tolist() == [400.0, 1.0]
    run = optimize(RMSProp(lr=0.1), EXP_X, starts, 20)
    assert run.diverged_at.tolist() == [1, -1]
    assert outcome.final_losses[1] == run.losses[-1, 1]


def test_any_object_with_f_and_grad_works():
    class Plain:
        def f(self, x, y):
            return (x - 1) ** 2 + (y + 2) ** 2

        def grad(self, x, y):
            return 2 * (x - 1), 2 * (y + 2)

    trajectory = optimize(RMSProp(lr=0.05), Plain(), (0.0, 0.0), 400)
    np.testing.assert_allclose(trajectory.points[-1], [1.0, -2.0], atol=1e-3)
    assert int(optimize(SGD(lr=5.0), Plain(), (0.0, 0.0), 100).diverged_at) > 0


# --- properties -----------------------------------------------------------------------------

# Coordinates either 0 or above 1e-100 in size: nearer 0, gradients square into subnormal numbers,
# whose square roots lose precision, so g / sqrt(g^2) can exceed 1 by a fraction of a percent
# (float64 arithmetic, the same in PyTorch), and the bound below is about exact arithmetic.
finite_coordinate = st.floats(-3.0, 3.0, allow_nan=False).filter(lambda v: v == 0 or abs(v) > 1e-100)


@settings(max_examples=60, deadline=None)
@given(
    lr=st.floats(1e-6, 10.0),
    rho=st.floats(0.0, 0.999),
    # Not eps ~ 1e-300: a gradient below 1e-154 squares to 0 (underflow), s stays 0 and the step
    # becomes lr * g / eps, as in PyTorch. With eps >= 1e-12 that step is below 1e-140.
    eps=st.one_of(st.just(0.0), st.floats(1e-12, 1.0)),
    start=st.tuples(finite_coordinate, finite_coordinate),
    name=st.sampled_from(["rosenbrock", "beale", "himmelblau", "rastrigin", "goldstein_price", "saddle"]),
)
def test_plain_rmsprop_moves_at_most_lr_over_sqrt_one_minus_rho(lr, rho, eps, start, name):
    # s_t >= (1 - rho) g_t^2, so |lr g / (sqrt(s) + eps)| <= lr / sqrt(1 - rho)
    trajectory = optimize(RMSProp(lr=lr, rho=rho, eps=eps), get_objective(name), start, 30)
    points = trajectory.points
    moves = np.abs(np.diff(points, axis=0))
    # recovering the move as w_t - w_{t+1} rounds by up to an ulp of the larger |w|
    rounding = 2 * np.spacing(np.maximum(np.abs(points[:-1]), np.abs(points[1:])))
    bound = lr / math.sqrt(1.0 - rho) * (1 + 1e-12) + rounding
    finite = np.isfinite(moves)
    assert (moves[finite] <= bound[finite]).all()


@settings(max_examples=40, deadline=None)
@given(
    spec=st.sampled_from([SGD(lr=0.01), Momentum(lr=0.001), RMSProp(lr=0.01, centered=True), Adam(lr=0.05)]),
    scale=st.floats(0.1, 1e3),
)
def test_rmsprop_and_adam_are_invariant_to_gradient_scale_but_sgd_is_not(spec, scale):
    # scaling f scales every gradient; RMSProp and Adam (eps aside) take the same path
    bowl = get_objective("ellipse")
    scaled = Objective(
        "s",
        "s",
        lambda x, y: scale * bowl.f(x, y),
        lambda x, y: tuple(scale * g for g in bowl.grad(x, y)),
        bowl.domain,
        bowl.start,
        "",
    )
    with_eps_zero = spec if isinstance(spec, (SGD, Momentum)) else type(spec)(**{**spec.hyperparameters(), "eps": 0.0})
    original = optimize(with_eps_zero, bowl, (-4.0, 2.0), 20).points
    rescaled = optimize(with_eps_zero, scaled, (-4.0, 2.0), 20).points
    if isinstance(spec, (RMSProp, Adam)):
        np.testing.assert_allclose(rescaled, original, rtol=1e-9, atol=1e-12)
    elif scale > 1.01 or scale < 0.99:
        assert not np.allclose(rescaled, original)


@settings(max_examples=30, deadline=None)
@given(lr=st.floats(0.0, 100.0), start=st.tuples(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6)))
def test_no_warning_or_exception_escapes_any_setting(lr, start):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for spec in (SGD(lr=lr), Momentum(lr=lr), RMSProp(lr=lr), Adam(lr=lr)):
            trajectory = optimize(spec, get_objective("goldstein_price"), start, 40)
            diverged = int(trajectory.diverged_at)
            assert diverged == -1 or np.isnan(trajectory.points[diverged + 1 :]).all()


# --- gradient noise -----------------------------------------------------------------------------


def test_noise_is_reproducible_by_seed_and_zero_noise_changes_nothing():
    ellipse = get_objective("ellipse")
    spec = RMSProp(lr=0.05)
    first = optimize(spec, ellipse, ellipse.start, 80, noise=1.0, seed=3)
    again = optimize(spec, ellipse, ellipse.start, 80, noise=1.0, seed=3)
    other = optimize(spec, ellipse, ellipse.start, 80, noise=1.0, seed=4)
    np.testing.assert_array_equal(first.points, again.points)
    assert not np.array_equal(first.points, other.points)
    quiet = optimize(spec, ellipse, ellipse.start, 80)
    np.testing.assert_array_equal(optimize(spec, ellipse, ellipse.start, 80, noise=0.0, seed=9).points, quiet.points)
    unseeded = optimize(spec, ellipse, ellipse.start, 10, noise=1.0)
    replayed = optimize(spec, ellipse, ellipse.start, 10, noise=1.0, seed=unseeded.seed)
    np.testing.assert_array_equal(unseeded.points, replayed.points)


def test_noise_is_added_to_the_gradient_the_optimizer_sees():
    ellipse = get_objective("ellipse")
    run = optimize(SGD(lr=0.01), ellipse, ellipse.start, 5, noise=0.5, seed=11)
    draws = 0.5 * np.random.default_rng(11).standard_normal((5, 2, 1))[:, :, 0]
    expected = [np.array(ellipse.start, dtype=float)]
    for step in range(5):
        point = expected[-1]
        gradient = np.array(ellipse.grad(point[0], point[1])) + draws[step]
        expected.append(point - 0.01 * gradient)
    np.testing.assert_allclose(run.points, np.array(expected), rtol=1e-14)
    np.testing.assert_array_equal(run.grads[0], ellipse.grad(*ellipse.start))  # grads stay the true gradient


def test_noisy_state_replay_matches_the_moves():
    ellipse = get_objective("ellipse")
    run = optimize(RMSProp(lr=0.05, rho=0.9), ellipse, ellipse.start, 60, noise=2.0, seed=5)
    noisy_gradients = (run.points[:-1] - run.points[1:]) / run.state["step_size"][1:]
    s = np.zeros(2)
    for step in range(60):
        s = 0.9 * s + 0.1 * noisy_gradients[step] ** 2
        np.testing.assert_allclose(run.state["s"][step + 1], s, rtol=1e-8)


@pytest.mark.parametrize(("noise", "seed"), [(-1.0, 0), (float("nan"), 0), (1.0, -3), (1.0, 2.5), (1.0, True)])
def test_bad_noise_settings_are_refused(noise, seed):
    with pytest.raises(ValueError, match=r"noise|seed"):
        optimize(SGD(lr=0.1), get_objective("bowl"), (1.0, 1.0), 3, noise=noise, seed=seed)


def test_sweep_outcomes_takes_a_single_configuration_and_counts_step_zero():
    """Issue 13: one configuration with 2 or more steps crashed ("output array is read-only"), and a
    start already within the tolerance must count as reached at step 0."""
    bowl = get_objective("bowl")
    single = sweep_outcomes(RMSProp(lr=0.1), bowl, (5.0, 4.0), 300, tolerance=1e-3)
    run = optimize(RMSProp(lr=0.1), bowl, (5.0, 4.0), 300)
    assert single.final_losses == run.losses[-1] and single.diverged_at == -1
    assert single.steps_to_tolerance == steps_to_tolerance(run.losses, 0.0, 1e-3)
    at_the_minimum = sweep_outcomes(RMSProp(lr=0.1), bowl, (0.0, 0.0), 5, tolerance=1e-3)
    assert at_the_minimum.steps_to_tolerance == 0


def test_a_start_array_is_never_changed_by_a_run():
    start = np.array([5.0, 4.0])
    optimize(RMSProp(lr=0.1), get_objective("bowl"), start, 3)
    sweep_outcomes(RMSProp(lr=0.1), get_objective("bowl"), start, 3, tolerance=1e-3)
    assert start.tolist() == [5.0, 4.0]


class _CountingObjective:
    """Rosenbrock that counts its gradient evaluations (one per step of a step loop)."""

    domain = ROSENBROCK.domain

    def __init__(self):
        self.gradient_calls = 0

    def f(self, x, y):
        return ROSENBROCK.f(x, y)

    def grad(self, x, y):
        self.gradient_calls += 1
        return ROSENBROCK.grad(x, y)


STATEFUL_SPECS = [
    RMSProp(lr=0.01, momentum=0.5, centered=True),
    RMSProp(lr=np.array([0.001, 0.01, 0.5]), eps_in_sqrt=True, initial_accumulator=1.0),
    Adam(lr=0.05),
    Momentum(lr=1e-3),
]


@pytest.mark.parametrize("spec", STATEFUL_SPECS, ids=lambda spec: spec.label)
def test_state_is_recorded_by_the_run_itself(spec):
    objective = _CountingObjective()
    recorded = optimize(spec, objective, (-1.5, 2.0), 40, noise=0.7, seed=3, record_state=True)
    assert objective.gradient_calls == 40
    recorded_state = recorded.state
    assert objective.gradient_calls == 40  # reading the state runs no second loop
    lazy = optimize(spec, objective, (-1.5, 2.0), 40, noise=0.7, seed=3)
    lazy_state = lazy.state
    assert objective.gradient_calls == 120  # unrecorded: the same loop once more, on demand
    assert set(recorded_state) == set(lazy_state) and recorded_state
    for name in recorded_state:
        np.testing.assert_array_equal(recorded_state[name], lazy_state[name], err_msg=name)
    np.testing.assert_array_equal(recorded.points, lazy.points)


def test_recorded_state_is_the_state_after_each_update():
    run = optimize(RMSProp(lr=0.01, rho=0.9, eps=1e-6), ROSENBROCK, (-1.5, 2.0), 3, record_state=True)
    s = np.zeros(2)
    assert run.state["step_size"][0].tolist() == [0.01 / 1e-6, 0.01 / 1e-6]  # before any step: d = eps
    for step in range(3):
        s = 0.9 * s + (1 - 0.9) * (run.grads[step] * run.grads[step])
        np.testing.assert_array_equal(run.state["s"][step + 1], s)
        np.testing.assert_array_equal(run.state["step_size"][step + 1], 0.01 / (np.sqrt(s) + 1e-6))


def test_state_after_divergence_is_nan_whether_recorded_or_not():
    for record_state in (True, False):
        run = optimize(Momentum(lr=0.01), ROSENBROCK, (-1.5, 2.0), 30, record_state=record_state)
        diverged = int(run.diverged_at)
        assert diverged > 0
        assert np.isnan(run.state["b"][diverged + 1 :]).all() and np.isfinite(run.state["b"][:diverged]).all()


def test_blocks_of_a_large_batch_give_the_same_numbers_as_one_block(monkeypatch):
    from rmsprop_core import engine

    learning_rates = np.logspace(-4, 0.5, 9)[:, None]  # the largest diverge: their NaNs must match too
    spec = RMSProp(lr=learning_rates, rho=np.linspace(0.0, 0.999, 6), momentum=0.5, centered=True)
    starts = np.broadcast_to(np.array([-1.5, 2.0]), (9, 6, 2))
    whole = optimize(spec, ROSENBROCK, starts, 60, record_state=True)
    whole_outcome = sweep_outcomes(spec, ROSENBROCK, starts, 60, tolerance=1e-2)
    monkeypatch.setattr(engine, "BLOCK_SIZE", 7)  # 54 elements: 8 blocks, the last one short
    assert len(engine._blocks(54, 0.0)) == 8
    blocked = optimize(spec, ROSENBROCK, starts, 60, record_state=True)
    blocked_outcome = sweep_outcomes(spec, ROSENBROCK, starts, 60, tolerance=1e-2)
    assert (whole.diverged_at >= 0).any() and (whole.diverged_at < 0).any()
    np.testing.assert_array_equal(blocked.points, whole.points)
    np.testing.assert_array_equal(blocked.diverged_at, whole.diverged_at)
    for name, values in whole.state.items():
        np.testing.assert_array_equal(blocked.state[name], values, err_msg=name)
    for field in ("final_points", "final_losses", "steps_to_tolerance", "diverged_at"):
        np.testing.assert_array_equal(getattr(blocked_outcome, field), getattr(whole_outcome, field), err_msg=field)


def test_a_noisy_batch_runs_whole_so_its_seed_keeps_its_draws(monkeypatch):
    from rmsprop_core import engine

    starts = np.zeros((5, 2)) + np.array([1.0, 1.0])
    whole = optimize(SGD(lr=0.01), ROSENBROCK, starts, 10, noise=1.0, seed=9)
    monkeypatch.setattr(engine, "BLOCK_SIZE", 2)
    assert engine._blocks(5, 1.0) == [slice(0, 5)]
    np.testing.assert_array_equal(
        optimize(SGD(lr=0.01), ROSENBROCK, starts, 10, noise=1.0, seed=9).points, whole.points
    )


HALF_PLANE = Objective(
    "half",
    "half",
    lambda x, y: np.where(x >= 0, x + y * y, np.nan),  # undefined for x < 0, its gradient is not
    lambda x, y: (1.0 + 0 * x, 2 * y),
    ((-5, 5), (-5, 5)),
    (1, 1),
    "",
)


@pytest.mark.parametrize("steps", [0, 1, 7, 16, 17, 40])  # shorter than, equal to and across windows
def test_sweep_outcomes_agree_with_optimize_on_every_kind_of_end(steps):
    # learning rates whose runs settle, touch the tolerance, reach an undefined loss, or leave the box
    learning_rates = np.array([0.0, 0.01, 0.05, 0.1, 0.3, 0.9, 1e9])
    starts = np.array([[1.0, 1.0], [1.0, 0.5], [-1.0, 1.0], [0.0, 0.0]])[:, None, :]
    spec = SGD(lr=learning_rates[None, :])
    outcome = sweep_outcomes(spec, HALF_PLANE, starts, steps, tolerance=0.3, min_value=0.0)
    run = optimize(spec, HALF_PLANE, starts, steps)
    np.testing.assert_array_equal(outcome.diverged_at, run.diverged_at)
    np.testing.assert_array_equal(outcome.steps_to_tolerance, steps_to_tolerance(run.losses, 0.0, 0.3))
    last = np.where(run.diverged_at < 0, steps, np.maximum(run.diverged_at - 1, 0))
    rows, columns = np.indices(last.shape)
    alive_at_start = run.diverged_at != 0
    np.testing.assert_array_equal(outcome.final_points[alive_at_start], run.points[last, rows, columns][alive_at_start])
    np.testing.assert_array_equal(outcome.final_losses[alive_at_start], run.losses[last, rows, columns][alive_at_start])
    if steps >= 16:
        assert {-1, 0}.issubset(set(run.diverged_at.ravel())) and run.diverged_at.max() > 0


def _line(domain, slope):
    """f = -slope * x: every step of SGD(lr) moves x by lr * slope, so divergence can be dated by hand."""
    return Objective(
        "line", "line", lambda x, y: -slope * x + 0 * y, lambda x, y: (-slope + 0 * x, 0 * y), domain, (0, 0), ""
    )


@pytest.mark.parametrize(
    ("domain", "start", "move", "first_outside"),
    [
        # x span 20 > y span 2: the box is 1e6 * 20 wide around the centre (20, -1); step 20 lands on its edge
        (((10.0, 30.0), (-2.0, 0.0)), (20.0, -1.0), 1e6, 21),
        # y span 20 > x span 2: the larger span counts whichever axis it is
        (((10.0, 12.0), (-20.0, 0.0)), (11.0, -10.0), 1e6, 21),
        # spans below 1 count as 1
        (((0.0, 0.1), (0.0, 0.1)), (0.05, 0.05), 1e5, 11),
    ],
)
def test_the_divergence_box_is_a_million_spans_around_the_domain_centre(domain, start, move, first_outside):
    run = optimize(SGD(lr=1.0), _line(domain, move), start, first_outside + 3)
    assert int(run.diverged_at) == first_outside
    assert np.isfinite(run.points[first_outside]).all() and np.isnan(run.points[first_outside + 1 :]).all()


def test_a_point_leaving_the_box_at_a_divergence_check_stops_there():
    # leaves the box at step 8, a check step: its next point must be NaN, not one more move
    run = optimize(SGD(lr=1.0), _line(((0.0, 1.0), (0.0, 1.0)), 1.25e5), (0.5, 0.5), 12)
    assert int(run.diverged_at) == 9  # 9 * 1.25e5 > 1e6 >= 8 * 1.25e5
    run = optimize(SGD(lr=1.0), _line(((0.0, 1.0), (0.0, 1.0)), 1.25e5 + 1), (0.5, 0.5), 12)
    assert int(run.diverged_at) == 8 and np.isnan(run.points[9:]).all()


def test_divergence_at_the_last_step_of_a_run_is_found():
    run = optimize(SGD(lr=1.0), _line(((0.0, 1.0), (0.0, 1.0)), 1e6 / 10.5), (0.5, 0.5), 11)
    assert int(run.diverged_at) == 11 and run.diverged_at.dtype == np.int64


def test_a_start_outside_the_box_is_diverged_at_step_zero_with_nothing_after_it():
    far = (0.5 + 2e6, 0.5)
    run = optimize(RMSProp(lr=0.1), _line(((0.0, 1.0), (0.0, 1.0)), 1.0), far, 5, record_state=True)
    assert int(run.diverged_at) == 0 and run.points[0].tolist() == list(far)
    assert np.isnan(run.points[1:]).all() and np.isnan(run.state["s"][1:]).all()
    outcome = sweep_outcomes(RMSProp(lr=0.1), _line(((0.0, 1.0), (0.0, 1.0)), 1.0), far, 5, tolerance=1.0)
    assert int(outcome.diverged_at) == 0 and outcome.final_points.tolist() == list(far)
    assert np.isnan(outcome.final_losses) and int(outcome.steps_to_tolerance) == -1


@pytest.mark.parametrize("steps", [1, 16, 17, 33])
def test_sweep_outcomes_date_a_touch_on_the_last_step_of_any_window(steps):
    bowl = get_objective("bowl")
    run = optimize(SGD(lr=0.01), bowl, (3.0, 4.0), steps)
    touch_exactly = float(run.losses[steps])  # first reached at the last step, with equality
    outcome = sweep_outcomes(SGD(lr=0.01), bowl, (3.0, 4.0), steps, tolerance=touch_exactly, min_value=0.0)
    assert int(outcome.steps_to_tolerance) == steps
    assert outcome.final_losses.dtype == float and float(outcome.final_losses) == touch_exactly
    np.testing.assert_array_equal(outcome.final_points, run.points[steps])
    assert outcome.steps_to_tolerance.dtype == outcome.diverged_at.dtype == np.int64


def test_sweep_outcomes_of_a_function_without_a_known_minimum_never_touch():
    run = sweep_outcomes(SGD(lr=0.1), _line(((0.0, 1.0), (0.0, 1.0)), 1.0), (0.5, 0.5), 20, tolerance=1e9)
    assert int(run.steps_to_tolerance) == -1 and int(run.diverged_at) == -1


def test_seeds_are_whole_numbers_from_zero_and_a_drawn_seed_replays():
    bowl = get_objective("bowl")
    assert optimize(SGD(lr=0.1), bowl, (1.0, 1.0), 2, noise=1.0, seed=0).seed == 0
    drawn = [optimize(SGD(lr=0.1), bowl, (1.0, 1.0), 2, noise=1.0).seed for _ in range(20)]
    assert len(set(drawn)) == 20 and all(isinstance(seed, int) and 0 <= seed < 2**63 for seed in drawn)
    first = optimize(SGD(lr=0.1), bowl, (1.0, 1.0), 5, noise=1.0)
    again = optimize(SGD(lr=0.1), bowl, (1.0, 1.0), 5, noise=1.0, seed=first.seed)
    np.testing.assert_array_equal(first.points, again.points)


@pytest.mark.parametrize("axis", [0, 1])
def test_the_divergence_box_is_centred_on_a_domain_far_from_the_origin(axis):
    # a unit domain a million units out: a box centred anywhere else would not hold its own centre
    far = ((1e6, 1e6 + 1), (0.0, 1.0)) if axis == 0 else ((0.0, 1.0), (1e6, 1e6 + 1))
    centre = tuple(0.5 * (low + high) for low, high in far)
    run = optimize(SGD(lr=0.0), _line(far, 1.0), centre, 3)
    assert int(run.diverged_at) == -1 and np.isfinite(run.points).all()


def test_no_numpy_warning_escapes_a_sweep_over_an_undefined_region():
    # f = log(x) + y^2 warns for x <= 0 when evaluated bare; the engine evaluates it without warnings
    undefined_left = Objective(
        "log", "log", lambda x, y: np.log(x) + y * y, lambda x, y: (1 / x, 2 * y), ((-2, 2), (-2, 2)), (1, 1), ""
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        outcome = sweep_outcomes(
            SGD(lr=np.array([0.1, 5.0])), undefined_left, (1.0, 1.0), 20, tolerance=0.1, min_value=0.0
        )
        run = optimize(SGD(lr=np.array([0.1, 5.0])), undefined_left, (1.0, 1.0), 20)
    assert outcome.diverged_at.tolist() == run.diverged_at.tolist() and outcome.diverged_at[1] >= 1


class _BareBowl:
    """An objective with only ``f`` and ``grad``: no domain, no ``min_value``."""

    def f(self, x, y):
        return x * x + y * y

    def grad(self, x, y):
        return 2.0 * x, 2.0 * y


def test_a_sweep_over_an_objective_without_min_value_never_touches_unless_given_one():
    # SGD(0.25) halves the point each step: losses 5, 1.25, 0.3125, 0.078125
    unknown = sweep_outcomes(SGD(lr=0.25), _BareBowl(), (1.0, 2.0), 3, tolerance=0.1)
    assert unknown.final_points.tolist() == [0.125, 0.25] and float(unknown.final_losses) == 0.078125
    assert int(unknown.steps_to_tolerance) == -1 and int(unknown.diverged_at) == -1
    given_minimum = sweep_outcomes(SGD(lr=0.25), _BareBowl(), (1.0, 2.0), 3, tolerance=0.1, min_value=0.0)
    assert int(given_minimum.steps_to_tolerance) == 3


def test_an_objective_computed_in_python_numbers_runs_as_its_floats():
    class ObjectLosses(_BareBowl):
        def f(self, x, y):
            # np.frompyfunc wraps a scalar Python function: its results come as an object array
            return np.frompyfunc(lambda u, v: u * u + v * v, 2, 1)(x, y)

    outcome = sweep_outcomes(SGD(lr=0.25), ObjectLosses(), (1.0, 2.0), 3, tolerance=0.1, min_value=0.0)
    assert outcome.final_points.tolist() == [0.125, 0.25] and float(outcome.final_losses) == 0.078125
    assert int(outcome.steps_to_tolerance) == 3 and int(outcome.diverged_at) == -1
    assert optimize(SGD(lr=0.25), ObjectLosses(), (1.0, 2.0), 3).losses.tolist() == [5.0, 1.25, 0.3125, 0.078125]


def test_a_complex_start_is_refused_not_cut_to_its_real_part():
    with pytest.raises(TypeError, match="complex"):
        optimize(SGD(lr=0.1), _BareBowl(), (1 + 1j, 0.0), 1)
