"""Elementwise primitives of one input, through the one table checker, and the
lecture's closed forms for the activations."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import autograd_flow as af
from autograd_flow import ops

from .table import Case, parametrize

UNARY_SHAPES = [(), (3,), (2, 3), (2, 3, 4)]

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
