"""Library conventions: the same problem under PyTorch, Keras 3, optax, TensorFlow 1 and the lesson.

The function and the steps live in the sidebar and rerun the page; the learning rate, the scale and
the reference path sit above the charts in one fragment with everything they change.
"""

import math
from dataclasses import replace

import numpy as np
import streamlit as st

from rmsprop_core import CONVENTIONS
from rmsprop_lab import figures, presentation, runs
from rmsprop_lab.controls import PageSettings, resolve_function, show_notices
from rmsprop_lab.internals import ensure_routed
from rmsprop_lab.live_chart import live_chart
from rmsprop_lab.schemas import CONVENTIONS_PAGE

ensure_routed()

settings = PageSettings(CONVENTIONS_PAGE, "conventions")
notices = settings.bind()
presentation.switch(settings)
with st.sidebar:
    st.subheader("Problem")
    choice = settings.function_inputs()
    settings.number("steps", "Steps", step=100)

show_notices(notices)
base = resolve_function(choice)

st.title("Why does my PyTorch run differ from my Keras run?")
st.markdown(
    "All five run RMSProp on the same function with the same learning rate and their own defaults. "
    "They differ in three places: the decay rate's default, where ε goes (outside or inside the square "
    "root), and where the running average *s* starts (0, or 1 in TensorFlow 1). When gradients are large, "
    "ε is negligible and the paths agree. **Scale the function down** (below) and ε inside the square "
    "root, or an accumulator that starts at 1, changes the steps completely."
)


def latex_number(value: float) -> str:
    """A scale factor as LaTeX: a power of ten as 10^{k} (not "1e-06", which reads "1e − 06")."""
    exponent = round(math.log10(value))
    return f"10^{{{exponent}}}" if math.isclose(value, 10.0**exponent, rel_tol=1e-12) else f"{value:g}"


@st.fragment
def conventions_lab(choice, base, steps: int) -> None:
    lr_column, scale_column, reference_column = st.columns(3)
    with lr_column:
        settings.ladder("lr", "Learning rate α (same for all)")
    with scale_column:
        settings.ladder(
            "scale",
            "Scale the function by",
            help="Multiplies f, and so every gradient. Small gradients are where ε and the accumulator's start matter.",
        )
    with reference_column:
        settings.selectbox("reference", "Measure distances from")
    settings.publish()
    scale = float(settings["scale"])
    scaled_choice = replace(choice, scale=scale)
    lr = float(settings["lr"])
    results = runs.convention_runs(scaled_choice, lr, steps)
    paths = [
        figures.PathData(name, figures.SERIES_COLOURS[i], result.points, result.losses, result.diverged_at)
        for i, (name, result) in enumerate(results.items())
    ]
    st.latex(
        f"{latex_number(scale)} \\times \\left({base.latex.removeprefix('f(x, y) = ')}\\right)"
        if scale != 1
        else base.latex
    )
    live_chart(
        figures.contour_figure(
            runs.surface(scaled_choice, 400),
            paths,
            height=520,
            uirevision=f"conventions-{choice}",
        ),
        key="conventions_paths",
    )

    reference = settings["reference"]
    reference_points = results[reference].points
    series = []
    for path in paths:
        if path.label == reference:
            continue
        distance = np.linalg.norm(path.points - reference_points, axis=1)
        # a log axis cannot show 0 (step 0, or a path equal to the reference): those steps are gaps
        shown = np.where(distance > 0, distance, np.nan)
        label = path.label if np.isfinite(shown).any() else f"{path.label} (the same path)"
        series.append(figures.Series(label, path.colour, np.arange(len(distance)), shown))
    live_chart(
        figures.line_figure(
            series, title=f"Distance from {reference}'s path, by step", y_title="distance (log)", log_y=True
        ),
        key="conventions_distance",
    )

    st.markdown("##### The update each library computes")
    st.table(
        {
            "library": list(CONVENTIONS),
            "decay rate is called": [c.parameter_name for c in CONVENTIONS.values()],
            "default decay": [f"{c.rho:g}" for c in CONVENTIONS.values()],
            "default ε": [f"{c.eps:g}" for c in CONVENTIONS.values()],
            "update": ["α·g / √(s + ε)" if c.eps_in_sqrt else "α·g / (√s + ε)" for c in CONVENTIONS.values()],
            "s starts at": [f"{c.initial_accumulator:g}" for c in CONVENTIONS.values()],
            "final distance from " + reference: [
                f"{np.linalg.norm(results[name].points[-1] - reference_points[-1]):.3g}" for name in CONVENTIONS
            ],
        }
    )
    st.caption("; ".join(f"{c.name}: {c.source}" for c in CONVENTIONS.values()) + ".")


conventions_lab(choice, base, int(settings["steps"]))
