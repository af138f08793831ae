"""Settings schema: URL parsing, validation, round trip."""

from __future__ import annotations

import pytest

from rmsprop_lab.options import LR_OPTIONS, RHO_OPTIONS, STORY_DEFAULTS, nearest_option
from rmsprop_lab.schemas import COMPARE as COMPARE_SCHEMA
from rmsprop_lab.settings import quote_user_text

SCHEMA = COMPARE_SCHEMA


def test_defaults_follow_the_objective():
    rosenbrock = SCHEMA.defaults("rosenbrock")
    assert (rosenbrock["x0"], rosenbrock["y0"], rosenbrock["steps"]) == (-1.5, 2.0, 1000)
    ellipse = SCHEMA.defaults("ellipse")
    assert ellipse["sgd_lr"] == 0.079 and ellipse["steps"] == 200


def test_story_defaults_are_on_the_ladder():
    for values in STORY_DEFAULTS.values():
        for name, value in values.items():
            if name == "rho":
                assert value in RHO_OPTIONS
            elif name != "steps":
                assert value in LR_OPTIONS


def test_round_trip_through_the_url():
    settings = SCHEMA.defaults("beale")
    settings.update(objective="beale", rho=0.99, eps=1e-8, centered=True, steps=777, x0=0.5, adam=True)
    query = SCHEMA.to_query(settings)
    assert query["rho"] == "0.99" and query["centered"] == "1" and query["steps"] == "777"
    assert "sgd_lr" not in query  # defaults stay out of the URL
    parsed, notices = SCHEMA.parse_query(query)
    assert notices == [] and parsed == settings


def test_values_snap_to_the_ladder():
    parsed, notices = SCHEMA.parse_query({"rho": "0.93", "rms_lr": "0.0123"})
    assert notices == []
    assert parsed["rho"] == 0.95 and parsed["rms_lr"] == 0.013
    assert nearest_option(0.0, RHO_OPTIONS) == 0.0


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ({"rho": "1.5"}, "rho"),
        ({"rho": "abc"}, "rho"),
        ({"eps": "nan"}, "eps"),
        ({"steps": "0"}, "steps"),
        ({"steps": "99999999"}, "steps"),
        ({"steps": "12.5"}, "steps"),
        ({"objective": "<script>alert(1)</script>"}, "objective"),
        ({"centered": "maybe"}, "centered"),
        ({"rms_lr": "1e309"}, "rms_lr"),
        ({"x0": "x" * 10_000}, "x0"),
        ({"view": "3d"}, "view"),
    ],
)
def test_bad_values_fall_back_to_defaults_with_a_notice(query, key):
    parsed, notices = SCHEMA.parse_query(query)
    objective = parsed["objective"]
    assert parsed[key] == SCHEMA.defaults(objective)[key]
    assert len(notices) == 1 and f"`{key}`" in notices[0]
    assert len(notices[0]) < 200 and "<script>" not in notices[0].replace("`<script>", "")


def test_start_outside_the_generous_box_is_refused():
    parsed, notices = SCHEMA.parse_query({"objective": "bowl", "x0": "1000", "y0": "1"})
    assert (parsed["x0"], parsed["y0"]) == (5.0, 4.0)
    assert "outside" in notices[0]
    parsed, notices = SCHEMA.parse_query({"objective": "bowl", "x0": "-17.5", "y0": "1"})
    assert notices == [] and parsed["x0"] == -17.5


def test_unknown_keys_are_noted_and_quoted():
    parsed, notices = SCHEMA.parse_query({"evil": "1", "rho": "0.9"})
    assert parsed["rho"] == 0.9 and notices == ["Unknown URL setting `evil` ignored."]


def test_repeated_parameters_use_the_last_value():
    parsed, _ = SCHEMA.parse_query({"rho": ["0.5", "0.99"]})
    assert parsed["rho"] == 0.99


def test_objective_change_resets_dependent_settings_only():
    settings = SCHEMA.defaults("rosenbrock") | {"eps": 1e-8, "rho": 0.99, "rms_lr": 0.5, "x0": 1.0}
    changed = SCHEMA.with_subject(settings, "ellipse")
    assert changed["eps"] == 1e-8  # kept
    # tuned per function, like the learning rates: the valley's RMSProp remembers longer
    assert changed["rho"] == 0.9 and SCHEMA.with_subject(settings, "valley")["rho"] == 0.999
    assert changed["rms_lr"] == 0.05 and changed["x0"] == -5.0 and changed["steps"] == 200


def test_quote_user_text_cannot_break_out_of_a_code_span():
    quoted = quote_user_text("`**bold**` [x](javascript:alert(1))\n" + "y" * 100)
    assert quoted.startswith("`") and quoted.endswith("`") and quoted.count("`") == 2
    assert len(quoted) <= 42 and "\n" not in quoted
    assert quote_user_text("") == "an empty value"


# --- settings files -------------------------------------------------------------------------------

import json  # noqa: E402


def test_settings_document_round_trip():
    settings = SCHEMA.defaults("beale") | {
        "objective": "beale",
        "rho": 0.99,
        "centered": True,
        "noise": 0.3,
        "seed": 7,
        "formula": "x^2",
    }
    document = SCHEMA.to_document(settings, "compare")
    assert json.loads(document)["settings"]["rho"] == 0.99
    parsed, problems = SCHEMA.parse_document(document.encode(), "compare")
    assert problems == [] and parsed == settings


def document(settings: dict, **envelope) -> bytes:
    return json.dumps({"app": "rmsprop-lab", "version": 1, "page": "compare", "settings": settings} | envelope).encode()


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"x" * (64 * 1024 + 1), "larger than 64 KB"),
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[1, 2]", '"settings" object'),
        (document({"rho": 0.9}, app="other"), "not a RMSProp Lab settings file"),
        (document({"rho": 0.9}, page="sweep"), "not a RMSProp Lab settings file"),
        (document({"rho": "0.9"}), "`rho` has the wrong type (str)"),
        (document({"steps": True}), "`steps` has the wrong type (bool)"),
        (document({"centered": 1}), "`centered` has the wrong type (int)"),
        (document({"steps": 10**9}), "`steps` is outside"),
        (document({"rho": 7.0}), "`rho` is outside"),
        (document({"objective": "<b>x</b>"}), "`objective` is not one of the choices"),
        (document({"hack": 1}), "1 unknown setting: `hack`"),
        (document({"objective": "bowl", "x0": 1000.0}), "outside"),
        (b"[" * 100_000 + b"]" * 100_000, "larger than"),
    ],
)
def test_bad_settings_documents_are_refused_naming_the_problem(data, problem):
    settings, problems = SCHEMA.parse_document(data, "compare")
    assert settings is None
    assert any(problem in message for message in problems), problems


def test_ladder_labels_are_formatted_once():
    """Sliders format every option on every run: each label is computed once and then reused."""
    from rmsprop_lab.options import format_number

    labels = [format_number(value) for value in LR_OPTIONS]
    assert labels[0] == "1e-05" and labels[-1] == "10"
    assert all(format_number(value) is label for value, label in zip(LR_OPTIONS, labels, strict=True))
