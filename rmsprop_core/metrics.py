"""Numbers the app reports about a run: outcomes, distances, steps to a tolerance, surfaces."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def steps_to_tolerance(losses: np.ndarray, min_value: float | None, tolerance: float) -> np.ndarray:
    """First step ``t`` (axis 0) with ``losses[t] - min_value <= tolerance``; -1 if none.

    Works on any batch shape ``(steps + 1, ...)``; NaN losses never count as reached. With no known
    minimum value (``None``) every entry is -1.
    """
    losses = np.asarray(losses)
    if min_value is None:
        return np.full(losses.shape[1:], -1, dtype=np.int64)
    with np.errstate(invalid="ignore"):
        reached = losses - min_value <= tolerance
    return np.where(reached.any(axis=0), reached.argmax(axis=0), -1)


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
    steps_to_tolerance: int  # -1 when never reached (or no known minimum value)
    diverged_at: int  # -1 when it did not diverge


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
