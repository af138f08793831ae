"""Hyperparameter sweeps: an outcome over a grid of two hyperparameters, one broadcast run."""

import urllib.parse

import numpy as np
import streamlit as st

from rmsprop_core.csv_io import grid_to_csv
from rmsprop_lab import figures, live_chart, presentation, runs
from rmsprop_lab.controls import PageSettings, function_title, resolve_function, show_notices
from rmsprop_lab.internals import ensure_routed
from rmsprop_lab.options import nearest_option
from rmsprop_lab.schemas import (
    COMPARE,
    CUSTOM,
    MAX_SWEEP_RUN_STEPS,
    SWEEP,
    SWEEP_KINDS,
    SWEEP_OUTCOMES,
    SWEEP_RESOLUTIONS,
)

ensure_routed()

SECOND_AXIS = {  # name -> (title, low, high, log scale)
    "rho": ("decay rate ρ", 0.5, 0.999, False),
    "eps": ("epsilon ε", 1e-10, 1e-1, True),
    "momentum": ("momentum μ", 0.0, 0.99, False),
}
LARGEST = SWEEP_RESOLUTIONS[-1]
MAP_KEY = "sweep_map"
settings = PageSettings(SWEEP, "sweep", ranges={"lr_range": ("lr_low", "lr_high")})


def clear_selection(_settings: dict) -> dict:
    return {"row": -1, "col": -1}


def axis_values(name: str, count: int) -> np.ndarray:
    _, low, high, log_scale = SECOND_AXIS[name]
    return np.logspace(np.log10(low), np.log10(high), count) if log_scale else np.linspace(low, high, count)


notices = settings.bind()
presentation.switch(settings)
with st.sidebar:
    st.subheader("Sweep")
    choice = settings.function_inputs(also=clear_selection)
    settings.radio("kind", "Hyperparameters", format_func=lambda kind: SWEEP_KINDS[kind][0], also=clear_selection)
    settings.ladder_range("lr_range", "Learning-rate range", also=clear_selection)
    settings.ladder("resolution", "Grid size (cells per axis)", also=clear_selection)
    settings.number(
        "steps",
        "Steps",
        step=100,
        also=clear_selection,
        help=f"Grid cells × steps is at most {MAX_SWEEP_RUN_STEPS:,}, about a second of work: a "
        f"{LARGEST} × {LARGEST} grid runs up to {MAX_SWEEP_RUN_STEPS // LARGEST**2:,} steps.",
    )
    _, optimizer_kind, second = SWEEP_KINDS[settings["kind"]]

show_notices(notices)
objective = resolve_function(choice)
resolution, steps = int(settings["resolution"]), int(settings["steps"])
learning_rates = np.logspace(np.log10(settings["lr_low"]), np.log10(settings["lr_high"]), resolution)
seconds = None if second is None else axis_values(second, resolution)

st.title("Hyperparameter sweep")
st.caption(
    f"{function_title(choice, objective)}, from {objective.start}, {steps} steps: every cell is one run, all "
    f"computed by one broadcast engine call ({learning_rates.size * (1 if seconds is None else seconds.size):,} "
    "runs). Diverged runs are black. Click a cell, or drag a box (the best cell in it is picked), to see that run."
)


def sweep_controls() -> None:
    """The settings a user moves while reading the map: above it, in its fragment."""
    outcome_column, fixed_column, tolerance_column = st.columns([1.2, 1, 1])
    with outcome_column:
        settings.radio("outcome", "Outcome", format_func=SWEEP_OUTCOMES.get, horizontal=True)
    with fixed_column:
        if optimizer_kind == "rmsprop":
            if second == "eps":
                settings.ladder("rho", "ρ (fixed)", also=clear_selection)
            else:
                settings.ladder("eps", "ε (fixed)", also=clear_selection)
    with tolerance_column:
        settings.ladder("tol", "Tolerance (f − f* ≤ tol)")
    settings.publish()


@st.fragment
def sweep_lab() -> None:
    """The outcome, the fixed hyperparameter and the tolerance with the map, the picked run and the
    grid's CSV: a press on one of them reruns only this part."""
    sweep_controls()
    tolerance = settings["tol"]
    grid = runs.sweep_grid(
        choice,
        optimizer_kind,
        second,
        None if seconds is None else tuple(seconds),
        tuple(learning_rates),
        steps,
        settings["rho"],
        settings["eps"],
        tolerance,
    )
    diverged = grid.diverged_at >= 0
    if settings["outcome"] == "loss":
        gap = grid.final_losses - (objective.min_value or 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.log10(np.maximum(gap, 1e-300)) if objective.min_value is not None else grid.final_losses
        outcome_title = "log₁₀(f − f*)" if objective.min_value is not None else "final f"
    else:
        values = np.where(grid.steps_to_tolerance >= 0, grid.steps_to_tolerance, np.nan).astype(float)
        outcome_title = f"first step with f − f* ≤ {tolerance:g}"

    def map_figure(selected: tuple[int, int] | None) -> dict:
        if optimizer_kind == "sgd":
            return figures.sweep_curve_figure(
                learning_rates,
                values,
                diverged,
                x_title="learning rate α",
                outcome_title=outcome_title,
                log_y=False,
                selected=None if selected is None else selected[1],
                unreached_at=steps if settings["outcome"] == "steps" else None,
            )
        title, _, _, log_scale = SECOND_AXIS[second]
        return figures.sweep_heatmap_figure(
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

    selected = None if settings["row"] < 0 else (settings["row"], settings["col"])
    figure = map_figure(selected)
    # a click or a box on the map, read before the map is drawn so that it rings the new pick
    picked = figures.picked_cells(figure, live_chart.picked_points(MAP_KEY) or [])
    if picked:
        # the cells are laid out row by row, so a cell is a flat index into the grid; of several
        # picked cells (a box), the one with the best outcome wins
        flat = values.reshape(-1)
        best = min(picked, key=lambda index: flat[index] if np.isfinite(flat[index]) else np.inf)
        selected = (0, best) if optimizer_kind == "sgd" else divmod(best, len(learning_rates))
        settings.remember({"row": selected[0], "col": selected[1]})
        figure = map_figure(selected)

    map_column, path_column = st.columns([2, 1], gap="medium")
    with map_column:
        live_chart.live_chart(
            figure,
            key=MAP_KEY,
            config=figures.SELECTABLE_PLOT_CONFIG,
            on_select=True,
            present_room_above=presentation.CONTROLS_ROW_PX,
        )

    with path_column:
        if selected is None:
            st.info("Select a cell to see its path.")
        else:
            row, column = selected
            lr = float(learning_rates[column])
            second_value = None if seconds is None else float(seconds[row])
            spec = runs.sweep_spec(optimizer_kind, second, lr, second_value, rho=settings["rho"], eps=settings["eps"])
            trajectory = runs.path(spec, choice, objective.start, steps)
            settings_text = ", ".join(
                f"{name} {value:.4g}" for name, value in spec.hyperparameters().items() if isinstance(value, float)
            )
            st.markdown(f"**{spec.label}**: {settings_text}")
            if int(trajectory.diverged_at) >= 0:
                st.error(f"Diverged at step {int(trajectory.diverged_at)}.")
            path = trajectory.path()
            live_chart.live_chart(
                figures.contour_figure(
                    runs.surface(choice, 300), [path], height=420, uirevision=f"sweep-{choice}", narrow=True
                ),
                key="sweep_path",
            )
            compare = COMPARE.defaults(choice.name) | {"steps": min(steps, 5000), "scenario": ""}
            if choice.name == "valley":
                compare.update(
                    kappa=choice.condition,
                    theta=choice.angle_degrees,
                    x0=float(objective.start[0]),
                    y0=float(objective.start[1]),
                )
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
            # the Compare settings of each kind: its switch, and its swept hyperparameters by name
            prefix = {"sgd": "sgd", "momentum": "mom", "rmsprop": "rms", "adagrad": "ada"}[spec.kind]
            on_compare = {f"{prefix}_lr": lr}
            if spec.kind == "momentum":
                on_compare["mom_mu"] = spec.momentum
            if spec.kind == "rmsprop":
                on_compare.update(rho=spec.rho, eps=spec.eps)
            if spec.kind == "adagrad":
                on_compare["ada_eps"] = spec.eps
            ladders = COMPARE.by_key()
            compare.update({name: nearest_option(value, ladders[name].choices) for name, value in on_compare.items()})
            compare.update({switch: switch == prefix for switch in ("sgd", "mom", "rms", "ada")})
            st.link_button(
                "Open on the Compare page",
                "/compare?" + urllib.parse.urlencode(COMPARE.to_query(compare)),
                icon=":material/open_in_new:",
            )
            st.caption("The Compare page's sliders use the nearest values on their ladders.")

    axes = {"lr": learning_rates} if optimizer_kind == "sgd" else {second: seconds, "lr": learning_rates}
    st.download_button(
        "Download the grid (CSV)",
        data=lambda: grid_to_csv(
            axes,
            {
                "final_loss": grid.final_losses,
                "steps_to_tolerance": grid.steps_to_tolerance,
                "diverged_at": grid.diverged_at,
            },
        ),
        file_name=f"rmsprop-lab_sweep_{objective.name}.csv",
        mime="text/csv",
        on_click="ignore",
        key="sweep_download",
        icon=":material/download:",
    )


sweep_lab()
