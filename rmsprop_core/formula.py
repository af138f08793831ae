"""Your own function: a formula typed by a user, parsed safely, with exact gradients.

The text is parsed by Python's ``ast`` module and checked against a whitelist (numbers, ``x``,
``y``, ``+ - * / ** ^``, unary minus, parentheses, a few named functions, ``pi`` and ``e``). A
sympy expression is built from that tree here, node by node: no ``eval``, ``exec``, ``sympify``
or ``parse_expr`` ever sees the text. sympy differentiates it, and a small evaluator walks the
resulting trees with NumPy, so f and its gradient are vectorised and nothing is compiled from
user input. Limits (length, size, depth, literal and exponent sizes) keep every accepted formula
cheap to parse, differentiate and evaluate.
"""

from __future__ import annotations

import ast
import math
import time

import numpy as np

from .objectives import Objective

MAX_LENGTH = 200
MAX_NODES = 120
MAX_DEPTH = 24
MAX_LITERAL = 1e6
MAX_CONSTANT_EXPONENT = 50
#: parsing and differentiating an accepted formula takes milliseconds; this bound is a backstop,
#: counted in this thread's CPU time so neither the sympy import nor a busy machine counts against it
MAX_SECONDS = 2.0
MAX_DOMAIN_SPAN = 1e6
DEFAULT_DOMAIN = ((-5.0, 5.0), (-5.0, 5.0))


class FormulaError(ValueError):
    """A formula that cannot be used, with what is wrong and, where it helps, where."""


def _sympy():
    import sympy

    return sympy


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
        "abs": sympy.Abs,
        "tanh": sympy.tanh,
        "sinh": sympy.sinh,
        "cosh": sympy.cosh,
        "arctan": sympy.atan,
        "atan": sympy.atan,
    }


FUNCTION_NAMES = ("sin", "cos", "tan", "exp", "log", "ln", "sqrt", "abs", "tanh", "sinh", "cosh", "arctan", "atan")


def _where(node: ast.AST) -> str:
    return f" at column {node.col_offset + 1}" if hasattr(node, "col_offset") else ""


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


class _Builder:
    """Turns a checked Python AST into a sympy expression."""

    def __init__(self):
        sympy = _sympy()
        self.sympy = sympy
        self.x, self.y = sympy.symbols("x y", real=True)
        self.functions = _functions()

    def build(self, node: ast.AST):
        sympy = self.sympy
        if isinstance(node, ast.Expression):
            return self.build(node.body)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise FormulaError(f"only numbers are allowed as constants{_where(node)}")
            if not math.isfinite(node.value) or abs(node.value) > MAX_LITERAL:
                raise FormulaError(f"the number {node.value!r}{_where(node)} is larger than {MAX_LITERAL:g}")
            value = node.value
            return sympy.Integer(value) if isinstance(value, int) else sympy.Float(value)
        if isinstance(node, ast.Name):
            if node.id == "x":
                return self.x
            if node.id == "y":
                return self.y
            if node.id == "pi":
                return sympy.pi
            if node.id == "e":
                return sympy.E
            if node.id in self.functions:
                raise FormulaError(f"'{node.id}'{_where(node)} is a function: write {node.id}(...)")
            raise FormulaError(f"unknown name '{node.id}'{_where(node)}; use x, y, pi, e")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.build(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Pow):
                return self._power(node)
            operators = {ast.Add: sympy.Add, ast.Sub: None, ast.Mult: sympy.Mul, ast.Div: None}
            if type(node.op) not in operators:
                raise FormulaError(f"operator not allowed{_where(node)}: use + - * / ** ^")
            left, right = self.build(node.left), self.build(node.right)
            if isinstance(node.op, ast.Add):
                return left + right
            if isinstance(node.op, ast.Sub):
                return left - right
            if isinstance(node.op, ast.Mult):
                return left * right
            return left / right
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                raise FormulaError(f"only named functions such as sin(x) can be called{_where(node)}")
            if node.func.id not in self.functions:
                name = node.func.id
                raise FormulaError(f"unknown function '{name}'{_where(node)}; available: {', '.join(FUNCTION_NAMES)}")
            if node.keywords or len(node.args) != 1:
                raise FormulaError(f"{node.func.id}(...){_where(node)} takes exactly one argument")
            return self.functions[node.func.id](self.build(node.args[0]))
        if isinstance(node, ast.Compare):
            raise FormulaError(f"comparisons are not allowed{_where(node)}")
        raise FormulaError(f"'{type(node).__name__}' is not allowed in a formula{_where(node)}")

    def _power(self, node: ast.BinOp):
        exponent = _constant_exponent_value(node.right)
        if exponent is None and _is_constant(node.right):
            raise FormulaError(
                f"a constant exponent must be a plain number{_where(node.right)} (e.g. x**3), not an expression"
            )
        if exponent is not None and abs(exponent) > MAX_CONSTANT_EXPONENT:
            raise FormulaError(f"the exponent {exponent:g}{_where(node.right)} is beyond ±{MAX_CONSTANT_EXPONENT}")
        if _is_constant(node.left) and not _is_constant(node.right):
            # c ** (expression in x, y) is fine: evaluated numerically, overflow becomes inf
            pass
        return self.build(node.left) ** self.build(node.right)


def _check_shape(tree: ast.AST) -> None:
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise FormulaError(f"the formula is too long ({len(nodes)} parts; at most {MAX_NODES})")

    def depth(node: ast.AST) -> int:
        children = list(ast.iter_child_nodes(node))
        return 1 + max((depth(child) for child in children), default=0)

    if depth(tree) > MAX_DEPTH:
        raise FormulaError(f"the formula is nested too deeply (at most {MAX_DEPTH} levels)")


def _numpy_evaluator(expression, x_symbol, y_symbol):
    """A vectorised NumPy function for a sympy expression, by walking its tree (no code generated)."""
    sympy = _sympy()
    unary = {
        sympy.sin: np.sin,
        sympy.cos: np.cos,
        sympy.tan: np.tan,
        sympy.exp: np.exp,
        sympy.log: np.log,
        sympy.Abs: np.abs,
        sympy.tanh: np.tanh,
        sympy.sinh: np.sinh,
        sympy.cosh: np.cosh,
        sympy.atan: np.arctan,
        sympy.sign: np.sign,
    }

    def compile_node(node):
        if node == x_symbol:
            return lambda x, y: x
        if node == y_symbol:
            return lambda x, y: y
        if node.is_Number or node in (sympy.pi, sympy.E):
            value = float(node)
            return lambda x, y: value
        if node.is_Add:
            parts = [compile_node(arg) for arg in node.args]
            return lambda x, y: sum_parts(parts, x, y)
        if node.is_Mul:
            parts = [compile_node(arg) for arg in node.args]
            return lambda x, y: product_parts(parts, x, y)
        if node.is_Pow:
            base, exponent = (compile_node(arg) for arg in node.args)
            return lambda x, y: np.power(base(x, y), exponent(x, y))
        if node.func in unary and len(node.args) == 1:
            inner, function = compile_node(node.args[0]), unary[node.func]
            return lambda x, y: function(inner(x, y))
        raise FormulaError(f"cannot evaluate '{node.func.__name__}' numerically")

    def sum_parts(parts, x, y):
        total = parts[0](x, y)
        for part in parts[1:]:
            total = total + part(x, y)
        return total

    def product_parts(parts, x, y):
        total = parts[0](x, y)
        for part in parts[1:]:
            total = total * part(x, y)
        return total

    compiled = compile_node(expression)

    def evaluate(x, y):
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        with np.errstate(all="ignore"):
            value = compiled(x, y)
        return np.broadcast_to(np.asarray(value, dtype=float), np.broadcast_shapes(x.shape, y.shape)).copy()

    return evaluate


def _check_domain(domain) -> tuple[tuple[float, float], tuple[float, float]]:
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


def parse_objective(text: str, domain=None, start=None) -> Objective:
    """An :class:`Objective` for the formula ``text`` in ``x`` and ``y`` (``^`` means power).

    Raises :class:`FormulaError` (a ``ValueError``) saying what is wrong and where. Where f or its
    gradient is undefined (log of a negative number, 0/0), the functions return NaN and a
    trajectory that reaches such a point is flagged as diverged.
    """
    if not isinstance(text, str):
        raise FormulaError("the formula must be text")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"the formula is longer than {MAX_LENGTH} characters")
    if not text.strip():
        raise FormulaError("the formula is empty")
    if not text.isprintable():
        raise FormulaError("the formula contains control characters")
    domain = _check_domain(domain if domain is not None else DEFAULT_DOMAIN)
    source = text.strip().replace("^", "**")
    # the first import takes about 0.5 s of CPU (seconds on a busy machine): not the formula's work
    sympy = _sympy()
    began = time.thread_time()
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as error:
        column = f" at column {error.offset}" if error.offset else ""
        reason = (error.msg or "invalid syntax").replace("'(' was never closed", "expected ')'")
        raise FormulaError(f"{reason}{column}") from None
    except (ValueError, MemoryError, RecursionError):
        raise FormulaError("the formula cannot be read") from None
    _check_shape(tree)
    builder = _Builder()
    try:
        expression = builder.build(tree)
        if not expression.free_symbols <= {builder.x, builder.y}:
            raise FormulaError("the formula may only use x and y")
        if expression.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            raise FormulaError("the formula divides by zero (or is undefined) everywhere")
        if expression.has(sympy.I):
            raise FormulaError("the formula is not real-valued (e.g. the square root of a negative number)")
        gradient = (expression.diff(builder.x), expression.diff(builder.y))
    except FormulaError:
        raise
    except (RecursionError, MemoryError, OverflowError, ValueError, TypeError, ZeroDivisionError) as error:
        raise FormulaError(f"the formula cannot be used: {type(error).__name__}") from None
    if time.thread_time() - began > MAX_SECONDS:
        raise FormulaError("the formula took too long to differentiate")

    f = _numpy_evaluator(expression, builder.x, builder.y)
    grad_x = _numpy_evaluator(gradient[0], builder.x, builder.y)
    grad_y = _numpy_evaluator(gradient[1], builder.x, builder.y)

    def grad(x, y):
        return grad_x(x, y), grad_y(x, y)

    (xmin, xmax), (ymin, ymax) = domain
    if start is None:
        start = (xmin + 0.8 * (xmax - xmin), ymin + 0.8 * (ymax - ymin))
    return Objective(
        name="custom",
        title=text.strip(),
        f=f,
        grad=grad,
        domain=domain,
        start=(float(start[0]), float(start[1])),
        latex="f(x, y) = " + sympy.latex(expression),
        minima=(),
        min_value=None,
        description="Your formula, differentiated symbolically.",
    )
