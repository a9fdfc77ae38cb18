"""NaN as a missing entry (isnan, nansum, nanmean) through the one table checker."""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import autograd_flow as af

from .table import Case, parametrize

HOLES = np.array([[False, True, False], [True, True, True], [False, False, True],
                  [False, False, False]])


def _with_holes(function: Any, **kwargs: Any) -> Case:
    """function of a (4, 3) array with NaN where HOLES is True (a row of NaN only)."""
    def build(a: af.Box) -> af.Box:
        return function(af.where(HOLES, np.nan, a), **kwargs)
    build.__name__ = f"{function.__name__}[NaN]"

    def reference(a: np.ndarray) -> np.ndarray:
        with warnings.catch_warnings():  # numpy's warning for a slice of NaN only
            warnings.simplefilter("ignore", RuntimeWarning)
            return getattr(np, function.__name__)(np.where(HOLES, np.nan, a), **kwargs)
    return Case(build, ((4, 3),), reference)


def _isnan_where_positive(a: af.Box) -> af.Box:
    return af.isnan(af.where(a > 0, np.nan, a))


TABLE: list[Case] = [
    *[Case(af.isnan, (s,), np.isnan, differentiable=False) for s in [(), (3,), (2, 3)]],
    Case(_isnan_where_positive, ((5,),), lambda a: a > 0, differentiable=False),
    *[Case(f, (s,), getattr(np, f.__name__), kwargs=k) for f in (af.nansum, af.nanmean)
      for s, k in [((5,), {}), ((3, 4), {"axis": 0}), ((2, 3, 4), {"axis": (0, 2)}),
                   ((2, 3), {"axis": -1, "keepdims": True}), ((), {})]],
    _with_holes(af.nansum, axis=1),
    _with_holes(af.nansum, axis=None),
    _with_holes(af.nanmean, axis=0),
    _with_holes(af.nanmean, axis=None, keepdims=True),
]


@parametrize(TABLE)
def test_nan(case: Case, check) -> None:
    check(case)


@pytest.mark.filterwarnings("ignore:invalid value encountered in divide")
def test_nan_entries_get_no_gradient_and_the_others_share_the_mean() -> None:
    a = af.Parameter(np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, np.nan]]), name="a")
    mean = af.nanmean(a, axis=1)
    np.testing.assert_array_equal(af.FlowGraph(mean).fprop(), [2.0, np.nan])
    graph = af.FlowGraph(af.nansum(mean * 1.0) + np.nansum(a))
    assert graph.fprop() == 6.0
    np.testing.assert_array_equal(graph.bprop()[a], [[1.5, 0.0, 1.5], [0.0, 0.0, 0.0]])
