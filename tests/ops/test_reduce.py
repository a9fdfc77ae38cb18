"""Reductions through the one table checker, and numpy's axis rules: negative axes,
tuples, keepdims, 0-d arrays, empty axes."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import autograd_flow as af
from autograd_flow import ops

from .table import Case, parametrize


def _logsumexp(a: np.ndarray, axis: Any = -1, keepdims: bool = False) -> np.ndarray:
    return np.log(np.sum(np.exp(a), axis=axis, keepdims=keepdims))


def _numpy_0d(function):
    """numpy's rule for an integer axis on a 0-d array (np.sum accepts 0 and -1,
    np.mean does not): every reduction of autograd_flow accepts them."""
    def reference(a, axis=None, **kwargs):
        if np.ndim(a) == 0 and axis in (0, -1):
            axis = None
        return function(a, axis=axis, **kwargs)
    return reference


AXES = [{}, {"axis": 0}, {"axis": -1}, {"axis": (0, 2)}, {"axis": 1, "keepdims": True},
        {"axis": None, "keepdims": True}, {"axis": [-1, 0]}, {"axis": ()}]

TABLE: list[Case] = [
    *[Case(ops.Sum, ((2, 3, 4),), np.sum, kwargs=k) for k in AXES],
    *[Case(ops.Sum, ((),), _numpy_0d(np.sum), kwargs=k) for k in [{}, {"axis": 0},
                                                                   {"axis": -1}]],
    Case(ops.Sum, ((0, 3),), np.sum, kwargs={"axis": 0}),
    *[Case(ops.Mean, ((2, 3, 4),), np.mean, kwargs=k) for k in AXES[:-1]],
    *[Case(ops.Mean, ((),), _numpy_0d(np.mean), kwargs=k) for k in [{"axis": 0},
                                                                    {"axis": -1}]],
    *[Case(ops.LogSumExp, (s,), _logsumexp, kwargs=k)
      for s, k in [((3,), {}), ((2, 3), {}), ((2, 3), {"axis": 0}),
                   ((2, 3, 4), {"axis": (0, 2)}), ((2, 3), {"axis": None}),
                   ((2, 3), {"axis": -1, "keepdims": True}),
                   ((2, 3), {"axis": None, "keepdims": True})]],
    *[Case(ops.LogSumExp, ((),), _numpy_0d(_logsumexp), kwargs=k)
      for k in [{"axis": 0}, {"axis": -1}]],
]


@parametrize(TABLE)
def test_reduce(case: Case, check) -> None:
    check(case)


@pytest.mark.parametrize("reduce", [af.sum, af.mean, af.logsumexp])
@pytest.mark.parametrize("axis", [0, -1])
def test_a_0d_array_reduced_over_axis_0_or_minus_1(reduce, axis) -> None:
    """Issue 15, bug 1: numpy accepts an integer axis 0 / -1 on a 0-d array."""
    x = af.Parameter(np.array(1.5))
    graph = af.FlowGraph(reduce(x, axis=axis))
    value = graph.fprop()
    assert np.shape(value) == ()
    assert graph.bprop()[x] == pytest.approx(1.0)


def test_reducing_a_0d_array_over_axis_1_is_numpys_axis_error() -> None:
    x = af.Parameter(np.array(1.5), name="x")
    with pytest.raises(af.BoxError, match="axis 1 is out of bounds"):
        af.FlowGraph(af.sum(x, axis=1)).fprop()


def test_reductions_over_an_empty_axis_follow_numpy() -> None:
    """Issue 15, bug 3: no crash; logsumexp of nothing is -inf, a sum 0, a softmax of
    shape (5, 0) is empty."""
    x = af.Input("x")
    empty = np.zeros((5, 0))
    value = af.FlowGraph(af.logsumexp(x)).fprop({x: empty})
    np.testing.assert_array_equal(value, np.full(5, -np.inf))
    assert af.FlowGraph(af.logsumexp(x, axis=None)).fprop({x: np.zeros(0)}) == -np.inf
    assert af.FlowGraph(af.softmax(x)).fprop({x: empty}).shape == (5, 0)
    assert af.FlowGraph(af.log_softmax(x, axis=0)).fprop({x: empty}).shape == (5, 0)
    np.testing.assert_array_equal(af.FlowGraph(af.sum(x, axis=1)).fprop({x: empty}),
                                  np.zeros(5))


def test_mean_over_an_empty_axis_is_nan_and_its_gradient_has_no_entries() -> None:
    x = af.Parameter(np.zeros((0, 3)), name="x")
    graph = af.FlowGraph(af.mean(x, axis=0).sum())
    assert np.isnan(graph.fprop())
    assert graph.bprop()[x].shape == (0, 3)


def test_reduction_gradients_are_writable_arrays() -> None:
    """Sum/Mean bprop broadcast a view; the gradients handed to users can be updated in place."""
    w = af.Parameter(np.ones((2, 3)), name="w")
    graph = af.FlowGraph(w.mean())
    graph.fprop()
    grad = graph.bprop()[w]
    grad *= 2  # would raise "assignment destination is read-only" on a broadcast view
    np.testing.assert_allclose(w.grad, np.full((2, 3), 1 / 3))
