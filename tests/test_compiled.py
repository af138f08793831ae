"""The compiled step loops (numba) give the NumPy engine's numbers, bit for bit, for every run they
cover, and leave every other run to the NumPy engine."""

from __future__ import annotations

import pathlib
import subprocess
import sys
import threading

import numpy as np
import pytest

from rmsprop_core import SGD, Adagrad, Adam, Momentum, RMSProp, compiled, get_objective, optimize, sweep_outcomes
from rmsprop_core.formula import parse_objective
from rmsprop_core.objectives import OBJECTIVES, quadratic_valley, scaled


@pytest.fixture(autouse=True)
def compile_before_running(monkeypatch):
    """Every run waits for its compiled loop, so these tests always compare the two engines."""
    monkeypatch.setattr(compiled, "WAIT_FOR_COMPILING_FROM", 0)


def test_numba_is_installed_for_the_tests():
    assert compiled.enabled(), "numba (requirements.txt) is missing: the compiled loops would go untested"


SPECS = [
    SGD(lr=0.01),
    Momentum(lr=0.01, momentum=0.9),
    Momentum(lr=0.01, momentum=0.8, nesterov=True),
    RMSProp(lr=0.01, rho=0.9, eps=1e-6),
    RMSProp(lr=0.05, rho=0.99, eps=0.0),
    RMSProp(lr=0.01, rho=0.9, eps=1e-8, centered=True),
    RMSProp(lr=0.01, rho=0.9, eps=1e-7, eps_in_sqrt=True, initial_accumulator=1.0),
    RMSProp(lr=0.01, rho=0.95, eps=1e-6, momentum=0.9, centered=True),
    Adam(lr=0.05, beta1=0.9, beta2=0.999, eps=1e-8),
    Adam(lr=0.1, beta1=0.5, beta2=0.9, eps=0.0),
    Adagrad(lr=0.5, eps=1e-10),
    Adagrad(lr=0.5, eps=0.0, initial_accumulator=0.1),
]
COVERED = [name for name in OBJECTIVES if name not in compiled.NOT_COMPILED]


def _both(monkeypatch, run):
    """``run()`` with the compiled loops, then with the NumPy engine only."""
    monkeypatch.delenv("RMSPROP_LAB_ENGINE", raising=False)
    fast = run()
    monkeypatch.setenv("RMSPROP_LAB_ENGINE", "numpy")
    slow = run()
    monkeypatch.delenv("RMSPROP_LAB_ENGINE")
    return fast, slow


def _starts(objective, count=5, seed=3):
    """Starts across the domain, one far outside it (diverged at step 0) and one non-finite."""
    (xmin, xmax), (ymin, ymax) = objective.domain
    points = np.random.default_rng(seed).uniform((xmin, ymin), (xmax, ymax), (count, 2))
    return np.vstack([points, [[1e30, 0.0], [np.nan, 1.0]]])


def _assert_same_trajectory(fast, slow):
    np.testing.assert_array_equal(fast.diverged_at, slow.diverged_at)
    np.testing.assert_array_equal(fast.points, slow.points)  # NaN where NaN, every bit of the rest
    np.testing.assert_array_equal(fast.losses, slow.losses)
    assert fast.state.keys() == slow.state.keys()
    for name in slow.state:
        np.testing.assert_array_equal(fast.state[name], slow.state[name], err_msg=name)


# every optimizer and option on three objectives, and two optimizers on every objective: each pair
# is a loop of its own to compile (about a second on a fresh machine)
PAIRS = [(spec, name) for spec in SPECS for name in ("rosenbrock", "rastrigin", "valley")] + [
    (spec, name)
    for spec in (SPECS[3], SPECS[8])
    for name in COVERED
    if name not in ("rosenbrock", "rastrigin", "valley")
]


@pytest.mark.parametrize("spec, name", PAIRS, ids=lambda value: repr(value) if not isinstance(value, str) else value)
def test_paths_are_the_numpy_engines_bit_for_bit(monkeypatch, spec, name):
    objective = get_objective(name)
    starts = _starts(objective)
    fast, slow = _both(monkeypatch, lambda: optimize(spec, objective, starts, 300, record_state=True))
    _assert_same_trajectory(fast, slow)


@pytest.mark.parametrize("spec", SPECS[3:8] + SPECS[10:], ids=lambda spec: repr(spec))
def test_sweeps_with_broadcast_hyperparameters_and_divergence_are_the_same(monkeypatch, spec):
    objective = get_objective("rosenbrock")
    lrs = np.geomspace(1e-4, 1e8, 9)[:, None]  # steps of about lr: the largest rates leave the box
    swept = type(spec)(**{**spec.hyperparameters(), "lr": lrs, "eps": np.array([0.0, 1e-8, 1e-3])[None, :]})
    start = np.array(objective.start)
    fast, slow = _both(monkeypatch, lambda: optimize(swept, objective, start, 200))
    assert (slow.diverged_at >= 0).any() and (slow.diverged_at < 0).any()
    _assert_same_trajectory(fast, slow)


def test_a_momentum_sweep_runs_with_its_momentum_in_both_engines(monkeypatch):
    """The compiled loops took an array momentum for none (its buffer was looked for in an empty
    block) and ran plain RMSProp; the state left the buffer out."""
    objective = get_objective("rosenbrock")
    spec = RMSProp(lr=0.01, momentum=np.array([0.0, 0.9]))
    fast, slow = _both(monkeypatch, lambda: optimize(spec, objective, objective.start, 50, record_state=True))
    _assert_same_trajectory(fast, slow)
    single = optimize(RMSProp(lr=0.01, momentum=0.9), objective, objective.start, 50, record_state=True)
    np.testing.assert_array_equal(fast.points[:, 1], single.points)
    np.testing.assert_array_equal(fast.state["b"][:, 1], single.state["b"])
    fast, slow = _both(monkeypatch, lambda: sweep_outcomes(spec, objective, objective.start, 50, tolerance=1e-3))
    np.testing.assert_array_equal(fast.final_points, slow.final_points)
    np.testing.assert_array_equal(fast.final_points[1], single.points[-1])


def test_noise_draws_are_the_same_numbers_in_both_engines(monkeypatch):
    objective = get_objective("ellipse")
    spec = RMSProp(lr=0.05, rho=0.9, momentum=0.5)
    run = lambda: optimize(spec, objective, _starts(objective), 400, noise=2.0, seed=11, record_state=True)  # noqa: E731
    fast, slow = _both(monkeypatch, run)
    _assert_same_trajectory(fast, slow)
    # draws come in windows of steps; a long run crosses windows in the middle of its steps
    monkeypatch.setattr(compiled, "NOISE_WINDOW_ELEMENTS", 2 * 7 * 3)
    fast, slow = _both(monkeypatch, run)
    _assert_same_trajectory(fast, slow)


def test_an_overflowing_square_average_diverges_at_the_same_step(monkeypatch):
    objective = get_objective("goldstein_price")  # values to a million: g^2 overflows far out
    starts = np.array([[1.9, -1.9], [1e150, 1e150], [-1e160, 0.5]])
    for spec in (RMSProp(lr=1e-3), Adam(lr=1e-3), Adagrad(lr=1e-3)):
        fast, slow = _both(monkeypatch, lambda spec=spec: optimize(spec, objective, starts, 50, record_state=True))
        _assert_same_trajectory(fast, slow)


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: repr(spec))
@pytest.mark.parametrize("name", ["rosenbrock", "saddle"])
def test_sweep_outcomes_are_the_numpy_engines(monkeypatch, spec, name):
    objective = get_objective(name)
    near_minimum = np.add(objective.minima[:1], [[0.0, 0.0], [0.01, -0.02]]) if objective.minima else np.empty((0, 2))
    starts = np.vstack([_starts(objective, count=40), near_minimum])
    fast, slow = _both(monkeypatch, lambda: sweep_outcomes(spec, objective, starts, 150, tolerance=1e-3))
    assert (slow.steps_to_tolerance >= 0).any() == bool(objective.minima)
    for field in ("final_points", "final_losses", "steps_to_tolerance", "diverged_at"):
        np.testing.assert_array_equal(getattr(fast, field), getattr(slow, field), err_msg=field)


def test_the_compiled_loops_run_the_runs_they_cover(monkeypatch):
    calls = []
    for name in ("run_path", "run_outcomes"):
        original = getattr(compiled, name)
        monkeypatch.setattr(
            compiled, name, lambda *args, name=name, original=original: (calls.append(name), original(*args))
        )
    objective = quadratic_valley(100.0, 30.0)
    optimize(RMSProp(), objective, objective.start, 10)
    sweep_outcomes(Adam(), objective, [objective.start], 10, tolerance=0.1)
    assert calls == ["run_path", "run_outcomes"]


def test_a_small_run_does_not_wait_for_its_loop_to_compile(monkeypatch):
    release = threading.Event()
    compiler = compiled._Compiler()
    monkeypatch.setattr(compiled, "_compiler", compiler)
    monkeypatch.setattr(compiled, "WAIT_FOR_COMPILING_FROM", 1000)
    monkeypatch.setattr(compiled, "_compile", lambda name, key: (release.wait(), f"{name} {key}")[1])
    objective = get_objective("bowl")
    assert compiled.plan(RMSProp(), objective, 1, 999, "path_steps") is None  # NumPy runs it meanwhile
    release.set()
    compiler.futures["path_steps", (2, (False, False, False), 0)].result()
    assert compiled.plan(RMSProp(), objective, 1, 999, "path_steps")[1] == "path_steps (2, (False, False, False), 0)"
    # a large run waits for its loop
    release.clear()
    waiting = threading.Thread(target=lambda: calls.append(compiled.plan(SGD(), objective, 1, 1000, "path_steps")))
    calls = []
    waiting.start()
    waiting.join(0.2)
    assert waiting.is_alive() and not calls
    release.set()
    waiting.join()
    assert calls[0][1] == "path_steps (0, (False, False, False), 0)"


@pytest.mark.parametrize(
    "spec, objective",
    [
        (RMSProp(), get_objective("ackley")),  # np.exp rounds unlike the C library's exp
        (RMSProp(), scaled(get_objective("bowl"), 3.0)),
        (RMSProp(), parse_objective("x^2 + 3*y^2")),
        (Adam(beta1=np.array([0.8, 0.9])), get_objective("bowl")),  # np.power on arrays
    ],
    ids=["ackley", "scaled", "formula", "adam-array-betas"],
)
def test_runs_the_compiled_loops_would_not_reproduce_go_to_numpy(spec, objective):
    assert compiled.plan(spec.flattened((2,)), objective, 2, 10, "path_steps") is None


def test_the_environment_can_turn_the_compiled_loops_off(monkeypatch):
    objective = get_objective("bowl")
    assert compiled.plan(RMSProp(), objective, 1, 10, "path_steps") is not None
    monkeypatch.setenv("RMSPROP_LAB_ENGINE", "NumPy")
    assert compiled.plan(RMSProp(), objective, 1, 10, "path_steps") is None


@pytest.mark.parametrize("name", COVERED)
def test_compiled_objective_functions_are_numpys(name):
    import numba

    from rmsprop_core import numba_loops  # noqa: F401 - makes the catalogue's functions callable from compiled code

    kind, parameters = compiled._objective_kind(get_objective(name))
    f, grad = compiled.CATALOGUE[kind]
    objective = get_objective(name)
    (xmin, xmax), (ymin, ymax) = objective.domain
    points = np.random.default_rng(7).uniform((2 * xmin, 2 * ymin), (2 * xmax, 2 * ymax), (2000, 2))
    loss, gradient = (numba.njit(lambda x, y, function=function: function(*parameters, x, y)) for function in (f, grad))
    values = np.array([loss(x, y) for x, y in points])
    gradients = np.array([gradient(x, y) for x, y in points])
    np.testing.assert_array_equal(values, objective.f(points[:, 0], points[:, 1]))
    np.testing.assert_array_equal(gradients, np.column_stack(objective.grad(points[:, 0], points[:, 1])))


def test_a_compiled_run_dates_undefined_losses_itself(monkeypatch):
    """The compiled loops evaluate each loss as they go, so the path needs no NumPy pass over
    every loss to finish dating its divergence (for a large sweep that pass cost more than the run)."""
    from rmsprop_core import engine

    passes = []
    original = engine._date_undefined_losses
    monkeypatch.setattr(engine, "_date_undefined_losses", lambda *args: (passes.append(1), original(*args))[1])
    objective = get_objective("rosenbrock")
    run = optimize(RMSProp(lr=np.array([0.01, 1e9])), objective, objective.start, 50)
    assert run.diverged_at.tolist() == [-1, 1] and not passes
    monkeypatch.setenv("RMSPROP_LAB_ENGINE", "numpy")
    assert optimize(RMSProp(lr=np.array([0.01, 1e9])), objective, objective.start, 50).diverged_at.tolist() == [-1, 1]
    assert passes == [1]


def test_a_forked_child_compiles_for_itself_instead_of_waiting_for_its_parents_thread():
    """A fork copies no threads: a loop the parent was still compiling would never be ready in the
    child, and a run that waits for it would hang. The child starts a compiler of its own."""
    import os
    import time
    from concurrent.futures import Future

    objective, spec, start = get_objective("ellipse"), Momentum(lr=0.02, momentum=0.7, nesterov=True), (1.5, -1.0)
    expected = optimize(spec, objective, start, 30).points
    key = ("path_steps", compiled.Plan(spec, *compiled._objective_kind(objective), 1).key)
    parents = compiled._compiler.futures
    ready = parents.pop(key)
    parents[key] = Future()  # as if the parent's compile thread were still at it when the child forks
    try:
        child = os.fork()
        if child == 0:  # the child: exit 0 only with the same numbers from its own compiled loop
            status = 1
            try:
                status = 0 if np.array_equal(optimize(spec, objective, start, 30).points, expected) else 1
            finally:
                os._exit(status)
        waited = 0.0  # a safety net for a hang, far beyond a second's compile or a load from disk
        while (finished := os.waitpid(child, os.WNOHANG))[0] == 0 and waited < 300:
            time.sleep(0.1)
            waited += 0.1
        if finished[0] == 0:
            os.kill(child, 9)
            os.waitpid(child, 0)
            pytest.fail("the forked child waited for a loop its parent's thread would never finish")
        assert os.waitstatus_to_exitcode(finished[1]) == 0
    finally:
        parents[key] = ready


def test_loops_are_cached_in_a_folder_named_for_every_source_they_are_compiled_from(monkeypatch):
    """numba checks only the file that defines a jitted function: a formula edited in optimizers.py
    (or an upgrade that changes one) would load a stale loop from a folder not named for it."""
    import pathlib

    from rmsprop_core import numba_loops, objectives, optimizers

    digest = numba_loops._sources_digest()
    assert pathlib.Path(numba_loops.CACHE_FOLDER).name == f"numba-{digest}"
    optimize(Adagrad(lr=0.3), get_objective("ellipse"), (1.0, 1.0), 5)
    assert any(pathlib.Path(numba_loops.CACHE_FOLDER).rglob("numba_loops.*.nbi"))  # the loops are there
    read = pathlib.Path.read_bytes
    for module in (optimizers, objectives, numba_loops):

        def read_edited(path, edited=pathlib.Path(module.__file__)):
            return read(path) + b"#" * (path == edited)

        monkeypatch.setattr(pathlib.Path, "read_bytes", read_edited)
        assert numba_loops._sources_digest() != digest, module.__name__
        monkeypatch.undo()


def test_a_deferred_compile_waits_until_a_run_needs_its_loop(monkeypatch):
    """``defer_compiling`` (a server's first view) holds compiling back: a requested loop waits,
    with no compile thread started, so a process that exits meanwhile compiles nothing; a run that
    waits for its loop starts the compiling at once."""
    compiler = compiled._Compiler()
    monkeypatch.setattr(compiled, "_compiler", compiler)
    monkeypatch.setattr(compiled, "WAIT_FOR_COMPILING_FROM", 1000)
    monkeypatch.setattr(compiled, "_compile", lambda name, key: f"{name} {key}")
    compiled.defer_compiling(3600.0)
    deferred_until = compiler.deferred_until
    compiled.defer_compiling(0.0)  # only the first call counts
    assert compiler.deferred_until == deferred_until
    objective = get_objective("bowl")
    assert compiled.plan(RMSProp(), objective, 1, 999, "path_steps") is None  # NumPy runs it meanwhile
    assert compiler.jobs is None and compiler.timer.daemon
    assert compiled.plan(SGD(), objective, 1, 1000, "path_steps")[1] == "path_steps (0, (False, False, False), 0)"
    # the loop asked for first was queued first, and compiles too
    assert compiler.futures["path_steps", (2, (False, False, False), 0)].result() == (
        "path_steps (2, (False, False, False), 0)"
    )


def test_a_process_exits_without_waiting_for_a_compile_in_progress():
    """A server stopped while numba compiles (a first run, seconds of it) exits at once: the compile
    thread is a daemon, where a ThreadPoolExecutor's worker holds the interpreter's exit until its
    job ends."""
    script = """
import threading, time
from rmsprop_core import compiled
started = threading.Event()
compiled._compile = lambda name, key: (started.set(), time.sleep(3600))
compiled._compiler.loop("path_steps", (0, (False, False, False), 0), wait=False)
started.wait(60)
print("compiling", flush=True)
"""
    root = pathlib.Path(__file__).parent.parent
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=root)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "compiling\n"


def test_a_deferral_asked_for_after_the_first_compile_is_ignored(monkeypatch):
    compiler = compiled._Compiler()
    monkeypatch.setattr(compiled, "_compiler", compiler)
    monkeypatch.setattr(compiled, "_compile", lambda name, key: f"{name} {key}")
    assert compiled.plan(RMSProp(), get_objective("bowl"), 1, 10, "path_steps") is not None
    compiled.defer_compiling(3600.0)
    assert compiler.deferred_until is None


def test_deferring_ends_at_its_time(monkeypatch):
    compiler = compiled._Compiler()
    monkeypatch.setattr(compiled, "_compiler", compiler)
    monkeypatch.setattr(compiled, "WAIT_FOR_COMPILING_FROM", 1000)
    monkeypatch.setattr(compiled, "_compile", lambda name, key: f"{name} {key}")
    compiled.defer_compiling(0.05)
    objective = get_objective("bowl")
    assert compiled.plan(RMSProp(), objective, 1, 10, "path_steps") is None
    assert compiler.futures["path_steps", (2, (False, False, False), 0)].result() == (
        "path_steps (2, (False, False, False), 0)"
    )
    assert compiler.deferred_until is None
    assert compiled.plan(RMSProp(), objective, 1, 10, "path_steps")[1] == "path_steps (2, (False, False, False), 0)"


def test_a_loop_numba_cannot_build_leaves_its_runs_to_numpy(monkeypatch):
    compiler = compiled._Compiler()
    monkeypatch.setattr(compiled, "_compiler", compiler)

    def fails(name, key):
        raise RuntimeError("numba cannot build it")

    monkeypatch.setattr(compiled, "_compile", fails)
    assert compiled.plan(RMSProp(), get_objective("bowl"), 1, 10, "path_steps") is None
