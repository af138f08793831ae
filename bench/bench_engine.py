"""Engine speed: a 128x128 (lr, rho) RMSProp sweep on Rosenbrock, 500 steps, from (-1.5, 2).

Times ``optimize`` (one broadcast call, all points stored) against the same work done the
lesson's way: one ``rmsprop_update`` call per configuration per step, timed on a subset of
configurations and scaled to the full grid. Prints both and the ratio (target: >= 300x).

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

from rmsprop_core import RMSProp, get_objective, optimize, rmsprop_update

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grid", type=int, default=128)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--subset", type=int, default=64, help="configurations timed the lesson's way")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    grid, steps = args.grid, args.steps

    engine_sweep(grid, 5)  # warm-up: imports, page faults of the allocator
    engine_times = []
    for _ in range(args.repeats):
        began = time.perf_counter()
        points = engine_sweep(grid, steps)
        engine_times.append(time.perf_counter() - began)
        del points
    engine_seconds = min(engine_times)

    tracemalloc.start()
    engine_sweep(grid, steps)
    _, peak_bytes = tracemalloc.get_traced_memory()
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
        f"engine (optimize, best of {args.repeats}): {engine_seconds * 1e3:9.1f} ms   "
        f"(median {statistics.median(engine_times) * 1e3:.1f} ms)"
    )
    print(f"lesson's way (scaled from {args.subset} configs): {lesson_seconds * 1e3:9.1f} ms")
    print(f"cross-check on {args.subset} configs: {'identical to 1e-9' if agree else 'MISMATCH'}")
    print(f"speed-up: {lesson_seconds / engine_seconds:.0f}x  (target >= 300x)")
    print(
        f"engine peak memory: {peak_bytes / 2**20:.0f} MiB "
        f"(points alone: {(steps + 1) * grid * grid * 2 * 8 / 2**20:.0f} MiB)"
    )


if __name__ == "__main__":
    main()
