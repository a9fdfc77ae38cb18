"""Comparisons: numpy's boolean results, and no gradient to either side."""
from __future__ import annotations

import numpy as np
import pytest

import autograd_flow as af
from autograd_flow import ops

from .table import Case, parametrize

SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2,))]
PAIRS = [(ops.Greater, np.greater), (ops.GreaterEqual, np.greater_equal),
         (ops.Less, np.less), (ops.LessEqual, np.less_equal), (ops.Equal, np.equal),
         (ops.NotEqual, np.not_equal)]

TABLE: list[Case] = [Case(box, s, reference) for box, reference in PAIRS for s in SHAPES]


@parametrize(TABLE)
def test_compare(case: Case, check) -> None:
    check(case)


@pytest.mark.parametrize(("box", "reference"), PAIRS, ids=[b.__name__ for b, _ in PAIRS])
def test_comparisons_at_ties_equal_numpys(box, reference) -> None:
    """The table draws continuous values (never a tie): here a, b are equal, below and
    above each other, so > and >=, < and <=, == and != tell themselves apart."""
    a, b = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 2.0])
    value = af.FlowGraph(box(af.Parameter(a), af.Parameter(b))).fprop()
    np.testing.assert_array_equal(value, reference(a, b))


def test_comparisons_give_booleans_and_no_gradient() -> None:
    a = af.Parameter(np.array([1.0, 2.0, 3.0]))
    b = af.Parameter(np.array([2.0, 2.0, 2.0]))
    graph = af.FlowGraph((af.greater(a, b) * a).sum())
    graph.fprop()
    assert af.FlowGraph(af.greater(a, b)).fprop().dtype == bool
    grads = graph.bprop()
    assert grads[a].tolist() == [0.0, 0.0, 1.0]
    assert grads[b].tolist() == [0.0, 0.0, 0.0]
