"""Elementwise primitives of one input, through the one table checker, and the
lecture's closed forms for the activations."""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

import autograd_flow as af
from autograd_flow import ops

from .table import Case, parametrize

UNARY_SHAPES = [(), (3,), (2, 3), (2, 3, 4)]
NEW_SHAPES = [*UNARY_SHAPES, (0,), (2, 0)]

TABLE: list[Case] = [
    *[Case(ops.Abs, (s,), np.abs, "nonzero") for s in UNARY_SHAPES],
    *[Case(ops.Exp, (s,), np.exp) for s in UNARY_SHAPES],
    *[Case(ops.Identity, (s,), lambda a: a) for s in UNARY_SHAPES],
    *[Case(ops.Log, (s,), np.log, "positive") for s in UNARY_SHAPES],
    *[Case(ops.Neg, (s,), np.negative) for s in UNARY_SHAPES],
    *[Case(ops.Relu, (s,), lambda a: np.maximum(a, 0), "nonzero") for s in UNARY_SHAPES],
    *[Case(ops.Sigmoid, (s,), lambda a: 1 / (1 + np.exp(-a))) for s in UNARY_SHAPES],
    *[Case(ops.Sign, (s,), np.sign) for s in UNARY_SHAPES],
    *[Case(ops.Square, (s,), np.square) for s in UNARY_SHAPES],
    *[Case(ops.Tanh, (s,), np.tanh) for s in UNARY_SHAPES],
    # issue 15: each on 0-d, 1-, 2- and 3-d and empty arrays
    *[Case(af.sqrt, (s,), np.sqrt, "positive") for s in NEW_SHAPES],
    *[Case(af.cbrt, (s,), np.cbrt, "nonzero") for s in NEW_SHAPES],
    *[Case(af.log1p, (s,), np.log1p, "unit") for s in NEW_SHAPES],
    *[Case(af.expm1, (s,), np.expm1) for s in NEW_SHAPES],
    *[Case(af.log2, (s,), np.log2, "positive") for s in NEW_SHAPES],
    *[Case(af.log10, (s,), np.log10, "positive") for s in NEW_SHAPES],
    *[Case(af.exp2, (s,), np.exp2) for s in NEW_SHAPES],
    *[Case(af.softplus, (s,), lambda a: np.logaddexp(0, a), d) for s in NEW_SHAPES
      for d in ("real", "wide")],
    *[Case(af.log_sigmoid, (s,), lambda a: -np.logaddexp(0, -a), d) for s in NEW_SHAPES
      for d in ("real", "wide")],
    *[Case(af.fabs, (s,), np.fabs, "nonzero") for s in NEW_SHAPES],
    *[Case(af.floor, (s,), np.floor, "wide") for s in NEW_SHAPES],
    *[Case(af.ceil, (s,), np.ceil, "wide") for s in NEW_SHAPES],
    *[Case(af.round, (s,), np.round, "wide") for s in NEW_SHAPES],
    *[Case(af.round, ((2, 3),), np.round, "wide", {"decimals": d}) for d in (1, -1, 2)],
    *[Case(af.nan_to_num, (s,), np.nan_to_num) for s in NEW_SHAPES],
    Case(af.nan_to_num, ((2, 3),), np.nan_to_num, "real",
         {"nan": -1.0, "posinf": 5.0, "neginf": -5.0}),
    # issue 20: numpy's remaining one-input forms
    *[Case(af.reciprocal, (s,), np.reciprocal, "nonzero") for s in NEW_SHAPES],
    *[Case(f, (s,), getattr(np, f.__name__)) for f in (af.copy, af.real, af.conjugate,
                                                        af.positive)
      for s in ((), (2, 3), (0,))],
    *[Case(f, ((2, 3),), lambda a: a) for f in (af.conj, af.real_if_close)],
    Case(af.imag, ((2, 3),), np.imag, differentiable=False),
    *[Case(af.angle, (s,), np.angle, "kinkfree", k) for s in ((), (2, 3), (0,))
      for k in ({}, {"deg": True})],
    *[Case(af.around, ((2, 3),), np.around, "wide", {"decimals": d}) for d in (0, 1, -1)],
]


@parametrize(TABLE)
def test_elementwise(case: Case, check) -> None:
    check(case)


def _activation_grad(function: Callable[[af.Box], af.Box], a: np.ndarray) -> tuple:
    p = af.Parameter(a, name="a")
    out = function(p)
    graph = af.FlowGraph(out)
    value = graph.fprop()
    return value, graph.bprop(seed=np.ones_like(a))[p]


def test_sigmoid_derivative_is_g_times_one_minus_g() -> None:
    a = np.linspace(-6, 6, 25)
    g, grad = _activation_grad(af.sigmoid, a)
    np.testing.assert_allclose(g, 1 / (1 + np.exp(-a)), rtol=1e-14)
    np.testing.assert_allclose(grad, g * (1 - g), rtol=1e-14)


def test_tanh_derivative_is_one_minus_g_squared() -> None:
    a = np.linspace(-4, 4, 25)
    g, grad = _activation_grad(af.tanh, a)
    np.testing.assert_allclose(grad, 1 - g ** 2, rtol=1e-14)


def test_sigmoid_does_not_overflow_for_large_inputs() -> None:
    with np.errstate(over="raise", invalid="raise"):
        g, grad = _activation_grad(af.sigmoid, np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_array_equal(g, [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(grad, [0.0, 0.25, 0.0])


def test_subgradients_at_kinks() -> None:
    """relu and abs use 0 at a = 0 (lecture: sign(0) = 0)."""
    zero = np.array([0.0, 1.0, -1.0])
    assert _activation_grad(af.relu, zero)[1].tolist() == [0.0, 1.0, 0.0]
    assert _activation_grad(af.abs, zero)[1].tolist() == [0.0, 1.0, -1.0]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_keeps_its_relative_accuracy_for_large_negative_inputs(dtype):
    a = np.array([-80.0, -40.0, -20.0, -5.0, 0.0, 5.0, 40.0], dtype)
    x = af.Input("x")
    value = af.FlowGraph(af.sigmoid(x)).fprop({x: a})
    exact = 1 / (1 + np.exp(-a.astype(np.float64)))
    assert value.dtype == dtype
    np.testing.assert_allclose(value, exact, rtol=1e-6 if dtype == np.float32 else 1e-14)


# -- issue 15: closed forms, stability, no-gradient boxes, nan_to_num ----------------------

def _both_grads(function: Callable[[af.Box], af.Box], a: np.ndarray) -> tuple:
    """The value, the numeric bprop gradient and the box-form gradient (af.grad) of
    sum(function(a))."""
    p = af.Parameter(a, name="a")
    out = function(p)
    graph = af.FlowGraph(out)
    value = graph.fprop()
    numeric = graph.bprop(seed=np.ones_like(value))[p]
    boxed = af.FlowGraph(af.grad(af.sum(out), p)).fprop()
    return value, numeric, boxed


CLOSED_FORMS = [
    (af.sqrt, lambda a: 1 / (2 * np.sqrt(a)), np.linspace(0.1, 9, 13)),
    (af.cbrt, lambda a: 1 / (3 * np.cbrt(a) ** 2), np.linspace(-8, 8, 12)),
    (af.log1p, lambda a: 1 / (1 + a), np.linspace(-0.9, 5, 13)),
    (af.expm1, np.exp, np.linspace(-5, 5, 13)),
    (af.log2, lambda a: 1 / (a * np.log(2)), np.linspace(0.1, 9, 13)),
    (af.log10, lambda a: 1 / (a * np.log(10)), np.linspace(0.1, 9, 13)),
    (af.exp2, lambda a: np.log(2) * 2 ** a, np.linspace(-5, 5, 13)),
    (af.softplus, lambda a: 1 / (1 + np.exp(-a)), np.linspace(-30, 30, 13)),
    (af.log_sigmoid, lambda a: 1 / (1 + np.exp(a)), np.linspace(-30, 30, 13)),
]


@pytest.mark.parametrize(("function", "derivative", "a"), CLOSED_FORMS,
                         ids=[f.__name__ for f, _, _ in CLOSED_FORMS])
def test_derivatives_match_their_closed_forms(function, derivative, a) -> None:
    _, numeric, boxed = _both_grads(function, a)
    np.testing.assert_allclose(numeric, derivative(a), rtol=1e-14)
    np.testing.assert_array_equal(boxed, numeric)


# Underflow is not an error here: e^-1000 rounds to 0, the exact float (numpy's own
# np.exp(-1000.0) and np.logaddexp raise under all="raise" for the same reason).
NO_OVERFLOW = {"all": "raise", "under": "ignore"}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softplus_and_log_sigmoid_are_exact_at_plus_and_minus_1000(dtype) -> None:
    a = np.array([-1000.0, 1000.0], dtype)
    with np.errstate(**NO_OVERFLOW):
        softplus, d_softplus, boxed_softplus = _both_grads(af.softplus, a)
        log_sigmoid, d_log_sigmoid, boxed_log_sigmoid = _both_grads(af.log_sigmoid, a)
    # exact: softplus(-1000) = e^-1000 (0 in floats), softplus(1000) = 1000 + e^-1000
    for array in (softplus, d_softplus, boxed_softplus, log_sigmoid, d_log_sigmoid):
        assert array.dtype == dtype
    assert softplus.tolist() == [0.0, 1000.0]
    assert d_softplus.tolist() == boxed_softplus.tolist() == [0.0, 1.0]
    assert log_sigmoid.tolist() == [-1000.0, 0.0]
    assert d_log_sigmoid.tolist() == boxed_log_sigmoid.tolist() == [1.0, 0.0]


@pytest.mark.parametrize(("dtype", "a", "rtol"), [(np.float64, -700.0, 1e-15),
                                                  (np.float32, -80.0, 1e-6)])
def test_softplus_keeps_its_relative_accuracy_in_the_far_negative_tail(dtype, a, rtol):
    """softplus(a) = e^a (1 - e^a / 2 + ...) for large negative a: representable, so
    computed to full relative accuracy (log(1 + exp(a)) would give 0)."""
    with np.errstate(**NO_OVERFLOW):
        value, grad, _ = _both_grads(af.softplus, np.array([a], dtype))
        log_sigmoid, _, _ = _both_grads(af.log_sigmoid, np.array([-a], dtype))
    np.testing.assert_allclose(value, [math.exp(a)], rtol=rtol)
    np.testing.assert_allclose(grad, [math.exp(a)], rtol=rtol)
    np.testing.assert_allclose(log_sigmoid, [-math.exp(a)], rtol=rtol)


@pytest.mark.parametrize("function", [af.floor, af.ceil, af.round])
def test_floor_ceil_and_round_have_no_gradient(function) -> None:
    _, numeric, boxed = _both_grads(function, np.array([-1.5, -0.2, 0.3, 2.5, 7.0]))
    assert numeric.tolist() == boxed.tolist() == [0.0] * 5


def test_round_is_numpys_round_halves_to_even_and_python_round_builds_it() -> None:
    a = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 1.25, 123.456])
    x = af.Input("x")
    for box, expected in [(af.round(x), np.round(a)), (round(x), np.round(a)),
                          (x.round(), np.round(a)), (x.round(1), np.round(a, 1)),
                          (round(x, 2), np.round(a, 2)), (af.round(x, -1), np.round(a, -1))]:
        assert isinstance(box, ops.Round)
        np.testing.assert_array_equal(af.FlowGraph(box).fprop({x: a}), expected)
    assert af.FlowGraph(af.round(x)).fprop({x: a})[:6].tolist() == [-2, -2, -0, 0, 2, 2]


@pytest.mark.parametrize("decimals", [1.5, "2", True, None])
def test_round_refuses_decimals_that_are_not_integers(decimals) -> None:
    with pytest.raises(af.BoxError, match="decimals must be an integer"):
        af.round(af.Input("x"), decimals)


def test_math_floor_and_ceil_are_not_boxes() -> None:
    """__floor__ and __ceil__ must return integers, so a box does not define them."""
    for function in (math.floor, math.ceil):
        with pytest.raises(TypeError, match="known only when the graph runs"):
            function(af.Input("x"))


def test_nan_to_num_replaces_non_finite_values_and_passes_the_gradient_where_finite() -> None:
    a = np.array([1.5, np.nan, np.inf, -np.inf, -2.0])
    value, numeric, boxed = _both_grads(af.nan_to_num, a)
    big = np.finfo(np.float64).max
    assert value.tolist() == [1.5, 0.0, big, -big, -2.0]
    assert numeric.tolist() == boxed.tolist() == [1.0, 0.0, 0.0, 0.0, 1.0]
    value, numeric, boxed = _both_grads(
        lambda p: af.nan_to_num(p, nan=-1.0, posinf=9.0, neginf=-9.0), a)
    assert value.tolist() == [1.5, -1.0, 9.0, -9.0, -2.0]
    assert numeric.tolist() == boxed.tolist() == [1.0, 0.0, 0.0, 0.0, 1.0]
    # second derivatives of sum(y**2): 2 where a is finite, 0 elsewhere (the mask is
    # piecewise constant)
    p = af.Parameter(a)
    y = af.nan_to_num(p, posinf=3.0, neginf=-3.0)
    second = af.grad(af.sum(af.grad(af.sum(y * y), p)), p)
    with np.errstate(all="raise"):
        np.testing.assert_array_equal(af.FlowGraph(second).fprop(), [2.0, 0.0, 0.0, 0.0, 2.0])


def test_nan_to_num_keeps_float32_and_uses_its_largest_number() -> None:
    a = np.array([np.nan, np.inf, 1.0], np.float32)
    value, numeric, boxed = _both_grads(af.nan_to_num, a)
    assert value.dtype == numeric.dtype == boxed.dtype == np.float32
    assert value.tolist() == [0.0, float(np.finfo(np.float32).max), 1.0]


@pytest.mark.parametrize(("keyword", "value"), [("nan", "0"), ("posinf", [1.0]),
                                                ("neginf", True)])
def test_nan_to_num_refuses_settings_that_are_not_numbers(keyword, value) -> None:
    with pytest.raises(af.BoxError, match=f"NanToNum .*{keyword} must be a real number"):
        af.nan_to_num(af.Input("x"), **{keyword: value})


def test_fabs_builds_abs() -> None:
    assert type(af.fabs(af.Input("x"))) is ops.Abs


def test_reciprocal_gradient_is_minus_one_over_a_squared() -> None:
    a = np.array([-2.0, 0.5, 4.0])
    x = af.Parameter(a)
    graph = af.FlowGraph(af.sum(np.reciprocal(x)))
    graph.fprop()
    np.testing.assert_allclose(graph.bprop()[x], -1 / a**2, rtol=1e-15)


@pytest.mark.parametrize("function", [np.copy, np.real, np.conj, np.conjugate,
                                      np.real_if_close, np.around, np.imag, np.angle])
def test_numpys_identities_on_real_arrays_build_boxes(function) -> None:
    a = np.array([[1.25, -2.5], [3.75, 0.0], [-0.0, np.nan]])
    value = af.FlowGraph(function(af.Parameter(a))).fprop()
    np.testing.assert_array_equal(value, function(a))
