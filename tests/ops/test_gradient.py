"""The boxes gradients are made of (undoing broadcasting, zeros, seeds, adjoints, a
custom box's numeric bprop as a box, stop_gradient), through the one table checker."""
from __future__ import annotations

import numpy as np
import pytest

import autograd_flow as af
from autograd_flow import ops

from .table import Aux, Case, parametrize


def _ref(shape, dtype=np.float64) -> Aux:
    return Aux(lambda rng: np.zeros(shape, dtype), f"ref{shape}")


class Cube(af.Box):
    """y = a**3 with a bprop that works on arrays only (it converts its argument)."""

    def fprop(self, a):
        return a ** 3

    def bprop(self, grad, a):
        return 3 * np.asarray(a) ** 2 * grad


def _numeric_bprop(g, a):
    return ops.NumericBprop(g, Cube(a), 0)


def _matmul_adjoint(position):
    def build(g, a, b):
        return ops.Adjoint(g, ops.MatMul(a, b), position)
    build.__name__ = f"matmul_adjoint{position}"
    return build


def _sum_adjoint(g, a):
    return ops.Adjoint(g, ops.Sum(a, axis=0), 0)


TABLE: list[Case] = [
    *[Case(ops.SumLike, (g, _ref(r)), lambda g, ref, a=a, k=k: np.sum(
        g, axis=a, keepdims=k).reshape(np.shape(ref))) for g, r, a, k in [
        ((2, 3), (3,), 0, False), ((2, 3), (2, 1), 1, True), ((4, 2, 3), (1, 3), (0, 1), True),
        ((2, 3), (2, 3), (), False), ((2, 3), (), None, False)]],
    *[Case(ops.BroadcastLike, (g, _ref(r)), lambda g, ref: np.broadcast_to(g, np.shape(ref)))
      for g, r in [((3,), (2, 3)), ((2, 1), (2, 3)), ((), (2, 2)), ((2, 3), (2, 3))]],
    *[Case(ops.ZerosLike, (s,), np.zeros_like) for s in [(), (3,), (2, 3)]],
    *[Case(ops.AstypeLike, (s, _ref((), np.float32)), lambda x, ref: x.astype(np.float32),
           exact=True, float32=False, second_order=True) for s in [(), (3,), (2, 3)]],
    *[Case(ops.Seed, (s,), lambda a: np.ones_like(a)) for s in [(), (1,), (1, 1)]],
    *[Case(ops.SeedAs, (s, s), lambda seed, out: seed) for s in [(), (3,), (2, 3)]],
    *[Case(ops.StopGradient, (s,), lambda a: a, differentiable=False)
      for s in [(), (3,), (2, 3)]],
    *[Case(_matmul_adjoint(k), (g, a, b), lambda g, a, b, k=k: (g @ b.T, a.T @ g)[k])
      for k in (0, 1) for g, a, b in [((2, 4), (2, 3), (3, 4)), ((1, 2), (1, 5), (5, 2)),
                                      ((3, 3), (3, 4), (4, 3))]],
    *[Case(_sum_adjoint, (g, a), lambda g, a: np.broadcast_to(g, a.shape))
      for g, a in [((3,), (2, 3)), ((), (4,)), ((2, 3), (1, 2, 3))]],
    *[Case(ops.ExpandReduced, (g, _ref(r)), lambda g, ref, axis, keepdims, r=r: np.reshape(
        g, [1 if k in (axis if isinstance(axis, tuple) else (axis % len(r),)) else s
            for k, s in enumerate(r)]), kwargs=k) for g, r, k in [
        ((3,), (2, 3), {"axis": 0, "keepdims": False}),
        ((2,), (2, 3), {"axis": -1, "keepdims": False}),
        ((3,), (2, 3, 4), {"axis": (0, 2), "keepdims": False}),
        ((2, 1), (2, 3), {"axis": 1, "keepdims": True})]],
    *[Case(_numeric_bprop, (s, s), lambda g, a: 3 * a ** 2 * g, differentiable=False)
      for s in [(), (3,), (2, 3)]],
]


@parametrize(TABLE)
def test_gradient_boxes(case: Case, check) -> None:
    check(case)


def test_a_second_derivative_through_an_array_only_bprop_is_a_clear_error() -> None:
    x = af.Parameter(np.array([1.0, 2.0]), name="x")
    cube = Cube(x, name="cube")
    first = af.grad(cube.sum(), x)
    np.testing.assert_allclose(af.FlowGraph(first).fprop(), [3.0, 12.0])
    with pytest.raises(af.BoxError, match=r"second derivative through Cube 'cube' \(created at "
                                          r"test_gradient.py:\d+\) needs its bprop to run on "
                                          r"boxes, and it works on arrays only"):
        af.grad(first.sum(), x)


def test_stop_gradient_passes_the_value_and_no_gradient() -> None:
    x = af.Parameter(np.array([1.0, 2.0]), name="x")
    y = af.stop_gradient(x) * x
    graph = af.FlowGraph(y.sum())
    assert graph.fprop() == 5.0
    np.testing.assert_array_equal(graph.bprop()[x], [1.0, 2.0])
