"""A user's box gets second derivatives from its one bprop when that bprop runs on boxes,
and a bprop that only works on arrays can never give a silently wrong Hessian: on random
graphs mixing both kinds of box, every second derivative af.grad gives matches central
differences of the gradient, or building it raises a BoxError naming an array-only box.
Fprop is called outside a FlowGraph here too (as af.testing's random graphs do), so a
cache an fprop keeps is never seen through a FlowGraph's checks alone."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd_flow as af
import autograd_flow.testing.strategies as S


class Cube(af.Box):
    """y = a**3; its bprop runs on boxes."""

    def fprop(self, a):
        return a ** 3

    def bprop(self, grad, a):
        return 3 * a ** 2 * grad


class ArrayCube(Cube):
    """Its bprop converts its argument to an array."""

    def bprop(self, grad, a):
        return 3 * np.asarray(a) ** 2 * grad


class CachingCube(Cube):
    """Its bprop reads the square its fprop kept on the box."""

    def fprop(self, a):
        self.square = a * a
        return self.square * a

    def bprop(self, grad, a):
        return 3 * self.square * grad


class RecachingCube(Cube):
    """Its bprop reads a cache made in __init__ and replaced by every fprop."""

    def __init__(self, a, name=None):
        self.square = np.ones(1)
        super().__init__(a, name=name)

    def fprop(self, a):
        self.square = a * a
        return self.square * a

    def bprop(self, grad, a):
        return 3 * self.square * grad


class InputReadingCube(Cube):
    """Its bprop reads its input box's array instead of its argument."""

    def bprop(self, grad, a):
        return 3 * self.inputs[0].value ** 2 * grad


ARRAY_ONLY = (ArrayCube, CachingCube, RecachingCube, InputReadingCube)


@settings(max_examples=80, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(S.flow_graphs(["add", "mul", "tanh", "sum", Cube, *ARRAY_ONLY], max_boxes=5),
       st.integers(0, 2**32 - 1))
def test_second_derivatives_are_right_or_refused_by_name(random, salt) -> None:
    params = [b for b in af.FlowGraph(random.output).order if isinstance(b, af.Parameter)]
    if not params:
        return
    graph = af.FlowGraph(random.output, wrt=params)
    graph.fprop(random.feed)  # every fprop has run (and kept its caches) before af.grad
    rng = np.random.default_rng(salt)
    directions = [rng.standard_normal(np.shape(p.value)) for p in params]
    first = af.grad(random.output, params)
    total = af.sum(first[0] * directions[0])
    for g, r in zip(first[1:], directions[1:]):
        total = total + af.sum(g * r)
    array_only = {type(b).__name__ for b in graph.order if isinstance(b, ARRAY_ONLY)}
    try:
        af.grad(total, params)
    except af.BoxError as error:
        assert array_only and any(f"{name} '" in str(error) for name in array_only), error
        return
    report = af.gradcheck(total, random.feed, wrt=params, rtol=1e-5, atol=1e-7,
                          raise_on_failure=False)
    assert report.ok, str(report)


@pytest.mark.parametrize("cls", ARRAY_ONLY)
def test_an_array_only_box_run_outside_a_graph_still_refuses_second_order(cls) -> None:
    x = af.Parameter(np.array([0.5, -1.5]), name="x")
    box = cls(x, name="cube")
    box.value = box.fprop(x.value)  # run by hand: no FlowGraph saw the cache being made
    first = af.grad(box.sum(), x)
    np.testing.assert_allclose(af.FlowGraph(first).fprop(), 3 * x.value ** 2)
    with pytest.raises(af.BoxError, match=rf"{cls.__name__} 'cube'"):
        af.hessian(box.sum(), [x])


def test_a_box_renamed_after_it_was_made_keeps_its_second_order() -> None:
    """A name is a label, not run-time state: renaming a user's box (``.named``, or
    ``box.name = ...``) never hides anything from its bprop under af.grad."""

    class LabelledCube(Cube):
        def bprop(self, grad, a):
            assert self.name == "cube"  # the bprop may read its name
            return 3 * a ** 2 * grad

    x = af.Parameter(np.array([0.5, -1.5]), name="x")
    y = LabelledCube(x).named("cube")
    hessian = af.hessian(af.sum(y), [x])
    np.testing.assert_allclose(hessian, np.diag(6 * x.value), rtol=1e-12)
