"""CSV round trip (bit-exact) and the command line."""

from __future__ import annotations

import subprocess
import sys
import types

import numpy as np
import pytest

from rmsprop_core import (
    SGD,
    Adagrad,
    Adam,
    Momentum,
    RMSProp,
    get_objective,
    optimize,
    read_trajectories_csv,
    trajectories_to_csv,
)
from rmsprop_core.csv_io import BASE_COLUMNS

from .conftest import ROOT


def sample_runs():
    objective = get_objective("rosenbrock")
    specs = {
        "SGD": SGD(lr=1e-3),
        "Momentum, lr=1e-3": Momentum(lr=1e-3, momentum=0.9, nesterov=True),
        'RMSProp "centered"': RMSProp(lr=0.01, rho=0.9, eps=1e-6, centered=True),
        "Adam": Adam(lr=0.05),
        "SGD diverging": SGD(lr=10.0),
        "Momentum diverging": Momentum(lr=0.01, momentum=0.9),
        "Adagrad": Adagrad(lr=0.1),
    }
    return {
        label: (spec, objective, optimize(spec, objective, (-1.5, 2.0), 60, record_state=True))
        for label, spec in specs.items()
    }


def test_csv_round_trip_is_bit_exact():
    runs = sample_runs()
    text = trajectories_to_csv(runs)
    back = read_trajectories_csv(text)
    assert list(back) == list(runs)
    for label, (spec, objective, trajectory) in runs.items():
        record = back[label]
        assert record.optimizer == spec.kind and record.objective == objective.name
        assert record.steps.tolist() == list(range(61))
        # bit-exact, NaN where the run diverged
        np.testing.assert_array_equal(record.points, trajectory.points)
        np.testing.assert_array_equal(record.losses, trajectory.losses)
        np.testing.assert_array_equal(record.grads, trajectory.grads)
        assert record.hyperparameters == spec.hyperparameters()
        assert set(record.state) == set(trajectory.state)
        for name, values in trajectory.state.items():
            np.testing.assert_array_equal(record.state[name], values, err_msg=f"{label}: {name}")
    assert np.isnan(back["Momentum diverging"].state["b"][-1]).all()  # NaN after divergence, kept


def test_csv_state_columns_name_each_coordinate_and_stay_empty_where_a_run_has_none():
    text = trajectories_to_csv(sample_runs())
    header = text.splitlines()[0].split(",")
    assert header[9:17] == ["s_x", "s_y", "step_size_x", "step_size_y", "m_x", "m_y", "b_x", "b_y"]
    sgd_row = next(line for line in text.splitlines() if line.startswith("SGD,"))
    assert sgd_row.split(",")[9:17] == [""] * 8
    rmsprop = sample_runs()['RMSProp "centered"'][2]
    first_step = next(
        line for line in text.splitlines() if line.startswith('"RMSProp ""centered""",rmsprop,rosenbrock,1,')
    )
    cells = first_step.split(",")
    assert [float(cell) for cell in cells[9:11]] == rmsprop.state["s"][1].tolist()
    assert [float(cell) for cell in cells[11:13]] == rmsprop.state["step_size"][1].tolist()


def test_csv_takes_the_documented_dict_form_of_a_run():
    spec, objective, trajectory = sample_runs()["Adam"]
    as_dict = trajectories_to_csv({"Adam": {"optimizer": spec, "objective": objective, "trajectory": trajectory}})
    assert as_dict == trajectories_to_csv({"Adam": (spec, objective, trajectory)})
    assert read_trajectories_csv(as_dict)["Adam"].state.keys() == {"m", "s"}


def test_csv_columns_tidy_long_format():
    text = trajectories_to_csv(sample_runs())
    header = text.splitlines()[0].split(",")
    assert tuple(header[:9]) == BASE_COLUMNS
    assert header[17:] == [
        "lr",
        "momentum",
        "nesterov",
        "rho",
        "eps",
        "centered",
        "eps_in_sqrt",
        "initial_accumulator",
        "beta1",
        "beta2",
    ]
    assert len(text.splitlines()) == 1 + 7 * 61


def test_csv_refuses_batches_and_foreign_text():
    objective = get_objective("bowl")
    batch = optimize(SGD(lr=np.array([0.1, 0.2])), objective, (1.0, 1.0), 3)
    with pytest.raises(ValueError, match="batch"):
        trajectories_to_csv({"b": (SGD(lr=np.array([0.1, 0.2])), objective, batch)})
    with pytest.raises(ValueError, match="not a trajectories CSV"):
        read_trajectories_csv("a,b\n1,2\n")
    with pytest.raises(ValueError, match="empty"):
        read_trajectories_csv("")


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "rmsprop_core", *args], cwd=ROOT, capture_output=True, text=True)


def test_cli_run_writes_the_trajectory_csv(tmp_path):
    out = tmp_path / "run.csv"
    result = run_cli(
        "run",
        "--objective",
        "rosenbrock",
        "--optimizer",
        "rmsprop",
        "--lr",
        "0.01",
        "--rho",
        "0.9",
        "--eps",
        "1e-6",
        "--steps",
        "500",
        "--start",
        "-1.5",
        "2",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    record = read_trajectories_csv(out.read_text())["RMSProp"]
    expected = optimize(RMSProp(lr=0.01, rho=0.9, eps=1e-6), get_objective("rosenbrock"), (-1.5, 2.0), 500)
    np.testing.assert_array_equal(record.points, expected.points)


@pytest.mark.parametrize(
    ("args", "expected_spec"),
    [
        (["--optimizer", "sgd", "--lr", "0.001"], SGD(lr=0.001)),
        (["--optimizer", "nesterov", "--momentum", "0.5"], Momentum(momentum=0.5, nesterov=True)),
        (
            [
                "--optimizer",
                "rmsprop",
                "--gamma",
                "0.99",
                "--centered",
                "--eps-in-sqrt",
                "--momentum",
                "0.3",
                "--initial-accumulator",
                "1",
            ],
            RMSProp(rho=0.99, centered=True, eps_in_sqrt=True, momentum=0.3, initial_accumulator=1.0),
        ),
        (
            ["--optimizer", "adam", "--beta1", "0.8", "--beta2", "0.99", "--eps", "1e-7"],
            Adam(beta1=0.8, beta2=0.99, eps=1e-7),
        ),
        (
            ["--optimizer", "adagrad", "--lr", "0.5", "--eps", "1e-8", "--initial-accumulator", "0.1"],
            Adagrad(lr=0.5, eps=1e-8, initial_accumulator=0.1),
        ),
    ],
)
def test_cli_reaches_every_optimizer_and_hyperparameter(args, expected_spec):
    result = run_cli("run", "--objective", "booth", "--steps", "3", *args)
    assert result.returncode == 0, result.stderr
    record = next(iter(read_trajectories_csv(result.stdout).values()))
    assert record.hyperparameters == expected_spec.hyperparameters()
    assert record.points[0].tolist() == list(get_objective("booth").start)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lr", "-1"], "lr must be in"),
        (["--objective", "nope"], "invalid choice"),
        (["--steps", "ten"], "invalid int value"),
        (["--steps", "-3"], "--steps must be between"),
        (["--optimizer", "sgd", "--rho", "0.9"], "--rho does not apply to sgd"),
        (["--optimizer", "adam", "--centered"], "apply to rmsprop only"),
        (["--optimizer", "adagrad", "--rho", "0.9"], "--rho does not apply to adagrad"),
        (["--start", "1"], "expected 2 arguments"),
        (["--rho", "nan"], "rho must be in"),
        (["--start", "nan", "0"], "--start must be two finite numbers, got nan 0"),
        (["--start", "1", "inf"], "--start must be two finite numbers, got 1 inf"),
        (["--out", "/nonexistent-dir/x.csv"], "No such file"),
    ],
)
def test_cli_bad_arguments_one_line_exit_2(args, message):
    result = run_cli("run", *args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in result.stderr


def test_grid_csv_has_one_row_per_cell_in_axis_order_and_reads_back_exactly():
    import csv
    import io

    from rmsprop_core.csv_io import grid_to_csv

    rates, decays = np.array([1e-3, 0.1 / 3]), np.array([0.9, 0.99, 0.999])
    outcomes = {
        "final_loss": np.array([[1.5, np.nan, 2.0 / 3], [np.inf, 0.0, 1e-300]]),
        "steps": np.arange(6).reshape(2, 3),
    }
    text = grid_to_csv({"lr": rates, "rho": decays}, outcomes)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["lr", "rho", "final_loss", "steps"] and len(rows) == 7
    assert text.endswith("\n") and "\r" not in text
    for index, row in enumerate(rows[1:]):
        i, j = divmod(index, 3)
        assert (float(row[0]), float(row[1])) == (rates[i], decays[j])
        np.testing.assert_array_equal(float(row[2]), outcomes["final_loss"][i, j])
        assert row[3] == str(index)


def test_grid_csv_writes_whole_number_axis_values_as_floats_and_outcomes_as_they_are():
    from rmsprop_core.csv_io import grid_to_csv

    outcomes = {"steps": np.array([[3, -1]]), "diverged": np.array([[False, True]])}
    text = grid_to_csv({"lr": [2], "momentum": [0, 1]}, outcomes)
    assert text == "lr,momentum,steps,diverged\n2.0,0.0,3,False\n2.0,1.0,-1,True\n"


def test_a_run_on_an_objective_without_a_name_is_labelled_custom():
    class Unnamed:
        domain = ((-5, 5), (-5, 5))

        def f(self, x, y):
            return x * x + y * y

        def grad(self, x, y):
            return 2 * x, 2 * y

    run = optimize(SGD(lr=0.1), Unnamed(), (1.0, 1.0), 2)
    text = trajectories_to_csv({"plain": (SGD(lr=0.1), Unnamed(), run)})
    assert text.splitlines()[1].startswith("plain,sgd,custom,0,1.0,1.0,2.0,")


def test_csv_refusals_say_what_is_wrong():
    spec, objective, trajectory = sample_runs()["SGD"]
    text = trajectories_to_csv({"SGD": (spec, objective, trajectory)})
    header, first, *_ = text.splitlines()
    with pytest.raises(ValueError, match=r"row 2 has 3 fields, expected \d+"):
        read_trajectories_csv(f"{header}\n1,2,3\n")
    with pytest.raises(ValueError, match=r"^empty CSV$"):
        read_trajectories_csv("")
    with pytest.raises(ValueError, match=r"expected columns run, optimizer, objective, step, x, y, loss"):
        read_trajectories_csv("a,b\n1,2\n")
    batch = optimize(SGD(lr=np.array([0.1, 0.2, 0.3])), objective, np.zeros((4, 1, 2)), 3)
    with pytest.raises(ValueError, match=r"run 'b' is a batch of shape \(4, 3\); export single runs"):
        trajectories_to_csv({"b": (SGD(lr=0.1), objective, batch)})

    odd = types.SimpleNamespace(
        points=trajectory.points,
        losses=trajectory.losses,
        grads=trajectory.grads,
        state={"velocity": trajectory.points},
    )
    with pytest.raises(ValueError, match="no CSV columns for the state velocity"):
        trajectories_to_csv({"odd": (spec, objective, odd)})
    assert int(first.split(",")[3]) == 0


def test_csv_of_a_run_with_no_steps_and_of_several_unknown_states():
    spec, objective = RMSProp(lr=0.1), get_objective("bowl")
    run = optimize(spec, objective, (1.0, 2.0), 0, record_state=True)
    text = trajectories_to_csv({"still": (spec, objective, run)})
    assert "\r" not in text and len(text.splitlines()) == 2
    back = read_trajectories_csv(text)["still"]
    assert back.optimizer == "rmsprop" and back.hyperparameters == spec.hyperparameters()
    np.testing.assert_array_equal(back.state["step_size"], run.state["step_size"])
    odd = types.SimpleNamespace(points=run.points, losses=run.losses, grads=run.grads, state={"zeta": 1, "velocity": 2})
    with pytest.raises(ValueError, match=r"no CSV columns for the state velocity, zeta$"):
        trajectories_to_csv({"odd": (spec, objective, odd)})
