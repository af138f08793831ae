"""The RMSProp lesson, live: the idea, the formulas, the worked example, and where it simplifies."""

import numpy as np
import streamlit as st

from rmsprop_core import RMSProp
from rmsprop_core.lesson import LESSON, lesson_output_lines
from rmsprop_core.metrics import steps_to_settle, steps_to_tolerance
from rmsprop_lab import figures, presentation, runs
from rmsprop_lab.controls import PageSettings, show_notices
from rmsprop_lab.internals import ensure_routed
from rmsprop_lab.live_chart import live_chart
from rmsprop_lab.options import RHO_ONE
from rmsprop_lab.schemas import LESSON_EXERCISES, LESSON_PAGE

ensure_routed()

BOWL = runs.FunctionChoice("bowl")
RHO_FAMILY = (0.5, 0.9, 0.99, 0.999)
HONESTY_TOLERANCE = 1e-6
HONESTY_STEPS = 3000
#: the gradient noise of the g² chart: on the bowl the exact g² only falls smoothly, a mini-batch's jumps
MINI_BATCH_NOISE = 1.0

settings = PageSettings(LESSON_PAGE, "lesson")
notices = settings.bind()
presentation.switch(settings)


def reset_to_lesson() -> None:
    settings.update(LESSON_PAGE.defaults())


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
show_notices(notices)


@st.fragment
def lesson_lab() -> None:
    """The live example and the running-average chart: every control of the page and all it changes."""
    controls, output = st.columns([1, 2.2], gap="large")
    with controls:
        settings.ladder("lr", "Learning rate α")
        settings.ladder("rho", "Decay rate ρ")
        settings.ladder("eps", "Epsilon ε")
        # one row of columns per pair, so that a phone stacks them in reading order
        for (first, first_label, first_step), (second, second_label, second_step) in (
            (("x0", "Start x", 0.5), ("y0", "Start y", 0.5)),
            (("updates", "Updates", 10), ("every", "Print every", 5)),
        ):
            left, right = st.columns(2)
            with left:
                settings.number(first, first_label, step=first_step)
            with right:
                settings.number(second, second_label, step=second_step)
        st.button("Back to the lesson's settings", on_click=reset_to_lesson, key=settings.key("reset"))

    current = settings.values()
    spec = RMSProp(lr=current["lr"], rho=current["rho"], eps=current["eps"])
    result = runs.path(spec, BOWL, (current["x0"], current["y0"]), int(current["updates"]))

    with output:
        # the lesson prints the point after update e + 1 as "Epoch e"; lesson_output_lines does the same
        printed = lesson_output_lines(result, int(current["every"]))
        st.code("\n".join(printed), language="text")
        if current == LESSON_PAGE.defaults():
            st.success(
                "These are the lesson's settings: the lines above are its printed output, character for character."
            )
        if result.diverged_at >= 0:
            st.error(f"Diverged at update {result.diverged_at}: the later lines show nan.")
        epochs = list(range(0, len(result.points) - 1, int(current["every"])))
        st.table(
            {
                "epoch": epochs,
                "x": [f"{result.points[e + 1, 0]:.8g}" for e in epochs],
                "y": [f"{result.points[e + 1, 1]:.8g}" for e in epochs],
                "f(x, y)": [f"{result.losses[e + 1]:.6g}" for e in epochs],
            }
        )

    surface = runs.surface(BOWL, 300)
    live_chart(
        figures.contour_figure(surface, [result.path()], height=480, uirevision="lesson"),
        key="lesson_path",
    )

    st.subheader("Where the lesson simplifies")
    st.markdown(
        f"""
    **ρ is not a momentum parameter.** The lesson calls ρ "the momentum parameter". Momentum
    averages the *gradients* and moves along that average. RMSProp's ρ averages the *squared*
    gradients and only decides how big the step is. It never changes the step's direction: each
    coordinate still moves against its own current gradient. ρ is the decay rate of that average.
    PyTorch calls it `alpha`, Keras `rho`, optax `decay`, and many courses `gamma`. Below, the x
    coordinate of the run above with noisy gradients (σ = {MINI_BATCH_NOISE:g}, as a mini-batch gives them):
    g² jumps around from step to step, while s follows it smoothly, with a memory of about
    1 / (1 − ρ) steps.
    """
    )
    noisy = runs.path(spec, BOWL, (current["x0"], current["y0"]), int(current["updates"]), noise=MINI_BATCH_NOISE)
    if current["rho"] < 1:
        steps_axis = np.arange(1, len(noisy.points))
        s_x = noisy.state["s"][:, 0]
        # the g² the optimizer saw (noise included), from its own update s = ρ·s_prev + (1 − ρ)·g²
        g2_x = (s_x[1:] - current["rho"] * s_x[:-1]) / (1 - current["rho"])
        live_chart(
            figures.line_figure(
                [
                    figures.Series("g² (x coordinate)", figures.SERIES_COLOURS[0], steps_axis, g2_x, "dot"),
                    figures.Series("s, its running average", figures.colour_for("rmsprop"), steps_axis, s_x[1:]),
                ],
                title="g² and its running average s (x coordinate)",
                y_title="log scale",
                log_y=True,
            ),
            key="lesson_average",
        )
    else:
        st.info(f"{RHO_ONE}: pick ρ < 1 to see it average g².")
    settings.publish()


lesson_lab()


def steps_by_rho(lr: float) -> tuple[list[int], list[int]]:
    """First touch of f <= 1e-6 and settling there, on the lesson's bowl from its start (5, 4), per
    rho, from the Decay explorer's one broadcast run."""
    losses = runs.decay_family(BOWL, RHO_FAMILY, lr, LESSON.epsilon, HONESTY_STEPS).losses
    touch = steps_to_tolerance(losses, 0.0, HONESTY_TOLERANCE)
    settle = steps_to_settle(losses, 0.0, HONESTY_TOLERANCE)
    return [int(v) for v in touch], [int(v) for v in settle]


def describe(steps: int) -> str:
    return str(steps) if steps >= 0 else f"not within {HONESTY_STEPS}"


st.markdown(
    """
**A higher ρ is not always faster.** The lesson says a higher ρ converges faster. Here is what
the engine measures on the lesson's own bowl, starting from (5, 4), for two learning rates: the
first update with f(x, y) ≤ 10⁻⁶, and the update after which f stays there.
"""
)
(lesson_touch, lesson_settle), (smaller_touch, smaller_settle) = steps_by_rho(0.1), steps_by_rho(0.05)
st.table(
    {
        "ρ": [f"{rho:g}" for rho in RHO_FAMILY],
        "α = 0.1 (the lesson's): first reaches f ≤ 1e-6": [describe(s) for s in lesson_touch],
        "α = 0.1: stays there from": [describe(s) for s in lesson_settle],
        "α = 0.05: first reaches f ≤ 1e-6": [describe(s) for s in smaller_touch],
        "α = 0.05: stays there from": [describe(s) for s in smaller_settle],
    }
)
slower = [
    (RHO_FAMILY[i], RHO_FAMILY[i + 1], smaller_touch[i], smaller_touch[i + 1])
    for i in range(len(RHO_FAMILY) - 1)
    if 0 <= smaller_touch[i] < smaller_touch[i + 1]
]
circling = [
    rho for rho, touch, settle in zip(RHO_FAMILY, lesson_touch, lesson_settle, strict=True) if settle < 0 <= touch
]
if slower:
    low, high, low_steps, high_steps = slower[0]
    st.info(
        f"With α = 0.05, raising ρ from {low:g} to {high:g} makes RMSProp **slower** to reach 10⁻⁶: "
        f"{high_steps} updates instead of {low_steps}. And ρ = {RHO_FAMILY[0]:g} never gets there at "
        "either learning rate. How ρ affects speed depends on the function, α, and the start; no "
        "simple rule holds for all of them.",
        icon=":material/search:",
    )
if circling:
    st.info(
        f"With the lesson's α = 0.1, ρ = {', '.join(f'{rho:g}' for rho in circling)} reach 10⁻⁶ and then "
        "leave it again: with a constant α, RMSProp keeps taking steps of about α even at the minimum, "
        "so it circles the minimum instead of settling, unless a long memory (large ρ) keeps s large "
        "after the gradients have shrunk. A decaying α, or a larger ε, lets it settle.",
        icon=":material/replay:",
    )

st.subheader("Practise: the lesson's five exercises")
for number, (title, task, page_name, query) in enumerate(LESSON_EXERCISES, start=1):
    title_column, link_column = st.columns([3, 1], vertical_alignment="center")
    title_column.markdown(f"**{number}. {title}**  \n{task}")
    with link_column:
        st.page_link(f"pages/{page_name}.py", label="Open it", icon=":material/arrow_forward:", query_params=query)
