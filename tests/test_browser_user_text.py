"""User and URL text stays text in a real Chromium: no link, image, emphasis or request it asked for."""

from __future__ import annotations

import urllib.parse

import pytest

from rmsprop_lab.schemas import PAGE_SCHEMAS

from .browser_support import wait_settled
from .test_user_text import VALID_FORMULA, hostile_query

pytestmark = pytest.mark.browser

#: the words the markup would emphasise, colour or link
MARKED_WORDS = ("bold1", "ital2", "html3", "link4", "html5", "red6")
FOREIGN_HOSTS = ("example.org", "host")

#: what the page made of the user's text: links and images to other hosts, emphasis of the marked
#: words, and text holding them outside a code element
INSPECT = """(words) => {
    const foreign = (value) => {
        if (!value || value.startsWith('data:') || value.startsWith('blob:')) return false;
        try { return new URL(value, location.href).host !== location.host; } catch (e) { return true; }
    };
    const links = Array.from(document.querySelectorAll('a'),
        a => a.getAttribute('href') || a.getAttribute('xlink:href')).filter(foreign);
    const images = Array.from(document.querySelectorAll('img, image, source, iframe, video, audio'),
        e => e.getAttribute('src') || e.getAttribute('href') || e.getAttribute('xlink:href')).filter(foreign);
    const emphasised = Array.from(document.querySelectorAll('strong, em, b, i, mark, span[style*=color]'),
        e => e.textContent).filter(text => words.some(word => text.includes(word)));
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const outsideCode = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (words.some(word => node.textContent.includes(word)) && !node.parentElement.closest('code')) {
            outsideCode.push(node.textContent);
        }
    }
    return {links, images, emphasised, outsideCode, text: document.body.innerText};
}"""


def open_watched(browser, url: str):
    """The page at ``url`` once it has run, and the list of every request it sent elsewhere."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    elsewhere = []
    origin = urllib.parse.urlsplit(url).netloc

    def note(request) -> None:
        if not request.url.startswith(("data:", "blob:")) and urllib.parse.urlsplit(request.url).netloc != origin:
            elsewhere.append(request.url)

    page.on("request", note)
    page.goto(url)
    page.wait_for_selector("[data-testid=stAlert], .js-plotly-plot", timeout=60_000)
    wait_settled(page)
    page.wait_for_timeout(500)  # images and fonts a rendered link or picture would fetch
    return page, elsewhere


def page_url(base: str, page: str, query: dict) -> str:
    return f"{base}/{'' if page == 'compare' else page}?{urllib.parse.urlencode(query)}"


@pytest.mark.parametrize("page", list(PAGE_SCHEMAS))
def test_markup_in_url_values_stays_text(served_app, browser, page):
    opened, elsewhere = open_watched(browser, page_url(served_app.url, page, hostile_query(page)))
    found = opened.evaluate(INSPECT, list(MARKED_WORDS))
    assert opened.locator("[data-testid=stAlert]").count() > 0, "the refused values are named"
    assert "bold1" in found["text"], "the user's text is shown, as text"
    assert not [link for link in found["links"] if any(host in link for host in FOREIGN_HOSTS)], found["links"]
    assert not found["images"], found["images"]
    assert not found["emphasised"], found["emphasised"]
    assert not found["outsideCode"], found["outsideCode"]
    assert not elsewhere, elsewhere
    assert opened.locator("[data-testid=stException]").count() == 0
    opened.close()


def test_a_valid_formula_on_the_sweep_page_stays_text(served_app, browser):
    """Issue 11: the caption showed ``x*y*x + 2*x*y**2`` as "xyx + 2xy*2" with italics."""
    query = {"objective": "custom", "formula": VALID_FORMULA, "resolution": "10", "steps": "20"}
    opened, elsewhere = open_watched(browser, page_url(served_app.url, "sweep", query))
    found = opened.evaluate(INSPECT, [VALID_FORMULA])
    assert VALID_FORMULA in found["text"] and "xyx + 2xy" not in found["text"]
    assert not found["outsideCode"] and not found["emphasised"], found
    assert not elsewhere, elsewhere
    opened.close()


def test_the_inspection_finds_rendered_markup(browser):
    """The markup as Markdown would render it is caught by every part of the inspection."""
    page = browser.new_page()
    page.set_content(
        '<p><strong>bold1</strong> <em>ital2</em> <a href="https://example.org/a">link4</a> '
        '<img src="http://host/p.png"> <code>html3</code></p>'
    )
    found = page.evaluate(INSPECT, list(MARKED_WORDS))
    assert found["links"] == ["https://example.org/a"] and found["images"] == ["http://host/p.png"]
    assert found["emphasised"] == ["bold1", "ital2"] and found["outsideCode"] == ["bold1", "ital2", "link4"]
    page.close()
