"""Decay-rate explorer: several rho (gamma) values at once, one broadcast engine run.

The function, the name of the parameter and the steps live in the sidebar and rerun the page;
the rates, α, ε, the tolerance and everything they change are one fragment, so moving one of
them reruns and redraws only that part.
"""

import numpy as np
import streamlit as st

from rmsprop_core.metrics import steps_to_settle, steps_to_tolerance
from rmsprop_lab import figures, presentation, runs
from rmsprop_lab.controls import PageSettings, markdown_table, resolve_function, show_notices
from rmsprop_lab.internals import ensure_routed
from rmsprop_lab.live_chart import live_chart
from rmsprop_lab.schemas import DECAY

ensure_routed()

settings = PageSettings(DECAY, "decay")
notices = settings.bind()
presentation.switch(settings)
with st.sidebar:
    st.subheader("Run")
    choice = settings.function_inputs()
    settings.toggle("gamma", "Call it γ (gamma)", help="Same parameter, another common name.")
    symbol = "γ" if settings["gamma"] else "ρ"
    settings.number("steps", "Steps", step=50)

show_notices(notices)
objective = resolve_function(choice)
steps = int(settings["steps"])

st.title(f"Decay-rate explorer: what {symbol} does")
st.markdown(
    f"""
RMSProp's {symbol} sets how long the running average of squared gradients remembers: about
1 / (1 − {symbol}) steps. Low values follow the latest gradients closely, so step sizes jump
around. High values react slowly, which is steady, but they keep using the gradient sizes of long
ago. **ρ, γ, PyTorch's argument `alpha` and `decay` are one parameter** under different names: the
lesson and Keras say `rho`, PyTorch's `RMSprop` takes it as `alpha` (default 0.99; not the learning
rate α), optax and TensorFlow 1 say `decay` (0.9), and Hinton's original lecture and many courses say γ.
"""
)


@st.fragment
def decay_lab(choice, objective, symbol: str, steps: int) -> None:
    rates_column, lr_column, eps_column, tol_column = st.columns([2, 1, 1, 1])
    with rates_column:
        settings.multiselect("rhos", f"Decay rates {symbol}")
    with lr_column:
        settings.ladder("lr", "Learning rate α")
    with eps_column:
        settings.ladder("eps", "Epsilon ε")
    with tol_column:
        settings.ladder("tol", "Tolerance (f − f* ≤ tol)")
    settings.publish()
    rhos = list(settings["rhos"])
    if not rhos:
        st.info(f"Pick at least one {symbol} value above.")
        return
    decay_charts(choice, objective, symbol, rhos, steps)


def decay_charts(choice, objective, symbol: str, rhos: list, steps: int) -> None:
    lr, eps, tolerance = settings["lr"], settings["eps"], settings["tol"]
    family = runs.decay_family(choice, tuple(rhos), lr, eps, steps)
    points, losses, step_sizes, diverged = family.points, family.losses, family.step_sizes, family.diverged_at
    reached = steps_to_tolerance(losses, objective.min_value, tolerance)
    settled = steps_to_settle(losses, objective.min_value, tolerance)
    labels = [f"{symbol} = {rho:g}" for rho in rhos]
    colours = [figures.SERIES_COLOURS[i] for i in range(len(rhos))]
    paths = [
        figures.PathData(labels[i], colours[i], points[:, i], losses[:, i], int(diverged[i])) for i in range(len(rhos))
    ]

    for label, at in zip(labels, diverged, strict=True):
        if at >= 0:
            st.error(f"{label} diverged at step {int(at)}.")

    surface = runs.surface(choice, 400)
    live_chart(
        figures.contour_figure(surface, paths, height=520, uirevision=f"decay-{choice}"),
        key="decay_paths",
        present_room_above=presentation.CONTROLS_ROW_PX,
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
            heights = [int(r) if r >= 0 else steps for r in settled]
            notes = [str(int(r)) if r >= 0 else "not settled" for r in settled]
            live_chart(
                figures.bar_figure(
                    labels,
                    heights,
                    colours,
                    title=f"Steps to settle: f − f* ≤ {tolerance:g} to the end",
                    y_title="steps",
                    notes=notes,
                    hatched=[r < 0 for r in settled],
                ),
                key="decay_bars",
            )

    series = []
    for i, label in enumerate(labels):
        steps_axis = np.arange(1, steps + 1)
        series.append(figures.Series(f"{label}: x", colours[i], steps_axis, step_sizes[1:, i, 0], group=label))
        series.append(figures.Series(f"{label}: y", colours[i], steps_axis, step_sizes[1:, i, 1], "dot", group=label))
    live_chart(
        figures.line_figure(
            series,
            title="Step size α / (√s + ε): x solid, y dotted",
            y_title="log scale",
            log_y=True,
            height=360,
        ),
        key="decay_step_size",
    )
    st.markdown(
        markdown_table(
            {
                symbol: [f"{rho:g}" for rho in rhos],
                f"memory ≈ 1 / (1 − {symbol}) steps": ["∞" if rho == 1 else f"{1 / (1 - rho):.4g}" for rho in rhos],
                "steps to settle": [str(int(r)) if r >= 0 else "not settled" for r in settled],
                "first touch": [str(int(r)) if r >= 0 else "not reached" for r in reached],
                "final loss": ["—" if d >= 0 else f"{losses[-1, i]:.6g}" for i, d in enumerate(diverged)],
            }
        )
    )


st.latex(objective.latex)  # the function's formula is no part of the fragment: a press does not redraw it
decay_lab(choice, objective, symbol, steps)
