"""Hyperparameter sweeps: an outcome over a grid of two hyperparameters, one broadcast run."""

import urllib.parse

import numpy as np
import streamlit as st

from rmsprop_core import SGD, Momentum, RMSProp, optimize, sweep_outcomes
from rmsprop_core.csv_io import grid_to_csv
from rmsprop_lab import figures
from rmsprop_lab import panels as ui
from rmsprop_lab.options import EPS_OPTIONS, LR_OPTIONS, RHO_OPTIONS, TOLERANCE_OPTIONS, nearest_option
from rmsprop_lab.settings import COMPARE_SCHEMA, CUSTOM

ui.ensure_routed()

PAGE = "sweep"
KINDS = {
    "RMSProp: learning rate × ρ": ("rmsprop", "rho"),
    "RMSProp: learning rate × ε": ("rmsprop", "eps"),
    "Momentum: learning rate × momentum": ("momentum", "momentum"),
    "SGD: learning rate (1-D)": ("sgd", None),
}
OUTCOMES = ("final loss", "steps to tolerance")
SECOND_AXIS = {  # name -> (title, low, high, log scale)
    "rho": ("decay rate ρ", 0.5, 0.999, False),
    "eps": ("epsilon ε", 1e-10, 1e-1, True),
    "momentum": ("momentum μ", 0.0, 0.99, False),
}


def key(name: str) -> str:
    return ui.widget_key(PAGE, name)


DEFAULTS = {
    "objective": "rosenbrock",
    "kind": next(iter(KINDS)),
    "outcome": OUTCOMES[0],
    "resolution": 100,
    "steps": 500,
    "rho": 0.9,
    "eps": 1e-6,
    "tol": 1e-3,
}
for name, value in DEFAULTS.items():
    st.session_state.setdefault(key(name), value)
# A range select_slider learns that it is a range from ``value=`` only, so it is not seeded through
# session state (a tuple there alone makes a single-value slider that later returns a float).
DEFAULT_LR_RANGE = (1e-4, 0.5)


def clear_selection() -> None:
    st.session_state.pop(key("selected"), None)


with st.sidebar:
    st.subheader("Sweep")
    choice = ui.function_inputs(key, on_change=clear_selection)
    st.radio("Hyperparameters", list(KINDS), key=key("kind"), on_change=clear_selection)
    st.radio("Outcome", OUTCOMES, key=key("outcome"), horizontal=True)
    lr_low, lr_high = st.select_slider(
        "Learning-rate range",
        options=LR_OPTIONS,
        value=DEFAULT_LR_RANGE,
        key=key("lr_range"),
        format_func=lambda v: f"{v:g}",
        on_change=clear_selection,
    )
    st.slider("Grid size (cells per axis)", 10, 200, step=10, key=key("resolution"), on_change=clear_selection)
    st.number_input("Steps", min_value=1, max_value=2000, step=100, key=key("steps"), on_change=clear_selection)
    optimizer_kind, second = KINDS[st.session_state[key("kind")]]
    if optimizer_kind == "rmsprop":
        if second == "eps":
            ui.ladder_slider("ρ (fixed)", RHO_OPTIONS, key("rho"))
        else:
            ui.ladder_slider("ε (fixed)", EPS_OPTIONS, key("eps"))
    ui.ladder_slider("Tolerance (f − f* ≤ tol)", TOLERANCE_OPTIONS, key("tol"))

objective = choice.resolve()
resolution, steps = int(st.session_state[key("resolution")]), int(st.session_state[key("steps")])
if lr_low == lr_high:
    st.warning("Pick a learning-rate range wider than one value.")
    st.stop()
fixed_rho, fixed_eps, tolerance = (
    st.session_state[key("rho")],
    st.session_state[key("eps")],
    st.session_state[key("tol")],
)


def axis_values(name: str, count: int) -> np.ndarray:
    _, low, high, log_scale = SECOND_AXIS[name]
    return np.logspace(np.log10(low), np.log10(high), count) if log_scale else np.linspace(low, high, count)


@st.cache_data(max_entries=32, show_spinner=False)
def run_sweep(choice, optimizer_kind, second, resolution, steps, lr_low, lr_high, rho, eps, tolerance):
    """The whole grid in one broadcast engine call, outcomes only (no paths kept)."""
    objective = choice.objective()
    learning_rates = np.logspace(np.log10(lr_low), np.log10(lr_high), resolution)
    if optimizer_kind == "sgd":
        spec, seconds = SGD(lr=learning_rates), None
    else:
        seconds = axis_values(second, resolution)
        column, row = learning_rates[None, :], seconds[:, None]
        if optimizer_kind == "momentum":
            spec = Momentum(lr=column, momentum=row)
        elif second == "rho":
            spec = RMSProp(lr=column, rho=row, eps=eps)
        else:
            spec = RMSProp(lr=column, eps=row, rho=rho)
    outcome = sweep_outcomes(spec, objective, objective.start, steps, tolerance=tolerance)
    return learning_rates, seconds, outcome


learning_rates, seconds, outcome = run_sweep(
    choice, optimizer_kind, second, resolution, steps, lr_low, lr_high, fixed_rho, fixed_eps, tolerance
)
diverged = outcome.diverged_at >= 0
if st.session_state[key("outcome")] == "final loss":
    gap = outcome.final_losses - (objective.min_value or 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.log10(np.maximum(gap, 1e-300)) if objective.min_value is not None else outcome.final_losses
    outcome_title = "log₁₀(f − f*)" if objective.min_value is not None else "final f"
else:
    values = np.where(outcome.steps_to_tolerance >= 0, outcome.steps_to_tolerance, np.nan).astype(float)
    outcome_title = f"steps to f − f* ≤ {tolerance:g}"

st.title("Hyperparameter sweep")
st.caption(
    f"{objective.title}, from {objective.start}, {steps} steps: every cell is one run, all computed by one "
    f"broadcast engine call ({values.size:,} runs). Diverged runs are black. Click a cell, or drag a box "
    "(the best cell in it is picked), to see that run."
)

map_column, path_column = st.columns([1.25, 1], gap="medium")
selected = st.session_state.get(key("selected"))
with map_column:
    if optimizer_kind == "sgd":
        figure = figures.sweep_curve_figure(
            learning_rates,
            values,
            diverged,
            x_title="learning rate α",
            outcome_title=outcome_title,
            log_y=False,
            selected=None if selected is None else selected[1],
        )
    else:
        title, _, _, log_scale = SECOND_AXIS[second]
        figure = figures.sweep_heatmap_figure(
            learning_rates,
            seconds,
            values,
            diverged,
            x_title="learning rate α",
            y_title=title,
            outcome_title=outcome_title,
            y_log=log_scale,
            selected=selected,
        )
    event = st.plotly_chart(
        figure,
        key="sweep_map",
        on_select="rerun",
        selection_mode=("points", "box"),
        config=figures.SELECTABLE_PLOT_CONFIG,
        theme=None,
    )

picked = [int(p["point_index"]) for p in (event.selection.points if event else []) if "point_index" in p]
if picked:
    # the cell markers are laid out row by row, so a point index is a flat index into the grid;
    # of several picked cells (a box), the one with the best outcome wins
    flat = values.reshape(-1)
    best = min(picked, key=lambda index: flat[index] if np.isfinite(flat[index]) else np.inf)
    selected = (0, best) if optimizer_kind == "sgd" else divmod(best, len(learning_rates))
    st.session_state[key("selected")] = selected

with path_column:
    if selected is None:
        st.info("Select a cell to see its path.")
    else:
        row, column = selected
        lr = float(learning_rates[column])
        if optimizer_kind == "sgd":
            spec = SGD(lr=lr)
        elif optimizer_kind == "momentum":
            spec = Momentum(lr=lr, momentum=float(seconds[row]))
        elif second == "rho":
            spec = RMSProp(lr=lr, rho=float(seconds[row]), eps=fixed_eps)
        else:
            spec = RMSProp(lr=lr, eps=float(seconds[row]), rho=fixed_rho)
        trajectory = optimize(spec, objective, objective.start, steps)
        settings_text = ", ".join(
            f"{name} {value:.4g}" for name, value in spec.hyperparameters().items() if isinstance(value, float)
        )
        st.markdown(f"**{spec.label}**: {settings_text}")
        if int(trajectory.diverged_at) >= 0:
            st.error(f"Diverged at step {int(trajectory.diverged_at)}.")
        path = figures.PathData(spec.label, figures.colour_for(spec.label), trajectory.points, trajectory.losses)
        st.plotly_chart(
            figures.contour_figure(
                ui.surface_cached(choice.name, 300, formula=choice.formula, domain=choice.domain),
                [path],
                height=420,
                uirevision=f"sweep-{choice}",
            ),
            key="sweep_path",
            config=figures.PLOT_CONFIG,
            theme=None,
        )
        compare = COMPARE_SCHEMA.defaults(choice.name) | {"steps": min(steps, 5000)}
        if choice.name == CUSTOM:
            (xmin, xmax), (ymin, ymax) = choice.domain
            compare.update(
                formula=choice.formula,
                xmin=xmin,
                xmax=xmax,
                ymin=ymin,
                ymax=ymax,
                x0=float(objective.start[0]),
                y0=float(objective.start[1]),
            )
        prefix = {"sgd": "sgd", "momentum": "mom", "rmsprop": "rms"}[spec.kind]
        compare.update(
            {
                "sgd": spec.kind == "sgd",
                "mom": spec.kind == "momentum",
                "rms": spec.kind == "rmsprop",
                f"{prefix}_lr": nearest_option(lr, LR_OPTIONS),
            }
        )
        if spec.kind == "momentum":
            compare["mom_mu"] = nearest_option(spec.momentum, COMPARE_SCHEMA.by_key()["mom_mu"].choices)
        if spec.kind == "rmsprop":
            compare["rho"] = nearest_option(spec.rho, RHO_OPTIONS)
            compare["eps"] = nearest_option(spec.eps, EPS_OPTIONS)
        st.link_button(
            "Open on the Compare page",
            "/compare?" + urllib.parse.urlencode(COMPARE_SCHEMA.to_query(compare)),
            icon=":material/open_in_new:",
        )
        st.caption("The Compare page's sliders use the nearest values on their ladders.")

axes = {"lr": learning_rates} if optimizer_kind == "sgd" else {second: seconds, "lr": learning_rates}
st.download_button(
    "Download the grid (CSV)",
    data=lambda: grid_to_csv(
        axes,
        {
            "final_loss": outcome.final_losses,
            "steps_to_tolerance": outcome.steps_to_tolerance,
            "diverged_at": outcome.diverged_at,
        },
    ),
    file_name=f"rmsprop-lab_sweep_{objective.name}.csv",
    mime="text/csv",
    on_click="ignore",
    key="sweep_download",
    icon=":material/download:",
)
