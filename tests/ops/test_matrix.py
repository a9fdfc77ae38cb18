"""Matrix structure (triu, tril, diagonal, diag, trace, kron, vander) through the one table
checker; closed forms of their gradients and their errors."""
from __future__ import annotations

import numpy as np
import pytest

import autograd_flow as af

from .table import Case, parametrize

TRIANGLES = [((3, 3), {}), ((3, 4), {"k": 1}), ((2, 3, 4), {"k": -1}), ((4,), {}),
             ((0, 3), {}), ((2, 2), {"k": 5})]

TABLE: list[Case] = [
    *[Case(af.triu, (s,), np.triu, kwargs=k) for s, k in TRIANGLES],
    *[Case(af.tril, (s,), np.tril, kwargs=k) for s, k in TRIANGLES],
    *[Case(af.diagonal, (s,), np.diagonal, kwargs=k)
      for s, k in [((3, 3), {}), ((3, 4), {"offset": 1}),
                   ((2, 3, 4), {"offset": -1, "axis1": -1, "axis2": 0}),
                   ((2, 3, 4), {"axis1": 2, "axis2": 1}), ((0, 3), {}), ((2, 3), {"offset": 5})]],
    *[Case(af.diag, (s,), np.diag, kwargs=k)
      for s, k in [((3,), {}), ((3,), {"k": 1}), ((3,), {"k": -2}), ((3, 4), {}),
                   ((3, 4), {"k": -1}), ((2, 2), {"k": 3}), ((0,), {})]],
    *[Case(af.trace, (s,), np.trace, kwargs=k)
      for s, k in [((3, 3), {}), ((2, 3, 4), {"offset": 1, "axis1": 1, "axis2": 2}),
                   ((3, 4), {"offset": -1})]],
    *[Case(af.diagflat, (s,), np.diagflat, kwargs=k) for s, k in [
        ((3,), {}), ((2, 2), {"k": 1}), ((), {"k": -2}), ((2, 1, 2), {"k": 0})]],
    *[Case(af.inner, (a, b), np.inner) for a, b in [
        ((3,), (3,)), ((2, 3), (4, 3)), ((), (2, 3)), ((2, 3), ()), ((2, 1, 3), (3,)),
        ((0, 3), (2, 3)), ((3,), (2, 2, 3))]],
    *[Case(af.kron, (a, b), np.kron)
      for a, b in [((2, 3), (2, 2)), ((3,), (2,)), ((2,), (2, 3)), ((), (3,)),
                   ((2, 1, 2), (1, 2)), ((0, 2), (2, 2))]],
    *[Case(af.vander, (s,), np.vander, kwargs=k)
      for s, k in [((4,), {}), ((3,), {"N": 5}), ((3,), {"N": 2, "increasing": True}),
                   ((1,), {}), ((0,), {}), ((3,), {"N": 0})]],
]


@parametrize(TABLE)
def test_matrix(case: Case, check) -> None:
    check(case)


def _gradients(box: af.Box, wrt: list[af.Box], seed=None):
    graph = af.FlowGraph(box, wrt=wrt)
    graph.fprop()
    return graph.bprop(seed)


def test_the_gradient_of_trace_is_the_identity() -> None:
    x = af.Parameter(np.arange(12.0).reshape(3, 4), name="x")
    np.testing.assert_array_equal(_gradients(af.trace(x), [x])[x], np.eye(3, 4))
    np.testing.assert_array_equal(_gradients(x.trace(1), [x])[x], np.eye(3, 4, 1))


def test_the_gradient_of_a_triangle_of_a_vector_sums_the_kept_entries_of_each_column() -> None:
    """np.triu of a 1-D array broadcasts it to the rows of a square matrix."""
    x = af.Parameter(np.array([1.0, 2.0, 3.0]), name="x")
    np.testing.assert_array_equal(_gradients(af.triu(x).sum(), [x])[x], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(_gradients(af.tril(x, -1).sum(), [x])[x], [2.0, 1.0, 0.0])


def test_the_gradients_of_kron_are_blocks_times_the_other_factor() -> None:
    a = af.Parameter(np.array([1.0, 2.0]), name="a")
    b = af.Parameter(np.array([3.0, 4.0, 5.0]), name="b")
    seed = np.arange(6.0)  # blocks (0, 1, 2) for a[0] and (3, 4, 5) for a[1]
    grads = _gradients(af.kron(a, b), [a, b], seed)
    np.testing.assert_array_equal(grads[a], [0 * 3 + 1 * 4 + 2 * 5, 3 * 3 + 4 * 4 + 5 * 5])
    np.testing.assert_array_equal(grads[b], [1 * 0 + 2 * 3, 1 * 1 + 2 * 4, 1 * 2 + 2 * 5])


def test_diag_and_diagonal_put_the_gradient_back_on_the_diagonal() -> None:
    x = af.Parameter(np.ones((2, 3)), name="x")
    seed = np.array([5.0, 7.0])
    expected = [[0.0, 5.0, 0.0], [0.0, 0.0, 7.0]]
    np.testing.assert_array_equal(_gradients(af.diag(x, 1), [x], seed)[x], expected)
    np.testing.assert_array_equal(_gradients(x.diagonal(1), [x], seed)[x], expected)


@pytest.mark.parametrize(("build", "shape", "message"), [
    (lambda x: af.triu(x), (),
     r"Triu 'triu' \(created at test_matrix.py:\d+\): a triangle needs an input with at least "
     "one axis"),
    (lambda x: af.diagonal(x), (3,), r"\(axis1, axis2\) 1 is out of range .*shape \(3,\)"),
    (lambda x: af.diagonal(x, axis1=1, axis2=-1), (2, 3),
     r"Diagonal 'diagonal' .*: \(axis1, axis2\) \(1, -1\) names an axis twice for an input "
     r"of shape \(2, 3\)"),
    (lambda x: af.diag(x), (2, 2, 2),
     r"Diag 'diag' .*: diag takes a 1-D input \(to build a matrix\) or a 2-D one \(to take "
     r"its diagonal\), got shape \(2, 2, 2\)"),
    (lambda x: af.trace(x), (3,), r"Diagonal 'diagonal' .*out of range .*shape \(3,\)"),
])
def test_a_shape_that_does_not_fit_is_a_clear_error(build, shape, message) -> None:
    x = af.Input("x")
    with pytest.raises(af.BoxError, match=message):
        af.FlowGraph(build(x)).fprop({x: np.zeros(shape)})


def test_offsets_must_be_integers() -> None:
    with pytest.raises(af.BoxError, match="k must be an integer, got 0.5"):
        af.triu(af.Input("x"), 0.5)
    with pytest.raises(af.BoxError, match="offset must be an integer"):
        af.diagonal(af.Input("x"), offset=None)


def test_vander_gradient_at_zero_is_the_derivative_of_its_polynomial() -> None:
    """d/dx (x**2 + x + 1) = 2x + 1 = 1 at x = 0 (the power 0 gives no 0 * inf)."""
    x = af.Parameter(np.array([0.0, 2.0]))
    graph = af.FlowGraph(af.sum(af.vander(x, 3)))
    graph.fprop()
    np.testing.assert_array_equal(graph.bprop()[x], [1.0, 5.0])


@pytest.mark.parametrize(("x", "keywords", "message"), [
    (np.ones((2, 2)), {}, "x must be a 1-D array, got shape \\(2, 2\\)"),
    (np.ones(3), {"N": -1}, "N must be an integer >= 0, not -1"),
    (np.ones(3), {"N": 2.5}, "N must be an integer >= 0, not 2.5")])
def test_vander_refuses_what_numpy_refuses_by_name(x, keywords, message) -> None:
    with pytest.raises(af.BoxError, match=message):
        af.vander(af.Parameter(x), **keywords)
