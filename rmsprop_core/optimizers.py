"""Optimizer specifications and their update kernels.

A spec is a frozen dataclass of hyperparameters. Each hyperparameter may be a float or a NumPy
array that broadcasts against the batch shape of the start points, so one spec can describe a
whole sweep. The engine (``engine.optimize``) flattens the batch, then per step calls::

    state = spec.init_state(shape)          # once; arrays of the parameters' shape
    spec.update(grad, state, step, out)     # writes the amount to subtract from w into ``out``

``update`` mutates ``state`` and ``out`` in place (no temporaries in the hot loop) and reads like
the formula in its docstring, one block per formula line. Each optimizer's formula is also written
once out of place, element by element (``sgd_formula`` ... ``adagrad_formula``): ``reference_update``
applies it to arrays, the optional compiled engine (``compiled.py``) to each coordinate's floats,
and the tests hold all of them equal, bit for bit. The engine records the arrays named
in ``recorded_fields`` at every step when asked, and ``public_state`` turns that history into the
named arrays a ``Trajectory`` exposes.

One name per quantity, whichever optimizer keeps it: ``s`` the running average (Adagrad: the sum) of
g², ``m`` the running average of g, ``b`` the momentum buffer, ``d`` the denominator of a scaled
step; ``step_size`` is the effective α / d. ``scratch`` is working memory, not state.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np


def _check_range(name: str, value, low: float, high: float, *, high_open: bool) -> np.ndarray:
    """``value`` as a float array; ``ValueError`` naming ``name`` unless every element lies in the range."""
    try:
        values = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    high_open = high_open or np.isinf(high)  # infinity itself is never a valid setting
    closing = ")" if high_open else "]"
    allowed = f"[{low:g}, {high:g}{closing}"  # format(inf, "g") is "inf"
    too_high = values >= high if high_open else values > high
    if np.isnan(values).any() or (values < low).any() or too_high.any():
        shown = (
            value
            if values.ndim == 0
            else f"an array containing {values[(values < low) | too_high | np.isnan(values)].flat[0]:g}"
        )
        raise ValueError(f"{name} must be in {allowed}, got {shown}")
    return values


def _divide_treating_zero_over_zero_as_zero(numerator, denominator, out):
    """``out = numerator / denominator``, except 0/0 = 0 (eps = 0 with a zero gradient: no move)."""
    zero_over_zero = (numerator == 0) & (denominator == 0)  # before ``out`` may overwrite numerator
    np.divide(numerator, denominator, out=out)
    np.copyto(out, 0.0, where=zero_over_zero)


def zero_safe_divide(numerator, denominator):
    """``numerator / denominator``, except 0/0 = 0 (eps = 0 with a zero gradient: no move)."""
    return np.where((numerator == 0) & (denominator == 0), 0.0, numerator / denominator)


# The formulas, element by element: plain arithmetic and NumPy ufuncs only, so the same function
# runs on arrays (``reference_update``, under ``np.errstate``) and compiled on floats (``compiled.py``).


def sgd_formula(g, lr):
    """``w -= lr * g``: returns the move."""
    return lr * g


def momentum_formula(g, b, lr, momentum, nesterov):
    """``b = mu * b + g``; ``w -= lr * (g + mu * b)`` with Nesterov, else ``lr * b``: returns
    ``(move, b)``."""
    b = momentum * b + g
    move = lr * (momentum * b + g) if nesterov else lr * b
    return move, b


def rmsprop_formula(g, s, m, b, lr, rho, eps, momentum, centered, eps_in_sqrt, uses_momentum):
    """``s = rho s + (1 - rho) g^2``; centered: ``m = rho m + (1 - rho) g``, ``v = max(s - m^2, 0)``,
    else ``v = s``; ``d = sqrt(v + eps)`` or ``sqrt(v) + eps``; momentum: ``b = mu b + g / d``,
    ``w -= lr * b``, else ``w -= lr g / d``: returns ``(move, s, m, b, d)``."""
    s = rho * s + (1.0 - rho) * (g * g)
    variance = s
    if centered:
        m = rho * m + (1.0 - rho) * g
        variance = np.maximum(s - m * m, 0.0)
    d = np.sqrt(variance + eps) if eps_in_sqrt else np.sqrt(variance) + eps
    if uses_momentum:
        b = momentum * b + zero_safe_divide(g, d)
        return lr * b, s, m, b, d
    return zero_safe_divide(lr * g, d), s, m, b, d


def adam_bias_corrections(beta1, beta2, step):
    """``(1 - beta1^t, 1 - beta2^t)``."""
    return 1.0 - beta1**step, 1.0 - beta2**step


def adam_formula(g, m, s, lr, beta1, beta2, eps, bias_correction1, bias_correction2):
    """``m = b1 m + (1 - b1) g``; ``s = b2 s + (1 - b2) g^2``;
    ``w -= lr / (1 - b1^t) * m / (sqrt(s) / sqrt(1 - b2^t) + eps)``: returns ``(move, m, s)``."""
    m = beta1 * m + (1.0 - beta1) * g
    s = beta2 * s + (1.0 - beta2) * (g * g)
    d = np.sqrt(s) / np.sqrt(bias_correction2) + eps
    return zero_safe_divide(m, d) * (lr / bias_correction1), m, s


def adagrad_formula(g, s, lr, eps):
    """``s = s + g^2``; ``d = sqrt(s) + eps``; ``w -= lr * (g / d)``: returns ``(move, s, d)``."""
    s = s + g * g
    d = np.sqrt(s) + eps
    return zero_safe_divide(g, d) * lr, s, d


class _Spec:
    """Shared behaviour of the optimizer specs (mixed into each frozen dataclass)."""

    kind: str = ""
    #: names of the numeric hyperparameters (may be arrays); the others are flags
    numeric_fields: tuple[str, ...] = ()
    #: names of ``init_state``'s arrays that are optimizer state (the others are scratch space)
    state_fields: tuple[str, ...] = ()
    #: the state arrays the engine records per step to build ``public_state`` (state plus ``d``)
    recorded_fields: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return type(self).__name__

    def _check(self, name: str, low: float, high: float, *, high_open: bool = False):
        """Check hyperparameter ``name`` and keep it as a float or float array, since a ``Fraction``
        or ``Decimal`` would reach the kernels as a NumPy object and fail there."""
        values = _check_range(name, getattr(self, name), low, high, high_open=high_open)
        object.__setattr__(self, name, float(values) if values.ndim == 0 else values)

    def hyperparameters(self) -> dict:
        """The hyperparameters as a plain ``{name: value}`` dict, in declaration order."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def flattened(self, batch_shape: tuple[int, ...]):
        """A copy whose array hyperparameters are broadcast to ``batch_shape`` and raveled."""
        changes = {}
        for name in self.numeric_fields:
            value = getattr(self, name)
            if np.ndim(value) > 0:
                changes[name] = np.broadcast_to(value, batch_shape).ravel()
        return dataclasses.replace(self, **changes) if changes else self

    def block(self, columns: slice):
        """A copy of a flattened spec whose array hyperparameters keep only ``columns``."""
        changes = {
            name: getattr(self, name)[columns] for name in self.numeric_fields if np.ndim(getattr(self, name)) > 0
        }
        return dataclasses.replace(self, **changes) if changes else self

    @cached_property
    def _eps_may_be_zero(self) -> bool:
        # worked out once per spec, not on every step of the hot loop
        return bool(np.any(np.asarray(self.eps) == 0))

    def _divide(self, numerator, denominator, out):
        """``out = numerator / denominator`` for a scaled step: a denominator can be 0 only where
        eps is 0, and only there is the slower 0/0-as-0 rule needed."""
        if self._eps_may_be_zero:
            _divide_treating_zero_over_zero_as_zero(numerator, denominator, out)
        else:
            np.divide(numerator, denominator, out=out)

    def hyperparameter_shapes(self) -> list[tuple[int, ...]]:
        return [np.shape(getattr(self, name)) for name in self.numeric_fields]


@dataclass(frozen=True)
class SGD(_Spec):
    r"""Plain gradient descent: :math:`w \leftarrow w - \alpha\, g`."""

    lr: float = 0.01
    kind = "sgd"
    numeric_fields = ("lr",)

    def __post_init__(self):
        self._check("lr", 0.0, np.inf)

    def init_state(self, shape) -> dict:
        return {}

    def update(self, grad, state, step, out):
        np.multiply(self.lr, grad, out=out)

    def reference_update(self, grad, state, step):
        return sgd_formula(grad, self.lr), {}

    def public_state(self, history) -> dict:
        return {}


@dataclass(frozen=True)
class Momentum(_Spec):
    r"""Heavy-ball momentum in PyTorch's convention.

    :math:`b \leftarrow \mu b + g` (so the first step has :math:`b = g`), then
    :math:`w \leftarrow w - \alpha b`; with Nesterov, :math:`w \leftarrow w - \alpha (g + \mu b)`.
    """

    lr: float = 0.01
    momentum: float = 0.9
    nesterov: bool = False
    kind = "momentum"
    numeric_fields = ("lr", "momentum")
    state_fields = ("b",)
    recorded_fields = ("b",)

    def __post_init__(self):
        self._check("lr", 0.0, np.inf)
        self._check("momentum", 0.0, 1.0, high_open=True)

    @property
    def label(self) -> str:
        return "Nesterov" if self.nesterov else "Momentum"

    def init_state(self, shape) -> dict:
        return {"b": np.zeros(shape)}

    def update(self, grad, state, step, out):
        buffer = state["b"]
        # b = mu * b + g
        buffer *= self.momentum
        buffer += grad
        # w -= lr * (g + mu * b) with Nesterov, else lr * b
        if self.nesterov:
            np.multiply(self.momentum, buffer, out=out)
            out += grad
            out *= self.lr
        else:
            np.multiply(self.lr, buffer, out=out)

    def reference_update(self, grad, state, step):
        move, buffer = momentum_formula(grad, state["b"], self.lr, self.momentum, self.nesterov)
        return move, {"b": buffer}

    def public_state(self, history) -> dict:
        """``history`` holds ``(steps + 1, 2, N)`` arrays of ``recorded_fields``."""
        return {"b": history["b"]}


@dataclass(frozen=True)
class RMSProp(_Spec):
    r"""RMSProp; the default form is the lesson's (and ``torch.optim.RMSprop(alpha=rho)``).

    .. math::
        s \leftarrow \rho s + (1 - \rho) g^2, \qquad
        w \leftarrow w - \frac{\alpha\, g}{\sqrt{s} + \epsilon}

    Options: ``centered`` also tracks :math:`m \leftarrow \rho m + (1-\rho) g` and uses
    :math:`\sqrt{s - m^2}`; ``momentum > 0`` accumulates :math:`b \leftarrow \mu b + g / d` and steps
    :math:`w \leftarrow w - \alpha b` (both as PyTorch); ``eps_in_sqrt`` uses
    :math:`d = \sqrt{s + \epsilon}` (Keras 3, optax, TensorFlow 1); ``initial_accumulator = 1``
    starts :math:`s` at one as TensorFlow 1's ``RMSPropOptimizer`` does.
    """

    lr: float = 0.01
    rho: float = 0.9
    eps: float = 1e-6
    momentum: float = 0.0
    centered: bool = False
    eps_in_sqrt: bool = False
    initial_accumulator: float = 0.0
    kind = "rmsprop"
    numeric_fields = ("lr", "rho", "eps", "momentum", "initial_accumulator")
    state_fields = ("s", "m", "b")  # m when centered, b with momentum
    recorded_fields = ("s", "d", "m", "b")

    def __post_init__(self):
        self._check("lr", 0.0, np.inf)
        self._check("rho", 0.0, 1.0)
        self._check("eps", 0.0, np.inf)
        self._check("momentum", 0.0, 1.0, high_open=True)
        self._check("initial_accumulator", 0.0, np.inf)
        # derived once here rather than on every step of the hot loop
        object.__setattr__(self, "_decay_complement", 1.0 - self.rho)

    def _uses_momentum(self) -> bool:
        # an array (a sweep) always keeps b: an empty block, every block and the compiled loops agree
        return np.ndim(self.momentum) > 0 or self.momentum > 0

    def init_state(self, shape) -> dict:
        square_avg = np.broadcast_to(self.initial_accumulator, shape).copy()
        # d as it is before any step (m = 0, so v = s), recorded as step 0's effective step size
        denominator = np.sqrt(square_avg + self.eps) if self.eps_in_sqrt else np.sqrt(square_avg) + self.eps
        state = {"s": square_avg, "d": denominator, "scratch": np.empty(shape)}
        if self.centered:
            state["m"] = np.zeros(shape)
        if self._uses_momentum():
            state["b"] = np.zeros(shape)
        return state

    def update(self, grad, state, step, out):
        square_avg, denominator, scratch = state["s"], state["d"], state["scratch"]
        decay_complement = self._decay_complement
        # s = rho * s + (1 - rho) * g^2, in the lesson's order of operations
        square_avg *= self.rho
        np.multiply(grad, grad, out=scratch)
        scratch *= decay_complement
        square_avg += scratch
        # centered: m = rho * m + (1 - rho) * g, and v = s - m^2 (a variance; rounding can make it
        # slightly negative, so it is clipped at 0); otherwise v = s
        variance = square_avg
        if self.centered:
            grad_avg = state["m"]
            grad_avg *= self.rho
            np.multiply(decay_complement, grad, out=scratch)
            grad_avg += scratch
            np.multiply(grad_avg, grad_avg, out=scratch)
            np.subtract(square_avg, scratch, out=scratch)
            np.maximum(scratch, 0.0, out=scratch)
            variance = scratch
        # d = sqrt(v + eps) with eps inside the root, else d = sqrt(v) + eps
        if self.eps_in_sqrt:
            np.add(variance, self.eps, out=denominator)
            np.sqrt(denominator, out=denominator)
        else:
            np.sqrt(variance, out=denominator)
            denominator += self.eps
        # momentum: b = mu * b + g / d and w -= lr * b; else w -= lr * g / d
        if "b" in state:
            buffer = state["b"]
            buffer *= self.momentum
            self._divide(grad, denominator, out)
            buffer += out
            np.multiply(self.lr, buffer, out=out)
        else:
            np.multiply(self.lr, grad, out=out)
            self._divide(out, denominator, out)

    def reference_update(self, grad, state, step):
        with np.errstate(divide="ignore", invalid="ignore"):
            move, s, m, b, d = rmsprop_formula(
                grad,
                state["s"],
                state.get("m"),  # None when absent: the formula then never reads it
                state.get("b"),  # None when absent: the formula then never reads it
                self.lr,
                self.rho,
                self.eps,
                self.momentum,
                self.centered,
                self.eps_in_sqrt,
                "b" in state,
            )
        new_state = {"s": s, "d": d}
        new_state.update({name: value for name, value in (("m", m), ("b", b)) if name in state})
        return move, new_state

    def public_state(self, history) -> dict:
        """``s``, the effective ``step_size`` lr / d per coordinate, and ``m`` / ``b`` when used."""
        public = {"s": history["s"], "step_size": np.divide(self.lr, history["d"])}
        public.update({name: history[name] for name in ("m", "b") if name in history})
        return public


@dataclass(frozen=True)
class Adam(_Spec):
    r"""Adam with PyTorch's bias correction.

    .. math::
        m \leftarrow \beta_1 m + (1-\beta_1) g,\quad s \leftarrow \beta_2 s + (1-\beta_2) g^2,\quad
        w \leftarrow w - \frac{\alpha}{1-\beta_1^t}\,
        \frac{m}{\sqrt{s}/\sqrt{1-\beta_2^t} + \epsilon}

    (``s`` is Adam's second moment, often called ``v``: the same quantity as RMSProp's ``s``.)
    """

    lr: float = 0.001
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    kind = "adam"
    numeric_fields = ("lr", "beta1", "beta2", "eps")
    state_fields = ("m", "s")
    recorded_fields = ("m", "s")

    def __post_init__(self):
        self._check("lr", 0.0, np.inf)
        # beta = 1 would make the bias correction 1 - beta^t zero, a division by zero
        self._check("beta1", 0.0, 1.0, high_open=True)
        self._check("beta2", 0.0, 1.0, high_open=True)
        self._check("eps", 0.0, np.inf)
        # derived once here rather than on every step of the hot loop
        for name in ("beta1", "beta2"):
            object.__setattr__(self, f"_one_minus_{name}", 1.0 - getattr(self, name))
        object.__setattr__(self, "_sqrt", math.sqrt if np.ndim(self.beta2) == 0 else np.sqrt)

    def init_state(self, shape) -> dict:
        return {"m": np.zeros(shape), "s": np.zeros(shape), "scratch": np.empty(shape)}

    def update(self, grad, state, step, out):
        first, second, scratch = state["m"], state["s"], state["scratch"]
        # m = beta1 * m + (1 - beta1) * g
        first *= self.beta1
        np.multiply(self._one_minus_beta1, grad, out=scratch)
        first += scratch
        # s = beta2 * s + (1 - beta2) * g^2
        second *= self.beta2
        np.multiply(grad, grad, out=scratch)
        scratch *= self._one_minus_beta2
        second += scratch
        # w -= lr / (1 - beta1^t) * m / (sqrt(s) / sqrt(1 - beta2^t) + eps)
        bias_correction1, bias_correction2 = adam_bias_corrections(self.beta1, self.beta2, step)
        np.sqrt(second, out=scratch)
        scratch /= self._sqrt(bias_correction2)
        scratch += self.eps
        self._divide(first, scratch, out)
        out *= self.lr / bias_correction1

    def reference_update(self, grad, state, step):
        bias_correction1, bias_correction2 = adam_bias_corrections(self.beta1, self.beta2, step)
        with np.errstate(divide="ignore", invalid="ignore"):
            move, m, s = adam_formula(
                grad,
                state["m"],
                state["s"],
                self.lr,
                self.beta1,
                self.beta2,
                self.eps,
                bias_correction1,
                bias_correction2,
            )
        return move, {"m": m, "s": s}

    def public_state(self, history) -> dict:
        return {"m": history["m"], "s": history["s"]}


@dataclass(frozen=True)
class Adagrad(_Spec):
    r"""Adagrad, RMSProp's ancestor, as ``torch.optim.Adagrad`` (no learning-rate decay).

    .. math::
        s \leftarrow s + g^2, \qquad
        w \leftarrow w - \alpha\, \frac{g}{\sqrt{s} + \epsilon}

    ``s`` is a sum that only grows, so every step shrinks for ever: RMSProp replaces the sum by a
    decaying average to keep the steps alive.
    """

    lr: float = 0.01
    eps: float = 1e-10
    initial_accumulator: float = 0.0
    kind = "adagrad"
    numeric_fields = ("lr", "eps", "initial_accumulator")
    state_fields = ("s",)
    recorded_fields = ("s", "d")

    def __post_init__(self):
        self._check("lr", 0.0, np.inf)
        self._check("eps", 0.0, np.inf)
        self._check("initial_accumulator", 0.0, np.inf)

    def init_state(self, shape) -> dict:
        square_sum = np.broadcast_to(self.initial_accumulator, shape).copy()
        # d as it is before any step, recorded as step 0's effective step size
        return {"s": square_sum, "d": np.sqrt(square_sum) + self.eps}

    def update(self, grad, state, step, out):
        square_sum, denominator = state["s"], state["d"]
        # s = s + g^2 (d holds g^2 until the next line replaces it)
        np.multiply(grad, grad, out=denominator)
        square_sum += denominator
        # d = sqrt(s) + eps
        np.sqrt(square_sum, out=denominator)
        denominator += self.eps
        # w -= lr * (g / d), in PyTorch's order (addcdiv divides first)
        self._divide(grad, denominator, out)
        out *= self.lr

    def reference_update(self, grad, state, step):
        with np.errstate(divide="ignore", invalid="ignore"):
            move, s, d = adagrad_formula(grad, state["s"], self.lr, self.eps)
        return move, {"s": s, "d": d}

    def public_state(self, history) -> dict:
        """``s``, the sum of squared gradients, and the effective ``step_size`` lr / d."""
        return {"s": history["s"], "step_size": np.divide(self.lr, history["d"])}


OPTIMIZER_CLASSES = {cls.kind: cls for cls in (SGD, Momentum, RMSProp, Adam, Adagrad)}

Optimizer = SGD | Momentum | RMSProp | Adam | Adagrad


def rmsprop_update(learning_rate, rho, epsilon, grad, s_prev):
    """The lesson's function: one RMSProp update, returning ``(updates, s)``.

    ``s = rho * s_prev + (1 - rho) * grad**2`` and ``updates = learning_rate * grad / (sqrt(s) +
    epsilon)``; the caller subtracts ``updates`` from the parameters.
    """
    s = rho * s_prev + (1 - rho) * np.power(grad, 2)
    updates = learning_rate * grad / (np.sqrt(s) + epsilon)
    return updates, s
