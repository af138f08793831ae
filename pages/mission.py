"""Space mission: fly SGD, Momentum and RMSProp ships to a docking station past hazards."""

import math

import pandas as pd
import streamlit as st

from rmsprop_core import SGD, Momentum, RMSProp, optimize
from rmsprop_core.metrics import evaluate_grid
from rmsprop_core.mission import MISSION_PRESETS, Mission, flight_report, mission_objective
from rmsprop_lab import figures
from rmsprop_lab import panels as ui
from rmsprop_lab.live_chart import live_chart
from rmsprop_lab.options import LR_OPTIONS, MOMENTUM_OPTIONS, RHO_OPTIONS
from rmsprop_lab.settings import MAX_HAZARDS, MISSION_COORDINATE_LIMIT, hazards_from_rows

ui.ensure_routed()

PAGE = "mission"


def key(name: str) -> str:
    return ui.widget_key(PAGE, name)


DEFAULTS = {
    "preset": "asteroid field",
    "sgd_lr": 0.05,
    "mom_lr": 0.01,
    "mom_mu": 0.9,
    "rms_lr": 0.05,
    "rho": 0.9,
    "steps": 500,
    "radius": 0.1,
}


def load_preset() -> None:
    mission = MISSION_PRESETS[st.session_state[key("preset")]]
    st.session_state[key("ship_x")], st.session_state[key("ship_y")] = mission.ship
    st.session_state[key("station_x")], st.session_state[key("station_y")] = mission.station
    st.session_state[key("radius")] = mission.docking_radius


for name, value in DEFAULTS.items():
    st.session_state.setdefault(key(name), value)
if key("ship_x") not in st.session_state:
    load_preset()

st.title("Space mission: dock the ship")
st.markdown(
    "A ship must reach the docking station. The ground it flies over is the squared distance to the "
    "station plus a Gaussian bump for every hazard. Each optimizer flies its own ship down that surface. "
    "A ship **docks** when it comes within the docking radius, and **crashes** when it enters a hazard's "
    "core (the dark discs)."
)

with st.sidebar:
    st.subheader("Mission")
    st.selectbox("Preset", list(MISSION_PRESETS), key=key("preset"), on_change=load_preset)
    left, right = st.columns(2)
    limits = {"min_value": -MISSION_COORDINATE_LIMIT, "max_value": MISSION_COORDINATE_LIMIT, "step": 0.5}
    left.number_input("Ship x", key=key("ship_x"), **limits)
    right.number_input("Ship y", key=key("ship_y"), **limits)
    left.number_input("Station x", key=key("station_x"), **limits)
    right.number_input("Station y", key=key("station_y"), **limits)
    st.number_input("Docking radius", min_value=0.01, max_value=2.0, step=0.05, key=key("radius"))
    st.subheader("Flight computers")
    ui.ladder_slider("SGD α", LR_OPTIONS, key("sgd_lr"))
    ui.ladder_slider("Momentum α", LR_OPTIONS, key("mom_lr"))
    ui.ladder_slider("Momentum μ", MOMENTUM_OPTIONS, key("mom_mu"))
    ui.ladder_slider("RMSProp α", LR_OPTIONS, key("rms_lr"))
    ui.ladder_slider("RMSProp ρ", RHO_OPTIONS, key("rho"))
    st.number_input("Steps", min_value=1, max_value=3000, step=100, key=key("steps"))

preset = MISSION_PRESETS[st.session_state[key("preset")]]
st.markdown("##### Hazards")
st.caption(f"Edit, add or delete rows (at most {MAX_HAZARDS}). Strength is the bump's height, width its spread σ.")
HAZARD_COLUMNS = ["x", "y", "strength", "width", "core radius"]
edited = st.data_editor(
    # explicit columns, so that a preset without hazards still offers a table to add them to
    pd.DataFrame(
        [[h.centre[0], h.centre[1], h.strength, h.width, h.core_radius] for h in preset.hazards],
        columns=HAZARD_COLUMNS,
        dtype=float,
    ),
    num_rows="dynamic",
    key=key(f"hazards.{st.session_state[key('preset')]}"),  # a fresh table for each preset
    column_config={name: st.column_config.NumberColumn(name, format="%.3g", required=True) for name in HAZARD_COLUMNS},
    width="stretch",
)


rows = edited.to_dict("records")
hazards, problems = hazards_from_rows(rows, HAZARD_COLUMNS)
for problem in problems:
    st.warning(problem)
mission = Mission(
    ship=(float(st.session_state[key("ship_x")]), float(st.session_state[key("ship_y")])),
    station=(float(st.session_state[key("station_x")]), float(st.session_state[key("station_y")])),
    hazards=tuple(hazards),
    docking_radius=float(st.session_state[key("radius")]),
)
specs = {
    "SGD": SGD(lr=st.session_state[key("sgd_lr")]),
    "Momentum": Momentum(lr=st.session_state[key("mom_lr")], momentum=st.session_state[key("mom_mu")]),
    "RMSProp": RMSProp(lr=st.session_state[key("rms_lr")], rho=st.session_state[key("rho")]),
}
steps = int(st.session_state[key("steps")])


@st.cache_resource(max_entries=32, show_spinner=False)
def mission_surface(mission: Mission) -> figures.Surface:
    xs, ys, values = evaluate_grid(mission_objective(mission), 300)
    return figures.make_surface(xs, ys, values)


@st.cache_data(max_entries=128, show_spinner=False)
def fly(mission: Mission, label: str, kind: str, hyperparameters: tuple, steps: int):
    spec = {"sgd": SGD, "momentum": Momentum, "rmsprop": RMSProp}[kind](**dict(hyperparameters))
    trajectory = optimize(spec, mission_objective(mission), mission.ship, steps)
    return trajectory.points, trajectory.losses, int(trajectory.diverged_at)


flights = {}
for label, spec in specs.items():
    points, losses, diverged = fly(mission, label, spec.kind, tuple(spec.hyperparameters().items()), steps)
    flights[label] = (
        figures.PathData(label, figures.colour_for(label), points, losses, diverged),
        flight_report(points, mission),
    )

st.latex(mission_objective(mission).latex)
live_chart(
    figures.flight_figure(
        mission_surface(mission),
        [path for path, _ in flights.values()],
        station=mission.station,
        docking_radius=mission.docking_radius,
        hazards=[(h.centre, h.core_radius) for h in mission.hazards],
        uirevision=repr(mission),
    ),
    key="mission_map",
)


def outcome(report) -> str:
    if report.docked:
        return f"docked at step {report.docked_at_step}"
    if report.crashed:
        return f"crashed at step {report.crashed_at_step}"
    return "did not dock"


st.markdown("##### Flight reports")
st.table(
    {
        "flight": list(flights),
        "outcome": [outcome(report) for _, report in flights.values()],
        "steps taken": [str(report.steps_taken) for _, report in flights.values()],
        "fuel used (path length)": [f"{report.fuel_used:.3f}" for _, report in flights.values()],
        "closest approach to a hazard centre": [
            "—" if math.isinf(report.closest_hazard_distance) else f"{report.closest_hazard_distance:.3f}"
            for _, report in flights.values()
        ],
    }
)
