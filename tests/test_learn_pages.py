"""The Learn pages through AppTest: numbers from the engine, every control."""

from __future__ import annotations

import numpy as np
import pytest

from rmsprop_core import SGD, Momentum, RMSProp, get_objective, optimize
from rmsprop_core.lesson import lesson_output_lines
from rmsprop_core.metrics import steps_to_settle, steps_to_tolerance
from rmsprop_core.mission import MISSION_PRESETS, flight_report, mission_objective

from .apptest_helpers import charts, decode_array, fresh_app, markdown_tables, path_points, visit
from .test_lesson import lesson_printed_lines

LESSON_PAGE, ANATOMY_PAGE, DECAY_PAGE, MISSION_PAGE = (
    "pages/lesson.py",
    "pages/anatomy.py",
    "pages/decay.py",
    "pages/mission.py",
)


def rows_of(table) -> list[dict]:
    return table.value.to_dict("records")


# --- lesson -------------------------------------------------------------------------------------


def test_lesson_page_prints_the_lesson_output(lesson_text):
    at = fresh_app(page=LESSON_PAGE)
    assert at.code[0].value.splitlines() == lesson_printed_lines(lesson_text)
    assert any("character for character" in s.value for s in at.success)
    epochs = rows_of(at.table[0])
    assert [row["epoch"] for row in epochs] == [0, 20, 40, 60, 80, 100]
    assert epochs[0]["x"] == "4.6837723"


@pytest.mark.parametrize(
    ("widget", "name", "value"),
    [
        ("select_slider", "lr", 0.05),
        ("select_slider", "rho", 0.99),
        ("select_slider", "eps", 0.1),
        ("number_input", "x0", -3.0),
        ("number_input", "y0", 1.5),
        ("number_input", "updates", 41),
        ("number_input", "every", 10),
    ],
)
def test_lesson_controls_change_output_and_path(widget, name, value):
    at = fresh_app(page=LESSON_PAGE)
    getattr(at, widget)(key=f"lesson.{name}").set_value(value).run()
    settings = {"lr": 0.1, "rho": 0.9, "eps": 1e-6, "x0": 5.0, "y0": 4.0, "updates": 101, "every": 20}
    settings[name] = value
    trajectory = optimize(
        RMSProp(lr=settings["lr"], rho=settings["rho"], eps=settings["eps"]),
        get_objective("bowl"),
        (settings["x0"], settings["y0"]),
        settings["updates"],
    )
    assert at.code[0].value.splitlines() == lesson_output_lines(trajectory, settings["every"])
    np.testing.assert_array_equal(path_points(at, "RMSProp"), trajectory.points)
    assert not at.success  # no longer the lesson's settings
    at.button(key="lesson.reset").click().run()
    assert any("character for character" in s.value for s in at.success)


def test_lesson_honesty_section_is_measured():
    at = fresh_app(page=LESSON_PAGE)
    rows = rows_of(at.table[1])
    rhos = np.array([0.5, 0.9, 0.99, 0.999])
    family = optimize(
        RMSProp(lr=0.05, rho=rhos, eps=1e-6), get_objective("bowl"), np.broadcast_to(np.array([5.0, 4.0]), (4, 2)), 3000
    )
    reached = steps_to_tolerance(family.losses, 0.0, 1e-6)
    settled = steps_to_settle(family.losses, 0.0, 1e-6)
    shown = [str(r) if r >= 0 else "not within 3000" for r in reached]
    assert [row["α = 0.05: first reaches f ≤ 1e-6"] for row in rows] == shown
    assert [row["α = 0.05: stays there from"] for row in rows] == [
        str(r) if r >= 0 else "not within 3000" for r in settled
    ]
    assert reached[1] < reached[2]  # the measured counterexample: rho 0.99 slower than 0.9
    assert any(f"{reached[2]} updates instead of {reached[1]}" in info.value for info in at.info)
    # with the lesson's α, ρ = 0.9 and 0.99 reach 1e-6 and leave it again: they circle the minimum
    lesson = optimize(
        RMSProp(lr=0.1, rho=rhos, eps=1e-6), get_objective("bowl"), np.broadcast_to(np.array([5.0, 4.0]), (4, 2)), 3000
    )
    circling = (steps_to_tolerance(lesson.losses, 0.0, 1e-6) >= 0) & (steps_to_settle(lesson.losses, 0.0, 1e-6) < 0)
    assert circling.tolist() == [False, True, True, False]
    assert any("ρ = 0.9, 0.99 reach 10⁻⁶ and then leave it again" in info.value for info in at.info)


# --- anatomy ------------------------------------------------------------------------------------


def anatomy_cells(at) -> dict[str, tuple[str, str]]:
    return {row["quantity"]: (row["x"], row["y"]) for row in rows_of(at.table[0])}


def test_anatomy_table_matches_hand_computed_first_two_steps():
    at = fresh_app(page=ANATOMY_PAGE)
    cells = anatomy_cells(at)
    assert cells["g (gradient)"] == ("-10", "40")
    assert cells["s = 0.9·s_prev + 0.1·g²"] == ("10", "160")
    assert cells["RMSProp step α·g / (√s + ε)"] == ("-0.316228", "0.316228")
    assert cells["SGD step α·g (same α)"] == ("-1", "4")
    at.button(key="anatomy.next").click().run()
    assert at.slider(key="anatomy.step").value == 2
    g1 = np.array([-10.0, 40.0])
    w1 = np.array([-5.0, 2.0]) - 0.1 * g1 / (np.sqrt(0.1 * g1**2) + 1e-6)
    g2 = np.array([2 * w1[0], 20 * w1[1]])
    s2 = 0.9 * 0.1 * g1**2 + 0.1 * g2**2
    cells = anatomy_cells(at)
    assert cells["g (gradient)"] == tuple(f"{v:.6g}" for v in g2)
    assert cells["s before (s_prev)"] == ("10", "160")
    assert cells["s = 0.9·s_prev + 0.1·g²"] == tuple(f"{v:.6g}" for v in s2)
    assert cells["RMSProp step α·g / (√s + ε)"] == tuple(f"{v:.6g}" for v in 0.1 * g2 / (np.sqrt(s2) + 1e-6))


def test_anatomy_navigation_and_settings():
    at = fresh_app(page=ANATOMY_PAGE)
    at.button(key="anatomy.back").click().run()
    assert at.slider(key="anatomy.step").value == 1  # cannot go before the first update
    at.slider(key="anatomy.step").set_value(7).run()
    at.button(key="anatomy.next").click().run()
    assert at.slider(key="anatomy.step").value == 8
    at.button(key="anatomy.reset").click().run()
    assert at.slider(key="anatomy.step").value == 1
    at.select_slider(key="anatomy.rho").set_value(0.5).run()
    assert "s = 0.5·s_prev + 0.5·g²" in anatomy_cells(at)
    at.select_slider(key="anatomy.lr").set_value(0.01).run()
    at.select_slider(key="anatomy.eps").set_value(0.1).run()
    assert anatomy_cells(at)["√s + ε  (ε = 0.1)"][0] == f"{np.sqrt(0.5 * 100) + 0.1:.6g}"
    at.selectbox(key="anatomy.objective").set_value("bowl").run()
    assert anatomy_cells(at)["g (gradient)"] == ("10", "8")
    at.number_input(key="anatomy.steps").set_value(3).run()
    at.slider(key="anatomy.step").set_value(3).run()
    assert any("Compute more updates" in caption.value for caption in at.caption)
    assert not at.exception


def test_anatomy_at_rho_1_says_s_stays_0_instead_of_claiming_the_steps_even_out():
    at = fresh_app(page=ANATOMY_PAGE)
    assert any("evens the steps out" in info.value for info in at.info)
    at.select_slider(key="anatomy.rho").set_value(1.0).run()
    assert anatomy_cells(at)["s = 1·s_prev + 0·g²"] == ("0", "0")
    assert not any("evens the steps out" in info.value for info in at.info)
    (warning,) = [warning.value for warning in at.warning]
    assert warning.startswith("With ρ = 1, s keeps its starting value 0") and "Pick ρ < 1." in warning
    assert anatomy_cells(at)["RMSProp step α·g / (√s + ε)"] == ("-1e+06", "4e+06")  # α·g/ε: (-10, 40) / 1e-6


def test_anatomy_quiz_checks_answers_against_the_engine():
    at = fresh_app(page=ANATOMY_PAGE)
    trajectory = optimize(RMSProp(lr=0.1, rho=0.9, eps=1e-6), get_objective("ellipse"), (-5.0, 2.0), 40)
    true_s = trajectory.state["s"][2, 0]
    true_update = trajectory.points[1, 1] - trajectory.points[2, 1]
    # form widgets take effect when the form is submitted: set both, click Check, one run
    at.number_input(key="anatomy.guess_s").set_value(float(true_s))
    at.number_input(key="anatomy.guess_update").set_value(float(true_update) * 2)
    at.button(key="FormSubmitter:anatomy.quiz-Check").click().run()
    assert any("s for x" in s.value and "is right" in s.value for s in at.success)
    wrong = next(e.value for e in at.error if "step for y" in e.value)
    # a wrong answer gets a hint, not the answer
    assert "is not it yet. Hint:" in wrong and f"{true_update:.6g}" not in wrong
    assert not any(f"{true_update:.6g}" in element.value for element in [*at.info, *at.markdown])
    at.button(key="anatomy.reveal").click().run()
    assert any(f"step for y = {true_update:.6g}" in info.value for info in at.info)


# --- decay --------------------------------------------------------------------------------------


def decay_rows(at) -> list[dict]:
    return markdown_tables(at)[0]


def test_decay_explorer_steps_to_settle_from_one_broadcast_run():
    at = fresh_app(page=DECAY_PAGE)
    rhos = np.array([0.5, 0.9, 0.99, 0.999])
    ellipse = get_objective("ellipse")
    family = optimize(
        RMSProp(lr=0.05, rho=rhos, eps=1e-6),
        ellipse,
        np.broadcast_to(np.array(ellipse.start), (4, 2)),
        200,
        record_state=True,
    )
    reached = steps_to_tolerance(family.losses, 0.0, 1e-3)
    settled = steps_to_settle(family.losses, 0.0, 1e-3)
    rows = decay_rows(at)
    assert [row["first touch"] for row in rows] == [str(r) if r >= 0 else "not reached" for r in reached]
    assert [row["steps to settle"] for row in rows] == [str(r) if r >= 0 else "not settled" for r in settled]
    bars = charts(at)[2]["data"][0]
    assert list(bars["y"]) == [int(r) if r >= 0 else 200 for r in settled]
    # a run that never settled is drawn to the top, hatched, and its hover says so rather than "200"
    assert bars["marker"]["pattern"]["shape"] == ["" if r >= 0 else "/" for r in settled]
    assert "/" in bars["marker"]["pattern"]["shape"] and "%{text}" in bars["hovertemplate"]
    assert len(charts(at)) == 4
    # the step sizes: x solid, y dotted, one legend entry per ρ for both lines, and the engine's numbers
    lines = charts(at)[3]["data"]
    assert [(line["name"], line["line"]["dash"], line["showlegend"]) for line in lines[:2]] == [
        ("ρ = 0.5", "solid", True),
        ("ρ = 0.5", "dot", False),
    ]
    assert [line["name"] for line in lines if line["showlegend"]] == ["ρ = 0.5", "ρ = 0.9", "ρ = 0.99", "ρ = 0.999"]
    assert "ρ = 0.9: y" in lines[3]["hovertemplate"] and {line["legendgroup"] for line in lines[2:4]} == {"ρ = 0.9"}
    np.testing.assert_array_equal(decode_array(lines[3]["y"]), family.state["step_size"][1:, 1, 1])


def test_decay_controls():
    at = fresh_app(page=DECAY_PAGE)
    at.toggle(key="decay.gamma").set_value(True).run()
    assert "γ" in at.title[0].value and next(iter(decay_rows(at)[0])) == "γ"
    at.multiselect(key="decay.rhos").set_value([0.9, 0.95]).run()
    assert [row["γ"] for row in decay_rows(at)] == ["0.9", "0.95"]
    at.select_slider(key="decay.lr").set_value(0.01).run()
    at.select_slider(key="decay.eps").set_value(1e-8).run()
    at.number_input(key="decay.steps").set_value(120).run()
    at.select_slider(key="decay.tol").set_value(0.1).run()
    family = optimize(
        RMSProp(lr=0.01, rho=np.array([0.9, 0.95]), eps=1e-8),
        get_objective("ellipse"),
        np.broadcast_to(np.array([-5.0, 2.0]), (2, 2)),
        120,
    )
    settled = steps_to_settle(family.losses, 0.0, 0.1)
    assert [row["steps to settle"] for row in decay_rows(at)] == [str(r) if r >= 0 else "not settled" for r in settled]
    at.selectbox(key="decay.objective").set_value("saddle").run()
    assert any("no minimum" in info.value for info in at.info)
    at.multiselect(key="decay.rhos").set_value([]).run()
    assert any("Pick at least one" in info.value for info in at.info)
    assert not at.exception


# --- mission ------------------------------------------------------------------------------------


def mission_rows(at) -> dict[str, dict]:
    return {row["flight"]: row for row in rows_of(at.table[0])}


def test_mission_reports_match_the_engine_for_the_default_preset():
    at = fresh_app(page=MISSION_PAGE)
    mission = MISSION_PRESETS["asteroid field"]
    objective = mission_objective(mission)
    rows = mission_rows(at)
    for label, spec in (("SGD", SGD(lr=0.05)), ("Momentum", Momentum(lr=0.01)), ("RMSProp", RMSProp(lr=0.05))):
        report = flight_report(optimize(spec, objective, mission.ship, 500).points, mission)
        assert rows[label]["fuel used (path length)"] == f"{report.fuel_used:.3f}"
        assert rows[label]["steps taken"] == str(report.steps_taken)
    assert rows["SGD"]["outcome"] == "docked at step 60"
    assert rows["Momentum"]["outcome"] == "crashed at step 8"


def test_mission_controls():
    at = fresh_app(page=MISSION_PAGE)
    at.selectbox(key="mission.preset").set_value("open space").run()
    assert at.number_input(key="mission.station_x").value == 3.0
    assert all(row["closest approach to a hazard centre"] == "—" for row in mission_rows(at).values())
    at.number_input(key="mission.ship_x").set_value(-2.0).run()
    at.number_input(key="mission.ship_y").set_value(1.0).run()
    at.number_input(key="mission.station_y").set_value(0.0).run()
    at.number_input(key="mission.radius").set_value(0.5).run()
    for name, value in (("sgd_lr", 0.02), ("mom_lr", 0.005), ("mom_mu", 0.5), ("rms_lr", 0.1), ("rho", 0.99)):
        at.select_slider(key=f"mission.{name}").set_value(value).run()
    at.number_input(key="mission.steps").set_value(200).run()
    from rmsprop_core.mission import Mission

    mission = Mission(ship=(-2.0, 1.0), station=(3.0, 0.0), docking_radius=0.5)
    report = flight_report(
        optimize(RMSProp(lr=0.1, rho=0.99), mission_objective(mission), mission.ship, 200).points, mission
    )
    assert mission_rows(at)["RMSProp"]["fuel used (path length)"] == f"{report.fuel_used:.3f}"
    assert not at.exception


def test_mission_hazard_rows_are_validated():
    from rmsprop_lab.schemas import MAX_HAZARDS, hazards_from_rows

    rows = [
        {"x": 1.0, "y": 2.0, "strength": 10.0, "width": 1.0, "core radius": 0.2},
        {"x": None, "y": 2.0, "strength": 10.0, "width": 1.0, "core radius": 0.2},
        {"x": float("nan"), "y": 2.0, "strength": 10.0, "width": 1.0, "core radius": 0.2},
        {"x": 1e9, "y": 2.0, "strength": 10.0, "width": 1.0, "core radius": 0.2},
        {"x": 0.0, "y": 0.0, "strength": 10.0, "width": 0.0, "core radius": 0.2},
        {"x": 0.0, "y": 0.0, "strength": 1e9, "width": 1.0, "core radius": 0.2},
    ]
    hazards, problems = hazards_from_rows(rows)
    assert [h.centre for h in hazards] == [(1.0, 2.0)]
    assert len(problems) == 5 and "row 2" in problems[0] and "row 4" in problems[2]
    many, problems = hazards_from_rows([rows[0]] * (MAX_HAZARDS + 3))
    assert len(many) == MAX_HAZARDS and problems == [f"Only the first {MAX_HAZARDS} hazards are used."]


def test_mission_page_shows_the_presets_hazards_in_the_editor():
    at = fresh_app(page=MISSION_PAGE)
    editor = at.get("dataframe")[0]
    assert editor.proto.editing_mode != 0  # an editable table (data_editor), not a plain dataframe
    assert any(m.value == "##### Hazards" for m in at.markdown)
    at.selectbox(key="mission.preset").set_value("open space").run()
    assert not at.exception


# --- your own formula on every page that picks a function ------------------------------------------


@pytest.mark.parametrize("page", ["pages/anatomy.py", "pages/decay.py", "pages/sweep.py", "pages/conventions.py"])
def test_every_function_picker_offers_your_own_formula(page):
    prefix = page.removeprefix("pages/").removesuffix(".py")
    at = fresh_app(page=page)
    at.selectbox(key=f"{prefix}.objective").set_value("custom").run()
    at.text_input(key=f"{prefix}.formula").input("x^2 + 3*y^2").run()
    assert not at.exception
    assert charts(at)
    at.text_input(key=f"{prefix}.formula").input("x + nope").run()
    assert not at.exception
    assert any("unknown name 'nope'" in error.value for error in at.error)


def test_decay_explorer_on_a_formula_matches_the_engine():
    from rmsprop_core import parse_objective

    at = fresh_app(page=DECAY_PAGE)
    at.selectbox(key="decay.objective").set_value("custom").run()
    at.text_input(key="decay.formula").input("x^2 + 3*y^2").run()
    objective = parse_objective("x^2 + 3*y^2")
    rhos = np.array([0.5, 0.9, 0.99, 0.999])
    family = optimize(
        RMSProp(lr=0.05, rho=rhos, eps=1e-6), objective, np.broadcast_to(np.array(objective.start), (4, 2)), 300
    )
    np.testing.assert_array_equal(path_points(at, "ρ = 0.9"), family.points[:, 1])


def test_the_lesson_names_its_five_exercises_and_links_each_to_its_practice():
    from urllib.parse import parse_qsl

    from rmsprop_lab.schemas import LESSON_EXERCISES, PAGE_SCHEMAS

    at = fresh_app(page=LESSON_PAGE)
    titles = [
        "RMSProp Assisted Space Navigation",
        "Scaling the Optimizer: Adjusting RMSProp with Gamma",
        "Adjust the Decay Rate in RMSProp Algorithm",
        "Implement RMSProp Update",
        "Implement RMSProp's Squared Gradient Update",
    ]
    shown = " ".join(md.value for md in at.markdown)
    assert all(f"**{number}. {title}**" in shown for number, title in enumerate(titles, start=1))
    links = at.get("page_link")
    assert len(links) == 5
    for link, (_, _, page, query) in zip(links, LESSON_EXERCISES, strict=True):
        assert (link.proto.page or "compare") == page  # Compare is the default page, at the root
        assert dict(parse_qsl(link.proto.query_string)) == query
        _, notices = PAGE_SCHEMAS[page].parse_query(query)
        assert notices == [], (page, notices)
    # following a link applies its settings even when that page was visited before
    visit(at, "pages/decay.py")
    assert at.session_state["decay.gamma"] is False
    visit(at, "pages/lesson.py")
    for name, value in LESSON_EXERCISES[1][3].items():
        at.query_params[name] = value
    at.switch_page("pages/decay.py").run()
    assert at.session_state["decay.gamma"] is True


def test_a_ship_stops_where_it_crashes_or_docks():
    """Momentum "crashed at step 8" was drawn flying its whole 500-step path through two hazards."""
    at = fresh_app(page=MISSION_PAGE)
    mission = MISSION_PRESETS["asteroid field"]
    flown = optimize(Momentum(lr=0.01), mission_objective(mission), mission.ship, 500).points
    momentum = path_points(at, "Momentum")
    assert momentum.shape == (9, 2)  # steps 0..8: it crashed at step 8
    np.testing.assert_array_equal(momentum, flown[:9])
    assert path_points(at, "SGD").shape == (61, 2)  # docked at step 60
    chart = charts(at)[0]
    crash = next(t for t in chart["data"] if t.get("name") == "crash")
    assert crash["text"] == ["Momentum crashed"] and [crash["x"][0], crash["y"][0]] == flown[8].tolist()
    # the animation's last frame leaves each ship where it stopped
    last = chart["frames"][-1]["data"]
    assert [last[1]["x"][0], last[1]["y"][0]] == flown[8].tolist()
