"""numpy's floating-point toolbox (trunc, copysign, logaddexp2, frexp) through the one
table checker, with broadcasting, signed zeros and large arguments."""
from __future__ import annotations

import numpy as np
import pytest

import autograd_flow as af

from .table import Case, parametrize

SHAPES = [(), (3,), (2, 3), (2, 3, 4), (0,), (2, 0)]
PAIRS = [((), ()), ((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 4)), ((), (2, 3)),
         ((0, 3), (3,))]



def _mantissa(a: af.Box) -> af.Box:
    return af.frexp(a)[0]


def _exponent(a: af.Box) -> af.Box:
    return af.frexp(a)[1]


TABLE: list[Case] = [
    *[Case(af.trunc, (s,), np.trunc, "wide") for s in SHAPES],
    Case(af.fix, ((2, 3),), np.fix, "wide"),
    *[Case(af.copysign, (s, t), np.copysign, "nonzero") for s, t in PAIRS],
    *[Case(af.logaddexp2, (s, t), np.logaddexp2, d) for s, t in PAIRS
      for d in ("real", "wide")],
    *[Case(af.heaviside, (s, t), np.heaviside, "kinkfree") for s, t in PAIRS],
    *[Case(lambda a, b: af.heaviside(a * 0.0, b), (s, t), lambda a, b: np.heaviside(a * 0.0, b))
      for s, t in PAIRS[:3]],
    *[Case(af.float_power, (s, t), np.float_power, "positive", float32=False)
      for s, t in PAIRS],
    *[Case(af.float_power, ((2, 3),), lambda a, b: np.float_power(a, b), "positive", {"b": b},
           float32=False)
      for b in (2, 0.5, -1.5)],
    *[Case(_mantissa, (s,), lambda a: np.frexp(a)[0], d) for s in SHAPES
      for d in ("real", "wide")],
    *[Case(_exponent, (s,), lambda a: np.frexp(a)[1], "wide", differentiable=False)
      for s in SHAPES[:4]],
]


@parametrize(TABLE)
def test_numeric(case: Case, check) -> None:
    check(case)


def _gradients(box: af.Box, *wrt: af.Parameter) -> list[np.ndarray]:
    graph = af.FlowGraph(box.sum())
    graph.fprop()
    grads = graph.bprop()
    return [grads[p] for p in wrt]


def test_trunc_rounds_towards_zero_with_no_gradient() -> None:
    a = af.Parameter(np.array([-2.7, -0.5, 0.5, 2.7]), name="a")
    np.testing.assert_array_equal(af.FlowGraph(np.trunc(a)).fprop(), [-2, -0.0, 0, 2])
    np.testing.assert_array_equal(_gradients(af.trunc(a), a)[0], [0, 0, 0, 0])


def test_copysign_takes_the_sign_bit_and_gives_a_no_gradient_at_zero() -> None:
    a = af.Parameter(np.array([2.0, -3.0, 0.0, 1.5]), name="a")
    b = af.Parameter(np.array([-0.0, 1.0, -1.0, -2.0]), name="b")
    value = af.FlowGraph(np.copysign(a, b)).fprop()
    np.testing.assert_array_equal(value, [-2.0, 3.0, -0.0, -1.5])
    assert np.signbit(value[2])
    grad_a, grad_b = _gradients(af.copysign(a, b), a, b)
    np.testing.assert_array_equal(grad_a, [-1.0, -1.0, 0.0, -1.0])
    np.testing.assert_array_equal(grad_b, [0.0, 0.0, 0.0, 0.0])


@pytest.mark.parametrize("big", [1000.0, 1e300])
def test_logaddexp2_never_overflows(big: float) -> None:
    a = af.Parameter(np.array([big, big, -big]), name="a")
    b = af.Parameter(np.array([big, big - 1.0, 0.0]), name="b")
    assert np.all(np.isfinite(af.FlowGraph(af.logaddexp2(a, b)).fprop()))
    grad_a, grad_b = _gradients(af.logaddexp2(a, b), a, b)
    np.testing.assert_allclose(grad_a, [0.5, 2 / 3 if big < 1e300 else 0.5, 0.0], atol=1e-300)
    np.testing.assert_allclose(grad_a + grad_b, [1.0, 1.0, 1.0])


def test_float_power_computes_in_float64_and_gives_float32_gradients() -> None:
    """np.float_power of float32 is float64 (numpy's rule); the gradients keep each
    input's dtype."""
    a = np.array([1.5, 2.0, 3.0], np.float32)
    x, y = af.Parameter(a), af.Parameter(np.float32(1.25) * np.ones(3, np.float32))
    out = np.float_power(x, y)
    graph = af.FlowGraph(af.sum(out))
    value = graph.fprop()
    assert value.dtype == np.float64
    np.testing.assert_array_equal(af.FlowGraph(out).fprop(), np.float_power(a, y.value))
    gradients = graph.bprop()
    assert gradients[x].dtype == gradients[y].dtype == np.float32
    np.testing.assert_allclose(gradients[x], 1.25 * a.astype(np.float64) ** 0.25, rtol=1e-6)


def test_frexp_splits_as_numpy_with_the_mantissas_gradient_two_to_the_minus_e() -> None:
    """np.frexp(box) gives numpy's mantissa and int32 exponent (0, -0.0, inf, NaN and a
    subnormal kept), d m / d a = 2**-e exactly, and the exponent no gradient."""
    a = np.array([0.0, -0.0, 5e-324, 1.0, -3.0, 7.5, 1e300, np.inf, -np.inf, np.nan])
    x = af.Parameter(a, name="x")
    mantissa, exponent = np.frexp(x)
    values = af.FlowGraph([mantissa, exponent]).fprop()
    np.testing.assert_array_equal(values[0], np.frexp(a)[0])
    np.testing.assert_array_equal(values[1], np.frexp(a)[1])
    assert values[1].dtype == np.int32 and np.signbit(values[0][1])
    with np.errstate(over="ignore", invalid="ignore"):  # 2**1073 is inf; the sum is NaN
        slope = np.exp2(-np.frexp(a)[1].astype(float))
        np.testing.assert_array_equal(_gradients(mantissa, x)[0], slope)
        np.testing.assert_array_equal(_gradients(mantissa + exponent, x)[0], slope)
    assert mantissa.name == "frexp.mantissa" and af.frexp(x, name="f")[1].name == "f.exponent"
