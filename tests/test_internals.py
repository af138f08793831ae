"""The app's reaches into Streamlit's internals, as units (their browser tests serve the app)."""

from __future__ import annotations

from types import MethodType, SimpleNamespace

import streamlit as st
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.runtime.app_session import AppSession

import rmsprop_lab.internals  # noqa: F401 - importing it is what every page does


def test_a_clear_cache_request_clears_only_the_senders_session_state():
    """Issue 11: Streamlit answers any client's clear_cache BackMsg by clearing st.cache_data and
    st.cache_resource for every user; it now clears the sender's own session state only."""
    computed = []

    @st.cache_resource
    def shared_resource(n):
        computed.append(("resource", n))
        return n

    @st.cache_data
    def shared_data(n):
        computed.append(("data", n))
        return n

    shared_resource(1), shared_data(1)
    own_state = {"compare._settings": {"rho": 0.99}}
    session = SimpleNamespace(_session_state=own_state)
    # the request goes through Streamlit's own dispatch, as a browser's would
    session._handle_clear_cache_request = MethodType(AppSession._handle_clear_cache_request, session)
    AppSession.handle_backmsg(session, BackMsg(clear_cache=True))
    assert own_state == {}
    shared_resource(1), shared_data(1)
    assert computed == [("resource", 1), ("data", 1)], "the shared caches were cleared"
