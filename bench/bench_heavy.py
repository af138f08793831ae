"""Heavy but legal requests: what one costs, and how long other work waits while it runs.

Each request is the engine work one page does for one rerun at the largest settings its schema
allows (rmsprop_lab.schemas), as rmsprop_lab.runs does it; a custom formula is parsed once
beforehand (the app caches it). For each request this prints:

- its CPU time alone (this thread's) and its wall time;
- its peak memory (tracemalloc, a separate run);
- a "press": a 1000-step single-path RMSProp run with its state replay (what one slider move
  computes on Compare), run back to back in the main thread while the request runs in another
  thread, as two sessions of one Streamlit server do. "waits" is how much longer the slowest press
  took than a press alone; the request's own wall time beside the presses is shown too.

    python bench/bench_heavy.py
"""

from __future__ import annotations

import os
import statistics
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from rmsprop_core import CONVENTIONS, SGD, Adam, Momentum, RMSProp, get_objective, optimize, sweep_outcomes
from rmsprop_core.formula import parse_objective
from rmsprop_core.metrics import evaluate_grid, steps_to_tolerance, summarize
from rmsprop_lab.options import MAX_STEPS, RHO_OPTIONS
from rmsprop_lab.schemas import (
    COMPARE,
    DECAY,
    DEFAULT_FORMULA,
    DOMAIN_LIMIT,
    MAX_ANATOMY_STEPS,
    MAX_DECAY_RATES,
    MAX_SWEEP_RUN_STEPS,
    MAX_SWEEP_STEPS,
    SWEEP,
    SWEEP_RESOLUTIONS,
)

LARGEST_DOMAIN = ((-DOMAIN_LIMIT, DOMAIN_LIMIT), (-DOMAIN_LIMIT, DOMAIN_LIMIT))
ROSENBROCK = get_objective("rosenbrock")
PRESS_STEPS = 1000
#: a formula the parser accepts whose gradient is costly: sympy's chain rule repeats the nested
#: sines in every factor, and the evaluator walks each repetition
NESTED = "sin(" * 20 + "x*y" + ")" * 20


def materialise(run) -> tuple:
    """Every lazy field of a run that a page reads (rmsprop_lab.runs builds its results from them)."""
    return run.points, run.losses, run.grads, run.state, run.diverged_at


def single_runs(objective, specs, steps: int, surface: int) -> None:
    """Compare, Conventions, Anatomy: one run per optimizer, every field the page reads, and the
    contour surface."""
    for spec in specs:
        run = optimize(spec, objective, objective.start, steps)
        materialise(run)
        summarize(run, objective, 1e-3)
    evaluate_grid(objective, surface)


def compare_request(objective, steps: int = MAX_STEPS) -> Callable[[], None]:
    defaults = COMPARE.defaults(objective.name)
    specs = [
        SGD(lr=defaults["sgd_lr"]),
        Momentum(lr=defaults["mom_lr"]),
        RMSProp(lr=defaults["rms_lr"]),
        Adam(lr=defaults["adam_lr"]),
    ]
    return lambda: single_runs(objective, specs, steps, 400)


def sweep_request(objective, resolution: int, steps: int) -> Callable[[], None]:
    defaults = SWEEP.defaults()
    learning_rates = np.logspace(np.log10(defaults["lr_low"]), np.log10(defaults["lr_high"]), resolution)
    rhos = np.linspace(0.5, 0.999, resolution)

    def request() -> None:
        spec = RMSProp(lr=learning_rates[None, :], rho=rhos[:, None], eps=defaults["eps"])
        sweep_outcomes(spec, objective, objective.start, steps, tolerance=defaults["tol"])
        evaluate_grid(objective, 300)  # the picked cell's path and its contour
        materialise(optimize(RMSProp(lr=learning_rates[-1]), objective, objective.start, steps))

    return request


def conventions_request(objective, steps: int = MAX_STEPS) -> Callable[[], None]:
    specs = [convention.optimizer(0.005) for convention in CONVENTIONS.values()]
    return lambda: single_runs(objective, specs, steps, 400)


def anatomy_request(objective) -> Callable[[], None]:
    return lambda: single_runs(objective, [RMSProp(lr=0.1)], MAX_ANATOMY_STEPS, 300)


def decay_request(objective, steps: int = MAX_STEPS) -> Callable[[], None]:
    rhos = np.array(RHO_OPTIONS[-MAX_DECAY_RATES:])
    defaults = DECAY.defaults(objective.name)

    def request() -> None:
        starts = np.broadcast_to(np.array(objective.start, dtype=float), (len(rhos), 2))
        run = optimize(RMSProp(lr=defaults["lr"], rho=rhos, eps=defaults["eps"]), objective, starts, steps)
        materialise(run)
        steps_to_tolerance(run.losses, objective.min_value, 1e-3)
        evaluate_grid(objective, 400)

    return request


def press() -> float:
    began = time.perf_counter()
    materialise(optimize(RMSProp(lr=0.005), ROSENBROCK, ROSENBROCK.start, PRESS_STEPS))
    return time.perf_counter() - began


def measure(request: Callable[[], None]) -> dict:
    began_cpu, began_wall = time.thread_time(), time.perf_counter()
    request()
    cpu, wall = time.thread_time() - began_cpu, time.perf_counter() - began_wall

    tracemalloc.start()
    request()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    done = threading.Event()
    worker = threading.Thread(target=lambda: (request(), done.set()))
    latencies = []
    began_wall = time.perf_counter()
    worker.start()
    while not done.is_set():
        latencies.append(press())
    worker.join()
    beside = time.perf_counter() - began_wall
    return {"cpu": cpu, "wall": wall, "peak": peak, "presses": latencies, "beside": beside}


def main() -> None:
    custom = parse_objective(DEFAULT_FORMULA, domain=LARGEST_DOMAIN)
    nested = parse_objective(NESTED, domain=LARGEST_DOMAIN)
    largest = SWEEP_RESOLUTIONS[-1]
    legal_steps = min(MAX_SWEEP_STEPS, MAX_SWEEP_RUN_STEPS // largest**2)
    requests = {
        f"Sweep {largest}x{largest} x {MAX_SWEEP_STEPS} steps, Rosenbrock (the old largest)": sweep_request(
            ROSENBROCK, largest, MAX_SWEEP_STEPS
        ),
        f"Sweep {largest}x{largest} x {legal_steps} steps, Rosenbrock (the largest now)": sweep_request(
            ROSENBROCK, largest, legal_steps
        ),
        f"Compare 4 optimizers x {MAX_STEPS} steps, Rosenbrock": compare_request(ROSENBROCK),
        f"Compare, custom formula on ±{DOMAIN_LIMIT:g}, 4 x {MAX_STEPS} steps": compare_request(custom),
        f"Sweep, custom formula on ±{DOMAIN_LIMIT:g}, {largest}x{largest} x {legal_steps}": sweep_request(
            custom, largest, legal_steps
        ),
        f"Conventions, custom formula on ±{DOMAIN_LIMIT:g}, 5 x {MAX_STEPS} steps": conventions_request(custom),
        f"Anatomy, custom formula on ±{DOMAIN_LIMIT:g}, {MAX_ANATOMY_STEPS} steps": anatomy_request(custom),
        f"Decay, custom formula on ±{DOMAIN_LIMIT:g}, {MAX_DECAY_RATES} rates x {MAX_STEPS} steps": decay_request(
            custom
        ),
        f"Compare, 20 nested sin (a legal formula), 4 x {MAX_STEPS} steps": compare_request(nested),
        f"Sweep, 20 nested sin, {largest}x{largest} x 50 steps (x{legal_steps // 50} for the largest)": sweep_request(
            nested, largest, 50
        ),
    }

    for _ in range(3):
        press()  # warm-up
    alone = statistics.median(press() for _ in range(9))
    print(f"press alone ({PRESS_STEPS}-step RMSProp path and state, Rosenbrock): median {alone * 1e3:.0f} ms")
    print(f"{os.cpu_count()} CPUs; GIL switch interval {sys.getswitchinterval() * 1e3:g} ms\n")
    print(
        f"{'request':78s} {'CPU s':>7s} {'wall s':>7s} {'peak MiB':>9s} {'beside':>7s} "
        f"{'presses':>7s} {'median':>7s} {'worst':>7s} {'waits':>7s}"
    )
    for name, request in requests.items():
        found = measure(request)
        presses = found["presses"]
        worst = max(presses)
        print(
            f"{name:78s} {found['cpu']:7.2f} {found['wall']:7.2f} {found['peak'] / 2**20:9.1f} "
            f"{found['beside']:7.2f} {len(presses):7d} {statistics.median(presses) * 1e3:5.0f}ms "
            f"{worst * 1e3:5.0f}ms {(worst - alone) * 1e3:5.0f}ms",
            flush=True,
        )
    print(
        "\nbeside: the request's wall time while presses ran; median, worst: press latency meanwhile; "
        "waits: worst press minus a press alone"
    )


if __name__ == "__main__":
    main()
