"""UI speed in a real browser: cold start and slider-to-redraw latency.

Starts ``streamlit run app.py`` on a free loopback port, drives Debian's Chromium through
Playwright, and reports:

- cold start: server process start -> first chart drawn in a fresh browser page, the median of
  --cold-starts fresh servers alternating with the naive app's (below), measured the same way;
- Compare page: latency from a rho slider key press to all charts redrawn (Streamlit's rerun
  finished, then two animation frames), median and p95 over --presses presses, with SGD,
  Momentum and RMSProp x 1000 steps on Rosenbrock; once stepping rho back and forth between two
  values (the runs come from the cache), once walking up the rho ladder so that every press
  computes a new RMSProp run (at most 17 presses: the ladder's length);
- Sweep page: latency from a key press on the fixed-epsilon slider to the 100x100 x 500-step
  heatmap redrawn, each press a value never computed before (a new grid every time);
- Compare, scrubbing: a mouse drag over the rho slider (and then the RMSProp learning-rate slider),
  one pointer move per ladder value, --moves moves: the time from each pointer event to the main
  chart redrawn and to all three charts redrawn (the page's own log of each swap), to the start of
  the next frame, and the size of the largest WebSocket message while the ladder was fetched;
- interleaved with the naive app (both servers up, one press on each view per round, the same
  key): a slider of every page with one (Compare's rho, the Decay explorer's learning rate, the
  Sweep's fixed epsilon, Conventions' learning rate, the Lesson's rho, Mission's RMSProp rho)
  against the naive app's slider, the median of the per-round ratios, and each server's CPU time
  per press (``--interleaved-only``: the cold starts and these rounds alone); in the same rounds,
  ``compare_elements_app.py``'s ρ slider: Compare's lab with none of its work, whose server CPU
  per press is Streamlit's own cost of that page's elements;
- for reference, the same probe on a naive ~30-line Streamlit app (one 500-step RMSProp path on a
  200x200 go.Contour), run in the same way.

The end is detected in the page: the keydown time is recorded; the press is done when every
chart that shows the changed value has drawn since (Plotly's afterplot, react or transitioned
event, or a newly mounted chart with its SVG) and ``data-test-script-state`` says the app is not
running; then two animation frames are awaited.

    python bench/bench_ui.py [--presses 20] [--moves 40] [--interleaved-only]
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

# the CPU time and percentile helpers of the load bench, run from the same folder
from bench_load import cpu_seconds, load_average, percentile

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

ARM_PROBE = """(charts) => {
  const app = document.querySelector('[data-testid=stApp]');
  const probe = window.__probe = {start: null, drawn: 0, done: null};
  document.addEventListener('keydown', () => {
    if (probe.start === null) probe.start = performance.now();
  }, {once: true, capture: true});
  // a chart counts as redrawn when it reports a draw after the key press, or when it is a new
  // chart element that has drawn (st.plotly_chart mounts a new one for every new figure)
  const before = new Set(document.querySelectorAll('.js-plotly-plot'));
  const drawn = new Set();
  let finished = false;
  // checked on every relevant event (a chart drew, the script state changed) and on every frame,
  // so the two frames start as soon as the condition holds, not up to a frame later
  const check = () => {
    if (finished) return;
    for (const plot of document.querySelectorAll('.js-plotly-plot')) {
      if (probe.start !== null && !before.has(plot) && plot.querySelector('.main-svg')) drawn.add(plot);
      if (plot.__probeListening !== probe && plot.on) {
        plot.__probeListening = probe;
        const mark = () => { if (probe.start !== null) { drawn.add(plot); check(); } };
        plot.on('plotly_afterplot', mark);
        plot.on('plotly_react', mark);
        plot.on('plotly_transitioned', mark);  // new points alone: drawn by Plotly.animate
      }
    }
    probe.drawn = drawn.size;
    if (probe.start !== null && drawn.size >= charts && app.dataset.testScriptState === 'notRunning') {
      finished = true;
      observer.disconnect();
      requestAnimationFrame(() => requestAnimationFrame(() => { probe.done = performance.now(); }));
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
  const everyFrame = () => { check(); if (!finished) requestAnimationFrame(everyFrame); };
  requestAnimationFrame(everyFrame);
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


def start_server(script: pathlib.Path, port: int, cwd: pathlib.Path | None = None) -> subprocess.Popen:
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
    return subprocess.Popen(command, cwd=cwd or script.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


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


def slider_latencies(page, slider_name: str, presses: int, charts: int, walk: bool = False) -> list[float]:
    """Key-press latencies. ``walk``: start at the slider's lowest value and step up one value per
    press, so every press asks for a value never computed before (no cache hits); otherwise
    alternate between two neighbouring values."""
    settled = "document.querySelector('[data-testid=stApp]').dataset.testScriptState === 'notRunning'"
    page.wait_for_function(settled)
    page.wait_for_timeout(1000)
    slider = page.get_by_role("slider", name=slider_name)
    slider.focus()
    if walk:
        page.keyboard.press("Home")
        page.wait_for_timeout(500)
        page.wait_for_function(settled)
        page.wait_for_timeout(1000)
        slider.focus()
    latencies = []
    for press in range(presses + 1):
        page.evaluate(ARM_PROBE, charts)
        page.keyboard.press("ArrowRight" if walk or press % 2 else "ArrowLeft")
        page.wait_for_function("window.__probe.done !== null", timeout=30_000)
        probe = page.evaluate("window.__probe")
        if press > 0:  # the first press is a warm-up; not counted
            latencies.append(probe["done"] - probe["start"])
        page.wait_for_timeout(150)
    return latencies


def describe(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{name}: median {statistics.median(values):.0f} ms, p95 {p95:.0f} ms, n={len(values)}"


def measure(browser, script: pathlib.Path, views, presses: int) -> tuple[float, list[list[float]]]:
    """Start a server for ``script``; cold start to the first view's charts; then, for each view
    ``(path and query, charts on the page, charts a press redraws, slider name, walk)``, the key-press
    latencies."""
    port = free_port()
    began = time.perf_counter()
    server = start_server(script, port)
    try:
        wait_healthy(port)
        latencies, cold = [], None
        for path, charts, redrawn, slider_name, walk in views:
            page = first_chart(browser, f"http://127.0.0.1:{port}/{path}", charts)
            if cold is None:
                cold = time.perf_counter() - began
                if presses:
                    wait_until_idle(server.pid)
            latencies.append(
                slider_latencies(page, slider_name, presses if not walk else min(presses, 17), redrawn, walk)
            )
            page.close()
        return cold, latencies
    finally:
        server.terminate()
        server.wait(timeout=10)


SLIDER_TRACK = """(key) => {
  const input = document.querySelector(`.st-key-${key} input[type=range]`);
  const thumb = input.parentElement.parentElement, track = thumb.parentElement.getBoundingClientRect();
  const box = thumb.getBoundingClientRect();
  return {x: track.x, width: track.width, y: box.y + box.height / 2, thumb: box.x + box.width / 2,
          count: Number(input.getAttribute('max')) + 1, at: Number(input.getAttribute('value'))};
}"""
# one pointer move, timed from the event's own time stamp to the swap the page logs and the next frame
TIMED_MOVE = """() => {
  const probe = window.__move = {at: null, frame: null, entries: window.__rmspropScrubLog.length};
  document.addEventListener('pointermove', (event) => { probe.at = event.timeStamp; }, {capture: true, once: true});
  const wait = () => {
    if (window.__rmspropScrubLog.length > probe.entries) requestAnimationFrame((now) => { probe.frame = now; });
    else requestAnimationFrame(wait);
  };
  requestAnimationFrame(wait);
}"""


def drag_latencies(page, key: str, setting: str, moves: int, received: list[int]) -> tuple[dict[str, list[float]], int]:
    """Per pointer move of a drag over the slider ``key``: milliseconds to the main chart redrawn,
    to all three, to the next frame; and the largest WebSocket message received (``received``,
    every message's size) while the ladder was fetched."""
    received.clear()
    page.wait_for_selector(f".st-key-{key} input[type=range]", state="attached", timeout=60_000)
    page.wait_for_function("document.querySelector('[data-testid=stApp]').dataset.testScriptState === 'notRunning'")
    track = page.evaluate(SLIDER_TRACK, key)
    page.mouse.move(track["thumb"], track["y"])  # pointing at the slider fetches its ladder
    page.wait_for_function("(s) => window.__rmspropLabScrub.ready(s)", arg=setting, timeout=60_000)
    page.wait_for_timeout(500)
    ladder_message = max(received, default=0)
    page.evaluate("() => { window.__rmspropScrubLog = []; }")
    page.mouse.down()
    times = {"main": [], "all": [], "frame": []}
    position, step = track["at"], -1
    for _ in range(moves):
        if not 0 <= position + step < track["count"]:
            step = -step
        position += step
        page.evaluate(TIMED_MOVE)
        page.mouse.move(track["x"] + track["width"] * position / (track["count"] - 1), track["y"])
        page.wait_for_function("window.__move.frame !== null", timeout=10_000)
        probe = page.evaluate("() => ({move: window.__move, entry: window.__rmspropScrubLog.at(-1)})")
        start = probe["move"]["at"]
        times["main"].append(probe["entry"]["main"] - start)
        times["all"].append(probe["entry"]["done"] - start)
        times["frame"].append(probe["move"]["frame"] - start)
    page.mouse.up()
    return times, ladder_message


def measure_drags(browser, moves: int):
    port = free_port()
    server = start_server(ROOT / "app.py", port)
    try:
        wait_healthy(port)
        found = []
        for key, setting in (("compare-rho", "rho"), ("compare-rms_lr", "rms_lr")):
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            received = []  # every WebSocket message's size, the ladder's among them
            page.on("websocket", lambda ws, into=received: ws.on("framereceived", lambda f: into.append(len(f))))
            page.goto(f"http://127.0.0.1:{port}/?objective=rosenbrock&steps=1000")
            page.wait_for_function(
                "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 3", timeout=60_000, polling=20
            )
            found.append(drag_latencies(page, key, setting, moves, received))
            page.close()
        return found
    finally:
        server.terminate()
        server.wait(timeout=10)


def report_drag(name: str, times: dict[str, list[float]], ladder_message: int) -> None:
    main, every = times["main"], times["all"]
    print(
        f"{name}, pointer move -> main chart redrawn: median {statistics.median(main):.1f} ms, "
        f"p95 {percentile(main, 0.95):.1f} ms, n={len(main)}   (target: median <= 16.7, p95 <= 33)"
    )
    print(f"{name}, pointer move -> all 3 charts redrawn: median {statistics.median(every):.1f} ms   (target <= 33)")
    print(f"{name}, pointer move -> next frame begins: median {statistics.median(times['frame']):.1f} ms")
    print(f"{name}, ladder on the wire (largest WebSocket message): {ladder_message / 1000:.0f} KB   (target <= 300)")


COMPARE = "Compare, rho"
#: Compare's lab with none of its work (compare_elements_app.py): Streamlit's own cost of its elements
ELEMENTS = "Compare's elements alone, rho"
ELEMENTS_APP = ROOT / "bench" / "compare_elements_app.py"
#: (name, server, path and query, charts on the page, charts a press redraws, slider)
INTERLEAVED = [
    (COMPARE, "app", "?objective=rosenbrock&steps=1000", 3, 3, "Decay rate"),
    (ELEMENTS, "elements", "", 3, 3, "Decay rate"),
    ("Decay explorer, learning rate", "app", "decay", 4, 4, "Learning rate α"),
    # back and forth between two values: after the first round both grids come from the cache
    ("Sweep, fixed epsilon", "app", "sweep", 1, 1, "ε (fixed)"),
    ("Conventions, learning rate", "app", "conventions", 2, 2, "Learning rate α"),
    ("Lesson, rho", "app", "lesson", 2, 2, "Decay rate ρ"),
    ("Mission, RMSProp rho", "app", "mission", 1, 1, "RMSProp ρ"),
    ("naive app, decay rate", "naive", "", 1, 1, "Decay rate"),
]


#: CPU seconds in a second of wall time below which a server counts as idle
IDLE_CPU_SECONDS = 0.05


def wait_until_idle(pid: int, quiet_seconds: int = 4, timeout: float = 90.0) -> None:
    """Until the server's process has been idle for ``quiet_seconds`` seconds in a row: its
    background work (numba's loops, compiled or loaded once ``runs.FIRST_VIEW_SECONDS`` have passed
    since the first view began; ``quiet_seconds`` is longer, so the wait cannot end before they
    start) is done, and no press competes with it."""
    deadline, quiet = time.monotonic() + timeout, 0
    while quiet < quiet_seconds and time.monotonic() < deadline:
        before = cpu_seconds([pid])
        time.sleep(1.0)
        quiet = quiet + 1 if cpu_seconds([pid]) - before < IDLE_CPU_SECONDS else 0
    if quiet < quiet_seconds:
        print(f"warning: the server (pid {pid}) was still busy after {timeout:.0f} s; measuring anyway")


def interleaved(browser, naive_script: pathlib.Path, rounds: int) -> dict[str, dict[str, list[float]]]:
    """The three servers at once; each round presses once on every view in turn (the same key), so
    the app, its elements alone and the naive app meet the same machine load. Per view: latencies
    and the server's CPU time per press."""
    ports = {"app": free_port(), "naive": free_port(), "elements": free_port()}
    servers = {
        "app": start_server(ROOT / "app.py", ports["app"]),
        "naive": start_server(naive_script, ports["naive"]),
        # from the root, with the app's .streamlit/config.toml
        "elements": start_server(ELEMENTS_APP, ports["elements"], cwd=ROOT),
    }
    settled = "document.querySelector('[data-testid=stApp]').dataset.testScriptState === 'notRunning'"
    try:
        for port in ports.values():
            wait_healthy(port)
        pages = {}
        for name, server, path, charts, _, _ in INTERLEAVED:
            pages[name] = first_chart(browser, f"http://127.0.0.1:{ports[server]}/{path}", charts)
            pages[name].wait_for_function(settled)
        for server in servers.values():
            wait_until_idle(server.pid)
        found = {name: {"latency": [], "cpu": []} for name, *_ in INTERLEAVED}
        for round_number in range(rounds + 1):
            for name, server, _, _, redrawn, slider_name in INTERLEAVED:
                page = pages[name]
                page.bring_to_front()
                page.get_by_role("slider", name=slider_name).focus()  # may fetch its ladder once (a rerun)
                page.wait_for_timeout(150)
                page.wait_for_function(settled)
                page.evaluate(ARM_PROBE, redrawn)
                before = cpu_seconds([servers[server].pid])
                page.keyboard.press("ArrowRight" if round_number % 2 else "ArrowLeft")
                page.wait_for_function("window.__probe.done !== null", timeout=30_000)
                page.wait_for_function(settled)
                cpu = cpu_seconds([servers[server].pid]) - before
                probe = page.evaluate("window.__probe")
                if round_number > 0:  # the first round is a warm-up
                    found[name]["latency"].append(probe["done"] - probe["start"])
                    found[name]["cpu"].append(1000 * cpu)
        return found
    finally:
        for server in servers.values():
            server.terminate()
            server.wait(timeout=10)


def report_interleaved(found: dict[str, dict[str, list[float]]]) -> None:
    naive_name = INTERLEAVED[-1][0]
    naive = found[naive_name]["latency"]
    print(f"interleaved rounds (each round: one press on every view, the same key), n={len(naive)}:")
    for name, *_ in INTERLEAVED:
        latency, cpu = found[name]["latency"], found[name]["cpu"]
        line = f"  {name}: key press -> charts redrawn, median {statistics.median(latency):.0f} ms"
        # the kernel counts a process's CPU time in whole ticks: a press's own figure is a whole
        # number of ticks, whose median is a tick count; their mean converges on the true time
        line += f", p95 {percentile(latency, 0.95):.0f} ms; server CPU per press mean {statistics.fmean(cpu):.1f} ms"
        if name == ELEMENTS:
            line += " (Streamlit's own cost of the Compare lab's layout, widgets and chart bytes)"
        elif name != naive_name:
            ratio = statistics.median(a / b for a, b in zip(latency, naive, strict=True))
            target = 0.5 if name == COMPARE else 0.7  # Compare's own target; every page's 0.7
            line += f"; median of per-round ratios to the naive app {ratio:.2f}x (target <= {target}x)"
        if name == COMPARE:
            # the naive app's server CPU is this machine's speed for such work that day
            share = statistics.fmean(cpu) / statistics.fmean(found[naive_name]["cpu"])
            work = statistics.fmean(cpu) - statistics.fmean(found[ELEMENTS]["cpu"])
            line += f"   (server CPU target <= 25 ms; {share:.2f}x the naive app's; {work:.1f} ms above its elements')"
        print(line)


def launched_browser(playwright):
    """Chromium, with one blank page opened and closed: the browser's own start-up (a user's
    browser is already running) counts in neither cold start, the app's or the naive app's after it."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    blank = browser.new_page()
    blank.goto("about:blank")
    blank.close()
    return browser


COMPARE_VIEW = ("?objective=rosenbrock&steps=1000", 3, 3, "Decay rate")
NAIVE_VIEW = ("", 1, 1, "Decay rate")


def cold_starts(browser, naive_script: pathlib.Path, rounds: int) -> tuple[list[float], list[float]]:
    """``rounds`` cold starts of each app, alternating (the app's, the naive app's, ...), each a
    fresh server, so a machine that slows down during the run slows both alike."""
    app, naive = [], []
    for _ in range(rounds):
        for script, view, starts in ((ROOT / "app.py", COMPARE_VIEW, app), (naive_script, NAIVE_VIEW, naive)):
            cold, _ = measure(browser, script, [(*view, False)], 0)
            starts.append(cold)
            time.sleep(2)  # the last server's exit settles
    return app, naive


def report_cold_start(app: list[float], naive: list[float]) -> None:
    def spread(starts: list[float]) -> str:
        return f"{statistics.median(starts):.2f} s ({min(starts):.2f}-{max(starts):.2f})"

    print(
        f"cold start (server start -> first chart drawn), median of {len(app)} alternating with the naive app's: "
        f"{spread(app)}   (target <= 3 s on a quiet machine; the naive app's, one chart, the same way: {spread(naive)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presses", type=int, default=20)
    parser.add_argument("--moves", type=int, default=40)
    parser.add_argument("--cold-starts", type=int, default=5, help="cold starts of each app, alternating")
    parser.add_argument(
        "--interleaved-only", action="store_true", help="only the cold starts and the rounds against the naive app"
    )
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    at_start = load_average()

    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as scratch:
        browser = launched_browser(playwright)
        naive_script = pathlib.Path(scratch) / "naive_app.py"
        naive_script.write_text(NAIVE_APP)
        cold, naive_cold = cold_starts(browser, naive_script, args.cold_starts)
        if not args.interleaved_only:
            # the walk first: its rho values are then computed for the first time on each press
            _, (compare_new, compare_back_and_forth, sweep) = measure(
                browser,
                ROOT / "app.py",
                [(*COMPARE_VIEW, True), (*COMPARE_VIEW, False), ("sweep", 2, 1, "ε (fixed)", True)],
                args.presses,
            )
            (rho_drag, rho_ladder), (lr_drag, lr_ladder) = measure_drags(browser, args.moves)
            _, (naive,) = measure(browser, naive_script, [(*NAIVE_VIEW, False)], args.presses)
        rounds = interleaved(browser, naive_script, args.presses)
        browser.close()
    report_cold_start(cold, naive_cold)
    if args.interleaved_only:
        report_interleaved(rounds)
        print(f"{at_start} at the start, {load_average()} at the end")
        return
    compare_target = "   (target: median <= 150, p95 <= 250)"
    title = "Compare, rho key press -> 3 charts redrawn (3 optimizers x 1000 steps)"
    print(describe(f"{title}, back and forth", compare_back_and_forth) + compare_target)
    print(describe(f"{title}, a new rho each press (RMSProp recomputed)", compare_new) + compare_target)
    print(
        describe("Sweep, epsilon key press -> new 100x100 x 500-step grid computed and redrawn", sweep)
        + "   (target <= 1000)"
    )
    print(describe("reference: naive 30-line app, same probe", naive))
    report_interleaved(rounds)
    report_drag("Compare, dragging rho (19 values)", rho_drag, rho_ladder)
    report_drag("Compare, dragging RMSProp's learning rate (61 values)", lr_drag, lr_ladder)
    print(f"{at_start} at the start, {load_average()} at the end")


if __name__ == "__main__":
    main()
