"""Every engine call the app makes, in one place, cached with one policy.

A function is identified everywhere by a ``FunctionChoice`` (a catalogue name, or a formula with
its domain, optionally scaled). Results are shared by all sessions through ``st.cache_resource``
(no pickling on every slider move) and made read-only, so no caller can change a shared result.
Every cache is bounded in entries and in age, so a public server cannot grow without limit.
"""

from __future__ import annotations

import functools
import inspect
import pickle
from dataclasses import dataclass, replace

import numpy as np
import streamlit as st

from rmsprop_core import (
    CONVENTIONS,
    OPTIMIZER_CLASSES,
    SGD,
    Adagrad,
    FormulaAnalysis,
    FormulaError,
    Momentum,
    RMSProp,
    compiled,
    objective_from,
    optimize,
    sweep_outcomes,
)
from rmsprop_core.metrics import estimate_minimum, evaluate_grid, steps_to_settle
from rmsprop_core.mission import Mission, mission_objective
from rmsprop_core.objectives import scaled

from . import figures, formula_pool
from .options import LR_OPTIONS
from .scenarios import SCENARIOS, measure
from .schemas import FunctionChoice, make_objective

CACHE_SECONDS = 3600
#: how long after this module's first import (a server's first view) numba may begin compiling
FIRST_VIEW_SECONDS = 3.0

# the first view's imports, runs and messages then have the GIL to themselves; a large run that
# needs its compiled loop starts the compiling at once
compiled.defer_compiling(FIRST_VIEW_SECONDS)


class _CallKey:
    """A cached call's arguments, which Streamlit hashes as one byte string: its own hashing walks
    every argument and reads the function's signature once per argument, on every call. The bytes
    are the arguments' pickle, which keeps every field of a frozen dataclass, the type of every
    number (a NumPy float32 is not the float it prints as) and its exact value. Arguments must be
    hashable (numbers, strings, tuples, frozen dataclasses): an array is refused."""

    __slots__ = ("args", "identity")

    def __init__(self, args: tuple):
        hash(args)  # TypeError for an array or any other mutable argument
        self.args = args
        self.identity = pickle.dumps(args, protocol=pickle.HIGHEST_PROTOCOL)


#: what a cached function's wrappers take from it: Streamlit's cache names and the docs read them
_NAMES = ("__module__", "__name__", "__qualname__", "__doc__")


def _cached(max_entries: int):
    """The one caching policy: shared, bounded in entries and in age, no spinner."""

    def decorate(function):
        def cached(key: _CallKey):
            return function(*key.args)

        # Streamlit names a cache by module and qualified name and keys it by the source it finds
        # through __wrapped__ (an edited function starts afresh); the signature stays the wrapper's
        cached.__signature__ = inspect.signature(cached)
        functools.update_wrapper(cached, function, assigned=_NAMES, updated=())
        shared = st.cache_resource(
            max_entries=max_entries,
            ttl=CACHE_SECONDS,
            show_spinner=False,
            hash_funcs={_CallKey: lambda key: key.identity},
        )(cached)

        @functools.wraps(function, assigned=_NAMES, updated=())
        def call(*args):
            return shared(_CallKey(args))

        call.clear = shared.clear
        return call

    return decorate


def _read_only(array) -> np.ndarray:
    array = np.asarray(array)
    array.flags.writeable = False
    return array


@dataclass(frozen=True)
class _Refusal:
    message: str


@_cached(256)
def _read_formula(formula: str, domain) -> FormulaAnalysis | _Refusal:
    """The formula read in the worker pool, never in this process. A refusal is kept as well, so
    reloading a bad link repeats no work; a pool too busy to read it is no refusal, and is raised."""
    try:
        return formula_pool.shared().analyse(formula, domain)
    except formula_pool.FormulaServiceBusy:
        raise
    except FormulaError as error:
        return _Refusal(str(error))


@_cached(128)
def objective_for(choice: FunctionChoice):
    """The chosen function; a user's formula is read in the worker pool (raises FormulaError for
    one that cannot be used), everything else is built here."""
    if choice.formula is None:
        return make_objective(choice)
    reading = _read_formula(choice.formula, choice.domain)
    if isinstance(reading, _Refusal):
        raise FormulaError(reading.message)
    return scaled(objective_from(reading), choice.scale)


@_cached(64)
def measured_objective(choice: FunctionChoice):
    """The objective the metrics measure against, and a note on its f*: a formula's f* and
    minimiser are estimated on a refined grid of its domain (labelled so), or "n/a" with why."""
    objective = objective_for(choice)
    if objective.min_value is not None or choice.formula is None:
        return objective, ""
    estimate, reason = estimate_minimum(objective)
    if estimate is None:
        return objective, f"f* n/a: {reason}."
    note = (
        f"f* ≈ {estimate.value:.6g} at ({estimate.point[0]:.4g}, {estimate.point[1]:.4g}), estimated on a refined grid."
    )
    return replace(objective, min_value=estimate.value, minima=(estimate.point,)), note


@_cached(64)
def surface(choice: FunctionChoice, resolution: int, view=None) -> figures.Surface:
    """The function on a ``resolution``² grid over ``view`` (default: its domain)."""
    objective = objective_for(choice)
    xs, ys, values = evaluate_grid(objective, resolution, domain=view)
    return figures.make_surface(xs, ys, values, objective.minima, objective.min_value)


@dataclass(frozen=True)
class RunResult:
    """One unbatched run, read-only: what the pages draw and tabulate."""

    label: str
    kind: str
    hyperparameters: tuple
    points: np.ndarray
    losses: np.ndarray
    grads: np.ndarray
    diverged_at: int
    state: dict

    def optimizer(self):
        return OPTIMIZER_CLASSES[self.kind](**dict(self.hyperparameters))

    def path(self) -> figures.PathData:
        return figures.PathData(self.label, figures.colour_for(self.kind), self.points, self.losses, self.diverged_at)


@_cached(512)
def _run(kind: str, hyperparameters: tuple, source, start: tuple, steps: int, label: str, noise: float, seed: int):
    """One run on ``source``: a FunctionChoice, or a Mission's surface."""
    spec = OPTIMIZER_CLASSES[kind](**dict(hyperparameters))
    objective = mission_objective(source) if isinstance(source, Mission) else objective_for(source)
    trajectory = optimize(spec, objective, start, steps, noise=noise, seed=seed, record_state=True)
    return RunResult(
        label=label,
        kind=kind,
        hyperparameters=hyperparameters,
        points=_read_only(trajectory.points),
        losses=_read_only(trajectory.losses),
        grads=_read_only(trajectory.grads),
        diverged_at=int(trajectory.diverged_at),
        state={name: _read_only(values) for name, values in trajectory.state.items()},
    )


def path(spec, choice: FunctionChoice, start, steps: int, *, noise: float = 0.0, seed: int = 0, label=None):
    """One optimizer's run (cached per optimizer, so one slider recomputes one run only)."""
    return _run(
        spec.kind,
        tuple(spec.hyperparameters().items()),
        choice,
        (float(start[0]), float(start[1])),
        int(steps),
        label or spec.label,
        float(noise),
        int(seed),
    )


# --- the pages' broadcast runs ----------------------------------------------------------------


@_cached(64)
def _ladder(kind, hyperparameters, name, values, choice, start, steps, upto, setting, label) -> figures.ScrubLadder:
    objective, _ = measured_objective(choice)
    spec = OPTIMIZER_CLASSES[kind](**{**dict(hyperparameters), name: np.array(values)})
    with_step_sizes = kind in ("rmsprop", "adagrad")
    starts = np.broadcast_to(np.array(start, dtype=float), (len(values), 2))
    trajectory = optimize(spec, objective, starts, steps, record_state=with_step_sizes)
    step_sizes = trajectory.state["step_size"] if with_step_sizes else None
    return figures.scrub_ladder(
        setting, label, trajectory.points, trajectory.losses, step_sizes, objective.min_value, upto
    )


def ladder(spec, name: str, values, choice: FunctionChoice, start, steps: int, *, upto=None, setting: str):
    """``spec`` at every value of hyperparameter ``name`` in ``values`` (its other settings as
    they are), one broadcast engine run, thinned for the browser to swap in while the slider of
    ``setting`` is dragged (noise-free: a batch draws other noise than a single run)."""
    return _ladder(
        spec.kind,
        tuple(spec.hyperparameters().items()),
        name,
        tuple(float(value) for value in values),
        choice,
        (float(start[0]), float(start[1])),
        int(steps),
        None if upto is None or upto < 0 else int(upto),
        setting,
        spec.label,
    )


TUNING_CRITERION = "fewest steps to settle within the tolerance; if none settles, the lowest final loss"


@dataclass(frozen=True)
class LearningRateSensitivity:
    """One optimizer's outcome at every learning rate of the ladder, and the best by the criterion."""

    learning_rates: np.ndarray
    steps_to_settle: np.ndarray  # -1: never settles
    final_losses: np.ndarray  # NaN where the run diverged
    diverged_at: np.ndarray
    best: int  # index into learning_rates; -1 when every run diverged


@_cached(64)
def learning_rate_sensitivity(
    choice: FunctionChoice, kind: str, hyperparameters: tuple, start: tuple, steps: int, tolerance: float
) -> LearningRateSensitivity:
    """The optimizer ``kind`` (its other ``hyperparameters`` fixed) at every α of the ladder, in one
    broadcast engine call, and the best α by ``TUNING_CRITERION``."""
    objective, _ = measured_objective(choice)
    learning_rates = np.array(LR_OPTIONS)
    spec = OPTIMIZER_CLASSES[kind](**{**dict(hyperparameters), "lr": learning_rates})
    starts = np.broadcast_to(np.array(start, dtype=float), (len(learning_rates), 2))
    trajectory = optimize(spec, objective, starts, steps)
    diverged = trajectory.diverged_at
    settle = steps_to_settle(trajectory.losses, objective.min_value, tolerance)
    final = np.where(diverged < 0, trajectory.losses[-1], np.nan)
    if (settle >= 0).any():
        best = int(np.argmin(np.where(settle >= 0, settle, np.iinfo(np.int64).max)))
    elif np.isfinite(final).any():
        best = int(np.nanargmin(final))
    else:
        best = -1
    return LearningRateSensitivity(
        _read_only(learning_rates), _read_only(settle), _read_only(final), _read_only(diverged), best
    )


def sweep_spec(kind: str, second: str | None, learning_rates, seconds, *, rho: float, eps: float):
    """The optimizer of a sweep: ``learning_rates`` along columns, ``seconds`` along rows."""
    if kind == "sgd":
        return SGD(lr=learning_rates)
    if kind == "momentum":
        return Momentum(lr=learning_rates, momentum=seconds)
    if kind == "adagrad":
        return Adagrad(lr=learning_rates, eps=seconds)
    if second == "rho":
        return RMSProp(lr=learning_rates, rho=seconds, eps=eps)
    return RMSProp(lr=learning_rates, eps=seconds, rho=rho)


@dataclass(frozen=True)
class SweepGrid:
    learning_rates: np.ndarray
    seconds: np.ndarray | None  # the second hyperparameter's values, rows; None for a 1-D sweep
    final_losses: np.ndarray
    steps_to_tolerance: np.ndarray
    diverged_at: np.ndarray


@_cached(32)
def sweep_grid(
    choice: FunctionChoice,
    kind: str,
    second,
    seconds: tuple | None,
    learning_rates: tuple,
    steps: int,
    rho: float,
    eps: float,
    tolerance: float,
) -> SweepGrid:
    """The whole grid in one broadcast engine call, outcomes only (no paths kept)."""
    objective = objective_for(choice)
    lrs = np.array(learning_rates)
    rows = None if seconds is None else np.array(seconds)
    spec = sweep_spec(
        kind, second, lrs if rows is None else lrs[None, :], None if rows is None else rows[:, None], rho=rho, eps=eps
    )
    outcome = sweep_outcomes(spec, objective, objective.start, steps, tolerance=tolerance)
    return SweepGrid(
        _read_only(lrs),
        None if rows is None else _read_only(rows),
        _read_only(outcome.final_losses),
        _read_only(outcome.steps_to_tolerance),
        _read_only(outcome.diverged_at),
    )


@dataclass(frozen=True)
class DecayFamily:
    points: np.ndarray  # (steps + 1, rates, 2)
    losses: np.ndarray
    step_sizes: np.ndarray
    diverged_at: np.ndarray


@_cached(64)
def decay_family(choice: FunctionChoice, rhos: tuple, lr: float, eps: float, steps: int) -> DecayFamily:
    """RMSProp at every decay rate in ``rhos`` from the function's start, one broadcast engine call
    (the Decay explorer, and the Lesson's table of ρ)."""
    objective = objective_for(choice)
    starts = np.broadcast_to(np.array(objective.start, dtype=float), (len(rhos), 2))
    trajectory = optimize(RMSProp(lr=lr, rho=np.array(rhos), eps=eps), objective, starts, steps, record_state=True)
    return DecayFamily(
        _read_only(trajectory.points),
        _read_only(trajectory.losses),
        _read_only(trajectory.state["step_size"]),
        _read_only(trajectory.diverged_at),
    )


@_cached(64)
def convention_runs(choice: FunctionChoice, lr: float, steps: int) -> dict[str, RunResult]:
    """RMSProp under each library's convention, on the same function with the same α."""
    return {
        name: path(convention.optimizer(lr), choice, objective_for(choice).start, steps, label=name)
        for name, convention in CONVENTIONS.items()
    }


@_cached(64)
def anatomy_trajectory(choice: FunctionChoice, lr: float, rho: float, eps: float, steps: int):
    """A plain RMSProp run whose recorded gradients and state the Anatomy page takes apart."""
    objective = objective_for(choice)
    trajectory = optimize(RMSProp(lr=lr, rho=rho, eps=eps), objective, objective.start, steps, record_state=True)
    # finish every lazy field now: the shared trajectory is only read afterwards
    for array in (trajectory.points, trajectory.losses, trajectory.grads, *trajectory.state.values()):
        _read_only(array)
    return trajectory


@_cached(32)
def mission_surface(mission: Mission) -> figures.Surface:
    xs, ys, values = evaluate_grid(mission_objective(mission), 300)
    return figures.make_surface(xs, ys, values)


def mission_flight(mission: Mission, spec, steps: int, label: str) -> RunResult:
    """One ship's flight: an optimizer on the mission's surface from the ship's position."""
    return _run(spec.kind, tuple(spec.hyperparameters().items()), mission, mission.ship, int(steps), label, 0.0, 0)


def clear() -> None:
    """Empty every cache (tests start each session from nothing)."""
    st.cache_resource.clear()


@_cached(16)
def scenario_numbers(scenario_id: str):
    """What a guided scenario's note quotes, measured by the engine: its view, and its contrast."""
    scenario = SCENARIOS[scenario_id]
    contrast = scenario.contrast_settings()
    return measure(scenario.settings()), None if contrast is None else measure(contrast)
