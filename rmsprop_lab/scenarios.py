"""Guided scenarios for the Compare page: a complete setting, a question to predict, and what to notice.

Each scenario is a Compare view (its settings over the page's defaults, so it is a URL like any
other). What a note says is measured by the engine when it is shown (``measure``), and each
scenario states its claim as a predicate over those measurements (``holds``), which the tests check,
so no note can go stale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from rmsprop_core import SGD, Adagrad, Adam, Momentum, RMSProp, optimize
from rmsprop_core.metrics import steps_to_escape, steps_to_settle, steps_to_tolerance, summarize
from rmsprop_core.objectives import quadratic_valley

from .schemas import COMPARE, SCENARIO_IDS, function_choice, make_objective

ESCAPE_DROP = 1.0  # how far below its start value a run must get to have left a saddle


def compare_optimizers(settings: dict) -> list:
    """The optimizers a Compare view switches on, with its hyperparameters."""
    specs = []
    if settings["sgd"]:
        specs.append(SGD(lr=settings["sgd_lr"]))
    if settings["mom"]:
        specs.append(Momentum(lr=settings["mom_lr"], momentum=settings["mom_mu"], nesterov=settings["nesterov"]))
    if settings["rms"]:
        specs.append(
            RMSProp(
                lr=settings["rms_lr"],
                rho=settings["rho"],
                eps=settings["eps"],
                momentum=settings["rms_mu"],
                centered=settings["centered"],
                eps_in_sqrt=settings["eps_in_sqrt"],
            )
        )
    if settings["adam"]:
        specs.append(
            Adam(lr=settings["adam_lr"], beta1=settings["beta1"], beta2=settings["beta2"], eps=settings["adam_eps"])
        )
    if settings["ada"]:
        specs.append(Adagrad(lr=settings["ada_lr"], eps=settings["ada_eps"]))
    return specs


def results_table(results, objective, tolerance: float) -> dict:
    """One row per run. Steps are "to settle" (within the tolerance from that step to the end);
    the first touch is shown beside it. A function with no minimum shows steps to escape instead."""
    has_minimum = objective.min_value is not None
    table = {"optimizer": [], "final loss": [], "distance to nearest minimum": []}
    if has_minimum:
        table |= {"steps to settle (f − f* ≤ tol)": [], "first touch": []}
    else:
        table[f"steps to escape (f ≤ f(start) − {ESCAPE_DROP:g})"] = []
    table["diverged at step"] = []
    for result in results:
        summary = summarize(result, objective, tolerance)
        table["optimizer"].append(result.label)
        table["final loss"].append("—" if summary.diverged_at >= 0 else f"{summary.final_loss:.6g}")
        distance = summary.distance_to_minimum
        table["distance to nearest minimum"].append("—" if np.isnan(distance) else f"{distance:.3g}")
        if has_minimum:
            settled, touched = summary.steps_to_settle, summary.steps_to_tolerance
            table["steps to settle (f − f* ≤ tol)"].append(str(settled) if settled >= 0 else "not settled")
            table["first touch"].append(str(touched) if touched >= 0 else "not reached")
        else:
            escaped = int(steps_to_escape(result.losses, ESCAPE_DROP))
            table[f"steps to escape (f ≤ f(start) − {ESCAPE_DROP:g})"].append(
                str(escaped) if escaped >= 0 else "not escaped"
            )
        table["diverged at step"].append(str(summary.diverged_at) if summary.diverged_at >= 0 else "—")
    return table


def rounding_notes(results, objective, tolerance: float) -> list[str]:
    """One sentence per run whose final loss is f* exactly while its point is not on the minimum:
    f − f* rounded to 0 in float64, which the table's "final loss" alone shows as a landing."""
    if objective.min_value is None:
        return []
    notes = []
    for result in results:
        summary = summarize(result, objective, tolerance)
        distance = summary.distance_to_minimum
        if summary.diverged_at < 0 and summary.final_loss == objective.min_value and distance > 0:
            smallest = " (4.94e-324 is the smallest positive double)" if distance < np.finfo(float).tiny else ""
            notes.append(
                f"{result.label}: final loss exactly f* = {objective.min_value:g}, yet {distance:.3g} from the "
                f"minimum{smallest}: f − f* is too small for float64 and rounds to 0."
            )
    return notes


@dataclass(frozen=True)
class RunNumbers:
    """What a scenario's note may quote about one optimizer's run."""

    settle: int  # steps to settle within the tolerance; -1: never
    touch: int  # first step within the tolerance; -1: never
    escape: int  # first step ESCAPE_DROP below the start value; -1: never
    final_loss: float
    final_distance: float  # from the origin, where every scenario's minimum is
    step_size_first: float  # effective step size α / d of x after step 1 (RMSProp, Adagrad)
    step_size_at: tuple  # effective step size of x at steps 100, 200, 500 and the last
    step_size_roughness: float  # mean |Δ log step size| of x over steps 1..100
    late_mean_loss: float  # mean loss over the last 100 steps
    first_move: float  # the largest coordinate move of step 1


def measure(settings: dict) -> dict[str, RunNumbers]:
    """Every switched-on optimizer of a Compare view, run by the engine, by label."""
    objective = make_objective(function_choice(settings))
    min_value = objective.min_value
    measured = {}
    for spec in compare_optimizers(settings):
        run = optimize(
            spec,
            objective,
            (settings["x0"], settings["y0"]),
            settings["steps"],
            noise=settings["noise"],
            seed=settings["seed"],
            record_state=True,
        )
        step_size = run.state.get("step_size")
        x_sizes = step_size[:, 0] if step_size is not None else np.full(settings["steps"] + 1, np.nan)
        with np.errstate(all="ignore"):
            roughness = float(np.mean(np.abs(np.diff(np.log(x_sizes[1:101])))))
        at = tuple(float(x_sizes[min(step, settings["steps"])]) for step in (100, 200, 500, settings["steps"]))
        measured[spec.label] = RunNumbers(
            settle=int(steps_to_settle(run.losses, min_value, settings["tol"])),
            touch=int(steps_to_tolerance(run.losses, min_value, settings["tol"])),
            escape=int(steps_to_escape(run.losses, ESCAPE_DROP)),
            final_loss=float(run.losses[-1]),
            final_distance=float(np.hypot(*run.points[-1])),
            step_size_first=float(x_sizes[1]),
            step_size_at=at,
            step_size_roughness=roughness,
            late_mean_loss=float(np.mean(run.losses[-100:])),
            first_move=float(np.abs(run.points[1] - run.points[0]).max()),
        )
    return measured


Numbers = dict[str, RunNumbers]


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    changes: dict  # over COMPARE's defaults for the scenario's function
    predict: str
    notice: Callable[[Numbers, Numbers | None], str]
    holds: Callable[[Numbers, Numbers | None], bool]
    #: a second view measured for comparison (changes over this scenario's settings), or none
    contrast: dict = field(default_factory=dict)

    def settings(self) -> dict:
        objective = self.changes.get("objective", COMPARE.params[0].default)
        return {**COMPARE.defaults(objective), **self.changes, "scenario": self.id}

    def contrast_settings(self) -> dict | None:
        return {**self.settings(), **self.contrast} if self.contrast else None


def _only(*names: str) -> dict:
    """Switch on exactly these optimizers."""
    return {switch: switch in names for switch in ("sgd", "mom", "rms", "adam", "ada")}


def _turned_start(angle: float) -> dict:
    x0, y0 = quadratic_valley(100.0, angle).start
    return {"x0": x0, "y0": y0}


SCENARIOS: dict[str, Scenario] = {
    scenario.id: scenario
    for scenario in (
        Scenario(
            "valley",
            "One α cannot suit both axes",
            {"objective": "valley", "kappa": 100.0, "theta": 0.0, **_only("sgd", "mom", "rms")},
            "A valley 100 times steeper across than along, lined up with the axes. Each optimizer runs at the "
            "best α of its slider (the fewest steps to settle). Which one settles first, and by how much?",
            lambda n, _: (
                f"RMSProp settles in {n['RMSProp'].settle} steps, Momentum in {n['Momentum'].settle}, SGD in "
                f"{n['SGD'].settle}, each at its tuned α. SGD's α must stay below 1/κ for the steep y, so x crawls; "
                "RMSProp divides each coordinate by its own gradient scale (and ρ = 0.999 remembers it), which "
                "makes the valley look round. Its first step is long, though: s starts at 0 and ρ = 0.999 fills it "
                f"slowly, so step 1 moves {n['RMSProp'].first_move:.3g} in a coordinate (about α/√(1 − ρ)); "
                "Adam's bias correction removes that jump. Open the α-sensitivity chart: RMSProp's good range is wide."
            ),
            lambda n, _: 0 <= n["RMSProp"].settle < n["Momentum"].settle < n["SGD"].settle,
        ),
        Scenario(
            "rotated",
            "The same valley turned by 45°",
            {
                "objective": "valley",
                "kappa": 100.0,
                "theta": 45.0,
                **_turned_start(45.0),
                "rms_lr": 0.016,
                **_only("sgd", "mom", "rms"),
            },
            "Same valley, same start relative to it, but its floor now runs diagonally. SGD and Momentum "
            "do not care about the angle. Does RMSProp keep its lead?",
            lambda n, c: (
                f"No: turned by 45°, RMSProp (at its tuned α here) needs {n['RMSProp'].settle} steps, against "
                f"{c['RMSProp'].settle} along the axes; Momentum still settles in {n['Momentum'].settle} and SGD "
                f"in {n['SGD'].settle}. Each coordinate now feels both the steep and the flat direction, so "
                "scaling coordinates separately cannot undo the valley's shape. Move θ to watch the edge fade."
            ),
            lambda n, c: n["Momentum"].settle < n["RMSProp"].settle and n["RMSProp"].settle > 10 * c["RMSProp"].settle,
            contrast={"theta": 0.0, **_turned_start(0.0), "rms_lr": 0.1},
        ),
        Scenario(
            "circling",
            "RMSProp circling the minimum",
            {
                "objective": "bowl",
                "rms_lr": 0.1,
                "rho": 0.9,
                "eps": 1e-6,
                "steps": 300,
                "tol": 1e-6,
                **_only("rms"),
            },
            "The lesson's bowl with the lesson's α = 0.1 and ρ = 0.9. Will RMSProp get within 10⁻⁶ of the "
            "minimum and stay there?",
            lambda n, c: (
                f"It first gets there at step {n['RMSProp'].touch} but never settles: it ends at a loss of "
                f"{n['RMSProp'].final_loss:.3g}. Near the minimum g is tiny, but so is √s, so each step is still "
                f"about α long: RMSProp circles the minimum. With ρ = 0.999 (a long memory that keeps s large) it "
                f"settles at step {c['RMSProp'].settle}; a learning rate that decays is the usual fix."
            ),
            lambda n, c: n["RMSProp"].touch >= 0 and n["RMSProp"].settle < 0 <= c["RMSProp"].settle,
            contrast={"rho": 0.999},
        ),
        Scenario(
            "short-memory",
            "ρ too small: a jumpy s",
            {"objective": "ellipse", "rho": 0.5, "rms_lr": 0.05, **_only("rms")},
            "ρ = 0.5 remembers about two steps of g². What will the effective step size look like (chart "
            "on the right), and will the run settle?",
            lambda n, c: (
                f"The step size jumps from step to step (mean change of its log "
                f"{n['RMSProp'].step_size_roughness:.3f} per step, against {c['RMSProp'].step_size_roughness:.3f} "
                f"with ρ = 0.99), and the run never settles; with ρ = 0.99 it settles at step "
                f"{c['RMSProp'].settle}. A short memory follows every gradient's "
                "size, so s is noisy and so is each step."
            ),
            lambda n, c: (
                n["RMSProp"].step_size_roughness > 2 * c["RMSProp"].step_size_roughness
                and n["RMSProp"].settle < 0 <= c["RMSProp"].settle
            ),
            contrast={"rho": 0.99},
        ),
        Scenario(
            "long-memory",
            "ρ very large: a slow memory",
            {"objective": "rosenbrock", "rho": 0.999, **_only("rms")},
            "On Rosenbrock the first gradients are huge and later ones small. With ρ = 0.999, s remembers about "
            "1000 steps. What happens to the steps once RMSProp reaches the flat curved valley?",
            lambda n, c: (
                f"They stay small: at step 500 the effective step size of x is {n['RMSProp'].step_size_at[2]:.2g}, "
                f"against {c['RMSProp'].step_size_at[2]:.2g} with ρ = 0.9, because s still holds the early large "
                f"gradients. The run ends at a loss of {n['RMSProp'].final_loss:.3g} (ρ = 0.9: "
                f"{c['RMSProp'].final_loss:.3g}). A long memory is steady but slow to notice that the terrain changed."
            ),
            lambda n, c: (
                c["RMSProp"].step_size_at[2] > 3 * n["RMSProp"].step_size_at[2]
                and n["RMSProp"].final_loss > c["RMSProp"].final_loss
            ),
            contrast={"rho": 0.9},
        ),
        Scenario(
            "epsilon",
            "ε dominating tiny gradients",
            {
                "objective": "custom",
                "formula": "1e-6*(x^2 + 10*y^2)",
                "rms_lr": 0.05,
                "eps": 1e-4,
                # the loss is a million times smaller, so is the tolerance: 10⁻³ holds from the start
                "tol": 1e-8,
                **_only("rms"),
            },
            "The ellipse scaled down a million times: every gradient is about 10⁻⁵. ε = 10⁻⁴ is supposed to "
            "be “small”. Will RMSProp reach the minimum?",
            lambda n, c: (
                f"No: it ends {n['RMSProp'].final_distance:.3g} from the minimum; with ε = 10⁻¹⁰ it ends "
                f"{c['RMSProp'].final_distance:.3g} away. Here √s ≈ |g| ≈ 10⁻⁵ is far below ε, so the step "
                "α·g/(√s + ε) is about α·g/ε: RMSProp turns back into slow plain gradient descent. ε is only "
                "small relative to the gradients (the Library conventions page shows where each library puts it)."
            ),
            lambda n, c: n["RMSProp"].final_distance > 10 * c["RMSProp"].final_distance,
            contrast={"eps": 1e-10},
        ),
        Scenario(
            "saddle",
            "Escaping a saddle",
            {"objective": "saddle", "x0": 1.0, "y0": 0.001, "sgd_lr": 0.05, "rms_lr": 0.05, **_only("sgd", "rms")},
            "Starting right next to the saddle point of x² − y², where the gradient in y is almost zero. "
            "Which optimizer gets away first?",
            lambda n, _: (
                f"RMSProp escapes (f falls {ESCAPE_DROP:g} below its start) at step {n['RMSProp'].escape}, SGD "
                f"at step {n['SGD'].escape}. SGD's step in y is α times a tiny gradient; RMSProp divides the "
                "tiny gradient by its own tiny scale, so it steps about α in y from the start."
            ),
            lambda n, _: 0 <= n["RMSProp"].escape < n["SGD"].escape,
        ),
        Scenario(
            "noise",
            "Noisy gradients",
            {"objective": "ellipse", "noise": 3.0, "seed": 0, "steps": 300, **_only("sgd", "mom", "rms")},
            "Every gradient gets Gaussian noise of σ = 3, as a small mini-batch would give. Which optimizer "
            "stays closest to the minimum at the end?",
            lambda n, _: (
                f"Over the last 100 steps the mean loss is {n['RMSProp'].late_mean_loss:.3g} for RMSProp, "
                f"{n['Momentum'].late_mean_loss:.3g} for Momentum and {n['SGD'].late_mean_loss:.3g} for SGD. The "
                "noise also enters s, so RMSProp's steps shrink where the gradient is mostly noise: it damps "
                "the jitter that plain steps of α·g keep adding. (Same seed, same run: change it to check.)"
            ),
            lambda n, _: 2 * n["RMSProp"].late_mean_loss < min(n["SGD"].late_mean_loss, n["Momentum"].late_mean_loss),
        ),
        Scenario(
            "adagrad",
            "Adagrad's steps die out",
            {"objective": "rosenbrock", "ada_lr": 0.5, "rms_lr": 0.05, **_only("rms", "ada")},
            "Adagrad divides by the root of the sum of every g² so far; RMSProp by a decaying average. What "
            "happens to each one's step size over 1000 steps (chart on the right)?",
            lambda n, _: (
                f"Adagrad's effective step size in x falls from {n['Adagrad'].step_size_first:.2g} to "
                f"{n['Adagrad'].step_size_at[3]:.2g}, while RMSProp's goes from {n['RMSProp'].step_size_first:.2g} "
                f"to {n['RMSProp'].step_size_at[3]:.2g}; Adagrad ends at a loss of {n['Adagrad'].final_loss:.3g}, "
                f"RMSProp at {n['RMSProp'].final_loss:.3g}. A sum only grows, so Adagrad slows down for ever: "
                "RMSProp's decaying average is the fix."
            ),
            lambda n, _: (
                n["Adagrad"].step_size_at[3] < n["Adagrad"].step_size_first / 3
                and n["RMSProp"].step_size_at[3] >= n["RMSProp"].step_size_first
                and n["RMSProp"].final_loss < n["Adagrad"].final_loss
            ),
        ),
    )
}
FIRST_SCENARIO = next(iter(SCENARIOS))
assert tuple(SCENARIOS) == SCENARIO_IDS, "schemas.SCENARIO_IDS lists the scenarios in order"
