"""The ladders the browser swaps in while a slider is dragged: the engine's numbers, within budget."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rmsprop_core import SGD, Adagrad, RMSProp, get_objective, optimize
from rmsprop_lab import figures, live_chart, runs
from rmsprop_lab.options import EPS_OPTIONS, LR_OPTIONS, MAX_STEPS, RHO_OPTIONS
from rmsprop_lab.schemas import function_choice

ROSENBROCK = function_choice({"objective": "rosenbrock"})
START = (-1.5, 2.0)
SLIDERS = {"rho": "compare.rho", "rms_lr": "compare.rms_lr"}
CHARTS = {"main": "compare_main", "loss": "compare_loss", "step": "compare_step_size"}


@pytest.fixture(autouse=True)
def empty_caches():
    runs.clear()


def read_payload(payload: bytes) -> tuple[dict, np.ndarray]:
    """The header and the float32 arrays, read as the browser reads them."""
    assert payload[:4] == live_chart.LADDER_MAGIC
    length = int.from_bytes(payload[4:8], "little")
    return json.loads(payload[8 : 8 + length]), np.frombuffer(payload[8 + length :], dtype="<f4")


def split(header: dict, floats: np.ndarray) -> dict[str, np.ndarray]:
    ladder = header["ladder"]
    count, paths, lines = ladder["count"], len(ladder["pathSteps"]), len(ladder["lineSteps"])
    sizes = {"paths": count * 2 * paths, "ends": count * 2, "losses": count * lines}
    if ladder["stepSteps"] is not None:
        sizes["step_sizes"] = count * 2 * len(ladder["stepSteps"])
    assert sum(sizes.values()) == floats.size
    parts, at = {}, 0
    for name, size in sizes.items():
        parts[name] = floats[at : at + size]
        at += size
    return parts


@np.errstate(over="ignore")
def test_each_row_is_the_engines_run_at_that_value_of_the_ladder():
    spec = RMSProp(lr=0.005, rho=0.9, eps=1e-6)
    ladder = runs.ladder(spec, "rho", RHO_OPTIONS, ROSENBROCK, START, 1000, setting="rho")
    header, floats = read_payload(live_chart.ladder_payload(ladder, SLIDERS, CHARTS))
    assert header["sliders"] == {"st-key-compare-rho": "rho", "st-key-compare-rms_lr": "rms_lr"}
    assert header["ladder"]["setting"] == "rho" and header["ladder"]["label"] == "RMSProp"
    parts = split(header, floats)
    count = len(RHO_OPTIONS)
    path_steps, line_steps = header["ladder"]["pathSteps"], header["ladder"]["lineSteps"]
    assert path_steps == list(range(1001))  # 19 values fit every step of the path
    objective = get_objective("rosenbrock")
    # float32, as sent: a diverging run's 7.5e97 becomes inf, which no chart draws differently
    for index in (0, RHO_OPTIONS.index(0.95), count - 1):
        run = optimize(RMSProp(lr=0.005, rho=RHO_OPTIONS[index], eps=1e-6), objective, START, 1000)
        path = parts["paths"].reshape(count, 2, -1)[index]
        np.testing.assert_allclose(path.T, run.points[path_steps].astype(np.float32), rtol=1e-6, atol=1e-30)
        losses = parts["losses"].reshape(count, -1)[index]
        expected = np.maximum(run.losses[line_steps].astype(np.float32), np.finfo(np.float32).tiny)  # f* = 0
        np.testing.assert_allclose(losses, expected, rtol=1e-6)
        steps = header["ladder"]["stepSteps"]
        sizes = parts["step_sizes"].reshape(count, 2, -1)[index]
        np.testing.assert_allclose(sizes.T, run.state["step_size"][steps].astype(np.float32), rtol=1e-6)
        finite = run.points[np.isfinite(run.points).all(axis=1)]
        np.testing.assert_allclose(parts["ends"].reshape(count, 2)[index], finite[-1].astype(np.float32), rtol=1e-6)


def test_a_diverged_run_ends_at_its_last_finite_point_and_the_replay_cuts_the_path():
    spec = SGD(lr=0.01)
    ladder = runs.ladder(spec, "lr", LR_OPTIONS, ROSENBROCK, START, 500, upto=120, setting="sgd_lr")
    assert ladder.path_steps[-1] == 120 and ladder.line_steps[-1] == 500 and ladder.step_sizes is None
    objective = get_objective("rosenbrock")
    index = LR_OPTIONS.index(0.1)
    run = optimize(SGD(lr=0.1), objective, START, 500)
    assert 0 <= run.diverged_at <= 120
    finite = run.points[:121][np.isfinite(run.points[:121]).all(axis=1)]
    np.testing.assert_allclose(ladder.ends[index], finite[-1], rtol=1e-6)


@pytest.mark.parametrize(
    ("spec", "name", "values"),
    [
        (RMSProp(lr=0.005), "lr", LR_OPTIONS),
        (RMSProp(lr=0.005), "eps", EPS_OPTIONS),
        (RMSProp(lr=0.005, centered=True, momentum=0.9), "rho", RHO_OPTIONS),
        (Adagrad(lr=0.1), "lr", LR_OPTIONS),
    ],
)
def test_a_ladder_stays_within_300_kb_at_the_most_steps(spec, name, values):
    ladder = runs.ladder(spec, name, values, ROSENBROCK, START, MAX_STEPS, setting=name)
    payload = live_chart.ladder_payload(ladder, {"rho": "compare.rho"}, CHARTS)
    assert len(payload) <= 300_000
    assert len(ladder.path_steps) >= 300  # still a path worth drawing: > 2 points per 3 pixels of a 900 px chart
    assert sum(array.nbytes for array in ladder.arrays()) <= figures.SCRUB_LADDER_BYTES


def test_no_ladder_is_a_header_only():
    header, floats = read_payload(live_chart.ladder_payload(None, SLIDERS, CHARTS))
    assert header["ladder"] is None and floats.size == 0 and header["charts"] == CHARTS


def test_a_scrub_elements_key_must_say_so():
    with pytest.raises(ValueError, match="_scrub"):
        live_chart.scrub_ladder(None, revision=None, sliders=SLIDERS, charts=CHARTS, key="compare_ladder")


def test_a_ladder_carries_its_revision():
    inputs = ("rmsprop", (("lr", 0.005), ("eps", 1e-6)), ROSENBROCK, START, 100, -1)
    revision = live_chart.scrub_revision(inputs)
    assert revision == live_chart.scrub_revision(tuple(inputs)) and len(revision) == 16
    assert live_chart.scrub_revision(("rmsprop", (("lr", 0.01), ("eps", 1e-6)), ROSENBROCK, START, 100, -1)) != revision
    ladder = runs.ladder(RMSProp(lr=0.005, rho=0.9), "rho", RHO_OPTIONS, ROSENBROCK, START, 100, setting="rho")
    header, _ = read_payload(live_chart.ladder_payload(ladder, SLIDERS, CHARTS, revision))
    assert header["ladder"]["revision"] == revision


@pytest.mark.parametrize(
    ("state", "setting"),
    [
        ({"wanted": {"setting": "rho", "revision": "0f1e"}}, "rho"),
        ({"wanted": {"setting": "rms_lr", "revision": None}}, "rms_lr"),
        ({"wanted": None}, None),
        ({"wanted": "rho"}, None),  # the browser's word is not trusted: only the form it sends is read
        ({"wanted": {"setting": ["rho"]}}, None),
        ({"wanted": {"revision": "0f1e"}}, None),
        (None, None),
        ("rho", None),
    ],
)
def test_the_requested_ladder_is_read_from_what_the_browser_sends(monkeypatch, state, setting):
    monkeypatch.setattr(live_chart.st, "session_state", {} if state is None else {"compare_scrub": state})
    assert live_chart.requested_ladder("compare_scrub") == setting
