"""Streamlit glue shared by the pages: settings <-> widgets <-> URL, cached engine runs, widgets.

The widget state is the truth while a page is shown. ``bind_settings`` seeds missing widget keys
(first visit: from the validated URL; returning from another page: from the last settings), and
``publish_settings`` stores the current settings and mirrors the non-default ones into the URL.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from rmsprop_core import OBJECTIVES, OPTIMIZER_CLASSES, FormulaError, get_objective, optimize, parse_objective
from rmsprop_core.formula import MAX_LENGTH as MAX_FORMULA_LENGTH
from rmsprop_core.metrics import evaluate_grid
from rmsprop_core.objectives import scaled

from .figures import PathData, Surface, colour_for, make_surface
from .options import format_number
from .settings import CUSTOM, DEFAULT_CUSTOM_DOMAIN, DEFAULT_FORMULA, Schema, quote_user_text


def ensure_routed() -> None:
    """Make sure this page runs under app.py's ``st.navigation``, even on a deep link.

    Streamlit keeps a process-wide flag, set when a ``pages/`` folder exists and cleared the first
    time ``st.navigation`` runs. If the very first request a fresh server gets is a deep link
    (``/sweep``), its MPA-v1 fallback runs ``pages/sweep.py`` directly, without app.py (no
    navigation menu, no page config), and the flag then stays set for every later session.
    Clearing it and rerunning sends this session through app.py, whose navigation resolves the
    URL to the same page. (Checked against Streamlit 1.67's runtime/pages_manager.py.)
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def widget_key(page: str, key: str) -> str:
    return f"{page}.{key}"


def bind_settings(schema: Schema, page: str) -> list[str]:
    """Seed this page's widget state; returns the URL notices to show (once per visit)."""
    store = widget_key(page, "_settings")
    notices: list[str] = []
    if store not in st.session_state:
        settings, notices = schema.parse_query(st.query_params.to_dict())
        st.session_state[store] = settings
    for key, value in st.session_state[store].items():
        st.session_state.setdefault(widget_key(page, key), value)
    return notices


def current_settings(schema: Schema, page: str) -> dict:
    return {param.key: st.session_state[widget_key(page, param.key)] for param in schema.params}


def publish_settings(schema: Schema, page: str, settings: dict) -> None:
    st.session_state[widget_key(page, "_settings")] = dict(settings)
    query = schema.to_query(settings)
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)


def settings_file_controls(schema: Schema, page: str) -> None:
    """ "Download settings" (JSON of every setting) and "Load settings" (validated upload)."""
    uploader_key = widget_key(page, "_upload")
    message_key = widget_key(page, "_upload_messages")
    reload_key = widget_key(page, "_reload")

    def load() -> None:
        upload = st.session_state.get(uploader_key)
        if upload is None:
            return
        settings, problems = schema.parse_document(upload.getvalue(), page)
        if settings is None:
            st.session_state[message_key] = ("error", problems)
            return
        for name, value in settings.items():
            st.session_state[widget_key(page, name)] = value
        st.session_state[widget_key(page, "_settings")] = settings
        st.session_state[message_key] = ("success", [f"Loaded the settings from {quote_user_text(upload.name)}."])
        st.session_state[reload_key] = True

    st.download_button(
        "Download settings (JSON)",
        # built on every run (a few hundred bytes): a lazy callable would run outside the script,
        # where the widgets' session state cannot be read
        data=schema.to_document(current_settings(schema, page), page),
        file_name=f"rmsprop-lab_{page}_settings.json",
        mime="application/json",
        on_click="ignore",
        key=widget_key(page, "_download_settings"),
        icon=":material/save:",
    )
    st.file_uploader("Load settings (JSON)", type=["json"], key=uploader_key, on_change=load, max_upload_size=1)
    if st.session_state.pop(reload_key, False):
        # loaded settings touch widgets everywhere on the page (sidebar included): rerun it all;
        # the success message is shown on that run
        st.rerun()
    kind, messages = st.session_state.pop(message_key, (None, []))
    for message in messages:
        getattr(st, kind)(message)


def reset_for_objective(schema: Schema, page: str) -> None:
    """on_change of an objective picker: objective-dependent settings take the new defaults."""
    settings = current_settings(schema, page)
    updated = schema.after_objective_change(settings, settings["objective"])
    for param in schema.params:
        if param.follows_objective:
            st.session_state[widget_key(page, param.key)] = updated[param.key]


def function_picker(key: str, on_change=None, include_custom: bool = False):
    """The function selectbox every page uses (catalogue titles; optionally "your own formula")."""
    names = [*OBJECTIVES, CUSTOM] if include_custom else list(OBJECTIVES)
    return st.selectbox(
        "Function",
        names,
        key=key,
        on_change=on_change,
        format_func=lambda name: OBJECTIVES[name].title if name in OBJECTIVES else "✏️ Your own formula",
    )


@dataclass(frozen=True)
class FunctionChoice:
    """What a page's function inputs selected: a catalogue name, or "custom" with its formula."""

    name: str
    formula: str | None = None
    domain: tuple | None = None

    def objective(self):
        """The Objective (raises FormulaError); for cached functions, after the page resolved it."""
        return resolve_objective(self.name, self.formula, self.domain)

    def resolve(self):
        """The Objective; a formula that cannot be used shows why and stops the page here (the
        widgets above keep their values, so nothing the user set is lost)."""
        try:
            return self.objective()
        except FormulaError as error:
            st.error(
                f"This formula cannot be used: {quote_user_text(str(error), 240)}. Edit it in the sidebar.", icon="✏️"
            )
            st.stop()


def function_inputs(key, on_change=None) -> FunctionChoice:
    """The function picker with "your own formula": the formula box and its x and y ranges appear
    when it is chosen. ``key(name)`` makes this page's widget keys."""
    for name, value in (
        ("formula", DEFAULT_FORMULA),
        *zip(("xmin", "xmax", "ymin", "ymax"), (*DEFAULT_CUSTOM_DOMAIN[0], *DEFAULT_CUSTOM_DOMAIN[1]), strict=True),
    ):
        st.session_state.setdefault(key(name), value)
    function_picker(key("objective"), on_change=on_change, include_custom=True)
    if st.session_state[key("objective")] != CUSTOM:
        return FunctionChoice(st.session_state[key("objective")])
    st.text_input(
        "f(x, y) =",
        key=key("formula"),
        max_chars=MAX_FORMULA_LENGTH,
        help="Numbers, x, y, + - * / ** ^, parentheses, pi, e and sin cos tan exp log sqrt abs tanh sinh cosh "
        "arctan. Example: (1-x)^2 + 100*(y-x^2)^2",
    )
    low_column, high_column = st.columns(2)
    low_column.number_input("x from", key=key("xmin"), step=1.0)
    high_column.number_input("x to", key=key("xmax"), step=1.0)
    low_column.number_input("y from", key=key("ymin"), step=1.0)
    high_column.number_input("y to", key=key("ymax"), step=1.0)
    domain = (
        (st.session_state[key("xmin")], st.session_state[key("xmax")]),
        (st.session_state[key("ymin")], st.session_state[key("ymax")]),
    )
    return FunctionChoice(CUSTOM, st.session_state[key("formula")], domain)


def ladder_slider(label: str, options, key: str, help: str | None = None, disabled: bool = False):
    """A slider over a fixed ladder of values (log-spaced for learning rates and epsilons)."""
    return st.select_slider(label, options=options, key=key, format_func=format_number, help=help, disabled=disabled)


# --- engine calls, cached on scalar inputs --------------------------------------------------


@dataclass(frozen=True)
class RunResult:
    """What a page needs of one unbatched run; a plain, picklable record."""

    label: str
    kind: str
    hyperparameters: tuple
    points: np.ndarray
    losses: np.ndarray
    grads: np.ndarray
    diverged_at: int
    state: dict

    def optimizer(self):
        return OPTIMIZER_CLASSES[self.kind](**dict(self.hyperparameters))

    def path(self, index: int = 0) -> PathData:
        return PathData(self.label, colour_for(self.label, index), self.points, self.losses, self.diverged_at)


@st.cache_resource(max_entries=128, show_spinner=False)
def resolve_objective(objective_name: str, formula: str | None = None, domain=None, scale: float = 1.0):
    """A catalogue function, or the user's formula (``objective_name == "custom"``), optionally
    scaled. Raises FormulaError for a formula that cannot be used (errors are not cached)."""
    if objective_name == CUSTOM:
        objective = parse_objective(formula or "", domain=domain)
    else:
        objective = get_objective(objective_name)
    return scaled(objective, scale)


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


# cache_resource, not cache_data: cache_data pickles every result on the way in and unpickles a
# copy on every hit, on every slider move; the shared arrays are made read-only instead
@st.cache_resource(max_entries=512, show_spinner=False)
def run_cached(
    kind: str, hyperparameters: tuple, objective_key: tuple, start: tuple, steps: int, label: str, noise_key=(0.0, 0)
):
    """One optimizer run; cached per optimizer so moving one slider recomputes one run only."""
    spec = OPTIMIZER_CLASSES[kind](**dict(hyperparameters))
    noise, seed = noise_key
    trajectory = optimize(spec, resolve_objective(*objective_key), start, steps, noise=noise, seed=seed)
    return RunResult(
        label=label,
        kind=kind,
        hyperparameters=hyperparameters,
        points=_read_only(trajectory.points),
        losses=_read_only(trajectory.losses),
        grads=_read_only(trajectory.grads),
        diverged_at=int(trajectory.diverged_at),
        state={name: _read_only(values) for name, values in trajectory.state.items()},
    )


def run(
    spec,
    objective_name: str,
    start,
    steps: int,
    label: str | None = None,
    formula=None,
    domain=None,
    noise: float = 0.0,
    seed: int = 0,
):
    hyper = tuple(spec.hyperparameters().items())
    start = (float(start[0]), float(start[1]))
    key = (objective_name, formula, domain)
    return run_cached(spec.kind, hyper, key, start, int(steps), label or spec.label, (float(noise), int(seed)))


# cache_resource, not cache_data: a surface is immutable, and cache_data would hand every rerun a
# pickled copy (1-2 MB), which costs more than the lookup saves
@st.cache_resource(max_entries=64, show_spinner=False)
def surface_cached(objective_name: str, resolution: int, scale: float = 1.0, formula=None, domain=None) -> Surface:
    objective = resolve_objective(objective_name, formula, domain, scale)
    xs, ys, values = evaluate_grid(objective, resolution)
    return make_surface(xs, ys, values, objective.minima)


def show_notices(notices: list[str]) -> None:
    for notice in notices:
        st.warning(notice, icon="⚠️")
