"""The trajectory engine: run any optimizer spec on any objective, one start or a whole batch.

Internally the batch is flattened and points are stored coordinate-first, ``(steps + 1, 2, N)``,
so every array the step loop touches is contiguous and every operation is one vectorised NumPy
call over the whole batch. The loop records the points, and the optimizer's state when asked;
losses and gradients are derived afterwards, on first access, in vectorised passes.

When numba is installed, runs on catalogue functions go through the compiled twin of this loop
(``compiled.py``), which calls the same formulas and gives the same numbers, bit for bit.
"""

from __future__ import annotations

import math
from functools import cached_property

import numpy as np

from . import compiled
from .optimizers import Optimizer

#: How many steps pass between divergence checks in the loop. A diverging point becomes
#: non-finite or keeps growing, so checking every few steps and then locating the exact first bad
#: step in the recorded block finds the same step as checking every step, for less work.
DIVERGENCE_CHECK_EVERY = 8

#: Elements per block: a large batch runs block after block through the whole step loop, so each
#: block's working arrays (about ten of 2 x BLOCK_SIZE floats) stay in the L2 cache.
BLOCK_SIZE = 8192

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

    Watching every step costs a pass over ``s`` per step, so a run first looks only at its
    divergence checks (``overflowed``); an ``s`` that overflowed since then (rare) makes the block
    run again from its start with ``apply`` at every step.
    """

    def __init__(self, state: dict):
        self.square_avg = state.get("s")
        self.scratch = None if self.square_avg is None else np.empty_like(self.square_avg)

    def overflowed(self) -> bool:
        # a sum of huge finite entries can overflow too: harmless, the rerun then adds exactly 0
        return self.square_avg is not None and not math.isfinite(np.add.reduce(self.square_avg, axis=None))

    def apply(self, update: np.ndarray) -> None:
        if self.overflowed():
            np.multiply(self.square_avg, 0.0, out=self.scratch)
            update += self.scratch


class _StateOverflow(Exception):
    """Raised by a block run not watching every step when its ``s`` overflowed: run it again, watching."""


class _StateRecorder:
    """The optimizer's running state after every step, recorded as the run makes it into
    ``targets``: ``(steps + 1, 2, N)`` arrays named by ``spec.recorded_fields``, entry 0 the
    initial state."""

    def __init__(self, state: dict, targets: dict):
        self.pairs = [(state[name], target) for name, target in targets.items()]
        self.record(0)

    def record(self, step: int) -> None:
        for array, target in self.pairs:
            target[step] = array


def _blocks(size: int, noise: float) -> list[slice]:
    """The column slices a batch runs in; a noisy batch runs whole, as its noise is drawn per step
    for the whole batch (splitting it would change the draws a seed stands for)."""
    if noise > 0 or size <= BLOCK_SIZE:
        return [slice(0, size)]
    return [slice(first, min(first + BLOCK_SIZE, size)) for first in range(0, size, BLOCK_SIZE)]


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
        *,
        noise,
        seed,
        state_history,
        divergence_final,
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
        if divergence_final:
            # the compiled loops evaluate the losses as they go and date a non-finite one themselves
            self.__dict__["diverged_at"] = diverged_at.reshape(batch_shape)

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
            _, _, history, _ = _step_loop(spec, self.objective, start, self.steps, self.noise, self.seed, True)
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
        earlier = _date_undefined_losses(self._raw_losses, 0, diverged)
        if earlier.any():
            # a finite point with an undefined loss: it stops there, like any diverged element
            for element in np.flatnonzero(earlier):
                self._points_cf[diverged[element] + 1 :, :, element] = np.nan
            self.__dict__.pop("_grads_cf", None)
        return diverged.reshape(self.batch_shape)


def _date_undefined_losses(losses, first_step, diverged_at) -> np.ndarray:
    """Make each element's first non-finite loss in ``losses`` (``(k, N)``, steps ``first_step``
    on) its divergence step, where it comes before the one found so far (``diverged_at``, changed
    in place); returns the mask of the elements so dated."""
    steps = first_step + np.arange(losses.shape[0])[:, None]
    bad_loss = ~np.isfinite(losses) & ((diverged_at < 0) | (steps < diverged_at))
    dated = bad_loss.any(axis=0)
    diverged_at[dated] = first_step + bad_loss.argmax(axis=0)[dated]
    return dated


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

    def draws(self, count: int) -> np.ndarray:
        """The next ``count`` steps' noise at once, ``(count, 2, N)``: the same numbers as ``count``
        calls of ``add_to``, which draw the generator's stream in the same order."""
        draws = self.generator.standard_normal((count, *self.shape))
        draws *= self.sigma
        return draws

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
    points, diverged_at, state_history, divergence_final = _step_loop(
        spec, objective, flat_start, steps, noise, seed, record_state
    )
    return Trajectory(
        optimizer,
        objective,
        points,
        batch_shape,
        diverged_at,
        noise=noise,
        seed=seed,
        state_history=state_history,
        divergence_final=divergence_final,
    )


def _step_loop(spec, objective, flat_start, steps, noise, seed, record_state):
    """The points ``(steps + 1, 2, N)``, the divergence steps found on the way (non-finite or
    outside the box, or an overflowed ``s``), the state history if asked, and whether those steps
    are final (the compiled loops also date a non-finite loss; the NumPy loop leaves that to the
    ``Trajectory``); block by block."""
    size = flat_start.shape[1]
    points = np.empty((steps + 1, 2, size))
    points[0] = flat_start
    diverged_at = np.empty(size, dtype=np.int64)  # set by each block's run
    history = None
    if record_state:
        present = spec.block(slice(0, 0)).init_state((2, 0))  # the recorded fields this configuration keeps
        history = {name: np.empty((steps + 1, 2, size)) for name in spec.recorded_fields if name in present}
    compiled_plan = compiled.plan(spec, objective, size, steps, "path_steps")
    if compiled_plan is not None:
        gradient_noise = _GradientNoise(noise, seed, (2, size)) if noise > 0 else None
        compiled.run_path(compiled_plan, points, diverged_at, history, _divergence_box(objective), gradient_noise)
        return points, diverged_at, history, True
    for columns in _blocks(size, noise):
        block_history = None if history is None else {name: array[:, :, columns] for name, array in history.items()}
        _points_block(
            spec.block(columns), objective, points[:, :, columns], diverged_at[columns], noise, seed, block_history
        )
    return points, diverged_at, history, False


def _points_block(spec, objective, points, diverged_at, noise, seed, history) -> None:
    """``optimize`` over one block: fills the block's views ``points`` (from its entry 0),
    ``diverged_at`` and, unless it is None, ``history``."""

    def run_block(watch_every_step):
        diverged_at[:] = -1
        run = _BlockRun(spec, objective, points.shape[2], diverged_at, noise, seed, history, watch_every_step)
        run.check_start(points)
        run.advance(points)

    _run_watching_overflow(run_block)


def _run_watching_overflow(run_block) -> None:
    """``run_block(watch_every_step)``: first cheaply, and once more watching every step if its
    ``s`` overflowed (see :class:`_StateGuard`); ``run_block`` starts its block afresh each time."""
    try:
        run_block(False)
    except _StateOverflow:
        run_block(True)


class _BlockRun:
    """The one step loop, over one block of the batch. Its state (the optimizer's, the noise
    generator's, the divergence found so far) lives across calls to ``advance``, so a run can be
    made in one call over all its points (``optimize``) or window after window (``sweep_outcomes``)."""

    def __init__(self, spec, objective, size: int, diverged_at, noise, seed, history, watch_every_step):
        self.spec = spec
        self.watch_every_step = watch_every_step
        self.centre, self.half_width = _divergence_box(objective)
        self.gradient_at = _gradient_evaluator(objective)
        self.state = spec.init_state((2, size))
        self.state_guard = _StateGuard(self.state)
        self.recorder = None if history is None else _StateRecorder(self.state, history)
        self.gradient = np.empty((2, size))
        self.update = np.empty((2, size))
        self.gradient_noise = _GradientNoise(noise, seed, (2, size)) if noise > 0 else None
        self.diverged_at = diverged_at
        self.steps_done = 0
        self.newly_dead = None

    def check_start(self, points) -> None:
        """Step 0: a start outside the box has diverged before any update."""
        self.newly_dead = _find_divergence(points, 0, 0, self, offset=0)

    def advance(self, points) -> None:
        """Fill ``points[1:]`` with the next steps from ``points[0]``, the point the last call ended at."""
        first = self.steps_done
        last_index = points.shape[0] - 1
        checked_up_to = 0
        # locals: this loop runs once per step, and for a single path its overhead is the cost
        gradient, move, state, subtract = self.gradient, self.update, self.state, np.subtract
        gradient_at, update = self.gradient_at, self.spec.update
        guard = self.state_guard.apply if self.watch_every_step else None
        add_noise = None if self.gradient_noise is None else self.gradient_noise.add_to
        record = None if self.recorder is None else self.recorder.record
        with np.errstate(all="ignore"):
            for index in range(1, last_index + 1):
                step = first + index
                current = points[index - 1]
                gradient_at(current, gradient)
                if add_noise is not None:
                    add_noise(gradient)
                update(gradient, state, step, move)
                if guard is not None:
                    guard(move)
                subtract(current, move, out=points[index])
                if record is not None:
                    record(step)
                if self.newly_dead is not None:
                    # elements whose last point was the diverged one: their next point is NaN, and
                    # a NaN point stays NaN (w - anything), so they stop moving from here on
                    points[index][:, self.newly_dead] = np.nan
                    self.newly_dead = None
                if step % DIVERGENCE_CHECK_EVERY == 0 or index == last_index:
                    if guard is None and self.state_guard.overflowed():
                        raise _StateOverflow
                    self.newly_dead = _find_divergence(points, checked_up_to + 1, index, self, offset=first)
                    checked_up_to = index
        self.steps_done = first + last_index


def _find_divergence(points, first_index, last_index, run: _BlockRun, offset: int):
    """Flag elements that left the box in ``points[first_index : last_index + 1]``, whose entry
    ``i`` is step ``offset + i``.

    Checks only the last point of the range for every element; for those outside, scans their
    history in the range for the exact first bad step, records it, and NaNs their later entries.
    Returns the elements whose diverged point is the range's last (their next point must be NaN).
    """
    centre, half_width, diverged_at = run.centre, run.half_width, run.diverged_at
    candidates = np.flatnonzero(_outside(points[last_index], centre, half_width) & (diverged_at < 0))
    if candidates.size == 0:
        return None
    history = points[first_index : last_index + 1][:, :, candidates]
    first_bad = first_index + _outside(history, centre, half_width).argmax(axis=0)
    diverged_at[candidates] = offset + first_bad
    for element, bad_index in zip(candidates, first_bad, strict=True):
        points[bad_index + 1 : last_index + 1, :, element] = np.nan
    at_range_end = candidates[first_bad == last_index]
    return at_range_end if at_range_end.size else None


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
    point, a non-finite loss, or an overflowed optimizer state) is dated to its exact step, as
    :func:`optimize` dates it.
    """
    steps = _check_steps(steps)
    if min_value is None:
        min_value = getattr(objective, "min_value", None)
    target = -np.inf if min_value is None else min_value + tolerance
    batch_shape, spec, start_points = _prepare_batch(optimizer, start)
    size = start_points.shape[1]
    # each block's run sets its columns from the start
    final, final_loss = np.empty_like(start_points), np.empty(size)
    reached, diverged_at = np.empty(size, dtype=np.int64), np.empty(size, dtype=np.int64)
    compiled_plan = compiled.plan(spec, objective, size, steps, "outcome_steps")
    if compiled_plan is not None:
        outcome = (final, final_loss, reached, diverged_at)
        compiled.run_outcomes(compiled_plan, start_points, steps, target, _divergence_box(objective), outcome)
    else:
        for columns in _blocks(size, 0.0):
            _outcome_block(
                spec.block(columns),
                objective,
                start_points[:, columns],
                steps,
                target,
                (final[:, columns], final_loss[columns], reached[columns], diverged_at[columns]),
            )
    return SweepOutcome(
        final_points=np.moveaxis(final, 0, -1).reshape((*batch_shape, 2)),
        final_losses=final_loss.reshape(batch_shape),
        steps_to_tolerance=reached.reshape(batch_shape),
        diverged_at=diverged_at.reshape(batch_shape),
    )


#: Steps per window of ``sweep_outcomes``: its losses, first touches and last live points are
#: found for a window at a time, in a few vectorised calls, rather than step by step.
OUTCOME_WINDOW = 2 * DIVERGENCE_CHECK_EVERY


def _outcome_block(spec, objective, start, steps, target, outcome):
    """``sweep_outcomes`` over one block from ``start`` (``(2, n)``): the block's step loop runs
    window after window, filling the block's views ``outcome = (final, final_loss, reached,
    diverged_at)``."""
    final, final_loss, reached, diverged_at = outcome
    size = start.shape[1]
    window = np.empty((min(OUTCOME_WINDOW, steps) + 1, 2, size))

    def run_block(watch_every_step):
        final[:], final_loss[:], reached[:], diverged_at[:] = start, np.nan, -1, -1
        run = _BlockRun(spec, objective, size, diverged_at, 0.0, 0, None, watch_every_step)
        window[0] = start
        run.check_start(window[:1])
        _take_outcomes(objective, window[:1], 0, target, outcome)
        while run.steps_done < steps:
            length = min(OUTCOME_WINDOW, steps - run.steps_done)
            run.advance(window[: length + 1])
            _take_outcomes(objective, window[1 : length + 1], run.steps_done - length + 1, target, outcome)
            window[0] = window[length]

    _run_watching_overflow(run_block)


def _take_outcomes(objective, points, first_step, target, outcome):
    """Fold the points of steps ``first_step, first_step + 1, ...`` (``(k, 2, n)``, a window) into
    the outcome: a non-finite loss is a divergence (the element's later points are NaN from
    here on), a loss within ``target`` a first touch, the last live point the final one."""
    final, final_loss, reached, diverged_at = outcome
    with np.errstate(all="ignore"):
        losses = np.array(np.broadcast_to(objective.f(points[:, 0], points[:, 1]), points.shape[::2]), dtype=float)
    dies = _date_undefined_losses(losses, first_step, diverged_at)
    points[-1][:, dies] = np.nan  # the next window starts here: these elements stop moving
    steps = first_step + np.arange(points.shape[0])[:, None]
    alive = (diverged_at < 0) | (steps < diverged_at)
    touches = alive & (losses <= target) & (reached < 0)
    touched = touches.any(axis=0)
    reached[touched] = first_step + touches.argmax(axis=0)[touched]
    lives = alive.any(axis=0)
    last_alive = points.shape[0] - 1 - alive[::-1].argmax(axis=0)
    columns = np.flatnonzero(lives)
    final[:, columns] = points[last_alive[columns], :, columns].T
    final_loss[columns] = losses[last_alive[columns], columns]
