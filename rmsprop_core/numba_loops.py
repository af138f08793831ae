"""The compiled step loops behind ``compiled.py`` (imported only when numba is installed).

The catalogue's functions and the optimizers' formulas are called as they are, compiled for
floats; only ``zero_safe_divide``, which NumPy writes with ``np.where``, gets a float version here.
Each loop is compiled per optimizer kind, its flags and objective, all constants, so the compiler
keeps only that optimizer's and that objective's code in the loop: chosen per element at run time,
they made the loop about five times slower.

Compiled loops are cached on disk, in a folder named for a digest of this file, ``optimizers.py``
and ``objectives.py``: numba itself checks only the file that defines a jitted function, so an
edited formula (or an upgrade that changes one) would otherwise load a stale loop and give other
numbers than the NumPy engine. Where no such folder can be written, loops are compiled per process.
"""

from __future__ import annotations

import hashlib
import math
import os
import pathlib
import tempfile
import threading
from functools import cache

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
        # a select, not a branch, so loops calling it still vectorise
        quotient = numerator / denominator
        return 0.0 if (numerator == 0.0) & (denominator == 0.0) else quotient

    return divide


def _sources_digest() -> str:
    """A digest of every source the compiled loops are built from."""
    digest = hashlib.sha256()
    for module in (optimizers, catalogue):
        digest.update(pathlib.Path(module.__file__).read_bytes())
    digest.update(pathlib.Path(__file__).read_bytes())
    return digest.hexdigest()[:16]


def _cache_folder() -> str | None:
    """A writable folder for this digest's loops: beside the sources, else the user's cache."""
    name = f"numba-{_sources_digest()}"
    user_cache = pathlib.Path(os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache")
    for base in (pathlib.Path(__file__).parent / "__pycache__", user_cache / "rmsprop-lab"):
        folder = base / name
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tempfile.TemporaryFile(dir=folder).close()
        except OSError:
            continue
        return str(folder)
    return None


CACHE_FOLDER = _cache_folder()
_decorating = threading.Lock()


def _jit(function):
    """``numba.njit`` with numpy's error model, cached in ``CACHE_FOLDER`` (numba reads the folder
    from its config when a function is decorated, so it is set for that moment only)."""
    with _decorating:
        previous = numba.config.CACHE_DIR
        numba.config.CACHE_DIR = CACHE_FOLDER or ""
        try:
            return numba.njit(cache=CACHE_FOLDER is not None, error_model="numpy")(function)
        finally:
            numba.config.CACHE_DIR = previous


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
def diverged(x, y, loss, box):
    """Whether the point (x, y) with this loss has diverged: the point is non-finite or outside the
    divergence box ``(centre x, centre y, half-width x, half-width y)`` (written as "not inside",
    so NaN is outside), or the loss is not finite. ``&``/``|``, not ``and``/``or``: no branch."""
    inside = (abs(x - box[0]) <= box[2]) & (abs(y - box[1]) <= box[3])
    return (not inside) | (not math.isfinite(loss))


@_jit
def _row(hyperparameters, i):
    """Element ``i``'s hyperparameters (five rows) as floats rather than a view of its column,
    which the compiler would have to assume the loop's stores could change."""
    return (
        hyperparameters[0, i], hyperparameters[1, i], hyperparameters[2, i], hyperparameters[3, i],
        hyperparameters[4, i],
    )  # fmt: skip


@_jit
def _index(block_start, offset):
    """Element ``block_start + offset`` as an unsigned index: the compiler then needs no check
    for a negative index (which counts from the end), and that check alone stops vectorisation."""
    return numba.uint64(block_start + offset)


#: Elements per block: a block's state and current points stay in the L2 cache.
BLOCK = 4096


@_jit
def _update(kind, flags, hyperparameters, state, i, gx, gy, bias_correction1, bias_correction2):
    """Element ``i``'s moves (x, y), its state (``state[:, i]``: s, d, m, b of x, then of y) updated;
    an ``s`` that is not finite makes the move NaN (the NumPy engine's state guard)."""
    h = _row(hyperparameters, i)
    # state[k, i] indexed directly: views of the column would cost more than the step
    move_x, state[0, i], state[1, i], state[2, i], state[3, i] = coordinate_update(
        kind, flags, h, gx, state[0, i], state[1, i], state[2, i], state[3, i], bias_correction1, bias_correction2
    )
    move_y, state[4, i], state[5, i], state[6, i], state[7, i] = coordinate_update(
        kind, flags, h, gy, state[4, i], state[5, i], state[6, i], state[7, i], bias_correction1, bias_correction2
    )
    return (move_x if math.isfinite(state[0, i]) else math.nan), (move_y if math.isfinite(state[4, i]) else math.nan)


@cache
def path_steps(kind: int, flags: tuple[bool, bool, bool], objective_kind: int):
    """The path loop of optimizer ``kind`` with ``flags`` on objective ``objective_kind``."""
    f, grad = CATALOGUE[objective_kind]

    @_jit
    def path_steps(
        hyperparameters, parameters, points, first_step, state,
        history_s, history_d, history_m, history_b, bias, diverged_at, box, noise,
    ):  # fmt: skip
        """Fill ``points[1:]`` (steps ``first_step + 1`` on) from ``points[0]``, updating ``state``
        (``(8, N)``), the non-empty histories and ``diverged_at``: the first step whose point is
        outside the box or whose loss is not finite. A diverged element stops: its points after
        that step are NaN.

        Block by block, step by step: first the block's updates, with no branch per element (so
        the compiler vectorises them), then a pass over the block's new points that evaluates the
        losses, dates each divergence and blanks the point after it (the losses themselves are not
        kept: the engine evaluates them again, with the same numbers, when they are asked for)."""
        size = points.shape[2]
        if first_step == 0:  # step 0: a start outside the box or with a non-finite loss has diverged
            for i in range(size):
                x, y = points[0, 0, i], points[0, 1, i]
                if diverged(x, y, f(*parameters, x, y), box):
                    diverged_at[i] = 0
        noisy = noise.shape[0] > 0
        for block_start in range(0, size, BLOCK):
            block_end = min(size, block_start + BLOCK)
            for index in range(1, points.shape[0]):
                step = first_step + index
                bias_correction1, bias_correction2 = bias[step, 0], bias[step, 1]
                for offset in range(block_end - block_start):
                    i = _index(block_start, offset)
                    x, y = points[index - 1, 0, i], points[index - 1, 1, i]
                    gx, gy = grad(*parameters, x, y)
                    if noisy:
                        gx += noise[index - 1, 0, i]
                        gy += noise[index - 1, 1, i]
                    move_x, move_y = _update(kind, flags, hyperparameters, state, i, gx, gy, bias_correction1,
                                             bias_correction2)  # fmt: skip
                    points[index, 0, i], points[index, 1, i] = x - move_x, y - move_y
                for slot, history in enumerate((history_s, history_d, history_m, history_b)):
                    if history.shape[0] > 0:
                        history[step, 0, block_start:block_end] = state[slot, block_start:block_end]
                        history[step, 1, block_start:block_end] = state[slot + 4, block_start:block_end]
                for offset in range(block_end - block_start):
                    i = _index(block_start, offset)
                    x, y = points[index, 0, i], points[index, 1, i]
                    bad = diverged(x, y, f(*parameters, x, y), box)
                    earlier = diverged_at[i] >= 0  # diverged at an earlier step: blank the point after it
                    points[index, 0, i] = math.nan if earlier else x
                    points[index, 1, i] = math.nan if earlier else y
                    diverged_at[i] = step if bad & (not earlier) else diverged_at[i]

    return path_steps


@cache
def outcome_steps(kind: int, flags: tuple[bool, bool, bool], objective_kind: int):
    """The ``sweep_outcomes`` loop of optimizer ``kind`` with ``flags`` on objective ``objective_kind``."""
    f, grad = CATALOGUE[objective_kind]

    @_jit
    def outcome_steps(
        hyperparameters, parameters, start, steps, target, state, bias, box,
        final, final_loss, reached, diverged_at,
    ):  # fmt: skip
        """Only the current point of each element: its final (last live) point and loss, the
        first step whose loss is within ``target``, and the divergence step (outside the box, a
        non-finite loss, or an ``s`` that is not finite). Each step is two passes over a block,
        as in the path loop: the updates with no branch per element, then the bookkeeping."""
        size = start.shape[1]
        current = start.copy()
        for i in range(size):
            x, y = start[0, i], start[1, i]
            final[0, i], final[1, i], reached[i], diverged_at[i] = x, y, -1, -1
            value = f(*parameters, x, y)
            final_loss[i] = value
            if diverged(x, y, value, box):
                final_loss[i], diverged_at[i] = math.nan, 0
            elif value <= target:
                reached[i] = 0
        for block_start in range(0, size, BLOCK):
            block_end = min(size, block_start + BLOCK)
            for step in range(1, steps + 1):
                bias_correction1, bias_correction2 = bias[step, 0], bias[step, 1]
                for offset in range(block_end - block_start):
                    i = _index(block_start, offset)
                    x, y = current[0, i], current[1, i]
                    gx, gy = grad(*parameters, x, y)
                    move_x, move_y = _update(kind, flags, hyperparameters, state, i, gx, gy, bias_correction1,
                                             bias_correction2)  # fmt: skip
                    current[0, i], current[1, i] = x - move_x, y - move_y
                for offset in range(block_end - block_start):
                    i = _index(block_start, offset)
                    x, y = current[0, i], current[1, i]
                    value = f(*parameters, x, y)
                    bad = diverged(x, y, value, box)
                    if diverged_at[i] >= 0:
                        continue
                    if bad:
                        diverged_at[i] = step
                        continue
                    final[0, i], final[1, i], final_loss[i] = x, y, value
                    if (reached[i] < 0) & (value <= target):
                        reached[i] = step

    return outcome_steps
