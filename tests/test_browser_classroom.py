"""Issue 15's defects, each checked in a real Chromium where a user saw it: what is drawn, where,
and how large."""

from __future__ import annotations

import pytest

from rmsprop_lab.internals import TABLE_SCROLL_HINT

from .browser_support import DESKTOP, PAGES_WITH_CHARTS, PHONE, PROJECTOR, open_page, save_screenshots

pytestmark = pytest.mark.browser


def test_mission_hazards_and_docking_circle_are_drawn_round(served_app, browser):
    page = open_page(browser, f"{served_app.url}/mission", charts=1)
    boxes = page.evaluate(
        """() => Array.from(document.querySelectorAll('.js-plotly-plot .shapelayer path'), path => {
            const box = path.getBBox();
            return [box.width, box.height];
        })"""
    )
    assert len(boxes) == 4  # the docking circle and three hazard cores
    for width, height in boxes:
        assert abs(width / height - 1) < 0.03, boxes
    page.close()


def test_sweep_axes_read_in_powers_of_ten_and_the_heatmap_takes_most_of_the_width(served_app, browser):
    page = open_page(browser, f"{served_app.url}/sweep?kind=rms_eps", charts=1)
    ticks = page.evaluate(
        """() => ['.xtick text', '.ytick text'].map(selector =>
            Array.from(document.querySelector('.js-plotly-plot').querySelectorAll(selector),
                       tick => tick.textContent.replaceAll('\u200b', '')))"""
    )
    x_ticks, y_ticks = ticks
    assert "10−10" in y_ticks and "10−2" in y_ticks, y_ticks  # not 100p, 10n, 1µ
    assert "10−4" in x_ticks and not any(prefix in "".join(x_ticks + y_ticks) for prefix in "pnµm"), ticks
    widths = page.evaluate(
        """() => {
            const plot = document.querySelector('.js-plotly-plot');
            return [plot._fullLayout.xaxis._length, plot.closest('[data-testid=stHorizontalBlock]').clientWidth];
        }"""
    )
    assert widths[0] > 0.55 * widths[1], widths  # the map's cells, beside the picked run's path
    page.close()


def test_the_sgd_steps_sweep_shows_every_run_on_an_axis_from_zero(served_app, browser):
    page = open_page(browser, f"{served_app.url}/sweep?kind=sgd&outcome=steps", charts=1)
    drawn = page.evaluate(
        """() => {
            const plot = document.querySelector('.js-plotly-plot');
            const count = name => {
                const trace = plot._fullData.find(t => t.name === name);
                return trace ? Array.from(trace.y).filter(Number.isFinite).length : 0;
            };
            return {range: plot._fullLayout.yaxis.range, reached: count('first step with f − f* ≤ 0.001'),
                    diverged: count('diverged'), never: count('never reached')};
        }"""
    )
    assert drawn["range"] == [0, 525]
    assert drawn["never"] > 0 and drawn["diverged"] > 0
    assert drawn["reached"] + drawn["diverged"] + drawn["never"] == 100  # every learning rate of the grid
    page.close()


@pytest.mark.parametrize(("viewport", "narrowest"), [(DESKTOP, 250), (PHONE, 120)], ids=["desktop", "phone"])
def test_side_by_side_panels_are_wide_enough_and_their_labels_clear_each_other(
    served_app, browser, viewport, narrowest
):
    page = open_page(browser, f"{served_app.url}/?objective=ellipse&view=side+by+side", viewport, charts=3)
    panels = page.evaluate(
        """() => {
            const plot = document.querySelector('.js-plotly-plot');
            const layout = plot._fullLayout;
            return Object.keys(layout).filter(key => /^xaxis\\d*$/.test(key)).map(key => ({
                width: layout[key]._length,
                labels: Array.from(plot.querySelectorAll(`.${key.replace('axis', '')}tick text`), text => {
                    const box = text.getBoundingClientRect();
                    return [box.left, box.right, box.top, box.bottom];
                }),
            }));
        }"""
    )
    assert len(panels) == 3 and all(panel["width"] >= narrowest for panel in panels), panels
    labels = [box for panel in panels for box in panel["labels"]]
    for index, (left, right, top, bottom) in enumerate(labels):  # no "5−5": no two tick labels overlap
        for other_left, other_right, other_top, other_bottom in labels[index + 1 :]:
            assert right <= other_left or other_right <= left or bottom <= other_top or other_bottom <= top
    page.close()


BOXES = """([chart, selectors]) => {
    const plot = document.querySelectorAll('.js-plotly-plot')[chart];
    plot.scrollIntoView();
    const width = plot.getBoundingClientRect().width, left = plot.getBoundingClientRect().left;
    return [width, left, selectors.map(selector => Array.from(plot.querySelectorAll(selector), element => {
        const box = element.getBoundingClientRect();
        return [box.left, box.right, box.top, box.bottom];
    }))];
}"""


def overlaps(first, second) -> bool:
    return not (first[1] <= second[0] or second[1] <= first[0] or first[3] <= second[2] or second[3] <= first[2])


def test_on_a_phone_the_decay_step_size_title_fits_above_its_legend(served_app, browser):
    page = open_page(browser, f"{served_app.url}/decay", PHONE, charts=4)
    width, left, (titles, legends) = page.evaluate(BOXES, [3, [".gtitle", ".legend .bg"]])
    (title,), (legend,) = titles, legends
    assert title[0] >= left and title[1] <= left + width, (title, left, width)  # not cut off
    assert not overlaps(title, legend), (title, legend)
    page.close()


CUT_OFF_TITLES = """() => Array.from(document.querySelectorAll('.js-plotly-plot'), (plot) => {
    const chart = plot.getBoundingClientRect(), title = plot.querySelector('.gtitle');
    const box = title?.getBoundingClientRect();
    return box?.width && (box.left < chart.left || box.right > chart.right) ? title.textContent : null;
}).filter(Boolean)"""


@pytest.mark.parametrize(("path", "charts"), [(path, charts) for _, path, _, charts in PAGES_WITH_CHARTS])
def test_on_a_phone_every_chart_title_fits_its_chart(served_app, browser, path, charts):
    page = open_page(browser, f"{served_app.url}/{path}", PHONE, charts=charts)
    assert page.evaluate(CUT_OFF_TITLES) == []
    page.close()


def test_on_a_phone_the_fly_buttons_cover_no_title(served_app, browser):
    page = open_page(browser, f"{served_app.url}/mission", PHONE, charts=1)
    _, _, (buttons, titles) = page.evaluate(BOXES, [0, [".updatemenu-button", ".cbtitle text, .xtitle"]])
    assert len(buttons) == 2 and len(titles) == 2
    for button in buttons:
        for title in titles:
            assert not overlaps(button, title), (button, title)
    page.close()


def test_on_a_phone_the_lessons_inputs_stack_in_reading_order(served_app, browser):
    page = open_page(browser, f"{served_app.url}/lesson", PHONE, charts=2)
    tops = [
        page.get_by_role("spinbutton", name=name).bounding_box()["y"]
        for name in ("Start x", "Start y", "Updates", "Print every")
    ]
    assert tops == sorted(tops), tops
    page.close()


def test_on_a_phone_the_sidebar_button_says_what_it_opens(served_app, browser):
    from rmsprop_lab.internals import SIDEBAR_BUTTON_LABEL

    page = open_page(browser, f"{served_app.url}/sweep", PHONE, charts=1)
    button = page.locator("[data-testid=stExpandSidebarButton]")
    label = button.evaluate("button => getComputedStyle(button, '::after').content")
    assert label == f'"{SIDEBAR_BUTTON_LABEL}"'
    assert button.bounding_box()["width"] > 100  # the label is drawn beside the icon, not clipped
    button.click()
    page.get_by_role("combobox", name="Function").wait_for()  # what it said it opens
    page.close()


ONE_LINE_CELLS = """table => Array.from(table.querySelectorAll("td")).every(cell => {
    const text = document.createRange();
    text.selectNodeContents(cell);
    return text.getClientRects().length === 1;
})"""
SCROLL_HINT = "holder => getComputedStyle(holder, '::before').content"


@pytest.mark.parametrize(
    ("path", "charts", "last_column"),
    [("", 3, "diverged at step"), ("decay", 2, "final loss")],
    ids=["compare", "decay"],
)
def test_on_a_phone_a_wide_table_scrolls_sideways(served_app, browser, path, charts, last_column):
    """Compare's results are wider than a phone: their last columns were clipped, out of reach.
    They scroll, say so above the table (a touch screen draws no scroll bar), and a number stays on
    one line ("1.93857e-" / "06" was split in two)."""
    page = open_page(browser, f"{served_app.url}/{path}", PHONE, charts=charts)
    table = page.locator("[data-testid=stMarkdownContainer] table").filter(has_text=last_column)
    last_header = table.locator("th").last
    assert last_header.inner_text() == last_column
    box = last_header.bounding_box()
    assert box["x"] + box["width"] > PHONE["width"]  # past the screen's right edge at first
    holder = table.locator("xpath=..")
    assert holder.evaluate("box => box.scrollWidth > box.clientWidth && getComputedStyle(box).overflowX") == "auto"
    assert holder.evaluate(SCROLL_HINT) == f'"{TABLE_SCROLL_HINT}"'
    assert table.evaluate(ONE_LINE_CELLS)
    holder.evaluate("box => { box.scrollLeft = box.scrollWidth; }")
    box = last_header.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]  # scrolled into view
    page.close()


def test_on_a_desktop_a_table_that_fits_says_nothing_of_scrolling(served_app, browser):
    page = open_page(browser, served_app.url, DESKTOP, charts=3)
    holder = page.locator("[data-testid=stMarkdownContainer]:has(> table)").filter(has_text="diverged at step")
    assert holder.evaluate("box => box.scrollWidth <= box.clientWidth")
    assert holder.evaluate(SCROLL_HINT) == "none"
    assert holder.locator("table").evaluate(ONE_LINE_CELLS)
    page.close()


# every page, plus the views the defects were seen in (a saddle, side by side, the ε sweep)
_VARIANTS = {
    "compare": [
        ("compare", "Ellipse (x² + 10y²)", "?objective=ellipse"),
        ("compare-saddle", "Saddle (x² − y², no minimum)", "?objective=saddle&scenario="),
        ("compare-side-by-side", "Ellipse (x² + 10y²)", "?objective=ellipse&view=side+by+side"),
    ],
    "sweep": [("sweep-epsilon", "Hyperparameter sweep", "?kind=rms_eps")],
}
PAGES = [
    (path, shot, heading, charts, query)
    for name, path, page_heading, charts in PAGES_WITH_CHARTS
    for shot, heading, query in _VARIANTS.get(name, [(name, page_heading, "")])
]


@pytest.mark.parametrize(("path", "name", "heading", "charts", "query"), PAGES, ids=[page[1] for page in PAGES])
def test_screenshots_at_desktop_phone_and_projector(served_app, browser, path, name, heading, charts, query):
    sizes = (("desktop", DESKTOP), ("phone", PHONE), ("projector", PROJECTOR))
    saved = save_screenshots(browser, f"{served_app.url}/{path}{query}", name, heading, charts, sizes=sizes)
    assert [shot.name for shot in saved] == [f"{name}-{label}.png" for label, _ in sizes]


@pytest.mark.parametrize("size", [DESKTOP, PHONE, PROJECTOR], ids=["desktop", "phone", "projector"])
def test_the_colour_bar_title_clears_its_first_tick_label(served_app, browser, size):
    """Issue 15, defect 4: "f (log scale)" overlapped the first tick label of every contour's bar."""
    page = open_page(browser, f"{served_app.url}/decay", charts=1, viewport=size)
    boxes = page.evaluate(
        """() => {
            const bar = document.querySelector('.js-plotly-plot .colorbar');
            const box = element => {
                const r = element.getBoundingClientRect();
                return [r.left, r.right, r.top, r.bottom];
            };
            const ticks = Array.from(bar.querySelectorAll('.cbaxis text'), box).sort((a, b) => a[0] - b[0]);
            return {title: box(bar.querySelector('.cbtitle text, text.cbtitle')), ticks,
                    text: bar.querySelector('.cbtitle text, text.cbtitle').textContent};
        }"""
    )
    title, first = boxes["title"], boxes["ticks"][0]
    assert boxes["text"] == "f (log scale)" and len(boxes["ticks"]) >= 3
    overlap_x = min(title[1], first[1]) - max(title[0], first[0])
    overlap_y = min(title[3], first[3]) - max(title[2], first[2])
    assert overlap_x <= 0 or overlap_y <= 0, boxes
    page.close()


def test_sgds_constant_step_is_named_in_the_legend_not_written_across_the_curves(served_app, browser):
    """Issue 15, defect 4: the label "SGD: α = … for every coordinate" was drawn over RMSProp's curves."""
    page = open_page(browser, f"{served_app.url}/?objective=rosenbrock&x0=-1.5&y0=2&steps=1000", charts=3)
    drawn = page.evaluate(
        """() => {
            const chart = Array.from(document.querySelectorAll('.js-plotly-plot'))
                .find(plot => (plot.layout.title?.text || '').startsWith('Effective step size'));
            return {annotations: (chart.layout.annotations || []).map(a => a.text),
                    legend: Array.from(chart.querySelectorAll('.legendtext'), t => t.textContent),
                    sgd: chart._fullData.filter(t => t.name.startsWith('SGD')).map(t => [t.y[0], t.line.dash])};
        }"""
    )
    assert not any("SGD" in text for text in drawn["annotations"]), drawn
    assert any(text.startswith("SGD: α = ") and text.endswith(" for every coordinate") for text in drawn["legend"])
    assert len(drawn["sgd"]) == 1 and drawn["sgd"][0][1] == "dash", drawn
    page.close()
