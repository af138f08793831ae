"""Guided scenarios: each claim its note makes holds, measured by the engine."""

from __future__ import annotations

import pytest

from rmsprop_core import SGD
from rmsprop_lab import runs
from rmsprop_lab.scenarios import FIRST_SCENARIO, SCENARIOS, measure, rounding_notes
from rmsprop_lab.schemas import COMPARE

from .apptest_helpers import fresh_app, table


@pytest.mark.parametrize("scenario_id", list(SCENARIOS))
def test_every_scenarios_claim_holds(scenario_id):
    scenario = SCENARIOS[scenario_id]
    numbers = measure(scenario.settings())
    contrast = None if scenario.contrast_settings() is None else measure(scenario.contrast_settings())
    assert scenario.holds(numbers, contrast), scenario.notice(numbers, contrast)
    note = scenario.notice(numbers, contrast)
    assert "nan" not in note and "-1" not in note.replace("10⁻¹", "")


def test_there_are_at_least_eight_and_each_is_a_valid_view():
    assert len(SCENARIOS) >= 8
    for scenario in SCENARIOS.values():
        settings, notices = COMPARE.parse_query(COMPARE.to_query(scenario.settings()))
        assert notices == [] and settings == scenario.settings(), scenario.id


def test_the_landing_view_is_the_first_scenario():
    assert COMPARE.defaults() == SCENARIOS[FIRST_SCENARIO].settings()
    at = fresh_app()
    assert dict(at.query_params) == {}
    assert any("Predict first" in info.value for info in at.info)
    rows = table(at)
    numbers = measure(SCENARIOS[FIRST_SCENARIO].settings())
    for label in ("SGD", "Momentum", "RMSProp"):
        assert rows[label]["steps to settle (f − f* ≤ tol)"] == str(numbers[label].settle)
    assert any(str(numbers["RMSProp"].settle) in md.value for md in at.markdown if "RMSProp settles in" in md.value)


def test_picking_a_scenario_sets_its_whole_view_and_a_change_retires_its_notes():
    at = fresh_app()
    at.selectbox(key="compare.scenario").set_value("saddle").run()
    assert not at.exception
    assert at.query_params["scenario"] == "saddle" and at.query_params["objective"] == "saddle"
    numbers = measure(SCENARIOS["saddle"].settings())
    assert table(at)["RMSProp"]["steps to escape (f ≤ f(start) − 1)"] == str(numbers["RMSProp"].escape)
    at.select_slider(key="compare.rms_lr").set_value(0.01).run()
    assert not any("Predict first" in info.value for info in at.info)
    assert any("its settings have changed" in caption.value for caption in at.caption)


def test_the_epsilon_scenarios_table_agrees_with_its_note():
    """Its loss is scaled by 10⁻⁶: at the default tolerance, 10⁻³, the table said RMSProp had settled
    at step 0 beside a note saying it never gets there."""
    at = fresh_app()
    at.selectbox(key="compare.scenario").set_value("epsilon").run()
    assert table(at)["RMSProp"]["steps to settle (f − f* ≤ tol)"] == "not settled"
    at.select_slider(key="compare.eps").set_value(1e-10).run()  # the note's contrast
    assert table(at)["RMSProp"]["steps to settle (f − f* ≤ tol)"] not in {"0", "not settled"}


def test_the_valleys_two_best_learning_rates_are_told_apart():
    """The scenario races at the best α of each slider; the caption's 1/(1 + κ) is the closed form's,
    which the slider need not hold (0.0099 here, SGD's best of the slider is 0.0079)."""
    at = fresh_app()
    assert any("best α of its slider (the fewest steps to settle)" in info.value for info in at.info)
    sgd_lr = SCENARIOS[FIRST_SCENARIO].settings()["sgd_lr"]
    assert sgd_lr == 0.0079 and sgd_lr in COMPARE.by_key()["sgd_lr"].choices
    (caption,) = [caption.value for caption in at.caption if "in closed form" in caption.value]
    assert "at the best α in closed form, 1/(1 + κ) = 0.0099, the error shrinks" in caption


SMALLEST_DOUBLE = " (4.94e-324 is the smallest positive double)"


def test_a_loss_rounded_to_f_star_off_the_minimum_is_explained_once_per_run():
    """SGD with α = 0.1 on the bowl shrinks x and y by 0.8 a step: after 3000 steps the point is
    4.65e-291 from the minimum and f = x² + y² underflows to exactly 0; after 3300 the distance is
    itself a subnormal double. The table alone reads "final loss 0" as a landing."""
    bowl = runs.FunctionChoice("bowl")
    objective = runs.objective_for(bowl)

    def run(lr: float, steps: int):
        return runs.path(SGD(lr=lr), bowl, (-1.5, 2.0), steps)

    assert rounding_notes([run(0.1, 3000), run(0.1, 3300)], objective, 1e-3) == [
        "SGD: final loss exactly f* = 0, yet 4.65e-291 from the minimum: f − f* is too small for float64 and "
        "rounds to 0.",
        f"SGD: final loss exactly f* = 0, yet 3.93e-320 from the minimum{SMALLEST_DOUBLE}: f − f* is too small "
        "for float64 and rounds to 0.",
    ]
    # α = 0.5 lands on (0, 0) exactly in one step, and 100 steps of α = 0.1 leave f > 0: nothing to explain
    assert rounding_notes([run(0.5, 10), run(0.1, 100)], objective, 1e-3) == []
    saddle = runs.FunctionChoice("saddle")
    assert rounding_notes([runs.path(SGD(lr=0.1), saddle, (-1.5, 2.0), 10)], runs.objective_for(saddle), 1e-3) == []


def test_compare_explains_a_final_loss_of_zero_beside_a_nonzero_distance():
    app = fresh_app({"objective": "bowl", "steps": "3300", "sgd_lr": "0.1"})
    sgd = table(app)["SGD"]
    assert sgd["final loss"] == "0" and sgd["distance to nearest minimum"] == "1.01e-319"
    assert (
        f"SGD: final loss exactly f* = 0, yet 1.01e-319 from the minimum{SMALLEST_DOUBLE}: f − f* is too small "
        "for float64 and rounds to 0."
    ) in [caption.value for caption in app.caption]
    assert not [caption.value for caption in app.caption if caption.value.startswith(("Momentum:", "RMSProp:"))]
