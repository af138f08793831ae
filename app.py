"""RMSProp Lab: the entry point and router (``streamlit run app.py``)."""

import streamlit as st

from rmsprop_lab.chart_component import preload_plotly

# first, before this run imports the engine and the figure builders: on a cold start the first
# chart waits for plotly.js, so its download starts as early as it can
preload_plotly()

from rmsprop_lab import formula_pool  # noqa: E402
from rmsprop_lab.internals import phone_styles  # noqa: E402
from rmsprop_lab.presentation import sidebar_state  # noqa: E402

st.set_page_config(page_title="RMSProp Lab", page_icon="📉", layout="wide", initial_sidebar_state=sidebar_state())
phone_styles()
# users' formulas are read in worker processes; started with the server, they import sympy at once
formula_pool.shared()


def page(script: str, title: str, icon: str, **options) -> st.Page:
    name = script.removesuffix(".py")
    return st.Page(f"pages/{script}", title=title, icon=f":material/{icon}:", url_path=name, **options)


navigation = st.navigation(
    {
        "Explore": [
            page("compare.py", "Compare optimizers", "compare_arrows", default=True),
            page("sweep.py", "Hyperparameter sweep", "grid_on"),
            page("conventions.py", "Library conventions", "menu_book"),
        ],
        "Learn": [
            page("lesson.py", "The RMSProp lesson", "school"),
            page("anatomy.py", "Update anatomy", "biotech"),
            page("decay.py", "Decay-rate explorer", "tune"),
            page("mission.py", "Space mission", "rocket_launch"),
        ],
    }
)
navigation.run()
