"""Two replicas behind deploy/nginx.conf, started by deploy/replicas.py, in a real Chromium: each
browser keeps to the replica that served it first (its session lives there), both replicas serve
sessions, and a changed setting survives further interaction and reloads."""

from __future__ import annotations

import importlib.util
import re
import time
import urllib.request

import pytest

from .browser_support import DESKTOP
from .conftest import ROOT

pytestmark = pytest.mark.browser
COOKIE = "rmsprop_lab_replica"


@pytest.fixture(scope="module")
def replicas():
    spec = importlib.util.spec_from_file_location("replicas", ROOT / "deploy" / "replicas.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with module.Replicas(2) as served:
        yield served


def connects(port: int) -> int:
    """How many sessions the replica on ``port`` has had (read on the replica itself, not through nginx)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/metrics", timeout=10) as response:
        text = response.read().decode()
    return int(re.search(r'session_events_total\{type="connect"\} (\d+)', text).group(1))


def settled(page) -> None:
    # locators only: the policy forbids the eval that a string predicate needs
    page.wait_for_timeout(150)
    page.locator("[data-testid=stApp][data-test-script-state=notRunning]").wait_for(timeout=60_000)


def open_compare(context):
    page = context.new_page()
    page.goto(context.base + "/?objective=rosenbrock")
    page.locator(".js-plotly-plot").nth(2).wait_for(timeout=60_000)
    settled(page)
    return page


def wait_for_url(page, part: str) -> None:
    deadline = time.monotonic() + 30
    while part not in page.url:
        assert time.monotonic() < deadline, (page.url, part)
        page.wait_for_timeout(100)


def test_each_browser_keeps_to_its_replica_and_its_settings(replicas, browser):
    contexts = []
    for _ in range(2):
        context = browser.new_context(ignore_https_errors=True, viewport=DESKTOP)
        context.base = replicas.url
        contexts.append(context)
    pages = [open_compare(context) for context in contexts]
    pinned = [next(c["value"] for c in context.cookies() if c["name"] == COOKIE) for context in contexts]
    # new visitors are spread over the replicas: both serve a session
    assert sorted(pinned) == sorted(f"127.0.0.1:{port}" for port in replicas.ports)
    assert [connects(port) for port in replicas.ports] == [1, 1]
    first, port = pages[0], int(pinned[0].rsplit(":", 1)[1])

    first.get_by_role("slider", name="Decay rate").focus()
    first.keyboard.press("ArrowRight")  # 0.9 -> 0.95
    settled(first)
    wait_for_url(first, "rho=0.95")
    first.get_by_role("radio", name="Side by side").check(force=True)
    settled(first)
    wait_for_url(first, "view=")  # the click's rerun may not have begun when the page looks settled
    assert "rho=0.95" in first.url and "view=" in first.url
    assert first.get_by_role("slider", name="Decay rate").get_attribute("aria-valuetext") == "0.95"
    assert first.locator("[data-testid=stException]").count() == 0
    # reloads come back to the same replica, as a new session there, with the settings kept
    for _ in range(3):
        first.reload()
        first.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
        settled(first)
    assert connects(port) == 4 and sum(connects(other) for other in replicas.ports if other != port) == 1
    assert first.get_by_role("slider", name="Decay rate").get_attribute("aria-valuetext") == "0.95"
    assert "rho=" not in pages[1].url  # the other session is its own
    for context in contexts:
        context.close()
