"""Issue 15's defects that live in a page's figure data, through AppTest."""

from __future__ import annotations

import numpy as np
import pytest

from rmsprop_core import RMSProp, get_objective, optimize

from .apptest_helpers import decode_array, figure, fresh_app, path_points, trace


def test_the_lessons_g2_chart_shows_g2_jumping_and_s_following_it_smoothly():
    """What its text says: g² jumps around from step to step, s follows it smoothly (on the bowl's
    exact gradients g² only fell smoothly, so the chart showed no such thing)."""
    at = fresh_app(page="pages/lesson.py")
    chart = figure(at, 1)
    g2 = decode_array(trace(chart, "g² (x coordinate)")["y"])
    s = decode_array(trace(chart, "s, its running average")["y"])
    jumps = np.median(np.abs(np.diff(np.log10(g2))))
    drift = np.median(np.abs(np.diff(np.log10(s))))
    assert jumps > 0.3 and jumps > 10 * drift, (jumps, drift)
    # s is the engine's, for the lesson's run with the noise the text names
    run = optimize(RMSProp(lr=0.1, rho=0.9, eps=1e-6), get_objective("bowl"), (5.0, 4.0), 101, noise=1.0, seed=0)
    np.testing.assert_allclose(s, run.state["s"][1:, 0], rtol=1e-12)
    assert any("noisy gradients (σ = 1" in block.value for block in at.markdown)


def test_the_lessons_g2_chart_says_why_there_is_none_at_rho_1():
    at = fresh_app({"rho": "1"}, page="pages/lesson.py")
    assert not at.exception
    assert any("With ρ = 1, s keeps its starting value" in info.value for info in at.info)


@pytest.mark.parametrize("name", ["rastrigin", "ackley"])
def test_the_first_view_of_a_rippled_function_is_no_blob_beside_the_start(name):
    """Each optimizer's default path ends somewhere else (they all stopped in the first ripple)."""
    at = fresh_app({"objective": name, "scenario": ""})
    ends = [path_points(at, label)[-1] for label in ("SGD", "Momentum", "RMSProp")]
    for index, end in enumerate(ends):
        for other in ends[index + 1 :]:
            assert np.hypot(*(end - other)) > 0.5, ends
    start = np.array(get_objective(name).start)
    assert max(np.hypot(*(end - start)) for end in ends) > 1.0, ends  # one travels well away from it


def test_the_anatomy_map_is_sampled_over_its_zoomed_view():
    """Its contour picture spans exactly the axes shown, so none of its pixels is enlarged (the
    whole domain's picture, zoomed in, drew jagged contours)."""
    at = fresh_app({"objective": "ellipse"}, page="pages/anatomy.py")
    layout = figure(at)["layout"]
    image, x_range, y_range = layout["images"][0], layout["xaxis"]["range"], layout["yaxis"]["range"]
    assert image["x"] == pytest.approx(x_range[0]) and image["sizex"] == pytest.approx(x_range[1] - x_range[0])
    assert image["y"] == pytest.approx(y_range[1]) and image["sizey"] == pytest.approx(y_range[1] - y_range[0])
