"""Update anatomy: one RMSProp update at a time, every intermediate value, and a small quiz."""

import numpy as np
import streamlit as st

from rmsprop_core import RMSProp
from rmsprop_core.anatomy import update_anatomy
from rmsprop_core.metrics import finite_points
from rmsprop_lab import figures, presentation, runs
from rmsprop_lab.controls import PageSettings, resolve_function, show_notices
from rmsprop_lab.internals import ensure_routed
from rmsprop_lab.live_chart import live_chart
from rmsprop_lab.options import RHO_ONE
from rmsprop_lab.schemas import ANATOMY

ensure_routed()

QUIZ_RELATIVE_TOLERANCE = 1e-3
settings = PageSettings(ANATOMY, "anatomy")


def first_update(_settings: dict) -> dict:
    return {"step": 1}


def cell(value: float) -> str:
    return f"{value:.6g}"


def move_step(delta: int) -> None:
    settings.update({"step": int(np.clip(settings["step"] + delta, 1, settings["steps"]))})


notices = settings.bind()
presenting = presentation.switch(settings)

st.title("Update anatomy")
st.markdown(
    "RMSProp's update, one step at a time: the gradient *g*, its square, the running average *s* "
    "before and after, the denominator √s + ε, and the step α·g / (√s + ε), for x and y separately. "
    "The arrows show the step RMSProp takes and the step plain SGD with the same α would take."
)

with st.sidebar:
    st.subheader("Run")
    choice = settings.function_inputs(also=first_update)
    settings.ladder("lr", "Learning rate α")
    settings.ladder("rho", "Decay rate ρ")
    settings.ladder("eps", "Epsilon ε")
    settings.number("steps", "Updates to compute", step=10, also=first_update)

show_notices(notices)
objective = resolve_function(choice)
steps = int(settings["steps"])
spec = RMSProp(lr=settings["lr"], rho=settings["rho"], eps=settings["eps"])
trajectory = runs.anatomy_trajectory(choice, spec.lr, spec.rho, spec.eps, steps)


@st.fragment
def update_lab(choice, spec, steps: int, trajectory) -> None:
    """The update picked (slider, Back / Next / Reset), taken apart, and the quiz: moving the
    update reruns only this part."""
    back, forward, restart, slider = st.columns([1, 1, 1, 5], vertical_alignment="bottom")
    back.button("◀ Back", on_click=move_step, args=(-1,), key=settings.key("back"), width="stretch")
    forward.button("Next ▶", on_click=move_step, args=(1,), key=settings.key("next"), width="stretch")
    restart.button("Reset", on_click=settings.update, args=({"step": 1},), key=settings.key("reset"), width="stretch")
    with slider:
        settings.slider("step", "Update number", high=steps)
    step = int(settings["step"])

    if step > int(trajectory.diverged_at) >= 0:
        st.error(f"This run diverged at step {int(trajectory.diverged_at)}; later values are nan.")
    parts = update_anatomy(trajectory, step)

    rows = {
        "g (gradient)": parts.grad,
        "g²": parts.grad_squared,
        "s before (s_prev)": parts.s_prev,
        f"s = {spec.rho:g}·s_prev + {1 - spec.rho:g}·g²": parts.s,
        f"√s + ε  (ε = {spec.eps:g})": parts.denominator,
        "effective step size α / (√s + ε)": parts.effective_step_size,
        "RMSProp step α·g / (√s + ε)": parts.update,
        "SGD step α·g (same α)": parts.sgd_step,
    }
    table_column, figure_column = st.columns([1, 1.6], gap="large")
    with table_column:
        st.markdown(f"##### Update {step}: from ({cell(parts.point[0])}, {cell(parts.point[1])})")
        st.table(
            {"quantity": list(rows), "x": [cell(v[0]) for v in rows.values()], "y": [cell(v[1]) for v in rows.values()]}
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            gradient_ratio = abs(parts.grad[1] / parts.grad[0])
            step_ratio = abs(parts.update[1] / parts.update[0])
        if spec.rho == 1:
            st.warning(
                f"{RHO_ONE}: each step is α·g/ε, huge and in the gradients' own ratio, so nothing is evened "
                "out. Pick ρ < 1.",
                icon=":material/warning:",
            )
        elif np.isfinite(gradient_ratio) and np.isfinite(step_ratio):
            st.info(
                f"The y gradient is {gradient_ratio:.3g}× the x gradient, but RMSProp's y step is "
                f"{step_ratio:.3g}× its x step: dividing by √s, each coordinate's own gradient scale, "
                "evens the steps out. SGD's steps keep the gradients' ratio.",
                icon=":material/balance:",
            )

    with figure_column:
        path = figures.PathData("RMSProp", figures.colour_for("rmsprop"), trajectory.points, trajectory.losses)
        finite = trajectory.points[finite_points(trajectory.points)]
        reach = np.concatenate([finite, [parts.point - parts.sgd_step]])
        reach = reach[finite_points(reach)]
        pad = 0.1 * max(np.ptp(reach[:, 0]), np.ptp(reach[:, 1]), 1e-3)
        view = ((reach[:, 0].min() - pad, reach[:, 0].max() + pad), (reach[:, 1].min() - pad, reach[:, 1].max() + pad))
        # sampled over the zoomed view itself: the whole domain's image, enlarged, drew jagged contours
        surface = runs.surface(choice, 300, view)

        def anatomy_map_with(colourbar_beside: bool, narrow: bool = False) -> dict:
            return figures.anatomy_figure(
                surface,
                path,
                step,
                parts.update,
                parts.sgd_step,
                view_box=view,
                colourbar_beside=colourbar_beside,
                narrow=narrow,
                uirevision=f"{choice}-{steps}",
            )

        live_chart(
            # a projector's chart is wide and short: the colour bar beside the map gives the map its
            # height back (as on the mission's map); a phone's keeps it under the map
            anatomy_map_with(colourbar_beside=presenting),
            key="anatomy_arrows",
            # on a projector, Back / Next / Reset and the step slider above stay on the screen with it
            present_room_above=presentation.CONTROLS_ROW_PX,
            narrow=(presentation.NARROW_CHART_PX, anatomy_map_with(False, narrow=True)) if presenting else None,
        )

    st.subheader("Your turn")
    st.markdown(
        f"Compute update {step + 1} by hand, then check it against the engine. You know s after update {step} "
        f"(the table), the next gradient is g = ({cell(trajectory.grads[step, 0]) if step < steps else '—'}, "
        f"{cell(trajectory.grads[step, 1]) if step < steps else '—'}), ρ = {spec.rho:g}, α = {spec.lr:g}, "
        f"ε = {spec.eps:g}."
    )
    if step >= steps:
        st.caption("Compute more updates (sidebar) to get a next step to practise on.")
    else:
        next_parts = update_anatomy(trajectory, step + 1)

        hints = {
            "s for x": f"s = ρ·s_prev + (1 − ρ)·g², with s_prev the x value of “s” in the table above and g the "
            f"next gradient's x component; ρ = {spec.rho:g}.",
            "step for y": "first the new s for y the same way, then α·g / (√s + ε) with the next gradient's "
            "y component.",
        }

        def check_quiz(answers: dict, checked_step: int) -> None:
            """Runs before the rerun (a form callback), so the verdicts survive any later rerun. A wrong
            answer gets a hint, never the answer: that is shown only when asked for."""
            verdicts = []
            for label, (guess_key, truth) in answers.items():
                guess = st.session_state.get(guess_key)
                if guess is None:
                    verdicts.append(("warning", f"Enter a value for {label}."))
                elif np.isclose(guess, truth, rtol=QUIZ_RELATIVE_TOLERANCE, atol=1e-12):
                    verdicts.append(("success", f"{label}: {guess:.6g} is right (engine: {truth:.6g})."))
                else:
                    verdicts.append(("error", f"{label}: {guess:.6g} is not it yet. Hint: {hints[label]}"))
            st.session_state[settings.key("quiz_verdicts")] = (checked_step, verdicts)

        def reveal(checked_step: int) -> None:
            st.session_state[settings.key("quiz_revealed")] = checked_step

        with st.form(settings.key("quiz")):
            left, right = st.columns(2)
            left.number_input("Your new s for x", value=None, format="%.6g", key=settings.key("guess_s"))
            right.number_input(
                "Your step for y: α·g / (√s + ε)", value=None, format="%.6g", key=settings.key("guess_update")
            )
            answers = {
                "s for x": (settings.key("guess_s"), float(next_parts.s[0])),
                "step for y": (settings.key("guess_update"), float(next_parts.update[1])),
            }
            st.form_submit_button("Check", on_click=check_quiz, args=(answers, step))
        checked_step, verdicts = st.session_state.get(settings.key("quiz_verdicts"), (None, []))
        if checked_step == step:
            for kind, message in verdicts:
                getattr(st, kind)(message)
        if st.session_state.get(settings.key("quiz_revealed")) == step:
            st.info(
                f"The engine's update {step + 1}: s for x = {cell(next_parts.s[0])}, step for y = "
                f"{cell(next_parts.update[1])}.",
                icon=":material/key:",
            )
        else:
            st.button("Show the answers", on_click=reveal, args=(step,), key=settings.key("reveal"))
    settings.publish()


update_lab(choice, spec, steps, trajectory)
