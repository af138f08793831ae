"""RMSProp Lab: the entry point and router (``streamlit run app.py``)."""

import streamlit as st

st.set_page_config(page_title="RMSProp Lab", page_icon="📉", layout="wide", initial_sidebar_state="auto")

navigation = st.navigation(
    [
        st.Page(
            "pages/compare.py",
            title="Compare optimizers",
            icon=":material/compare_arrows:",
            default=True,
            url_path="compare",
        ),
    ]
)
navigation.run()
