"""Real-browser test support: serve the app, drive Debian's Chromium with Playwright."""

from __future__ import annotations

import os
import pathlib
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from .conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
#: the projectors a classroom has: 16:9 and 4:3
PROJECTOR = {"width": 1280, "height": 720}
PROJECTOR_4_3 = {"width": 1024, "height": 768}

#: Every page with a chart as the screenshot tests open it: (name, URL path, heading, charts drawn);
#: Compare shows the ellipse (``objective=ellipse``), whose title is its heading.
PAGES_WITH_CHARTS = [
    ("compare", "", "Ellipse (x² + 10y²)", 3),
    ("sweep", "sweep", "Hyperparameter sweep", 1),
    ("conventions", "conventions", "Why does my PyTorch run differ from my Keras run?", 2),
    ("lesson", "lesson", "RMSProp, the lesson live", 2),
    ("anatomy", "anatomy", "Update anatomy", 1),
    ("decay", "decay", "Decay-rate explorer: what ρ does", 2),
    ("mission", "mission", "Space mission: dock the ship", 1),
]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Streamlit's rerun has finished and no live chart is still drawing its figure
SETTLED = (
    "document.querySelector('[data-testid=stApp]')?.dataset.testScriptState === 'notRunning'"
    " && !document.querySelector('.live-chart[data-drawing]')"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(process: subprocess.Popen, url: str, log_path: pathlib.Path, timeout: float = 60.0) -> None:
    """Poll ``url``'s Streamlit health endpoint until it answers ``ok``; raise if the server exits or
    ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early; see {log_path}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"streamlit did not become healthy in {timeout:.0f} s; see {log_path}")


class ServedApp:
    """``streamlit run app.py`` on a free loopback port, until ``stop``."""

    def __init__(self, log_path: pathlib.Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        command = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.headless",
            "true",
            "--server.port",
            str(self.port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ]
        self.log = open(log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        wait_until_healthy(self.process, self.url, log_path)

    def log_text(self) -> str:
        self.log.flush()
        return self.log_path.read_text()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def require_chromium() -> None:
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"browser tests need Debian's Chromium at {CHROMIUM}: run `apt-get install chromium` "
            "(bash .ci/run installs it when it is missing)",
            pytrace=False,
        )


def wait_settled(page, timeout: float = 30_000) -> None:
    """Wait until Streamlit's rerun has finished and the charts are drawn."""
    page.wait_for_timeout(150)  # let a rerun triggered just now begin
    page.wait_for_function(SETTLED, timeout=timeout)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def open_page(browser, url: str, viewport=DESKTOP, charts: int = 1):
    page = browser.new_page(viewport=viewport, accept_downloads=True)
    page.goto(url)
    page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot').length >= {charts}", timeout=60_000)
    wait_settled(page)
    return page


def plotted_trace(page, name: str, chart: int = 0) -> dict:
    """x and y of the trace called ``name`` in the ``chart``-th Plotly chart, as drawn."""
    return page.evaluate(
        """([name, chart]) => {
            const plot = document.querySelectorAll('.js-plotly-plot')[chart];
            // _fullData holds the decoded typed arrays (data keeps plotly's base64 form)
            const trace = plot._fullData.find(t => t.name === name);
            return trace ? {x: Array.from(trace.x), y: Array.from(trace.y)} : null;
        }""",
        [name, chart],
    )


def save_screenshots(
    browser, url: str, name: str, heading: str, charts: int = 1, sizes=(("desktop", DESKTOP), ("phone", PHONE))
) -> list[pathlib.Path]:
    """Screenshots at each of ``sizes`` (label, viewport; desktop 1400x900 and phone 390x844 unless
    told) into test-artifacts/, after checking what a user sees at each size: the page's heading,
    ``charts`` charts drawn with data inside the screen's width, no error box, and no sideways
    scrolling."""
    ARTIFACTS.mkdir(exist_ok=True)
    saved = []
    for label, viewport in sizes:
        page = open_page(browser, url, viewport, charts)
        page.wait_for_timeout(500)
        assert page.get_by_role("heading", name=heading).first.is_visible(), (name, label, heading)
        assert page.locator("[data-testid=stException]").count() == 0
        drawn = page.evaluate(
            """() => Array.from(document.querySelectorAll('.js-plotly-plot'), plot => {
                const box = plot.getBoundingClientRect();
                const points = plot._fullData.reduce((n, t) => n + ((t.x || t.z || []).length || 0), 0);
                return {left: box.left, right: box.right, width: box.width, points};
            })"""
        )
        assert len(drawn) >= charts, (name, label, drawn)
        for chart in drawn:
            assert chart["points"] > 0 and chart["width"] > 0.5 * min(viewport["width"], 600), (name, label, chart)
            assert chart["left"] >= 0 and chart["right"] <= viewport["width"] + 1, (name, label, chart)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"], (name, label)
        path = ARTIFACTS / f"{name}-{label}.png"
        page.screenshot(path=str(path))
        saved.append(path)
        page.close()
    return saved
