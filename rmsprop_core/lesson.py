"""The lesson's worked example (``../shared/lesson-rmsprop.md``), run by the engine."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .engine import Trajectory, optimize
from .objectives import get_objective
from .optimizers import RMSProp


@dataclass(frozen=True)
class LessonExample:
    """The lesson's settings: f = x² + y² from (5, 4), lr 0.1, rho 0.9, eps 1e-6.

    The lesson loops ``for epoch in range(max_epochs + 1)`` with ``max_epochs = 100``, so it makes
    101 updates and prints the state after updates 1, 21, ..., 101 as "Epoch 0", "Epoch 20", ...
    """

    learning_rate: float = 0.1
    rho: float = 0.9
    epsilon: float = 1e-6
    start: tuple[float, float] = (5.0, 4.0)
    max_epochs: int = 100
    print_every: int = 20


LESSON = LessonExample()


def run_lesson(example: LessonExample = LESSON, objective_name: str = "bowl") -> Trajectory:
    optimizer = RMSProp(lr=example.learning_rate, rho=example.rho, eps=example.epsilon)
    return optimize(optimizer, get_objective(objective_name), example.start, example.max_epochs + 1)


def lesson_output_lines(trajectory: Trajectory, print_every: int = LESSON.print_every) -> list[str]:
    """The lesson's printed lines: ``Epoch e, current state: [x y]`` for every ``print_every``-th
    epoch, where epoch e is the point after update e + 1, formatted by NumPy as the lesson's
    ``print`` does. Takes anything with single-run ``points`` (a Trajectory or a record of one)."""
    lines = []
    for epoch in range(0, len(trajectory.points) - 1, print_every):
        state = np.asarray(trajectory.points[epoch + 1])
        lines.append(f"Epoch {epoch}, current state: {state}")
    return lines
