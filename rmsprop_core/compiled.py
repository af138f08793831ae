"""The optional compiled step loops: numba when it is installed, the NumPy engine otherwise.

A NumPy step is about 17 whole-array calls, each with about a microsecond of overhead, which is
the whole cost of a single path; compiled, a step of one point costs nanoseconds. Nothing here is a
second copy of a formula: the loops call the optimizers' ``*_formula`` functions and the
catalogue's own ``f`` and gradient functions, compiled for floats, in the engine's order of
operations, so both engines give the same numbers, bit for bit (``tests/test_compiled.py`` holds
them equal). Runs the compiled loops would not reproduce exactly go to the NumPy engine:

- objectives that are not catalogue functions (typed formulas, ``scaled`` ones);
- Ackley (``NOT_COMPILED``), whose ``np.exp`` rounds differently from the C library's ``exp``;
- Adam with array betas, whose bias corrections NumPy raises to powers with its own ``np.power``.

``RMSPROP_LAB_ENGINE=numpy`` in the environment turns the compiled loops off. Each loop is compiled
once, in a background thread, and cached on disk (numba's ``cache=True``), so later processes load
it; until it is ready, small runs go to NumPy (the same numbers), and large ones wait for it.
``defer_compiling`` holds the first compile back for a while (a server's first view).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import queue
import threading
import time
from concurrent.futures import Future
from functools import cache, partial

import numpy as np

from . import optimizers
from .objectives import OBJECTIVES

#: Catalogue objectives the compiled loops leave to NumPy, and why.
NOT_COMPILED = {"ackley": "its np.exp rounds differently from the C library's exp that compiled code calls"}


def _functions(objective):
    """``(f, gradient, parameters)``: the module functions behind ``objective`` and the arguments
    bound before (x, y) (the valley's cos, sin and kappa)."""
    f, grad = objective.f, objective.grad
    if isinstance(f, partial) and isinstance(grad, partial) and f.args == grad.args and not f.keywords | grad.keywords:
        return f.func, grad.func, grad.args
    return f, grad, ()


#: The objectives the compiled loops evaluate, as (f, gradient) pairs; objective kind ``k`` is
#: entry ``k``, and ``_PARAMETER_COUNTS[k]`` the number of arguments its functions take before (x, y).
CATALOGUE = tuple(_functions(objective)[:2] for name, objective in OBJECTIVES.items() if name not in NOT_COMPILED)
_PARAMETER_COUNTS = tuple(
    len(_functions(objective)[2]) for name, objective in OBJECTIVES.items() if name not in NOT_COMPILED
)

#: Optimizer kinds in the compiled loops; the hyperparameters follow each spec's ``numeric_fields``.
OPTIMIZER_KINDS = ("sgd", "momentum", "rmsprop", "adam", "adagrad")

#: The state the compiled loops keep per coordinate: one name per quantity, as in ``optimizers``.
STATE_SLOTS = ("s", "d", "m", "b")

#: A run of at least this many element-steps waits for its loop to be compiled (about a second, or
#: a tenth loaded from disk); a smaller one runs on NumPy while the loop compiles in the background.
WAIT_FOR_COMPILING_FROM = 20_000_000

#: Columns of the hyperparameter table: the most any optimizer has (RMSProp's five).
HYPERPARAMETER_COLUMNS = 5

#: With gradient noise, the draws for this many numbers (steps x 2 x N) are made at a time.
NOISE_WINDOW_ELEMENTS = 1 << 20


def enabled() -> bool:
    """Whether numba is installed and the environment has not asked for NumPy only."""
    return os.environ.get("RMSPROP_LAB_ENGINE", "").lower() != "numpy" and _numba_installed()


@cache
def _numba_installed() -> bool:
    return importlib.util.find_spec("numba") is not None


def _objective_kind(objective):
    """``(kind, parameters)`` of a catalogue objective the loops reproduce exactly, else None."""
    f, grad, parameters = _functions(objective)
    try:
        kind = CATALOGUE.index((f, grad))
    except ValueError:
        return None
    return kind, tuple(float(value) for value in parameters)


class _Compiler:
    """Compiles (or loads from disk) each loop once, in one background thread, so a page never
    waits for numba; ``loop`` hands out a loop once it is ready. While compiling is deferred, a
    requested loop waits in ``queued`` (its future already handed out) and goes to the thread when
    the deferral ends or a run waits for it: a process that exits meanwhile compiles nothing."""

    def __init__(self):
        self.lock = threading.Lock()
        self.futures: dict[tuple, Future] = {}
        self.jobs: queue.SimpleQueue | None = None  # (future, name, key) for the compile thread
        self.deferred_until: float | None = None  # time.monotonic() before which nothing compiles
        self.queued: list[tuple[str, tuple, Future]] = []
        self.timer: threading.Timer | None = None

    def defer(self, seconds: float) -> None:
        """Hold compiling back for ``seconds``, if nothing has been compiled or queued yet."""
        with self.lock:
            if self.deferred_until is None and not self.futures:
                self.deferred_until = time.monotonic() + seconds

    def loop(self, name: str, key: tuple, wait: bool):
        with self.lock:
            future = self.futures.get((name, key))
            if future is None:
                future = self.futures[(name, key)] = Future()
                self.queued.append((name, key, future))
            if wait or self.deferred_until is None or time.monotonic() >= self.deferred_until:
                self._start_queued()
            elif self.timer is None:
                # a daemon timer: an exiting process does not wait for the deferral to end
                self.timer = threading.Timer(self.deferred_until - time.monotonic(), self.end_deferral)
                self.timer.daemon = True
                self.timer.start()
        if not (wait or future.done()):
            return None
        try:
            return future.result()
        except Exception:  # a loop numba cannot build leaves its runs on NumPy, which gives the same numbers
            return None

    def end_deferral(self) -> None:
        with self.lock:
            self.deferred_until = None
            # the timer may fire as the interpreter shuts down, which starts no more threads
            with contextlib.suppress(RuntimeError):
                self._start_queued()

    def _start_queued(self) -> None:
        """Hands the queued loops to the compile thread (the lock is held)."""
        if self.queued and self.jobs is None:
            self.jobs = queue.SimpleQueue()
            # a daemon, unlike a ThreadPoolExecutor's worker: a stopping server (Ctrl+C) does not wait
            # for the compiles left, seconds on a first run; numba writes each cache file to a
            # temporary name and renames it, so a compile cut short leaves no file half-written
            threading.Thread(target=_compile_jobs, args=(self.jobs,), name="numba-compile", daemon=True).start()
        for name, key, future in self.queued:
            self.jobs.put((future, name, key))
        self.queued.clear()


def _compile_jobs(jobs: queue.SimpleQueue) -> None:
    while True:
        _compile_into(*jobs.get())


def _compile_into(future: Future, name: str, key: tuple) -> None:
    if not future.set_running_or_notify_cancel():
        return
    try:
        future.set_result(_compile(name, key))
    except BaseException as error:  # for whoever waits for the loop, as ThreadPoolExecutor hands it on
        future.set_exception(error)


_compiler = _Compiler()


def defer_compiling(seconds: float) -> None:
    """Start no compile for ``seconds`` from now, unless a run waits for its loop; only a call made
    before the first compile counts. numba's import and first cache loads hold the GIL most of the
    time they take: a server's first view, computed and sent meanwhile, would wait on them."""
    _compiler.defer(seconds)


def _forget_compiling_in_child() -> None:
    """A forked child has none of its parent's threads: a loop still compiling there would never
    finish, and a run waiting for it would hang. The child starts a compiler of its own."""
    global _compiler
    _compiler = _Compiler()


os.register_at_fork(after_in_child=_forget_compiling_in_child)


def _compile(name: str, key: tuple):
    """Loop ``name`` for ``key`` (optimizer kind, flags, objective kind), compiled by a first call
    on empty arrays of the types every later call passes."""
    from . import numba_loops

    loop = getattr(numba_loops, name)(*key)
    empty, indices = np.zeros((1, 2, 0)), np.zeros(0, dtype=np.int64)
    box, parameters = (0.0, 0.0, 1.0, 1.0), (0.0,) * _PARAMETER_COUNTS[key[2]]
    hyperparameters, state, bias = np.zeros((HYPERPARAMETER_COLUMNS, 0)), np.zeros((8, 0)), np.zeros((2, 2))
    if name == "path_steps":
        loop(hyperparameters, parameters, empty, 0, state, empty, empty, empty, empty, bias, indices, box, empty)
    else:
        finals = np.zeros((2, 0)), np.zeros(0), indices, indices.copy()
        loop(hyperparameters, parameters, empty[0], 1, 0.0, state, bias, box, *finals)
    return loop


class Plan:
    """What the compiled loops need of one run: the optimizer's kind, flags and per-element
    hyperparameters ``(5, N)``, Adam's bias corrections per step, and the objective's kind."""

    def __init__(self, spec, objective_kind, objective_parameters, size: int):
        self.spec = spec
        self.kind = OPTIMIZER_KINDS.index(spec.kind)
        self.objective_kind, self.objective_parameters = objective_kind, objective_parameters
        # five rows whatever the optimizer, so every loop reads an element alike (zeros pad the rest)
        self.hyperparameters = np.zeros((HYPERPARAMETER_COLUMNS, _row_length(size)))
        for row, name in enumerate(spec.numeric_fields):
            self.hyperparameters[row, :size] = getattr(spec, name)
        self.flags = (
            bool(getattr(spec, "nesterov", False) or getattr(spec, "centered", False)),
            bool(getattr(spec, "eps_in_sqrt", False)),
            "b" in spec.block(slice(0, 0)).init_state((2, 0)),
        )
        self.key = (self.kind, self.flags, self.objective_kind)

    def initial_state(self, size: int) -> np.ndarray:
        """``(8, N)``: ``STATE_SLOTS`` of x, then of y, each a row over the elements (so the loops
        load and store them as vectors), from the spec's own ``init_state`` (zeros where unused)."""
        state, initial = np.zeros((2, len(STATE_SLOTS), _row_length(size))), self.spec.init_state((2, size))
        for slot, name in enumerate(STATE_SLOTS):
            if name in initial:
                state[:, slot, :size] = initial[name]
        return state.reshape(2 * len(STATE_SLOTS), -1)

    def bias_corrections(self, steps: int) -> np.ndarray:
        """``(steps + 1, 2)``: Adam's ``(1 - beta1^t, 1 - beta2^t)`` per step, computed as the NumPy
        engine computes them (Python floats); zeros for the other optimizers."""
        table = np.zeros((steps + 1, 2))
        if self.spec.kind == "adam":
            for step in range(1, steps + 1):
                table[step] = optimizers.adam_bias_corrections(self.spec.beta1, self.spec.beta2, step)
        return table


def _row_length(size: int) -> int:
    """Row length of the state and hyperparameter tables: a row of ``size`` rounded up to whole
    cache lines, plus one, so their rows start in different cache sets (rows a multiple of 4 KiB
    apart compete for the same few and evict each other)."""
    return -(-size // 8) * 8 + 8


def plan(spec, objective, size: int, steps: int, loop: str) -> tuple[Plan, object] | None:
    """``(plan, compiled loop)`` for ``spec`` (flattened to the batch) on ``objective``; ``loop``
    is ``"path_steps"`` or ``"outcome_steps"``. None when the NumPy engine runs it: numba missing
    or turned off, a run the loops would not reproduce (see the module docstring), or a small run
    whose loop is still compiling."""
    if not enabled():
        return None
    found = _objective_kind(objective)
    if found is None:
        return None
    if spec.kind == "adam" and (np.ndim(spec.beta1) or np.ndim(spec.beta2)):
        return None
    run_plan = Plan(spec, *found, size)
    compiled_loop = _compiler.loop(loop, run_plan.key, wait=size * steps >= WAIT_FOR_COMPILING_FROM)
    return None if compiled_loop is None else (run_plan, compiled_loop)


def run_path(planned, points, diverged_at, history, box, noise) -> None:
    """The compiled twin of the engine's step loop: fills ``points[1:]`` (``(steps + 1, 2, N)``)
    from ``points[0]``, ``diverged_at`` and ``history`` (dict of recorded fields, or None);
    unlike the NumPy loop it also dates a non-finite loss, so ``diverged_at`` is final.
    ``noise`` is the engine's ``_GradientNoise`` or None; its draws come a window of steps at a time."""
    run_plan, loop = planned
    steps, size = points.shape[0] - 1, points.shape[2]
    state = run_plan.initial_state(size)
    recorded = _recorded(history, state, size)
    bias = run_plan.bias_corrections(steps)
    box = _scalars(box)
    diverged_at[:] = -1
    length = steps if noise is None else max(1, NOISE_WINDOW_ELEMENTS // (2 * size))
    for first in range(0, steps, max(length, 1)):
        count = min(length, steps - first)
        draws = np.zeros((0, 2, size)) if noise is None else noise.draws(count)
        window = slice(first, first + count + 1)
        loop(run_plan.hyperparameters, run_plan.objective_parameters, points[window], first, state, *recorded, bias,
             diverged_at, box, draws)  # fmt: skip


def _recorded(history, state, size: int) -> list[np.ndarray]:
    """One target per ``STATE_SLOTS`` entry: the history array to record into, or an empty one."""
    empty = np.zeros((0, 2, size))
    if history is None:
        return [empty] * len(STATE_SLOTS)
    by_slot = state.reshape(2, len(STATE_SLOTS), -1)
    for name, array in history.items():
        array[0] = by_slot[:, STATE_SLOTS.index(name), :size]
    return [history.get(name, empty) for name in STATE_SLOTS]


def run_outcomes(planned, start, steps: int, target: float, box, outcome) -> None:
    """The compiled twin of ``sweep_outcomes``' loop, filling the views ``outcome = (final,
    final_loss, reached, diverged_at)``."""
    run_plan, loop = planned
    final, final_loss, reached, diverged_at = outcome
    size = start.shape[1]
    loop(run_plan.hyperparameters, run_plan.objective_parameters, np.ascontiguousarray(start), steps, float(target),
         run_plan.initial_state(size), run_plan.bias_corrections(steps), _scalars(box), final, final_loss, reached,
         diverged_at)  # fmt: skip


def _scalars(box) -> tuple[float, float, float, float]:
    """The divergence box ``(centre, half_width)`` as four floats: scalars the compiled loops keep
    in registers (an array there could alias the arrays they write, which stops vectorisation)."""
    (centre_x, centre_y), (half_x, half_y) = (np.asarray(part, dtype=float).ravel() for part in box)
    return float(centre_x), float(centre_y), float(half_x), float(half_y)
