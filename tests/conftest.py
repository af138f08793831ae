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


@pytest.fixture(scope="session")
def served_app(tmp_path_factory):
    from .browser_support import ServedApp

    app = ServedApp(tmp_path_factory.mktemp("server") / "streamlit.log")
    yield app
    app.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    from .browser_support import CHROMIUM, CHROMIUM_ARGS, require_chromium

    require_chromium()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
