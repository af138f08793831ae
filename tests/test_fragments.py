"""Pages whose sliders rerun only the part they change (a fragment), seen from the server's side:
a Streamlit WebSocket session (bench/bench_load.py's client) moves a slider and reads what comes back."""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib.util

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.browser  # serves the app


def load_client():
    spec = importlib.util.spec_from_file_location("bench_load", ROOT / "bench" / "bench_load.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("page", "query", "slider", "label", "stays"),
    [
        ("", "objective=rosenbrock", "compare.rho", "0.95", "selectbox"),
        ("decay", "", "decay.lr", "0.01", "selectbox"),
        ("anatomy", "", "anatomy.step", 3.0, "selectbox"),
        # the pages whose sliders sat in the sidebar: their hyperparameters now sit beside the charts
        ("sweep", "", "sweep.eps", "3e-06", "selectbox"),
        ("conventions", "", "conventions.lr", "0.0063", "number_input"),
        ("lesson", "", "lesson.rho", "0.95", "page_link"),
        ("mission", "", "mission.rho", "0.95", "selectbox"),
    ],
)
def test_a_slider_reruns_its_fragment_only(served_app, page, query, slider, label, stays):
    (whole, _), (part, _), errors, fragment = drawn_by_a_move(served_app, page, query, slider, label)
    assert not errors, errors
    assert fragment, f"{slider} is not in a fragment"
    assert stays in whole and stays not in part  # the function picker (sidebar) is not drawn again
    assert "slider" in part and len(part) < len(whole)


def drawn_by_a_move(served_app, page: str, query: str, slider: str, label) -> tuple[list, list, list, str | None]:
    """The element types of a page's first run and of the run that moving ``slider`` to ``label``
    makes (with the keys of the widgets each run drew); the errors seen; the fragment the slider is in."""
    client = load_client()

    async def move() -> tuple[list, list, list[str], str | None]:
        session = client.Session(served_app.url, query=query, page_name=page, slider_key=slider)
        await session.open()
        whole = (list(session.drawn), list(session.drawn_keys))
        await session.change(label)
        part = (list(session.drawn), list(session.drawn_keys))
        await session.close()
        return whole, part, session.errors, session.fragment

    # its own thread: Playwright's sync API may run an event loop in this one (browser tests)
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, move()).result()


def test_a_compare_press_redraws_none_of_the_controls_around_its_optimizer_lab(served_app):
    """The view, the replay, "Tune learning rates", the tolerance, the sensitivity switch and the
    scrub ladder sit outside the fragment that a hyperparameter reruns: a ρ press sends none of them
    again."""
    (_, whole), (_, part), errors, _ = drawn_by_a_move(served_app, "", "objective=rosenbrock", "compare.rho", "0.95")
    assert not errors, errors
    around = {f"compare.{name}" for name in ("view", "upto", "tune", "tol", "sensitivity")}
    assert around <= set(whole) and not around & set(part)
    assert {"compare.rho", "compare.rms_lr", "compare.eps"} <= set(part)  # the panel's own widgets are sent again
    # nor the ladder the browser swaps in while a slider is dragged: a fragment of its own
    assert "compare_scrub" in whole and "compare_scrub" not in part
