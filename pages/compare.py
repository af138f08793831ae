"""Compare: SGD, Momentum, RMSProp and Adam on one contour, live controls, CSV download.

The problem (function, start, steps) lives in the sidebar and reruns the page. Everything that
moves while the user tweaks hyperparameters (the optimizer controls, the charts, the results)
is one fragment, so a hyperparameter's move reruns and redraws only that part of the page. It
shows one optimizer's controls at a time. What is set less often (the view, the replay, tuning,
the tolerance and the α-sensitivity switch) sits around the fragment and reruns the whole page:
a hyperparameter's move redraws none of it. The ladder the browser swaps in while a slider is
dragged is a fragment of its own (``scrubbing``). The downloads and save/load sit below, built
when clicked.
"""

import numpy as np
import streamlit as st

from rmsprop_core import trajectories_to_csv
from rmsprop_core.metrics import finite_points
from rmsprop_lab import figures, presentation, runs, view_file
from rmsprop_lab.controls import (
    PageSettings,
    WidgetView,
    function_title,
    markdown_table,
    resolve_function,
    show_notices,
)
from rmsprop_lab.internals import ensure_routed
from rmsprop_lab.live_chart import live_chart, requested_ladder, scrub_ladder, scrub_revision
from rmsprop_lab.options import RHO_ONE
from rmsprop_lab.scenarios import SCENARIOS, compare_optimizers, results_table, rounding_notes
from rmsprop_lab.schemas import COMPARE, SURFACE_3D, view_including

ensure_routed()

SURFACE_RESOLUTION = 400
TOLERANCE_WIDTH_PX = 420
# the replay slider shows the last step for the stored -1 ("the whole run", whatever the steps)
REPLAY = WidgetView(
    to_widget=lambda upto, settings: settings["steps"] if upto < 0 else upto,
    from_widget=lambda position, settings: -1 if position >= settings["steps"] else position,
)
settings = PageSettings(COMPARE, "compare", views={"upto": REPLAY})


LR_KEYS = {"sgd": "sgd_lr", "momentum": "mom_lr", "rmsprop": "rms_lr", "adam": "adam_lr", "adagrad": "ada_lr"}
#: the sliders whose paths follow the pointer: setting -> (optimizer kind, its hyperparameter)
SCRUBBED = {"rho": ("rmsprop", "rho"), "eps": ("rmsprop", "eps")} | {key: (kind, "lr") for kind, key in LR_KEYS.items()}
CHARTS = {"main": "compare_main", "loss": "compare_loss", "step": "compare_step_size"}
SCRUB_KEY = "compare_scrub"
TUNED_NOTE = settings.key("_tuned")
#: the fragment's last results, for the downloads outside it
LATEST = settings.key("_latest")
#: the settings for which the scrub fragment last had the whole page drawn again
RESYNCED = settings.key("_resynced")
#: whether the scenario notes on screen were drawn for the scenario's own settings (None: no scenario)
SCENARIO_SHOWN = settings.key("_scenario_shown")


def restart_replay(_settings: dict) -> dict:
    return {"upto": -1}


def sensitivity(spec, choice: runs.FunctionChoice, start, steps: int, tolerance: float):
    """``spec``'s optimizer at every α of the ladder, its other settings as they are."""
    fixed = tuple((name, value) for name, value in spec.hyperparameters().items() if name != "lr")
    return runs.learning_rate_sensitivity(choice, spec.kind, fixed, tuple(start), steps, tolerance)


def tuning_context(current: dict, start, steps: int) -> tuple:
    """What a tuning was done for: a note about it is shown only while all of this is unchanged."""
    learning_rates = tuple(current[LR_KEYS[spec.kind]] for spec in compare_optimizers(current))
    return (current["objective"], current["formula"], tuple(start), steps, current["tol"], learning_rates)


def tune_learning_rates(choice: runs.FunctionChoice, start, steps: int) -> None:
    """on_click of "Tune learning rates": each switched-on optimizer gets its best α of the ladder."""
    current = settings.values()
    changes, picked = {}, []
    for spec in compare_optimizers(current):
        outcome = sensitivity(spec, choice, start, steps, current["tol"])
        if outcome.best < 0:
            picked.append(f"{spec.label}: every α diverges")
            continue
        learning_rate = float(outcome.learning_rates[outcome.best])
        changes[LR_KEYS[spec.kind]] = learning_rate
        settled = int(outcome.steps_to_settle[outcome.best])
        result = (
            f"settles in {settled} steps" if settled >= 0 else f"final loss {outcome.final_losses[outcome.best]:.3g}"
        )
        picked.append(f"{spec.label} α = {learning_rate:g} ({result})")
    settings.update(changes)
    st.session_state[TUNED_NOTE] = (tuning_context(settings.values(), start, steps), picked)


def tuned_note(current: dict, start, steps: int) -> None:
    context, picked = st.session_state.get(TUNED_NOTE, (None, []))
    if context != tuning_context(current, start, steps):
        return
    exact = " Tuned on exact gradients (no noise)." if current["noise"] > 0 else ""
    st.success(
        f"α tuned on this function and start, over the whole ladder, one engine run per optimizer. "
        f"Criterion: {runs.TUNING_CRITERION}. {'; '.join(picked)}.{exact}",
        icon=":material/target:",
    )


def divergence_advice(result: runs.RunResult) -> str:
    """What to change after ``result`` diverged: ρ = 1 leaves RMSProp's s at 0, whatever the learning rate."""
    if result.kind == "rmsprop" and dict(result.hyperparameters).get("rho") == 1:
        return f"pick ρ < 1. {RHO_ONE}, so only ε stands between g and a division by zero."
    return "try a smaller learning rate."


def sgd_controls() -> None:
    settings.toggle("sgd", "Show SGD")
    settings.ladder("sgd_lr", "Learning rate α")


def momentum_controls() -> None:
    settings.toggle("mom", "Show Momentum")
    settings.ladder("mom_lr", "Learning rate α")
    settings.ladder("mom_mu", "Momentum μ")
    settings.checkbox("nesterov", "Nesterov")


def rmsprop_controls() -> None:
    settings.toggle("rms", "Show RMSProp")
    settings.ladder("rms_lr", "Learning rate α")
    settings.ladder(
        "rho",
        "Decay rate ρ (gamma, alpha, decay)",
        help="Weight of the old running average of g². PyTorch calls it alpha, Keras rho, optax decay, "
        "many courses gamma.",
    )
    settings.ladder("eps", "Epsilon ε")
    # short labels, the details in their help: the panel's column cut longer ones off with "…"
    settings.checkbox(
        "eps_in_sqrt",
        "ε inside the √",
        help="Divides by √(s + ε), as Keras 3, optax and TensorFlow 1 do; unticked, by √s + ε, as the lesson "
        "and PyTorch do.",
    )
    settings.checkbox(
        "centered",
        "Centered (variance of g)",
        help="Divides by the root of g's running variance, s minus the square of g's running mean, not of s "
        "(PyTorch's and TensorFlow 1's centered=True).",
    )
    settings.ladder("rms_mu", "Momentum μ")


def adam_controls() -> None:
    settings.toggle("adam", "Show Adam")
    settings.ladder("adam_lr", "Learning rate α")
    settings.ladder("beta1", "β₁")
    settings.ladder("beta2", "β₂")
    settings.ladder("adam_eps", "Epsilon ε")


def adagrad_controls() -> None:
    settings.toggle("ada", "Show Adagrad")
    settings.ladder("ada_lr", "Learning rate α")
    settings.ladder("ada_eps", "Epsilon ε")
    st.caption(
        "Adagrad is RMSProp's ancestor: s is a sum of every g² so far, never an average, so its steps shrink for ever."
    )


#: the optimizers whose controls the panel shows, one at a time: kind -> (name, its switch, its controls)
PANELS = {
    "sgd": ("SGD", "sgd", sgd_controls),
    "momentum": ("Momentum", "mom", momentum_controls),
    "rmsprop": ("RMSProp", "rms", rmsprop_controls),
    "adam": ("Adam", "adam", adam_controls),
    "adagrad": ("Adagrad", "ada", adagrad_controls),
}
PANEL_KEY = settings.key("_panel")


def optimizer_controls() -> None:
    """One optimizer's controls at a time (the one picked above them): a press reruns and redraws
    at most 7 controls, not 26."""
    # wrapped onto two lines in the narrow column, rather than scrolled out of sight
    st.pills(
        "Settings of",
        list(PANELS),
        default="rmsprop",
        required=True,
        # fixed labels: the picked option is sent back by its label, which must not change between runs
        format_func=lambda kind: PANELS[kind][0],
        key=PANEL_KEY,
        persist_state="session",
        wrap=True,
        help="Each optimizer's settings are kept while another one's are shown; its switch is the first of them.",
    )
    PANELS[st.session_state[PANEL_KEY]][2]()


def scrubbed_spec(setting: str, specs):
    """The switched-on optimizer whose hyperparameter ``setting``'s slider sets, or None."""
    return next((spec for spec in specs if spec.kind == SCRUBBED[setting][0]), None)


def ladder_revision(setting: str, specs, choice: runs.FunctionChoice, start, steps: int, upto: int) -> str | None:
    """The revision of ``setting``'s ladder: a digest of what ``runs.ladder`` computes it from (all but
    the slider's own value, which the ladder holds all of), or None when its optimizer is off."""
    spec = scrubbed_spec(setting, specs)
    if spec is None:
        return None
    others = tuple((key, value) for key, value in spec.hyperparameters().items() if key != SCRUBBED[setting][1])
    return scrub_revision((spec.kind, others, choice, (float(start[0]), float(start[1])), int(steps), int(upto)))


@st.fragment
def scrubbing(choice: runs.FunctionChoice, start, steps: int, noise: float) -> None:
    """The ladder of the slider the user is about to move, for the browser to swap in while it
    moves. A fragment of its own: pointing at a slider reruns this alone, not the charts, and a
    press in the optimizer lab does not send the ladder again (the charts carry the revision each
    slider's ladder must have, ``ladder_revision``, so the browser knows when the one it holds is
    stale)."""
    current = settings.values()
    drawn = st.session_state.get(LATEST, {}).get("settings")
    if drawn is not None and drawn != current and st.session_state.get(RESYNCED) != current:
        # the browser sent a setting's change with its ladder request in one message, which reran
        # this fragment only: the page is drawn again for it (once, whatever the lab then does)
        st.session_state[RESYNCED] = current
        st.rerun()
    wanted = requested_ladder(SCRUB_KEY)
    ladder = revision = None
    if wanted in SCRUBBED and noise == 0:
        specs = compare_optimizers(current)
        spec = scrubbed_spec(wanted, specs)
        if spec is not None:
            values = settings.params[wanted].choices
            upto = current["upto"]
            ladder = runs.ladder(spec, SCRUBBED[wanted][1], values, choice, start, steps, upto=upto, setting=wanted)
            revision = ladder_revision(wanted, specs, choice, start, steps, upto)
    sliders = {setting: settings.key(setting) for setting in SCRUBBED}
    scrub_ladder(ladder, revision=revision, sliders=sliders, charts=CHARTS, key=SCRUB_KEY)


@st.fragment
def optimizer_lab(choice: runs.FunctionChoice, start: tuple[float, float], steps: int, noise=(0.0, 0)) -> None:
    objective, minimum_note = runs.measured_objective(choice)
    revision = str(choice)
    # chart first: on a phone the columns stack, and the picture should come before the knobs
    chart_column, controls_column = st.columns([2.7, 1], gap="medium")
    with controls_column:
        optimizer_controls()
    current = settings.values()
    if scenario_unchanged(current) != st.session_state.get(SCENARIO_SHOWN):
        # the scenario's notes above the fragment no longer match its settings (or match them again)
        st.rerun(scope="app")
    st.session_state.setdefault(LATEST, {})["settings"] = current  # what the charts below are drawn for
    st.session_state.pop(RESYNCED, None)
    specs = compare_optimizers(current)
    upto = settings["upto"]
    revisions = {setting: ladder_revision(setting, specs, choice, start, steps, upto) for setting in SCRUBBED}
    results = [runs.path(spec, choice, start, steps, noise=noise[0], seed=noise[1]) for spec in specs]
    paths = [result.path() for result in results]
    # a start outside the function's domain widens the plotted area to show it
    view = view_including(objective.domain, start)
    surface = runs.surface(choice, SURFACE_RESOLUTION, view)

    with chart_column:
        for result in results:
            if result.diverged_at >= 0:
                st.error(
                    f"**{result.label} diverged at step {result.diverged_at}** — {divergence_advice(result)}",
                    icon=":material/error:",
                )
        if not results:
            st.info("Switch on at least one optimizer.")
        tuned_note(current, start, steps)
        shown_upto = None if upto < 0 else upto
        if settings["view"] == SURFACE_3D and paths:
            # the basic plotly.js bundle of live_chart draws no 3-D: Streamlit's full bundle does
            st.plotly_chart(
                presentation.presented(figures.surface_3d_figure(surface, paths, upto=shown_upto, uirevision=revision)),
                key="compare_3d",
                config=figures.PLOT_CONFIG,
                theme=None,
            )
        else:
            narrow = None
            if settings["view"] == "overlay" or not paths:
                main_figure = figures.contour_figure(surface, paths, upto=shown_upto, uirevision=revision)
            else:
                main_figure = figures.small_multiples_figure(surface, paths, upto=shown_upto, uirevision=revision)
                if presentation.presenting():  # a projector's wide chart: three a row; a phone's: two
                    narrow = (presentation.NARROW_CHART_PX, main_figure)
                    main_figure = figures.small_multiples_figure(
                        surface,
                        paths,
                        upto=shown_upto,
                        uirevision=revision,
                        per_row=figures.PROJECTED_MULTIPLES_PER_ROW,
                    )
            live_chart(main_figure, key=CHARTS["main"], playback_steps=steps, narrow=narrow, scrub_revisions=revisions)
        leaving = [result.label for result in results if leaves_view(result.points, surface)]
        if leaving:
            st.caption(f"{', '.join(leaving)}: the path leaves the plotted area; its loss is in the chart below.")

    loss_column, step_column = st.columns(2)
    with loss_column:
        if paths:
            loss_figure = figures.loss_figure(paths, objective.min_value, uirevision=revision)
            live_chart(loss_figure, key=CHARTS["loss"], scrub_revisions=revisions)
    with step_column:
        step_figure = figures.compare_step_size_figure(results, specs, uirevision=revision)
        if step_figure is not None:
            live_chart(step_figure, key=CHARTS["step"], scrub_revisions=revisions)
            st.caption(
                "RMSProp divides α by the root of a running average of g², separately for x and y: "
                "steep coordinates get small steps, flat ones large steps."
            )
        else:
            st.info("Switch on RMSProp to see its per-coordinate effective step size.")

    st.markdown("##### Results")
    if results:
        st.markdown(markdown_table(results_table(results, objective, settings["tol"])))
        for note in [minimum_note, *rounding_notes(results, objective, settings["tol"])]:
            if note:
                st.caption(note)
        if settings["sensitivity"]:
            curves = []
            for spec in specs:
                outcome = sensitivity(spec, choice, start, steps, settings["tol"])
                curves.append(
                    figures.SensitivityCurve(
                        spec.label,
                        figures.colour_for(spec.kind),
                        outcome.learning_rates,
                        outcome.steps_to_settle,
                        outcome.diverged_at >= 0,
                        outcome.best,
                    )
                )
            live_chart(figures.sensitivity_figure(curves, steps, uirevision=revision), key="compare_sensitivity")
            st.caption(
                "Each line is one optimizer over the whole learning-rate ladder (its other settings as they are), "
                "from one broadcast engine run. Runs that never settle sit on the top line as ○, diverged ones as ×; "
                "★ marks the α that “Tune learning rates” picks. A wide valley means an optimizer forgiving of α."
            )

    # what the downloads below the fragment build when clicked (they are not redrawn by a press)
    st.session_state.setdefault(LATEST, {}).update(
        choice=choice, objective=objective, surface=surface, results=results, paths=paths
    )
    settings.publish()


def view_controls(choice: runs.FunctionChoice, start: tuple[float, float], steps: int) -> None:
    """Above the optimizer lab: how the paths are shown, and the tuning of every α; beside the
    chart and the optimizers' settings on a wide screen, before the chart on a phone."""
    view_column, tune_column = st.columns([2.7, 1], gap="medium", vertical_alignment="bottom")
    # one row that wraps on a phone
    with view_column, st.container(horizontal=True, gap="medium"):
        settings.radio("view", "View", horizontal=True)
        settings.slider("upto", "Replay: show the paths up to step", low=0, high=steps)
    # outside the fragment: tuning reruns the whole page, whose scenario notes above may no longer apply
    with tune_column:
        st.button(
            "Tune learning rates",
            on_click=tune_learning_rates,
            args=(choice, start, steps),
            key=settings.key("tune"),
            icon=":material/tune:",
            help="Gives each switched-on optimizer its best α of the ladder for this function and start: "
            f"{runs.TUNING_CRITERION}. A fair race compares every optimizer at its own best α.",
            width="stretch",
        )


def result_controls() -> None:
    """Below the results they change: the tolerance of "reached the minimum", and the α sensitivity chart."""
    with st.container(horizontal=True, gap="medium", vertical_alignment="center"):
        settings.ladder("tol", "Tolerance for “reached the minimum” (f − f* ≤ tol)", width=TOLERANCE_WIDTH_PX)
        settings.toggle("sensitivity", "Show how each optimizer's outcome depends on α")


def downloads() -> None:
    """The trajectories, the view and the settings as files. Outside the fragment, so a press does
    not redraw them: each file is built when clicked, from the last run of the fragment."""
    latest = st.session_state[LATEST]
    store, base = settings.current(), settings.base_url()

    def build_csv() -> str:
        return trajectories_to_csv({r.label: (r.optimizer(), latest["objective"], r) for r in latest["results"]})

    def build_view() -> str:
        values, objective, surface, paths = store(), latest["objective"], latest["surface"], latest["paths"]
        if values["view"] == SURFACE_3D:
            figure = figures.surface_3d_figure(surface, paths)
        else:
            figure = figures.animated_contour_figure(surface, paths)
        runs_text = [f"{r.label}: {', '.join(f'{k} = {v}' for k, v in r.hyperparameters)}" for r in latest["results"]]
        return view_file.view_html(
            figure,
            title=f"RMSProp Lab: {function_title(latest['choice'], objective)}",
            notes=[objective.description, *runs_text],
            schema=COMPARE,
            values=values,
            link=settings.link_to(values, base),
        )

    csv_column, view_column, file_column = st.columns([1, 1, 1.3])
    with csv_column:
        st.download_button(
            "Download trajectories (CSV)",
            data=build_csv,
            file_name=f"rmsprop-lab_{latest['objective'].name}.csv",
            mime="text/csv",
            on_click="ignore",
            key="compare_download",
            icon=":material/download:",
        )
    with view_column:
        st.download_button(
            "Download this view (HTML)",
            data=build_view,
            file_name=f"rmsprop-lab_compare_{latest['objective'].name}.html",
            mime="text/html",
            on_click="ignore",
            key="compare_download_view",
            icon=":material/download:",
            help="One file that opens offline in any browser: the surface, the paths and their playback, every "
            "setting and the link that reopens them here.",
        )
    with file_column, st.expander("Save or load these settings", expanded=settings.file_message_pending()):
        settings.file_controls()


def leaves_view(points: np.ndarray, surface: figures.Surface) -> bool:
    """Whether a path's finite points go outside the plotted surface."""
    finite = points[finite_points(points)]
    (xlow, xhigh), (ylow, yhigh) = (surface.xs[0], surface.xs[-1]), (surface.ys[0], surface.ys[-1])
    return bool(((finite[:, 0] < xlow) | (finite[:, 0] > xhigh) | (finite[:, 1] < ylow) | (finite[:, 1] > yhigh)).any())


def apply_scenario(current: dict) -> dict:
    return SCENARIOS[current["scenario"]].settings() if current["scenario"] else {}


def scenario_unchanged(current: dict) -> bool | None:
    """Whether the settings are still the chosen scenario's (its notes apply), or None without a scenario."""
    scenario = SCENARIOS.get(current["scenario"])
    if scenario is None:
        return None
    # how the view is shown (overlay, replay position, presentation mode) is no change of the scenario
    shown = {"view": "overlay", "upto": -1, "sensitivity": False, "present": False}
    return {**current, **shown} == {**scenario.settings(), **shown}


def scenario_panel(current: dict) -> None:
    """The chosen scenario's question and, on request, what to notice, measured by the engine now."""
    st.session_state[SCENARIO_SHOWN] = unchanged = scenario_unchanged(current)
    if unchanged is None:
        return
    scenario = SCENARIOS[current["scenario"]]
    if not unchanged:
        st.caption(
            f"This view started from the scenario “{scenario.title}”; its settings have changed since, so its "
            "notes no longer apply. Pick it again to restore it."
        )
        return
    st.info(f"**{scenario.title}.** Predict first: {scenario.predict}", icon=":material/psychology_alt:")
    with st.expander("What to notice (open it after you have predicted)"):
        numbers, contrast = runs.scenario_numbers(scenario.id)
        st.markdown(scenario.notice(numbers, contrast))


notices = settings.bind()
presentation.switch(settings)
picker_column, question_column = st.columns([1, 2.2], gap="medium")
with picker_column:
    settings.selectbox(
        "scenario",
        "Guided scenario",
        also=apply_scenario,
        format_func=lambda key: SCENARIOS[key].title if key else "Free exploration (no scenario)",
        help="Each scenario sets up a comparison, asks you to predict, then shows what the engine measured.",
    )
with st.sidebar:
    st.subheader("Problem")
    choice = settings.function_inputs(also=restart_replay)
    column_x, column_y = st.columns(2)
    with column_x:
        settings.number("x0", "Start x", step=0.1, format="%.4f")
    with column_y:
        settings.number("y0", "Start y", step=0.1, format="%.4f")
    settings.number("steps", "Steps", step=50, also=restart_replay)
    settings.ladder(
        "noise",
        "Gradient noise σ (mini-batch)",
        help="Adds Gaussian noise of this standard deviation to every gradient, as a mini-batch gradient "
        "would have. The same seed gives the same run.",
    )
    settings.number("seed", "Noise seed", step=1)

show_notices(notices)
with question_column:
    scenario_panel(settings.values())
objective = resolve_function(choice)

title_column, formula_column = st.columns([1, 1.4], vertical_alignment="center")
title_column.markdown(f"#### {objective.title if choice.formula is None else 'Your function'}")
with formula_column:
    st.latex(objective.latex)
st.caption(objective.description)
if choice.name == "valley":
    kappa = choice.condition
    st.caption(
        f"Gradient descent here, in closed form (Hessian eigenvalues 2 and 2κ): stable only for α < 2/λmax = "
        f"{1 / kappa:.3g}; at the best α in closed form, 1/(1 + κ) = {1 / (1 + kappa):.3g}, the error shrinks by "
        f"(κ − 1)/(κ + 1) = {(kappa - 1) / (kappa + 1):.3g} a step, at any angle θ. Per-coordinate steps (RMSProp) "
        "help most at θ = 0°."
    )

start, steps = (settings["x0"], settings["y0"]), int(settings["steps"])
view_controls(choice, start, steps)
optimizer_lab(choice, start, steps, (settings["noise"], int(settings["seed"])))
scrubbing(choice, start, steps, settings["noise"])
result_controls()
downloads()
