"""Compare's optimizer lab as Streamlit sees it, without the lab's work: the same fragment, layout,
widgets (labels, ladders, keys), the same three chart elements carrying the page's own payloads
for Rosenbrock and 1000 steps, the caption and the results table. Each ρ's payloads are built once
(cached, like the page's runs); a press then does no computing, no settings store, no URL.

``bench_ui.py`` presses this app's ρ slider in the same rounds as the real page's: the server CPU
it spends per press is Streamlit's own cost of Compare's elements, the floor under the page's.
Run from the repository's root, so that it has the app's ``.streamlit/config.toml``.
"""

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rmsprop_lab import figures, runs
from rmsprop_lab.chart_component import LIVE_CHART_COMPONENT
from rmsprop_lab.controls import format_number, markdown_table
from rmsprop_lab.live_chart import chart_payload, scrub_revision
from rmsprop_lab.scenarios import compare_optimizers, results_table
from rmsprop_lab.schemas import COMPARE, FunctionChoice, view_including

SUBJECT = "rosenbrock"
STEPS = 1000
PARAMS = COMPARE.by_key()
DEFAULTS = COMPARE.defaults(SUBJECT)
CHOICE = FunctionChoice(SUBJECT)


st.set_page_config(layout="wide")  # the app's width: charts drawn as wide as the page's


@st.cache_resource
def payloads(rho: float) -> tuple[bytes, bytes, bytes, str]:
    """The page's three chart payloads and its results table for this ρ, with every other setting
    at Rosenbrock's defaults."""
    settings = {**DEFAULTS, "steps": STEPS, "rho": rho}
    start = (float(settings["x0"]), float(settings["y0"]))
    objective, _ = runs.measured_objective(CHOICE)
    specs = compare_optimizers(settings)
    results = [runs.path(spec, CHOICE, start, STEPS) for spec in specs]
    paths = [result.path() for result in results]
    # the page's SURFACE_RESOLUTION (tests/test_bench_elements.py compares the two apps' charts whole)
    surface = runs.surface(CHOICE, 400, view_including(objective.domain, start))
    # as the page's: a digest per scrubbed slider of a switched-on optimizer, None for Adam's and Adagrad's
    revisions = {name: scrub_revision((name,)) for name in ("rho", "eps", "sgd_lr", "mom_lr", "rms_lr")}
    revisions |= {"adam_lr": None, "ada_lr": None}
    main = figures.contour_figure(surface, paths, uirevision=str(CHOICE))
    loss = figures.loss_figure(paths, objective.min_value, uirevision=str(CHOICE))
    step = figures.compare_step_size_figure(results, specs, uirevision=str(CHOICE))
    table = results_table(results, objective, settings["tol"])
    return (
        chart_payload(main, playback_steps=STEPS, scrub_revisions=revisions),
        chart_payload(loss, scrub_revisions=revisions),
        chart_payload(step, scrub_revisions=revisions),
        markdown_table(table),
    )


def ladder(key: str, label: str):
    param = PARAMS[key]
    return st.select_slider(label, options=param.choices, value=DEFAULTS[key], format_func=format_number, key=key)


@st.fragment
def lab() -> None:
    chart_column, controls_column = st.columns([2.7, 1], gap="medium")
    with controls_column:
        panels = ["SGD", "Momentum", "RMSProp", "Adam", "Adagrad"]
        st.pills("Settings of", panels, default="RMSProp", required=True, key="panel")
        st.toggle("Show RMSProp", value=True, key="rms")
        ladder("rms_lr", "Learning rate α")
        rho = ladder("rho", "Decay rate ρ (gamma, alpha, decay)")
        ladder("eps", "Epsilon ε")
        st.checkbox("ε inside the √", key="eps_in_sqrt")
        st.checkbox("Centered (variance of g)", key="centered")
        ladder("rms_mu", "Momentum μ")
    main, loss, step, table = payloads(rho)
    with chart_column:
        LIVE_CHART_COMPONENT(data=main, key="compare_main")
    loss_column, step_column = st.columns(2)
    with loss_column:
        LIVE_CHART_COMPONENT(data=loss, key="compare_loss")
    with step_column:
        LIVE_CHART_COMPONENT(data=step, key="compare_step_size")
        st.caption(
            "RMSProp divides α by the root of a running average of g², separately for x and y: "
            "steep coordinates get small steps, flat ones large steps."
        )
    st.markdown("##### Results")
    st.markdown(table)


lab()
