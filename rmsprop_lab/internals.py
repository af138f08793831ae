"""The app's only reaches into Streamlit's internals, each documented and covered by a browser test."""

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
