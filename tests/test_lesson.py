"""The lesson's worked example, reproduced exactly."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np

from rmsprop_core import RMSProp, get_objective, optimize, rmsprop_update
from rmsprop_core.lesson import LESSON, lesson_output_lines, run_lesson

from .conftest import ROOT


def lesson_printed_lines(lesson_text: str) -> list[str]:
    """The lines under the lesson's "### Output:" heading."""
    block = re.search(r"### Output:\s*```sh\n(.*?)```", lesson_text, re.S)
    assert block, "the lesson's output block was not found"
    return block.group(1).strip().splitlines()


def lesson_loop_iterates() -> np.ndarray:
    """The lesson's own code, run as written (its loop, its update function)."""
    coordinates = np.array([5.0, 4.0])
    s_prev = np.array([0, 0])
    iterates = []
    for _epoch in range(100 + 1):
        grad = np.array([2 * coordinates[0], 2 * coordinates[1]])
        updates, s_prev = rmsprop_update(0.1, 0.9, 1e-6, grad, s_prev)
        coordinates -= updates
        iterates.append(coordinates.copy())
    return np.array(iterates)


def test_lesson_lines_character_for_character(lesson_text):
    assert lesson_output_lines(run_lesson()) == lesson_printed_lines(lesson_text)


def test_cli_lesson_prints_the_lesson_output(lesson_text):
    result = subprocess.run(
        [sys.executable, "-m", "rmsprop_core", "lesson"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines() == lesson_printed_lines(lesson_text)


def test_engine_points_equal_the_lesson_iterates():
    trajectory = optimize(RMSProp(lr=0.1, rho=0.9, eps=1e-6), get_objective("bowl"), (5, 4), 101)
    np.testing.assert_allclose(trajectory.points[1:], lesson_loop_iterates(), rtol=0, atol=1e-12)
    assert trajectory.points[0].tolist() == [5.0, 4.0]


def test_rmsprop_update_is_the_lesson_function():
    updates, s = rmsprop_update(0.1, 0.9, 1e-6, np.array([10.0, 8.0]), np.array([0.0, 0.0]))
    np.testing.assert_allclose(s, [10.0, 6.4], rtol=1e-15)
    np.testing.assert_allclose(
        updates, [0.1 * 10 / (np.sqrt(10.0) + 1e-6), 0.1 * 8 / (np.sqrt(6.4) + 1e-6)], rtol=1e-15
    )


def test_lesson_settings_match_the_text(lesson_text):
    def assigned(name):
        return re.search(rf"^{name} = (.+)$", lesson_text, re.M).group(1).strip()

    assert float(assigned("learning_rate")) == LESSON.learning_rate
    assert float(assigned("rho")) == LESSON.rho
    assert float(assigned("epsilon")) == LESSON.epsilon
    assert int(assigned("max_epochs")) == LESSON.max_epochs
    assert assigned("coordinates") == "np.array([5.0, 4.0])" and LESSON.start == (5.0, 4.0)
