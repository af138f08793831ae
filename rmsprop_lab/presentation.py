"""Presentation mode, for projecting a page in class: one switch per page (the setting ``present``,
so a link keeps it), drawn at the top of the sidebar by ``switch``.

While it is on: the sidebar starts collapsed, the page's text is larger, every chart is drawn with
larger fonts, thicker lines and larger markers (``figures.projected``), the page's first chart is
as tall as the screen (``live_chart`` does that in the browser, which knows the screen), and the
keyboard drives it: Space plays or pauses the playback, ← / → step it, F shows the chart full screen.
"""

from __future__ import annotations

import streamlit as st

from . import figures

#: The height of a row of sliders just above a page's main chart (``live_chart(present_room_above=...)``):
#: a projector keeps the row on the screen with the chart, so the class sees what the teacher moves.
CONTROLS_ROW_PX = 100

#: A chart narrower than this, in pixels (a phone's; a 4:3 projector's map is about 590), shows its
#: phone variant in presentation mode (``live_chart(narrow=...)``): the mission's map keeps its colour
#: bar under it, where beside it the bar's margin left the map a third as wide, and Compare's side
#: by side goes back to two panels a row.
NARROW_CHART_PX = 480

#: the session's mode and the page that set it: (page, on), kept across reruns and pages
_PRESENTING = "_presentation_mode"

# Streamlit sizes its text in rem: a larger root font enlarges all of it at once. The main block's
# top padding (room for a header that presentation mode does not need) goes to the chart.
_CSS = """<style>
html { font-size: 20px; }
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; max-width: none; }
.live-chart-playback button, .live-chart-playback select, .live-chart-playback span { font-size: 1.25rem; }
.live-chart-playback button { min-width: 3.5rem; min-height: 2.5rem; }
</style>"""


def sidebar_state() -> str:
    """The sidebar's initial state for ``st.set_page_config`` in ``app.py``: the last run's mode,
    so a rerun in presentation mode does not open the sidebar for a moment."""
    return "collapsed" if presenting() else "auto"


def switch(settings) -> bool:
    """The page's presentation-mode switch (its ``PageSettings`` declare ``present``), and the mode
    applied to this run; returns whether it is on. Opening another page from the menu keeps the
    mode (its URL then has no settings); a link's own ``present`` wins."""
    page, was_on = st.session_state.get(_PRESENTING, (settings.page, False))
    if page != settings.page and was_on != settings["present"] and "present" not in settings.arrived_with:
        settings.update({"present": was_on})
    with st.sidebar:
        settings.toggle(
            "present",
            "Presentation mode (projector)",
            help="Larger text, thicker lines, the main chart as large as the screen. Keys: Space plays or "
            "pauses, ← / → step, F full screen. A link keeps it (present=1).",
        )
    on = bool(settings["present"])
    st.session_state[_PRESENTING] = (settings.page, on)
    st.set_page_config(initial_sidebar_state="collapsed" if on else "auto")
    if on:
        st.html(_CSS)
    settings.publish()
    return on


def presenting() -> bool:
    """Whether the page being drawn is in presentation mode."""
    return bool(st.session_state.get(_PRESENTING, ("", False))[1])


def presented(figure: dict) -> dict:
    """``figure`` as this page draws it: projected in presentation mode, as it is otherwise."""
    return figures.projected(figure) if presenting() else figure
