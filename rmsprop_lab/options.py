"""Value ladders for the log-scale and decay sliders, and the story defaults per objective."""

from __future__ import annotations

import functools
import math


def _round_significant(value: float, digits: int = 2) -> float:
    return float(f"{value:.{digits}g}")


def log_ladder(low_exponent: int, high_exponent: int, per_decade: int) -> tuple[float, ...]:
    """Values 10**(k / per_decade) rounded to two significant digits, from 10**low to 10**high."""
    return tuple(
        _round_significant(10 ** (k / per_decade))
        for k in range(low_exponent * per_decade, high_exponent * per_decade + 1)
    )


LR_OPTIONS = log_ladder(-5, 1, 10)  # 1e-5 ... 10, ten steps per decade
EPS_OPTIONS = tuple(sorted({*log_ladder(-10, -1, 1), *(3 * v for v in log_ladder(-10, -2, 1))}))
EPS_OPTIONS = tuple(_round_significant(v) for v in EPS_OPTIONS)  # 1e-10, 3e-10, ..., 1e-1
#: why the ladder's last ρ, 1, teaches nothing about averaging: the pages that offer it say so
RHO_ONE = "With ρ = 1, s keeps its starting value 0 and sees no gradient at all"
RHO_OPTIONS = (
    0.0,
    0.1,
    0.2,
    0.3,
    0.4,
    0.5,
    0.6,
    0.7,
    0.8,
    0.85,
    0.9,
    0.95,
    0.97,
    0.98,
    0.99,
    0.995,
    0.999,
    0.9999,
    1.0,
)
MOMENTUM_OPTIONS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.99)
BETA2_OPTIONS = (0.0, 0.5, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9999)
TOLERANCE_OPTIONS = log_ladder(-8, -1, 1)
SCALE_OPTIONS = log_ladder(-8, 2, 1)  # the Conventions page multiplies f by one of these
# the conditioning lab's valley: its condition number κ and the angle θ of its floor
CONDITION_OPTIONS = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0)
ANGLE_OPTIONS = tuple(float(angle) for angle in range(0, 91, 5))
NOISE_OPTIONS = (0.0, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
MAX_SEED = 2**31 - 1
MAX_STEPS = 5000


def nearest_option(value: float, options: tuple[float, ...]) -> float:
    """The option closest to ``value`` on a log scale (linear for ladders that contain 0)."""
    if options[0] > 0 and value > 0:
        return min(options, key=lambda option: abs(math.log(option) - math.log(value)))
    return min(options, key=lambda option: abs(option - value))


# a slider formats every option of its ladder on every run (about 60 a slider, 16 sliders a page)
@functools.cache
def format_number(value: float) -> str:
    """Short display of a slider value: 0.001 -> '0.001', 1e-06 -> '1e-06', 0.9999 -> '0.9999'."""
    return f"{value:.6g}"


# Learning rates (and steps) per objective chosen so that the first view already tells a story:
# measured with rmsprop_core (steps to reach f - f* <= 1e-3 from the objective's start).
STORY_DEFAULTS: dict[str, dict[str, float]] = {
    # name:            steps, SGD lr, Momentum lr, RMSProp lr, Adam lr
    "bowl": {"steps": 150, "sgd_lr": 0.05, "mom_lr": 0.01, "rms_lr": 0.1, "adam_lr": 0.1},
    "ellipse": {"steps": 200, "sgd_lr": 0.079, "mom_lr": 0.01, "rms_lr": 0.05, "adam_lr": 0.1},
    "rosenbrock": {"steps": 1000, "sgd_lr": 0.002, "mom_lr": 0.001, "rms_lr": 0.005, "adam_lr": 0.05},
    "beale": {"steps": 600, "sgd_lr": 0.01, "mom_lr": 0.002, "rms_lr": 0.05, "adam_lr": 0.1},
    "himmelblau": {"steps": 300, "sgd_lr": 0.005, "mom_lr": 0.001, "rms_lr": 0.05, "adam_lr": 0.1},
    # ripples: SGD stays in the first one, Momentum and RMSProp (with large steps) travel further
    # (smaller steps left all three in one blob beside the start)
    "rastrigin": {"steps": 300, "sgd_lr": 0.002, "mom_lr": 0.0063, "rms_lr": 0.25, "adam_lr": 0.1},
    "ackley": {"steps": 300, "sgd_lr": 0.1, "mom_lr": 0.016, "rms_lr": 0.16, "adam_lr": 0.1},
    "booth": {"steps": 300, "sgd_lr": 0.01, "mom_lr": 0.005, "rms_lr": 0.1, "adam_lr": 0.2},
    "matyas": {"steps": 500, "sgd_lr": 0.2, "mom_lr": 0.05, "rms_lr": 0.05, "adam_lr": 0.2},
    "six_hump_camel": {"steps": 300, "sgd_lr": 0.01, "mom_lr": 0.05, "rms_lr": 0.05, "adam_lr": 0.1},
    "three_hump_camel": {"steps": 300, "sgd_lr": 0.2, "mom_lr": 0.05, "rms_lr": 0.05, "adam_lr": 0.1},
    "goldstein_price": {"steps": 500, "sgd_lr": 0.0001, "mom_lr": 0.00001, "rms_lr": 0.05, "adam_lr": 0.1},
    "saddle": {"steps": 150, "sgd_lr": 0.05, "mom_lr": 0.01, "rms_lr": 0.05, "adam_lr": 0.05},
    # the first guided scenario: each optimizer at its tuned α (and RMSProp with a long memory)
    "valley": {"steps": 500, "sgd_lr": 0.0079, "mom_lr": 0.0032, "rms_lr": 0.1, "adam_lr": 0.079, "rho": 0.999},
}
FALLBACK_STORY = {"steps": 300, "sgd_lr": 0.01, "mom_lr": 0.005, "rms_lr": 0.05, "adam_lr": 0.1}
DEFAULT_RHO = 0.9


def story_defaults(objective_name: str) -> dict[str, float]:
    return {"rho": DEFAULT_RHO, **STORY_DEFAULTS.get(objective_name, FALLBACK_STORY)}
