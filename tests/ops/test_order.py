"""Order statistics (quantile, percentile, median and their nan-forms) through the one
table checker, every numpy method, ties, NaN and errors."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import autograd_flow as af
from autograd_flow import ops
from autograd_flow.ops.order import METHODS

from .table import Case, parametrize

HOLES = np.array([[False, True, False, False], [True, True, True, False],
                  [False, False, False, False]])


def _with_holes(function: Any, **kwargs: Any) -> Case:
    """function of a (3, 4) array with NaN where HOLES is True (one row keeps one entry)."""
    def build(a: af.Box) -> af.Box:
        return function(af.where(HOLES, np.nan, a), **kwargs)
    build.__name__ = f"{function.__name__}[NaN]"

    def reference(a: np.ndarray) -> np.ndarray:
        return getattr(np, function.__name__)(np.where(HOLES, np.nan, a), **kwargs)
    return Case(build, ((3, 4),), reference, domain="distinct")


def _quantile_gradient(g: np.ndarray, a: np.ndarray, **settings: Any) -> np.ndarray:
    """sum_j g_j d quantile_j / d a by central differences of numpy's quantile (exact up
    to rounding: the quantile is linear in a between ties)."""
    function = getattr(np, settings.pop("function", "quantile"))
    q = settings.pop("q")
    arguments = () if "median" in function.__name__ else (q,)
    result = np.zeros_like(a)
    for k in np.ndindex(a.shape):
        step = np.zeros_like(a)
        step[k] = 1e-4
        difference = function(a + step, *arguments, **settings) - function(
            a - step, *arguments, **settings)
        result[k] = np.sum(g * difference) / 2e-4
    return result


TABLE: list[Case] = [
    *[Case(af.quantile, (s,), np.quantile, domain="distinct", kwargs=k) for s, k in [
        ((5,), {"q": 0.3}), ((3, 4), {"q": [0.1, 0.5, 0.9], "axis": 1}),
        ((2, 3, 4), {"q": 0.75, "axis": (0, 2), "keepdims": True}),
        ((2, 3, 4), {"q": [[0.2], [0.6]], "axis": -2}),
        ((4,), {"q": [0.0, 1.0]}), ((), {"q": 0.5}), ((3, 2), {"q": 0.5, "axis": None})]],
    *[Case(af.quantile, ((7,),), np.quantile, domain="distinct",
           kwargs={"q": [0.05, 0.4, 0.77], "method": method}) for method in METHODS],
    Case(af.quantile, ((2, 5),), np.quantile, domain="distinct",
         kwargs={"q": 0.5, "axis": 1, "method": "midpoint"}),
    *[Case(af.percentile, (s,), np.percentile, domain="distinct", kwargs=k) for s, k in [
        ((3, 4), {"q": [25, 50], "axis": 0}), ((6,), {"q": 90, "method": "nearest"}),
        ((2, 3), {"q": 12.5, "axis": 1, "keepdims": True})]],
    *[Case(af.median, (s,), np.median, domain="distinct", kwargs=k) for s, k in [
        ((5,), {}), ((4,), {}), ((3, 4), {"axis": 0, "keepdims": True}), ((), {}),
        ((2, 3, 4), {"axis": (1, 2)})]],
    Case(af.median, ((2, 0),), lambda a, axis: np.full(2, np.nan), kwargs={"axis": 1}),
    *[Case(f, (s,), getattr(np, f.__name__), domain="distinct", kwargs=k)
      for f in (af.nanmedian, af.nanquantile, af.nanpercentile) for s, k in [
          ((5,), {}), ((3, 4), {"axis": 1})]
      for k in [{**k, "q": 40} if f is af.nanpercentile else
                {**k, "q": 0.4} if f is af.nanquantile else k]],
    _with_holes(af.nanmedian, axis=1),
    _with_holes(af.nanmedian, axis=0, keepdims=True),
    _with_holes(af.nanquantile, q=[0.25, 0.8], axis=1),
    _with_holes(af.nanpercentile, q=60, axis=None, method="hazen"),
    *[Case(ops.QuantileGrad, (g, a), _quantile_gradient, domain=("real", "distinct"),
           kwargs=k, rtol=1e-7) for g, a, k in [
        ((), (5,), {"q": 0.3}), ((2, 3), (3, 4), {"q": [0.2, 0.9], "axis": 1}),
        ((1, 4), (3, 4), {"q": 0.5, "axis": 0, "keepdims": True, "function": "median"})]],
]


@parametrize(TABLE)
def test_order(case: Case, check) -> None:
    check(case)


def _gradient(box: af.Box, wrt: af.Parameter) -> np.ndarray:
    graph = af.FlowGraph(box)
    graph.fprop()
    return graph.bprop()[wrt]


def test_the_two_middle_entries_share_the_median_gradient() -> None:
    a = af.Parameter(np.array([4.0, 1.0, 3.0, 2.0]), name="a")
    np.testing.assert_array_equal(_gradient(af.median(a), a), [0.0, 0.0, 0.5, 0.5])
    np.testing.assert_array_equal(_gradient(af.quantile(a, 0.25), a), [0, 0.25, 0, 0.75])
    assert af.FlowGraph(np.median(a)).fprop() == 2.5  # numpy's call builds the box


def test_tied_entries_follow_numpys_stable_sort() -> None:
    a = af.Parameter(np.array([2.0, 1.0, 2.0, 2.0, 3.0]), name="a")  # ranks 1 0 2 3 4
    np.testing.assert_array_equal(_gradient(af.median(a), a), [0, 0, 1.0, 0, 0])
    np.testing.assert_array_equal(_gradient(af.quantile(a, 0.75), a), [0, 0, 0, 1.0, 0])


def test_a_slice_of_nan_only_is_nan_with_no_gradient() -> None:
    a = af.Parameter(np.array([[np.nan, np.nan], [1.0, np.nan]]), name="a")
    box = af.nanmedian(a, axis=1)
    np.testing.assert_array_equal(af.FlowGraph(box).fprop(), [np.nan, 1.0])
    np.testing.assert_array_equal(_gradient(af.nansum(box), a), [[0, 0], [1, 0]])


def test_float32_stays_float32_with_an_array_of_q() -> None:
    a = af.Parameter(np.arange(5, dtype=np.float32), name="a")
    box = af.quantile(a, np.array([0.25, 0.5]))
    assert af.FlowGraph(box).fprop().dtype == np.float32
    assert _gradient(box.sum(), a).dtype == np.float32


def test_bad_settings_are_clear_errors() -> None:
    a = af.Parameter(np.zeros((2, 3)), name="a")
    with pytest.raises(af.BoxError, match=r"q must lie in \[0, 1\] for quantile, got 1.5"):
        af.quantile(a, 1.5)
    with pytest.raises(af.BoxError, match=r"q must lie in \[0, 100\] for percentile"):
        af.percentile(a, [50, -1])
    with pytest.raises(af.BoxError, match="method must be one of numpy's"):
        af.quantile(a, 0.5, method="cubic")
    with pytest.raises(af.BoxError, match="a median is the quantile q = 0.5 of method"):
        ops.Quantile(a, 0.3, function="median")
    with pytest.raises(af.BoxError, match="q is a setting"):
        af.quantile(a, af.Parameter(np.array(0.5)))
    with pytest.raises(af.BoxError, match=r"axis 2 does not fit an input of shape \(2, 3\)"):
        af.FlowGraph(af.median(a, axis=2)).fprop()
    with pytest.raises(af.BoxError, match="the quantile of no entries"):
        af.FlowGraph(af.quantile(af.Parameter(np.zeros((2, 0))), 0.5, axis=1)).fprop()
