"""Numbers the app reports about a run: outcomes, distances, steps to a tolerance, surfaces."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def steps_to_tolerance(losses: np.ndarray, min_value: float | None, tolerance: float) -> np.ndarray:
    """First touch: the first step ``t`` (axis 0) with ``losses[t] - min_value <= tolerance``; -1
    if none. A run that touches the tolerance may leave it again: see ``steps_to_settle``.

    Works on any batch shape ``(steps + 1, ...)``; NaN losses never count as reached. With no known
    minimum value (``None``) every entry is -1.
    """
    losses = np.asarray(losses)
    if min_value is None:
        return np.full(losses.shape[1:], -1, dtype=np.int64)
    with np.errstate(invalid="ignore"):
        reached = losses - min_value <= tolerance
    return np.where(reached.any(axis=0), reached.argmax(axis=0), -1)


def steps_to_settle(losses: np.ndarray, min_value: float | None, tolerance: float) -> np.ndarray:
    """The first step ``t`` (axis 0) after which ``losses - min_value <= tolerance`` holds to the
    end of the run; -1 if the run ends outside it (or there is no known minimum value).

    Works on any batch shape ``(steps + 1, ...)``; a NaN loss is outside.
    """
    losses = np.asarray(losses)
    if min_value is None:
        return np.full(losses.shape[1:], -1, dtype=np.int64)
    steps = losses.shape[0] - 1
    with np.errstate(invalid="ignore"):
        outside = ~(losses - min_value <= tolerance)
    last_outside = steps - outside[::-1].argmax(axis=0)
    settled_at = np.where(outside.any(axis=0), last_outside + 1, 0)
    return np.where(settled_at <= steps, settled_at, -1).astype(np.int64)


def steps_to_escape(losses: np.ndarray, drop: float) -> np.ndarray:
    """The first step ``t`` (axis 0) with ``losses[t] <= losses[0] - drop``: where a run that starts
    near a saddle has clearly left it; -1 if none."""
    losses = np.asarray(losses)
    with np.errstate(invalid="ignore"):
        escaped = losses <= losses[0] - drop
    return np.where(escaped.any(axis=0), escaped.argmax(axis=0), -1).astype(np.int64)


@dataclass(frozen=True)
class EstimatedMinimum:
    """The lowest value of f found on a dense grid of a domain, refined around the best cell."""

    value: float
    point: tuple[float, float]


def estimate_minimum(objective, resolution: int = 401, refinements: int = 4, domain=None):
    """f* estimated as the minimum over a ``resolution``² grid of ``domain`` (default: the
    objective's), then refined ``refinements`` times on a finer grid around the best point.

    Returns ``(EstimatedMinimum, "")``, or ``(None, reason)`` when it cannot be estimated: f is
    undefined everywhere on the grid, or its lowest value lies on the domain's edge (f may keep
    falling outside it, so there may be no minimum to estimate).
    """
    (xmin, xmax), (ymin, ymax) = domain if domain is not None else objective.domain
    xs, ys, values = evaluate_grid(objective, resolution, ((xmin, xmax), (ymin, ymax)))
    if not np.isfinite(values).any():
        return None, "f is undefined everywhere on the domain"
    row, column = np.unravel_index(np.nanargmin(values), values.shape)
    if row in (0, resolution - 1) or column in (0, resolution - 1):
        return None, "f is lowest on the edge of the domain, so it may have no minimum"
    best_value, best = float(values[row, column]), (float(xs[column]), float(ys[row]))
    half_x, half_y = xs[1] - xs[0], ys[1] - ys[0]
    for _ in range(refinements):
        box = ((best[0] - half_x, best[0] + half_x), (best[1] - half_y, best[1] + half_y))
        fine_xs, fine_ys, fine = evaluate_grid(objective, 41, box)
        if np.isfinite(fine).any() and np.nanmin(fine) < best_value:
            row, column = np.unravel_index(np.nanargmin(fine), fine.shape)
            best_value, best = float(fine[row, column]), (float(fine_xs[column]), float(fine_ys[row]))
        half_x, half_y = half_x / 20, half_y / 20
    return EstimatedMinimum(best_value, best), ""


def distance_to_nearest_minimum(points: np.ndarray, minima) -> np.ndarray:
    """Euclidean distance from each point (``(..., 2)``) to the nearest listed minimiser; NaN if
    there are none. A distance beyond the largest float is inf."""
    points = np.asarray(points, dtype=float)
    if len(minima) == 0:
        return np.full(points.shape[:-1], np.nan)
    minima = np.asarray(minima, dtype=float)
    # hypot does not square, so a point at 1e308 is 1.4e308 away, not an overflow
    with np.errstate(over="ignore"):
        offsets = points[..., None, :] - minima
        return np.hypot(offsets[..., 0], offsets[..., 1]).min(axis=-1)


@dataclass(frozen=True)
class RunSummary:
    """What the metrics table shows for one (unbatched) run."""

    final_loss: float
    final_point: tuple[float, float]
    distance_to_minimum: float  # NaN when the objective lists no minimiser
    steps_to_tolerance: int  # first touch; -1 when never reached (or no known minimum value)
    steps_to_settle: int  # -1 when the run does not end within the tolerance
    diverged_at: int  # -1 when it did not diverge


def finite_points(points: np.ndarray) -> np.ndarray:
    """Which points of ``points`` (``(..., 2)``) have both coordinates finite: two column tests,
    not a reduction over a two-wide axis (``np.isfinite(points).all(axis=-1)``), which NumPy does
    slowly."""
    return np.isfinite(points[..., 0]) & np.isfinite(points[..., 1])


def last_finite_index(diverged_at: int, steps: int) -> int:
    """Index of the last point before divergence (the final point if the run did not diverge)."""
    return steps if diverged_at < 0 else max(diverged_at - 1, 0)


def summarize(run, objective, tolerance: float) -> RunSummary:
    """Summary of one unbatched run: anything with ``points`` ``(steps + 1, 2)``, ``losses`` and
    ``diverged_at`` (a ``Trajectory`` or a record of one)."""
    points = np.asarray(run.points)
    if points.ndim != 2:
        raise ValueError("summarize takes a single run; use the array functions for batches")
    diverged = int(run.diverged_at)
    last = last_finite_index(diverged, len(points) - 1)
    final_point = points[last]
    return RunSummary(
        final_loss=float(run.losses[last]) if diverged < 0 else float("nan"),
        final_point=(float(final_point[0]), float(final_point[1])),
        distance_to_minimum=float(distance_to_nearest_minimum(final_point, getattr(objective, "minima", ()))),
        steps_to_tolerance=int(steps_to_tolerance(run.losses, getattr(objective, "min_value", None), tolerance)),
        steps_to_settle=int(steps_to_settle(run.losses, getattr(objective, "min_value", None), tolerance)),
        diverged_at=diverged,
    )


def evaluate_grid(objective, resolution: int, domain=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``xs`` (nx), ``ys`` (ny) and ``f`` on the grid, shape ``(ny, nx)``, over ``domain`` (default:
    the objective's). Undefined or overflowing values are NaN, which contour plots show as gaps."""
    (xmin, xmax), (ymin, ymax) = domain if domain is not None else objective.domain
    xs = np.linspace(xmin, xmax, resolution)
    ys = np.linspace(ymin, ymax, resolution)
    with np.errstate(all="ignore"):
        values = np.asarray(objective.f(xs[None, :], ys[:, None]), dtype=float)
    values = np.array(np.broadcast_to(values, (resolution, resolution)))
    values[~np.isfinite(values)] = np.nan
    return xs, ys, values
