"""numpy's searching and counting (argmax, argmin, count_nonzero, searchsorted):
integers equal to numpy's, and no gradient."""
from __future__ import annotations

import numpy as np
import pytest

import autograd_flow as af

from .table import Aux, Case, parametrize

AXES = [((5,), {}), ((2, 3), {}), ((2, 3), {"axis": 0}), ((2, 3, 4), {"axis": -1}),
        ((2, 3), {"axis": 1, "keepdims": True}), ((), {})]
COUNTS = [((2, 3), {}), ((2, 3), {"axis": 0}), ((2, 3, 4), {"axis": (0, 2)}),
          ((3,), {"axis": -1, "keepdims": True}), ((), {}), ((2, 0), {"axis": 0})]


def _sorted(size: int | tuple[int, ...]) -> Aux:
    """Entries sorted along the last axis."""
    return Aux(lambda rng: np.sort(rng.standard_normal(size)), "sorted")


def _rowwise_searchsorted(a, v, **keywords):
    """torch.searchsorted's rows, one np.searchsorted each."""
    sorter = keywords.pop("sorter", None)
    y = np.zeros(np.shape(v), dtype=np.intp)
    for row in np.ndindex(*np.shape(a)[:-1]):
        y[row] = np.searchsorted(a[row], v[row], sorter=None if sorter is None
                                 else sorter[row], **keywords)
    return y


def _count_positive(a, **keywords):
    return af.count_nonzero(a > 0, **keywords)


TABLE: list[Case] = [
    *[Case(f, (s,), getattr(np, f.__name__), kwargs=k, differentiable=False)
      for f in (af.argmax, af.argmin) for s, k in AXES],
    *[Case(_count_positive, (s,), lambda a, **k: np.count_nonzero(a > 0, **k), kwargs=k,
           differentiable=False) for s, k in COUNTS],
    *[Case(af.searchsorted, (_sorted(n), s), np.searchsorted, kwargs=k, differentiable=False)
      for n, s, k in [(5, (3,), {}), (5, (2, 3), {"side": "right"}), (1, (), {}),
                      (0, (4,), {}), (6, (0,), {"side": "right"})]],
    *[Case(af.searchsorted, (_sorted(n), s), _rowwise_searchsorted, kwargs=k,
           differentiable=False)
      for n, s, k in [((2, 5), (2, 3), {}), ((2, 3, 4), (2, 3, 2), {"side": "right"}),
                      ((3, 0), (3, 2), {}), ((0, 4), (0, 2), {})]],
    *[Case(lambda a: af.argwhere(a > 0), (s,), lambda a: np.argwhere(a > 0),
           differentiable=False) for s in [(5,), (2, 3), (), (2, 0)]],
    *[Case(f, (s,), getattr(np, f.__name__), kwargs=k, differentiable=f is af.partition)
      for f in (af.argpartition, af.partition)
      for s, k in [((7,), {"kth": 3}), ((14,), {"kth": [0, 3, 6]}), ((4, 5), {"kth": 1}),
                   ((4, 5), {"kth": 2, "axis": 0}), ((2, 3), {"kth": 4, "axis": None})]],
]


@parametrize(TABLE)
def test_searching(case: Case, check) -> None:
    check(case)


def test_argmax_and_argmin_pick_the_first_of_ties_as_numpy() -> None:
    a = np.array([[1.0, 3.0, 3.0], [0.0, 0.0, -1.0]])
    x = af.Parameter(a)
    values = af.FlowGraph([x.argmax(axis=1), np.argmin(x, axis=0), af.argmax(x)]).fprop()
    assert [v.tolist() for v in values] == [[1, 0], [1, 1, 1], 1]


def test_searchsorted_searches_each_row_of_a_with_its_sorter_as_torch() -> None:
    a = np.array([[3.0, 1.0, 2.0], [0.0, 5.0, -1.0]])
    v = np.array([[2.5, 0.0], [4.0, 6.0]])
    sorter = np.argsort(a, axis=-1)
    box = af.searchsorted(af.Parameter(a), af.Parameter(v), side="right", sorter=sorter)
    assert af.FlowGraph(box).fprop().tolist() == [[2, 0], [2, 3]]


@pytest.mark.parametrize(("v", "sorter"), [(np.ones((3, 2)), None), (np.ones(2), None),
                                           (np.ones((2, 2)), np.zeros((2, 2), int))])
def test_searchsorted_of_rows_refuses_other_leading_axes_by_name(v, sorter) -> None:
    box = af.searchsorted(af.Parameter(np.ones((2, 3))), v, sorter=sorter)
    with pytest.raises(af.BoxError, match="SearchSorted .*searched row by row"):
        af.FlowGraph(box).fprop()


def test_searchsorted_sides_and_sorter_as_numpys() -> None:
    a, v = np.array([3.0, 1.0, 2.0, 2.0]), np.array([2.0, 0.0, 5.0])
    sorter = np.argsort(a)
    for side in ("left", "right"):
        box = af.searchsorted(af.Parameter(a), af.Parameter(v), side=side, sorter=sorter)
        np.testing.assert_array_equal(af.FlowGraph(box).fprop(),
                                      np.searchsorted(a, v, side=side, sorter=sorter))


@pytest.mark.parametrize(("make", "message"), [
    (lambda x: af.argmax(x, axis=(0, 1)), "ArgMax .*axis must be an integer or None"),
    (lambda x: af.searchsorted(x, 1.0, side="middle"), "side must be 'left' or 'right'"),
    (lambda x: af.searchsorted(np.ones(3), 1.0, sorter=x), "sorter is a setting"),
    (lambda x: af.partition(x, 0.5), "kth must be an integer or a sequence of integers")])
def test_settings_numpy_refuses_are_refused_by_name(make, message) -> None:
    with pytest.raises(af.BoxError, match=message):
        make(af.Parameter(np.ones((2, 2))))
