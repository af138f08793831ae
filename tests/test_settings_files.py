"""Settings files, hand-written and mutated: every one is loaded or refused with a short, clear
message, never an exception (issue 11)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rmsprop_lab.schemas import COMPARE, PAGE_SCHEMAS
from rmsprop_lab.settings import MAX_DOCUMENT_BYTES

from .apptest_helpers import fresh_app, table

#: a marker replaced by a number's digits after JSON encoding (json.dumps refuses ints of 4301+ digits)
DIGITS = "__DIGITS__"


def envelope(settings_json: str, page: str = "compare") -> bytes:
    return f'{{"app": "rmsprop-lab", "version": 1, "page": "{page}", "settings": {settings_json}}}'.encode()


def valid_document(page: str) -> dict:
    schema = PAGE_SCHEMAS[page]
    return json.loads(schema.to_document(schema.defaults(), page))


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**15, max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -1e308, 5e-324, 0.0, -0.0, 1, -1, 10**20, 2**63]),
    st.text(max_size=30),
    st.sampled_from(["custom", "rosenbrock", "0.9", "nan", "x^2", "0,1,30,1,0.3", "-1", DIGITS]),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@st.composite
def mutated_documents(draw, page: str) -> bytes:
    """A valid settings document of ``page`` with keys dropped, inserted or given other values
    (wrong types, huge numbers, nested junk), at the top level and among the settings."""
    document = valid_document(page)
    for _ in range(draw(st.integers(1, 6))):
        in_settings = isinstance(document.get("settings"), dict) and draw(st.integers(0, 3)) > 0
        target = document["settings"] if in_settings else document
        keys = sorted(target)
        action = draw(st.sampled_from(["drop", "insert", "replace", "replace", "replace"]))
        if action == "drop" and keys:
            del target[draw(st.sampled_from(keys))]
        elif action == "insert":
            target[draw(st.text(max_size=12) | st.sampled_from(keys or ["x"]))] = draw(json_values)
        elif keys:
            target[draw(st.sampled_from(keys))] = draw(json_values)
    text = json.dumps(document)  # writes NaN and Infinity, which json.loads reads back
    digits = draw(st.sampled_from(["4301", "4300", "20", "60000"]))
    return text.replace(f'"{DIGITS}"', "9" * int(digits)).encode()


def _legal_values(param) -> st.SearchStrategy:
    """Values a hand-written file may give ``param``: anything in its declared range, edges included."""
    if param.kind == "bool":
        return st.booleans()
    if param.kind == "choice":
        return st.sampled_from(param.choices)
    if param.kind == "ladder":
        return st.sampled_from(param.choices) | st.floats(param.choices[0], param.choices[-1])
    if param.kind == "ladders":
        return st.lists(st.sampled_from(param.choices), max_size=int(param.high), unique=True)
    if param.kind == "int":
        return st.sampled_from([int(param.low), int(param.high)]) | st.integers(int(param.low), int(param.high))
    if param.kind == "float":
        return st.sampled_from([param.low, param.high, 0.0]) | st.floats(param.low, param.high)
    # text: formulas the parser takes or refuses, and mission hazards
    return st.sampled_from(["x^2 + y^2", "exp(x) + y^2", "1/x", "x*y*x + 2*x*y**2", "x+", "", "0,1,30,1,0.3"])


@st.composite
def hand_written_documents(draw, page: str) -> bytes:
    """A settings file written by hand: some of ``page``'s settings, each anywhere in its range."""
    schema = PAGE_SCHEMAS[page]
    chosen = draw(st.lists(st.sampled_from(schema.params), unique_by=lambda param: param.key, max_size=12))
    values = {param.key: draw(_legal_values(param)) for param in chosen}
    return envelope(json.dumps(values), page)


def assert_loaded_or_refused_clearly(schema, data: bytes, page: str) -> dict | None:
    loaded, problems = schema.parse_document(data, page)
    if loaded is None:
        assert 1 <= len(problems) <= 6, problems
        assert all(isinstance(p, str) and 0 < len(p) < 300 for p in problems), problems
    else:
        assert problems == []
        assert set(loaded) == set(schema.by_key())
        # what was loaded is a valid view of the page: its URL gives it back, without a notice
        assert schema.parse_query(schema.to_query(loaded)) == (loaded, [])
    return loaded


@pytest.mark.parametrize("page", list(PAGE_SCHEMAS))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_documents_are_loaded_or_refused_clearly(page, data):
    assert_loaded_or_refused_clearly(PAGE_SCHEMAS[page], data.draw(mutated_documents(page)), page)


@pytest.mark.parametrize("page", list(PAGE_SCHEMAS))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_hand_written_documents_are_loaded_or_refused_clearly(page, data):
    assert_loaded_or_refused_clearly(PAGE_SCHEMAS[page], data.draw(hand_written_documents(page)), page)


@pytest.mark.parametrize(
    ("page", "data", "problem"),
    [
        ("compare", envelope('{"steps": ' + "9" * 4301 + "}"), "more than 4300 digits"),
        ("compare", envelope('{"upto": -' + "9" * 4301 + "}"), "more than 4300 digits"),
        ("compare", envelope('{"x0": ' + "9" * 4301 + ".5}"), "`x0` is not a finite number"),
        ("decay", envelope('{"rhos": [' + "9" * 4300 + "]}", "decay"), "`rhos` is outside 0 … 1"),
        ("decay", envelope('{"rhos": [1e308, 0.5]}', "decay"), "`rhos` is outside 0 … 1"),
        ("compare", envelope('{"steps": 1e999}'), "`steps` has the wrong type (float)"),
    ],
    ids=["int-4301-digits", "negative-int-4301-digits", "float-4301-digits", "int-in-a-list", "huge-float", "inf"],
)
def test_huge_numbers_get_a_clear_message(page, data, problem):
    loaded, problems = PAGE_SCHEMAS[page].parse_document(data, page)
    assert loaded is None and any(problem in message for message in problems), problems


def test_thousands_of_unknown_keys_are_reported_once_counted_naming_a_few():
    """Issue 11: a 49 KB file with 3000 unknown keys drew 3000 error boxes."""
    unknown = {f"key{index:04}": index for index in range(3000)}
    data = envelope(json.dumps(unknown | {"rho": "lots", "steps": -3, "eps": [], "seed": 0.5, "view": 3}))
    assert 40_000 < len(data) <= MAX_DOCUMENT_BYTES
    loaded, problems = COMPARE.parse_document(data, "compare")
    assert loaded is None
    assert len(problems) <= 6, problems
    assert problems[0] == "3000 unknown settings: `key0000`, `key0001`, `key0002` and 2997 more."
    assert "`rho` has the wrong type (str)" in problems[1]
    assert problems[-1] == "2 more problems."


def test_a_few_problems_are_all_named():
    data = envelope('{"rho": "lots", "hack": 1}')
    assert COMPARE.parse_document(data, "compare") == (
        None,
        ["1 unknown setting: `hack`.", "Setting `rho` has the wrong type (str)."],
    )


# --- through the Compare page's upload --------------------------------------------------------


def test_the_whole_run_file_loads_on_the_compare_page():
    """Issue 11: ``{"upto": -1}`` is the whole run; loading it shows every step."""
    at = fresh_app({"objective": "ellipse", "steps": "120", "upto": "60"})
    data = envelope('{"upto": -1}')
    at.get("file_uploader")[0].set_value(("whole.json", data, "application/json")).run()
    assert not at.exception and not at.error, at.exception
    assert [message.value for message in at.success] == ["Loaded the settings from `whole.json`."]
    assert at.session_state["compare._settings"] == COMPARE.defaults()
    assert at.slider(key="compare.upto").value == COMPARE.defaults()["steps"]  # the whole run
    assert set(table(at)) == {"SGD", "Momentum", "RMSProp"}


def test_a_refused_file_shows_one_error_box():
    at = fresh_app()
    data = envelope(json.dumps({f"k{index}": 1 for index in range(3000)} | {"rho": 7.0}))
    at.get("file_uploader")[0].set_value(("many.json", data, "application/json")).run()
    assert not at.exception
    assert len(at.error) == 1
    assert "3000 unknown settings" in at.error[0].value and "`rho` is outside" in at.error[0].value


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated_documents("compare") | hand_written_documents("compare"))
def test_documents_through_the_compare_upload(data):
    """Whatever file arrives, the page says what became of it and draws its numbers or says why not."""
    at = fresh_app()
    at.get("file_uploader")[0].set_value(("mutated.json", data, "application/json")).run()
    assert not at.exception, at.exception
    loaded, _ = COMPARE.parse_document(data, "compare")
    if loaded is None:
        assert len(at.error) == 1
        assert at.session_state["compare._settings"] == COMPARE.defaults()
        return
    assert at.session_state["compare._settings"] == loaded
    if any("cannot be used" in error.value for error in at.error):
        assert loaded["objective"] == "custom"  # only a formula may stop the page, and it says why
    else:
        assert [message.value for message in at.success] == ["Loaded the settings from `mutated.json`."]
        if any(loaded[name] for name in ("sgd", "mom", "rms", "adam")):
            assert table(at), "the results table"
        else:
            assert any("Switch on at least one optimizer" in info.value for info in at.info)
