"""Bessel functions of order 0 and 1, the Airy functions (SciPy) and the spherical j0
through the one table checker, and their derivatives at 0 (the limit of y / a) and at
infinity."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import special as sp

import autograd_flow as af

from .table import Case, parametrize

SHAPES = [(), (4,), (2, 3)]
DOMAINS = {"i0": "real", "i1": "real", "i0e": "kinkfree", "i1e": "real", "j0": "wide",
           "j1": "wide", "k0": "positive", "k1": "positive", "k0e": "positive",
           "k1e": "positive", "y0": "positive", "y1": "positive"}

AIRY = ["Ai", "Ai'", "Bi", "Bi'"]


def _airy(part: int):
    """Airy function ``part`` of af.airy against scipy.special.airy's."""
    def build(a: af.Box) -> af.Box:
        return af.airy(a)[part]
    build.__name__ = f"airy[{AIRY[part]}]"
    return build


TABLE: list[Case] = [
    *[Case(getattr(af, name), (s,), getattr(sp, name), domain)
      for name, domain in DOMAINS.items() for s in SHAPES],
    *[Case(_airy(part), (s,), lambda a, part=part: sp.airy(a)[part], "real")
      for part in range(4) for s in SHAPES],
    *[Case(af.airy_ai, (s,), lambda a: sp.airy(a)[0], d) for s in SHAPES
      for d in ("real", "wide")],
    *[Case(af.spherical_bessel_j0, (s,), lambda a: sp.spherical_jn(0, a), d) for s in SHAPES
      for d in ("real", "wide", "small")],
]


@parametrize(TABLE)
def test_bessel(case: Case, check) -> None:
    check(case)


@pytest.mark.parametrize("name", ["i1", "i1e", "j1"])
def test_the_derivative_of_an_odd_bessel_function_at_zero_is_one_half(name) -> None:
    x = af.Parameter(np.array([0.0, 1e-3]))
    graph = af.FlowGraph(af.sum(getattr(af, name)(x)))
    graph.fprop()
    slope = graph.bprop()[x]
    assert slope[0] == 0.5 and abs(slope[1] - 0.5) < 1e-3


def test_np_i0_of_a_box_builds_the_box() -> None:
    a = np.array([0.5, -1.5])
    np.testing.assert_allclose(af.FlowGraph(np.i0(af.Parameter(a))).fprop(), np.i0(a),
                               rtol=1e-14)


def test_airy_functions_solve_airys_equation_at_second_order() -> None:
    """Ai'' = x Ai and Bi'' = x Bi: the second derivatives af.hvp finds."""
    x = af.Parameter(np.array([-2.0, 0.0, 1.5]))
    ai, _, bi, _ = af.airy(x)
    for box, part in ((ai, 0), (bi, 2)):
        graph = af.FlowGraph(af.sum(box))
        graph.fprop()
        (second,) = af.hvp(graph, [np.ones(3)])
        np.testing.assert_allclose(second, x.value * sp.airy(x.value)[part], rtol=1e-13)


def _derivatives(build, values: np.ndarray, order: int) -> list[np.ndarray]:
    """The function's value and its derivatives up to ``order``, entry by entry."""
    x = af.Parameter(values, name="x")
    boxes = [build(x)]
    for _ in range(order):
        boxes.append(af.grad(af.sum(boxes[-1]), x))
    return list(af.FlowGraph(boxes).fprop())


def test_spherical_j0_is_sin_x_over_x_with_its_limits_at_zero_and_infinity() -> None:
    """j0 = sin x / x: 1 at 0 and 0 at +-inf (SciPy's values), j0' = -j1 (SciPy's),
    -x / 3 near 0 where the closed form (cos x - j0) / x would cancel, and j0'' = -1/3
    at 0; the derivatives' limit 0 at +-inf."""
    a = np.array([0.0, 1e-300, 1e-8, 0.29, 0.31, -2.0, 3 * np.pi, 30.0, -np.inf, np.inf])
    value, slope, curvature = _derivatives(af.spherical_bessel_j0, a, 2)
    np.testing.assert_array_equal(value, sp.spherical_jn(0, a))
    np.testing.assert_allclose(slope, sp.spherical_jn(0, a, derivative=True), rtol=1e-14,
                               atol=1e-299)  # SciPy's slope at 1e-300 underflows to 0
    assert slope[1] == -1e-300 / 3 and slope[-1] == slope[-2] == 0
    np.testing.assert_allclose(curvature[:3], -1 / 3, rtol=1e-15)
    second = 2 * sp.spherical_jn(1, a[3:8]) / a[3:8] - sp.spherical_jn(0, a[3:8])  # j0''
    np.testing.assert_allclose(curvature[3:8], second, rtol=1e-12)
    assert curvature[-1] == curvature[-2] == 0


def test_airy_ai_derivatives_are_scipys_ai_prime_and_x_ai() -> None:
    a = np.array([-20.0, -5.0, -1.0, 0.0, 0.5, 3.0, 20.0])
    value, slope, curvature, third = _derivatives(af.airy_ai, a, 3)
    ai, ai_prime, _, _ = sp.airy(a)
    np.testing.assert_array_equal(value, ai)
    np.testing.assert_array_equal(slope, ai_prime)
    np.testing.assert_allclose(curvature, a * ai, rtol=1e-15)
    np.testing.assert_allclose(third, ai + a * ai_prime, rtol=1e-13)  # (x Ai)'
