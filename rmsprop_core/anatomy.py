"""One RMSProp update taken apart, coordinate by coordinate (the lesson's two "implement" exercises)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .engine import Trajectory
from .optimizers import RMSProp


@dataclass(frozen=True)
class UpdateAnatomy:
    """Update number ``step`` (1-based) of a plain RMSProp run, each field a ``(2,)`` array (x, y).

    ``point`` is where the gradient was taken (``points[step - 1]``), ``next_point`` where the
    update led (``points[step]``); ``sgd_step`` is what plain SGD with the same lr would move.
    """

    step: int
    point: np.ndarray
    grad: np.ndarray
    grad_squared: np.ndarray
    s_prev: np.ndarray
    s: np.ndarray
    denominator: np.ndarray
    effective_step_size: np.ndarray
    update: np.ndarray
    next_point: np.ndarray
    sgd_step: np.ndarray


def update_anatomy(trajectory: Trajectory, step: int) -> UpdateAnatomy:
    """The pieces of update ``step`` as the engine computed them (recorded grads and state)."""
    optimizer = trajectory.optimizer
    if not isinstance(optimizer, RMSProp) or optimizer.momentum != 0 or optimizer.centered:
        raise ValueError("update anatomy is defined for plain RMSProp (no momentum, not centered)")
    if trajectory.batch_shape != ():
        raise ValueError("update anatomy takes a single run")
    if not 1 <= step <= trajectory.steps:
        raise ValueError(f"step must be between 1 and {trajectory.steps}, got {step}")
    grad = trajectory.grads[step - 1]
    s_prev, s = trajectory.state["s"][step - 1], trajectory.state["s"][step]
    step_size = trajectory.state["step_size"][step]
    with np.errstate(all="ignore"):
        denominator = optimizer.lr / step_size
    return UpdateAnatomy(
        step=step,
        point=trajectory.points[step - 1],
        grad=grad,
        grad_squared=grad * grad,
        s_prev=s_prev,
        s=s,
        denominator=denominator,
        effective_step_size=step_size,
        update=trajectory.points[step - 1] - trajectory.points[step],
        next_point=trajectory.points[step],
        sgd_step=optimizer.lr * grad,
    )
