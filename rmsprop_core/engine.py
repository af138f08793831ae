"""The trajectory engine: run any optimizer spec on any objective, one start or a whole batch.

Internally the batch is flattened and points are stored coordinate-first, ``(steps + 1, 2, N)``,
so every array the step loop touches is contiguous and every operation is one vectorised NumPy
call over the whole batch. The loop records the points, and the optimizer's state when asked;
losses and gradients are derived afterwards, on first access, in vectorised passes.
"""

from __future__ import annotations

import math
from functools import cached_property

import numpy as np

from .optimizers import Optimizer

#: How many steps pass between divergence checks in the loop. A diverging point becomes
#: non-finite or keeps growing, so checking every few steps and then locating the exact first bad
#: step in the recorded block finds the same step as checking every step, for less work.
DIVERGENCE_CHECK_EVERY = 8

#: A point farther than this many domain spans from the domain's centre counts as diverged.
DIVERGENCE_SPANS = 1e6

#: Objects without a ``domain`` diverge when a coordinate's magnitude passes this.
DIVERGENCE_FALLBACK_BOUND = 1e12


def _divergence_box(objective) -> tuple[np.ndarray, np.ndarray]:
    """Centre and half-width, per coordinate, of the region outside which a point has diverged."""
    domain = getattr(objective, "domain", None)
    if domain is None:
        return np.zeros((2, 1)), np.full((2, 1), DIVERGENCE_FALLBACK_BOUND)
    (xmin, xmax), (ymin, ymax) = domain
    span = max(xmax - xmin, ymax - ymin, 1.0)
    centre = np.array([[0.5 * (xmin + xmax)], [0.5 * (ymin + ymax)]])
    return centre, np.full((2, 1), DIVERGENCE_SPANS * span)


class _StateGuard:
    """Makes an overflow of the running average of g² (``s``) a divergence.

    RMSProp's, Adam's and Adagrad's steps divide by the root of ``s``: once g² overflows, ``s`` is
    infinite and the step is 0, so the point stops, finite, and would be reported as a result.
    ``apply`` adds 0 × s to the update, which is exact for a finite ``s`` and NaN for a non-finite
    one: the point that state moves to is then non-finite, and the divergence checks date it like
    any other. Only ``s`` needs watching: g² overflows before g does, so ``m`` cannot overflow
    first, and a non-finite ``m`` or momentum buffer ``b`` moves the point to a non-finite place.
    A finite ``s`` (the usual case) costs one sum per step.
    """

    def __init__(self, state: dict):
        self.square_avg = state.get("s")
        self.scratch = None if self.square_avg is None else np.empty_like(self.square_avg)

    def apply(self, update: np.ndarray) -> None:
        # a sum of huge finite entries can overflow too: harmless, 0 x finite adds exactly 0
        if self.square_avg is not None and not math.isfinite(np.add.reduce(self.square_avg, axis=None)):
            np.multiply(self.square_avg, 0.0, out=self.scratch)
            update += self.scratch


class _StateRecorder:
    """The optimizer's running state after every step, recorded as the run makes it:
    ``(steps + 1, 2, N)`` arrays named by ``spec.recorded_fields``, entry 0 the initial state."""

    def __init__(self, spec, state: dict, steps: int):
        self.sources = {name: state[name] for name in spec.recorded_fields if name in state}
        self.history = {name: np.empty((steps + 1, *array.shape)) for name, array in self.sources.items()}
        self.record(0)

    def record(self, step: int) -> None:
        for name, array in self.sources.items():
            self.history[name][step] = array


def _outside(points: np.ndarray, centre: np.ndarray, half_width: np.ndarray) -> np.ndarray:
    """Per batch element of ``points`` (``(..., 2, N)``): non-finite or outside the box."""
    # written as "not inside" so that NaN (all comparisons False) counts as outside
    inside = np.abs(points - centre) <= half_width
    return ~inside.all(axis=-2)


class Trajectory:
    """The result of :func:`optimize`.

    Attributes (``B`` is the batch shape, ``()`` for a single start):

    - ``points``: ``(steps + 1, *B, 2)``; ``points[0]`` is the start.
    - ``losses``: ``(steps + 1, *B)``; ``grads``: ``(steps + 1, *B, 2)`` (gradient at each point).
    - ``state``: dict of ``(steps + 1, *B, 2)`` arrays; entry ``t`` is the optimizer state after
      update ``t`` (entry 0 is the initial state). RMSProp: ``s`` and ``step_size`` =
      lr / (sqrt(s) + eps) (or lr / sqrt(s + eps)), plus ``m`` (centered) and ``b`` (momentum);
      Momentum: ``b``; Adam: ``m``, ``s``; Adagrad: ``s`` and ``step_size``.
    - ``diverged_at``: ``B``-shaped int array, the first step whose point is non-finite or
      absurdly far outside the domain, whose loss is non-finite, or whose optimizer state
      overflowed (that step's point is then NaN), else -1. A diverged element stops moving: its
      later entries are NaN.
    """

    def __init__(
        self,
        optimizer,
        objective,
        coordinate_first_points,
        batch_shape,
        diverged_at,
        noise=0.0,
        seed=0,
        state_history=None,
    ):
        self.optimizer = optimizer
        self.objective = objective
        self.noise, self.seed = noise, seed
        self.batch_shape = batch_shape
        self.steps = coordinate_first_points.shape[0] - 1
        # (steps + 1, 2, N) contiguous; the public views are reshaped / moved, never copied
        self._points_cf = coordinate_first_points
        self._diverged_in_loop = diverged_at
        self._state_history = state_history

    def _public(self, coordinate_first: np.ndarray) -> np.ndarray:
        """``(T, 2, N)`` -> ``(T, *B, 2)`` view, handed out only once divergence is final (finding
        a non-finite loss NaNs the points after it), so no returned array changes afterwards."""
        self.diverged_at  # noqa: B018 - finalises the points before any view of them leaves
        shaped = coordinate_first.reshape(coordinate_first.shape[:2] + self.batch_shape)
        return np.moveaxis(shaped, 1, -1)

    @property
    def points(self) -> np.ndarray:
        return self._public(self._points_cf)

    @cached_property
    def _raw_losses(self) -> np.ndarray:
        """``(steps + 1, N)`` losses at the recorded points, before divergence masking."""
        x, y = self._points_cf[:, 0], self._points_cf[:, 1]
        with np.errstate(all="ignore"):
            values = np.asarray(self.objective.f(x, y), dtype=float)
        return np.array(np.broadcast_to(values, x.shape))

    @cached_property
    def losses(self) -> np.ndarray:
        losses = self._raw_losses.copy()
        losses[self._dead_mask_cf()[:, 0]] = np.nan
        return losses.reshape((self.steps + 1, *self.batch_shape))

    @cached_property
    def _grads_cf(self) -> np.ndarray:
        x, y = self._points_cf[:, 0], self._points_cf[:, 1]
        grads = np.empty_like(self._points_cf)
        with np.errstate(all="ignore"):
            grads[:, 0], grads[:, 1] = self.objective.grad(x, y)
        return grads

    @property
    def grads(self) -> np.ndarray:
        return self._public(self._grads_cf)

    @cached_property
    def state(self) -> dict[str, np.ndarray]:
        """The optimizer's public state per step, from the history the run recorded (or, when the
        run was not asked to record it, from the same loop run again with the same start and seed)."""
        spec = self.optimizer.flattened(self.batch_shape)
        history = self._state_history
        if history is None:
            start = self._points_cf[0].copy()
            _, _, history = _step_loop(spec, self.objective, start, self.steps, self.noise, self.seed, True)
        self._state_history = None  # the public arrays below are derived from it; no second copy kept
        with np.errstate(all="ignore"):
            public = spec.public_state(history)
        dead = self._dead_mask_cf()
        for array in public.values():
            array[dead] = np.nan
        return {name: self._public(array) for name, array in public.items()}

    def _dead_mask_cf(self) -> np.ndarray:
        """``(steps + 1, 2, N)`` mask of entries after each element's divergence step."""
        diverged = self.diverged_at.reshape(-1)
        step_index = np.arange(self.steps + 1)[:, None]
        dead = (diverged >= 0) & (step_index > diverged)
        return np.broadcast_to(dead[:, None, :], self._points_cf.shape)

    @cached_property
    def diverged_at(self) -> np.ndarray:
        diverged = self._diverged_in_loop.copy()
        bad_loss = ~np.isfinite(self._raw_losses)
        if bad_loss.any():
            first_bad_loss = np.where(bad_loss.any(axis=0), bad_loss.argmax(axis=0), -1)
            earlier = (first_bad_loss >= 0) & ((diverged < 0) | (first_bad_loss < diverged))
            diverged[earlier] = first_bad_loss[earlier]
            # a finite point with an undefined loss: it stops there, like any diverged element
            for element in np.flatnonzero(earlier):
                self._points_cf[diverged[element] + 1 :, :, element] = np.nan
            self.__dict__.pop("_grads_cf", None)
        return diverged.reshape(self.batch_shape)


def _check_noise(noise, seed) -> tuple[float, int]:
    noise = float(noise)
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a finite number >= 0, got {noise}")
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % 2**63)  # recorded, so the run can be replayed
    elif isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}")
    return noise, int(seed)


class _GradientNoise:
    """Gaussian noise of standard deviation ``sigma`` per gradient coordinate, one draw of shape
    ``(2, N)`` per step from a generator seeded with ``seed``: the same seed, the same noise."""

    def __init__(self, sigma: float, seed: int, shape: tuple[int, int]):
        self.sigma, self.shape = sigma, shape
        self.generator = np.random.default_rng(seed)
        self.draw = np.empty(shape)

    def add_to(self, gradient: np.ndarray) -> None:
        self.generator.standard_normal(self.shape, out=self.draw)
        self.draw *= self.sigma
        gradient += self.draw


def optimize(
    optimizer: Optimizer, objective, start, steps: int, *, noise: float = 0.0, seed=None, record_state: bool = False
) -> Trajectory:
    """Run ``optimizer`` on ``objective`` from ``start`` for ``steps`` updates.

    ``start`` has shape ``(2,)`` or ``(..., 2)``; array hyperparameters broadcast against the batch
    shape ``start.shape[:-1]``, e.g. ``RMSProp(lr=lrs[:, None], rho=rhos[None, :])`` with a
    ``(n, m, 2)`` start runs an ``n x m`` sweep in one call. No NumPy warning or exception escapes
    a diverging run: diverged elements are flagged in ``diverged_at`` and stop moving.

    ``noise > 0`` adds Gaussian noise of that standard deviation to every gradient coordinate,
    as a mini-batch gradient would have; ``seed`` makes it reproducible (the same seed gives the
    same trajectory; without one, a seed is drawn and kept in ``trajectory.seed``).
    ``trajectory.grads`` stays the true gradient at each point.

    ``record_state=True`` records the optimizer's state at every step during the run, for
    ``trajectory.state``; without it, reading ``trajectory.state`` runs the same loop again.
    """
    steps = _check_steps(steps)
    noise, seed = _check_noise(noise, seed)
    batch_shape, spec, flat_start = _prepare_batch(optimizer, start)
    points, diverged_at, state_history = _step_loop(spec, objective, flat_start, steps, noise, seed, record_state)
    return Trajectory(
        optimizer, objective, points, batch_shape, diverged_at, noise=noise, seed=seed, state_history=state_history
    )


def _step_loop(spec, objective, flat_start, steps, noise, seed, record_state):
    """The one step loop: the points ``(steps + 1, 2, N)``, the divergence steps found on the way
    (non-finite or outside the box, or an overflowed ``s``), and the state history if asked."""
    size = flat_start.shape[1]
    points = np.empty((steps + 1, 2, size))
    points[0] = flat_start
    centre, half_width = _divergence_box(objective)
    diverged_at = np.full(size, -1, dtype=np.int64)
    gradient_at = _gradient_evaluator(objective)
    state = spec.init_state((2, size))
    state_guard = _StateGuard(state)
    recorder = _StateRecorder(spec, state, steps) if record_state else None
    gradient = np.empty((2, size))
    update = np.empty((2, size))
    checked_up_to = 0
    gradient_noise = _GradientNoise(noise, seed, (2, size)) if noise > 0 else None

    with np.errstate(all="ignore"):
        newly_dead = _find_divergence(points, 0, 0, centre, half_width, diverged_at)
        for step in range(1, steps + 1):
            current = points[step - 1]
            gradient_at(current, gradient)
            if gradient_noise is not None:
                gradient_noise.add_to(gradient)
            spec.update(gradient, state, step, update)
            state_guard.apply(update)
            np.subtract(current, update, out=points[step])
            if recorder is not None:
                recorder.record(step)
            if newly_dead is not None:
                # elements whose last point was the diverged one: their next point is NaN, and a
                # NaN point stays NaN (w - anything), so they stop moving from here on
                points[step][:, newly_dead] = np.nan
                newly_dead = None
            if step % DIVERGENCE_CHECK_EVERY == 0 or step == steps:
                newly_dead = _find_divergence(points, checked_up_to + 1, step, centre, half_width, diverged_at)
                checked_up_to = step
    return points, diverged_at, None if recorder is None else recorder.history


def _find_divergence(points, first_step, last_step, centre, half_width, diverged_at):
    """Flag elements that left the box in ``points[first_step : last_step + 1]``.

    Checks only the last point of the block for every element; for those outside, scans their
    block history for the exact first bad step, records it, and NaNs their later entries.
    Returns the elements whose diverged point is the block's last (their next point must be NaN).
    """
    candidates = np.flatnonzero(_outside(points[last_step], centre, half_width) & (diverged_at < 0))
    if candidates.size == 0:
        return None
    history = points[first_step : last_step + 1][:, :, candidates]
    first_bad = first_step + _outside(history, centre, half_width).argmax(axis=0)
    diverged_at[candidates] = first_bad
    for element, bad_step in zip(candidates, first_bad, strict=True):
        points[bad_step + 1 : last_step + 1, :, element] = np.nan
    at_block_end = candidates[first_bad == last_step]
    return at_block_end if at_block_end.size else None


def _prepare_batch(optimizer, start) -> tuple[tuple[int, ...], object, np.ndarray]:
    """The batch shape (start's batch dimensions broadcast with the hyperparameters'), the spec
    with its hyperparameters flattened to that batch, and the starts as a ``(2, N)`` array."""
    start = np.asarray(start, dtype=float)
    if start.ndim == 0 or start.shape[-1] != 2:
        raise ValueError(f"start must have shape (2,) or (..., 2), got {start.shape}")
    batch_shape = tuple(np.broadcast_shapes(start.shape[:-1], *optimizer.hyperparameter_shapes()))
    size = int(np.prod(batch_shape, dtype=np.int64))
    # always a fresh, writable copy: a single start would otherwise stay a read-only view of the caller's
    flat_start = np.array(np.broadcast_to(start, (*batch_shape, 2)).reshape(size, 2).T, order="C")
    return batch_shape, optimizer.flattened(batch_shape), flat_start


def _gradient_evaluator(objective):
    """``gradient_at(point, out)``: the gradient at ``point`` (``(2, N)``) written into ``out``,
    in place when the objective offers ``grad_into`` (no temporaries, no copy)."""
    grad_into = getattr(objective, "grad_into", None)
    if grad_into is not None:
        return lambda point, out: grad_into(point[0], point[1], out[0], out[1])
    grad = objective.grad

    def gradient_at(point, out):
        out[0], out[1] = grad(point[0], point[1])

    return gradient_at


def _check_steps(steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be a whole number >= 0, got {steps!r}")
    return int(steps)


class SweepOutcome:
    """What a sweep needs per configuration, without the path: ``B``-shaped arrays of the final
    point ``(*B, 2)`` (last point before divergence), its loss, the first step with
    ``f - min_value <= tolerance`` (-1 if never), and the divergence step (-1 if none)."""

    def __init__(self, final_points, final_losses, steps_to_tolerance, diverged_at):
        self.final_points = final_points
        self.final_losses = final_losses
        self.steps_to_tolerance = steps_to_tolerance
        self.diverged_at = diverged_at


def sweep_outcomes(
    optimizer: Optimizer, objective, start, steps: int, *, tolerance: float, min_value: float | None = None
) -> SweepOutcome:
    """Like :func:`optimize`, but keeps only the current point: memory is O(batch), not
    O(batch x steps), so a 200 x 200 grid over 2000 steps needs a few MB.

    The loss is evaluated at every step (to find the first step within ``tolerance`` of
    ``min_value``, default ``objective.min_value``), and divergence (a non-finite or absurdly far
    point, a non-finite loss, or an overflowed optimizer state) is checked at every step, so both
    are exact.
    """
    steps = _check_steps(steps)
    if min_value is None:
        min_value = getattr(objective, "min_value", None)
    batch_shape, spec, current = _prepare_batch(optimizer, start)
    size = current.shape[1]
    centre, half_width = _divergence_box(objective)
    gradient_at = _gradient_evaluator(objective)

    following = np.empty_like(current)
    final = current.copy()
    final_loss = np.full(size, np.nan)
    reached = np.full(size, -1, dtype=np.int64)
    diverged_at = np.full(size, -1, dtype=np.int64)
    state = spec.init_state((2, size))
    state_guard = _StateGuard(state)
    gradient = np.empty((2, size))
    update = np.empty((2, size))
    target = -np.inf if min_value is None else min_value + tolerance

    with np.errstate(all="ignore"):
        for step in range(steps + 1):
            loss = np.asarray(objective.f(current[0], current[1]), dtype=float)
            bad = (_outside(current, centre, half_width) | ~np.isfinite(loss)) & (diverged_at < 0)
            if bad.any():
                diverged_at[bad] = step
                current[:, bad] = np.nan  # NaN stays NaN: the element stops moving
            alive = diverged_at < 0
            newly_reached = alive & (reached < 0) & (loss <= target)
            reached[newly_reached] = step
            np.copyto(final, current, where=alive)
            np.copyto(final_loss, loss, where=alive)
            if step == steps:
                break
            gradient_at(current, gradient)
            spec.update(gradient, state, step + 1, update)
            state_guard.apply(update)
            np.subtract(current, update, out=following)
            current, following = following, current

    return SweepOutcome(
        final_points=np.moveaxis(final, 0, -1).reshape((*batch_shape, 2)),
        final_losses=final_loss.reshape(batch_shape),
        steps_to_tolerance=reached.reshape(batch_shape),
        diverged_at=diverged_at.reshape(batch_shape),
    )
