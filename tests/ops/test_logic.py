"""numpy's logic functions (the logical operators, isfinite and its kin, all, any,
isclose, allclose): booleans equal to numpy's, and no gradient."""
from __future__ import annotations

import numpy as np
import pytest

import autograd_flow as af

from .table import Aux, Case, parametrize

SHAPES = [(), (3,), (2, 3), (2, 0)]
PAIRS = [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2,))]


def _zeros_and_ones(shape: tuple[int, ...]) -> Aux:
    return Aux(lambda rng: (rng.random(shape) < 0.5).astype(float), "0/1")


UNARY = [af.logical_not, af.isfinite, af.isinf, af.isposinf, af.isneginf, af.signbit]
BINARY = [af.logical_and, af.logical_or, af.logical_xor]
AXES = [((2, 3), {}), ((2, 3), {"axis": 0}), ((2, 3, 4), {"axis": (0, 2), "keepdims": True}),
        ((3,), {"axis": -1}), ((), {"axis": 0}), ((2, 0), {"axis": 1})]

TABLE: list[Case] = [
    *[Case(f, (s,), getattr(np, f.__name__), "wide", differentiable=False)
      for f in UNARY for s in SHAPES],
    *[Case(f, (s, t), getattr(np, f.__name__), differentiable=False)
      for f in BINARY for s, t in PAIRS],
    *[Case(f, (_zeros_and_ones((2, 3)), _zeros_and_ones((3,))), getattr(np, f.__name__))
      for f in BINARY],
    *[Case(lambda a, f=f, **k: f(a > 0, **k), (s,),
           lambda a, f=f, **k: getattr(np, f.__name__)(a > 0, **k), kwargs=k,
           differentiable=False)
      for f in (af.all, af.any) for s, k in AXES],
    *[Case(f, (s, t), getattr(np, f.__name__), kwargs=k, differentiable=False)
      for f in (af.isclose, af.allclose) for s, t in PAIRS
      for k in ({}, {"atol": 1.0, "rtol": 0.0})],
    *[Case(af.isreal, (s,), np.isreal, differentiable=False) for s in SHAPES],
    *[Case(af.array_equal, (s, t), np.array_equal, differentiable=False)
      for s, t in [*PAIRS, ((3,), (2,))]],
    *[Case(lambda a, equal_nan: af.array_equal(a, a, equal_nan=equal_nan), ((2, 3),),
           lambda a, equal_nan: np.array_equal(a, a, equal_nan=equal_nan),
           kwargs={"equal_nan": e}, differentiable=False) for e in (False, True)],
]


@parametrize(TABLE)
def test_logic(case: Case, check) -> None:
    check(case)


SPECIAL = np.array([0.0, -0.0, 1.5, -2.0, np.inf, -np.inf, np.nan])


@pytest.mark.parametrize("function", UNARY, ids=[f.__name__ for f in UNARY])
def test_the_kind_of_each_number_is_numpys_at_zeros_infinities_and_nan(function) -> None:
    value = af.FlowGraph(function(af.Parameter(SPECIAL))).fprop()
    np.testing.assert_array_equal(value, getattr(np, function.__name__)(SPECIAL))


def test_isclose_and_allclose_take_numpys_tolerances_and_equal_nan() -> None:
    a, b = np.array([1.0, np.nan, 2.0]), np.array([1.05, np.nan, 2.0])
    for keywords in ({}, {"rtol": 0.1}, {"equal_nan": True}, {"rtol": 0.1, "equal_nan": True}):
        boxes = (np.isclose(af.Parameter(a), b, **keywords), af.allclose(a, af.Parameter(b),
                                                                        **keywords))
        isclose, allclose = af.FlowGraph(list(boxes)).fprop()
        np.testing.assert_array_equal(isclose, np.isclose(a, b, **keywords))
        assert allclose.dtype == bool and bool(allclose) == np.allclose(a, b, **keywords)


def test_a_negative_tolerance_is_refused_by_name() -> None:
    with pytest.raises(af.BoxError, match="IsClose .*atol must be a number >= 0, not -1"):
        af.isclose(af.Parameter(np.ones(2)), 1.0, atol=-1)


def test_all_and_any_are_box_methods_and_numpys_calls_with_no_gradient() -> None:
    x = af.Parameter(np.array([[1.0, 0.0], [2.0, 3.0]]))
    mask = np.logical_or(x.all(axis=1, keepdims=True), np.any(x < 0))
    graph = af.FlowGraph(af.sum(af.where(mask, x, 0.0)))
    graph.fprop()
    assert af.FlowGraph(mask).fprop().tolist() == [[False], [True]]
    assert graph.bprop()[x].tolist() == [[0.0, 0.0], [1.0, 1.0]]


def test_array_equal_compares_shapes_and_nan_as_numpy() -> None:
    a = np.array([1.0, np.nan])
    for b, keywords in [(a, {}), (a, {"equal_nan": True}), (a[:1], {}), (a.copy(), {})]:
        value = af.FlowGraph(np.array_equal(af.Parameter(a), b, **keywords)).fprop()
        assert value.dtype == bool and bool(value) == np.array_equal(a, b, **keywords)
