"""RMSProp as each library writes it: the presets are data, one place for the whole app.

Each convention is an :class:`RMSProp` spec plus the formula as that library's source computes
it. ``eps_in_sqrt`` and ``initial_accumulator`` are the differences that matter; the decay rate
and epsilon defaults differ too.
"""

from __future__ import annotations

from dataclasses import dataclass

from .optimizers import RMSProp


@dataclass(frozen=True)
class Convention:
    name: str
    parameter_name: str  # what the library calls the decay rate
    rho: float
    eps: float
    eps_in_sqrt: bool
    initial_accumulator: float
    formula: str  # LaTeX of the update's denominator form
    source: str  # where the convention comes from

    def optimizer(self, lr: float) -> RMSProp:
        return RMSProp(
            lr=lr,
            rho=self.rho,
            eps=self.eps,
            eps_in_sqrt=self.eps_in_sqrt,
            initial_accumulator=self.initial_accumulator,
        )


OUTSIDE = r"w \leftarrow w - \frac{\alpha\, g}{\sqrt{s} + \epsilon}"
INSIDE = r"w \leftarrow w - \frac{\alpha\, g}{\sqrt{s + \epsilon}}"

CONVENTIONS: dict[str, Convention] = {
    convention.name: convention
    for convention in (
        Convention("the lesson", "rho", 0.9, 1e-6, False, 0.0, OUTSIDE, "lesson-rmsprop.md"),
        Convention("PyTorch", "alpha", 0.99, 1e-8, False, 0.0, OUTSIDE, "torch.optim.RMSprop defaults"),
        Convention("Keras 3", "rho", 0.9, 1e-7, True, 0.0, INSIDE, "keras.optimizers.RMSprop defaults"),
        Convention("optax", "decay", 0.9, 1e-8, True, 0.0, INSIDE, "optax.rmsprop defaults (eps_in_sqrt=True)"),
        Convention(
            "TensorFlow 1",
            "decay",
            0.9,
            1e-10,
            True,
            1.0,
            INSIDE,
            "tf.compat.v1.train.RMSPropOptimizer defaults (accumulator starts at 1)",
        ),
    )
}
