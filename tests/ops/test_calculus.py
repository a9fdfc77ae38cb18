"""Numerical calculus along an axis (gradient, trapezoid) through the one table checker."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import autograd_flow as af
from autograd_flow import ops
from autograd_flow.ops.calculus import stencil

from .table import Case, parametrize

POINTS = np.array([0.0, 0.3, 1.0, 1.2, 2.0])  # unequal spacings


def _gradient(shape: tuple, *spacing: Any, **settings: Any) -> Case:
    def build(f: af.Box) -> af.Box:
        return af.gradient(f, *spacing, **settings)
    build.__name__ = f"gradient{list(np.shape(s) for s in spacing)}"
    return Case(build, (shape,), lambda f: np.gradient(f, *spacing, **settings), kwargs={},
                reference_kwargs={})


def _trapezoid(y: af.Box, x: af.Box) -> af.Box:
    return af.trapezoid(y, x)


def _trapezoid_along_0(y: af.Box, x: af.Box) -> af.Box:
    return af.trapezoid(y, x, axis=0)


TABLE: list[Case] = [
    _gradient((5,)),
    _gradient((5,), 0.5),
    _gradient((5,), POINTS),
    _gradient((5,), POINTS, edge_order=2),
    _gradient((3, 5), axis=1, edge_order=2),
    _gradient((5, 3), POINTS, axis=0),
    _gradient((2, 3, 5), POINTS[::-1].copy(), axis=-1, edge_order=2),
    _gradient((2, 4), 3.0, axis=-2),
    _gradient((2,)),
    _gradient((3,), edge_order=2),
    _gradient((3, 0), axis=0),
    *[Case(af.trapezoid, (s,), np.trapezoid, kwargs=k) for s, k in [
        ((5,), {}), ((5,), {"dx": 0.5}), ((3, 4), {"axis": 0}), ((2, 3, 4), {"axis": 1}),
        ((1,), {}), ((0,), {})]],
    # float64 sample points make float64 results, as in numpy
    *[Case(af.trapezoid, (s,), np.trapezoid, kwargs=k, float32=False) for s, k in [
        ((2, 3, 4), {"x": np.array([0.0, 0.5, 2.0]), "axis": 1}), ((3, 5), {"x": POINTS})]],
    Case(_trapezoid, ((3, 4), (4,)), lambda y, x: np.trapezoid(y, x)),
    Case(_trapezoid, ((3, 4), (3, 4)), lambda y, x: np.trapezoid(y, x)),
    Case(_trapezoid_along_0, ((4, 3), (4, 3)), lambda y, x: np.trapezoid(y, x, axis=0)),
    *[Case(lambda start, stop, **k: af.linspace(start, stop, **k), shapes, np.linspace,
           kwargs=k)
      for shapes, k in [(((), ()), {"num": 5}), (((), ()), {"num": 1}),
                        (((), ()), {"num": 0}), (((2,), ()), {"num": 4, "endpoint": False}),
                        (((2, 3), (3,)), {"num": 3, "axis": -1})]],
]


@parametrize(TABLE)
def test_calculus(case: Case, check) -> None:
    check(case)


@pytest.mark.parametrize("edge_order", [1, 2])
@pytest.mark.parametrize("points", [np.arange(6.0), np.array([0.0, 0.1, 0.5, 0.6, 1.5, 3.0])])
def test_the_stencil_is_numpys_gradient_as_a_matrix(edge_order: int, points: Any) -> None:
    rows, columns, weights = stencil(6, np.diff(points), edge_order)
    matrix = np.zeros((6, 6))
    np.add.at(matrix, (rows, columns), weights)
    expected = np.gradient(np.eye(6), points, axis=0, edge_order=edge_order)
    np.testing.assert_allclose(matrix, expected, rtol=1e-13, atol=1e-13)


def test_gradient_along_every_axis_is_a_list_as_numpys() -> None:
    f = af.Parameter(np.arange(12.0).reshape(3, 4) ** 2, name="f")
    boxes = np.gradient(f, 2.0, [0.0, 1.0, 3.0, 4.0])
    values = af.FlowGraph(boxes).fprop()
    for value, expected in zip(values, np.gradient(f.value, 2.0, [0.0, 1.0, 3.0, 4.0])):
        np.testing.assert_array_equal(value, expected)
    assert isinstance(af.gradient(af.Parameter(np.arange(3.0))), af.Box)
    x = af.Input("x", shape=(None, 4))
    assert len(af.gradient(x)) == 2


def test_gradient_errors_say_what_to_pass() -> None:
    with pytest.raises(af.BoxError, match=r"with axis=None the gradient is taken along "
                                          r"every axis of Input 'x'.*pass axis=\.\.\."):
        af.gradient(af.Input("x"))
    f = af.Parameter(np.zeros((2, 3)), name="f")
    with pytest.raises(TypeError, match="3 spacings for 2 axes"):
        af.gradient(f, 1.0, 2.0, 3.0)
    with pytest.raises(af.BoxError, match="edge_order must be 1 or 2"):
        af.gradient(f, axis=0, edge_order=3)
    with pytest.raises(af.BoxError, match="has 2 samples; a gradient of edge_order 2 needs "
                                          "at least 3"):
        af.FlowGraph(af.gradient(f, axis=0, edge_order=2)).fprop()
    with pytest.raises(af.BoxError, match="4 sample points do not fit axis 1 of length 3"):
        af.FlowGraph(af.gradient(f, np.arange(4.0), axis=1)).fprop()
    with pytest.raises(af.BoxError, match="the spacing is a setting"):
        ops.Gradient(f, 0, spacing=f)


def test_linspace_of_boxes_is_numpys_and_its_gradients_are_the_fractions() -> None:
    start, stop = af.Parameter(np.array(1.2)), af.Parameter(np.array(-3.4))
    grid = np.linspace(start, stop, 5)
    graph = af.FlowGraph(af.sum(grid))
    np.testing.assert_allclose(af.FlowGraph(grid).fprop(), np.linspace(1.2, -3.4, 5),
                               rtol=1e-15)
    graph.fprop()
    gradients = graph.bprop()
    assert (gradients[start], gradients[stop]) == (2.5, 2.5)  # sum of 1 - k/4 and of k/4
