"""Library conventions: the same problem under PyTorch, Keras 3, optax, TensorFlow 1 and the lesson."""

import numpy as np
import streamlit as st

from rmsprop_core import CONVENTIONS, optimize
from rmsprop_core.objectives import scaled
from rmsprop_lab import figures
from rmsprop_lab import panels as ui
from rmsprop_lab.live_chart import live_chart
from rmsprop_lab.options import LR_OPTIONS, log_ladder

ui.ensure_routed()

PAGE = "conventions"
SCALE_OPTIONS = log_ladder(-8, 2, 1)


def key(name: str) -> str:
    return ui.widget_key(PAGE, name)


DEFAULTS = {"objective": "rosenbrock", "lr": 0.005, "steps": 500, "scale": 1.0, "reference": "the lesson"}
for name, value in DEFAULTS.items():
    st.session_state.setdefault(key(name), value)

with st.sidebar:
    st.subheader("Problem")
    choice = ui.function_inputs(key)
    ui.ladder_slider("Learning rate α (same for all)", LR_OPTIONS, key("lr"))
    st.number_input("Steps", min_value=1, max_value=5000, step=100, key=key("steps"))
    ui.ladder_slider(
        "Scale the function by",
        SCALE_OPTIONS,
        key("scale"),
        help="Multiplies f, and so every gradient. Small gradients are where ε and the accumulator's start matter.",
    )
    st.selectbox("Measure distances from", list(CONVENTIONS), key=key("reference"))

base = choice.resolve()
scale = float(st.session_state[key("scale")])
objective = scaled(base, scale)
lr, steps = float(st.session_state[key("lr")]), int(st.session_state[key("steps")])

st.title("Why does my PyTorch run differ from my Keras run?")
st.markdown(
    "All five run RMSProp on the same function with the same learning rate and their own defaults. "
    "They differ in three places: the decay rate's default, where ε goes (outside or inside the square "
    "root), and where the running average *s* starts (0, or 1 in TensorFlow 1). When gradients are large, "
    "ε is negligible and the paths agree. **Scale the function down** (sidebar) and ε inside the square "
    "root, or an accumulator that starts at 1, changes the steps completely."
)


@st.cache_data(max_entries=64, show_spinner=False)
def run_conventions(choice: ui.FunctionChoice, scale: float, lr: float, steps: int):
    objective = scaled(choice.objective(), scale)
    runs = {}
    for name, convention in CONVENTIONS.items():
        trajectory = optimize(convention.optimizer(lr), objective, objective.start, steps)
        runs[name] = (trajectory.points, trajectory.losses, int(trajectory.diverged_at))
    return runs


runs = run_conventions(choice, scale, lr, steps)
paths = [
    figures.PathData(name, figures.SERIES_COLOURS[i], points, losses, diverged)
    for i, (name, (points, losses, diverged)) in enumerate(runs.items())
]
st.latex(f"{scale:g} \\times \\left({base.latex.removeprefix('f(x, y) = ')}\\right)" if scale != 1 else base.latex)
live_chart(
    figures.contour_figure(
        ui.surface_cached(choice.name, 400, scale, formula=choice.formula, domain=choice.domain),
        paths,
        height=520,
        uirevision=f"conventions-{choice}",
    ),
    key="conventions_paths",
)

reference = st.session_state[key("reference")]
reference_points = runs[reference][0]
series = []
for path in paths:
    if path.label == reference:
        continue
    distance = np.linalg.norm(path.points - reference_points, axis=1)
    series.append(
        figures.Series(path.label, path.colour, np.arange(len(distance)), np.maximum(distance, np.finfo(float).tiny))
    )
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
            f"{np.linalg.norm(runs[name][0][-1] - reference_points[-1]):.3g}" for name in CONVENTIONS
        ],
    }
)
st.caption("; ".join(f"{c.name}: {c.source}" for c in CONVENTIONS.values()) + ".")
