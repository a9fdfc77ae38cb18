"""Binary arithmetic primitives with numpy broadcasting, through the one table checker."""
from __future__ import annotations

import numpy as np
import pytest

import autograd_flow as af
from autograd_flow import ops

from .table import Aux, Case, parametrize

BINARY_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((4, 2, 3), (2, 1)),
                 ((), (2, 3)), ((2, 3), ())]

TABLE: list[Case] = [
    *[Case(ops.Add, s, np.add) for s in BINARY_SHAPES],
    *[Case(ops.Sub, s, np.subtract) for s in BINARY_SHAPES],
    *[Case(ops.Mul, s, np.multiply) for s in BINARY_SHAPES],
    *[Case(ops.Div, s, np.divide, ("real", "nonzero")) for s in BINARY_SHAPES],
    *[Case(ops.Maximum, s, np.maximum) for s in BINARY_SHAPES],
    *[Case(ops.Pow, ((2, 3),), lambda a, p=p: a ** p, "positive", {"exponent": p},
           reference_kwargs={}) for p in (2, 3, 0.5, -1, -1.5, 1, 0)],
    Case(ops.Pow, ((4,),), lambda a: a ** 3, "real", {"exponent": 3}, reference_kwargs={}),
    *[Case(ops.Minimum, s, np.minimum) for s in BINARY_SHAPES],
    *[Case(ops.Power, s, np.power, ("positive", "real")) for s in BINARY_SHAPES],
    *[Case(ops.Where, (Aux(lambda rng, s=c: rng.random(s) < 0.5, "cond"), a, b),
           np.where) for c, a, b in [((3,), (3,), (3,)), ((2, 3), (3,), ()),
                                     ((2, 1), (1, 3), (2, 3)), ((), (2,), (2,))]],
]


@parametrize(TABLE)
def test_arithmetic(case: Case, check) -> None:
    check(case)


def test_maximum_splits_the_gradient_at_ties() -> None:
    """max(a, b) gives half the gradient to each side where a == b (a subgradient)."""
    a, b = af.Parameter(np.array([1.0, 2.0, 3.0])), af.Parameter(np.array([1.0, 0.0, 5.0]))
    graph = af.FlowGraph(af.maximum(a, b).sum())
    graph.fprop()
    grads = graph.bprop()
    assert grads[a].tolist() == [0.5, 1.0, 0.0]
    assert grads[b].tolist() == [0.5, 0.0, 1.0]


def test_pow_zero_exponent_has_zero_gradient_at_zero() -> None:
    a = af.Parameter(np.array([0.0, 2.0]))
    graph = af.FlowGraph((a ** 0).sum())
    graph.fprop()
    np.testing.assert_array_equal(graph.bprop()[a], [0.0, 0.0])


def test_a_numpy_scalar_exponent_does_not_promote_float32() -> None:
    x = af.Input("x")
    value = af.FlowGraph(x ** np.float64(2.0)).fprop({x: np.full(2, 3, np.float32)})
    assert value.dtype == np.float32 and value.tolist() == [9.0, 9.0]


@pytest.mark.parametrize("exponent", [np.array([1.0, 2.0]), "2"])
def test_pow_refuses_an_array_exponent(exponent) -> None:
    with pytest.raises((af.BoxError, TypeError)):
        ops.Pow(af.Parameter(np.ones(2)), exponent=exponent)


def test_a_box_or_array_exponent_builds_power_with_both_gradients() -> None:
    a = af.Parameter(np.array([2.0, 3.0]), name="a")
    b = af.Parameter(np.array([3.0, 0.5]), name="b")
    graph = af.FlowGraph((a ** b).sum())
    graph.fprop()
    grads = graph.bprop()
    np.testing.assert_allclose(grads[a], b.value * a.value ** (b.value - 1))
    np.testing.assert_allclose(grads[b], a.value ** b.value * np.log(a.value))
    assert isinstance(a ** np.array([1.0, 2.0]), ops.Power)
    assert isinstance(2.0 ** a, ops.Power)
    assert isinstance(a ** 2, ops.Pow) and isinstance(a ** af.Constant(2), ops.Pow)


def test_power_gives_the_exponent_no_gradient_where_the_base_is_not_positive() -> None:
    a = af.Parameter(np.array([0.0, -2.0, 2.0]), name="a")
    b = af.Parameter(np.array([2.0, 2.0, 2.0]), name="b")
    graph = af.FlowGraph((a ** b).sum())
    graph.fprop()
    np.testing.assert_array_equal(graph.bprop()[b], [0.0, 0.0, 4 * np.log(2.0)])
