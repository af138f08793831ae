"""Engine speed against issue 13's targets, each comparison interleaved in one process.

This machine is shared and noisy, so every comparison runs its two sides alternately (A, B, A, B,
...) and reports the median of the per-round ratios, with the load average before and after. Times
are the thread's CPU time (``time.thread_time``), after a warm-up call of each side.

Targets:
- one path of 1000 steps with its state and losses (what Compare computes per slider value):
  RMSProp and Adam each <= 10 ms CPU;
- sweeps, all points kept and outcomes only, engine / the plainest fused numba loop (steps
  outermost, gradient and update inline, every point stored in a new array, as the engine
  returns one): <= 1.5 from 128^2 to 256^2,
  <= 3 at 32^2, for 100 to 2000 steps, RMSProp and Adam; ``sweep_outcomes`` not slower than
  ``optimize`` with the losses it needs;
- Rosenbrock typed as a formula: <= 1.3x the built-in on a 128^2 x 500 sweep and on a single path;
- the lesson's loop (one ``rmsprop_update`` call per configuration per step) against the engine.

The engine runs catalogue objectives through its compiled loops when numba is installed
(``rmsprop_core/compiled.py``); typed formulas always run on NumPy, so the formula row compares
both sides on the NumPy engine (``RMSPROP_LAB_ENGINE=numpy``), which is what it measures: the cost of
evaluating a typed formula against the built-in function's. ``--numpy`` runs every row that way.

    python bench/bench_engine.py [--rounds 5] [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from rmsprop_core import (
    Adam,
    RMSProp,
    compiled,
    get_objective,
    optimize,
    parse_objective,
    rmsprop_update,
    sweep_outcomes,
)
from rmsprop_core.metrics import steps_to_tolerance

START = (-1.5, 2.0)
TOLERANCE = 1e-3
ROSENBROCK = get_objective("rosenbrock")


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def cpu_seconds(function) -> float:
    began = time.thread_time()
    result = function()
    elapsed = time.thread_time() - began
    del result
    return elapsed


def interleaved(first, second, rounds: int) -> tuple[float, float, float]:
    """Median CPU seconds of ``first`` and ``second`` run alternately, and the median of the
    per-round ratios first / second."""
    first(), second()  # warm-up: imports, caches, compilation, the allocator's page faults
    first_times, second_times, ratios = [], [], []
    for _ in range(rounds):
        a = cpu_seconds(first)
        b = cpu_seconds(second)
        first_times.append(a)
        second_times.append(b)
        ratios.append(a / b)
    return statistics.median(first_times), statistics.median(second_times), statistics.median(ratios)


def verdict(value: float, target: float) -> str:
    return f"{'meets' if value <= target else 'MISSES'} <= {target:g}"


# --- sweeps: the engine and the fused references ------------------------------------------------


def sweep_hyperparameters(kind: str, grid: int):
    """RMSProp over (lr, rho); Adam over (lr, eps), the Sweep page's Adam grid."""
    learning_rates = np.logspace(-4, -1, grid)[:, None]
    if kind == "rmsprop":
        return RMSProp(lr=learning_rates, rho=np.linspace(0.5, 0.999, grid)[None, :], eps=1e-6)
    return Adam(lr=learning_rates, eps=np.logspace(-10, -2, grid)[None, :])


def flat_hyperparameters(spec, grid: int):
    """Per-element arrays and scalars for the fused loops: (lr, rho or eps, beta1, beta2, eps)."""
    flat = spec.flattened((grid, grid))
    if isinstance(flat, RMSProp):
        return flat.lr, flat.rho, 0.0, 0.0, float(flat.eps)
    return flat.lr, flat.eps, float(flat.beta1), float(flat.beta2), 0.0


def fused_loops():
    """The plainest fused loops (numba): steps outermost, Rosenbrock's gradient and the update
    inline, in the engine's order of operations so both round alike; every point stored, or only
    the outcomes (final point, its loss, the first step within the tolerance)."""
    import numba

    @numba.njit(inline="always")
    def gradient(x, y):
        gy = 200.0 * (y - x * x)
        return 2.0 * ((x - x * gy) - 1.0), gy

    @numba.njit(inline="always")
    def rmsprop_move(g, s, m, lr, rho, beta1, beta2, eps, corrections):
        s = rho * s + (g * g) * (1.0 - rho)
        return lr * g / (np.sqrt(s) + eps), s, m

    @numba.njit(inline="always")
    def adam_move(g, s, m, lr, eps, beta1, beta2, unused_eps, corrections):
        first_correction, second_correction_root = corrections
        m = beta1 * m + (1.0 - beta1) * g
        s = beta2 * s + (g * g) * (1.0 - beta2)
        return (m / (np.sqrt(s) / second_correction_root + eps)) * (lr / first_correction), s, m

    @numba.njit(inline="always")
    def rmsprop_corrections(beta1, beta2, step):
        return 1.0, 1.0

    @numba.njit(inline="always")
    def adam_corrections(beta1, beta2, step):
        # once per step, with float powers, as the engine's Python floats take them
        return 1.0 - beta1 ** float(step), np.sqrt(1.0 - beta2 ** float(step))

    def make(move, corrections_at):
        @numba.njit
        def all_points(lr, second, beta1, beta2, eps, steps):
            size = lr.size
            out = np.empty((steps + 1, 2, size))  # a new array per run, as the engine returns
            s = np.zeros((2, size))
            m = np.zeros((2, size))
            out[0, 0, :] = START[0]
            out[0, 1, :] = START[1]
            for step in range(1, steps + 1):
                corrections = corrections_at(beta1, beta2, step)
                for n in range(size):
                    x, y = out[step - 1, 0, n], out[step - 1, 1, n]
                    gx, gy = gradient(x, y)
                    dx, s[0, n], m[0, n] = move(gx, s[0, n], m[0, n], lr[n], second[n], beta1, beta2, eps, corrections)
                    dy, s[1, n], m[1, n] = move(gy, s[1, n], m[1, n], lr[n], second[n], beta1, beta2, eps, corrections)
                    out[step, 0, n] = x - dx
                    out[step, 1, n] = y - dy
            return out

        @numba.njit
        def outcomes(lr, second, beta1, beta2, eps, steps, tolerance):
            size = lr.size
            s = np.zeros((2, size))
            m = np.zeros((2, size))
            x = np.full(size, START[0])
            y = np.full(size, START[1])
            reached = np.full(size, -1)
            loss = np.empty(size)
            for step in range(steps + 1):
                for n in range(size):
                    valley = y[n] - x[n] * x[n]
                    loss[n] = (1.0 - x[n]) ** 2 + 100.0 * valley * valley
                    if reached[n] < 0 and loss[n] <= tolerance:
                        reached[n] = step
                if step == steps:
                    break
                corrections = corrections_at(beta1, beta2, step + 1)
                for n in range(size):
                    gx, gy = gradient(x[n], y[n])
                    dx, s[0, n], m[0, n] = move(gx, s[0, n], m[0, n], lr[n], second[n], beta1, beta2, eps, corrections)
                    dy, s[1, n], m[1, n] = move(gy, s[1, n], m[1, n], lr[n], second[n], beta1, beta2, eps, corrections)
                    x[n] -= dx
                    y[n] -= dy
            return x, y, loss, reached

        return all_points, outcomes

    return {"rmsprop": make(rmsprop_move, rmsprop_corrections), "adam": make(adam_move, adam_corrections)}


def sweep_rows(fused, rounds: int, quick: bool) -> list[tuple]:
    rows = []
    cases = [(32, 100), (32, 2000), (128, 100), (128, 500), (256, 100), (256, 500)]
    outcome_cases = [(32, 100), (32, 2000), (128, 500), (128, 2000), (256, 500), (256, 2000)]
    if quick:
        cases, outcome_cases = [(32, 500), (128, 500)], [(128, 500)]
    for kind in ("rmsprop", "adam"):
        all_points, outcomes = fused[kind]
        for grid, steps in cases:
            spec = sweep_hyperparameters(kind, grid)
            flat = flat_hyperparameters(spec, grid)
            engine_points = optimize(spec, ROSENBROCK, START, steps).points
            fused_points = all_points(*flat, steps).transpose(0, 2, 1).reshape(engine_points.shape)
            agrees = np.allclose(engine_points, fused_points, rtol=1e-9, atol=1e-12, equal_nan=True)
            del engine_points, fused_points
            engine_time, fused_time, ratio = interleaved(
                lambda spec=spec, steps=steps: optimize(spec, ROSENBROCK, START, steps).points,
                lambda flat=flat, steps=steps, loop=all_points: loop(*flat, steps),
                rounds,
            )
            target = 3.0 if grid <= 32 else 1.5
            rows.append((f"{kind} {grid}^2 x {steps}, all points", engine_time, fused_time, ratio, target, agrees))
        for grid, steps in outcome_cases:
            spec = sweep_hyperparameters(kind, grid)
            flat = flat_hyperparameters(spec, grid)
            outcome = sweep_outcomes(spec, ROSENBROCK, START, steps, tolerance=TOLERANCE, min_value=0.0)
            fused_outcome = outcomes(*flat, steps, TOLERANCE)
            agrees = np.array_equal(outcome.steps_to_tolerance.ravel(), fused_outcome[3])
            engine_time, fused_time, ratio = interleaved(
                lambda spec=spec, steps=steps: sweep_outcomes(spec, ROSENBROCK, START, steps, tolerance=TOLERANCE),
                lambda flat=flat, steps=steps, loop=outcomes: loop(*flat, steps, TOLERANCE),
                rounds,
            )
            target = 3.0 if grid <= 32 else 1.5
            rows.append((f"{kind} {grid}^2 x {steps}, outcomes only", engine_time, fused_time, ratio, target, agrees))
    return rows


def outcomes_against_optimize(rounds: int) -> tuple[float, float, float]:
    """``sweep_outcomes`` against ``optimize`` computing the same outcomes (losses, first touch)."""
    spec = sweep_hyperparameters("rmsprop", 128)

    def with_optimize():
        run = optimize(spec, ROSENBROCK, START, 500)
        return steps_to_tolerance(run.losses, 0.0, TOLERANCE), run.diverged_at

    return interleaved(lambda: sweep_outcomes(spec, ROSENBROCK, START, 500, tolerance=TOLERANCE), with_optimize, rounds)


# --- single paths ------------------------------------------------------------------------------


def single_path(spec, objective=ROSENBROCK, steps: int = 1000):
    run = optimize(spec, objective, START, steps, record_state=True)
    return run.points, run.losses, run.state


def single_path_rows(rounds: int) -> list[tuple]:
    rows = []
    for spec in (RMSProp(lr=0.01, rho=0.9), Adam(lr=0.01)):
        single_path(spec)
        times = [cpu_seconds(lambda spec=spec: single_path(spec)) for _ in range(max(rounds, 9))]
        rows.append((spec.label, statistics.median(times)))
    return rows


# --- formulas ----------------------------------------------------------------------------------


def formula_rows(rounds: int) -> list[tuple]:
    previous = os.environ.get("RMSPROP_LAB_ENGINE")
    os.environ["RMSPROP_LAB_ENGINE"] = "numpy"
    try:
        return _formula_rows(rounds)
    finally:
        if previous is None:
            del os.environ["RMSPROP_LAB_ENGINE"]
        else:
            os.environ["RMSPROP_LAB_ENGINE"] = previous


def _formula_rows(rounds: int) -> list[tuple]:
    typed = parse_objective("(1 - x)^2 + 100*(y - x^2)^2", ROSENBROCK.domain)
    spec = sweep_hyperparameters("rmsprop", 128)
    sweep = interleaved(
        lambda: optimize(spec, typed, START, 500).points, lambda: optimize(spec, ROSENBROCK, START, 500).points, rounds
    )
    path_spec = RMSProp(lr=0.01, rho=0.9)
    path = interleaved(
        lambda: single_path(path_spec, typed), lambda: single_path(path_spec, ROSENBROCK), max(rounds, 9)
    )
    return [("128^2 x 500 sweep", *sweep), ("1000-step path with state", *path)]


# --- the lesson's loop -------------------------------------------------------------------------


def lesson_way(configurations, steps: int):
    """The lesson's loop: per configuration, per step, one ``rmsprop_update`` call, with the
    engine's Rosenbrock gradient (a hand-written one rounds differently by an ulp, which a chaotic
    run amplifies); keeps every point, as ``optimize`` does, and returns the final points."""
    finals = []
    for learning_rate, rho in configurations:
        coordinates = np.array(START)
        s_prev = np.array([0.0, 0.0])
        path = [coordinates]
        for _ in range(steps):
            grad = np.array(ROSENBROCK.grad(coordinates[0], coordinates[1]))
            updates, s_prev = rmsprop_update(learning_rate, rho, 1e-6, grad, s_prev)
            coordinates = coordinates - updates
            path.append(coordinates)
        finals.append(path[-1])
    return np.array(finals)


def lesson_row(rounds: int, subset: int = 16) -> tuple:
    grid, steps = 128, 500
    spec = sweep_hyperparameters("rmsprop", grid)
    flat = spec.flattened((grid, grid))
    chosen = np.random.default_rng(0).choice(grid * grid, subset, replace=False)
    configurations = [(float(flat.lr[i]), float(flat.rho[i])) for i in chosen]
    scale = grid * grid / subset
    engine_time, lesson_time, ratio = interleaved(
        lambda: optimize(spec, ROSENBROCK, START, steps).points, lambda: lesson_way(configurations, steps), rounds
    )
    engine_finals = optimize(spec, ROSENBROCK, START, steps).points[-1].reshape(-1, 2)[chosen]
    lesson_finals = lesson_way(configurations, steps)
    finite = np.isfinite(engine_finals).all(axis=1)
    agree = np.array_equal(engine_finals[finite], lesson_finals[finite])
    return engine_time, lesson_time * scale, scale / ratio, agree


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per comparison")
    parser.add_argument("--quick", action="store_true", help="fewer sweep sizes")
    parser.add_argument("--numpy", action="store_true", help="the NumPy engine only (no compiled loops)")
    args = parser.parse_args()
    if args.numpy:
        os.environ["RMSPROP_LAB_ENGINE"] = "numpy"
    # steady state: every run waits for its compiled loop, so the warm-up call compiles it
    compiled.WAIT_FOR_COMPILING_FROM = 0
    engine = "compiled loops (numba)" if compiled.enabled() else "NumPy"
    print(f"start: {load()}   (2-core machine; CPU times of this thread; ratio = median of per-round ratios)")
    print(f"engine: {engine}")

    print("\nOne path of 1000 steps on Rosenbrock with its state and losses (median CPU time):")
    for label, seconds in single_path_rows(args.rounds):
        print(f"  {label:8s} {seconds * 1e3:7.1f} ms   {verdict(seconds * 1e3, 10.0)} ms")

    print("\nSweeps on Rosenbrock, engine / fused numba loop (interleaved):")
    fused = fused_loops()
    for label, engine_time, fused_time, ratio, target, agrees in sweep_rows(fused, args.rounds, args.quick):
        print(
            f"  {label:38s} engine {engine_time * 1e3:8.1f} ms  fused {fused_time * 1e3:8.1f} ms  "
            f"ratio {ratio:5.2f}  {verdict(ratio, target)}   cross-check: {'agrees' if agrees else 'MISMATCH'}"
        )
    outcome_time, optimize_time, ratio = outcomes_against_optimize(args.rounds)
    print(
        f"  sweep_outcomes / optimize + losses + first touch, 128^2 x 500: {outcome_time * 1e3:.0f} / "
        f"{optimize_time * 1e3:.0f} ms, ratio {ratio:.2f}  {verdict(ratio, 1.0)}"
    )

    print("\nRosenbrock typed as a formula / built in, both on the NumPy engine (interleaved):")
    for label, typed_time, built_in_time, ratio in formula_rows(args.rounds):
        print(
            f"  {label:28s} formula {typed_time * 1e3:8.1f} ms  built-in {built_in_time * 1e3:8.1f} ms  "
            f"ratio {ratio:4.2f}  {verdict(ratio, 1.3)}"
        )

    engine_time, lesson_time, speed_up, agree = lesson_row(max(2, args.rounds // 2))
    print(
        f"\nThe lesson's loop, 128^2 x 500 (scaled from 16 configurations): {lesson_time:.1f} s; engine "
        f"{engine_time * 1e3:.0f} ms; speed-up {speed_up:.0f}x (target >= 300x); cross-check: "
        f"{'identical' if agree else 'MISMATCH'}"
    )
    print(f"\nend: {load()}")


if __name__ == "__main__":
    main()
