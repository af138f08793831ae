"""User and URL text is shown as text on every page: in a code span, escaped, or not at all,
never rendered as Markdown or HTML (issue 11)."""

from __future__ import annotations

import json
import re

import pytest
from google.protobuf.descriptor import FieldDescriptor

from rmsprop_lab.schemas import PAGE_SCHEMAS

from .apptest_helpers import charts, fresh_app
from .test_page_settings import open_with_query

#: Markdown, HTML, links, images, Streamlit's colour directive and LaTeX, each short enough to be
#: quoted whole (``quote_user_text`` shortens to 40 characters)
MARKUP = (
    "**bold1** _ital2_ <b>html3</b>",
    "[link4](https://example.org/a)",
    "![](http://host/p.png) <i>html5</i>",
    ":red[red6] $x^7$ <img src=http://host/q.png>",
)
#: a formula the parser accepts that Markdown would turn into italics ("xyx + 2xy*2")
VALID_FORMULA = "x*y*x + 2*x*y**2"
#: the proto fields Streamlit renders as Markdown (bodies of text and notices, labels, help, options)
MARKDOWN_FIELDS = {"body", "label", "help", "options"}
MARKUP_CHARACTERS = set("*_[]()<>!`$:~|#\\")
CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.DOTALL)


def markers(text: str) -> list[str]:
    """The parts of ``text`` that Markdown or HTML would change: its words holding markup characters."""
    return [word for word in text.split() if MARKUP_CHARACTERS & set(word)]


def _proto_strings(message) -> list[str]:
    found = []
    for field, value in message.ListFields():
        values = value if field.is_repeated else [value]
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            for item in values:
                found.extend(_proto_strings(item))
        elif field.type == FieldDescriptor.TYPE_STRING and field.name in MARKDOWN_FIELDS:
            found.extend(values)
    return found


def _figure_strings(value, key: str = "") -> list[str]:
    if isinstance(value, dict):
        return [text for name, item in value.items() for text in _figure_strings(item, name)]
    if isinstance(value, list):
        return [text for item in value for text in _figure_strings(item, key)]
    # uirevision only names a chart's state for plotly.js; it is never drawn
    return [value] if isinstance(value, str) and key != "uirevision" else []


def rendered_sources(at) -> list[str]:
    """The source of every piece of text the page renders as Markdown (texts, captions, notices,
    titles, labels, help, table cells) or as Plotly's HTML-like text (every string of every chart)."""
    sources = []
    for root in (at.main, at.sidebar):
        for node in root:
            if node.type in ("latex", "code"):  # LaTeX of the parsed expression, and plain text
                continue
            if node.type == "table":
                frame = node.value
                sources.extend(str(cell) for cell in [*frame.columns, *frame.index, *frame.to_numpy().ravel()])
            proto = getattr(node, "proto", None)
            if proto is not None:
                sources.extend(_proto_strings(proto))
    for figure in charts(at):
        sources.extend(_figure_strings(figure))
    return sources


def leaked(source: str, user_texts) -> list[str]:
    """The parts of ``user_texts`` that markup would change and that ``source`` holds outside a code span."""
    outside_code = CODE_SPAN.sub("", source)
    return [word for text in user_texts for word in markers(text) if word in outside_code]


def assert_shown_as_text(at, *user_texts: str) -> None:
    assert not at.exception, at.exception
    for source in rendered_sources(at):
        assert not leaked(source, user_texts), (leaked(source, user_texts), source)


def test_the_check_finds_markup_outside_code_spans_only():
    assert leaked(f"f = {VALID_FORMULA}, 10 steps", [VALID_FORMULA]) == ["x*y*x", "2*x*y**2"]
    assert leaked(f"f = `{VALID_FORMULA}`, 10 steps", [VALID_FORMULA]) == []
    assert leaked(f"setting `{MARKUP[0]}` ignored, **bold1**", [MARKUP[0]]) == ["**bold1**"]
    assert leaked(r"escaped \*\*bold1\*\* \_ital2\_", [MARKUP[0]]) == []


def hostile_query(page: str) -> dict:
    """Every setting of ``page`` set to markup (the function to "your own formula" where there is
    one, so that the formula is the markup), and an unknown setting named with markup."""
    schema = PAGE_SCHEMAS[page]
    query = {param.key: MARKUP[index % len(MARKUP)] for index, param in enumerate(schema.params)}
    if "formula" in query:
        query["objective"] = "custom"
    query[MARKUP[1]] = MARKUP[2]
    return query


@pytest.mark.parametrize("page", list(PAGE_SCHEMAS))
def test_markup_in_every_url_value_is_shown_as_text(page):
    at = open_with_query(page, hostile_query(page))
    assert at.warning or at.error, "the refused values are named"
    assert_shown_as_text(at, *MARKUP)


FORMULA_PAGES = [page for page, schema in PAGE_SCHEMAS.items() if "formula" in schema.by_key()]


@pytest.mark.parametrize("page", FORMULA_PAGES)
def test_a_valid_formula_is_shown_as_text(page):
    """Issue 11: the Sweep page's caption showed ``x*y*x + 2*x*y**2`` as "xyx + 2xy*2" in italics."""
    at = open_with_query(page, {"objective": "custom", "formula": VALID_FORMULA})
    assert not at.warning and not any("cannot be used" in error.value for error in at.error)
    assert_shown_as_text(at, VALID_FORMULA)


def test_the_sweep_caption_names_the_formula_in_full():
    at = open_with_query("sweep", {"objective": "custom", "formula": VALID_FORMULA})
    assert f"`{VALID_FORMULA}`" in at.caption[0].value


def test_a_settings_file_named_with_markup_is_named_as_text():
    at = fresh_app()
    document = PAGE_SCHEMAS["compare"].to_document(PAGE_SCHEMAS["compare"].defaults(), "compare")
    name = "**b** [l](https://example.org).json"
    at.get("file_uploader")[0].set_value((name, document.encode(), "application/json")).run()
    assert at.success, "the file was loaded"
    assert_shown_as_text(at, name)
    refused = json.dumps({"app": "rmsprop-lab", "page": "compare", "settings": {"formula": 1, MARKUP[0]: 2}})
    at.get("file_uploader")[0].set_value((MARKUP[1] + ".json", refused.encode(), "application/json")).run()
    assert at.error, "the file was refused, naming why"
    assert_shown_as_text(at, MARKUP[0], MARKUP[1])
