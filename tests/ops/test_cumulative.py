"""Running maxima, minima and log-sum-exps (cummax, cummin, logcumsumexp) through the
one table checker, their ties, NaN and stability."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import autograd_flow as af
from autograd_flow import ops

from .table import Case, parametrize


def _accumulate(ufunc: Any) -> Any:
    """numpy's running ufunc, flattening for axis=None as np.cumsum does."""
    def reference(a: np.ndarray, axis: int | None = None) -> np.ndarray:
        return ufunc.accumulate(np.ravel(a) if axis is None else a,
                                axis=0 if axis is None else axis)
    return reference


def _running_index(a: np.ndarray, axis: int, kind: str) -> np.ndarray:
    """torch.cummax's indices, written as a loop: the last index where the running
    max (min) is attained, or the last NaN."""
    a = np.moveaxis(a, axis, -1)
    result = np.zeros(a.shape, dtype=np.intp)
    for row in np.ndindex(a.shape[:-1]):
        best, index = None, 0
        for k, value in enumerate(a[row]):
            if best is None or np.isnan(value) or (not np.isnan(best) and (
                    value >= best if kind == "max" else value <= best)):
                best, index = value, k
            result[row + (k,)] = index
    return np.moveaxis(result, -1, axis)


SHAPES = [((5,), {}), ((3, 4), {"axis": 0}), ((3, 4), {"axis": -1}),
          ((2, 3, 4), {"axis": 1}), ((2, 3), {}), ((), {}), ((0, 3), {"axis": 0}),
          ((2, 0), {"axis": 1})]

TABLE: list[Case] = [
    *[Case(af.cummax, (s,), _accumulate(np.maximum), domain="distinct", kwargs=k)
      for s, k in SHAPES],
    *[Case(af.cummin, (s,), _accumulate(np.minimum), domain="distinct", kwargs=k)
      for s, k in SHAPES],
    *[Case(ops.RunningArgExtremum, (s,), lambda a, axis, kind: _running_index(a, axis, kind),
           kwargs={"axis": axis, "kind": kind}, differentiable=False)
      for s, axis, kind in [((6,), 0, "max"), ((3, 4), 0, "min"), ((2, 3, 4), -1, "max")]],
    *[Case(af.logcumsumexp, (s,), _accumulate(np.logaddexp), kwargs=k) for s, k in SHAPES],
    Case(af.logcumsumexp, ((4, 3),), _accumulate(np.logaddexp), domain="wide",
         kwargs={"axis": 0}),
    *[Case(ops.LogCumSumExp, (s,), lambda a, axis, reverse: np.flip(np.logaddexp.accumulate(
        np.flip(a, axis), axis=axis), axis), kwargs={"axis": axis, "reverse": True})
      for s, axis in [((5,), 0), ((3, 4), -1), ((2, 3, 2), 1)]],
]


@parametrize(TABLE)
def test_cumulative(case: Case, check) -> None:
    check(case)


def _value_and_gradient(box: af.Box, wrt: af.Parameter, seed: Any) -> tuple[Any, Any]:
    graph = af.FlowGraph(box)
    value = graph.fprop()
    return value, graph.bprop(np.asarray(seed, dtype=float))[wrt]


def test_a_tie_gives_the_gradient_to_the_latest_entry_as_torch() -> None:
    a = af.Parameter(np.array([1.0, 3.0, 3.0, 2.0, 3.0]), name="a")
    value, grad = _value_and_gradient(af.cummax(a), a, [1, 10, 100, 1000, 10000])
    np.testing.assert_array_equal(value, [1, 3, 3, 3, 3])
    np.testing.assert_array_equal(grad, [1, 10, 1100, 0, 10000])
    value, grad = _value_and_gradient(af.cummin(-a), a, [1, 10, 100, 1000, 10000])
    np.testing.assert_array_equal(value, [-1, -3, -3, -3, -3])
    np.testing.assert_array_equal(grad, [-1, -10, -1100, 0, -10000])


def test_nan_propagates_and_takes_the_gradient() -> None:
    a = af.Parameter(np.array([1.0, np.nan, 5.0, np.nan, 7.0]), name="a")
    value, grad = _value_and_gradient(af.cummax(a), a, [1, 10, 100, 1000, 10000])
    np.testing.assert_array_equal(value, np.maximum.accumulate(a.value))
    np.testing.assert_array_equal(grad, [1, 110, 0, 11000, 0])


def test_logcumsumexp_is_log_cumsum_exp_and_never_overflows() -> None:
    x = np.random.default_rng(0).standard_normal((3, 5))
    a = af.Parameter(x, name="a")
    value, grad = _value_and_gradient(af.logcumsumexp(a, axis=1), a, np.ones((3, 5)))
    np.testing.assert_allclose(value, np.log(np.cumsum(np.exp(x), axis=1)), rtol=1e-14)
    # d/da_j sum_k y_k = sum_(k >= j) exp(a_j - y_k)
    expected = np.exp(x) * np.flip(np.cumsum(np.flip(np.exp(-value), 1), axis=1), 1)
    np.testing.assert_allclose(grad, expected, rtol=1e-13)
    big = af.Parameter(np.array([1000.0, 1000.0, -1000.0]), name="big")
    seed = [1.0, -2.0, 3.0]
    value, grad = _value_and_gradient(af.logcumsumexp(big), big, seed)
    np.testing.assert_allclose(value, [1000.0, 1000.0 + np.log(2), 1000.0 + np.log(2)])
    # d a_0 = 1 - 2 / 2 + 3 / 2, d a_1 = -2 / 2 + 3 / 2, d a_2 = 3 exp(-2000 - ...) = 0
    np.testing.assert_allclose(grad, [1.5, 0.5, 0.0], rtol=1e-12)  # (ulps of 1000)



def test_second_derivatives_of_logcumsumexp_are_exact_for_gradients_of_both_signs() -> None:
    """The log-space bprop keeps "no contribution" finite (float32's lowest number, not
    -inf), so that differentiating it again gives numbers, not NaN turned into 0."""
    for values in ([1000.0, 1000.0, -1000.0], [0.1, 0.5, -0.3]):
        x = af.Parameter(np.array(values), name="x")
        loss = (af.logcumsumexp(x) * np.array([1.0, -2.0, 3.0])).sum()
        np.testing.assert_allclose(af.hessian(loss, [x]),
                                   af.hessian(loss, [x], method="differences"),
                                   rtol=1e-5, atol=1e-5)


def test_an_axis_out_of_range_names_the_box() -> None:
    a = af.Parameter(np.zeros((2, 3)), name="a")
    for box in (af.cummax(a, axis=2), af.logcumsumexp(a, axis=-3)):
        with pytest.raises(af.BoxError, match=r"axis -?\d is out of range for an input of "
                                              r"shape \(2, 3\)"):
            af.FlowGraph(box).fprop()
    with pytest.raises(af.BoxError, match="axis must be an integer"):
        af.cummin(a, axis=1.0)
