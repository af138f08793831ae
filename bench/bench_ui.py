"""UI speed in a real browser: cold start and slider-to-redraw latency.

Starts ``streamlit run app.py`` on a free loopback port, drives Debian's Chromium through
Playwright, and reports:

- cold start: server process start -> first chart drawn in a fresh browser page;
- Compare page: latency from a rho slider key press to all charts redrawn (Streamlit's rerun
  finished, then two animation frames), median and p95 over --presses presses, with SGD,
  Momentum and RMSProp x 1000 steps on Rosenbrock;
- for reference, the same probe on a naive ~30-line Streamlit app (one 500-step RMSProp path on a
  200x200 go.Contour), run in the same way.

The rerun end is detected in the page: a MutationObserver records the keydown time and the
moment ``data-test-script-state`` leaves "running", then waits two animation frames.

    python bench/bench_ui.py [--presses 20]
"""

from __future__ import annotations

import argparse
import pathlib
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

ARM_PROBE = """() => {
  const app = document.querySelector('[data-testid=stApp]');
  window.__probe = {start: null, done: null};
  document.addEventListener('keydown', () => {
    if (window.__probe.start === null) window.__probe.start = performance.now();
  }, {once: true, capture: true});
  const observer = new MutationObserver((records) => {
    for (const record of records) {
      if (record.oldValue === 'running' && app.dataset.testScriptState === 'notRunning'
          && window.__probe.done === null) {
        window.__probe.done = -1;
        requestAnimationFrame(() => requestAnimationFrame(() => {
          window.__probe.done = performance.now();
          observer.disconnect();
        }));
      }
    }
  });
  observer.observe(app, {attributes: true, attributeOldValue: true, attributeFilter: ['data-test-script-state']});
}"""

NAIVE_APP = textwrap.dedent("""
    import numpy as np
    import plotly.graph_objects as go
    import streamlit as st

    st.title("Naive RMSProp demo")
    rho = st.select_slider("Decay rate", options=[0.8, 0.85, 0.9, 0.95, 0.97], value=0.9)
    lr = st.slider("Learning rate", 0.001, 0.1, 0.01)

    def f(x, y):
        return (1 - x) ** 2 + 100 * (y - x**2) ** 2

    def df(x, y):
        return np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])

    w, s, path = np.array([-1.5, 2.0]), np.zeros(2), []
    for _ in range(500):
        g = df(*w)
        s = rho * s + (1 - rho) * g**2
        w = w - lr * g / (np.sqrt(s) + 1e-6)
        path.append(w.copy())
    path = np.array(path)
    xs, ys = np.linspace(-2, 2, 200), np.linspace(-1, 3, 200)
    X, Y = np.meshgrid(xs, ys)
    figure = go.Figure(go.Contour(x=xs, y=ys, z=np.log10(f(X, Y) + 1e-3)))
    figure.add_trace(go.Scatter(x=path[:, 0], y=path[:, 1], mode="lines+markers"))
    st.plotly_chart(figure)
""")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(script: pathlib.Path, port: int) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    return subprocess.Popen(command, cwd=script.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_healthy(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not become healthy")


def first_chart(browser, url: str, charts: int):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(url)
    page.wait_for_function(
        f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {charts}", timeout=60_000, polling=20
    )
    return page


def slider_latencies(page, slider_name: str, presses: int) -> list[float]:
    page.wait_for_function("document.querySelector('[data-testid=stApp]').dataset.testScriptState === 'notRunning'")
    page.wait_for_timeout(1000)
    page.get_by_role("slider", name=slider_name).focus()
    latencies = []
    for press in range(presses + 1):
        page.evaluate(ARM_PROBE)
        page.keyboard.press("ArrowLeft" if press % 2 == 0 else "ArrowRight")
        page.wait_for_function("window.__probe.done !== null && window.__probe.done > 0", timeout=30_000)
        probe = page.evaluate("window.__probe")
        if press > 0:  # the first press warms caches for the new value; not counted
            latencies.append(probe["done"] - probe["start"])
        page.wait_for_timeout(150)
    return latencies


def describe(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{name}: median {statistics.median(values):.0f} ms, p95 {p95:.0f} ms, n={len(values)}"


def measure(browser, script: pathlib.Path, query: str, charts: int, presses: int) -> tuple[float, list[float]]:
    port = free_port()
    began = time.perf_counter()
    server = start_server(script, port)
    try:
        wait_healthy(port)
        page = first_chart(browser, f"http://127.0.0.1:{port}/{query}", charts)
        cold = time.perf_counter() - began
        return cold, slider_latencies(page, "Decay rate", presses)
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presses", type=int, default=20)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as scratch:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        cold, compare = measure(browser, ROOT / "app.py", "?objective=rosenbrock&steps=1000", 3, args.presses)
        naive_script = pathlib.Path(scratch) / "naive_app.py"
        naive_script.write_text(NAIVE_APP)
        _, naive = measure(browser, naive_script, "", 1, args.presses)
        browser.close()
    print(f"cold start (server start -> first chart drawn): {cold:.2f} s   (target <= 3 s)")
    print(
        describe("Compare, rho key press -> 3 charts redrawn (3 optimizers x 1000 steps)", compare)
        + "   (target: median <= 150, p95 <= 250)"
    )
    print(describe("reference: naive 30-line app, same probe", naive))


if __name__ == "__main__":
    main()
