"""norm, vector_norm and matrix_norm (composites) through the one table checker with
numpy's orders and axes; the subgradient 0 at 0; and what a graph cannot know."""
from __future__ import annotations

import numpy as np
import pytest

import autograd_flow as af

from .matrices import agrees_with_torch, row, torch_module
from .table import Case, parametrize

L = af.linalg

VECTOR_ORDERS = [None, 2, 1, np.inf, -np.inf, 3, 0.5, -1.5]
MATRIX_ORDERS = [None, "fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf]

TABLE: list[Case] = [
    *[Case(L.norm, (s,), np.linalg.norm, "nonzero", kwargs=k)
      for s, k in [((3,), {}), ((2, 3), {}), ((2, 3, 4), {}), ((2, 3), {"keepdims": True}),
                   ((), {})]],
    *[Case(L.norm, ((2, 5),), np.linalg.norm, "distinct" if o in (np.inf, -np.inf) else
           "nonzero", kwargs={"ord": o, "axis": -1}) for o in VECTOR_ORDERS],
    Case(L.norm, ((4, 3),), np.linalg.norm, kwargs={"ord": 0, "axis": 0}),
    *[Case(L.norm, (s,), np.linalg.norm, "distinct", kwargs={"ord": o})
      for s, o in [((4,), 1), ((4,), np.inf), ((3, 4), 2), ((3, 4), "nuc"), ((3, 4), 1),
                   ((4, 3), -np.inf), ((3, 3), -2), ((3, 4), "fro")]],
    *[Case(L.norm, ((2, 3, 4),), np.linalg.norm, "distinct", kwargs={"ord": o, "axis": a,
                                                                       "keepdims": k})
      for o in MATRIX_ORDERS for a, k in [((1, 2), False), ((0, -1), True), ((2, 0), False)]],
    *[Case(L.vector_norm, (s,), np.linalg.vector_norm, "nonzero", kwargs=k)
      for s, k in [((3,), {}), ((2, 3, 4), {"axis": (0, 2)}), ((2, 3), {"ord": 1, "axis": 0}),
                   ((2, 3), {"axis": None, "keepdims": True, "ord": 4})]],
    *[Case(L.matrix_norm, (s,), np.linalg.matrix_norm, "distinct", kwargs=k)
      for s, k in [((3, 4), {}), ((2, 3, 4), {"ord": "nuc"}), ((2, 3, 3), {"ord": 2,
                                                                           "keepdims": True})]],
    row("norm_of_a_product", lambda a, b: L.norm(a @ b, axis=(-2, -1)),
        lambda a, b: np.linalg.norm(a @ b, axis=(-2, -1)), ((2, 3), (3, 2))),
]


@parametrize(TABLE)
def test_norms(case: Case, check) -> None:
    check(case)


def _gradient(output: af.Box, wrt: af.Box) -> np.ndarray:
    graph = af.FlowGraph(output, wrt=[wrt])
    graph.fprop()
    return graph.bprop()[wrt]


@pytest.mark.parametrize("build", [
    lambda x: L.norm(x), lambda x: L.norm(x, axis=0), lambda x: L.norm(x, 3, axis=1),
    lambda x: L.norm(x, "fro"), lambda x: L.vector_norm(x, ord=0.5),
    lambda x: L.vector_norm(x, ord=-1.5),
    lambda x: L.matrix_norm(x)])
def test_the_norm_of_zeros_is_0_with_the_subgradient_0_not_nan(build) -> None:
    x = af.Parameter(np.zeros((2, 2)), name="x")
    norm = af.sum(build(x))
    assert af.FlowGraph(norm).fprop() == 0.0
    np.testing.assert_array_equal(_gradient(norm, x), np.zeros((2, 2)))
    np.testing.assert_array_equal(af.FlowGraph(af.grad(norm, x)).fprop(), np.zeros((2, 2)))


def test_the_gradient_of_the_nuclear_norm_is_u_vh() -> None:
    x = af.Parameter(np.array([[3.0, 1.0], [0.5, -2.0], [1.0, 1.0]]), name="x")
    u, _, vh = np.linalg.svd(x.value, full_matrices=False)
    np.testing.assert_allclose(_gradient(np.linalg.norm(x, "nuc"), x), u @ vh, rtol=1e-12)


def test_numpys_norm_on_a_box_builds_the_composite() -> None:
    x = af.Parameter(np.array([[3.0, 4.0], [0.0, 0.0]]), name="x")
    assert af.FlowGraph(np.linalg.norm(x)).fprop() == 5.0
    np.testing.assert_array_equal(af.FlowGraph(np.linalg.norm(x, axis=1)).fprop(), [5.0, 0.0])
    assert af.FlowGraph(np.linalg.matrix_norm(x, ord=1)).fprop() == 4.0


def test_an_order_with_no_axis_needs_the_number_of_axes_before_the_graph_runs() -> None:
    x = af.Input("x")
    with pytest.raises(af.BoxError, match=r"norm\(x, ord=1\) with axis=None is a vector norm "
                                          r"for a 1-D x and a matrix norm for a 2-D x.*pass "
                                          r"axis=-1 \(a vector norm\) or axis=\(-2, -1\)"):
        L.norm(x, 1)
    declared = af.Input("x", shape=(None, 3))
    graph = af.FlowGraph(L.norm(declared, 1))
    assert graph.fprop({declared: np.ones((2, 3))}) == 2.0


@pytest.mark.parametrize(("arguments", "error", "message"), [
    ({"ord": "fro", "axis": 0}, ValueError, "Invalid norm order 'fro' for vectors"),
    ({"ord": 3, "axis": (0, 1)}, ValueError, "Invalid norm order 3 for matrices"),
    ({"axis": (0, 1, 2)}, ValueError, "Improper number of dimensions to norm: axis"),
    ({"axis": 1.5}, TypeError, "'axis' must be None, an integer or a tuple of integers"),
])
def test_orders_and_axes_numpy_refuses_are_refused_when_the_box_is_made(arguments, error,
                                                                         message) -> None:
    with pytest.raises(error, match=message):
        L.norm(af.Parameter(np.ones((2, 2, 2)), name="x"), **arguments)
    with pytest.raises(ValueError, match="Improper number of dimensions to norm: ord=2 with "
                                         "axis=None takes a 1-D or 2-D x, got 3 axes"):
        L.norm(af.Parameter(np.ones((2, 2, 2)), name="x"), 2)


@pytest.mark.parametrize(("ord", "axis", "shape"), [
    (None, None, (2, 3)), (3, -1, (2, 4)), (0.5, 0, (3, 2)), (np.inf, -1, (2, 4)),
    ("fro", (0, 1), (3, 4)), ("nuc", (-2, -1), (2, 3, 4)), (2, (1, 2), (2, 3, 4)),
    (-2, (0, 1), (3, 3)), (1, (0, 1), (3, 4)), (-np.inf, (0, 1), (4, 3))])
def test_values_gradients_and_hessian_vector_products_agree_with_torch(ord, axis,  # noqa: A002
                                                                        shape) -> None:
    agrees_with_torch(lambda x: L.norm(x, ord, axis),
                      lambda x: torch_module().linalg.norm(x, ord, axis), (shape,))
