"""Two-dimensional test functions with analytic gradients.

Every function takes NumPy arrays of any (matching or broadcastable) shape and works element-wise,
so one call evaluates a whole grid or a whole batch of trajectories. Formulas, minimisers, minimum
values and domains are checked in ``tests/test_objectives.py`` (value at each minimiser, gradient
there, gradient against a central finite difference), because public catalogues of test functions
are known to carry sign and bound errors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np

Array = np.ndarray
Domain = tuple[tuple[float, float], tuple[float, float]]


@dataclass(frozen=True, eq=False)
class Objective:
    """A 2-D loss surface ``f(x, y)`` with its gradient and display metadata.

    ``minima`` lists known global minimisers (may be empty, e.g. for the saddle); ``min_value`` is
    f at those points (``None`` when the function has no minimum). ``start`` is a start point that
    makes a good first picture. ``latex`` is the formula for ``st.latex``.
    """

    name: str
    title: str
    f: Callable[[Array, Array], Array]
    grad: Callable[[Array, Array], tuple[Array, Array]]
    domain: Domain
    start: tuple[float, float]
    latex: str
    minima: tuple[tuple[float, float], ...] = ()
    min_value: float | None = None
    description: str = ""
    extra: dict = field(default_factory=dict)
    #: optional ``grad_into(x, y, gx, gy)`` writing the gradient into given arrays; the engine
    #: uses it when present (it saves a copy per step in the hot loop)
    grad_into: Callable | None = None


# --- the formulas -----------------------------------------------------------------------------
# Element by element, with arithmetic and NumPy ufuncs only: the same functions run on whole arrays
# here and compiled on single floats in ``compiled.py``.


def divide_or_zero(numerator, denominator):
    """``numerator / denominator`` where the denominator is positive, else 0."""
    return np.divide(numerator, denominator, out=np.zeros(np.shape(denominator)), where=denominator > 0)


def _bowl(x, y):
    return x * x + y * y


def _bowl_grad(x, y):
    return 2.0 * x, 2.0 * y


def _ellipse(x, y):
    return x * x + 10.0 * y * y


def _ellipse_grad(x, y):
    return 2.0 * x, 20.0 * y


def _rosenbrock(x, y):
    valley = y - x * x
    return (1.0 - x) ** 2 + 100.0 * valley * valley


def _rosenbrock_grad_into(x, y, gx, gy):
    # gy = 200 (y - x^2); gx = 2 (x - 1) - 400 x (y - x^2) = 2 (x - x*gy - 1).
    # In place into the caller's arrays: this is the hot function of the benchmark sweep.
    np.multiply(x, x, out=gy)
    np.subtract(y, gy, out=gy)
    gy *= 200.0
    np.multiply(x, gy, out=gx)
    np.subtract(x, gx, out=gx)
    gx -= 1.0
    gx *= 2.0


def _rosenbrock_grad(x, y):
    # the same operations in the same order as _rosenbrock_grad_into, element by element
    gy = 200.0 * (y - x * x)
    return 2.0 * (x - x * gy - 1.0), gy


def _beale_terms(x, y):
    y2 = y * y
    return 1.5 - x + x * y, 2.25 - x + x * y2, 2.625 - x + x * y2 * y, y2


def _beale(x, y):
    t1, t2, t3, _ = _beale_terms(x, y)
    return t1 * t1 + t2 * t2 + t3 * t3


def _beale_grad(x, y):
    t1, t2, t3, y2 = _beale_terms(x, y)
    gx = 2.0 * (t1 * (y - 1.0) + t2 * (y2 - 1.0) + t3 * (y2 * y - 1.0))
    gy = 2.0 * x * (t1 + 2.0 * y * t2 + 3.0 * y2 * t3)
    return gx, gy


def _himmelblau(x, y):
    a = x * x + y - 11.0
    b = x + y * y - 7.0
    return a * a + b * b


def _himmelblau_grad(x, y):
    a = x * x + y - 11.0
    b = x + y * y - 7.0
    return 4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b


_TAU = 2.0 * np.pi


def _rastrigin(x, y):
    return 20.0 + x * x - 10.0 * np.cos(_TAU * x) + y * y - 10.0 * np.cos(_TAU * y)


def _rastrigin_grad(x, y):
    return 2.0 * x + 10.0 * _TAU * np.sin(_TAU * x), 2.0 * y + 10.0 * _TAU * np.sin(_TAU * y)


def _ackley(x, y):
    radius = np.sqrt(0.5 * (x * x + y * y))
    waves = 0.5 * (np.cos(_TAU * x) + np.cos(_TAU * y))
    return -20.0 * np.exp(-0.2 * radius) - np.exp(waves) + np.e + 20.0


def _ackley_grad(x, y):
    radius = np.sqrt(0.5 * (x * x + y * y))
    waves = 0.5 * (np.cos(_TAU * x) + np.cos(_TAU * y))
    # with dr/dx = 0.5 x / r, d/dx of -20 exp(-0.2 r) is 4 exp(-0.2 r) * 0.5 x / r = 2 exp(-0.2 r) x / r.
    # At r = 0 (the cone's tip) we use the subgradient 0, the limit of the symmetric difference.
    cone = divide_or_zero(2.0 * np.exp(-0.2 * radius), radius)
    ripple = np.exp(waves) * np.pi
    return cone * x + ripple * np.sin(_TAU * x), cone * y + ripple * np.sin(_TAU * y)


def _booth(x, y):
    a = x + 2.0 * y - 7.0
    b = 2.0 * x + y - 5.0
    return a * a + b * b


def _booth_grad(x, y):
    a = x + 2.0 * y - 7.0
    b = 2.0 * x + y - 5.0
    return 2.0 * a + 4.0 * b, 4.0 * a + 2.0 * b


def _matyas(x, y):
    return 0.26 * (x * x + y * y) - 0.48 * x * y


def _matyas_grad(x, y):
    return 0.52 * x - 0.48 * y, 0.52 * y - 0.48 * x


def _six_hump_camel(x, y):
    x2 = x * x
    y2 = y * y
    return (4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x * y + (-4.0 + 4.0 * y2) * y2


def _six_hump_camel_grad(x, y):
    x2 = x * x
    return 8.0 * x - 8.4 * x2 * x + 2.0 * x2 * x2 * x + y, x - 8.0 * y + 16.0 * y * y * y


def _three_hump_camel(x, y):
    x2 = x * x
    return 2.0 * x2 - 1.05 * x2 * x2 + x2 * x2 * x2 / 6.0 + x * y + y * y


def _three_hump_camel_grad(x, y):
    x2 = x * x
    return 4.0 * x - 4.2 * x2 * x + x2 * x2 * x + y, x + 2.0 * y


def _goldstein_price_parts(x, y):
    s = x + y + 1.0
    p = 19.0 - 14.0 * x + 3.0 * x * x - 14.0 * y + 6.0 * x * y + 3.0 * y * y
    d = 2.0 * x - 3.0 * y
    q = 18.0 - 32.0 * x + 12.0 * x * x + 48.0 * y - 36.0 * x * y + 27.0 * y * y
    return s, p, d, q


def _goldstein_price(x, y):
    s, p, d, q = _goldstein_price_parts(x, y)
    return (1.0 + s * s * p) * (30.0 + d * d * q)


def _goldstein_price_grad(x, y):
    s, p, d, q = _goldstein_price_parts(x, y)
    first = 1.0 + s * s * p
    second = 30.0 + d * d * q
    # product rule on first * second; each factor by the chain rule on its polynomial pieces
    # the first factor is symmetric in x and y, so its two partial derivatives coincide
    first_xy = 2.0 * s * p + s * s * (-14.0 + 6.0 * x + 6.0 * y)
    second_x = 4.0 * d * q + d * d * (-32.0 + 24.0 * x - 36.0 * y)
    second_y = -6.0 * d * q + d * d * (48.0 - 36.0 * x + 54.0 * y)
    return first_xy * second + first * second_x, first_xy * second + first * second_y


def _saddle(x, y):
    return x * x - y * y


def _saddle_grad(x, y):
    return 2.0 * x, -2.0 * y


# --- the catalogue ----------------------------------------------------------------------------

OBJECTIVES: dict[str, Objective] = {
    objective.name: objective
    for objective in (
        Objective(
            "bowl",
            "Bowl (the lesson's x² + y²)",
            _bowl,
            _bowl_grad,
            ((-6.0, 6.0), (-6.0, 6.0)),
            (5.0, 4.0),
            r"f(x, y) = x^2 + y^2",
            ((0.0, 0.0),),
            0.0,
            "The lesson's example: round, every direction equally steep.",
        ),
        Objective(
            "ellipse",
            "Ellipse (x² + 10y²)",
            _ellipse,
            _ellipse_grad,
            ((-6.0, 6.0), (-3.0, 3.0)),
            (-5.0, 2.0),
            r"f(x, y) = x^2 + 10\,y^2",
            ((0.0, 0.0),),
            0.0,
            "Ten times steeper in y than in x: one learning rate cannot suit both.",
        ),
        Objective(
            "rosenbrock",
            "Rosenbrock's banana valley",
            _rosenbrock,
            _rosenbrock_grad,
            ((-2.0, 2.0), (-1.0, 3.0)),
            (-1.5, 2.0),
            r"f(x, y) = (1 - x)^2 + 100\,(y - x^2)^2",
            ((1.0, 1.0),),
            0.0,
            "A long, curved, nearly flat valley: easy to find, slow to follow.",
            grad_into=_rosenbrock_grad_into,
        ),
        Objective(
            "beale",
            "Beale",
            _beale,
            _beale_grad,
            ((-4.5, 4.5), (-4.5, 4.5)),
            (1.0, 1.5),
            r"f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
            ((3.0, 0.5),),
            0.0,
            "Flat plateaus and steep walls: gradients range over many orders of magnitude.",
        ),
        Objective(
            "himmelblau",
            "Himmelblau (four minima)",
            _himmelblau,
            _himmelblau_grad,
            ((-5.0, 5.0), (-5.0, 5.0)),
            (0.0, -4.0),
            r"f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
            (
                (3.0, 2.0),
                (-2.805118086952745, 3.131312518250573),
                (-3.779310253377747, -3.2831859912861696),
                (3.5844283403304917, -1.8481265269644036),
            ),
            0.0,
            "Four equally deep minima: which one you reach depends on where you start.",
        ),
        Objective(
            "rastrigin",
            "Rastrigin",
            _rastrigin,
            _rastrigin_grad,
            ((-5.12, 5.12), (-5.12, 5.12)),
            (2.2, 3.6),
            r"f(x, y) = 20 + x^2 - 10\cos 2\pi x + y^2 - 10\cos 2\pi y",
            ((0.0, 0.0),),
            0.0,
            "A bowl covered in ripples: many local minima trap small steps.",
        ),
        Objective(
            "ackley",
            "Ackley",
            _ackley,
            _ackley_grad,
            ((-5.0, 5.0), (-5.0, 5.0)),
            (3.0, 2.5),
            r"f(x, y) = -20\,e^{-0.2\sqrt{(x^2 + y^2)/2}} - e^{(\cos 2\pi x + \cos 2\pi y)/2} + e + 20",
            ((0.0, 0.0),),
            0.0,
            "A nearly flat, rippled plain with one deep hole in the middle.",
        ),
        Objective(
            "booth",
            "Booth",
            _booth,
            _booth_grad,
            ((-10.0, 10.0), (-10.0, 10.0)),
            (-8.0, -6.0),
            r"f(x, y) = (x + 2y - 7)^2 + (2x + y - 5)^2",
            ((1.0, 3.0),),
            0.0,
            "A tilted quadratic bowl: the axes are not its directions of curvature.",
        ),
        Objective(
            "matyas",
            "Matyas",
            _matyas,
            _matyas_grad,
            ((-10.0, 10.0), (-10.0, 10.0)),
            (-8.0, 6.0),
            r"f(x, y) = 0.26\,(x^2 + y^2) - 0.48\,xy",
            ((0.0, 0.0),),
            0.0,
            "A shallow diagonal trough: gradients are tiny along it.",
        ),
        Objective(
            "six_hump_camel",
            "Six-hump camel",
            _six_hump_camel,
            _six_hump_camel_grad,
            ((-3.0, 3.0), (-2.0, 2.0)),
            (-1.5, -1.2),
            r"f(x, y) = \left(4 - 2.1x^2 + \tfrac{x^4}{3}\right)x^2 + xy + (-4 + 4y^2)\,y^2",
            ((0.08984201310031806, -0.7126564030207396), (-0.08984201310031806, 0.7126564030207396)),
            -1.0316284534898774,
            "Six local minima, two of them global.",
        ),
        Objective(
            "three_hump_camel",
            "Three-hump camel",
            _three_hump_camel,
            _three_hump_camel_grad,
            ((-5.0, 5.0), (-5.0, 5.0)),
            (-2.0, 3.5),
            r"f(x, y) = 2x^2 - 1.05x^4 + \tfrac{x^6}{6} + xy + y^2",
            ((0.0, 0.0),),
            0.0,
            "Three valleys; the outer two are local minima only.",
        ),
        Objective(
            "goldstein_price",
            "Goldstein–Price",
            _goldstein_price,
            _goldstein_price_grad,
            ((-2.0, 2.0), (-2.0, 2.0)),
            (-0.6, 0.6),
            r"f(x, y) = \left[1 + (x + y + 1)^2 (19 - 14x + 3x^2 - 14y + 6xy + 3y^2)\right]"
            r"\left[30 + (2x - 3y)^2 (18 - 32x + 12x^2 + 48y - 36xy + 27y^2)\right]",
            ((0.0, -1.0),),
            3.0,
            "Values from 3 to a million: a test of scale-invariance.",
        ),
        Objective(
            "saddle",
            "Saddle (x² − y², no minimum)",
            _saddle,
            _saddle_grad,
            ((-3.0, 3.0), (-3.0, 3.0)),
            (-2.5, 0.01),
            r"f(x, y) = x^2 - y^2",
            (),
            None,
            "Unbounded below. Starting next to the ridge, how fast does each optimizer escape?",
        ),
    )
}


def _valley(cos, sin, kappa, x, y):
    along, across = cos * x + sin * y, -sin * x + cos * y
    return along * along + kappa * across * across


def _valley_grad(cos, sin, kappa, x, y):
    along, across = 2.0 * (cos * x + sin * y), 2.0 * kappa * (-sin * x + cos * y)
    return cos * along - sin * across, sin * along + cos * across


MAX_CONDITION = 1e4
VALLEY_START = (-4.0, 0.3)  # (along, across) the valley; rotated with it, so every angle starts alike


def quadratic_valley(condition: float = 100.0, angle_degrees: float = 0.0) -> Objective:
    r"""The conditioning lab: :math:`f = u^2 + \kappa v^2`, with :math:`(u, v)` the point turned by
    :math:`-\theta` (the valley's floor runs at angle :math:`\theta`).

    Its Hessian has eigenvalues :math:`2` and :math:`2\kappa`, so the condition number is
    :math:`\kappa`: gradient descent is stable for :math:`\alpha < 1/\kappa` and converges fastest
    at :math:`\alpha = 1/(1+\kappa)`, by a factor :math:`(\kappa-1)/(\kappa+1)` per step. At
    :math:`\theta = 0` the steep and flat directions are the coordinates, which is where
    per-coordinate step sizes (RMSProp) help; rotated, they mix both.
    """
    if not (np.isfinite(condition) and 1.0 <= condition <= MAX_CONDITION):
        raise ValueError(f"condition must be in [1, {MAX_CONDITION:g}], got {condition}")
    if not np.isfinite(angle_degrees):
        raise ValueError(f"angle_degrees must be a finite number, got {angle_degrees}")
    kappa = float(condition)
    radians = np.deg2rad(angle_degrees)
    turn = (float(np.cos(radians)), float(np.sin(radians)), kappa)
    f, grad = partial(_valley, *turn), partial(_valley_grad, *turn)
    cos, sin = turn[:2]
    u0, v0 = VALLEY_START
    return Objective(
        "valley",
        f"Valley (κ = {kappa:g}, θ = {angle_degrees:g}°)",
        f,
        grad,
        ((-5.0, 5.0), (-5.0, 5.0)),
        (cos * u0 - sin * v0, sin * u0 + cos * v0),
        rf"f(x, y) = u^2 + {kappa:g}\,v^2",
        ((0.0, 0.0),),
        0.0,
        f"The conditioning lab: u runs along the valley's floor, turned {angle_degrees:g}° from the x axis, and v "
        f"across it, {kappa:g} times steeper.",
        extra={"condition": kappa, "angle_degrees": float(angle_degrees)},
    )


OBJECTIVES["valley"] = quadratic_valley()


def get_objective(name: str) -> Objective:
    """Return the catalogue entry ``name``; an unknown name raises ``KeyError`` listing the valid ones."""
    try:
        return OBJECTIVES[name]
    except KeyError:
        valid = ", ".join(sorted(OBJECTIVES))
        raise KeyError(f"unknown objective {name!r}; valid names: {valid}") from None


def scaled(objective: Objective, factor: float) -> Objective:
    """``factor * f``: every gradient scales by ``factor`` too (minimisers stay; f* scales)."""
    if factor == 1.0:
        return objective
    if not (np.isfinite(factor) and factor > 0):
        raise ValueError(f"scale factor must be a positive finite number, got {factor}")
    base_f, base_grad = objective.f, objective.grad

    def f(x, y):
        return factor * base_f(x, y)

    def grad(x, y):
        gx, gy = base_grad(x, y)
        return factor * gx, factor * gy

    return Objective(
        name=objective.name,
        title=f"{factor:g} × {objective.title}",
        f=f,
        grad=grad,
        domain=objective.domain,
        start=objective.start,
        latex=objective.latex,
        minima=objective.minima,
        min_value=None if objective.min_value is None else factor * objective.min_value,
        description=objective.description,
    )
