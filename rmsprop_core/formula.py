"""Your own function: a formula typed by a user, parsed safely, with exact gradients.

The text is parsed by Python's ``ast`` module and checked against a whitelist (numbers, ``x``,
``y``, ``+ - * / ** ^``, unary minus, parentheses, a few named functions, ``pi`` and ``e``). A
sympy expression is built from that tree here, node by node: no ``eval``, ``exec``, ``sympify``
or ``parse_expr`` ever sees the text. sympy differentiates it, and a small evaluator walks the
resulting trees with NumPy, so f and its gradient are vectorised and nothing is compiled from
user input. Limits (length, size, depth, literal and exponent sizes, and the size of every number
the formula builds, bounded before sympy builds it) keep every accepted formula cheap to parse,
differentiate and evaluate.

Reading a formula has two parts. :func:`analyse_formula` is the expensive one: it checks the text,
builds the sympy expression, differentiates it, evaluates it once on a small grid and returns a
:class:`FormulaAnalysis` of plain data (no sympy objects: unpickling one would run sympy again
wherever it arrived). :func:`objective_from` is the cheap one: it turns that data into NumPy
functions and an :class:`Objective`. :func:`parse_objective` does both in this process; the app
runs the first in a worker process it can stop (``rmsprop_lab.formula_pool``), because a sympy or
big-number computation cannot be interrupted from inside the process running it.
"""

from __future__ import annotations

import ast
import cmath
import math
import operator
import sys
import time
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

import numpy as np

from .objectives import Objective

MAX_LENGTH = 200
MAX_NODES = 120
MAX_DEPTH = 24
MAX_LITERAL = 1e6
MAX_CONSTANT_EXPONENT = 50
#: parsing and differentiating an accepted formula takes milliseconds; this bound is a backstop,
#: counted in CPU time (this thread's here, the worker's in the app's pool) so neither the sympy
#: import nor a busy machine counts against it
MAX_SECONDS = 2.0
MAX_DOMAIN_SPAN = 1e6
DEFAULT_DOMAIN = ((-5.0, 5.0), (-5.0, 5.0))
#: log10 of the largest float: a number beyond it can never be evaluated, so none is built
FLOAT_MAX_LOG10 = math.log10(sys.float_info.max)
#: operations in the NumPy trees of f and its gradient together: what one evaluation costs
MAX_EVALUATOR_NODES = 3000
#: points per axis of the grid over the domain where f and its gradient are first evaluated
FIRST_EVALUATION_POINTS = 17
TOO_LONG = "this formula takes too long to compute"
TOO_LARGE = "this formula grows too large to compute"


class FormulaError(ValueError):
    """A formula that cannot be used, with what is wrong and, where it helps, where."""


@dataclass(frozen=True)
class FormulaAnalysis:
    """A formula read, checked and differentiated, as plain data: ``value`` and ``gradient`` are
    evaluator trees of nested tuples (``("x",)``, ``("number", 2.0)``, ``("add", a, b, ...)``,
    ``("pow", base, exponent)``, ``("sin", a)``, ...) that :func:`objective_from` turns into NumPy
    functions. ``shared`` holds the subexpressions they have in common (sympy's ``cse``), each a tree
    that a ``("shared", k)`` node of a later tree reads, so it is computed once per evaluation."""

    title: str
    domain: tuple[tuple[float, float], tuple[float, float]]
    latex: str
    value: tuple
    gradient: tuple[tuple, tuple]
    shared: tuple = ()


def _sympy():
    import sympy

    return sympy


FUNCTION_NAMES = ("sin", "cos", "tan", "exp", "log", "ln", "sqrt", "abs", "tanh", "sinh", "cosh", "arctan", "atan")


def _functions():
    sympy = _sympy()
    return {
        "sin": sympy.sin,
        "cos": sympy.cos,
        "tan": sympy.tan,
        "exp": sympy.exp,
        "log": sympy.log,
        "ln": sympy.log,
        "sqrt": sympy.sqrt,
        "abs": _abs,
        "tanh": sympy.tanh,
        "sinh": sympy.sinh,
        "cosh": sympy.cosh,
        "arctan": sympy.atan,
        "atan": sympy.atan,
    }


def _abs(argument):
    sympy = _sympy()
    return sympy.Abs(argument) if argument.is_extended_real else _real_abs()(argument)


@cache
def _real_abs():
    """|g| for a g sympy cannot tell is real (``x**y``, ``sqrt(x)``, ``log(x)``): f is real wherever
    it is defined (NaN elsewhere), so its derivative is sign(g)·g′, where sympy's Abs would go
    through re, im and arg, which no real evaluation has."""
    sympy = _sympy()

    class RealAbs(sympy.Function):
        is_extended_real = True
        is_extended_nonnegative = True

        @classmethod
        def eval(cls, argument):
            value = sympy.Abs(argument)
            # sympy simplified it (a number, exp(x), |x|**y): keep that, with this abs inside
            return None if isinstance(value, sympy.Abs) else value.replace(sympy.Abs, cls)

        def fdiff(self, argindex=1):
            return sympy.sign(self.args[0])

        def _latex(self, printer, exp=None):
            body = r"\left|{" + printer._print(self.args[0]) + r"}\right|"
            return body if exp is None else f"{body}^{{{exp}}}"

    return RealAbs


def _where(node: ast.AST) -> str:
    return f" at column {node.col_offset + 1}"


def _is_constant(node: ast.AST) -> bool:
    return not any(isinstance(child, ast.Name) and child.id in ("x", "y") for child in ast.walk(node))


def _constant_exponent_value(node: ast.AST) -> float | None:
    """The exponent's value when it is a plain number (optionally negated), else None."""
    sign = 1.0
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -sign if isinstance(node.op, ast.USub) else sign
        node = node.operand
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return sign * float(node.value)
    if isinstance(node, ast.Name) and node.id in ("pi", "e"):
        return sign * (math.pi if node.id == "pi" else math.e)
    return None


# --- how large the numbers get, bounded before sympy computes them ------------------------------

_LOG10_E = math.log10(math.e)
_UNDEFINED = complex(math.nan, math.nan)
#: each operation by name, applied to approximate complex values and (arithmetic) to sympy expressions
_OPERATIONS = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "pow": operator.pow,
    "sin": cmath.sin,
    "cos": cmath.cos,
    "tan": cmath.tan,
    "exp": cmath.exp,
    "log": cmath.log,
    "ln": cmath.log,
    "sqrt": cmath.sqrt,
    "abs": lambda z: complex(abs(z)),
    "tanh": cmath.tanh,
    "sinh": cmath.sinh,
    "cosh": cmath.cosh,
    "arctan": cmath.atan,
    "atan": cmath.atan,
}


class _Part(NamedTuple):
    """A built piece of the formula and bounds on what sympy computes from it."""

    expression: object
    #: upper bounds on log10 of the numerators and denominators of the exact numbers in it
    numerator: float
    denominator: float
    #: the value of a constant piece, approximately (NaN where undefined); None for one in x or y,
    #: and for a plain number until :meth:`_Builder.build` reads it from sympy's
    value: complex | None


def _log10(value: complex) -> float:
    return math.log10(abs(value)) if value else -math.inf


def _growth(kind: str, values: tuple[complex, ...]) -> float | None:
    """An upper bound on log10 of the result's magnitude, for the operations that can grow beyond
    every float in one step (a sum reaches at most twice the largest float: its value says)."""
    first = values[0]
    if kind == "mul":
        return _log10(first) + _log10(values[1])
    if kind == "div":
        return _log10(first) - _log10(values[1])
    if kind == "pow":
        return values[1].real * _log10(first)
    if kind == "exp":
        return first.real * _LOG10_E
    if kind in ("sinh", "cosh"):
        return abs(first.real) * _LOG10_E
    if kind in ("sin", "cos"):
        return abs(first.imag) * _LOG10_E
    return None


def _too_large_constant(node: ast.AST, log10: float | None) -> FormulaError:
    known = log10 is not None and math.isfinite(log10)
    size = f"about 10^{log10:.0f}" if known else f"beyond 10^{FLOAT_MAX_LOG10:.0f}"
    return FormulaError(f"the constant part `{ast.unparse(node)}` is {size}, larger than any floating-point number")


def _constant_value(node: ast.AST, kind: str, values: tuple[complex, ...]) -> complex:
    """The value of a constant operation, refused when it would be beyond every float (complex
    powers and functions can end in NaN rather than overflow: bounded before they are computed)."""
    if any(cmath.isnan(value) for value in values):
        return _UNDEFINED
    if (kind == "div" and values[1] == 0) or (kind == "pow" and values[0] == 0 and values[1].real < 0):
        return _UNDEFINED  # sympy makes it zoo: refused below as undefined
    growth = _growth(kind, values)
    if growth is not None and growth > FLOAT_MAX_LOG10:
        raise _too_large_constant(node, growth)
    try:
        value = complex(_OPERATIONS[kind](*values))
    except (ValueError, ZeroDivisionError):  # log(0), atan(±i): undefined, as sympy will find
        return _UNDEFINED
    except OverflowError:
        value = complex(math.inf)
    if cmath.isinf(value):  # a sum, or a rounding at the bound
        raise _too_large_constant(node, growth)
    return value


def _bounded(node: ast.AST, numerator: float, denominator: float) -> None:
    digits = max(numerator, denominator)
    if digits > FLOAT_MAX_LOG10:
        raise FormulaError(
            f"the part `{ast.unparse(node)}` may build exact numbers of up to about {digits:.0f} digits, "
            f"more than any floating-point number holds ({FLOAT_MAX_LOG10:.0f})"
        )


def _sum_log10(a: float, b: float) -> float:
    """log10(10**a + 10**b), for exponents too large to raise 10 to."""
    high, low = max(a, b), min(a, b)
    return high + math.log10(1 + 10 ** (low - high))


class _Builder:
    """Turns a checked Python AST into a sympy expression, bounding every number before sympy
    computes it (a value beyond every float, or an exact number of more digits than a float has,
    is refused, saying which part)."""

    def __init__(self):
        sympy = _sympy()
        self.sympy = sympy
        self.x, self.y = sympy.symbols("x y", real=True)
        self.functions = _functions()

    def build(self, node: ast.AST) -> _Part:
        part = self._build(node)
        if part.value is None and (part.expression.is_Rational or part.expression.is_Float):
            # a number: typed (1000), or found by sympy (x - x + 1000.0), no larger than the parts
            # it came from, each of which a float holds; bound what is built from it
            return part._replace(value=complex(float(part.expression)))
        return part

    def _build(self, node: ast.AST) -> _Part:
        sympy = self.sympy
        if isinstance(node, ast.Expression):
            return self.build(node.body)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise FormulaError(f"only numbers are allowed as constants{_where(node)}")
            if not math.isfinite(node.value) or abs(node.value) > MAX_LITERAL:
                raise FormulaError(f"the number {node.value!r}{_where(node)} is larger than {MAX_LITERAL:g}")
            value = node.value
            if isinstance(value, int):
                return _Part(sympy.Integer(value), _log10(value) if value else 0.0, 0.0, None)
            # a float stays a float in sympy, whose size its exponent holds: it builds no long number
            return _Part(sympy.Float(value), 0.0, 0.0, None)
        if isinstance(node, ast.Name):
            if node.id == "x":
                return _Part(self.x, 0.0, 0.0, None)
            if node.id == "y":
                return _Part(self.y, 0.0, 0.0, None)
            if node.id == "pi":
                return _Part(sympy.pi, 0.0, 0.0, complex(math.pi))
            if node.id == "e":
                return _Part(sympy.E, 0.0, 0.0, complex(math.e))
            if node.id in self.functions:
                raise FormulaError(f"'{node.id}'{_where(node)} is a function: write {node.id}(...)")
            raise FormulaError(f"unknown name '{node.id}'{_where(node)}; use x, y, pi, e")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.build(node.operand)
            if isinstance(node.op, ast.UAdd):
                return operand
            value = None if operand.value is None else -operand.value
            return _Part(-operand.expression, operand.numerator, operand.denominator, value)
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Pow):
                return self._power(node)
            kinds = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div"}
            if type(node.op) not in kinds:
                raise FormulaError(f"operator not allowed{_where(node)}: use + - * / ** ^")
            kind = kinds[type(node.op)]
            left, right = self.build(node.left), self.build(node.right)
            if kind in ("add", "sub"):
                # a/b ± c/d = (a·d ± c·b)/(b·d)
                numerator = _sum_log10(left.numerator + right.denominator, right.numerator + left.denominator)
                denominator = left.denominator + right.denominator
            elif kind == "mul":
                numerator, denominator = left.numerator + right.numerator, left.denominator + right.denominator
            else:
                numerator, denominator = left.numerator + right.denominator, left.denominator + right.numerator
            return self._combine(node, kind, (left, right), numerator, denominator)
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                raise FormulaError(f"only named functions such as sin(x) can be called{_where(node)}")
            if node.func.id not in self.functions:
                name = node.func.id
                raise FormulaError(f"unknown function '{name}'{_where(node)}; available: {', '.join(FUNCTION_NAMES)}")
            if node.keywords or len(node.args) != 1:
                raise FormulaError(f"{node.func.id}(...){_where(node)} takes exactly one argument")
            argument = self.build(node.args[0])
            return self._combine(node, node.func.id, (argument,), argument.numerator, argument.denominator)
        if isinstance(node, ast.Compare):
            raise FormulaError(f"comparisons are not allowed{_where(node)}")
        raise FormulaError(f"'{type(node).__name__}' is not allowed in a formula{_where(node)}")

    def _combine(self, node, kind: str, parts: tuple[_Part, ...], numerator: float, denominator: float) -> _Part:
        """sympy's ``kind`` of ``parts``, once the numbers it builds are known to be bounded."""
        values = tuple(part.value for part in parts)
        value = None if None in values else _constant_value(node, kind, values)
        _bounded(node, numerator, denominator)
        operation = self.functions.get(kind, _OPERATIONS[kind])
        return _Part(operation(*(part.expression for part in parts)), numerator, denominator, value)

    def _power(self, node: ast.BinOp) -> _Part:
        exponent = _constant_exponent_value(node.right)
        if exponent is None and _is_constant(node.right):
            raise FormulaError(
                f"a constant exponent must be a plain number{_where(node.right)} (e.g. x**3), not an expression"
            )
        if exponent is not None and abs(exponent) > MAX_CONSTANT_EXPONENT:
            raise FormulaError(f"the exponent {exponent:g}{_where(node.right)} is beyond ±{MAX_CONSTANT_EXPONENT}")
        base, power = self.build(node.left), self.build(node.right)
        if exponent is None:
            # c ** (expression in x, y) stays a power: evaluated numerically, overflow becomes inf
            numerator, denominator = base.numerator + power.numerator, base.denominator + power.denominator
        else:
            # (a/b)**p is a**p/b**p, b**|p|/a**|p| for p < 0; a root may keep the whole of a and b
            scale = max(1.0, abs(exponent))
            numerator, denominator = scale * base.numerator, scale * base.denominator
            if exponent < 0:
                numerator, denominator = denominator, numerator
        return self._combine(node, "pow", (base, power), numerator, denominator)


def _check_shape(tree: ast.AST) -> None:
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise FormulaError(f"the formula is too long ({len(nodes)} parts; at most {MAX_NODES})")

    def depth(node: ast.AST) -> int:
        children = list(ast.iter_child_nodes(node))
        return 1 + max((depth(child) for child in children), default=0)

    if depth(tree) > MAX_DEPTH:
        raise FormulaError(f"the formula is nested too deeply (at most {MAX_DEPTH} levels)")


def _syntax_tree(source: str) -> ast.Expression:
    if "#" in source:
        # Python would read the rest as a comment and drop it unseen
        raise FormulaError(f"'#' at column {source.index('#') + 1} is not allowed in a formula")
    try:
        return ast.parse(source, mode="eval")
    except SyntaxError as error:
        column = f" at column {error.offset}" if error.offset else ""
        reason = error.msg.replace("'(' was never closed", "expected ')'")
        raise FormulaError(f"{reason}{column}") from None
    except (ValueError, MemoryError, RecursionError):
        raise FormulaError("the formula cannot be read") from None


# --- evaluator trees: sympy expressions as plain data, and NumPy functions from them -------------

_NUMPY_FUNCTIONS = {
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "exp": np.exp,
    "log": np.log,
    "abs": np.abs,
    "tanh": np.tanh,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "atan": np.arctan,
    "sign": np.sign,
}


def _evaluator_trees(expressions: dict, x_symbol, y_symbol) -> tuple[tuple, dict[str, tuple]]:
    """The subexpressions ``expressions`` ({what: sympy expression}) share, and each expression,
    as evaluator trees (see :class:`FormulaAnalysis`), refusing any node NumPy cannot evaluate
    (naming it) and trees that cost more than MAX_EVALUATOR_NODES in all."""
    sympy = _sympy()
    replacements, reduced = sympy.cse(list(expressions.values()), order="none")
    shared_index = {symbol: index for index, (symbol, _) in enumerate(replacements)}
    names = {
        sympy.sin: "sin",
        sympy.cos: "cos",
        sympy.tan: "tan",
        sympy.exp: "exp",
        sympy.log: "log",
        sympy.Abs: "abs",
        _real_abs(): "abs",
        sympy.tanh: "tanh",
        sympy.sinh: "sinh",
        sympy.cosh: "cosh",
        sympy.atan: "atan",
        sympy.sign: "sign",
    }
    count = 0

    def lower(node, what):
        nonlocal count
        count += 1
        if count > MAX_EVALUATOR_NODES:
            raise FormulaError(
                f"the formula and its gradient are too large to evaluate (more than {MAX_EVALUATOR_NODES} operations)"
            )
        if node in shared_index:
            return ("shared", shared_index[node])
        if node == x_symbol:
            return ("x",)
        if node == y_symbol:
            return ("y",)
        if node.is_Number or node.is_NumberSymbol:
            return ("number", float(node))  # ±inf beyond every float (a gradient's 50·10^308)
        if node.is_Add or node.is_Mul:
            return ("add" if node.is_Add else "mul", *(lower(arg, what) for arg in node.args))
        if node.is_Pow:
            return ("pow", lower(node.base, what), lower(node.exp, what))
        if node.func in names and len(node.args) == 1:
            return (names[node.func], lower(node.args[0], what))
        name = type(node).__name__
        raise FormulaError(f"the formula's {what} needs '{name}', which this app cannot evaluate")

    shared = tuple(lower(expression, "shared part") for _, expression in replacements)
    return shared, {what: lower(expression, what) for what, expression in zip(expressions, reduced, strict=True)}


def _numpy_program(shared: tuple, outputs: tuple):
    """A vectorised NumPy function of (x, y) returning the value of every tree in ``outputs``,
    computing each ``shared`` subexpression they use once per call (walking the trees once, into
    closures of ``(x, y, shared_values)``)."""

    def compile_node(node):
        kind = node[0]
        if kind == "x":
            return lambda x, y, values: x
        if kind == "y":
            return lambda x, y, values: y
        if kind == "shared":
            index = node[1]
            return lambda x, y, values: values[index]
        if kind == "number":
            value = node[1]
            return lambda x, y, values: value
        if kind in ("add", "mul"):
            # a + (-1) * b is computed as a - b: sympy writes every difference that way
            combine = operator.add if kind == "add" else operator.mul
            first, *rest = node[1:]
            negated_first = kind == "add" and _is_negation(first)
            total = _negative(compile_node(first[2])) if negated_first else compile_node(first)
            constant = first[1] if first[0] == "number" else None
            for part in rest:
                if kind == "add" and _is_negation(part):
                    operation, part = operator.sub, part[2]
                else:
                    operation = combine
                total = _combined(operation, total, constant, part, compile_node)
                constant = None
            return total
        if kind == "pow":
            base, exponent = compile_node(node[1]), compile_node(node[2])
            return lambda x, y, values: np.power(base(x, y, values), exponent(x, y, values))
        inner, function = compile_node(node[1]), _NUMPY_FUNCTIONS[kind]
        return lambda x, y, values: function(inner(x, y, values))

    def shared_reads(node, found):
        if node[0] == "shared" and node[1] not in found:
            found.add(node[1])
            shared_reads(shared[node[1]], found)
        for part in node[1:]:
            if isinstance(part, tuple):
                shared_reads(part, found)
        return found

    needed = set()
    for tree in outputs:
        shared_reads(tree, needed)
    steps = [(index, compile_node(shared[index])) for index in sorted(needed)]  # cse orders by use
    compiled = [compile_node(tree) for tree in outputs]

    def outputs_and_shared(x, y):
        values = {}
        for index, step in steps:
            values[index] = step(x, y, values)
        return [function(x, y, values) for function in compiled], values

    def evaluate(x, y):
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        shape = np.broadcast_shapes(x.shape, y.shape)
        with np.errstate(all="ignore"):
            results, values = outputs_and_shared(x, y)
        owned = [x, y, *values.values()]
        return tuple(_fresh_result(result, shape, owned) for result in results)

    def evaluate_into(x, y, *outs):
        """Write the outputs into ``outs`` (the engine's ``grad_into``: float arrays in, inside its
        own ``np.errstate``, so neither the conversions nor the copies of ``evaluate`` are needed)."""
        results, _ = outputs_and_shared(x, y)
        for result, out in zip(results, outs, strict=True):
            np.copyto(out, result)

    evaluate.into = evaluate_into
    return evaluate


def _is_negation(node: tuple) -> bool:
    """``("mul", ("number", -1.0), a)``: sympy's form of -a."""
    return node[0] == "mul" and len(node) == 3 and node[1] == ("number", -1.0)


def _combined(operation, left, left_constant, right_node, compile_node):
    """``operation(left, right)`` as one closure, with a constant first operand inlined (sympy puts
    a sum's or product's number first): formulas are evaluated at every step of a run, so each
    closure call saved counts."""
    right = compile_node(right_node)
    if left_constant is not None:
        return lambda x, y, values: operation(left_constant, right(x, y, values))
    return lambda x, y, values: operation(left(x, y, values), right(x, y, values))


def _negative(function):
    return lambda x, y, values: -function(x, y, values)


def _fresh_result(result, shape, owned) -> np.ndarray:
    """``result`` as a float array of ``shape`` that nothing else holds (a copy when it is an
    input, a shared value or a constant)."""
    fresh = isinstance(result, np.ndarray) and result.shape == shape and result.dtype == float
    if fresh and not any(result is array for array in owned):
        return result
    return np.broadcast_to(np.asarray(result, dtype=float), shape).copy()


# --- the two parts --------------------------------------------------------------------------------


def checked_text(text) -> str:
    """``text`` stripped, when it can be a formula at all (a string, short, printable, not empty)."""
    if not isinstance(text, str):
        raise FormulaError("the formula must be text")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"the formula is longer than {MAX_LENGTH} characters")
    if not text.strip():
        raise FormulaError("the formula is empty")
    if not text.isprintable():
        raise FormulaError("the formula contains control characters")
    return text.strip()


def checked_domain(domain) -> tuple[tuple[float, float], tuple[float, float]]:
    """``domain`` (default DEFAULT_DOMAIN) as ((xmin, xmax), (ymin, ymax)) floats, when it is a usable box."""
    if domain is None:
        domain = DEFAULT_DOMAIN
    try:
        (xmin, xmax), (ymin, ymax) = ((float(a), float(b)) for a, b in domain)
    except (TypeError, ValueError):
        raise FormulaError("the domain must be ((xmin, xmax), (ymin, ymax))") from None
    for low, high, name in ((xmin, xmax, "x"), (ymin, ymax, "y")):
        if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
            raise FormulaError(f"the {name} range must be two finite numbers, the first smaller")
        if high - low > MAX_DOMAIN_SPAN:
            raise FormulaError(f"the {name} range is wider than {MAX_DOMAIN_SPAN:g}")
    return (xmin, xmax), (ymin, ymax)


def analyse_formula(text: str, domain=None) -> FormulaAnalysis:
    """The expensive part of reading ``text``: check it, build and differentiate it with sympy,
    evaluate it once on a grid over ``domain``. Raises :class:`FormulaError` saying what is wrong."""
    text = checked_text(text)
    domain = checked_domain(domain)
    # the first import takes about 0.5 s of CPU (seconds on a busy machine): not the formula's work
    sympy = _sympy()
    began = time.thread_time()
    tree = _syntax_tree(text.replace("^", "**"))
    _check_shape(tree)
    builder = _Builder()
    try:
        expression = builder.build(tree).expression
        if expression.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo, sympy.AccumBounds):
            raise FormulaError("the formula divides by zero (or is undefined) everywhere")
        if expression.has(sympy.I):
            raise FormulaError("the formula is not real-valued (e.g. the square root of a negative number)")
        gradient = {"gradient": expression.diff(builder.x), "y-gradient": expression.diff(builder.y)}
        if any(part.has(sympy.I) for part in gradient.values()):
            raise FormulaError(
                "the formula's gradient is not real-valued (e.g. a negative number raised to a power in x or y)"
            )
        shared, trees = _evaluator_trees({"value": expression, **gradient}, builder.x, builder.y)
        latex = "f(x, y) = " + sympy.latex(expression)
    except FormulaError:
        raise
    except MemoryError as error:
        raise FormulaError(TOO_LARGE) from error
    except (RecursionError, OverflowError, ValueError, TypeError, ZeroDivisionError) as error:
        raise FormulaError(f"the formula cannot be used: {type(error).__name__}") from None
    if time.thread_time() - began > MAX_SECONDS:
        raise FormulaError(TOO_LONG)
    analysis = FormulaAnalysis(text, domain, latex, trees["value"], (trees["gradient"], trees["y-gradient"]), shared)
    _first_evaluation(analysis)
    return analysis


def _first_evaluation(analysis: FormulaAnalysis) -> None:
    (xmin, xmax), (ymin, ymax) = analysis.domain
    xs, ys = np.meshgrid(
        np.linspace(xmin, xmax, FIRST_EVALUATION_POINTS), np.linspace(ymin, ymax, FIRST_EVALUATION_POINTS)
    )
    values, _, _ = _numpy_program(analysis.shared, (analysis.value, *analysis.gradient))(xs, ys)
    if not np.isfinite(values).any():
        raise FormulaError("the formula has no finite value anywhere in the domain")


def objective_from(analysis: FormulaAnalysis, start=None) -> Objective:
    """The cheap part of reading a formula: an :class:`Objective` evaluating ``analysis`` with NumPy,
    starting at ``start`` (default: 80 % of the way across the domain in x and in y)."""
    value = _numpy_program(analysis.shared, (analysis.value,))
    grad = _numpy_program(analysis.shared, analysis.gradient)

    def f(x, y):
        return value(x, y)[0]

    (xmin, xmax), (ymin, ymax) = analysis.domain
    if start is None:
        start = (xmin + 0.8 * (xmax - xmin), ymin + 0.8 * (ymax - ymin))
    return Objective(
        name="custom",
        title=analysis.title,
        f=f,
        grad=grad,
        domain=analysis.domain,
        start=(float(start[0]), float(start[1])),
        latex=analysis.latex,
        grad_into=grad.into,
        minima=(),
        min_value=None,
        description="Your formula, differentiated symbolically.",
    )


def parse_objective(text: str, domain=None, start=None) -> Objective:
    """An :class:`Objective` for the formula ``text`` in ``x`` and ``y`` (``^`` means power), read
    in this process (the app reads formulas in a worker process instead: see the module's note).

    Raises :class:`FormulaError` (a ``ValueError``) saying what is wrong and where. Where f or its
    gradient is undefined (log of a negative number, 0/0), the functions return NaN and a
    trajectory that reaches such a point is flagged as diverged.
    """
    return objective_from(analyse_formula(text, domain), start)
