"""Issue 15's defects that live in a page's figure data, through AppTest."""

from __future__ import annotations

import numpy as np

from rmsprop_core import RMSProp, get_objective, optimize

from .apptest_helpers import decode_array, figure, fresh_app, trace


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
