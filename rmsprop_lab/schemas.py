"""Every page's settings, declared once: key, kind, ladder or range, default, what follows the function.

A page's widgets, its URL and its settings file take their options from its schema here, nowhere
else. The cross-field checks correct settings that are valid one by one but not together, and say so.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from rmsprop_core import CONVENTIONS, OBJECTIVES, get_objective, parse_objective
from rmsprop_core.lesson import LESSON
from rmsprop_core.mission import MISSION_PRESETS, Hazard
from rmsprop_core.objectives import quadratic_valley, scaled

from .options import (
    ANGLE_OPTIONS,
    BETA2_OPTIONS,
    CONDITION_OPTIONS,
    EPS_OPTIONS,
    LR_OPTIONS,
    MAX_SEED,
    MAX_STEPS,
    MOMENTUM_OPTIONS,
    NOISE_OPTIONS,
    RHO_OPTIONS,
    SCALE_OPTIONS,
    TOLERANCE_OPTIONS,
    story_defaults,
)
from .settings import Param, Schema

CUSTOM = "custom"
DEFAULT_FORMULA = "x**2 + 10*sin(y)"
DEFAULT_CUSTOM_DOMAIN = ((-5.0, 5.0), (-5.0, 5.0))
DOMAIN_LIMIT = 1e5
START_LIMIT = 1e6
#: presentation mode (for projecting): a setting of every page with a chart, so a link keeps it
PRESENT = Param("present", "bool", False)


def _story(key: str, cast: type = float) -> Callable[[str], float]:
    return lambda name: cast(story_defaults(name)[key])


def default_start(name: str) -> tuple[float, float]:
    """Where a function's runs start by default: the catalogue's start, or (as ``parse_objective``
    does) 80 % of the way across the default custom domain."""
    if name in OBJECTIVES:
        x, y = get_objective(name).start
        return float(x), float(y)
    (xlow, xhigh), (ylow, yhigh) = DEFAULT_CUSTOM_DOMAIN
    return xlow + 0.8 * (xhigh - xlow), ylow + 0.8 * (yhigh - ylow)


@dataclass(frozen=True)
class FunctionChoice:
    """Which function: a catalogue name (the valley with its ``condition`` and ``angle_degrees``),
    or "custom" with its formula and domain; times ``scale``."""

    name: str
    formula: str | None = None
    domain: tuple | None = None
    scale: float = 1.0
    condition: float = 100.0
    angle_degrees: float = 0.0


def make_objective(choice: FunctionChoice):
    """The chosen function: a catalogue entry, the valley, or the user's formula, scaled; raises
    FormulaError for a formula that cannot be used."""
    if choice.formula is not None:
        objective = parse_objective(choice.formula, domain=choice.domain)
    elif choice.name == "valley":
        objective = quadratic_valley(choice.condition, choice.angle_degrees)
    else:
        objective = get_objective(choice.name)
    return scaled(objective, choice.scale)


def function_choice(settings) -> FunctionChoice:
    """The function a page's settings choose (the valley with its κ and θ where the page has them)."""
    if settings["objective"] == CUSTOM:
        return FunctionChoice(CUSTOM, settings["formula"], domain_of(settings))
    if settings["objective"] == "valley" and "kappa" in settings:
        return FunctionChoice("valley", condition=settings["kappa"], angle_degrees=settings["theta"])
    return FunctionChoice(settings["objective"])


def function_params(default: str) -> tuple[Param, ...]:
    """The function picker's settings: a catalogue name or "custom" with its formula and ranges."""
    return (
        Param("objective", "choice", default, choices=(*OBJECTIVES, CUSTOM)),
        Param("formula", "text", DEFAULT_FORMULA),
        Param("xmin", "float", DEFAULT_CUSTOM_DOMAIN[0][0], low=-DOMAIN_LIMIT, high=DOMAIN_LIMIT),
        Param("xmax", "float", DEFAULT_CUSTOM_DOMAIN[0][1], low=-DOMAIN_LIMIT, high=DOMAIN_LIMIT),
        Param("ymin", "float", DEFAULT_CUSTOM_DOMAIN[1][0], low=-DOMAIN_LIMIT, high=DOMAIN_LIMIT),
        Param("ymax", "float", DEFAULT_CUSTOM_DOMAIN[1][1], low=-DOMAIN_LIMIT, high=DOMAIN_LIMIT),
    )


def domain_of(settings) -> tuple[tuple[float, float], tuple[float, float]]:
    """The plotted domain of the chosen function: the catalogue's, or the custom ranges."""
    if settings["objective"] in OBJECTIVES:
        return get_objective(settings["objective"]).domain
    return (settings["xmin"], settings["xmax"]), (settings["ymin"], settings["ymax"])


def start_box(domain) -> tuple[tuple[float, float], tuple[float, float]]:
    """The generous box of allowed start points: the domain widened by one span on each side."""
    (xmin, xmax), (ymin, ymax) = domain
    xspan, yspan = xmax - xmin, ymax - ymin
    return (xmin - xspan, xmax + xspan), (ymin - yspan, ymax + yspan)


def view_including(domain, point, margin: float = 0.05):
    """``domain`` widened just enough to show ``point`` (with a margin); ``None`` when it already does."""
    (xlow, xhigh), (ylow, yhigh) = domain
    x, y = point
    if xlow <= x <= xhigh and ylow <= y <= yhigh:
        return None
    xlow, xhigh, ylow, yhigh = min(xlow, x), max(xhigh, x), min(ylow, y), max(yhigh, y)
    xpad, ypad = margin * (xhigh - xlow), margin * (yhigh - ylow)
    return (xlow - xpad, xhigh + xpad), (ylow - ypad, yhigh + ypad)


def check_custom_domain(settings: dict) -> list[str]:
    """A custom formula's x and y ranges must each run from a smaller to a larger number."""
    if settings["xmin"] < settings["xmax"] and settings["ymin"] < settings["ymax"]:
        return []
    (settings["xmin"], settings["xmax"]), (settings["ymin"], settings["ymax"]) = DEFAULT_CUSTOM_DOMAIN
    return ["The formula's x and y ranges must each go from a smaller to a larger number: the default ranges are used."]


def check_start_in_box(settings: dict) -> list[str]:
    """Reset a start point outside the function's generous box to the function's start."""
    (xlow, xhigh), (ylow, yhigh) = start_box(domain_of(settings))
    if xlow <= settings["x0"] <= xhigh and ylow <= settings["y0"] <= yhigh:
        return []
    refused = f"({settings['x0']:g}, {settings['y0']:g})"
    settings["x0"], settings["y0"] = default_start(settings["objective"])
    return [
        f"Start {refused} is outside x ∈ [{xlow:g}, {xhigh:g}], y ∈ [{ylow:g}, {yhigh:g}] for this function: "
        f"the default start ({settings['x0']:g}, {settings['y0']:g}) is used."
    ]


def valley_params() -> tuple[Param, ...]:
    """The conditioning lab's two settings, used when the valley is the chosen function."""
    return (
        Param("kappa", "ladder", 100.0, choices=CONDITION_OPTIONS),
        Param("theta", "ladder", 0.0, choices=ANGLE_OPTIONS),
    )


#: Compare's view of the surface in 3-D (drawn by the full plotly.js bundle)
SURFACE_3D = "3-D surface"
#: the guided scenarios of ``scenarios.py``, in order; the first is the landing view
SCENARIO_IDS = ("valley", "rotated", "circling", "short-memory", "long-memory", "epsilon", "saddle", "noise", "adagrad")


def check_compare(settings: dict) -> list[str]:
    notices = check_custom_domain(settings) + check_start_in_box(settings)
    if not -1 <= settings["upto"] <= settings["steps"]:
        settings["upto"] = -1
        notices.append("The replay position is past the last step: the whole run is shown.")
    return notices


COMPARE = Schema(
    (
        *function_params("valley"),
        Param("scenario", "choice", SCENARIO_IDS[0], choices=("", *SCENARIO_IDS)),  # "": none
        *valley_params(),
        Param("x0", "float", lambda name: default_start(name)[0], low=-START_LIMIT, high=START_LIMIT, follows=True),
        Param("y0", "float", lambda name: default_start(name)[1], low=-START_LIMIT, high=START_LIMIT, follows=True),
        Param("steps", "int", _story("steps", int), low=1, high=MAX_STEPS, follows=True),
        Param("tol", "ladder", 1e-3, choices=TOLERANCE_OPTIONS),
        Param("noise", "ladder", 0.0, choices=NOISE_OPTIONS),
        Param("seed", "int", 0, low=0, high=MAX_SEED),
        Param("view", "choice", "overlay", choices=("overlay", "side by side", SURFACE_3D)),
        Param("upto", "int", -1, low=-1, high=MAX_STEPS),  # replay position; -1: the whole run
        Param("sgd", "bool", True),
        Param("sgd_lr", "ladder", _story("sgd_lr"), choices=LR_OPTIONS, follows=True),
        Param("mom", "bool", True),
        Param("mom_lr", "ladder", _story("mom_lr"), choices=LR_OPTIONS, follows=True),
        Param("mom_mu", "ladder", 0.9, choices=MOMENTUM_OPTIONS),
        Param("nesterov", "bool", False),
        Param("rms", "bool", True),
        Param("rms_lr", "ladder", _story("rms_lr"), choices=LR_OPTIONS, follows=True),
        Param("rho", "ladder", _story("rho"), choices=RHO_OPTIONS, follows=True),
        Param("eps", "ladder", 1e-6, choices=EPS_OPTIONS),
        Param("centered", "bool", False),
        Param("rms_mu", "ladder", 0.0, choices=MOMENTUM_OPTIONS),
        Param("eps_in_sqrt", "bool", False),
        Param("adam", "bool", False),
        Param("adam_lr", "ladder", _story("adam_lr"), choices=LR_OPTIONS, follows=True),
        Param("beta1", "ladder", 0.9, choices=MOMENTUM_OPTIONS),
        Param("beta2", "ladder", 0.999, choices=BETA2_OPTIONS),
        Param("adam_eps", "ladder", 1e-8, choices=EPS_OPTIONS),
        Param("ada", "bool", False),
        Param("ada_lr", "ladder", 0.1, choices=LR_OPTIONS),
        Param("ada_eps", "ladder", 1e-10, choices=EPS_OPTIONS),
        Param("sensitivity", "bool", False),  # draw each optimizer's outcome against α
        PRESENT,
    ),
    cross_check=check_compare,
)


# --- Sweep ------------------------------------------------------------------------------------

#: sweep id -> (label, optimizer kind, the second hyperparameter or None for the 1-D SGD sweep)
SWEEP_KINDS = {
    "rms_rho": ("RMSProp: learning rate × ρ", "rmsprop", "rho"),
    "rms_eps": ("RMSProp: learning rate × ε", "rmsprop", "eps"),
    "mom": ("Momentum: learning rate × momentum", "momentum", "momentum"),
    "ada_eps": ("Adagrad: learning rate × ε", "adagrad", "eps"),
    "sgd": ("SGD: learning rate (1-D)", "sgd", None),
}
SWEEP_OUTCOMES = {"loss": "final loss", "steps": "first touch of the tolerance"}
SWEEP_RESOLUTIONS = tuple(range(10, 201, 10))
MAX_SWEEP_STEPS = 2000
#: a sweep's runs × steps, at most (200 × 200 runs of 500 steps, 100 × 100 of 2000): about a second
#: of one core (bench/bench_heavy.py), which no widget event of the session can interrupt
MAX_SWEEP_RUN_STEPS = 20_000_000


def check_sweep(settings: dict) -> list[str]:
    notices = check_custom_domain(settings)
    if settings["lr_low"] >= settings["lr_high"]:
        settings["lr_low"], settings["lr_high"] = SWEEP.defaults()["lr_low"], SWEEP.defaults()["lr_high"]
        notices.append("The learning-rate range must go from a smaller to a larger value: the default range is used.")
    rows = 1 if SWEEP_KINDS[settings["kind"]][2] is None else settings["resolution"]
    runs = int(settings["resolution"]) * int(rows)
    if runs * settings["steps"] > MAX_SWEEP_RUN_STEPS:
        settings["steps"] = MAX_SWEEP_RUN_STEPS // runs
        notices.append(
            f"A sweep of {runs:,} runs takes at most {settings['steps']:,} steps "
            f"({MAX_SWEEP_RUN_STEPS:,} run-steps, about a second of work): {settings['steps']:,} steps are used."
        )
    if (
        settings["col"] >= settings["resolution"]
        or settings["row"] >= rows
        or (settings["row"] < 0) != (settings["col"] < 0)
    ):
        settings["row"] = settings["col"] = -1
        notices.append("The selected cell is not on this grid: no cell is selected.")
    return notices


SWEEP = Schema(
    (
        *function_params("rosenbrock"),
        *valley_params(),
        Param("kind", "choice", "rms_rho", choices=tuple(SWEEP_KINDS)),
        Param("outcome", "choice", "loss", choices=tuple(SWEEP_OUTCOMES)),
        Param("lr_low", "ladder", 1e-4, choices=LR_OPTIONS),
        Param("lr_high", "ladder", 0.5, choices=LR_OPTIONS),
        Param("resolution", "ladder", 100, choices=SWEEP_RESOLUTIONS),
        Param("steps", "int", 500, low=1, high=MAX_SWEEP_STEPS),
        Param("rho", "ladder", 0.9, choices=RHO_OPTIONS),
        Param("eps", "ladder", 1e-6, choices=EPS_OPTIONS),
        Param("tol", "ladder", 1e-3, choices=TOLERANCE_OPTIONS),
        Param("row", "int", -1, low=-1, high=SWEEP_RESOLUTIONS[-1] - 1),  # the selected cell; -1: none
        Param("col", "int", -1, low=-1, high=SWEEP_RESOLUTIONS[-1] - 1),
        PRESENT,
    ),
    cross_check=check_sweep,
)


# --- Conventions, Lesson, Anatomy, Decay ------------------------------------------------------

CONVENTIONS_PAGE = Schema(
    (
        *function_params("rosenbrock"),
        Param("lr", "ladder", 0.005, choices=LR_OPTIONS),
        Param("steps", "int", 500, low=1, high=MAX_STEPS),
        Param("scale", "ladder", 1.0, choices=SCALE_OPTIONS),
        Param("reference", "choice", "the lesson", choices=tuple(CONVENTIONS)),
        PRESENT,
    ),
    cross_check=check_custom_domain,
)

LESSON_START_LIMIT = 6.0
LESSON_PAGE = Schema(
    (
        Param("lr", "ladder", LESSON.learning_rate, choices=LR_OPTIONS),
        Param("rho", "ladder", LESSON.rho, choices=RHO_OPTIONS),
        Param("eps", "ladder", LESSON.epsilon, choices=EPS_OPTIONS),
        Param("x0", "float", float(LESSON.start[0]), low=-LESSON_START_LIMIT, high=LESSON_START_LIMIT),
        Param("y0", "float", float(LESSON.start[1]), low=-LESSON_START_LIMIT, high=LESSON_START_LIMIT),
        Param("updates", "int", LESSON.max_epochs + 1, low=1, high=2000),
        Param("every", "int", LESSON.print_every, low=1, high=500),
        PRESENT,
    )
)

MAX_ANATOMY_STEPS = 200


def check_anatomy(settings: dict) -> list[str]:
    notices = check_custom_domain(settings)
    if settings["step"] > settings["steps"]:
        notices.append(f"Update {settings['step']} is past the {settings['steps']} computed: update 1 is shown.")
        settings["step"] = 1
    return notices


ANATOMY = Schema(
    (
        *function_params("ellipse"),
        Param("lr", "ladder", 0.1, choices=LR_OPTIONS),
        Param("rho", "ladder", 0.9, choices=RHO_OPTIONS),
        Param("eps", "ladder", 1e-6, choices=EPS_OPTIONS),
        Param("steps", "int", 40, low=1, high=MAX_ANATOMY_STEPS),
        Param("step", "int", 1, low=1, high=MAX_ANATOMY_STEPS),
        PRESENT,
    ),
    cross_check=check_anatomy,
)

MAX_DECAY_RATES = 7  # one colour each
DECAY = Schema(
    (
        *function_params("ellipse"),
        Param("rhos", "ladders", (0.5, 0.9, 0.99, 0.999), choices=RHO_OPTIONS, high=MAX_DECAY_RATES),
        Param("lr", "ladder", _story("rms_lr"), choices=LR_OPTIONS, follows=True),
        Param("eps", "ladder", 1e-6, choices=EPS_OPTIONS),
        Param("steps", "int", _story("steps", int), low=1, high=MAX_STEPS, follows=True),
        Param("tol", "ladder", 1e-3, choices=TOLERANCE_OPTIONS),
        Param("gamma", "bool", False),
        PRESENT,
    ),
    cross_check=check_custom_domain,
)


# --- Mission ----------------------------------------------------------------------------------

MAX_HAZARDS = 8
MISSION_COORDINATE_LIMIT = 20.0  # ship, station and hazards stay within ±20
HAZARD_STRENGTH_LIMIT = 500.0
HAZARD_COLUMNS = ("x", "y", "strength", "width", "core radius")


def hazards_from_rows(rows, columns=HAZARD_COLUMNS):
    """Valid mission hazards from an edited table (a list of row dicts keyed by ``columns``), and a
    message for every row that is left out. At most ``MAX_HAZARDS`` are kept."""
    hazards, problems = [], []
    for number, row in enumerate(rows, start=1):
        values = [row.get(name) for name in columns]
        if any(isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) for v in values):
            problems.append(f"Hazard row {number} is incomplete and is left out.")
            continue
        x, y, strength, width, core = (float(v) for v in values)
        if abs(x) > MISSION_COORDINATE_LIMIT or abs(y) > MISSION_COORDINATE_LIMIT:
            problems.append(f"Hazard row {number}: x and y must be within ±{MISSION_COORDINATE_LIMIT:g}; left out.")
        elif not (0 < width <= 10) or not (0 <= core <= 5) or abs(strength) > HAZARD_STRENGTH_LIMIT:
            problems.append(
                f"Hazard row {number}: needs 0 < width ≤ 10, 0 ≤ core radius ≤ 5 and "
                f"|strength| ≤ {HAZARD_STRENGTH_LIMIT:g}; left out."
            )
        else:
            hazards.append(Hazard((x, y), strength, width, core))
    if len(hazards) > MAX_HAZARDS:
        problems.append(f"Only the first {MAX_HAZARDS} hazards are used.")
        hazards = hazards[:MAX_HAZARDS]
    return hazards, problems


def hazards_text(hazards) -> str:
    """Hazards as URL text: "x,y,strength,width,core" per hazard, separated by ";"."""
    return ";".join(",".join(f"{v:g}" for v in (*h.centre, h.strength, h.width, h.core_radius)) for h in hazards)


def hazards_from_text(text: str) -> tuple[Hazard, ...]:
    """The hazards written by ``hazards_text``; ValueError with a short reason for anything else."""
    rows = []
    for part in filter(None, (piece.strip() for piece in text.split(";"))):
        numbers = part.split(",")
        if len(numbers) != len(HAZARD_COLUMNS):
            raise ValueError(f"needs {len(HAZARD_COLUMNS)} numbers per hazard")
        try:
            rows.append(dict(zip(HAZARD_COLUMNS, (float(n) for n in numbers), strict=True)))
        except ValueError:
            raise ValueError("is not a list of numbers") from None
    hazards, problems = hazards_from_rows(rows)
    if problems:
        raise ValueError(f"has a hazard that cannot be used ({problems[0]})")
    return tuple(hazards)


def _normalised_hazards(text: str) -> str:
    return hazards_text(hazards_from_text(text))


def _preset(field: Callable) -> Callable[[str], object]:
    return lambda name: field(MISSION_PRESETS[name])


MISSION_LIMITS = {"low": -MISSION_COORDINATE_LIMIT, "high": MISSION_COORDINATE_LIMIT, "follows": True}
MISSION = Schema(
    (
        Param("preset", "choice", "asteroid field", choices=tuple(MISSION_PRESETS)),
        Param("ship_x", "float", _preset(lambda m: m.ship[0]), **MISSION_LIMITS),
        Param("ship_y", "float", _preset(lambda m: m.ship[1]), **MISSION_LIMITS),
        Param("station_x", "float", _preset(lambda m: m.station[0]), **MISSION_LIMITS),
        Param("station_y", "float", _preset(lambda m: m.station[1]), **MISSION_LIMITS),
        Param("radius", "float", _preset(lambda m: m.docking_radius), low=0.01, high=2.0, follows=True),
        Param("hazards", "text", _preset(lambda m: hazards_text(m.hazards)), follows=True, check=_normalised_hazards),
        Param("sgd_lr", "ladder", 0.05, choices=LR_OPTIONS),
        Param("mom_lr", "ladder", 0.01, choices=LR_OPTIONS),
        Param("mom_mu", "ladder", 0.9, choices=MOMENTUM_OPTIONS),
        Param("rms_lr", "ladder", 0.05, choices=LR_OPTIONS),
        Param("rho", "ladder", 0.9, choices=RHO_OPTIONS),
        Param("steps", "int", 500, low=1, high=3000),
        PRESENT,
    )
)

#: the lesson's five exercises, by their own titles: (title, task, page, that page's settings as a link)
LESSON_EXERCISES = (
    (
        "RMSProp Assisted Space Navigation",
        "Fly the RMSProp ship through the asteroid field; change its α and ρ until it docks before the others.",
        "mission",
        {"preset": "asteroid field"},
    ),
    (
        "Scaling the Optimizer: Adjusting RMSProp with Gamma",
        "Call the decay rate γ, as many courses do, and compare several γ at once: paths, losses, step sizes.",
        "decay",
        {"gamma": "1", "rhos": "0.5,0.9,0.99,0.999"},
    ),
    (
        "Adjust the Decay Rate in RMSProp Algorithm",
        "Start from ρ = 0.5, predict what the step size will do, then raise ρ to 0.99 and compare.",
        "compare",
        {"scenario": "short-memory", "objective": "ellipse", "rho": "0.5", "rms_lr": "0.05", "sgd": "0", "mom": "0"},
    ),
    (
        "Implement RMSProp Update",
        "Compute the next update α·g / (√s + ε) by hand from the table, and check it against the engine.",
        "anatomy",
        {"objective": "bowl", "lr": "0.1", "rho": "0.9"},
    ),
    (
        "Implement RMSProp's Squared Gradient Update",
        "Compute the new running average s = ρ·s + (1 − ρ)·g² for x by hand, and check it against the engine.",
        "anatomy",
        {"objective": "ellipse", "step": "5"},
    ),
)

#: page name (its URL path) -> its settings
PAGE_SCHEMAS = {
    "compare": COMPARE,
    "sweep": SWEEP,
    "conventions": CONVENTIONS_PAGE,
    "lesson": LESSON_PAGE,
    "anatomy": ANATOMY,
    "decay": DECAY,
    "mission": MISSION,
}
