"""Space mission: fly SGD, Momentum and RMSProp ships to a docking station past hazards."""

import contextlib
import math
import zlib
from dataclasses import replace

import pandas as pd
import streamlit as st

from rmsprop_core import SGD, Momentum, RMSProp
from rmsprop_core.mission import Mission, flight_report, mission_objective
from rmsprop_lab import figures, presentation, runs, view_file
from rmsprop_lab.controls import PageSettings, show_notices
from rmsprop_lab.internals import ensure_routed
from rmsprop_lab.live_chart import live_chart
from rmsprop_lab.schemas import HAZARD_COLUMNS, MAX_HAZARDS, MISSION, hazards_from_rows, hazards_from_text, hazards_text

ensure_routed()

settings = PageSettings(MISSION, "mission")
notices = settings.bind()
presentation.switch(settings)

st.title("Space mission: dock the ship")
st.markdown(
    "A ship must reach the docking station. The ground it flies over is the squared distance to the "
    "station plus a Gaussian bump for every hazard. Each optimizer flies its own ship down that surface. "
    "A ship **docks** when it comes within the docking radius, and **crashes** when it enters a hazard's "
    "core (the dark discs)."
)

with st.sidebar:
    st.subheader("Mission")
    settings.selectbox("preset", "Preset")
    left, right = st.columns(2)
    with left:
        settings.number("ship_x", "Ship x", step=0.5)
        settings.number("station_x", "Station x", step=0.5)
    with right:
        settings.number("ship_y", "Ship y", step=0.5)
        settings.number("station_y", "Station y", step=0.5)
    settings.number("radius", "Docking radius", step=0.05)
    settings.number("steps", "Steps", step=100)

show_notices(notices)
st.markdown("##### Hazards")
st.caption(f"Edit, add or delete rows (at most {MAX_HAZARDS}). Strength is the bump's height, width its spread σ.")


def table_key(base: tuple[str, str]) -> str:
    """A fresh table for each preset and starting rows (the editor keeps only edits to its rows)."""
    return settings.key(f"hazards.{base[0]}.{zlib.crc32(base[1].encode())}")


# the table starts from the stored hazards whenever its own edit state is gone (a new preset, a
# visit to another page), so the valid rows a user entered are never lost
base_key = settings.key("_hazard_table_base")
base = st.session_state.get(base_key)
if base is None or base[0] != settings["preset"] or table_key(base) not in st.session_state:
    base = st.session_state[base_key] = (settings["preset"], settings["hazards"])
edited = st.data_editor(
    # explicit columns, so that a mission without hazards still offers a table to add them to
    pd.DataFrame(
        [[h.centre[0], h.centre[1], h.strength, h.width, h.core_radius] for h in hazards_from_text(base[1])],
        columns=list(HAZARD_COLUMNS),
        dtype=float,
    ),
    num_rows="dynamic",
    key=table_key(base),
    column_config={name: st.column_config.NumberColumn(name, format="%.3g", required=True) for name in HAZARD_COLUMNS},
    width="stretch",
)
hazards, problems = hazards_from_rows(edited.to_dict("records"))
for problem in problems:
    st.warning(problem)
if hazards_text(hazards) != settings["hazards"]:
    settings.remember({"hazards": hazards_text(hazards)})
mission = Mission(
    ship=(float(settings["ship_x"]), float(settings["ship_y"])),
    station=(float(settings["station_x"]), float(settings["station_y"])),
    hazards=hazards_from_text(settings["hazards"]),  # as the URL has them, so a link flies the same
    docking_radius=float(settings["radius"]),
)


def outcome(report) -> str:
    if report.docked:
        return f"docked at step {report.docked_at_step}"
    if report.crashed:
        return f"crashed at step {report.crashed_at_step}"
    return "did not dock"


def settings_text(spec) -> str:
    return ", ".join(f"{name} = {value}" for name, value in spec.hyperparameters().items())


FLIGHT_COMPUTERS = (
    ("sgd_lr", "SGD α"),
    ("mom_lr", "Momentum α"),
    ("mom_mu", "Momentum μ"),
    ("rms_lr", "RMSProp α"),
    ("rho", "RMSProp ρ"),
)


def flight_computers(in_a_row: bool) -> None:
    """The ships' hyperparameters: in one row above the map (a square map needs the page's width),
    or one under another beside it on a projector, whose short screen the map fills."""
    st.markdown("##### Flight computers")
    places = st.columns(len(FLIGHT_COMPUTERS)) if in_a_row else [contextlib.nullcontext()] * len(FLIGHT_COMPUTERS)
    for place, (name, label) in zip(places, FLIGHT_COMPUTERS, strict=True):
        with place:
            settings.ladder(name, label)


@st.fragment
def flight_lab(mission: Mission, steps: int) -> None:
    """The flight computers above the map (beside it on a projector), with the flights and reports
    they change."""
    presenting = presentation.presenting()
    if presenting:
        map_place, computers_place = st.columns([3, 1], gap="medium")
    else:
        computers_place, map_place = contextlib.nullcontext(), contextlib.nullcontext()
    with computers_place:
        flight_computers(in_a_row=not presenting)
    settings.publish()
    specs = {
        "SGD": SGD(lr=settings["sgd_lr"]),
        "Momentum": Momentum(lr=settings["mom_lr"], momentum=settings["mom_mu"]),
        "RMSProp": RMSProp(lr=settings["rms_lr"], rho=settings["rho"]),
    }

    flights = {}
    for label, spec in specs.items():
        flight = runs.mission_flight(mission, spec, steps, label)
        report = flight_report(flight.points, mission)
        # a ship stops where it docks or crashes: on the map and in the animation
        end = report.crashed_at_step if report.crashed else report.docked_at_step if report.docked else None
        path = flight.path()
        if end is not None:
            path = replace(path, points=path.points[: end + 1], losses=path.losses[: end + 1])
        flights[label] = (path, report)

    def flight_map_with(colourbar_beside: bool, narrow: bool = False) -> dict:
        return figures.flight_figure(
            runs.mission_surface(mission),
            [path for path, _ in flights.values()],
            station=mission.station,
            docking_radius=mission.docking_radius,
            hazards=[(h.centre, h.core_radius) for h in mission.hazards],
            crashes=[(path.label, path.points[-1]) for path, report in flights.values() if report.crashed],
            colourbar_beside=colourbar_beside,
            narrow=narrow,
            uirevision=repr(mission),
        )

    # a projector's screen is wide and short: the square map takes its height, the colour bar goes
    # beside it; a phone's (a shared presentation link) is narrow: the bar stays under the map
    flight_map = flight_map_with(colourbar_beside=presenting)
    with map_place:
        live_chart(
            flight_map,
            key="mission_map",
            narrow=(presentation.NARROW_CHART_PX, flight_map_with(False, narrow=True)) if presenting else None,
        )
    values, link = settings.values(), settings.link()
    st.download_button(
        "Download this view (HTML)",
        data=lambda: view_file.view_html(
            flight_map,
            title="RMSProp Lab: space mission",
            notes=[
                f"{label} ({settings_text(specs[label])}): {outcome(report)}" for label, (_, report) in flights.items()
            ],
            schema=MISSION,
            values=values,
            link=link,
        ),
        file_name="rmsprop-lab_mission.html",
        mime="text/html",
        on_click="ignore",
        key="mission_download_view",
        icon=":material/download:",
        help="One file that opens offline in any browser: the map, the flights and ▶ Fly, every setting and the link "
        "that reopens them here.",
    )
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


st.latex(mission_objective(mission).latex)
flight_lab(mission, int(settings["steps"]))
