"""The app's only reaches into Streamlit's internals, each documented and covered by a browser test.

Every page imports this module first, so ``keep_shared_caches`` is in place from the first run on.
"""

from __future__ import annotations

import streamlit as st


def ensure_routed() -> None:
    """Make sure this page runs under app.py's ``st.navigation``, even on a deep link.

    Streamlit keeps a process-wide flag, set when a ``pages/`` folder exists and cleared the first
    time ``st.navigation`` runs. If the very first request a fresh server gets is a deep link
    (``/sweep``), its MPA-v1 fallback runs ``pages/sweep.py`` directly, without app.py (no
    navigation menu, no page config), and the flag then stays set for every later session.
    Clearing it and rerunning sends this session through app.py, whose navigation resolves the
    URL to the same page. (Checked against Streamlit 1.67's runtime/pages_manager.py; the browser
    test ``test_deep_link_as_a_fresh_servers_first_request_is_routed`` fails if an upgrade changes it.)
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


SIDEBAR_BUTTON_LABEL = "Function & settings"
#: what a phone shows above a table wider than its screen
TABLE_SCROLL_HINT = "Swipe the table sideways for its other columns →"
#: a screen narrower than this is a phone's (a tablet in portrait is 768 px or more)
PHONE_MAX_WIDTH_PX = 640


def phone_styles() -> None:
    """Two styles for a phone, on Streamlit's own elements:

    - what the collapsed sidebar holds, written beside its "»" button (on a phone the sidebar starts
      collapsed, and the function picker was behind an unlabelled "»"): Streamlit draws that button
      with ``data-testid="stExpandSidebarButton"`` and no visible text, and the style adds the label
      after its icon;
    - a Markdown table wider than the page scrolls sideways in its ``stMarkdownContainer``: Streamlit
      leaves it overflowing into a clipped column, and the results' last columns were out of reach;
      its cells do not wrap (a phone split "1.93857e-06" after the minus sign), and on a phone a
      results table (four columns or more, wider than the screen) says above it that it scrolls,
      as touch screens draw no scroll bar until one swipes.

    (Checked against Streamlit 1.67's frontend; ``test_on_a_phone_the_sidebar_button_says_what_it_opens``
    and ``test_on_a_phone_a_wide_table_scrolls_sideways`` fail if an upgrade changes them.)
    """
    st.html(
        f"""<style>
[data-testid="stExpandSidebarButton"] {{ width: auto; gap: 0.25rem; padding-right: 0.5rem; }}
[data-testid="stExpandSidebarButton"]::after {{ content: "{SIDEBAR_BUTTON_LABEL}"; font-size: 0.875rem; }}
[data-testid="stMarkdownContainer"]:has(> table) {{ overflow-x: auto; }}
[data-testid="stMarkdownContainer"] > table td {{ white-space: nowrap; }}
@media (max-width: {PHONE_MAX_WIDTH_PX}px) {{
  [data-testid="stMarkdownContainer"]:has(> table th:nth-child(4))::before {{
    content: "{TABLE_SCROLL_HINT}"; display: block; position: sticky; left: 0;
    font-size: 0.8rem; color: rgba(49, 51, 63, 0.6); margin-bottom: 0.25rem;
  }}
}}
</style>"""
    )


def keep_shared_caches() -> None:
    """Make a browser's "clear cache" request clear only that browser's own session state.

    Streamlit's ``AppSession.handle_backmsg`` answers a ``clear_cache`` BackMsg from any client with
    ``_handle_clear_cache_request``, which clears ``st.cache_data`` and ``st.cache_resource`` for
    every user of the server. The viewer toolbar hides the menu item, not the message: one crafted
    WebSocket frame would make every session recompute everything. The replacement keeps the
    session-state part only. Idempotent, process-wide. (Checked against Streamlit 1.67's
    runtime/app_session.py; ``test_a_clear_cache_request_leaves_the_shared_caches`` sends the
    request to a served app.)
    """
    from streamlit.runtime.app_session import AppSession

    AppSession._handle_clear_cache_request = _clear_own_session_state


def _clear_own_session_state(session) -> None:
    session._session_state.clear()


keep_shared_caches()
