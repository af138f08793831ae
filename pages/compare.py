"""Compare: SGD, Momentum, RMSProp and Adam on one contour, live controls, CSV download.

The problem (function, start, steps) lives in the sidebar and reruns the page. Everything that
moves while the user tweaks hyperparameters (the optimizer controls, the charts, the results)
is one fragment, so a slider move reruns and redraws only that part of the page.
"""

import numpy as np
import streamlit as st

from rmsprop_core import SGD, Adam, Momentum, RMSProp, trajectories_to_csv
from rmsprop_core.metrics import summarize
from rmsprop_lab import figures
from rmsprop_lab import panels as ui
from rmsprop_lab.live_chart import live_chart
from rmsprop_lab.options import (
    BETA2_OPTIONS,
    EPS_OPTIONS,
    LR_OPTIONS,
    MAX_SEED,
    MAX_STEPS,
    MOMENTUM_OPTIONS,
    NOISE_OPTIONS,
    RHO_OPTIONS,
    TOLERANCE_OPTIONS,
)
from rmsprop_lab.settings import COMPARE_SCHEMA, CUSTOM, check_compare_settings

ui.ensure_routed()

PAGE = "compare"
SURFACE_RESOLUTION = 400


def key(name: str) -> str:
    return ui.widget_key(PAGE, name)


def restart_replay() -> None:
    st.session_state[key("upto")] = st.session_state[key("steps")]


def on_objective_change() -> None:
    ui.reset_for_objective(COMPARE_SCHEMA, PAGE)
    restart_replay()


def optimizer_controls() -> None:
    with st.expander("SGD", expanded=False):
        st.toggle("Show SGD", key=key("sgd"))
        ui.ladder_slider("Learning rate α", LR_OPTIONS, key("sgd_lr"))
    with st.expander("Momentum", expanded=False):
        st.toggle("Show Momentum", key=key("mom"))
        ui.ladder_slider("Learning rate α", LR_OPTIONS, key("mom_lr"))
        ui.ladder_slider("Momentum μ", MOMENTUM_OPTIONS, key("mom_mu"))
        st.checkbox("Nesterov", key=key("nesterov"))
    with st.expander("RMSProp", expanded=True):
        st.toggle("Show RMSProp", key=key("rms"))
        ui.ladder_slider("Learning rate α", LR_OPTIONS, key("rms_lr"))
        ui.ladder_slider(
            "Decay rate ρ (gamma, alpha, decay)",
            RHO_OPTIONS,
            key("rho"),
            help="Weight of the old running average of g². PyTorch calls it alpha, Keras rho, optax decay, "
            "many courses gamma.",
        )
        ui.ladder_slider("Epsilon ε", EPS_OPTIONS, key("eps"))
        st.checkbox("ε inside the square root (Keras 3, optax)", key=key("eps_in_sqrt"))
        st.checkbox("Centered (divide by the gradient's variance)", key=key("centered"))
        ui.ladder_slider("Momentum μ", MOMENTUM_OPTIONS, key("rms_mu"))
    with st.expander("Adam", expanded=False):
        st.toggle("Show Adam", key=key("adam"))
        ui.ladder_slider("Learning rate α", LR_OPTIONS, key("adam_lr"))
        ui.ladder_slider("β₁", MOMENTUM_OPTIONS, key("beta1"))
        ui.ladder_slider("β₂", BETA2_OPTIONS, key("beta2"))
        ui.ladder_slider("Epsilon ε", EPS_OPTIONS, key("adam_eps"))


def enabled_optimizers(settings: dict) -> list:
    specs = []
    if settings["sgd"]:
        specs.append(SGD(lr=settings["sgd_lr"]))
    if settings["mom"]:
        specs.append(Momentum(lr=settings["mom_lr"], momentum=settings["mom_mu"], nesterov=settings["nesterov"]))
    if settings["rms"]:
        specs.append(
            RMSProp(
                lr=settings["rms_lr"],
                rho=settings["rho"],
                eps=settings["eps"],
                momentum=settings["rms_mu"],
                centered=settings["centered"],
                eps_in_sqrt=settings["eps_in_sqrt"],
            )
        )
    if settings["adam"]:
        specs.append(
            Adam(lr=settings["adam_lr"], beta1=settings["beta1"], beta2=settings["beta2"], eps=settings["adam_eps"])
        )
    return specs


def results_table(runs, objective, tolerance: float) -> dict:
    table = {
        "optimizer": [],
        "final loss": [],
        "distance to nearest minimum": [],
        "steps to f − f* ≤ tol": [],
        "diverged at step": [],
    }
    for result in runs:
        summary = summarize(result, objective, tolerance)
        table["optimizer"].append(result.label)
        table["final loss"].append("—" if summary.diverged_at >= 0 else f"{summary.final_loss:.6g}")
        distance = summary.distance_to_minimum
        table["distance to nearest minimum"].append("—" if np.isnan(distance) else f"{distance:.3g}")
        reached = summary.steps_to_tolerance
        table["steps to f − f* ≤ tol"].append(str(reached) if reached >= 0 else "not reached")
        table["diverged at step"].append(str(summary.diverged_at) if summary.diverged_at >= 0 else "—")
    return table


@st.fragment
def optimizer_lab(choice: ui.FunctionChoice, start: tuple[float, float], steps: int, noise=(0.0, 0)) -> None:
    objective = choice.objective()
    revision = str(choice)
    # chart first: on a phone the columns stack, and the picture should come before the knobs
    chart_column, controls_column = st.columns([2.7, 1], gap="medium")
    with controls_column:
        st.markdown("##### Optimizers")
        optimizer_controls()
    settings = ui.current_settings(COMPARE_SCHEMA, PAGE)
    specs = enabled_optimizers(settings)
    runs = [
        ui.run(
            spec, choice.name, start, steps, formula=choice.formula, domain=choice.domain, noise=noise[0], seed=noise[1]
        )
        for spec in specs
    ]
    paths = [result.path() for result in runs]
    surface = ui.surface_cached(choice.name, SURFACE_RESOLUTION, formula=choice.formula, domain=choice.domain)

    with chart_column:
        for result in runs:
            if result.diverged_at >= 0:
                st.error(
                    f"**{result.label} diverged at step {result.diverged_at}** — try a smaller learning rate.",
                    icon="💥",
                )
        if not runs:
            st.info("Switch on at least one optimizer.")
        view_column, replay_column = st.columns([1, 2])
        view_column.radio("View", ["overlay", "side by side"], key=key("view"), horizontal=True)
        replay_column.slider("Replay: show the paths up to step", 0, steps, key=key("upto"))
        upto = st.session_state[key("upto")]
        shown_upto = None if upto >= steps else upto
        if settings["view"] == "overlay" or not paths:
            main_figure = figures.contour_figure(surface, paths, upto=shown_upto, uirevision=revision)
        else:
            main_figure = figures.small_multiples_figure(surface, paths, upto=shown_upto, uirevision=revision)
        live_chart(main_figure, key="compare_main")

    loss_column, step_column = st.columns(2)
    with loss_column:
        loss_figure = figures.loss_figure(paths, objective.min_value, uirevision=revision)
        live_chart(loss_figure, key="compare_loss")
    with step_column:
        rmsprop_runs = [result for result in runs if result.kind == "rmsprop"]
        if rmsprop_runs:
            references = [
                (f"SGD: α = {spec.lr:g} for every coordinate", figures.colour_for("SGD"), spec.lr)
                for spec in specs
                if spec.kind == "sgd"
            ]
            step_figure = figures.step_size_figure(
                [(r.label, figures.colour_for(r.label), r.state["step_size"]) for r in rmsprop_runs],
                reference=references,
                uirevision=revision,
            )
            live_chart(step_figure, key="compare_step_size")
            st.caption(
                "RMSProp divides α by the root of a running average of g², separately for x and y: "
                "steep coordinates get small steps, flat ones large steps."
            )
        else:
            st.info("Switch on RMSProp to see its per-coordinate effective step size.")

    st.markdown("##### Results")
    tolerance_column, _ = st.columns([1, 2])
    with tolerance_column:
        ui.ladder_slider("Tolerance for “reached the minimum” (f − f* ≤ tol)", TOLERANCE_OPTIONS, key("tol"))
    if runs:
        st.table(results_table(runs, objective, settings["tol"]))

        def build_csv() -> str:
            return trajectories_to_csv({r.label: (r.optimizer(), objective, r) for r in runs})

        st.download_button(
            "Download trajectories (CSV)",
            data=build_csv,
            file_name=f"rmsprop-lab_{objective.name}.csv",
            mime="text/csv",
            on_click="ignore",
            key="compare_download",
            icon=":material/download:",
        )
    # inside the fragment, so the saved file has the values the sliders show right now
    with st.expander("Save or load these settings"):
        ui.settings_file_controls(COMPARE_SCHEMA, PAGE)
    ui.publish_settings(COMPARE_SCHEMA, PAGE, {**settings, "upto": -1 if upto >= steps else upto})


notices = ui.bind_settings(COMPARE_SCHEMA, PAGE)
# the replay position -1 (URL default) means "the whole run"
if not 0 <= st.session_state[key("upto")] <= st.session_state[key("steps")]:
    restart_replay()

with st.sidebar:
    st.subheader("Problem")
    ui.function_inputs(key, on_change=on_objective_change)
    column_x, column_y = st.columns(2)
    column_x.number_input("Start x", key=key("x0"), step=0.1, format="%.4f")
    column_y.number_input("Start y", key=key("y0"), step=0.1, format="%.4f")
    st.number_input("Steps", min_value=1, max_value=MAX_STEPS, step=50, key=key("steps"), on_change=restart_replay)
    ui.ladder_slider(
        "Gradient noise σ (mini-batch)",
        NOISE_OPTIONS,
        key("noise"),
        help="Adds Gaussian noise of this standard deviation to every gradient, as a mini-batch gradient "
        "would have. The same seed gives the same run.",
    )
    st.number_input("Noise seed", min_value=0, max_value=MAX_SEED, step=1, key=key("seed"))

problem = ui.current_settings(COMPARE_SCHEMA, PAGE)
notices += check_compare_settings(problem)  # may correct the start and a reversed domain
if problem["objective"] == CUSTOM:
    domain = ((problem["xmin"], problem["xmax"]), (problem["ymin"], problem["ymax"]))
    choice = ui.FunctionChoice(CUSTOM, problem["formula"], domain)
else:
    choice = ui.FunctionChoice(problem["objective"])
ui.show_notices(notices)
objective = choice.resolve()

st.markdown(f"#### {objective.title if choice.formula is None else 'Your function'}")
st.latex(objective.latex)
st.caption(objective.description)

optimizer_lab(choice, (problem["x0"], problem["y0"]), int(problem["steps"]), (problem["noise"], int(problem["seed"])))
