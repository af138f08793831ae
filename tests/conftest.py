"""Shared fixtures and paths."""

from __future__ import annotations

import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
LESSON_PATH = ROOT.parent / "shared" / "lesson-rmsprop.md"


@pytest.fixture(scope="session")
def lesson_text() -> str:
    if not LESSON_PATH.exists():
        pytest.fail(f"the lesson is our specification and must be at {LESSON_PATH} (../shared beside the repo)")
    return LESSON_PATH.read_text(encoding="utf-8")
