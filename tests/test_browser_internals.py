"""The app's reaches into Streamlit's internals, against a served app."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg

from .browser_support import open_page

pytestmark = pytest.mark.browser

#: from the page, a second connection to the server (a new session) that sends raw BackMsgs and
#: stays open, so that the session lives until its rerun has finished
SEND_BACKMSGS = """(messages) => new Promise((resolve, reject) => {
    const socket = new WebSocket(location.origin.replace('http', 'ws') + '/_stcore/stream', ['streamlit']);
    socket.binaryType = 'arraybuffer';
    socket.onerror = reject;
    socket.onopen = () => {
        for (const message of messages) socket.send(new Uint8Array(message));
        window.probeSocket = socket;
        resolve();
    };
})"""


LOOKUPS = r'cache_lookups_total\{cache="rmsprop_lab\.runs\._run",cache_type="st_cache_resource",result="(\w+)"\} (\d+)'


def run_cache_lookups(url: str) -> dict[str, int]:
    """Hits and misses of the cache of single optimizer runs (rmsprop_lab.runs._run), from the
    server's metrics endpoint."""
    with urllib.request.urlopen(f"{url}/_stcore/metrics", timeout=10) as response:
        text = response.read().decode()
    return {result: int(count) for result, count in re.findall(LOOKUPS, text)}


def test_a_clear_cache_request_leaves_the_shared_caches(served_app, browser):
    """Issue 11: Streamlit clears st.cache_data and st.cache_resource for every user when any
    client sends a clear_cache BackMsg. A browser sends one, then a run of the default Compare view,
    whose three optimizer runs another session has just cached: they must be cache hits."""
    page = open_page(browser, served_app.url, charts=3)  # the default view: SGD, Momentum, RMSProp
    before = run_cache_lookups(served_app.url)
    rerun = BackMsg()
    rerun.rerun_script.query_string = ""
    page.evaluate(SEND_BACKMSGS, [list(BackMsg(clear_cache=True).SerializeToString()), list(rerun.SerializeToString())])
    for _ in range(120):  # the probe session's run looks up the three runs
        after = run_cache_lookups(served_app.url)
        if sum(after.values()) >= sum(before.values()) + 3:
            break
        page.wait_for_timeout(250)
    assert after["miss"] == before["miss"] and after["hit"] == before["hit"] + 3, (before, after)
    page.evaluate("() => window.probeSocket.close()")
    page.close()


def test_no_parent_frame_is_allowed_to_control_the_app(served_app):
    """The host-config the page reads lists no origin whose frames may drive the app through
    postMessage (Streamlit's default names its Community Cloud hosts)."""
    with urllib.request.urlopen(f"{served_app.url}/_stcore/host-config", timeout=10) as response:
        host_config = json.loads(response.read())
    assert host_config["allowedOrigins"] == []
