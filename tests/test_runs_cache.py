"""The one caching policy of ``rmsprop_lab.runs``: a hit returns the shared result, any argument
that differs is another entry, and two functions never share entries."""

from __future__ import annotations

import numpy as np
import pytest

from rmsprop_lab import runs
from rmsprop_lab.schemas import FunctionChoice


@pytest.fixture
def counted():
    calls = []

    @runs._cached(8)
    def first(choice, values, rate):
        calls.append(("first", choice, values, rate))
        return object()

    @runs._cached(8)
    def second(choice, values, rate):
        calls.append(("second", choice, values, rate))
        return object()

    first.clear(), second.clear()
    yield first, second, calls
    first.clear(), second.clear()


def test_a_repeated_call_returns_the_shared_result_without_computing(counted):
    first, _, calls = counted
    result = first(FunctionChoice("rosenbrock"), (0.9, 0.99), 0.01)
    assert first(FunctionChoice("rosenbrock"), (0.9, 0.99), 0.01) is result
    assert len(calls) == 1


def test_every_argument_that_differs_is_its_own_entry(counted):
    first, _, calls = counted
    base = (FunctionChoice("rosenbrock"), (0.9, 0.99), 0.01)
    variants = [
        (FunctionChoice("rosenbrock", scale=2.0), (0.9, 0.99), 0.01),
        (FunctionChoice("valley", condition=100.0, angle_degrees=0.0), (0.9, 0.99), 0.01),
        (FunctionChoice("valley", condition=100.0, angle_degrees=1e-12), (0.9, 0.99), 0.01),
        (FunctionChoice("rosenbrock"), (0.9, float(np.nextafter(0.99, 1.0))), 0.01),
        (FunctionChoice("rosenbrock"), (0.99, 0.9), 0.01),
        (FunctionChoice("rosenbrock"), (0.9, 0.99), float(np.nextafter(0.01, 1.0))),
        (FunctionChoice("custom", formula="x**2 + y**2", domain=((-1.0, 1.0), (-1.0, 1.0))), (0.9, 0.99), 0.01),
        (FunctionChoice("custom", formula="x**2 + y**2 ", domain=((-1.0, 1.0), (-1.0, 1.0))), (0.9, 0.99), 0.01),
    ]
    results = [first(*arguments) for arguments in [base, *variants]]
    assert len({id(result) for result in results}) == len(variants) + 1
    assert len(calls) == len(variants) + 1


def test_two_functions_called_alike_keep_their_own_results(counted):
    first, second, calls = counted
    arguments = (FunctionChoice("beale"), (0.5,), 0.1)
    assert first(*arguments) is not second(*arguments)
    assert [call[0] for call in calls] == ["first", "second"]


def test_an_array_argument_is_refused_rather_than_keyed_by_its_shortened_repr(counted):
    first, _, calls = counted
    with pytest.raises(TypeError):
        first(FunctionChoice("rosenbrock"), np.arange(2000.0), 0.01)
    assert calls == []


def test_the_app_functions_keep_their_names_for_streamlits_cache_stats():
    assert runs.path.__module__ == "rmsprop_lab.runs"
    assert (runs._run.__qualname__, runs.objective_for.__name__) == ("_run", "objective_for")
