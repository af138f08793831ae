"""The RMSProp lesson, live: the idea, the formulas, the worked example, and where it simplifies."""

import numpy as np
import streamlit as st

from rmsprop_core import RMSProp, get_objective, optimize
from rmsprop_core.lesson import LESSON, lesson_output_lines
from rmsprop_core.metrics import steps_to_tolerance
from rmsprop_lab import figures
from rmsprop_lab import panels as ui
from rmsprop_lab.live_chart import live_chart
from rmsprop_lab.options import EPS_OPTIONS, LR_OPTIONS, RHO_OPTIONS

ui.ensure_routed()

PAGE = "lesson"
BOWL = get_objective("bowl")
RHO_FAMILY = (0.5, 0.9, 0.99, 0.999)
HONESTY_TOLERANCE = 1e-6
HONESTY_STEPS = 3000


def key(name: str) -> str:
    return ui.widget_key(PAGE, name)


DEFAULTS = {
    "lr": LESSON.learning_rate,
    "rho": LESSON.rho,
    "eps": LESSON.epsilon,
    "x0": LESSON.start[0],
    "y0": LESSON.start[1],
    "updates": LESSON.max_epochs + 1,
    "every": LESSON.print_every,
}
for name, value in DEFAULTS.items():
    st.session_state.setdefault(key(name), value)


def reset_to_lesson() -> None:
    for name, value in DEFAULTS.items():
        st.session_state[key(name)] = value


st.title("RMSProp, the lesson live")
st.markdown(
    """
**The problem with one learning rate.** Gradient descent moves every weight by the same multiple
α of its gradient. Where the loss is steep in one direction and flat in another, that one α is
either too large for the steep direction (it overshoots and zig-zags) or too small for the flat one
(it crawls). **RMSProp** gives every weight its own step size: it keeps a running average of that
weight's *squared* gradients and divides the step by its square root. Weights with large gradients
take smaller steps, weights with small gradients take larger ones, and each step ends up about α
long in every direction.
"""
)
formula_column, symbols_column = st.columns([1, 1])
with formula_column:
    st.latex(r"s_{dw} \leftarrow \rho\, s_{dw} + (1 - \rho)\, dw^2")
    st.latex(r"w \leftarrow w - \frac{\alpha\, dw}{\sqrt{s_{dw}} + \epsilon}")
with symbols_column:
    st.markdown(
        """
- **w**: the parameters (here the point *(x, y)*); **dw**: the gradient of the loss at *w*.
- $s_{dw}$: the running average of squared gradients, per coordinate, starting at 0.
- **ρ** (rho): the *decay rate* of that average: how much of the old average is kept each step.
- **α** (alpha): the learning rate; **ε** (epsilon): a small constant so we never divide by 0.
- All operations are element-wise: *x* and *y* each have their own *s* and their own step.
"""
    )

st.subheader("The lesson's example, live")
st.caption("f(x, y) = x² + y², started at (5, 4). Change anything and the output and path follow.")
controls, output = st.columns([1, 2.2], gap="large")
with controls:
    ui.ladder_slider("Learning rate α", LR_OPTIONS, key("lr"))
    ui.ladder_slider("Decay rate ρ", RHO_OPTIONS, key("rho"))
    ui.ladder_slider("Epsilon ε", EPS_OPTIONS, key("eps"))
    left, right = st.columns(2)
    left.number_input("Start x", min_value=-6.0, max_value=6.0, step=0.5, key=key("x0"))
    right.number_input("Start y", min_value=-6.0, max_value=6.0, step=0.5, key=key("y0"))
    left.number_input("Updates", min_value=1, max_value=2000, step=10, key=key("updates"))
    right.number_input("Print every", min_value=1, max_value=500, step=5, key=key("every"))
    st.button("Back to the lesson's settings", on_click=reset_to_lesson, key=key("reset"))

settings = {name: st.session_state[key(name)] for name in DEFAULTS}
spec = RMSProp(lr=settings["lr"], rho=settings["rho"], eps=settings["eps"])
result = ui.run(spec, BOWL.name, (settings["x0"], settings["y0"]), int(settings["updates"]))

with output:
    # the lesson prints the point after update e + 1 as "Epoch e"; lesson_output_lines does the same
    printed = lesson_output_lines(result, int(settings["every"]))
    st.code("\n".join(printed), language="text")
    if settings == DEFAULTS:
        st.success("These are the lesson's settings: the lines above are its printed output, character for character.")
    if result.diverged_at >= 0:
        st.error(f"Diverged at update {result.diverged_at}: the later lines show nan.")
    epochs = list(range(0, len(result.points) - 1, int(settings["every"])))
    st.table(
        {
            "epoch": epochs,
            "x": [f"{result.points[e + 1, 0]:.8g}" for e in epochs],
            "y": [f"{result.points[e + 1, 1]:.8g}" for e in epochs],
            "f(x, y)": [f"{result.losses[e + 1]:.6g}" for e in epochs],
        }
    )

surface = ui.surface_cached(BOWL.name, 300)
live_chart(
    figures.contour_figure(surface, [result.path()], height=480, uirevision="lesson"),
    key="lesson_path",
)

st.subheader("Where the lesson simplifies")
st.markdown(
    """
**ρ is not a momentum parameter.** The lesson calls ρ "the momentum parameter". Momentum
averages the *gradients* and moves along that average. RMSProp's ρ averages the *squared*
gradients and only decides how big the step is. It never changes the step's direction: each
coordinate still moves against its own current gradient. ρ is the decay rate of that average.
PyTorch calls it `alpha`, Keras `rho`, optax `decay`, and many courses `gamma`. Below, the x
coordinate of the run above: g² jumps around from step to step, while s follows it smoothly,
with a memory of about 1 / (1 − ρ) steps.
"""
)
steps_axis = np.arange(1, len(result.points))
s_x = result.state["s"][1:, 0]
g2_x = result.grads[:-1, 0] ** 2
live_chart(
    figures.line_figure(
        [
            figures.Series("g² (x coordinate)", figures.SERIES_COLOURS[0], steps_axis, g2_x, "dot"),
            figures.Series("s, its running average", figures.OPTIMIZER_COLOURS["RMSProp"], steps_axis, s_x),
        ],
        title="The squared gradient and its running average s (x coordinate)",
        y_title="log scale",
        log_y=True,
    ),
    key="lesson_average",
)


@st.cache_data(max_entries=16, show_spinner=False)
def steps_by_rho(lr: float) -> list[int]:
    """Steps to reach f <= 1e-6 on the lesson's bowl from (5, 4), one broadcast run for all rhos."""
    rhos = np.array(RHO_FAMILY)
    starts = np.broadcast_to(np.array(LESSON.start), (len(rhos), 2))
    family = optimize(RMSProp(lr=lr, rho=rhos, eps=LESSON.epsilon), BOWL, starts, HONESTY_STEPS)
    return [int(v) for v in steps_to_tolerance(family.losses, BOWL.min_value, HONESTY_TOLERANCE)]


def describe(steps: int) -> str:
    return str(steps) if steps >= 0 else f"not within {HONESTY_STEPS}"


st.markdown(
    """
**A higher ρ is not always faster.** The lesson says a higher ρ converges faster. Here is what
the engine measures on the lesson's own bowl: the number of updates until f(x, y) ≤ 10⁻⁶,
starting from (5, 4), for two learning rates.
"""
)
lesson_lr_steps, smaller_lr_steps = steps_by_rho(0.1), steps_by_rho(0.05)
st.table(
    {
        "ρ": [f"{rho:g}" for rho in RHO_FAMILY],
        "updates to f ≤ 1e-6, α = 0.1 (the lesson's)": [describe(s) for s in lesson_lr_steps],
        "updates to f ≤ 1e-6, α = 0.05": [describe(s) for s in smaller_lr_steps],
    }
)
slower = [
    (RHO_FAMILY[i], RHO_FAMILY[i + 1], smaller_lr_steps[i], smaller_lr_steps[i + 1])
    for i in range(len(RHO_FAMILY) - 1)
    if 0 <= smaller_lr_steps[i] < smaller_lr_steps[i + 1]
]
if slower:
    low, high, low_steps, high_steps = slower[0]
    st.info(
        f"With α = 0.05, raising ρ from {low:g} to {high:g} makes convergence **slower**: "
        f"{high_steps} updates instead of {low_steps}. And ρ = {RHO_FAMILY[0]:g} never gets there at "
        "either learning rate. With a constant α, RMSProp keeps taking steps of about α even at the "
        "minimum, so it circles the minimum instead of settling, unless a long memory (large ρ) keeps "
        "s large after the gradients have shrunk. How ρ affects speed depends on the function, α, "
        "and the start; no simple rule holds for all of them.",
        icon="🔎",
    )
