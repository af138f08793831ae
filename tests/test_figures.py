"""Figure builders: pure functions, tested without a server."""

from __future__ import annotations

import base64
import dataclasses
import zlib

import numpy as np
import plotly.graph_objects as go
import pytest

from rmsprop_core import OPTIMIZER_CLASSES, SGD, Momentum, RMSProp, get_objective, optimize
from rmsprop_core.metrics import evaluate_grid
from rmsprop_core.mission import MISSION_PRESETS, mission_objective
from rmsprop_lab import figures
from rmsprop_lab.surface_image import banded_contour_rgb, png_bytes


@pytest.fixture(scope="module")
def surface():
    objective = get_objective("himmelblau")
    xs, ys, values = evaluate_grid(objective, 60)
    return figures.make_surface(xs, ys, values, objective.minima)


@pytest.fixture(scope="module")
def paths():
    objective = get_objective("himmelblau")
    runs = {"SGD": SGD(lr=0.005), "RMSProp": RMSProp(lr=0.05)}
    result = []
    for label, spec in runs.items():
        trajectory = optimize(spec, objective, objective.start, 40)
        result.append(figures.PathData(label, figures.colour_for(label), trajectory.points, trajectory.losses))
    return result


def test_colours_are_fixed_per_optimizer_and_colour_blind_safe():
    okabe_ito = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"}
    assert figures.colour_for("RMSProp") == figures.colour_for("RMSProp (centered)") == "#D55E00"
    assert figures.colour_for("Nesterov") == figures.colour_for("Momentum")
    assert {figures.colour_for(n) for n in ("SGD", "Momentum", "RMSProp", "Adam")} <= okabe_ito
    assert len({figures.colour_for(n) for n in ("SGD", "Momentum", "RMSProp", "Adam")}) == 4


def test_the_palette_has_one_colour_per_optimizer_kind_and_labels_share_it():
    assert set(figures.OPTIMIZER_COLOURS) == set(OPTIMIZER_CLASSES)
    for kind, spec_class in OPTIMIZER_CLASSES.items():
        label = spec_class().label
        assert figures.colour_for(kind) == figures.colour_for(label) == figures.OPTIMIZER_COLOURS[kind]
        assert figures.OPTIMIZER_COLOURS[label] == figures.OPTIMIZER_COLOURS[kind]
    assert figures.colour_for(Momentum(nesterov=True).label) == figures.colour_for("momentum")
    assert figures.colour_for("RMSProp (centered)") == figures.colour_for("rmsprop")


def test_a_series_that_is_no_optimizer_takes_an_extra_colour_in_turn():
    extras = [figures.colour_for("baseline", index) for index in range(3)]
    assert len(set(extras)) == 3
    assert not set(extras) & set(figures.OPTIMIZER_COLOURS.values())
    with pytest.raises(KeyError):
        figures.OPTIMIZER_COLOURS["baseline"]


def test_log_levels_are_log_spaced_in_f():
    values = np.array([[0.0, 1.0], [10.0, 1000.0]])
    transformed, low, delta = figures.log_levels(values)
    assert low == 0.0 and delta == pytest.approx(1e-3)
    np.testing.assert_allclose(transformed, np.log10(values + delta))
    # equal steps in the transformed value are equal ratios of (f - min + delta)
    assert transformed[1, 1] - transformed[1, 0] == pytest.approx(np.log10(1000.001 / 10.001))


def test_log_levels_handle_gaps_and_all_nan():
    transformed, _, _ = figures.log_levels(np.array([[np.nan, 1.0], [2.0, 3.0]]))
    assert np.isnan(transformed[0, 0]) and np.isfinite(transformed[1]).all()
    transformed, _, _ = figures.log_levels(np.full((2, 2), np.nan))
    assert np.isnan(transformed).all()


def decoded_image(uri: str) -> np.ndarray:
    """The RGB pixels of a background's PNG (as ``png_bytes`` writes it: one IDAT, no row filters)."""
    data = base64.b64decode(uri.split(",", 1)[1])
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    raw = zlib.decompress(data[data.index(b"IDAT") + 4 : data.index(b"IEND") - 8])
    return np.frombuffer(raw, dtype=np.uint8).reshape(height, 1 + 3 * width)[:, 1:].reshape(height, width, 3)


def surface_of(name: str, resolution: int = 120):
    objective = get_objective(name)
    xs, ys, values = evaluate_grid(objective, resolution)
    return figures.make_surface(xs, ys, values, objective.minima)


@pytest.mark.parametrize("name", ["saddle", "rosenbrock", "six_hump_camel", "rastrigin", "goldstein_price"])
def test_colourbar_ticks_are_distinct_increasing_and_placed_at_their_values(name):
    background = surface_of(name).background
    labels, positions = background.tick_labels, background.tick_positions
    values = [float(label) for label in labels]
    assert len(labels) >= 3 and len(set(labels)) == len(labels)  # no "-9, -9, -9"
    assert values == sorted(values) and positions == sorted(positions)
    # each tick sits where the colour of its own (rounded) value is
    placed = background.levels(np.array(values))
    span = background.levels.level_max - background.levels.level_min
    np.testing.assert_allclose(positions, placed, atol=0.02 * span)
    assert all(background.levels.level_min <= p <= background.levels.level_max for p in positions)


def test_a_long_label_keeps_its_neighbour_a_label_width_away():
    """Rosenbrock's bar starts at its lowest value (a long label, "2.5e-05" or so, drawn from its
    tick rightwards) and the next decade, 0.01, sat 0.6 of a decade from it, too close for that
    label in a projector's font: 0.01 is left out, the decades from 0.1 on stay. Goldstein-Price's
    short labels keep every decade."""
    labels = surface_of("rosenbrock").background.tick_labels
    assert float(labels[0]) < 1e-3 and labels[1:] == ["0.1", "1", "10", "100", "1e+03"]
    assert surface_of("goldstein_price").background.tick_labels[4:] == ["1e+04", "1e+05", "1e+06"]
    assert len(surface_of("goldstein_price").background.tick_labels) == 7


def test_with_a_known_minimum_the_ticks_read_round_values_of_f():
    """Rastrigin's grid misses its minimum (f* = 0): counted from the grid's lowest value the
    ticks read 0.0653, 0.0663, 0.0753, …; counted from f* they read 1 and 10."""
    objective = get_objective("rastrigin")
    xs, ys, values = evaluate_grid(objective, 400)
    background = figures.make_surface(xs, ys, values, objective.minima, objective.min_value).background
    assert background.tick_labels[1:] == ["1", "10"]
    assert float(background.tick_labels[0]) == pytest.approx(np.nanmin(values), rel=1e-2)  # the bar's bottom
    np.testing.assert_allclose(background.tick_positions[1:], [0, 1], atol=1e-4)


def test_without_a_known_minimum_the_ticks_still_read_round_values_of_f():
    """The mission's map has no known minimum: counted from its lowest sample, 0.00809, the whole
    decades read 0.0181, 0.108, 1.01; the bar reads the roundest values of f whose colours lie
    within a tenth of a decade of them, each placed where its own colour is."""
    xs, ys, values = evaluate_grid(mission_objective(MISSION_PRESETS["asteroid field"]), 300)
    background = figures.make_surface(xs, ys, values).background
    assert background.tick_labels == ["0.00809", "0.02", "0.1", "1", "10", "100"]
    np.testing.assert_allclose(background.tick_positions[1:], [-1.917, -1.036, -0.003, 1, 2], atol=1e-3)
    np.testing.assert_allclose(background.levels(np.array([0.02, 0.1, 1.0])), [-1.917, -1.036, -0.003], atol=1e-3)
    # the six-hump camel's, with f* = -1.0316: 0 where f − f* is 1, 10 where it is 10^1.04
    camel = get_objective("six_hump_camel")
    xs, ys, values = evaluate_grid(camel, 120)
    labels = figures.make_surface(xs, ys, values, camel.minima, camel.min_value).background.tick_labels
    assert labels == ["-1.03", "-1.02", "-0.93", "0", "10", "100"]


def test_a_surface_lowest_on_its_edge_is_coloured_by_f_so_its_shape_shows():
    """The saddle (x² − y², lowest at (0, ±3)): colour follows f linearly, so its shape shows (a log
    scale above the lowest value made nearly all of it the darkest grey)."""
    saddle = surface_of("saddle", 121)
    assert not saddle.background.levels.logarithmic and saddle.background.levels.title == "f (linear scale)"
    image = decoded_image(saddle.background.image_uri).astype(float).sum(axis=2)  # brightness; top row y = 3

    def near(row: int, column: int) -> float:  # a window's median: a level line may cross the pixel
        return float(np.median(image[max(row - 2, 0) : row + 3, max(column - 2, 0) : column + 3]))

    at = {f: near(row, column) for f, row, column in ((-9, 0, 60), (-1.96, 32, 60), (1.96, 60, 88), (9, 60, 0))}
    assert at[-9] > at[-1.96] > at[1.96] > at[9]
    # f = ±1.96, near the saddle point, are clearly different colours
    assert at[-1.96] - at[1.96] > 0.15 * (at[-9] - at[9])
    bowl = surface_of("bowl")
    assert bowl.background.levels.logarithmic and bowl.background.levels.title == "f (log scale)"


def test_contour_bands_are_drawn_smooth_not_as_pixel_staircases():
    """Anti-aliased: pixels on a band boundary take in-between colours, where a staircase drawing
    has only the 24 band colours and those colours under a level line."""
    image = decoded_image(surface_of("bowl").background.image_uri)
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 4 * 24


def test_surface_image_is_a_valid_png_with_bands_and_gaps():
    levels = np.tile(np.linspace(0, 1, 50), (40, 1))
    levels[0, 0] = np.nan
    rgb = banded_contour_rgb(levels, bands=10, colourscale=figures.SURFACE_COLOURSCALE)
    assert rgb.shape == (40, 50, 3) and rgb.dtype == np.uint8
    assert tuple(rgb[-1, 0]) == (236, 236, 236)  # the NaN gap, row 0 drawn at the bottom
    assert len({tuple(pixel) for pixel in rgb[20]}) >= 10  # ten bands plus level lines
    data = png_bytes(rgb)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (50, 40)
    raw = zlib.decompress(data[data.index(b"IDAT") + 4 : data.index(b"IEND") - 8])
    assert len(raw) == 40 * (1 + 50 * 3)


def test_contour_bands_take_their_colours_from_the_colourscale_pixel_for_pixel():
    """Each band's colour is looked up in a palette of the bands: the same bytes as colourising
    every pixel (its band, and the neighbours an edge pixel mixes in) through the colourscale, on
    a real surface with a gap."""
    from rmsprop_lab.surface_image import colourise

    xs, ys = np.linspace(-2, 2, 90), np.linspace(-1, 3, 70)
    levels = np.log10(get_objective("rosenbrock").f(*np.meshgrid(xs, ys)) + 1e-3)
    levels[5:9, 30:40] = np.nan
    bands, scale = 24, figures.SURFACE_COLOURSCALE

    finite = np.isfinite(levels)
    low, high = levels[finite].min(), levels[finite].max()
    t = (np.where(finite, levels, low) - low) / (high - low) * bands
    band = np.floor(t).clip(0, bands - 1)
    reach = np.maximum(np.hypot(*np.gradient(t)), 1e-9)
    inside = t - band
    has_below, has_above = band > 0, band < bands - 1
    below = np.where(has_below, np.clip((reach / 2 - inside) / reach, 0, 0.5), 0.0)
    above = np.where(has_above, np.clip((reach / 2 - (1 - inside)) / reach, 0, 0.5), 0.0)

    def colour(index):
        return colourise((index.clip(0, bands - 1) + 0.5) / bands, scale).astype(float)

    rgb = colour(band) * (1 - below - above)[..., None] + colour(band - 1) * below[..., None]
    rgb += colour(band + 1) * above[..., None]
    distance = np.minimum(np.where(has_below, inside, np.inf), np.where(has_above, 1 - inside, np.inf))
    line = 0.45 * np.clip(1 - distance / (0.75 * reach), 0, 1)
    rgb = rgb * (1 - line[..., None]) + np.array((96, 116, 136), dtype=float) * line[..., None]
    rgb[~finite] = (236, 236, 236)
    expected = rgb.round().astype(np.uint8)[::-1]

    np.testing.assert_array_equal(banded_contour_rgb(levels, bands, scale), expected)


def test_contour_figure_traces_markers_minima(surface, paths):
    figure = go.Figure(figures.contour_figure(surface, paths, uirevision="himmelblau"))
    assert isinstance(figure, go.Figure)
    names = [trace.name for trace in figure.data]
    assert names.count("SGD") == 1 and names.count("RMSProp") == 1 and "known minima" in names
    minima = next(trace for trace in figure.data if trace.name == "known minima")
    assert len(minima.x) == 4 and minima.marker.symbol == "star"
    rmsprop = next(trace for trace in figure.data if trace.name == "RMSProp")
    np.testing.assert_array_equal(rmsprop.x, paths[1].points[:, 0])
    assert rmsprop.line.color == "#D55E00"
    # hover: step = point number (point i is step i), loss from customdata
    assert "step %{pointNumber}" in rmsprop.hovertemplate and "loss %{customdata:.6g}" in rmsprop.hovertemplate
    np.testing.assert_array_equal(rmsprop.customdata, paths[1].losses)
    markers = [trace for trace in figure.data if trace.legendgroup == "RMSProp" and trace.mode == "markers"]
    assert list(markers[0].marker.symbol) == ["circle-open", "x"]
    assert figure.layout.uirevision == "himmelblau"
    assert figure.layout.images[0].source.startswith("data:image/png;base64,")
    assert list(figure.layout.xaxis.range) == [-5.0, 5.0]
    colourbar = figure.data[0]
    assert colourbar.marker.showscale and 4 <= len(colourbar.marker.colorbar.ticktext) <= 7


def test_replay_truncates_paths_and_marks_now(surface, paths):
    figure = go.Figure(figures.contour_figure(surface, paths, upto=10))
    rmsprop = next(trace for trace in figure.data if trace.name == "RMSProp")
    assert len(rmsprop.x) == 11
    now = next(trace for trace in figure.data if trace.legendgroup == "RMSProp" and trace.mode == "markers")
    assert list(now.text) == ["start", "now"] and now.x[1] == paths[1].points[10, 0]


def test_diverged_path_end_marker_is_last_finite_point(surface):
    points = np.array([[0.0, 0.0], [1.0, 1.0], [np.nan, np.nan]])
    path = figures.PathData("SGD", "#CC79A7", points, np.array([1.0, 2.0, np.nan]), diverged_at=1)
    figure = go.Figure(figures.contour_figure(surface, [path]))
    end = next(trace for trace in figure.data if trace.legendgroup == "SGD" and trace.mode == "markers")
    assert list(end.x) == [0.0, 1.0]


def test_small_multiples_share_axes_and_colour_scale(surface, paths):
    figure = go.Figure(figures.small_multiples_figure(surface, paths))
    assert figure.layout.xaxis2.matches == "x" and figure.layout.yaxis2.matches == "y"
    assert len(figure.layout.images) == 2
    assert sum(1 for trace in figure.data if trace.marker.showscale) == 1
    assert {a.text for a in figure.layout.annotations} == {"<b>SGD</b>", "<b>RMSProp</b>"}
    rmsprop = next(trace for trace in figure.data if trace.name == "RMSProp")
    assert rmsprop.xaxis == "x2"


def test_loss_figure_log_gap_or_linear(paths):
    figure = go.Figure(figures.loss_figure(paths, min_value=0.0))
    assert figure.layout.yaxis.type == "log" and len(figure.data) == 2
    gaps = np.concatenate([path.losses for path in paths])
    low, high = figure.layout.yaxis.range
    assert low < np.log10(gaps.min()) and np.log10(gaps.max()) < high
    # a loss that reaches the minimum exactly runs off the bottom at 10⁻²⁰, in the given range and
    # in plotly's own fit (clipmin, data units) when the user asks for it
    assert figure.layout.yaxis.autorangeoptions.clipmin == 1e-20
    reached = [dataclasses.replace(paths[0], losses=np.append(paths[0].losses, 0.0))]
    assert figures.loss_figure(reached, min_value=0.0)["layout"]["yaxis"]["range"][0] == -20
    # a run started at the minimum is wholly under the floor: plotly would raise only the range's
    # low end above its high end, so the axis fits the line (at the smallest float, 10^-307.65)
    at_minimum = [figures.PathData("SGD", "#CC79A7", np.zeros((5, 2)), np.zeros(5))]
    at_minimum_axis = figures.loss_figure(at_minimum, min_value=0.0)["layout"]["yaxis"]
    assert "autorangeoptions" not in at_minimum_axis
    assert at_minimum_axis["range"] == pytest.approx([-308.65, -306.65], abs=0.01)
    assert (np.asarray(figure.data[0].y) > 0).all()
    saddle = go.Figure(figures.loss_figure(paths, min_value=None))
    assert saddle.layout.yaxis.type == "linear"
    np.testing.assert_array_equal(saddle.data[1].y, paths[1].losses)


def test_a_line_charts_ranges_fit_its_lines_rounded_outward():
    """Both axes get a range, so a new figure whose lines alone moved redraws only them: x from the
    first step to the last (as plotly fits lines), y the lines' span with a 2.5 % margin, widened
    to whole steps of a 1-2-5 twentieth of the span; a little change keeps the range."""
    assert figures.fitted_range(0.37, 0.93) == [0.35, 0.95]  # span 0.56: margin 0.014, steps of 0.05
    assert figures.fitted_range(-3.2, -1.7) == [-3.3, -1.6]  # decades: steps of 0.1
    assert figures.fitted_range(-20.0, 1.3) == [-22.0, 2.0]  # steps of 1 (21.3 / 20 rounds up)
    assert figures.fitted_range(2.0, 2.0) == [1.0, 3.0]  # a flat line, one unit either side
    steps = np.arange(101)
    chart = figures.line_figure(
        [figures.Series("a", "#000000", steps, 0.37 + 0.56 * steps / 100)], title="t", x_title="step"
    )
    assert chart["layout"]["xaxis"]["range"] == [0, 100] and chart["layout"]["yaxis"]["range"] == [0.35, 0.95]
    nudged = figures.line_figure(
        [figures.Series("a", "#000000", steps, 0.371 + 0.56 * steps / 100)], title="t", x_title="step"
    )
    assert nudged["layout"] == chart["layout"]
    # log axis: in decades, over the positive values alone (a diverged run's inf is left out)
    sizes = np.array([1e-3, 2e-2, np.inf, 0.0, 5e-4])
    step_sizes = figures.step_size_figure([("RMSProp", "#D55E00", np.column_stack([sizes, sizes]))])
    low, high = np.log10(5e-4), np.log10(2e-2)
    assert step_sizes["layout"]["yaxis"]["range"] == figures.fitted_range(low, high) == [-3.4, -1.6]
    assert step_sizes["layout"]["xaxis"]["range"] == [1, 4]


def test_a_log_axis_over_two_decades_or_more_spans_whole_decades():
    """Its ticks are whole decades, and so are its ends: lines a nudged setting moves a little
    (Compare's step sizes at rho 0.85 and 0.9 moved from 10^-4.3..10^-1.1 to 10^-4.1..10^-1.3)
    keep the range, so the eye follows the lines rather than a rescaled axis."""
    assert figures.fitted_range(-4.3, -1.1, step=1.0) == [-5.0, -1.0]
    ranges = []
    for low, high in [(-4.3, -1.1), (-4.1, -1.3)]:
        sizes = 10.0 ** np.linspace(low, high, 50)
        chart = figures.step_size_figure([("RMSProp", "#D55E00", np.column_stack([sizes, sizes]))])
        ranges.append(chart["layout"]["yaxis"]["range"])
        assert chart["layout"]["yaxis"]["dtick"] == 1
    assert ranges == [[-5.0, -1.0], [-5.0, -1.0]]
    # the floor still cuts a range of whole decades: lines reaching 10^-30 stop at 10^-20
    deep = 10.0 ** np.linspace(2.3, -30, 40)
    chart = figures.line_figure(
        [figures.Series("a", "#000000", np.arange(40), deep)], title="t", x_title="step", log_y=True
    )
    assert chart["layout"]["yaxis"]["range"] == [-20.0, 3.0]


def test_a_diverged_loss_runs_off_the_top_instead_of_squashing_the_others():
    """At rho = 1 RMSProp's loss reached 10^90 before it diverged, and the y axis fitted it: SGD and
    Momentum, between 10^-4 and 10^3, shared the bottom ninth of the chart. The axis now fits the
    runs that did not diverge; the diverged line is still drawn, off the top."""
    steps = np.arange(101)
    settling = figures.PathData("SGD", "#CC79A7", np.zeros((101, 2)), 10.0 ** (2.5 - 6.5 * steps / 100))
    blown = np.full(101, np.nan)
    blown[:3] = [10.0, 1e40, 1e90]
    diverged = figures.PathData("RMSProp", "#D55E00", np.zeros((101, 2)), blown, diverged_at=2)
    chart = figures.loss_figure([settling, diverged], 0.0)
    assert chart["layout"]["yaxis"]["range"] == [-5.0, 3.0]
    assert [trace["name"] for trace in chart["data"]] == ["SGD", "RMSProp"]
    assert np.nanmax(np.asarray(chart["data"][1]["y"], dtype=float)) == 1e90
    # every run diverged: the axis fits them all
    only = figures.loss_figure([diverged], 0.0)
    assert only["layout"]["yaxis"]["range"][1] >= 90


def test_a_line_with_one_finite_value_is_drawn_as_a_dot():
    """At rho = 1 RMSProp took one step and diverged: its step sizes were a single finite value, which
    a plotly line draws as nothing, while the log axis reached up to that value. A dot shows it."""
    one_step = np.full((11, 2), np.nan)
    one_step[:2] = [[0.0, 0.0], [5000.0, 5000.0]]
    steady = np.full((11, 2), 0.01)
    chart = figures.step_size_figure([("RMSProp", "#D55E00", one_step), ("Adagrad", "#009E73", steady)])
    modes = {trace["name"]: trace["mode"] for trace in chart["data"]}
    assert modes == {
        "RMSProp: x": "lines+markers",
        "RMSProp: y": "lines+markers",
        "Adagrad: x": "lines",
        "Adagrad: y": "lines",
    }
    assert [trace.get("cliponaxis", True) for trace in chart["data"]] == [False, False, True, True]
    assert chart["layout"]["yaxis"]["range"][1] >= np.log10(5000.0)


def test_decimation_keeps_peaks_and_ends():
    steps = np.arange(5000)
    values = np.sin(steps / 7.0) * np.exp(-steps / 2000)
    shown_steps, shown_values = figures.decimate_min_max(steps, values, limit=600)
    assert len(shown_steps) <= 600 + 2
    assert shown_steps[0] == 0 and shown_steps[-1] == 4999
    assert shown_values.max() == values.max() and shown_values.min() == values.min()
    assert np.all(np.diff(shown_steps) > 0)
    short = figures.decimate_min_max(steps[:10], values[:10])
    np.testing.assert_array_equal(short[1], values[:10])


def test_step_size_figure_per_coordinate_with_reference():
    step_size = np.array([[1e5, 1e5], [0.01, 0.001], [0.02, 0.002]])
    figure = go.Figure(
        figures.step_size_figure([("RMSProp", "#D55E00", step_size)], reference=[("SGD", "#CC79A7", 0.05)])
    )
    assert [trace.name for trace in figure.data] == ["RMSProp: x", "RMSProp: y", "SGD"]
    np.testing.assert_array_equal(figure.data[0].y, [0.01, 0.02])  # step 0 left out
    assert figure.data[1].line.dash == "dot"
    assert figure.layout.yaxis.type == "log"
    # the reference is a dashed line across every step, named in the legend, with no label on the plot
    assert list(figure.data[2].x) == [1, 2] and list(figure.data[2].y) == [0.05, 0.05]
    assert figure.data[2].line.dash == "dash" and not figure.layout.annotations


def test_the_map_leaves_room_above_for_every_legend_entry(surface, paths):
    # a path and the known minima fit one legend row; the two arrow entries make two more on a phone
    assert figures.contour_figure(surface, paths[:1])["layout"]["margin"]["t"] == 64
    anatomy = figures.anatomy_figure(surface, paths[1], 5, np.array([0.1, 0.2]), np.array([0.3, -0.1]))
    assert [trace["name"] for trace in anatomy["data"] if trace.get("showlegend", True)] == [
        "RMSProp",
        "known minima",
        "SGD's step (−α g)",
        "RMSProp's step",
    ]
    # on a phone the two arrows' long names do not fit side by side: three rows, not two
    assert anatomy["layout"]["margin"]["t"] == 92


def test_the_anatomy_map_can_carry_its_colour_bar_beside_it(surface, paths):
    moves = np.array([0.1, 0.2]), np.array([0.3, -0.1])
    under = figures.anatomy_figure(surface, paths[1], 5, *moves)
    beside = figures.anatomy_figure(surface, paths[1], 5, *moves, colourbar_beside=True)
    assert under["data"][0]["marker"]["colorbar"]["orientation"] == "h"
    assert beside["data"][0]["marker"]["colorbar"]["xanchor"] == "left"  # right of the plot
    # the bar's room moves from under the plot (only the x labels and title stay) to its right
    assert (under["layout"]["margin"]["b"], under["layout"]["margin"]["r"]) == (120, 16)
    assert (beside["layout"]["margin"]["b"], beside["layout"]["margin"]["r"]) == (56, 104)
    narrow = figures.anatomy_figure(surface, paths[1], 5, *moves, narrow=True)
    assert len(narrow["data"][0]["marker"]["colorbar"]["tickvals"]) <= 3


def test_projected_figures_are_larger_and_leave_the_original_as_it_was(surface, paths):
    original = figures.contour_figure(surface, paths)
    before = repr(original)
    shown = figures.projected(original)
    assert repr(original) == before  # pure: the page's figure is untouched
    assert shown["layout"]["font"]["size"] == 1.5 * original["layout"]["font"]["size"]
    assert shown["layout"]["height"] > original["layout"]["height"]
    assert all(shown["layout"]["margin"][side] > original["layout"]["margin"][side] for side in "lrtb")
    line, projected_line = original["data"][1], shown["data"][1]
    assert line["meta"] == projected_line["meta"] == "path"
    assert projected_line["line"]["width"] == 2 * line["line"]["width"]
    assert projected_line["marker"]["size"] > line["marker"]["size"]
    assert projected_line["x"] is line["x"]  # the same numbers, not copied
    end_markers = shown["data"][2]["marker"]["size"]
    assert end_markers == [size * 1.6 for size in original["data"][2]["marker"]["size"]]
    steps = figures.step_size_figure([("RMSProp", "#D55E00", np.ones((5, 2)))], reference=[("SGD", "#CC79A7", 0.1)])
    shown_steps = figures.projected(steps)
    reference, projected_reference = steps["data"][-1], shown_steps["data"][-1]
    assert reference["name"] == "SGD" and projected_reference["line"]["width"] == 2 * reference["line"]["width"]


def test_the_3d_view_lifts_each_path_onto_the_surface(paths):
    """Validated as st.plotly_chart validates it (go.Figure), then checked against the engine."""
    objective = get_objective("himmelblau")
    xs, ys, values = evaluate_grid(objective, 400)
    big = figures.make_surface(xs, ys, values, objective.minima)
    spec = figures.surface_3d_figure(big, paths, upto=30)
    go.Figure(spec)
    surface_trace = spec["data"][0]
    assert surface_trace["type"] == "surface"
    assert len(surface_trace["x"]) <= 120 and np.array_equal(surface_trace["z"], values[::4, ::4])  # sampled
    assert surface_trace["colorscale"] == figures.SURFACE_COLOURSCALE
    # the contour's colour bar, as a narrow map has it: st.plotly_chart has no phone variant of its own
    labels = big.background.tick_labels
    assert surface_trace["colorbar"]["ticktext"] == labels[:: -(-len(labels) // 3)]
    for path in paths:
        line = next(t for t in spec["data"] if t.get("name") == path.label)
        assert line["type"] == "scatter3d" and line["line"]["color"] == path.colour
        np.testing.assert_array_equal(line["x"], path.points[:31, 0])
        # lifted onto the surface: z is f at each point of the path
        np.testing.assert_allclose(line["z"], objective.f(line["x"], line["y"]), rtol=1e-12)
        now = next(t for t in spec["data"] if t.get("name") == f"{path.label} now")
        assert now["z"] == [float(path.losses[30])]
    frames = spec["frames"]
    assert frames[0]["name"] == "0" and frames[-1]["name"] == "30"
    first, last = frames[0]["data"], frames[-1]["data"]
    assert [marker["x"][0] for marker in first] == [float(path.points[0, 0]) for path in paths]
    assert [marker["z"][0] for marker in last] == [float(path.losses[30]) for path in paths]
    slider = spec["layout"]["sliders"][0]
    assert len(slider["steps"]) == len(frames)
    # the step slider as wide as the plot, with its "step N" at the right end (clear of ▶ / ❚❚)
    assert (slider["x"], slider["len"], slider["currentvalue"]["xanchor"]) == (0, 1, "right")


def test_the_3d_view_stops_a_diverged_marker_at_its_last_finite_point():
    points = np.array([[0.0, 0.0], [1.0, 1.0], [np.nan, np.nan]])
    losses = np.array([0.0, 2.0, np.nan])
    objective = get_objective("bowl")
    xs, ys, values = evaluate_grid(objective, 20)
    spec = figures.surface_3d_figure(
        figures.make_surface(xs, ys, values), [figures.PathData("SGD", "#CC79A7", points, losses, 2)]
    )
    assert spec["frames"][-1]["data"][0] == {"type": "scatter3d", "x": [1.0], "y": [1.0], "z": [2.0]}


def test_the_flight_map_can_put_its_colour_bar_beside_it(surface, paths):
    """For a projector: beside a square map the room is free; under it the bar took the map's height."""
    under = figures.flight_figure(surface, paths, station=(3.0, 2.0), docking_radius=0.1, hazards=[])
    beside = figures.flight_figure(
        surface, paths, station=(3.0, 2.0), docking_radius=0.1, hazards=[], colourbar_beside=True
    )
    assert under["data"][0]["marker"]["colorbar"]["orientation"] == "h"
    assert beside["data"][0]["marker"]["colorbar"].get("orientation", "v") == "v"
    assert beside["layout"]["margin"]["b"] < under["layout"]["margin"]["b"]
    assert beside["layout"]["yaxis"]["scaleanchor"] == "x"  # the map stays square: its hazards round
    # the bar starts at the plot's right edge, in a margin kept for it: a map narrower than tall
    # fills the plot's width, and a bar anchored inside that edge lay over the map
    bar = beside["data"][0]["marker"]["colorbar"]
    assert (bar["x"], bar["xanchor"]) == (1.0, "left")
    assert beside["layout"]["margin"]["r"] >= 100 > under["layout"]["margin"]["r"]


# --- the Sweep page's figures -----------------------------------------------------------------------


def decode_png(uri: str) -> np.ndarray:
    """A PNG data URI written by ``surface_image`` (unfiltered rows) as an ``(h, w, 3)`` array."""
    data = base64.b64decode(uri.split(",", 1)[1])
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    raw = np.frombuffer(zlib.decompress(data[data.index(b"IDAT") + 4 : data.index(b"IEND") - 8]), np.uint8)
    rows = raw.reshape(height, 1 + width * 3)
    assert not rows[:, 0].any()  # no row filters
    return rows[:, 1:].reshape(height, width, 3)


def sweep_grid_figure(selected=None, **more):
    lrs = np.logspace(-4, -1, 4)
    epsilons = np.logspace(-8, -2, 3)
    outcome = np.arange(12.0).reshape(3, 4)
    outcome[1, 2] = np.nan  # a run that never reached the tolerance
    diverged = np.zeros((3, 4), bool)
    diverged[2, 3] = True
    figure = figures.sweep_heatmap_figure(
        lrs,
        epsilons,
        outcome,
        diverged,
        x_title="α",
        y_title="ε",
        outcome_title="f",
        y_log=True,
        selected=selected,
        **more,
    )
    return figure, lrs, epsilons, outcome


def test_the_sweep_map_draws_only_what_the_basic_bundle_draws_and_every_cell_can_be_picked():
    figure, lrs, epsilons, _ = sweep_grid_figure(selected=(1, 2))
    from rmsprop_lab.chart_component import BUNDLE_TRACE_TYPES

    assert {trace["type"] for trace in figure["data"]} <= BUNDLE_TRACE_TYPES
    go.Figure(figure)  # valid for plotly
    (cells,) = [trace for trace in figure["data"] if trace.get("meta") == "cells"]
    grid_x, grid_y = np.meshgrid(lrs, epsilons)
    np.testing.assert_array_equal(cells["x"], grid_x.ravel())  # point i is cell i, row by row
    np.testing.assert_array_equal(cells["y"], grid_y.ravel())
    assert cells["marker"]["maxdisplayed"] == 1  # hovered and picked, never drawn 40 000 times
    assert figure["layout"]["clickmode"] == "event+select"
    ring = next(trace for trace in figure["data"] if trace["name"] == "selected")
    assert (ring["x"], ring["y"]) == ([lrs[2]], [epsilons[1]])
    # only cells are picked: not the ring, nor a point past the grid
    ring_index = figure["data"].index(ring)
    cells_index = figure["data"].index(cells)
    assert figures.picked_cells(figure, [(ring_index, 0), (cells_index, 5), (cells_index, 12), (9, 0)]) == [5]


def test_the_sweep_map_lies_cell_edge_to_cell_edge_on_its_log_axes():
    figure, lrs, _, _ = sweep_grid_figure()
    (image,) = figure["layout"]["images"]
    # decades: α from 1e-4 to 1e-1 in steps of one decade, ε from 1e-8 to 1e-2 in steps of three
    assert (image["x"], image["sizex"]) == pytest.approx((-4.5, 4.0))
    assert (image["y"], image["sizey"]) == pytest.approx((-0.5, 9.0))  # its top edge
    assert figure["layout"]["xaxis"]["range"] == pytest.approx([-4.5, -0.5])
    assert figure["layout"]["yaxis"]["range"] == pytest.approx([-9.5, -0.5])
    assert figure["layout"]["xaxis"]["type"] == figure["layout"]["yaxis"]["type"] == "log"
    linear = figures.sweep_heatmap_figure(
        lrs,
        np.linspace(0.5, 0.9, 3),
        np.zeros((3, 4)),
        np.zeros((3, 4), bool),
        x_title="α",
        y_title="ρ",
        outcome_title="f",
    )
    assert linear["layout"]["yaxis"]["range"] == pytest.approx([0.4, 1.0])


def test_the_sweep_maps_cells_are_coloured_as_its_colour_bar_says():
    figure = sweep_grid_figure()[0]
    rgb = decode_png(figure["layout"]["images"][0]["source"])
    rows, columns = rgb.shape[0] // 3, rgb.shape[1] // 4
    assert rows * 3 == rgb.shape[0] and columns * 4 == rgb.shape[1] and min(rgb.shape[:2]) >= 600
    cell = lambda row, column: tuple(rgb[(2 - row) * rows + rows // 2, column * columns + columns // 2])  # noqa: E731
    assert cell(2, 3) == (0x22, 0x22, 0x22)  # diverged: dark
    assert cell(1, 2) == (255, 255, 255)  # no outcome: blank
    bar = next(trace for trace in figure["data"] if trace["marker"].get("showscale"))
    assert (bar["marker"]["cmin"], bar["marker"]["cmax"]) == (0.0, 10.0)  # the finite, not diverged, outcomes
    scale = bar["marker"]["colorscale"]
    assert cell(0, 0) == tuple(int(scale[0][1][i : i + 2], 16) for i in (1, 3, 5))  # the lowest
    assert cell(2, 2) == tuple(int(scale[-1][1][i : i + 2], 16) for i in (1, 3, 5))  # the highest, 10
    # each cell one colour: a block of equal pixels (a stretched image is smoothed by the browser)
    block = rgb[rows : 2 * rows, columns : 2 * columns].reshape(-1, 3)
    assert (block == block[0]).all()


def test_every_run_of_the_sgd_curve_is_picked_by_its_own_index():
    lrs = np.logspace(-4, 0, 6)
    outcome = np.array([5.0, 3.0, np.nan, 1.0, 2.0, np.nan])
    diverged = np.array([False, False, False, False, False, True])
    figure = figures.sweep_curve_figure(
        lrs, outcome, diverged, x_title="α", outcome_title="steps", log_y=False, selected=5, unreached_at=100
    )
    picked = {trace["name"]: i for i, trace in enumerate(figure["data"]) if trace.get("meta") == "cells"}
    assert set(picked) == {"steps", "diverged", "never reached"}
    assert figures.picked_cells(figure, [(picked["never reached"], 2), (picked["diverged"], 5), (0, 3)]) == [2, 5, 3]
    never = figure["data"][picked["never reached"]]
    np.testing.assert_array_equal(never["y"], [np.nan, np.nan, 100, np.nan, np.nan, np.nan])
    ring = figure["data"][-1]
    assert ring["name"] == "selected" and (ring["x"], ring["y"]) == ([lrs[5]], [100.0])  # on the diverged mark


def test_a_narrow_maps_colour_bar_has_three_level_labels_and_its_title_below(surface):
    """The Sweep's path chart, a third of the page wide: seven labels beside the title were drawn
    on top of each other (rotated, in presentation mode too)."""
    wide = figures.contour_figure(surface, [])["data"][0]["marker"]["colorbar"]
    narrow = figures.contour_figure(surface, [], narrow=True)["data"][0]["marker"]["colorbar"]
    labels = surface.background.tick_labels
    assert wide["ticktext"] == labels and wide["title"]["side"] == "right"  # Compare's, as it was
    assert narrow["ticktext"] == labels[:: -(-len(labels) // 3)] and len(narrow["ticktext"]) <= 3
    assert narrow["ticktext"][0] == labels[0]
    assert narrow["title"] == {"text": surface.background.levels.title, "side": "bottom"}
    assert (narrow["tickangle"], narrow["ticklabelposition"]) == (0, "outside")


def test_a_legend_of_long_names_gets_the_rows_it_takes_on_a_phone():
    """Update anatomy's four entries took three rows on a phone, not two, and the first was cut off."""
    from rmsprop_lab.figures.style import legend_rows_on_a_phone, legend_top_margin

    anatomy = ["RMSProp", "known minimum", "SGD's step (−α g)", "RMSProp's step"]
    assert legend_rows_on_a_phone(anatomy) == 3
    assert legend_rows_on_a_phone(["SGD", "Momentum", "RMSProp"]) == 2  # two short names a row
    assert legend_rows_on_a_phone([]) == 0
    traces = [{"name": name} for name in anatomy] + [{"name": "f", "showlegend": False}]
    assert legend_top_margin(traces) == 20 + 24 * 3


def test_a_maps_wide_colour_bar_carries_the_narrow_one_for_a_phone(surface):
    """The browser shows it on a chart narrower than its "below" (plotly turned the wide bar's labels
    on end there, or ran them together); a bar of short labels fits as it is."""
    from rmsprop_lab.figures.surface import NARROW_COLOURBAR_BELOW_PX

    bar_trace = figures.contour_figure(surface, [])["data"][0]
    narrow = bar_trace["meta"]["narrowColourbar"]
    assert narrow["below"] == NARROW_COLOURBAR_BELOW_PX
    assert narrow["colorbar"] == figures.contour_figure(surface, [], narrow=True)["data"][0]["marker"]["colorbar"]
    assert "meta" not in figures.contour_figure(surface, [], narrow=True)["data"][0]  # narrow already
    short = dataclasses.replace(
        surface, background=dataclasses.replace(surface.background, tick_labels=["20", "40", "60", "80"])
    )
    assert "meta" not in figures.contour_figure(short, [])["data"][0]
