"""Every optimizer's fast in-place kernel equals its formula written out of place, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from rmsprop_core import SGD, Adagrad, Adam, Momentum, RMSProp, optimize
from rmsprop_core.optimizers import OPTIMIZER_CLASSES

from .test_optimizers import LINEAR as _LINEAR

N = 6  # runs in the batch
LRS = np.array([0.001, 0.01, 0.1, 0.5, 1.0, 3.0])

SPECS = [
    SGD(lr=0.1),
    SGD(lr=LRS),
    Momentum(lr=0.05, momentum=0.9),
    Momentum(lr=LRS, momentum=np.linspace(0.0, 0.95, N)),
    Momentum(lr=0.05, momentum=0.9, nesterov=True),
    RMSProp(lr=0.01),
    RMSProp(lr=LRS, rho=np.linspace(0.0, 1.0, N), eps=1e-8),
    RMSProp(lr=0.01, eps=0.0),
    RMSProp(lr=0.01, rho=1.0, eps=0.0),  # s stays 0: g / 0 is infinite, only 0 / 0 is a rest
    RMSProp(lr=0.01, rho=1.0, eps=0.0, momentum=0.5),
    RMSProp(lr=0.01, eps_in_sqrt=True),
    RMSProp(lr=0.01, initial_accumulator=1.0, eps=1e-10),
    RMSProp(lr=0.01, centered=True),
    RMSProp(lr=0.01, centered=True, eps_in_sqrt=True),
    RMSProp(lr=0.01, momentum=0.9),
    RMSProp(lr=LRS, momentum=np.linspace(0.0, 0.9, N), centered=True, eps_in_sqrt=True, eps=1e-3),
    RMSProp(lr=0.01, momentum=0.5, eps=0.0),
    Adam(lr=0.01),
    Adam(lr=LRS, beta1=np.linspace(0.0, 0.99, N), beta2=np.linspace(0.0, 0.9999, N), eps=1e-6),
    Adam(lr=0.01, eps=0.0),
    Adagrad(lr=0.1),
    Adagrad(lr=LRS, eps=np.logspace(-10, -1, N), initial_accumulator=0.5),
    Adagrad(lr=0.1, eps=0.0),
]


def test_every_optimizer_kind_is_covered():
    assert {spec.kind for spec in SPECS} == set(OPTIMIZER_CLASSES)


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: f"{spec.label}-{spec.hyperparameters()}"[:90])
def test_fast_kernel_equals_the_formula(spec):
    flat = spec.flattened((N,))
    rng = np.random.default_rng(7)
    state = flat.init_state((2, N))
    reference_state = {name: value.copy() for name, value in state.items() if name not in ("scratch", "d")}
    out = np.empty((2, N))
    for step in range(1, 25):
        grad = rng.normal(scale=10.0 ** rng.integers(-6, 3), size=(2, N))
        grad[:, step % N] = 0.0  # zero gradients too: the 0/0 rule when eps = 0
        with np.errstate(all="ignore"):
            flat.update(grad, state, step, out)
            move, updated = flat.reference_update(grad, reference_state, step)
        np.testing.assert_array_equal(out, move, err_msg=f"step {step}")
        for name, value in updated.items():
            np.testing.assert_array_equal(state[name], value, err_msg=f"{name} at step {step}")
        reference_state.update({name: value for name, value in updated.items() if name != "d"})


def test_state_names_mean_one_thing_across_optimizers():
    linear = optimize(Adam(lr=0.1), _LINEAR, (0.0, 0.0), 2).state
    assert set(linear) == {"m", "s"}  # Adam's second moment is s, RMSProp's name for the same average
    assert set(optimize(Momentum(), _LINEAR, (0.0, 0.0), 2).state) == {"b"}
    assert set(optimize(RMSProp(momentum=0.5, centered=True), _LINEAR, (0.0, 0.0), 2).state) == {
        "s",
        "m",
        "b",
        "step_size",
    }
    assert set(optimize(Adagrad(), _LINEAR, (0.0, 0.0), 2).state) == {"s", "step_size"}
