"""Jobs for test pools: the real formula analysis with its number bounds switched off, as if they
had missed a formula, so that only the worker's own limits stand between that formula and the
server; and an allocation only the worker's memory cap can refuse."""

from __future__ import annotations

from unittest import mock

from rmsprop_core import formula
from rmsprop_lab.formula_pool import MEMORY_BYTES

# patch.object refuses a name that is not there: a renamed check fails these tests, not silently
for target, name, replacement in (
    (formula, "_bounded", lambda node, numerator, denominator: None),
    (formula, "_constant_value", lambda node, kind, values: None),
    (formula._Builder, "build", formula._Builder._build),
):
    mock.patch.object(target, name, replacement).start()

analyse_unbounded = formula.analyse_formula


def allocate_past_the_cap(text, domain):
    """Twice the room a worker has above its start-up size: this machine has it, the cap refuses it."""
    return bytearray(2 * MEMORY_BYTES)
