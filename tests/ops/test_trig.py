"""Trigonometric and hyperbolic primitives, their inverses, sinc and the degree/radian
conversions, through the one table checker; closed forms of their derivatives, and
sinc's derivative near and at 0."""
from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_flow as af
from autograd_flow import ops

from .table import Case, parametrize

SHAPES = [(), (3,), (2, 3), (2, 3, 4), (0,), (2, 0)]

TABLE: list[Case] = [
    *[Case(af.sin, (s,), np.sin) for s in SHAPES],
    *[Case(af.cos, (s,), np.cos) for s in SHAPES],
    *[Case(af.tan, (s,), np.tan, "unit") for s in SHAPES],  # |a| < 0.8 < pi/2
    *[Case(af.arcsin, (s,), np.arcsin, "unit") for s in SHAPES],
    *[Case(af.arccos, (s,), np.arccos, "unit") for s in SHAPES],
    *[Case(af.arctan, (s,), np.arctan, d) for s in SHAPES for d in ("real", "wide")],
    *[Case(af.sinh, (s,), np.sinh) for s in SHAPES],
    *[Case(af.cosh, (s,), np.cosh) for s in SHAPES],
    *[Case(af.arcsinh, (s,), np.arcsinh, d) for s in SHAPES for d in ("real", "wide")],
    *[Case(af.arccosh, (s,), np.arccosh, "above1") for s in SHAPES],
    *[Case(af.arctanh, (s,), np.arctanh, "unit") for s in SHAPES],
    *[Case(af.sinc, (s,), np.sinc, d) for s in SHAPES for d in ("real", "small")],
    *[Case(af.deg2rad, (s,), np.deg2rad, "wide") for s in SHAPES],
    *[Case(af.rad2deg, (s,), np.rad2deg) for s in SHAPES],
]


@parametrize(TABLE)
def test_trig(case: Case, check) -> None:
    check(case)


def _both_grads(function, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """d sum(function(a)) / d a by the numeric bprop and by the box form (af.grad)."""
    p = af.Parameter(a, name="a")
    out = af.sum(function(p))
    graph = af.FlowGraph(out)
    graph.fprop()
    return graph.bprop()[p], af.FlowGraph(af.grad(out, p)).fprop()


CLOSED_FORMS = [
    (af.sin, np.cos, np.linspace(-7, 7, 15)),
    (af.cos, lambda a: -np.sin(a), np.linspace(-7, 7, 15)),
    (af.tan, lambda a: 1 / np.cos(a) ** 2, np.linspace(-1.5, 1.5, 15)),
    (af.arcsin, lambda a: 1 / np.sqrt(1 - a ** 2), np.linspace(-0.99, 0.99, 15)),
    (af.arccos, lambda a: -1 / np.sqrt(1 - a ** 2), np.linspace(-0.99, 0.99, 15)),
    (af.arctan, lambda a: 1 / (1 + a ** 2), np.linspace(-50, 50, 15)),
    (af.sinh, np.cosh, np.linspace(-5, 5, 15)),
    (af.cosh, np.sinh, np.linspace(-5, 5, 15)),
    (af.arcsinh, lambda a: 1 / np.sqrt(a ** 2 + 1), np.linspace(-50, 50, 15)),
    (af.arccosh, lambda a: 1 / np.sqrt(a ** 2 - 1), np.linspace(1.01, 50, 15)),
    (af.arctanh, lambda a: 1 / (1 - a ** 2), np.linspace(-0.99, 0.99, 15)),
    (af.sinc, lambda a: (np.cos(np.pi * a) - np.sinc(a)) / a, np.linspace(-3.3, 3.3, 12)),
    (af.deg2rad, lambda a: np.full_like(a, np.pi / 180), np.linspace(-360, 360, 5)),
    (af.rad2deg, lambda a: np.full_like(a, 180 / np.pi), np.linspace(-7, 7, 5)),
]


@pytest.mark.parametrize(("function", "derivative", "a"), CLOSED_FORMS,
                         ids=[f.__name__ for f, _, _ in CLOSED_FORMS])
def test_derivatives_match_their_closed_forms(function, derivative, a) -> None:
    numeric, boxed = _both_grads(function, a)
    np.testing.assert_allclose(numeric, derivative(a), rtol=1e-13)
    np.testing.assert_array_equal(boxed, numeric)


def _sinc_slope(x: float) -> float:
    """sinc'(x) from its Taylor series summed to 40 terms in 60-digit decimals."""
    from decimal import Decimal, localcontext

    with localcontext() as context:
        context.prec = 60
        pi = Decimal("3.14159265358979323846264338327950288419716939937510582097494")
        x_ = Decimal(x)
        total = sum((-1) ** k * 2 * k * pi ** (2 * k) * x_ ** (2 * k - 1)
                    / math.factorial(2 * k + 1) for k in range(1, 40))
        return float(total)


def test_sinc_derivative_is_accurate_near_zero_where_the_closed_form_cancels() -> None:
    """(cos(pi x) - sinc x) / x loses all its digits as x -> 0 (at 1e-9 it is pure
    rounding noise); the box switches to the Taylor series below |x| = 0.1."""
    x = np.array([1e-300, 1e-12, 1e-9, 1e-6, 1e-3, 0.05, 0.0999, 0.1, 0.1001, 0.3, 1.7])
    x = np.concatenate([-x, x])
    numeric, boxed = _both_grads(af.sinc, x)
    exact = np.array([_sinc_slope(v) for v in x])
    np.testing.assert_allclose(numeric, exact, rtol=4e-15)
    np.testing.assert_array_equal(boxed, numeric)


def test_sinc_is_one_at_zero_with_slope_zero_and_curvature_minus_pi_squared_over_3() -> None:
    p = af.Parameter(np.array([0.0, 0.0]), name="a")
    value = af.FlowGraph(af.sinc(p)).fprop()
    slope = af.grad(af.sum(af.sinc(p)), p)
    curvature = af.grad(af.sum(slope), p)
    assert value.tolist() == [1.0, 1.0]
    assert af.FlowGraph(slope).fprop().tolist() == [0.0, 0.0]
    np.testing.assert_allclose(af.FlowGraph(curvature).fprop(), [-np.pi ** 2 / 3] * 2,
                               rtol=1e-15)


def test_sinc_gradient_is_finite_for_huge_float32_inputs() -> None:
    """The Taylor branch sees 0 where |x| >= 0.1, so x**11 cannot overflow into a NaN."""
    a = np.array([3e7, -1e30, 0.5], np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        numeric, boxed = _both_grads(af.sinc, a)
    assert numeric.dtype == boxed.dtype == np.float32
    assert np.isfinite(numeric).all() and np.array_equal(boxed, numeric)


@pytest.mark.parametrize("function", [af.deg2rad, af.rad2deg])
def test_degree_conversions_keep_float32(function) -> None:
    numeric, boxed = _both_grads(function, np.array([1.0, 90.0], np.float32))
    assert numeric.dtype == boxed.dtype == np.float32


def test_inverse_functions_undo_the_functions() -> None:
    x = af.Input("x")
    a = np.linspace(-0.7, 0.7, 9)
    for forward, inverse in [(af.sin, af.arcsin), (af.tan, af.arctan), (af.sinh, af.arcsinh),
                             (af.tanh, af.arctanh), (af.deg2rad, af.rad2deg)]:
        np.testing.assert_allclose(af.FlowGraph(inverse(forward(x))).fprop({x: a}), a,
                                   rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(af.FlowGraph(af.arccos(af.cos(x))).fprop({x: a + 1}), a + 1,
                               rtol=1e-14)
    np.testing.assert_allclose(af.FlowGraph(af.arccosh(af.cosh(x))).fprop({x: a + 1}), a + 1,
                               rtol=1e-13)
    assert isinstance(af.sinc(x), ops.Sinc)
