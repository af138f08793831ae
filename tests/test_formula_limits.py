"""Formulas at each limit and in each message, exactly: the inputs just inside and just beyond every
bound, every refusal word for word with its column, and the evaluator's numbers. Written to catch
the mutations of ``rmsprop_core/formula.py`` that change what a user sees (issue 13)."""

from __future__ import annotations

import numpy as np
import pytest

import rmsprop_core.formula as formula
from rmsprop_core import FormulaError, parse_objective
from rmsprop_core.formula import MAX_SECONDS, TOO_LARGE, TOO_LONG, analyse_formula


def refusal(text, domain=None) -> str:
    with pytest.raises(FormulaError) as raised:
        parse_objective(text, domain)
    return str(raised.value)


def _digits(part: str, digits: int) -> str:
    return (
        f"the part `{part}` may build exact numbers of up to about {digits} digits, "
        "more than any floating-point number holds (308)"
    )


def _constant(part: str, size: str) -> str:
    return f"the constant part `{part}` is {size}, larger than any floating-point number"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (5, "the formula must be text"),
        (" " * 200 + "x", "the formula is longer than 200 characters"),
        ("   ", "the formula is empty"),
        ("x\t+ 1", "the formula contains control characters"),
        ("x +", "invalid syntax"),  # Python gives no column here
        ("y + x.real(1)", "only named functions such as sin(x) can be called at column 5"),
        ("y + (x < y)", "comparisons are not allowed at column 6"),
        ("y + x @ y", "operator not allowed at column 5: use + - * / ** ^"),
        ("y + True", "only numbers are allowed as constants at column 5"),
        ("y + x^+51", "the exponent 51 at column 8 is beyond ±50"),
        ("+".join(["x"] * 29 + ["1"] * 2), "the formula is too long (121 parts; at most 120)"),
        ("sin(" * 22 + "x" + ")" * 22, "the formula is nested too deeply (at most 24 levels)"),
        ("x + 1/0", "the formula divides by zero (or is undefined) everywhere"),
        # |1/0| is oo, -|1/0| is -oo: undefined as well, not a formula infinite everywhere
        ("x + abs(1/0)", "the formula divides by zero (or is undefined) everywhere"),
        ("x - abs(1/0)", "the formula divides by zero (or is undefined) everywhere"),
        ("sqrt(-x^2)", "the formula is not real-valued (e.g. the square root of a negative number)"),
        (
            "sin((-1)^y)",
            "the formula's gradient is not real-valued (e.g. a negative number raised to a power in x or y)",
        ),
        ("log(-1 - x^2)", "the formula has no finite value anywhere in the domain"),
        # an evaluator name in a shared part, and in the exponent of a power
        ("x*cosh((e*atan(log(-1)))^3)", "the formula's shared part needs 'atanh', which this app cannot evaluate"),
        (
            "x + pi^(cosh((e*atan(log(-1)))^3) + x - x)",
            "the formula's value needs 'atanh', which this app cannot evaluate",
        ),
    ],
)
def test_each_refusal_word_for_word(text, message):
    assert refusal(text) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cos(1e3*(-1)^0.5)*x", _constant("cos(1000.0 * (-1) ** 0.5)", "about 10^434")),
        # a sum that overflows says so, without a size
        (
            "(1000000*10)^44*1.5 + (1000000*10)^44*1.5 + x",
            _constant("(1000000 * 10) ** 44 * 1.5 + (1000000 * 10) ** 44 * 1.5", "beyond 10^308"),
        ),
        # 0^0.5 is 0 and 0^0 is 1, both defined: what is built from them is bounded
        ("exp(710 + 0^0.5)*x", _constant("exp(710 + 0 ** 0.5)", "about 10^308")),
        ("exp(710*0^0)*x", _constant("exp(710 * 0 ** 0)", "about 10^308")),
        # pi, e and negations carry their values
        ("exp(pi*226)*x", _constant("exp(pi * 226)", "about 10^308")),
        ("e^50*exp(660)*x", _constant("e ** 50 * exp(660)", "about 10^308")),
        ("exp(-(-226*pi))*x", _constant("exp(-(-226 * pi))", "about 10^308")),
    ],
)
def test_constant_values_beyond_every_float_are_refused(text, message):
    assert refusal(text) == message


def test_a_constant_sum_that_cancels_is_its_value():
    objective = parse_objective("(1000000*10.0)^44*1.5 - (1000000*10.0)^44*1.5 + x")
    assert float(objective.f(2.0, 0.0)) == 2.0


# every part below is 308 digits (accepted) or 309 (refused): one digit more from any atom refuses it
_NUMERATOR_308 = "(1000000*x)^50*1000000*100"
_DENOMINATOR_308 = "(1/1000000)^50/1000000/100"
_ONE_308 = "/(1000000^50*1000000*100)"  # brings the numerator's 308 digits back to a value of 1


@pytest.mark.parametrize(
    ("text", "point", "value"),
    [
        (_NUMERATOR_308 + "*y", (0.0, 1.0), 0.0),
        (_NUMERATOR_308 + "*0", (1.0, 1.0), 0.0),
        (_NUMERATOR_308 + "*1.0", (1e-6, 0.0), 1e8),
        ("pi*" + _NUMERATOR_308 + _ONE_308, (1.0, 0.0), np.pi),
        ("e*" + _NUMERATOR_308 + _ONE_308, (1.0, 0.0), np.e),
        (_DENOMINATOR_308 + "*y", (0.0, 1.0), 1e-308),
        (_DENOMINATOR_308 + "*pi", (0.0, 0.0), np.pi * 1e-308),
        (_DENOMINATOR_308 + "*e", (0.0, 0.0), np.e * 1e-308),
        (_DENOMINATOR_308 + "*1.0", (0.0, 0.0), 1e-308),
        ("(1000000^17*x)^e", (1e-102, 0.0), 1.0),  # 102 digits to the power e: 277
    ],
)
def test_exact_numbers_of_308_digits_are_accepted(text, point, value):
    assert float(parse_objective(text).f(*point)) == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize(
    ("text", "part", "digits"),
    [
        ("0*(1000000*x)^50*1000000*1000", "0 * (1000000 * x) ** 50 * 1000000 * 1000", 309),
        ("(1000000^17*x)^pi", "(1000000 ** 17 * x) ** pi", 320),
        # a/b ± c/d is (a·d ± c·b)/(b·d)
        ("1000000*x + (1/1000000)^50/1000", "1000000 * x + (1 / 1000000) ** 50 / 1000", 309),
        ("(1/1000000)^50/1000 - 1000000*x", "(1 / 1000000) ** 50 / 1000 - 1000000 * x", 309),
        ("(1/1000000)^50/1000 + x/1000000", "(1 / 1000000) ** 50 / 1000 + x / 1000000", 309),
        ("x/1000000^26 + y/1000000^26", "x / 1000000 ** 26 + y / 1000000 ** 26", 312),
        ("x/1000000^26 - y/1000000^26", "x / 1000000 ** 26 - y / 1000000 ** 26", 312),
        # two parts of 308 digits: their sum may have one more
        (
            _NUMERATOR_308 + " + " + _NUMERATOR_308.replace("x", "y"),
            "(1000000 * x) ** 50 * 1000000 * 100 + (1000000 * y) ** 50 * 1000000 * 100",
            308,
        ),
        (
            "1000000^50*1000000*164*x + 1000000^50*1000000*16*y",  # 308.215 and 307.204 digits: 308.255
            "1000000 ** 50 * 1000000 * 164 * x + 1000000 ** 50 * 1000000 * 16 * y",
            308,
        ),
        ("1000000*x*((1000000*y)^50*1000)", "1000000 * x * ((1000000 * y) ** 50 * 1000)", 309),
        ("1000000*x/((1/1000000)^50/1000)", "1000000 * x / ((1 / 1000000) ** 50 / 1000)", 309),
        # a power: c**g(x) keeps the digits of c and of g; (a/b)**p scales them by |p|, at least 1
        ("1000000^(x*1000000^50*1000)", "1000000 ** (x * 1000000 ** 50 * 1000)", 309),
        ("(1/1000000)^(x*(1/1000000)^50/1000)", "(1 / 1000000) ** (x * (1 / 1000000) ** 50 / 1000)", 309),
        ("(1000000*x)^0*(1000000*y)^50*1000", "(1000000 * x) ** 0 * (1000000 * y) ** 50 * 1000", 309),
        ("(1000000*x)^0.5*(1000000*y)^50*1000", "(1000000 * x) ** 0.5 * (1000000 * y) ** 50 * 1000", 309),
    ],
)
def test_exact_numbers_of_more_digits_are_refused_naming_the_part(text, part, digits):
    assert refusal(text) == _digits(part, digits)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("y + 1e999 * x", "the number inf at column 5 is larger than 1e+06"),
        ("y + x^(1+1)", "a constant exponent must be a plain number at column 9 (e.g. x**3), not an expression"),
    ],
)
def test_literal_and_exponent_refusals_name_their_column(text, message):
    assert refusal(text) == message


def test_the_limits_on_length_parts_and_depth_are_inclusive():
    assert parse_objective(" " * 199 + "x").title == "x"
    parse_objective("+".join(["(x+x+x+x+x+x)"] * 4 + ["(x+x+x+x+1+1+1)"]))  # exactly 120 parts
    parse_objective("sin(" * 21 + "x" + ")" * 21)  # exactly 24 levels


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        ("abc", "the domain must be ((xmin, xmax), (ymin, ymax))"),
        (((1, 2),), "the domain must be ((xmin, xmax), (ymin, ymax))"),
        (((1, 1), (0, 1)), "the x range must be two finite numbers, the first smaller"),
        (((0, float("inf")), (0, 1)), "the x range must be two finite numbers, the first smaller"),
        (((0, 1), (float("nan"), 1)), "the y range must be two finite numbers, the first smaller"),
        (((0, 1), (2, 2)), "the y range must be two finite numbers, the first smaller"),
        (((0, 1e6 + 1), (0, 1)), "the x range is wider than 1e+06"),
        (((0, 1), (-1e6, 1)), "the y range is wider than 1e+06"),
    ],
)
def test_bad_domains_say_which_range(domain, message):
    assert refusal("x + y", domain) == message


@pytest.mark.parametrize("domain", [((0, 1e6), (-5e5, 5e5)), ((999999.0, 1e6), (0, 1))])
def test_domains_up_to_the_widest_span_are_accepted(domain):
    assert parse_objective("x + y", domain).domain == domain


@pytest.mark.parametrize("text", ["log(0.0001 - (x - 25)^2) + y", "log(0.0001 - (y - 25)^2) + x"])
def test_the_first_evaluation_is_on_17_points_across_each_range(text):
    # finite only within 0.01 of 25, the middle of the 17 points from 20 to 30
    parse_objective(text, ((20, 30), (20, 30)))
    message = "the formula has no finite value anywhere in the domain"
    assert refusal(text, ((20, 29.9), (20, 29.9))) == message


def test_the_latex_names_x_and_y():
    assert parse_objective("x^2 + y").latex == "f(x, y) = x^{2} + y"


def test_a_formula_objective_describes_itself():
    objective = parse_objective("x^2 + y^2")
    assert (objective.name, objective.minima, objective.min_value) == ("custom", (), None)
    assert objective.description == "Your formula, differentiated symbolically."


@pytest.mark.parametrize("limit", [11, 10])
def test_the_evaluator_size_limit_is_inclusive(monkeypatch, limit):
    monkeypatch.setattr(formula, "MAX_EVALUATOR_NODES", limit)
    text = "x*y + sin(x)"  # value and gradient in 11 operations
    if limit == 11:
        parse_objective(text)
    else:
        assert refusal(text) == "the formula and its gradient are too large to evaluate (more than 10 operations)"


class _Clock:
    def __init__(self, *readings):
        self.readings = list(readings)

    def thread_time(self):
        return self.readings.pop(0)


@pytest.mark.parametrize(("elapsed", "accepted"), [(MAX_SECONDS, True), (MAX_SECONDS + 0.5, False)])
def test_the_time_limit_counts_the_formulas_own_cpu_time(monkeypatch, elapsed, accepted):
    monkeypatch.setattr(formula, "time", _Clock(1000.0, 1000.0 + elapsed))
    if accepted:
        parse_objective("sin(x)*y")
    else:
        assert refusal("sin(x)*y") == TOO_LONG


@pytest.mark.parametrize(
    ("error", "message"),
    [(MemoryError(), TOO_LARGE), (RecursionError(), "the formula cannot be used: RecursionError")],
)
def test_errors_inside_sympy_become_formula_errors(monkeypatch, error, message):
    def fail(*args):
        raise error

    monkeypatch.setattr(formula, "_evaluator_trees", fail)
    assert refusal("x + y") == message


# --- the evaluator's numbers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "point", "value"),
    [
        ("y - x*y", (2.0, 3.0), -3.0),
        ("y - 2*x", (2.0, 3.0), -1.0),
        ("-y - y^2", (7.0, 2.0), -6.0),
        ("2^(x*y) + x*y", (2.0, 3.0), 70.0),  # x*y is shared, and read in an exponent
        ("x*y", (10**10, 10**10), 1e20),  # integers are converted to floats, not multiplied as int64
    ],
)
def test_differences_and_shared_parts_evaluate_exactly(text, point, value):
    assert float(parse_objective(text).f(*point)) == value


def test_a_gradient_coefficient_beyond_every_float_is_infinite_with_its_sign():
    for sign in (1.0, -1.0):
        text = ("-" if sign < 0 else "") + "1000000^50*1000000*100*x^50"  # d/dx is ±5e309 x^49
        objective = parse_objective(text)
        assert float(objective.f(1.0, 0.0)) == sign * 1e308
        assert float(objective.grad(1.0, 0.0)[0]) == sign * np.inf


def test_results_are_fresh_arrays_of_the_broadcast_shape():
    x, y = np.arange(3.0), np.zeros((2, 1))
    assert parse_objective("x^2").f(x, y).shape == (2, 3)
    identity = parse_objective("x + 0*y").f(x, x)
    assert not np.shares_memory(identity, x) and identity.tolist() == [0.0, 1.0, 2.0]


def test_grad_into_needs_one_output_per_gradient():
    objective = parse_objective("x*y")
    with pytest.raises(ValueError, match="zip"):
        objective.grad_into(np.ones(2), np.ones(2), np.empty(2))


def test_an_analysis_is_plain_data_with_its_shared_parts():
    analysis = analyse_formula("2^(x*y) + x*y")
    assert analysis.shared[0] == ("mul", ("x",), ("y",))
    assert analysis.value == ("add", ("shared", 0), ("shared", 1))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # exp and a product that round beyond the largest float, their bound a hair below it
        ("exp(709.7827128933841)*x", _constant("exp(709.7827128933841)", "about 10^308")),
        (
            "(1000000*10)^44*1.7976931348623173*x",
            _constant("(1000000 * 10) ** 44 * 1.7976931348623173", "about 10^308"),
        ),
    ],
)
def test_constants_that_round_beyond_every_float_are_refused(text, message):
    assert refusal(text) == message


@pytest.mark.parametrize("text", ["-" * 100_000 + "x", "x" + "+x" * 100_000])
def test_text_python_cannot_parse_is_refused_under_a_longer_limit(monkeypatch, text):
    monkeypatch.setattr(formula, "MAX_LENGTH", 300_000)
    assert refusal(text) == "the formula cannot be read"


@pytest.mark.parametrize(
    ("text", "point", "value"),
    [("x*abs(x)", (-(10**10), 0), -1e20), ("y*abs(y)", (0, 10**10), 1e20)],
)
def test_integer_inputs_are_read_as_floats(text, point, value):
    assert float(parse_objective(text).f(*point)) == value


def test_abs_of_a_real_part_is_sympys_abs():
    assert parse_objective("abs(x)^2").latex == "f(x, y) = x^{2}"  # |x|² of a real x is x²


def test_a_constant_whose_bound_is_exactly_the_largest_floats_is_accepted():
    # 709.782712893384·log10(e) is log10 of the largest float to the last bit; e to it is a float
    assert float(parse_objective("exp(709.782712893384)*x").f(1.0, 0.0)) == pytest.approx(1.7976931348622732e308)
