"""The space-navigation mission: reach a docking station across a field of hazards.

The cost surface is the squared distance to the station plus one Gaussian bump per hazard:

.. math::
    f(p) = \\lVert p - p_{station} \\rVert^2
         + \\sum_i A_i \\exp\\left(-\\frac{\\lVert p - c_i \\rVert^2}{2\\sigma_i^2}\\right)

A flight is an optimizer's trajectory on that surface from the ship's position.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .metrics import finite_points
from .objectives import Objective


@dataclass(frozen=True)
class Hazard:
    """A gravity well / asteroid: a Gaussian bump of height ``strength`` and width ``width``; a
    ship inside ``core_radius`` of ``centre`` has crashed."""

    centre: tuple[float, float]
    strength: float = 20.0
    width: float = 1.0
    core_radius: float = 0.3


@dataclass(frozen=True)
class Mission:
    ship: tuple[float, float]
    station: tuple[float, float]
    hazards: tuple[Hazard, ...] = ()
    docking_radius: float = 0.1

    def __post_init__(self):
        for name, value in (("docking_radius", self.docking_radius),):
            if not np.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be a positive number, got {value}")
        for hazard in self.hazards:
            if not (hazard.width > 0 and hazard.core_radius >= 0 and np.isfinite(hazard.strength)):
                raise ValueError("each hazard needs width > 0, core_radius >= 0 and a finite strength")


MISSION_PRESETS: dict[str, Mission] = {
    "asteroid field": Mission(
        ship=(-4.0, -3.0),
        station=(4.0, 3.0),
        hazards=(
            Hazard((-1.0, -0.5), strength=25.0, width=1.0),
            Hazard((1.5, 1.0), strength=25.0, width=0.8),
            Hazard((0.5, -2.5), strength=15.0, width=1.2),
        ),
    ),
    "single gravity well": Mission(ship=(-5.0, 0.3), station=(5.0, 0.0), hazards=(Hazard((0.0, 0.0), 40.0, 1.2, 0.4),)),
    "open space": Mission(ship=(-4.0, -4.0), station=(3.0, 2.0)),
}


def mission_domain(mission: Mission, margin: float = 2.5) -> tuple[tuple[float, float], tuple[float, float]]:
    """A square map around the ship, the station and every hazard, widened by ``margin`` (flights
    swing wide around hazards, so the map leaves them room)."""
    points = np.array([mission.ship, mission.station, *(hazard.centre for hazard in mission.hazards)], dtype=float)
    low, high = points.min(axis=0), points.max(axis=0)
    centre = (low + high) / 2
    half = float((high - low).max()) / 2 + margin
    return (float(centre[0] - half), float(centre[0] + half)), (float(centre[1] - half), float(centre[1] + half))


def mission_objective(mission: Mission) -> Objective:
    """The mission's cost surface as an :class:`Objective` (analytic gradient)."""
    station_x, station_y = mission.station
    hazards = [(h.centre[0], h.centre[1], h.strength, 2.0 * h.width * h.width) for h in mission.hazards]

    def f(x, y):
        value = (x - station_x) ** 2 + (y - station_y) ** 2
        for centre_x, centre_y, strength, spread in hazards:
            value = value + strength * np.exp(-((x - centre_x) ** 2 + (y - centre_y) ** 2) / spread)
        return value

    def grad(x, y):
        gx = 2.0 * (x - station_x)
        gy = 2.0 * (y - station_y)
        for centre_x, centre_y, strength, spread in hazards:
            bump = strength * np.exp(-((x - centre_x) ** 2 + (y - centre_y) ** 2) / spread)
            gx = gx - 2.0 * (x - centre_x) / spread * bump
            gy = gy - 2.0 * (y - centre_y) / spread * bump
        return gx, gy

    latex = r"f(p) = \lVert p - p_{\mathrm{station}} \rVert^2"
    if hazards:
        latex += r" + \sum_i A_i\, e^{-\lVert p - c_i \rVert^2 / 2\sigma_i^2}"
    return Objective(
        name="mission",
        title="Space mission",
        f=f,
        grad=grad,
        domain=mission_domain(mission),
        start=tuple(float(v) for v in mission.ship),
        latex=latex,
        minima=(),
        min_value=None,
        description="Squared distance to the docking station plus a Gaussian bump per hazard.",
    )


@dataclass(frozen=True)
class FlightReport:
    docked: bool
    docked_at_step: int  # -1 if never within the docking radius
    steps_taken: int  # up to docking, or the whole flight
    fuel_used: float  # path length flown up to docking (or to the end / divergence)
    closest_hazard_distance: float  # from the path to the nearest hazard centre (inf without hazards)
    crashed: bool  # came inside a hazard's core
    crashed_at_step: int  # -1 if it never crashed


def flight_report(points: np.ndarray, mission: Mission) -> FlightReport:
    """Evaluate a single flight (``points``: ``(steps + 1, 2)``, NaN after divergence).

    The flight ends at docking or at a crash, whichever comes first; fuel is the distance flown
    until then.
    """
    points = np.asarray(points, dtype=float)
    finite = finite_points(points)
    flown = points[: int(np.argmin(finite)) if not finite.all() else len(points)]
    distance_to_station = np.linalg.norm(flown - np.asarray(mission.station), axis=1)
    inside = np.flatnonzero(distance_to_station <= mission.docking_radius)
    docked_at = int(inside[0]) if inside.size else -1

    crash_at, closest = -1, float("inf")
    if mission.hazards:
        centres = np.array([h.centre for h in mission.hazards], dtype=float)
        cores = np.array([h.core_radius for h in mission.hazards], dtype=float)
        distances = np.linalg.norm(flown[:, None, :] - centres[None, :, :], axis=2)
        in_core = np.flatnonzero((distances <= cores).any(axis=1))
        crash_at = int(in_core[0]) if in_core.size else -1
    crashed = crash_at >= 0 and (docked_at < 0 or crash_at < docked_at)
    if crashed:
        end, docked_at = crash_at, -1
    else:
        crash_at = -1
        end = docked_at if docked_at >= 0 else len(flown) - 1
    if mission.hazards and len(flown):
        closest = float(distances[: end + 1].min())
    moves = np.diff(flown[: end + 1], axis=0)
    return FlightReport(
        docked=docked_at >= 0,
        docked_at_step=docked_at,
        steps_taken=max(end, 0),
        fuel_used=float(np.linalg.norm(moves, axis=1).sum()),
        closest_hazard_distance=closest,
        crashed=crashed,
        crashed_at_step=crash_at,
    )
