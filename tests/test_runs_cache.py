"""The one caching policy of ``rmsprop_lab.runs``: a hit returns the shared result, any argument
that differs is another entry, and two functions never share entries."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest
from streamlit.runtime.caching.cache_resource_api import _resource_caches

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


@dataclass(frozen=True)
class Tagged:
    name: str
    tag: float = field(default=0.0, repr=False)


def test_values_that_print_alike_are_still_different_entries(counted):
    """A NumPy float32 prints as the float it is nearest to, and a field may be left out of a
    dataclass's repr: neither makes two calls one."""
    first, _, calls = counted
    results = [
        first(Tagged("a"), (0.1,), 0.01),
        first(Tagged("a", tag=1.0), (0.1,), 0.01),
        first(Tagged("a"), (np.float32(0.1),), 0.01),
        first(Tagged("a"), (0.1,), np.float64(0.01)),
    ]
    assert len({id(result) for result in results}) == 4 and len(calls) == 4


def test_a_function_whose_source_changed_starts_a_cache_of_its_own():
    """Streamlit keys a function's cache by its module, qualified name and source: a function
    edited while the server runs (a developer's reload-on-save) does not get the old results."""

    def old(choice):
        return "old result"

    def new(choice):
        return "new result"

    new.__qualname__ = old.__qualname__
    cached_old, cached_new = runs._cached(4)(old), runs._cached(4)(new)
    cached_old.clear(), cached_new.clear()
    assert cached_old(FunctionChoice("rosenbrock")) == "old result"
    assert cached_new(FunctionChoice("rosenbrock")) == "new result"


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


def test_each_app_function_is_its_own_named_cache_in_streamlits_stats():
    runs.objective_for(FunctionChoice("rosenbrock"))
    runs.measured_objective(FunctionChoice("rosenbrock"))
    names = {stat.cache_name for stat in _resource_caches.get_stats()["cache_memory_bytes"]}
    assert {"rmsprop_lab.runs.objective_for", "rmsprop_lab.runs.measured_objective"} <= names
    assert runs.path.__module__ == "rmsprop_lab.runs" and runs._run.__qualname__ == "_run"
