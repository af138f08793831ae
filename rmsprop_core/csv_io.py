"""Trajectories as tidy CSV: one row per run and step, floats that read back bit-identical."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np

BASE_COLUMNS = ("run", "optimizer", "objective", "step", "x", "y", "loss", "grad_x", "grad_y")

#: The optimizer state written per step, in this order, as ``<name>_x`` and ``<name>_y`` columns:
#: ``s`` the running average (Adagrad: sum) of g², ``step_size`` the effective α / d, ``m`` the
#: running average of g (centered RMSProp, Adam), ``b`` the momentum buffer.
STATE_NAMES = ("s", "step_size", "m", "b")


def state_columns(name: str) -> tuple[str, str]:
    return f"{name}_x", f"{name}_y"


def _format_value(value) -> str:
    # repr() of a Python float is the shortest text that parses back to the identical float64
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return repr(float(value))


@dataclass
class RunRecord:
    """One run read back from CSV."""

    optimizer: str
    objective: str
    hyperparameters: dict
    steps: np.ndarray
    points: np.ndarray
    losses: np.ndarray
    grads: np.ndarray
    #: ``{name: (steps + 1, 2) array}`` for each state the run's optimizer keeps
    state: dict


def trajectories_to_csv(runs: dict) -> str:
    """``runs`` maps a run label to ``(optimizer, objective, trajectory)`` (or a dict with those
    keys). A trajectory is anything with single-run ``points`` ``(steps + 1, 2)``, ``losses``,
    ``grads`` and ``state`` (a ``Trajectory`` of batch shape ``()``, or a record of one). Returns
    the CSV text: the base columns, then two columns per state any run keeps (``s_x``, ``s_y``,
    ``step_size_x``, ...), then one column per hyperparameter name used by any run; a cell is empty
    where a run has no such state or hyperparameter."""
    normalised = []
    hyper_names: list[str] = []
    kept_state: set[str] = set()
    for label, run in runs.items():
        if isinstance(run, dict):
            optimizer, objective, trajectory = run["optimizer"], run["objective"], run["trajectory"]
        else:
            optimizer, objective, trajectory = run
        if np.ndim(trajectory.points) != 2:
            raise ValueError(
                f"run {label!r} is a batch of shape {np.shape(trajectory.points)[1:-1]}; export single runs"
            )
        kept_state.update(trajectory.state)
        hyper = optimizer.hyperparameters()
        for name in hyper:
            if name not in hyper_names:
                hyper_names.append(name)
        normalised.append((str(label), optimizer, objective, trajectory, hyper))

    unknown = kept_state.difference(STATE_NAMES)
    if unknown:
        raise ValueError(f"no CSV columns for the state {', '.join(sorted(unknown))}")
    state_names = [name for name in STATE_NAMES if name in kept_state]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        BASE_COLUMNS + tuple(column for name in state_names for column in state_columns(name)) + tuple(hyper_names)
    )
    for label, optimizer, objective, trajectory, hyper in normalised:
        points, losses, grads, state = trajectory.points, trajectory.losses, trajectory.grads, trajectory.state
        hyper_cells = [_format_value(hyper[name]) if name in hyper else "" for name in hyper_names]
        objective_name = getattr(objective, "name", "custom")
        for step in range(len(points)):
            state_cells = []
            for name in state_names:
                values = state.get(name)
                state_cells += ["", ""] if values is None else [_format_value(v) for v in values[step]]
            writer.writerow(
                [label, optimizer.kind, objective_name, str(step)]
                + [
                    _format_value(v)
                    for v in (points[step, 0], points[step, 1], losses[step], grads[step, 0], grads[step, 1])
                ]
                + state_cells
                + hyper_cells
            )
    return buffer.getvalue()


def _parse_hyperparameter(text: str):
    if text in ("True", "False"):
        return text == "True"
    return float(text)


def read_trajectories_csv(text: str) -> dict[str, RunRecord]:
    """Read CSV written by :func:`trajectories_to_csv` back into ``{label: RunRecord}``."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise ValueError("empty CSV") from None
    if tuple(header[: len(BASE_COLUMNS)]) != BASE_COLUMNS:
        raise ValueError(f"not a trajectories CSV: expected columns {', '.join(BASE_COLUMNS)}")
    state_names = []
    position = len(BASE_COLUMNS)
    for name in STATE_NAMES:
        if tuple(header[position : position + 2]) == state_columns(name):
            state_names.append(name)
            position += 2
    hyper_names = header[position:]
    rows_by_run: dict[str, list[list[str]]] = {}
    for row in reader:
        if len(row) != len(header):
            raise ValueError(f"row {reader.line_num} has {len(row)} fields, expected {len(header)}")
        rows_by_run.setdefault(row[0], []).append(row)
    records = {}
    for label, rows in rows_by_run.items():
        numbers = np.array([[float(cell) for cell in row[4:9]] for row in rows])
        hyper = {
            name: _parse_hyperparameter(cell)
            for name, cell in zip(hyper_names, rows[0][position:], strict=True)
            if cell != ""
        }
        state = {}
        for index, name in enumerate(state_names):
            cells = [row[len(BASE_COLUMNS) + 2 * index : len(BASE_COLUMNS) + 2 * index + 2] for row in rows]
            if cells[0] != ["", ""]:
                state[name] = np.array([[float(cell) for cell in pair] for pair in cells])
        records[label] = RunRecord(
            optimizer=rows[0][1],
            objective=rows[0][2],
            hyperparameters=hyper,
            steps=np.array([int(row[3]) for row in rows]),
            points=numbers[:, 0:2],
            losses=numbers[:, 2],
            grads=numbers[:, 3:5],
            state=state,
        )
    return records


def grid_to_csv(axes: dict[str, np.ndarray], outcomes: dict[str, np.ndarray]) -> str:
    """One row per grid cell: the hyperparameter values (``axes``: name -> 1-D values, the grid is
    their outer product in the given order) and each outcome (``outcomes``: name -> array of the
    grid's shape). Floats are written so that they read back bit-identical."""
    names = list(axes)
    mesh = np.meshgrid(*[np.asarray(axes[name], dtype=float) for name in names], indexing="ij")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names + list(outcomes))
    flat_outcomes = [np.asarray(values).reshape(-1) for values in outcomes.values()]
    for index, coordinates in enumerate(zip(*(m.reshape(-1) for m in mesh), strict=True)):
        writer.writerow([_format_value(v) for v in coordinates] + [_format_value(o[index]) for o in flat_outcomes])
    return buffer.getvalue()
