"""Load: N concurrent sessions of the Compare page, each changing rho N times, on one server
process (or on several replicas behind nginx, ``--replicas``).

Each session is a WebSocket client that speaks Streamlit's protocol as the browser does: it loads
Compare (Rosenbrock, SGD, Momentum and RMSProp x 1000 steps), then sends each change as the
browser sends a slider's release (a rerun of the fragment the slider lives in, with the slider's
new value and the hashes of the messages it already has) and waits for the run to finish. No
browser renders: 30 Chromium tabs redrawing three charts per change would take more CPU than this
2-core machine has, and would measure the client. Per number of sessions it reports:

- latency, change sent -> the server's "script finished": median and p95;
- server CPU per change (user + system time of the server processes over the changes) and
  changes per second per core (changes / CPU seconds);
- resident memory per session (after all sessions loaded, minus before, after one warm-up
  session filled the shared caches) and after the sessions
  closed (the servers run with ``server.disconnectedSessionTTL`` 5 s, so closed sessions are
  dropped 5 s after; the default keeps them 2 minutes);
- errors: an exception shown, a run that did not finish, a connection lost, a 30 s timeout.

Each session makes its changes every ``--interval`` seconds from a random phase. Target: 30
sessions, one change every 2 s each, median <= 300 ms.

    python bench/bench_load.py [--sessions 5 10 30] [--changes 10] [--interval 2] [--replicas 1]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import os
import pathlib
import random
import ssl
import statistics
import sys
import time
import urllib.request

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = pathlib.Path(__file__).resolve().parent.parent
QUERY = "objective=rosenbrock&steps=1000"
SLIDER_KEY = "compare.rho"
#: rho values a session moves between (labels as the slider formats them)
RHO_VALUES = ["0.8", "0.85", "0.9", "0.95", "0.97", "0.98"]
FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}
TIMEOUT = 30.0
INSECURE = ssl.create_default_context()
INSECURE.check_hostname = False
INSECURE.verify_mode = ssl.CERT_NONE  # the local proxy's throwaway certificate


def load_replicas_module():
    spec = importlib.util.spec_from_file_location("replicas", ROOT / "deploy" / "replicas.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Session:
    """One browser-like session of Compare over Streamlit's WebSocket."""

    def __init__(self, url: str, query: str = QUERY, page_name: str = "", slider_key: str = SLIDER_KEY):
        self.url, self.query, self.page_name, self.slider_key = url, query, page_name, slider_key
        self.socket = None
        #: the element types of the last run, in order (a fragment's run sends only the fragment's)
        self.drawn: list[str] = []
        #: the keys of the last run's widgets (the part of each widget id after its last "-")
        self.drawn_keys: list[str] = []
        self.slider = self.fragment = self.page = None
        self.cached: set[str] = set()
        self.errors: list[str] = []

    async def open(self) -> None:
        headers = {}
        secure = self.url.startswith("https")
        if secure:  # through the proxy: the first page response pins this browser to a replica
            response = await asyncio.to_thread(urllib.request.urlopen, self.url + "/", context=INSECURE, timeout=30)
            cookie = response.headers.get("Set-Cookie", "").split(";")[0]
            headers = {"Cookie": cookie} if cookie else {}
        stream = self.url.replace("http", "ws", 1) + "/_stcore/stream"
        self.socket = await websockets.connect(
            stream,
            subprotocols=["streamlit"],
            max_size=None,
            additional_headers=headers,
            ssl=INSECURE if secure else None,
        )
        await self.run(BackMsg())

    async def run(self, message: BackMsg) -> float:
        """Send a rerun; the seconds until its script finished."""
        state = message.rerun_script
        state.query_string = self.query
        state.page_script_hash = self.page or ""
        if not self.page:
            state.page_name = self.page_name
        self.drawn, self.drawn_keys = [], []
        state.cached_message_hashes.extend(sorted(self.cached))
        began = time.perf_counter()
        await self.socket.send(message.SerializeToString())
        while True:
            message = ForwardMsg()
            message.ParseFromString(await asyncio.wait_for(self.socket.recv(), TIMEOUT))
            if message.metadata.cacheable:
                self.cached.add(message.hash)
            kind = message.WhichOneof("type")
            if kind == "new_session":
                self.page = message.new_session.page_script_hash
            elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                element = message.delta.new_element
                element_type = element.WhichOneof("type")
                self.drawn.append(element_type)
                widget_id = getattr(getattr(element, element_type), "id", "")
                if isinstance(widget_id, str) and widget_id:
                    self.drawn_keys.append(widget_id.rsplit("-", 1)[-1])
                if element_type == "exception":
                    self.errors.append(f"exception: {element.exception.message[:80]}")
                if element_type == "slider" and element.slider.id.endswith(f"-{self.slider_key}"):
                    self.slider, self.fragment = element.slider.id, message.delta.fragment_id
            elif kind == "script_finished":
                if message.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # the page asked for another run (a deep link's routing): wait for that one
                if message.script_finished not in FINISHED:
                    self.errors.append(f"run finished with status {message.script_finished}")
                return time.perf_counter() - began

    async def change(self, value: str | float) -> float:
        """Release the slider on ``value`` (a select slider's label, or a number slider's number):
        a rerun of the fragment it is in."""
        message = BackMsg()
        message.rerun_script.fragment_id = self.fragment
        widget = message.rerun_script.widget_states.widgets.add()
        widget.id = self.slider
        if isinstance(value, str):
            widget.string_array_value.data.append(value)
        else:
            widget.double_array_value.data.append(value)
        return await self.run(message)

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()


async def one_session(session: Session, number: int, changes: int, interval: float, start: float, out: list) -> None:
    await asyncio.sleep(max(0.0, start - time.perf_counter()) + random.uniform(0, interval))
    began = time.perf_counter()
    for change in range(changes):
        rho = RHO_VALUES[(number + change) % len(RHO_VALUES)]
        try:
            out.append(await session.change(rho))
        except (TimeoutError, websockets.ConnectionClosed) as error:
            session.errors.append(f"{type(error).__name__} on change {change}")
            return
        await asyncio.sleep(max(0.0, began + (change + 1) * interval - time.perf_counter()))


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def resident_mib(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


async def warm_up(url: str) -> None:
    """One session loads the page and changes rho once, so the baseline holds the shared caches."""
    session = Session(url)
    await session.open()
    await session.change(RHO_VALUES[0])
    await session.close()


async def load(url: str, pids: list[int], sessions: int, changes: int, interval: float) -> dict:
    await warm_up(url)
    before_rss = resident_mib(pids)
    opened = [Session(url) for _ in range(sessions)]
    connect_errors = 0
    for session in opened:  # one after the other, as a class arrives
        try:
            await session.open()
        except (OSError, TimeoutError, websockets.WebSocketException) as error:
            session.errors.append(f"open: {type(error).__name__}")
            connect_errors += 1
    loaded_rss = resident_mib(pids)
    latencies: list[float] = []
    cpu_before = cpu_seconds(pids)
    start = time.perf_counter() + 0.5
    await asyncio.gather(
        *(one_session(s, n, changes, interval, start, latencies) for n, s in enumerate(opened) if s.slider)
    )
    cpu = cpu_seconds(pids) - cpu_before
    for session in opened:
        with contextlib.suppress(Exception):
            await session.close()
    await asyncio.sleep(10)  # past the 5 s TTL of disconnected sessions
    return {
        "latencies": latencies,
        "cpu": cpu,
        "rss_per_session": (loaded_rss - before_rss) / sessions,
        "rss_before": before_rss,
        "rss_after_close": resident_mib(pids),
        "errors": [error for session in opened for error in session.errors],
        "connect_errors": connect_errors,
    }


def load_average() -> str:
    return "load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report(sessions: int, interval: float, result: dict, replicas: int) -> None:
    latencies = [1000 * value for value in result["latencies"]]
    presses = len(latencies)
    print(f"{sessions} sessions x one change every {interval:g} s, {replicas} server process(es):")
    if presses:
        target = "   (target: median <= 300 ms at 30 sessions)" if sessions == 30 else ""
        print(
            f"  latency: median {statistics.median(latencies):.0f} ms, p95 {percentile(latencies, 0.95):.0f} ms, "
            f"n={presses}{target}"
        )
        print(
            f"  server CPU per change: {1000 * result['cpu'] / presses:.1f} ms; "
            f"{presses / result['cpu'] if result['cpu'] else float('inf'):.1f} changes per second per core"
        )
    print(
        f"  resident memory: {result['rss_before']:.0f} MiB before, +{result['rss_per_session']:.1f} MiB per session, "
        f"{result['rss_after_close']:.0f} MiB 10 s after the sessions closed"
    )
    errors = result["errors"]
    print(f"  errors: {len(errors)}" + (f" ({'; '.join(sorted(set(errors))[:5])})" if errors else ""))
    print(f"  {load_average()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, nargs="+", default=[5, 10, 30])
    parser.add_argument("--changes", type=int, default=10)
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument(
        "--replicas", type=int, default=1, help="more than 1: replicas behind nginx (deploy/replicas.py)"
    )
    args = parser.parse_args()
    replicas = load_replicas_module()
    options = ["--server.disconnectedSessionTTL", "5"]
    with replicas.Replicas(args.replicas, extra_options=options, proxy=args.replicas > 1) as served:
        for sessions in args.sessions:
            result = asyncio.run(load(served.url, served.pids, sessions, args.changes, args.interval))
            report(sessions, args.interval, result, args.replicas)
            sys.stdout.flush()


if __name__ == "__main__":
    main()
