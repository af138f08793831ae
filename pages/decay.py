"""Decay-rate explorer: several rho (gamma) values at once, one broadcast engine run."""

import numpy as np
import streamlit as st

from rmsprop_core import RMSProp, optimize
from rmsprop_core.metrics import steps_to_tolerance
from rmsprop_lab import figures
from rmsprop_lab import panels as ui
from rmsprop_lab.live_chart import live_chart
from rmsprop_lab.options import EPS_OPTIONS, LR_OPTIONS, RHO_OPTIONS, TOLERANCE_OPTIONS, story_defaults

ui.ensure_routed()

PAGE = "decay"
DEFAULT_RHOS = [0.5, 0.9, 0.99, 0.999]
MAX_RHOS = len(figures.SERIES_COLOURS)


def key(name: str) -> str:
    return ui.widget_key(PAGE, name)


DEFAULTS = {
    "objective": "ellipse",
    "rhos": DEFAULT_RHOS,
    "lr": story_defaults("ellipse")["rms_lr"],
    "eps": 1e-6,
    "steps": 300,
    "tol": 1e-3,
    "gamma": False,
}
for name, value in DEFAULTS.items():
    st.session_state.setdefault(key(name), value)


def follow_objective() -> None:
    name = st.session_state[key("objective")]
    st.session_state[key("lr")] = story_defaults(name)["rms_lr"]
    st.session_state[key("steps")] = int(story_defaults(name)["steps"])


with st.sidebar:
    st.subheader("Run")
    choice = ui.function_inputs(key, on_change=follow_objective)
    st.toggle("Call it γ (gamma)", key=key("gamma"), help="Same parameter, another common name.")
    symbol = "γ" if st.session_state[key("gamma")] else "ρ"
    st.multiselect(
        f"Decay rates {symbol}", RHO_OPTIONS, key=key("rhos"), max_selections=MAX_RHOS, format_func=lambda v: f"{v:g}"
    )
    ui.ladder_slider("Learning rate α", LR_OPTIONS, key("lr"))
    ui.ladder_slider("Epsilon ε", EPS_OPTIONS, key("eps"))
    st.number_input("Steps", min_value=1, max_value=5000, step=50, key=key("steps"))
    ui.ladder_slider("Tolerance (f − f* ≤ tol)", TOLERANCE_OPTIONS, key("tol"))

objective = choice.resolve()
rhos = sorted(st.session_state[key("rhos")])
lr, eps = st.session_state[key("lr")], st.session_state[key("eps")]
steps, tolerance = int(st.session_state[key("steps")]), st.session_state[key("tol")]

st.title(f"Decay-rate explorer: what {symbol} does")
st.markdown(
    f"""
RMSProp's {symbol} sets how long the running average of squared gradients remembers: about
1 / (1 − {symbol}) steps. Low values follow the latest gradients closely, so step sizes jump
around. High values react slowly, which is steady, but they keep using the gradient sizes of long
ago. **ρ, γ, α and decay are the same parameter** under different names: the lesson and Keras say
`rho`, PyTorch says `alpha` (default 0.99), optax and TensorFlow 1 say `decay` (0.9), and Hinton's
original lecture and many courses say γ.
"""
)
if not rhos:
    st.info(f"Pick at least one {symbol} value in the sidebar.")
    st.stop()


@st.cache_data(max_entries=64, show_spinner=False)
def rho_family(choice: ui.FunctionChoice, rhos: tuple, lr: float, eps: float, steps: int):
    """All rho values in one broadcast engine call."""
    objective = choice.objective()
    starts = np.broadcast_to(np.array(objective.start, dtype=float), (len(rhos), 2))
    trajectory = optimize(RMSProp(lr=lr, rho=np.array(rhos), eps=eps), objective, starts, steps)
    return trajectory.points, trajectory.losses, trajectory.state["step_size"], trajectory.diverged_at


points, losses, step_sizes, diverged = rho_family(choice, tuple(rhos), lr, eps, steps)
reached = steps_to_tolerance(losses, objective.min_value, tolerance)
labels = [f"{symbol} = {rho:g}" for rho in rhos]
colours = [figures.SERIES_COLOURS[i] for i in range(len(rhos))]
paths = [
    figures.PathData(labels[i], colours[i], points[:, i], losses[:, i], int(diverged[i])) for i in range(len(rhos))
]

for label, at in zip(labels, diverged, strict=True):
    if at >= 0:
        st.error(f"{label} diverged at step {int(at)}.")

st.latex(objective.latex)
surface = ui.surface_cached(choice.name, 400, formula=choice.formula, domain=choice.domain)
live_chart(
    figures.contour_figure(surface, paths, height=520, uirevision=f"decay-{choice}"),
    key="decay_paths",
)

loss_column, bar_column = st.columns(2)
with loss_column:
    live_chart(
        figures.loss_figure(paths, objective.min_value, uirevision=objective.name),
        key="decay_loss",
    )
with bar_column:
    if objective.min_value is None:
        st.info("This function has no minimum, so there is no tolerance to reach.")
    else:
        heights = [int(r) if r >= 0 else steps for r in reached]
        notes = [str(int(r)) if r >= 0 else "not reached" for r in reached]
        live_chart(
            figures.bar_figure(
                labels, heights, colours, title=f"Steps to f − f* ≤ {tolerance:g}", y_title="steps", notes=notes
            ),
            key="decay_bars",
        )

series = []
for i, label in enumerate(labels):
    steps_axis = np.arange(1, steps + 1)
    series.append(figures.Series(f"{label}: x", colours[i], steps_axis, step_sizes[1:, i, 0]))
    series.append(figures.Series(f"{label}: y", colours[i], steps_axis, step_sizes[1:, i, 1], "dot"))
live_chart(
    figures.line_figure(
        series,
        title="Effective step size α / (√s + ε) over time (x solid, y dotted)",
        y_title="log scale",
        log_y=True,
        height=360,
    ),
    key="decay_step_size",
)
st.table(
    {
        symbol: [f"{rho:g}" for rho in rhos],
        f"memory ≈ 1 / (1 − {symbol}) steps": ["∞" if rho == 1 else f"{1 / (1 - rho):.4g}" for rho in rhos],
        "steps to tolerance": [str(int(r)) if r >= 0 else "not reached" for r in reached],
        "final loss": ["—" if d >= 0 else f"{losses[-1, i]:.6g}" for i, d in enumerate(diverged)],
    }
)
