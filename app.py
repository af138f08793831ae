"""RMSProp Lab: the entry point and router (``streamlit run app.py``)."""

import streamlit as st

st.set_page_config(page_title="RMSProp Lab", page_icon="📉", layout="wide", initial_sidebar_state="auto")

navigation = st.navigation(
    {
        "Explore": [
            st.Page(
                "pages/compare.py",
                title="Compare optimizers",
                icon=":material/compare_arrows:",
                default=True,
                url_path="compare",
            ),
        ],
        "Learn": [
            st.Page("pages/lesson.py", title="The RMSProp lesson", icon=":material/school:", url_path="lesson"),
            st.Page("pages/anatomy.py", title="Update anatomy", icon=":material/biotech:", url_path="anatomy"),
            st.Page("pages/decay.py", title="Decay-rate explorer", icon=":material/tune:", url_path="decay"),
            st.Page("pages/mission.py", title="Space mission", icon=":material/rocket_launch:", url_path="mission"),
        ],
    }
)
navigation.run()
