"""Settings schemas: typed, validated, and round-tripped through URL query parameters.

A schema is a list of ``Param``s. ``parse_query`` turns untrusted query values (strings) into a
complete, valid settings dict, falling back to defaults with a short notice for anything
malformed or out of range; ``to_query`` writes only the values that differ from the defaults.
Nothing here renders anything: notices quote user text only through ``quote_user_text``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from rmsprop_core import OBJECTIVES, get_objective

from .options import (
    BETA2_OPTIONS,
    EPS_OPTIONS,
    LR_OPTIONS,
    MAX_SEED,
    MAX_STEPS,
    MOMENTUM_OPTIONS,
    NOISE_OPTIONS,
    RHO_OPTIONS,
    TOLERANCE_OPTIONS,
    nearest_option,
    story_defaults,
)

MAX_QUERY_VALUE_LENGTH = 200
MAX_DOCUMENT_BYTES = 64 * 1024
DOCUMENT_APP = "rmsprop-lab"
DOCUMENT_VERSION = 1


def quote_user_text(text: str, limit: int = 40) -> str:
    """User text made safe to show inside Streamlit markdown: a code span, no backticks, short."""
    cleaned = "".join(ch for ch in str(text) if ch.isprintable() and ch != "`")
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1] + "…"
    return f"`{cleaned}`" if cleaned else "an empty value"


@dataclass(frozen=True)
class Param:
    """One setting: its URL key, kind and allowed values.

    ``kind``: "choice" (one of ``choices``), "ladder" (a float snapped to the nearest of
    ``choices``, refused outside their range), "bool", "int" / "float" (within ``low``..``high``).
    ``default`` is a value or a function of the objective name (per-objective defaults).
    ``follows_objective``: reset to its default when the objective changes.
    """

    key: str
    kind: str
    default: object
    choices: tuple = ()
    low: float = -math.inf
    high: float = math.inf
    follows_objective: bool = False

    def default_for(self, objective_name: str):
        return self.default(objective_name) if callable(self.default) else self.default

    def parse(self, text: str):
        """The value for untrusted ``text``; raises ValueError with a short reason."""
        if len(text) > MAX_QUERY_VALUE_LENGTH:
            raise ValueError("is too long")
        if self.kind == "choice":
            if text not in self.choices:
                raise ValueError("is not one of the choices")
            return text
        if self.kind == "text":
            if not text.isprintable():
                raise ValueError("contains control characters")
            return text
        if self.kind == "bool":
            lowered = text.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError("is not true or false")
        try:
            number = float(text)
        except ValueError:
            raise ValueError("is not a number") from None
        if not math.isfinite(number):
            raise ValueError("is not a finite number")
        if self.kind == "ladder":
            if not self.choices[0] <= number <= self.choices[-1]:
                raise ValueError(f"is outside {self.choices[0]:g} … {self.choices[-1]:g}")
            return nearest_option(number, self.choices)
        if not self.low <= number <= self.high:
            raise ValueError(f"is outside {self.low:g} … {self.high:g}")
        if self.kind == "int":
            if number != int(number):
                raise ValueError("is not a whole number")
            return int(number)
        return number

    def format(self, value) -> str:
        if self.kind == "bool":
            return "1" if value else "0"
        if self.kind in ("choice", "text"):
            return str(value)
        if self.kind == "int":
            return str(int(value))
        return repr(float(value))


@dataclass(frozen=True)
class Schema:
    params: tuple[Param, ...]
    #: cross-field check: (settings) -> notices, fixing the settings in place
    cross_check: Callable[[dict], list[str]] | None = None

    def __post_init__(self):
        assert self.params[0].key == "objective", "the objective comes first: other defaults follow it"

    def by_key(self) -> dict[str, Param]:
        return {param.key: param for param in self.params}

    def defaults(self, objective_name: str) -> dict:
        return {param.key: param.default_for(objective_name) for param in self.params}

    def _complete(self, values: dict) -> tuple[dict, list[str]]:
        """All settings: the validated ``values`` over the defaults of their objective, then the
        cross-field check (which may correct settings and says so in its notices)."""
        settings = self.defaults(str(values.get("objective", self.params[0].default_for(""))))
        settings.update(values)
        notices = self.cross_check(settings) if self.cross_check is not None else []
        return settings, notices

    def parse_query(self, query: Mapping[str, object]) -> tuple[dict, list[str]]:
        """Validated settings from untrusted query values, and notices for what was refused."""
        notices: list[str] = []
        values = {}
        for param in self.params:
            raw = query.get(param.key)
            if raw is None:
                continue
            if isinstance(raw, (list, tuple)):
                raw = raw[-1] if raw else ""
            try:
                values[param.key] = param.parse(str(raw))
            except ValueError as reason:
                notices.append(f"URL setting `{param.key}` {reason}: {quote_user_text(raw)} ignored, default used.")
        settings, cross_notices = self._complete(values)
        notices.extend(cross_notices)
        unknown = [key for key in query if key not in self.by_key()]
        if unknown:
            shown = ", ".join(quote_user_text(key, 20) for key in unknown[:3])
            notices.append(f"Unknown URL setting{'s' if len(unknown) > 1 else ''} {shown} ignored.")
        return settings, notices

    def to_query(self, settings: Mapping[str, object]) -> dict[str, str]:
        """Only the settings that differ from their defaults, formatted for the URL."""
        defaults = self.defaults(str(settings["objective"]))
        return {
            param.key: param.format(settings[param.key])
            for param in self.params
            if param.key in settings and settings[param.key] != defaults[param.key]
        }

    def to_document(self, settings: Mapping[str, object], page: str) -> str:
        """The settings as a JSON document for "Download settings" (every setting, typed)."""
        values = {param.key: settings[param.key] for param in self.params if param.key in settings}
        return json.dumps(
            {"app": DOCUMENT_APP, "version": DOCUMENT_VERSION, "page": page, "settings": values},
            indent=2,
            sort_keys=False,
        )

    def parse_document(self, data: bytes, page: str) -> tuple[dict | None, list[str]]:
        """Settings from an uploaded JSON document, or ``None`` and the problems found (the file is
        then refused whole: a half-applied file would be worse than none)."""
        if len(data) > MAX_DOCUMENT_BYTES:
            return None, [f"The file is larger than {MAX_DOCUMENT_BYTES // 1024} KB."]
        try:
            document = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
            return None, [f"The file is not valid JSON ({type(error).__name__})."]
        if not isinstance(document, dict) or not isinstance(document.get("settings"), dict):
            return None, ['The file must be a JSON object with a "settings" object inside.']
        if document.get("app") != DOCUMENT_APP or document.get("page") != page:
            return None, [f"This is not a RMSProp Lab settings file for the {page} page."]
        problems: list[str] = []
        values: dict = {}
        params = self.by_key()
        for name, value in document["settings"].items():
            param = params.get(name)
            if param is None:
                problems.append(f"Unknown setting {quote_user_text(name, 30)}.")
                continue
            expected = {"bool": (bool,), "int": (int,), "text": (str,), "choice": (str,)}.get(param.kind, (int, float))
            if not isinstance(value, expected) or (isinstance(value, bool) and param.kind != "bool"):
                problems.append(f"Setting `{name}` has the wrong type ({type(value).__name__}).")
                continue
            try:
                values[name] = param.parse(str(value).lower() if param.kind == "bool" else str(value))
            except ValueError as reason:
                problems.append(f"Setting `{name}` {reason}: {quote_user_text(value)}.")
        if problems:
            return None, problems
        settings, notices = self._complete(values)
        return (None, notices) if notices else (settings, [])

    def after_objective_change(self, settings: Mapping[str, object], objective_name: str) -> dict:
        """Settings with the new objective and its defaults for the objective-dependent ones."""
        updated = dict(settings)
        updated["objective"] = objective_name
        for param in self.params:
            if param.follows_objective:
                updated[param.key] = param.default_for(objective_name)
        return updated


def _story(key: str) -> Callable[[str], float]:
    return lambda name: story_defaults(name)[key]


CUSTOM = "custom"
DEFAULT_FORMULA = "x**2 + 10*sin(y)"
DEFAULT_CUSTOM_DOMAIN = ((-5.0, 5.0), (-5.0, 5.0))


def _start(axis: int) -> Callable[[str], float]:
    def start(name: str) -> float:
        if name in OBJECTIVES:
            return float(get_objective(name).start[axis])
        low, high = DEFAULT_CUSTOM_DOMAIN[axis]
        return low + 0.8 * (high - low)  # where parse_objective starts by default

    return start


def start_box(domain) -> tuple[tuple[float, float], tuple[float, float]]:
    """The generous box of allowed start points: the domain widened by one span on each side."""
    (xmin, xmax), (ymin, ymax) = domain
    xspan, yspan = xmax - xmin, ymax - ymin
    return (xmin - xspan, xmax + xspan), (ymin - yspan, ymax + yspan)


def check_start_in_box(settings: dict) -> list[str]:
    """Reset a start point outside the objective's generous box to the objective's start."""
    if settings.get("objective") in OBJECTIVES:
        domain = get_objective(settings["objective"]).domain
    elif {"xmin", "xmax", "ymin", "ymax"} <= set(settings):
        domain = ((settings["xmin"], settings["xmax"]), (settings["ymin"], settings["ymax"]))
    else:
        return []
    (xlow, xhigh), (ylow, yhigh) = start_box(domain)
    if xlow <= settings["x0"] <= xhigh and ylow <= settings["y0"] <= yhigh:
        return []
    refused = f"({settings['x0']:g}, {settings['y0']:g})"
    settings["x0"], settings["y0"] = _start(0)(settings["objective"]), _start(1)(settings["objective"])
    if settings["objective"] in OBJECTIVES:
        settings["x0"], settings["y0"] = (float(v) for v in get_objective(settings["objective"]).start)
    return [
        f"Start {refused} is outside x ∈ [{xlow:g}, {xhigh:g}], y ∈ [{ylow:g}, {yhigh:g}] for this function: "
        f"the default start is used."
    ]


def check_custom_domain(settings: dict) -> list[str]:
    """A custom formula's x and y ranges must each run from a smaller to a larger number."""
    if not {"xmin", "xmax", "ymin", "ymax"} <= set(settings):
        return []
    if settings["xmin"] < settings["xmax"] and settings["ymin"] < settings["ymax"]:
        return []
    (settings["xmin"], settings["xmax"]), (settings["ymin"], settings["ymax"]) = DEFAULT_CUSTOM_DOMAIN
    return ["The formula's x and y ranges must each go from a smaller to a larger number: the default ranges are used."]


def check_compare_settings(settings: dict) -> list[str]:
    return check_custom_domain(settings) + check_start_in_box(settings)


COMPARE_SCHEMA = Schema(
    (
        Param("objective", "choice", "rosenbrock", choices=(*OBJECTIVES, CUSTOM)),
        Param("formula", "text", DEFAULT_FORMULA),
        Param("xmin", "float", DEFAULT_CUSTOM_DOMAIN[0][0], low=-1e5, high=1e5),
        Param("xmax", "float", DEFAULT_CUSTOM_DOMAIN[0][1], low=-1e5, high=1e5),
        Param("ymin", "float", DEFAULT_CUSTOM_DOMAIN[1][0], low=-1e5, high=1e5),
        Param("ymax", "float", DEFAULT_CUSTOM_DOMAIN[1][1], low=-1e5, high=1e5),
        Param("x0", "float", _start(0), low=-1e6, high=1e6, follows_objective=True),
        Param("y0", "float", _start(1), low=-1e6, high=1e6, follows_objective=True),
        Param(
            "steps",
            "int",
            lambda name: int(story_defaults(name)["steps"]),
            low=1,
            high=MAX_STEPS,
            follows_objective=True,
        ),
        Param("tol", "ladder", 1e-3, choices=TOLERANCE_OPTIONS),
        Param("noise", "ladder", 0.0, choices=NOISE_OPTIONS),
        Param("seed", "int", 0, low=0, high=MAX_SEED),
        Param("view", "choice", "overlay", choices=("overlay", "side by side")),
        Param("upto", "int", -1, low=-1, high=MAX_STEPS),  # playback position; -1: the whole run
        Param("sgd", "bool", True),
        Param("sgd_lr", "ladder", _story("sgd_lr"), choices=LR_OPTIONS, follows_objective=True),
        Param("mom", "bool", True),
        Param("mom_lr", "ladder", _story("mom_lr"), choices=LR_OPTIONS, follows_objective=True),
        Param("mom_mu", "ladder", 0.9, choices=MOMENTUM_OPTIONS),
        Param("nesterov", "bool", False),
        Param("rms", "bool", True),
        Param("rms_lr", "ladder", _story("rms_lr"), choices=LR_OPTIONS, follows_objective=True),
        Param("rho", "ladder", 0.9, choices=RHO_OPTIONS),
        Param("eps", "ladder", 1e-6, choices=EPS_OPTIONS),
        Param("centered", "bool", False),
        Param("rms_mu", "ladder", 0.0, choices=MOMENTUM_OPTIONS),
        Param("eps_in_sqrt", "bool", False),
        Param("adam", "bool", False),
        Param("adam_lr", "ladder", _story("adam_lr"), choices=LR_OPTIONS, follows_objective=True),
        Param("beta1", "ladder", 0.9, choices=MOMENTUM_OPTIONS),
        Param("beta2", "ladder", 0.999, choices=BETA2_OPTIONS),
        Param("adam_eps", "ladder", 1e-8, choices=EPS_OPTIONS),
    ),
    cross_check=check_compare_settings,
)


MAX_HAZARDS = 8
MISSION_COORDINATE_LIMIT = 20.0  # ship, station and hazards stay within ±20
HAZARD_STRENGTH_LIMIT = 500.0


def hazards_from_rows(rows, columns=("x", "y", "strength", "width", "core radius")):
    """Valid mission hazards from an edited table (a list of row dicts keyed by ``columns``), and a
    message for every row that is left out. At most ``MAX_HAZARDS`` are kept."""
    from rmsprop_core.mission import Hazard

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
