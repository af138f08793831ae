"""Update anatomy: one RMSProp update at a time, every intermediate value, and a small quiz."""

import numpy as np
import streamlit as st

from rmsprop_core import RMSProp, optimize
from rmsprop_core.anatomy import update_anatomy
from rmsprop_lab import figures
from rmsprop_lab import panels as ui
from rmsprop_lab.live_chart import live_chart
from rmsprop_lab.options import EPS_OPTIONS, LR_OPTIONS, RHO_OPTIONS

ui.ensure_routed()

PAGE = "anatomy"
MAX_STEPS = 200
QUIZ_RELATIVE_TOLERANCE = 1e-3


def key(name: str) -> str:
    return ui.widget_key(PAGE, name)


DEFAULTS = {"objective": "ellipse", "lr": 0.1, "rho": 0.9, "eps": 1e-6, "steps": 40, "step": 1}
for name, value in DEFAULTS.items():
    st.session_state.setdefault(key(name), value)


def move_step(delta: int) -> None:
    st.session_state[key("step")] = int(
        np.clip(st.session_state[key("step")] + delta, 1, st.session_state[key("steps")])
    )


def reset() -> None:
    st.session_state[key("step")] = 1


st.title("Update anatomy")
st.markdown(
    "RMSProp's update, one step at a time: the gradient *g*, its square, the running average *s* "
    "before and after, the denominator √s + ε, and the step α·g / (√s + ε), for x and y separately. "
    "The arrows show the step RMSProp takes and the step plain SGD with the same α would take."
)

with st.sidebar:
    st.subheader("Run")
    choice = ui.function_inputs(key, on_change=reset)
    ui.ladder_slider("Learning rate α", LR_OPTIONS, key("lr"))
    ui.ladder_slider("Decay rate ρ", RHO_OPTIONS, key("rho"))
    ui.ladder_slider("Epsilon ε", EPS_OPTIONS, key("eps"))
    st.number_input("Updates to compute", min_value=1, max_value=MAX_STEPS, step=10, key=key("steps"), on_change=reset)

objective = choice.resolve()
steps = int(st.session_state[key("steps")])
if st.session_state[key("step")] > steps:
    reset()
spec = RMSProp(lr=st.session_state[key("lr")], rho=st.session_state[key("rho")], eps=st.session_state[key("eps")])


# cache_resource: the Trajectory is only read (its lazy fields are deterministic), and a
# formula's objective holds closures that cache_data could not pickle
@st.cache_resource(max_entries=64, show_spinner=False)
def anatomy_run(choice: ui.FunctionChoice, lr: float, rho: float, eps: float, steps: int):
    objective = choice.objective()
    return optimize(RMSProp(lr=lr, rho=rho, eps=eps), objective, objective.start, steps)


trajectory = anatomy_run(choice, spec.lr, spec.rho, spec.eps, steps)

back, forward, restart, slider = st.columns([1, 1, 1, 5], vertical_alignment="bottom")
back.button("◀ Back", on_click=move_step, args=(-1,), key=key("back"), width="stretch")
forward.button("Next ▶", on_click=move_step, args=(1,), key=key("next"), width="stretch")
restart.button("Reset", on_click=reset, key=key("reset"), width="stretch")
slider.slider("Update number", 1, steps, key=key("step"))
step = int(st.session_state[key("step")])

if step > int(trajectory.diverged_at) >= 0:
    st.error(f"This run diverged at step {int(trajectory.diverged_at)}; later values are nan.")
parts = update_anatomy(trajectory, step)


def cell(value: float) -> str:
    return f"{value:.6g}"


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
    if np.isfinite(gradient_ratio) and np.isfinite(step_ratio):
        st.info(
            f"The y gradient is {gradient_ratio:.3g}× the x gradient, but RMSProp's y step is "
            f"{step_ratio:.3g}× its x step: dividing by √s, each coordinate's own gradient scale, "
            "evens the steps out. SGD's steps keep the gradients' ratio.",
            icon="⚖️",
        )

with figure_column:
    surface = ui.surface_cached(choice.name, 300, formula=choice.formula, domain=choice.domain)
    path = figures.PathData("RMSProp", figures.OPTIMIZER_COLOURS["RMSProp"], trajectory.points, trajectory.losses)
    finite = trajectory.points[np.isfinite(trajectory.points).all(axis=1)]
    reach = np.concatenate([finite, [parts.point - parts.sgd_step]])
    reach = reach[np.isfinite(reach).all(axis=1)]
    pad = 0.1 * max(np.ptp(reach[:, 0]), np.ptp(reach[:, 1]), 1e-3)
    view = ((reach[:, 0].min() - pad, reach[:, 0].max() + pad), (reach[:, 1].min() - pad, reach[:, 1].max() + pad))
    live_chart(
        figures.anatomy_figure(
            surface, path, step, parts.update, parts.sgd_step, view_box=view, uirevision=f"{choice}-{steps}"
        ),
        key="anatomy_arrows",
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

    def check_quiz(answers: dict, checked_step: int) -> None:
        """Runs before the rerun (a form callback), so the verdicts survive any later rerun."""
        verdicts = []
        for label, (guess_key, truth) in answers.items():
            guess = st.session_state.get(guess_key)
            if guess is None:
                verdicts.append(("warning", f"Enter a value for {label}."))
            elif np.isclose(guess, truth, rtol=QUIZ_RELATIVE_TOLERANCE, atol=1e-12):
                verdicts.append(("success", f"{label}: {guess:.6g} is right (engine: {truth:.6g})."))
            else:
                verdicts.append(("error", f"{label}: {guess:.6g} is not it. The engine gets {truth:.6g}."))
        st.session_state[key("quiz_verdicts")] = (checked_step, verdicts)

    with st.form(key("quiz")):
        left, right = st.columns(2)
        left.number_input("Your new s for x", value=None, format="%.6g", key=key("guess_s"))
        right.number_input("Your step for y: α·g / (√s + ε)", value=None, format="%.6g", key=key("guess_update"))
        answers = {
            "s for x": (key("guess_s"), float(next_parts.s[0])),
            "step for y": (key("guess_update"), float(next_parts.update[1])),
        }
        st.form_submit_button("Check", on_click=check_quiz, args=(answers, step))
    checked_step, verdicts = st.session_state.get(key("quiz_verdicts"), (None, []))
    if checked_step == step:
        for kind, message in verdicts:
            getattr(st, kind)(message)
