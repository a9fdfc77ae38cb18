"""Bessel functions of order 0 and 1 and the Airy functions (SciPy) through the one table
checker, and their derivatives at 0 (the limit of y / a)."""
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
