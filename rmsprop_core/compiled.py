"""The optional compiled step loops: numba when it is installed, the NumPy engine otherwise.

A NumPy step is about 17 whole-array calls, each with about a microsecond of overhead, which is
the whole cost of a single path; compiled, a step of one point costs nanoseconds. Nothing here is a
second copy of a formula: the loops call the optimizers' ``*_formula`` functions and the
catalogue's own ``f`` and gradient functions, compiled for floats, in the engine's order of
operations, so both engines give the same numbers, bit for bit (``tests/test_compiled.py`` holds
them equal). Runs the compiled loops would not reproduce exactly go to the NumPy engine:

- objectives that are not catalogue functions (typed formulas, ``scaled`` ones);
- Ackley, whose ``np.exp`` rounds differently from the C library's ``exp`` that compiled code calls;
- Adam with array betas, whose bias corrections NumPy raises to powers with its own ``np.power``.

``RMSPROP_LAB_ENGINE=numpy`` in the environment turns the compiled loops off. They are compiled
once and cached on disk (numba's ``cache=True``), so later processes load them.
"""

from __future__ import annotations

import os
from functools import cache, partial

import numpy as np

from . import objectives as catalogue
from . import optimizers

#: The objectives the compiled loops evaluate, as (f, gradient) pairs: entry ``k`` is objective
#: kind ``k`` in ``_loss`` and ``_gradient`` below.
CATALOGUE = (
    (catalogue._bowl, catalogue._bowl_grad),
    (catalogue._ellipse, catalogue._ellipse_grad),
    (catalogue._rosenbrock, catalogue._rosenbrock_grad),
    (catalogue._beale, catalogue._beale_grad),
    (catalogue._himmelblau, catalogue._himmelblau_grad),
    (catalogue._rastrigin, catalogue._rastrigin_grad),
    (catalogue._booth, catalogue._booth_grad),
    (catalogue._matyas, catalogue._matyas_grad),
    (catalogue._six_hump_camel, catalogue._six_hump_camel_grad),
    (catalogue._three_hump_camel, catalogue._three_hump_camel_grad),
    (catalogue._goldstein_price, catalogue._goldstein_price_grad),
    (catalogue._saddle, catalogue._saddle_grad),
    (catalogue._valley, catalogue._valley_grad),  # parameters (cos, sin, kappa) first
)

#: Optimizer kinds in the compiled loops; the hyperparameters follow each spec's ``numeric_fields``.
OPTIMIZER_KINDS = ("sgd", "momentum", "rmsprop", "adam", "adagrad")

#: Slots of the state array ``(4, 2, N)``: one name per quantity, as in ``optimizers``.
STATE_SLOTS = ("s", "d", "m", "b")


def enabled() -> bool:
    return os.environ.get("RMSPROP_LAB_ENGINE", "").lower() != "numpy" and _loops() is not None


@cache
def _loops():
    """The compiled loops, or None without numba (compiled on first use, then loaded from disk)."""
    try:
        from . import numba_loops
    except ImportError:  # numba is not installed
        return None
    return numba_loops


def _objective_kind(objective):
    """``(kind, parameters)`` of a catalogue objective the loops reproduce exactly, else None."""
    f, grad, parameters = objective.f, objective.grad, ()
    if isinstance(f, partial) and isinstance(grad, partial):
        if f.args != grad.args or f.keywords or grad.keywords:
            return None
        f, grad, parameters = f.func, grad.func, grad.args
    try:
        kind = CATALOGUE.index((f, grad))
    except ValueError:
        return None
    padded = np.zeros(3)
    padded[: len(parameters)] = parameters
    return kind, padded


class Plan:
    """What the compiled loops need of one run: the optimizer's kind, flags and per-element
    hyperparameters ``(N, H)``, Adam's bias corrections per step, and the objective's kind."""

    def __init__(self, spec, objective_kind, objective_parameters, size: int):
        self.spec = spec
        self.kind = OPTIMIZER_KINDS.index(spec.kind)
        self.objective_kind, self.objective_parameters = objective_kind, objective_parameters
        columns = [
            np.broadcast_to(np.asarray(getattr(spec, name), dtype=float), (size,)) for name in spec.numeric_fields
        ]
        self.hyperparameters = np.ascontiguousarray(np.stack(columns, axis=1))
        uses_momentum = "b" in spec.block(slice(0, 0)).init_state((2, 0))
        self.flags = (
            bool(getattr(spec, "nesterov", False) or getattr(spec, "centered", False)),
            bool(getattr(spec, "eps_in_sqrt", False)),
            uses_momentum,
        )

    def initial_state(self, size: int) -> np.ndarray:
        """``(4, 2, N)``, the spec's own ``init_state`` in ``STATE_SLOTS`` order (zeros where unused)."""
        state, initial = np.zeros((len(STATE_SLOTS), 2, size)), self.spec.init_state((2, size))
        for slot, name in enumerate(STATE_SLOTS):
            if name in initial:
                state[slot] = initial[name]
        return state

    def bias_corrections(self, steps: int) -> np.ndarray:
        """``(steps + 1, 2)``: Adam's ``(1 - beta1^t, 1 - beta2^t)`` per step, computed as the NumPy
        engine computes them (Python floats); zeros for the other optimizers."""
        table = np.zeros((steps + 1, 2))
        if self.spec.kind == "adam":
            for step in range(1, steps + 1):
                table[step] = optimizers.adam_bias_corrections(self.spec._beta1, self.spec._beta2, step)
        return table


def plan(spec, objective, size: int) -> Plan | None:
    """The compiled loops' plan for ``spec`` (flattened to the batch) on ``objective``, or None when
    the NumPy engine runs it (see the module docstring)."""
    if not enabled():
        return None
    found = _objective_kind(objective)
    if found is None:
        return None
    if spec.kind == "adam" and (np.ndim(spec._beta1) or np.ndim(spec._beta2)):
        return None
    return Plan(spec, *found, size)


def run_path(plan: Plan, points, diverged_at, history, box, draws_for) -> None:
    """The compiled twin of the engine's step loop: fills ``points[1:]`` (``(steps + 1, 2, N)``)
    from ``points[0]``, ``diverged_at`` and ``history`` (dict of recorded fields, or None).
    ``draws_for(count)`` gives the next ``count`` steps' gradient noise, ``(count, 2, N)``, or None."""
    steps, size = points.shape[0] - 1, points.shape[2]
    loops = _loops()
    state = plan.initial_state(size)
    recorded = _recorded(history, state)
    bias = plan.bias_corrections(steps)
    centre, half_width = (np.ascontiguousarray(np.asarray(part, dtype=float).ravel()) for part in box)
    diverged_at[:] = -1
    loops.check_start(points[0], diverged_at, centre, half_width)
    no_noise = np.zeros((0, 2, size))
    window = max(1, NOISE_WINDOW_ELEMENTS // max(1, 2 * size))
    first = 0
    while first < steps:
        count = min(window, steps - first)
        draws = draws_for(count)
        loops.path_steps(
            plan.kind, plan.flags, plan.hyperparameters, plan.objective_kind, plan.objective_parameters,
            points[first : first + count + 1], first, state, *recorded, bias, diverged_at, centre, half_width,
            no_noise if draws is None else draws,
        )  # fmt: skip
        first += count
    return None


#: Gradient noise is drawn for this many elements (steps x 2 x N) at a time.
NOISE_WINDOW_ELEMENTS = 1 << 20


def _recorded(history, state) -> list[np.ndarray]:
    """One target per ``STATE_SLOTS`` entry: the history array to record into, or an empty one."""
    empty = np.zeros((0, 2, state.shape[2]))
    if history is None:
        return [empty] * len(STATE_SLOTS)
    for name, array in history.items():
        array[0] = state[STATE_SLOTS.index(name)]
    return [history.get(name, empty) for name in STATE_SLOTS]


def run_outcomes(plan: Plan, start, steps: int, target: float, box, outcome) -> None:
    """The compiled twin of ``sweep_outcomes``' loop: each element runs all its steps with its state
    in registers, filling the views ``outcome = (final, final_loss, reached, diverged_at)``."""
    final, final_loss, reached, diverged_at = outcome
    size = start.shape[1]
    centre, half_width = (np.ascontiguousarray(np.asarray(part, dtype=float).ravel()) for part in box)
    _loops().outcome_steps(
        plan.kind, plan.flags, plan.hyperparameters, plan.objective_kind, plan.objective_parameters,
        np.ascontiguousarray(start), steps, float(target), plan.initial_state(size), plan.bias_corrections(steps),
        centre, half_width, final, final_loss, reached, diverged_at,
    )  # fmt: skip
