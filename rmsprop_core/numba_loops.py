"""The compiled step loops behind ``compiled.py`` (imported only when numba is installed).

The catalogue's functions and the optimizers' formulas are called as they are, compiled for
floats; only ``zero_safe_divide``, which NumPy writes with ``np.where``, gets a float version here.
"""

from __future__ import annotations

import math

import numba
from numba import extending

from . import objectives as catalogue
from . import optimizers
from .compiled import CATALOGUE

for _function in (
    *(function for pair in CATALOGUE for function in pair),
    catalogue._beale_terms,
    catalogue._goldstein_price_parts,
    optimizers.sgd_formula,
    optimizers.momentum_formula,
    optimizers.rmsprop_formula,
    optimizers.adam_formula,
    optimizers.adagrad_formula,
):
    extending.register_jitable(_function)


@extending.overload(optimizers.zero_safe_divide, jit_options={"error_model": "numpy"})
def _zero_safe_divide(numerator, denominator):
    def divide(numerator, denominator):
        if numerator == 0.0 and denominator == 0.0:
            return 0.0
        return numerator / denominator

    return divide


_jit = numba.njit(cache=True, error_model="numpy")

(
    (_bowl, _bowl_grad),
    (_ellipse, _ellipse_grad),
    (_rosenbrock, _rosenbrock_grad),
    (_beale, _beale_grad),
    (_himmelblau, _himmelblau_grad),
    (_rastrigin, _rastrigin_grad),
    (_booth, _booth_grad),
    (_matyas, _matyas_grad),
    (_six_hump_camel, _six_hump_camel_grad),
    (_three_hump_camel, _three_hump_camel_grad),
    (_goldstein_price, _goldstein_price_grad),
    (_saddle, _saddle_grad),
    (_valley, _valley_grad),
) = CATALOGUE


@_jit
def loss(kind, parameters, x, y):
    """f of catalogue objective ``kind`` (``compiled.CATALOGUE``) at the point (x, y)."""
    if kind == 0:
        return _bowl(x, y)
    if kind == 1:
        return _ellipse(x, y)
    if kind == 2:
        return _rosenbrock(x, y)
    if kind == 3:
        return _beale(x, y)
    if kind == 4:
        return _himmelblau(x, y)
    if kind == 5:
        return _rastrigin(x, y)
    if kind == 6:
        return _booth(x, y)
    if kind == 7:
        return _matyas(x, y)
    if kind == 8:
        return _six_hump_camel(x, y)
    if kind == 9:
        return _three_hump_camel(x, y)
    if kind == 10:
        return _goldstein_price(x, y)
    if kind == 11:
        return _saddle(x, y)
    return _valley(parameters[0], parameters[1], parameters[2], x, y)


@_jit
def gradient(kind, parameters, x, y):
    """The gradient of catalogue objective ``kind`` at the point (x, y)."""
    if kind == 0:
        return _bowl_grad(x, y)
    if kind == 1:
        return _ellipse_grad(x, y)
    if kind == 2:
        return _rosenbrock_grad(x, y)
    if kind == 3:
        return _beale_grad(x, y)
    if kind == 4:
        return _himmelblau_grad(x, y)
    if kind == 5:
        return _rastrigin_grad(x, y)
    if kind == 6:
        return _booth_grad(x, y)
    if kind == 7:
        return _matyas_grad(x, y)
    if kind == 8:
        return _six_hump_camel_grad(x, y)
    if kind == 9:
        return _three_hump_camel_grad(x, y)
    if kind == 10:
        return _goldstein_price_grad(x, y)
    if kind == 11:
        return _saddle_grad(x, y)
    return _valley_grad(parameters[0], parameters[1], parameters[2], x, y)


@_jit
def coordinate_update(kind, flags, h, g, s, d, m, b, bias_correction1, bias_correction2):
    """One coordinate's update by optimizer ``kind`` (``compiled.OPTIMIZER_KINDS``) with
    hyperparameters ``h`` (the spec's ``numeric_fields``): returns ``(move, s, d, m, b)``."""
    if kind == 0:
        return optimizers.sgd_formula(g, h[0]), s, d, m, b
    if kind == 1:
        move, b = optimizers.momentum_formula(g, b, h[0], h[1], flags[0])
        return move, s, d, m, b
    if kind == 2:
        move, s, m, b, d = optimizers.rmsprop_formula(g, s, m, b, h[0], h[1], h[2], h[3], flags[0], flags[1], flags[2])
        return move, s, d, m, b
    if kind == 3:
        move, m, s = optimizers.adam_formula(g, m, s, h[0], h[1], h[2], h[3], bias_correction1, bias_correction2)
        return move, s, d, m, b
    move, s, d = optimizers.adagrad_formula(g, s, h[0], h[1])
    return move, s, d, m, b


@_jit
def outside(x, y, centre, half_width):
    """Non-finite or outside the divergence box (written as "not inside", so NaN is outside)."""
    return not (abs(x - centre[0]) <= half_width[0] and abs(y - centre[1]) <= half_width[1])


@_jit
def check_start(start, diverged_at, centre, half_width):
    """Step 0: a start outside the box has diverged before any update."""
    for i in range(start.shape[1]):
        if outside(start[0, i], start[1, i], centre, half_width):
            diverged_at[i] = 0


#: Elements per block of the path loop: a block's state and points stay in the L2 cache.
BLOCK = 4096


@_jit
def path_steps(
    kind, flags, hyperparameters, objective_kind, parameters, points, first_step, state,
    history_s, history_d, history_m, history_b, bias, diverged_at, centre, half_width, noise,
):  # fmt: skip
    """Fill ``points[1:]`` (steps ``first_step + 1`` on) from ``points[0]``, updating ``state``
    (``(4, 2, N)``: s, d, m, b), the non-empty histories and ``diverged_at``. A diverged element
    stops: its points after the divergence step are NaN. An ``s`` that is not finite makes the
    move NaN (the NumPy engine's state guard), so that step's point diverges."""
    size = points.shape[2]
    record = history_s.shape[0] > 0, history_d.shape[0] > 0, history_m.shape[0] > 0, history_b.shape[0] > 0
    for block_start in range(0, size, BLOCK):
        for index in range(1, points.shape[0]):
            step = first_step + index
            bias_correction1, bias_correction2 = bias[step, 0], bias[step, 1]
            for i in range(block_start, min(size, block_start + BLOCK)):
                if 0 <= diverged_at[i] < step:
                    points[index, 0, i] = math.nan
                    points[index, 1, i] = math.nan
                    continue
                g = gradient(objective_kind, parameters, points[index - 1, 0, i], points[index - 1, 1, i])
                for c in range(2):
                    grad = g[c] + noise[index - 1, c, i] if noise.shape[0] > 0 else g[c]
                    move, s, d, m, b = coordinate_update(
                        kind, flags, hyperparameters[i], grad, state[0, c, i], state[1, c, i], state[2, c, i],
                        state[3, c, i], bias_correction1, bias_correction2,
                    )  # fmt: skip
                    if not math.isfinite(s):
                        move = math.nan
                    state[0, c, i], state[1, c, i], state[2, c, i], state[3, c, i] = s, d, m, b
                    points[index, c, i] = points[index - 1, c, i] - move
                    if record[0]:
                        history_s[step, c, i] = s
                    if record[1]:
                        history_d[step, c, i] = d
                    if record[2]:
                        history_m[step, c, i] = m
                    if record[3]:
                        history_b[step, c, i] = b
                if diverged_at[i] < 0 and outside(points[index, 0, i], points[index, 1, i], centre, half_width):
                    diverged_at[i] = step


@_jit
def outcome_steps(
    kind, flags, hyperparameters, objective_kind, parameters, start, steps, target, state, bias, centre,
    half_width, final, final_loss, reached, diverged_at,
):  # fmt: skip
    """``sweep_outcomes`` element by element: the final (last live) point and its loss, the first
    step whose loss is within ``target``, and the divergence step (outside the box, a non-finite
    loss, or an ``s`` that is not finite)."""
    for i in range(start.shape[1]):
        x, y = start[0, i], start[1, i]
        s0, d0, m0, b0 = state[0, 0, i], state[1, 0, i], state[2, 0, i], state[3, 0, i]
        s1, d1, m1, b1 = state[0, 1, i], state[1, 1, i], state[2, 1, i], state[3, 1, i]
        final[0, i], final[1, i], final_loss[i], reached[i], diverged_at[i] = x, y, math.nan, -1, -1
        value = loss(objective_kind, parameters, x, y)
        if outside(x, y, centre, half_width) or not math.isfinite(value):
            diverged_at[i] = 0
            continue
        final_loss[i] = value
        if value <= target:
            reached[i] = 0
        h = hyperparameters[i]
        for step in range(1, steps + 1):
            gx, gy = gradient(objective_kind, parameters, x, y)
            move_x, s0, d0, m0, b0 = coordinate_update(kind, flags, h, gx, s0, d0, m0, b0, bias[step, 0], bias[step, 1])
            move_y, s1, d1, m1, b1 = coordinate_update(kind, flags, h, gy, s1, d1, m1, b1, bias[step, 0], bias[step, 1])
            x = x - (move_x if math.isfinite(s0) else math.nan)
            y = y - (move_y if math.isfinite(s1) else math.nan)
            if outside(x, y, centre, half_width):
                diverged_at[i] = step
                break
            value = loss(objective_kind, parameters, x, y)
            if not math.isfinite(value):
                diverged_at[i] = step
                break
            final[0, i], final[1, i], final_loss[i] = x, y, value
            if reached[i] < 0 and value <= target:
                reached[i] = step
