"""Settings schema: URL parsing, validation, round trip."""

from __future__ import annotations

import pytest

from rmsprop_lab.options import LR_OPTIONS, RHO_OPTIONS, STORY_DEFAULTS, nearest_option
from rmsprop_lab.settings import COMPARE_SCHEMA, quote_user_text

SCHEMA = COMPARE_SCHEMA


def test_defaults_follow_the_objective():
    rosenbrock = SCHEMA.defaults("rosenbrock")
    assert (rosenbrock["x0"], rosenbrock["y0"], rosenbrock["steps"]) == (-1.5, 2.0, 1000)
    ellipse = SCHEMA.defaults("ellipse")
    assert ellipse["sgd_lr"] == 0.079 and ellipse["steps"] == 200


def test_story_defaults_are_on_the_ladder():
    for values in STORY_DEFAULTS.values():
        for name, value in values.items():
            if name != "steps":
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
    settings = SCHEMA.defaults("rosenbrock") | {"rho": 0.99, "rms_lr": 0.5, "x0": 1.0}
    changed = SCHEMA.after_objective_change(settings, "ellipse")
    assert changed["rho"] == 0.99  # kept
    assert changed["rms_lr"] == 0.05 and changed["x0"] == -5.0 and changed["steps"] == 200


def test_quote_user_text_cannot_break_out_of_a_code_span():
    quoted = quote_user_text("`**bold**` [x](javascript:alert(1))\n" + "y" * 100)
    assert quoted.startswith("`") and quoted.endswith("`") and quoted.count("`") == 2
    assert len(quoted) <= 42 and "\n" not in quoted
    assert quote_user_text("") == "an empty value"
