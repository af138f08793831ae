"""Engine speed: a 128x128 (lr, rho) RMSProp sweep on Rosenbrock, 500 steps, from (-1.5, 2).

Times ``optimize`` (one broadcast call, all points stored) against two references, in one run:
- the lesson's way: one ``rmsprop_update`` call per configuration per step, timed on a subset of
  configurations and scaled to the full grid (target: optimize >= 300x faster);
- a fused compiled loop (numba, a bench-only dependency) doing the same sweep and storing all
  points in the same layout (target: optimize <= 2x its time).
Also reports peak memory (tracemalloc) and the outcome-only path, ``sweep_outcomes``, on a
200x200 grid over 2000 steps.

    python bench/bench_engine.py [--grid 128] [--steps 500] [--subset 64] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tracemalloc

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from rmsprop_core import RMSProp, get_objective, optimize, rmsprop_update, sweep_outcomes

START = (-1.5, 2.0)


def sweep_grid(grid: int):
    learning_rates = np.logspace(-4, -1, grid)
    rhos = np.linspace(0.5, 0.999, grid)
    return learning_rates, rhos


def engine_sweep(grid: int, steps: int):
    learning_rates, rhos = sweep_grid(grid)
    optimizer = RMSProp(lr=learning_rates[:, None], rho=rhos[None, :], eps=1e-6)
    start = np.broadcast_to(np.array(START), (grid, grid, 2))
    return optimize(optimizer, get_objective("rosenbrock"), start, steps).points


def rosenbrock_df(x, y):
    """Rosenbrock's gradient written the way the lesson writes ``df`` for its bowl."""
    return np.array([2 * (x - 1) - 400 * x * (y - x**2), 200 * (y - x**2)])


def lesson_way(configurations, steps: int):
    """The lesson's loop: per configuration, per step, one ``rmsprop_update`` call.

    Keeps every point, as ``optimize`` does, and returns the final points for the cross-check.
    """
    finals = []
    for learning_rate, rho in configurations:
        coordinates = np.array(START)
        s_prev = np.array([0.0, 0.0])
        path = [coordinates]
        for _ in range(steps):
            grad = rosenbrock_df(coordinates[0], coordinates[1])
            updates, s_prev = rmsprop_update(learning_rate, rho, 1e-6, grad, s_prev)
            coordinates = coordinates - updates
            path.append(coordinates)
        finals.append(path[-1])
    return np.array(finals)


def fused_sweep_factory():
    """A numba-compiled loop fusing gradient, RMSProp update and storage (bench-only)."""
    import numba

    @numba.njit(cache=False, fastmath=False)
    def fused(learning_rates, rhos, eps, x0, y0, steps, out):
        size = learning_rates.size
        square_x = np.zeros(size)
        square_y = np.zeros(size)
        out[0, 0, :] = x0
        out[0, 1, :] = y0
        for step in range(steps):
            for n in range(size):
                x = out[step, 0, n]
                y = out[step, 1, n]
                # the engine's formula and order of operations, so both round identically
                gy = 200.0 * (y - x * x)
                gx = 2.0 * ((x - x * gy) - 1.0)
                rho = rhos[n]
                square_x[n] = rho * square_x[n] + (gx * gx) * (1.0 - rho)
                square_y[n] = rho * square_y[n] + (gy * gy) * (1.0 - rho)
                lr = learning_rates[n]
                out[step + 1, 0, n] = x - lr * gx / (np.sqrt(square_x[n]) + eps)
                out[step + 1, 1, n] = y - lr * gy / (np.sqrt(square_y[n]) + eps)
        return out

    def run(grid: int, steps: int) -> np.ndarray:
        learning_rates, rhos = sweep_grid(grid)
        lr_flat = np.repeat(learning_rates, grid)
        rho_flat = np.tile(rhos, grid)
        out = np.empty((steps + 1, 2, grid * grid))
        return fused(lr_flat, rho_flat, 1e-6, START[0], START[1], steps, out)

    return run


def best_time(function, repeats: int) -> tuple[float, float]:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - began)
        del result
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grid", type=int, default=128)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--subset", type=int, default=64, help="configurations timed the lesson's way")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    grid, steps = args.grid, args.steps

    engine_sweep(grid, 5)  # warm-up: imports, page faults of the allocator
    engine_seconds, engine_median = best_time(lambda: engine_sweep(grid, steps), args.repeats)

    tracemalloc.start()
    engine_sweep(grid, steps)
    _, peak_bytes = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    fused = fused_sweep_factory()
    fused(4, 3)  # compile
    fused_seconds, fused_median = best_time(lambda: fused(grid, steps), args.repeats)
    fused_agrees = np.allclose(
        fused(grid, steps).transpose(0, 2, 1).reshape(steps + 1, grid, grid, 2)[-1],
        engine_sweep(grid, steps)[-1],
        rtol=1e-9,
        atol=1e-12,
        equal_nan=True,
    )

    big_grid, big_steps = 200, 2000
    learning_rates_big = np.logspace(-4, -1, big_grid)
    rhos_big = np.linspace(0.5, 0.999, big_grid)
    tracemalloc.start()
    began = time.perf_counter()
    sweep_outcomes(
        RMSProp(lr=learning_rates_big[:, None], rho=rhos_big[None, :]),
        get_objective("rosenbrock"),
        START,
        big_steps,
        tolerance=1e-3,
    )
    big_seconds = time.perf_counter() - began
    _, big_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    learning_rates, rhos = sweep_grid(grid)
    all_configurations = [(lr, rho) for lr in learning_rates for rho in rhos]
    rng = np.random.default_rng(0)
    chosen = rng.choice(len(all_configurations), args.subset, replace=False)
    subset = [all_configurations[i] for i in chosen]
    began = time.perf_counter()
    lesson_finals = lesson_way(subset, steps)
    lesson_seconds = (time.perf_counter() - began) * len(all_configurations) / len(subset)

    # both ways must compute the same thing: compare final points of the subset
    engine_finals = engine_sweep(grid, steps)[-1].reshape(-1, 2)[chosen]
    finite = np.isfinite(engine_finals).all(axis=1)
    agree = np.allclose(engine_finals[finite], lesson_finals[finite], rtol=1e-9, atol=1e-12)

    print(f"sweep: {grid}x{grid} (lr, rho) RMSProp on Rosenbrock, {steps} steps, all points kept")
    print(
        f"engine (optimize, best of {args.repeats}):      {engine_seconds * 1e3:9.1f} ms   "
        f"(median {engine_median * 1e3:.1f} ms)"
    )
    print(
        f"lesson's way (scaled from {args.subset} configs): {lesson_seconds * 1e3:9.1f} ms   "
        f"cross-check: {'identical to 1e-9' if agree else 'MISMATCH'}"
    )
    print(
        f"fused compiled loop (numba, best of {args.repeats}): {fused_seconds * 1e3:9.1f} ms   "
        f"(median {fused_median * 1e3:.1f} ms)   cross-check: {'identical to 1e-9' if fused_agrees else 'MISMATCH'}"
    )
    print(f"speed-up over the lesson's way: {lesson_seconds / engine_seconds:.0f}x  (target >= 300x)")
    print(f"engine time / fused compiled time: {engine_seconds / fused_seconds:.2f}  (target <= 2)")
    print(
        f"engine peak memory: {peak_bytes / 2**20:.0f} MiB "
        f"(points alone: {(steps + 1) * grid * grid * 2 * 8 / 2**20:.0f} MiB)"
    )
    print(
        f"outcomes only (sweep_outcomes), {big_grid}x{big_grid} x {big_steps} steps: {big_seconds:.2f} s, "
        f"peak memory {big_peak / 2**20:.1f} MiB (all points would need "
        f"{(big_steps + 1) * big_grid * big_grid * 2 * 8 / 2**30:.1f} GiB)"
    )


if __name__ == "__main__":
    main()
