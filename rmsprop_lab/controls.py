"""A page's settings bound to its widgets, its session store and its URL (the app's one settings system).

The store, ``st.session_state["<page>._settings"]``, is the truth. Only these write it: the URL on
a page's first visit, a settings file (at the start of the next full run), a widget's ``on_change``
(the user changed that widget), and the schema's corrections. Every full run of a page writes each
widget's value from the store before any widget is drawn, because Streamlit drops the state of a
widget that a run did not draw (a run that stopped early on a formula error, or a visit to another
page), and the browser may then send a stale value back for it: neither can reach the store, so no
value a user set is ever lost.

Widgets take their options (ladder, range, choices) from the page's schema. The URL mirrors the
non-default settings after every run.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from rmsprop_core import OBJECTIVES, FormulaError
from rmsprop_core.formula import MAX_LENGTH as MAX_FORMULA_LENGTH
from rmsprop_core.objectives import quadratic_valley

from . import runs
from .options import format_number
from .schemas import CUSTOM, FunctionChoice, function_choice
from .settings import Schema, quote_user_text


@dataclass(frozen=True)
class WidgetView:
    """How a setting is shown by its widget when the two differ (the replay slider shows the
    last step for the stored "-1, the whole run")."""

    to_widget: Callable[[object, dict], object]
    from_widget: Callable[[object, dict], object]


class PageSettings:
    """One page's settings: ``bind()`` first, then draw widgets through the methods below."""

    def __init__(
        self,
        schema: Schema,
        page: str,
        views: dict[str, WidgetView] | None = None,
        ranges: dict[str, tuple[str, str]] | None = None,
    ):
        self.schema = schema
        self.page = page
        self.params = schema.by_key()
        self.views = views or {}
        #: a range widget's name -> the two settings it sets (low, high)
        self.ranges = ranges or {}
        self._store_key = self.key("_settings")
        self._notices_key = self.key("_notices")
        self._published_key = self.key("_published")
        self._loaded_key = self.key("_loaded")
        self._latest_key = self.key("_latest_store")

    def key(self, name: str) -> str:
        return f"{self.page}.{name}"

    # --- the store ------------------------------------------------------------------------

    def values(self) -> dict:
        """The current settings (a copy)."""
        return dict(st.session_state[self._store_key])

    def __getitem__(self, name: str):
        return st.session_state[self._store_key][name]

    def bind(self) -> list[str]:
        """Load the store (from the URL on a first visit), correct it, write every widget's value
        from it and mirror it into the URL. Returns the notices to show, once."""
        query = st.query_params.to_dict()
        #: the URL this run came with, before the store is mirrored into it
        self.arrived_with = query
        loaded = st.session_state.pop(self._loaded_key, None)
        if loaded is not None:
            settings, notices = loaded, []
        # a first visit, or a link into this page with other settings than this page last put in
        # the URL (an exercise, a shared view): the URL wins; an empty URL (the menu) keeps the store
        elif self._store_key not in st.session_state or (query and query != st.session_state.get(self._published_key)):
            settings, notices = self.schema.parse_query(query)
        else:
            settings, notices = self.schema.corrected(st.session_state[self._store_key])
        notices = [*st.session_state.pop(self._notices_key, []), *notices]
        self._store(settings)
        self._write_widgets(settings)
        self.publish()
        return notices

    def update(self, changes: dict) -> None:
        """Change settings from code (a callback, a loaded file): store and widgets together."""
        settings = {**st.session_state[self._store_key], **changes}
        if self.schema.subject in changes and any(param.follows for param in self.schema.params):
            settings = {**self.schema.with_subject(settings, changes[self.schema.subject]), **changes}
        settings, corrections = self.schema.corrected(settings)
        self._store(settings)
        st.session_state[self._notices_key] = corrections
        self._write_widgets(settings)

    def remember(self, changes: dict) -> None:
        """Change settings that no widget shows (a table's rows, a picked cell), at any point of a
        run, and mirror them into the URL."""
        self._store({**st.session_state[self._store_key], **changes})
        self.publish()

    def _store(self, settings: dict) -> None:
        st.session_state[self._store_key] = settings
        # the same dict object for the whole session: a file built on click reads it (below)
        st.session_state.setdefault(self._latest_key, {})["values"] = settings

    def current(self) -> Callable[[], dict]:
        """A function that returns the settings as they are when it is called, even outside a run:
        for a download built on click (``data=callable``), which Streamlit calls with no session."""
        latest = st.session_state.setdefault(self._latest_key, {"values": st.session_state[self._store_key]})
        return lambda: dict(latest["values"])

    def publish(self) -> None:
        """Mirror the non-default settings into the URL."""
        query = self.schema.to_query(st.session_state[self._store_key])
        st.session_state[self._published_key] = query
        if st.query_params.to_dict() != query:
            st.query_params.from_dict(query)

    def link(self) -> str:
        """The URL that opens this page with the current settings (relative when the browser's own
        URL is unknown)."""
        return self.link_to(st.session_state[self._store_key])

    def link_to(self, settings: dict, base: str | None = None) -> str:
        """The URL that opens this page with ``settings``; ``base``: the page's address, when no run
        is under way to ask the browser's (a file built on click)."""
        query = urllib.parse.urlencode(self.schema.to_query(settings))
        base = base or self.base_url()
        return f"{base}?{query}" if query else base

    def base_url(self) -> str:
        """This page's address, as the browser has it (relative when unknown)."""
        base = (st.context.url or f"/{self.page}").split("?", 1)[0]
        if not urllib.parse.urlsplit(base).path:
            base += "/"  # the default page's URL is the bare host
        return base

    def _widget_value(self, name: str, settings: dict):
        if name in self.ranges:
            low, high = self.ranges[name]
            return (settings[low], settings[high])
        if self.params[name].kind == "ladders":
            return list(settings[name])
        view = self.views.get(name)
        return settings[name] if view is None else view.to_widget(settings[name], settings)

    def _write_widgets(self, settings: dict) -> None:
        names = [name for name in self.params if not any(name in pair for pair in self.ranges.values())]
        for name in [*names, *self.ranges]:
            # always written, even when equal: only a written value reaches a widget that the
            # browser re-creates (it would otherwise show the widget's first option)
            st.session_state[self.key(name)] = self._widget_value(name, settings)

    def _changed(self, name: str, also: Callable[[dict], dict] | None = None) -> None:
        """on_change of every widget: the user's new value goes into the store, with the further
        changes ``also(settings)`` asks for (a new function restarts the replay, say)."""
        value = st.session_state[self.key(name)]
        settings = st.session_state[self._store_key]
        if name in self.ranges:
            changes = dict(zip(self.ranges[name], value, strict=True))
        elif name in self.views:
            changes = {name: self.views[name].from_widget(value, settings)}
        elif self.params[name].kind == "ladders":
            changes = {name: tuple(sorted(value))}
        else:
            changes = {name: value}
        if also is not None:
            changes.update(also({**settings, **changes}))
        self.update(changes)

    def _bound(self, name: str, also: Callable[[dict], dict] | None) -> dict:
        key = self.key(name)
        if key not in st.session_state:
            # a widget that the last runs did not draw (another optimizer's controls were shown, in a
            # fragment's run that bind did not precede): Streamlit dropped its value, the store has it
            st.session_state[key] = self._widget_value(name, st.session_state[self._store_key])
        return {"key": key, "on_change": self._changed, "args": (name, also)}

    # --- widgets, their options from the schema ---------------------------------------------

    def ladder(self, name: str, label: str, *, also=None, **options):
        """A slider over the setting's ladder of values (log-spaced for learning rates and ε)."""
        return st.select_slider(
            label,
            options=self.params[name].choices,
            format_func=format_number,
            **self._bound(name, also),
            **options,
        )

    def ladder_range(self, name: str, label: str, *, also=None, **options):
        """A two-handled slider setting the ladder settings ``self.ranges[name]`` (low, high)."""
        low, high = self.ranges[name]
        defaults = self.schema.defaults()
        return st.select_slider(
            label,
            options=self.params[low].choices,
            # tells Streamlit this slider has two handles; the store's values come from session state
            value=(defaults[low], defaults[high]),
            format_func=format_number,
            **self._bound(name, also),
            **options,
        )

    def number(self, name: str, label: str, *, also=None, **options):
        """A number box within the setting's declared range (whole numbers for "int")."""
        param = self.params[name]
        cast = int if param.kind == "int" else float
        return st.number_input(
            label, min_value=cast(param.low), max_value=cast(param.high), **self._bound(name, also), **options
        )

    def slider(self, name: str, label: str, *, low: int | None = None, high: int | None = None, also=None, **options):
        """An integer slider over the setting's range, or the part of it (``low``, ``high``) that
        its widget view or another setting allows."""
        param = self.params[name]
        low, high = int(param.low if low is None else low), int(param.high if high is None else high)
        return st.slider(label, low, high, **self._bound(name, also), **options)

    def toggle(self, name: str, label: str, *, also=None, **options):
        return st.toggle(label, **self._bound(name, also), **options)

    def checkbox(self, name: str, label: str, *, also=None, **options):
        return st.checkbox(label, **self._bound(name, also), **options)

    def selectbox(self, name: str, label: str, *, also=None, **options):
        return st.selectbox(label, self.params[name].choices, **self._bound(name, also), **options)

    def radio(self, name: str, label: str, *, also=None, **options):
        return st.radio(label, self.params[name].choices, **self._bound(name, also), **options)

    def multiselect(self, name: str, label: str, *, also=None, **options):
        param = self.params[name]
        return st.multiselect(
            label,
            param.choices,
            max_selections=int(param.high),
            format_func=format_number,
            **self._bound(name, also),
            **options,
        )

    def text(self, name: str, label: str, *, also=None, **options):
        return st.text_input(label, **self._bound(name, also), **options)

    # --- composite controls ------------------------------------------------------------------

    def function_inputs(self, also=None) -> FunctionChoice:
        """The function picker with "your own formula": the formula box and its x and y ranges
        appear when it is chosen."""
        self.selectbox(
            "objective",
            "Function",
            also=also,
            format_func=lambda name: OBJECTIVES[name].title if name in OBJECTIVES else "Your own formula…",
        )
        if self["objective"] == "valley" and "kappa" in self.params:
            self._valley_inputs()
        if self["objective"] != CUSTOM:
            return function_choice(self.values())
        self.text(
            "formula",
            "f(x, y) =",
            max_chars=MAX_FORMULA_LENGTH,
            help="Numbers, x, y, + - * / ** ^, parentheses, pi, e and sin cos tan exp log sqrt abs tanh sinh cosh "
            "arctan. Example: (1-x)^2 + 100*(y-x^2)^2",
        )
        low_column, high_column = st.columns(2)
        with low_column:
            self.number("xmin", "x from", step=1.0)
            self.number("ymin", "y from", step=1.0)
        with high_column:
            self.number("xmax", "x to", step=1.0)
            self.number("ymax", "y to", step=1.0)
        return function_choice(self.values())

    def _valley_inputs(self) -> None:
        """The conditioning lab's κ and θ; a new θ turns the start with the valley, where the page
        has a start."""

        def turned_start(settings: dict) -> dict:
            if "x0" not in self.params:
                return {}
            x0, y0 = quadratic_valley(settings["kappa"], settings["theta"]).start
            return {"x0": x0, "y0": y0}

        self.ladder("kappa", "Condition number κ (steep ÷ flat)", also=turned_start)
        self.ladder("theta", "Valley angle θ (degrees)", also=turned_start)

    def file_message_pending(self) -> bool:
        """Whether a loaded or refused settings file has a message to show (keep its expander open)."""
        return self.key("_upload_messages") in st.session_state

    def file_controls(self) -> None:
        """ "Download settings" (JSON of every setting) and "Load settings" (validated upload).

        A loaded file is applied by the next full run's ``bind``, never by the run the upload
        starts: inside a fragment, that run redraws the fragment's widgets with the bounds of the
        last full run (a slider bounded by 120 steps given a file's 1000 steps), so it keeps the
        old settings and asks for a full run instead.
        """
        uploader_key = self.key("_upload")
        message_key = self.key("_upload_messages")

        def load() -> None:
            upload = st.session_state.get(uploader_key)
            if upload is None:
                return
            settings, problems = self.schema.parse_document(upload.getvalue(), self.page)
            if settings is None:
                listed = "".join(f"\n- {problem}" for problem in problems)
                st.session_state[message_key] = ("error", f"{quote_user_text(upload.name)} was not loaded:\n{listed}")
                return
            st.session_state[self._loaded_key] = settings
            st.session_state[message_key] = ("success", f"Loaded the settings from {quote_user_text(upload.name)}.")

        current = self.current()
        st.download_button(
            "Download settings (JSON)",
            # built on click from the store as it is then: the button is not redrawn by a fragment's run
            data=lambda: self.schema.to_document(current(), self.page),
            file_name=f"rmsprop-lab_{self.page}_settings.json",
            mime="application/json",
            on_click="ignore",
            key=self.key("_download_settings"),
            icon=":material/save:",
        )
        st.file_uploader("Load settings (JSON)", type=["json"], key=uploader_key, on_change=load, max_upload_size=1)
        if self._loaded_key in st.session_state:
            # loaded settings touch widgets everywhere on the page (sidebar included): bind applies
            # them on a full run, and the message is shown on that run
            st.rerun()
        if message_key in st.session_state:
            kind, message = st.session_state.pop(message_key)
            (st.error if kind == "error" else st.success)(message)


MARKDOWN_SPECIALS = str.maketrans({char: "\\" + char for char in "\\`*_[]<>|~$"})


def markdown_table(columns: dict[str, list[str]]) -> str:
    """A table of text as Markdown, every cell shown as it is (Markdown's characters escaped).
    Cheaper than ``st.table``, which goes through a pandas DataFrame and Arrow on every run (and
    imports pandas, about 0.7 s, on a server's first run)."""

    def row(cells) -> str:
        return "| " + " | ".join(str(cell).translate(MARKDOWN_SPECIALS) for cell in cells) + " |"

    header = list(columns)
    lines = [row(header), "|" + "---|" * len(header)]
    lines += [row(cells) for cells in zip(*columns.values(), strict=True)]
    return "\n".join(lines)


def show_notices(notices: list[str]) -> None:
    for notice in notices:
        st.warning(notice, icon=":material/warning:")


def function_title(choice: FunctionChoice, objective) -> str:
    """The function's name for Markdown: a catalogue title, or the user's formula as a code span."""
    return objective.title if choice.formula is None else quote_user_text(choice.formula, MAX_FORMULA_LENGTH)


def resolve_function(choice: FunctionChoice):
    """The chosen function's Objective; a formula that cannot be used shows why and stops the run
    here (the store keeps every setting, so nothing the user set is lost)."""
    try:
        return runs.objective_for(choice)
    except FormulaError as error:
        st.error(
            f"This formula cannot be used: {quote_user_text(str(error), 240)}. Edit it in the sidebar.",
            icon=":material/edit:",
        )
        st.stop()
