"""SciPy's special functions (erf, erfc, gammaln, digamma, polygamma, logit, log_ndtr,
expit) through the one table checker, their derivatives against closed forms, their
tails, and the one line said without SciPy."""
from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from scipy import special as sp

import autograd_flow as af
from autograd_flow import ops

from .table import Case, parametrize

SHAPES = [(), (4,), (2, 3)]


def _polygamma(n: int) -> Any:
    def build(x: af.Box) -> af.Box:
        return af.polygamma(n, x)
    build.__name__ = f"polygamma{n}"
    return build


def _polygamma_reference(n: int) -> Any:
    return lambda x: sp.polygamma(n, x).astype(np.result_type(x))


def _log_ndtr_slope(x: np.ndarray) -> np.ndarray:
    """phi(x) / Phi(x) by another road: its definition where Phi does not underflow, and
    the inverse of the Mills series Phi(x) / phi(x) = sum_k (-1)**k (2k - 1)!! / x**(2k)
    / -x (k = 0..7) in the far left tail (x <= -30: the next term is below 1e-17)."""
    with np.errstate(all="ignore"):
        direct = np.exp(-x * x / 2) / np.sqrt(2 * np.pi) / sp.ndtr(x)
        series = sum((-1) ** k * double_factorial * x ** (-2.0 * k) for k, double_factorial
                     in enumerate([1, 1, 3, 15, 105, 945, 10395, 135135]))
    return np.where(x <= -30, -x / series, direct)


TABLE: list[Case] = [
    *[Case(af.erf, (s,), sp.erf) for s in SHAPES],
    *[Case(af.erfc, (s,), sp.erfc) for s in SHAPES],
    *[Case(af.gammaln, (s,), sp.gammaln, domain="positive") for s in SHAPES],
    *[Case(af.digamma, (s,), sp.digamma, domain="positive") for s in SHAPES],
    *[Case(_polygamma(n), (s,), _polygamma_reference(n), domain="positive")
      for n, s in [(0, (3,)), (1, ()), (1, (2, 3)), (2, (4,)), (3, (2, 2))]],
    *[Case(af.logit, (s,), sp.logit, domain="probability") for s in SHAPES],
    *[Case(af.log_ndtr, (s,), sp.log_ndtr) for s in SHAPES],
    Case(af.log_ndtr, ((5,),), sp.log_ndtr, domain="wide"),  # both tails, to |x| = 30
    *[Case(af.expit, (s,), sp.expit, rtol=1e-15) for s in [(), (2, 3)]],
    *[Case(ops.LogNdtrSlope, (s,), lambda x: _log_ndtr_slope(x).astype(x.dtype), domain=d)
      for s, d in [((), "real"), ((2, 3), "real"), ((6,), "wide")]],
    *[Case(f, (s,), getattr(sp, f.__name__), d) for s in SHAPES
      for f, d in [(af.erfinv, "unit"), (af.erfcx, "real"),
                   (af.ndtr, "real"), (af.ndtri, "probability"), (af.entr, "positive")]],
    *[Case(lambda a, d: af.multigammaln(a + 2.0, d), (s,),
           lambda a, d: sp.multigammaln(a + 2.0, d), "positive", {"d": d})
      for s in SHAPES for d in (1, 3, 5)],
]


@parametrize(TABLE)
def test_special(case: Case, check) -> None:
    check(case)


def _derivatives(function: Any, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first derivative of the sum of function(x) by bprop, and the second (the
    diagonal of the Hessian: the function is elementwise) by af.grad of af.grad."""
    p = af.Parameter(x, name="x")
    y = af.sum(function(p))
    graph = af.FlowGraph(y)
    graph.fprop()
    first = graph.bprop()[p]
    (gradient,) = af.grad(y, [p])
    (second,) = af.grad(af.sum(gradient), [p])
    return first, af.FlowGraph(second).fprop()


CLOSED_FORMS = {  # function, inputs, first derivative, second derivative
    "erf": (af.erf, np.linspace(-3, 3, 7),
            lambda x: 2 / np.sqrt(np.pi) * np.exp(-x * x),
            lambda x: -4 * x / np.sqrt(np.pi) * np.exp(-x * x)),
    "erfc": (af.erfc, np.linspace(-3, 3, 7),
             lambda x: -2 / np.sqrt(np.pi) * np.exp(-x * x),
             lambda x: 4 * x / np.sqrt(np.pi) * np.exp(-x * x)),
    "gammaln": (af.gammaln, np.array([0.1, 0.5, 1.0, 2.5, 10.0, -0.5, -2.5]),
                sp.digamma, lambda x: sp.polygamma(1, x)),
    "digamma": (af.digamma, np.array([0.1, 0.5, 1.0, 2.5, 10.0, -0.5]),
                lambda x: sp.polygamma(1, x), lambda x: sp.polygamma(2, x)),
    "polygamma2": (_polygamma(2), np.array([0.3, 1.0, 4.0]),
                   lambda x: sp.polygamma(3, x), lambda x: sp.polygamma(4, x)),
    "logit": (af.logit, np.array([0.01, 0.2, 0.5, 0.9, 0.999]),
              lambda x: 1 / (x * (1 - x)), lambda x: (2 * x - 1) / (x * (1 - x)) ** 2),
    "expit": (af.expit, np.linspace(-5, 5, 5),
              lambda x: sp.expit(x) * (1 - sp.expit(x)),
              lambda x: sp.expit(x) * (1 - sp.expit(x)) * (1 - 2 * sp.expit(x))),
    "log_ndtr": (af.log_ndtr, np.array([-100.0, -40.0, -5.0, 0.0, 3.0, 8.0, 40.0]),
                 _log_ndtr_slope,
                 lambda x: -_log_ndtr_slope(x) * (x + _log_ndtr_slope(x))),
}


@pytest.mark.parametrize("name", list(CLOSED_FORMS))
def test_first_and_second_derivatives_are_the_closed_forms(name: str) -> None:
    function, x, first, second = CLOSED_FORMS[name]
    got_first, got_second = _derivatives(function, x)
    np.testing.assert_allclose(got_first, first(x), rtol=1e-12, atol=0)
    np.testing.assert_allclose(got_second, second(x), rtol=1e-9, atol=0)


def test_log_ndtr_has_its_gradients_far_into_both_tails() -> None:
    """Where Phi(x) underflows (x = -40: Phi = 4e-350) the slope is about -x, not 0 / 0,
    and the curvature about -1 + 1/x**2 (a + phi/Phi, which cancels, by a series); where
    phi(x) underflows (x = 40) both are 0, not NaN."""
    x = np.array([-1e8, -1e4, -1e3, -101.0, 40.0, 1e3])
    first, second = _derivatives(af.log_ndtr, x)
    np.testing.assert_allclose(first, _log_ndtr_slope(x), rtol=1e-14)
    np.testing.assert_allclose(second[:2], [-1.0, -1 + 1e-8], rtol=1e-14)
    u = x[2:4] ** -2.0  # -1 + u - 6u**2 + 50u**3 - ...
    np.testing.assert_allclose(second[2], -1 + u[0] - 6 * u[0] ** 2, rtol=1e-15)
    np.testing.assert_allclose(second[3], -1 + u[1] - 6 * u[1] ** 2, rtol=1e-10)
    assert np.array_equal(first[4:], [0.0, 0.0]) and np.array_equal(second[4:], [0.0, 0.0])


def test_polygamma_takes_a_non_negative_integer_order() -> None:
    x = af.Parameter(np.ones(2), name="x")
    with pytest.raises(af.BoxError, match="n must be 0 or more"):
        af.polygamma(-1, x)
    with pytest.raises(af.BoxError, match="n must be an integer, got 1.5"):
        af.polygamma(1.5, x)


def test_without_scipy_building_one_says_which_extra_brings_it(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.setitem(sys.modules, "scipy.special", None)
    x = af.Parameter(np.ones(2), name="x")
    for function, name in [(af.erf, "erf"), (af.log_ndtr, "log_ndtr"),
                           (lambda x: af.polygamma(1, x), "polygamma")]:
        with pytest.raises(ModuleNotFoundError) as raised:
            function(x)
        assert str(raised.value) == (f'af.{name} needs scipy, which is not installed: '
                                     'pip install "autograd_flow[learn]"')
    assert isinstance(af.expit(x), af.ops.Sigmoid)  # needs no SciPy


def test_without_scipy_the_engine_and_its_random_graphs_run() -> None:
    """In a fresh interpreter that cannot import SciPy: the package loads without it,
    af.erf says what to install in one line, and random graphs leave the special
    functions out."""
    code = ("import sys\n"
            "sys.modules['scipy'] = None\n"
            "import numpy as np, autograd_flow as af\n"
            "from hypothesis import HealthCheck, given, settings\n"
            "from autograd_flow.testing import strategies as S\n"
            "try:\n"
            "    af.erf(af.Parameter(np.ones(2)))\n"
            "except ModuleNotFoundError as error:\n"
            "    print(error)\n"
            "drawn = set()\n"
            "@settings(max_examples=60, database=None, deadline=None,\n"
            "          suppress_health_check=[HealthCheck.too_slow])\n"
            "@given(S.flow_graphs(['erf', 'gammaln', 'tanh', 'logit'], max_boxes=3))\n"
            "def draw(random):\n"
            "    drawn.update(random.ops)\n"
            "draw()\n"
            "print(sorted(drawn))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ('af.erf needs scipy, which is not installed: '
                           'pip install "autograd_flow[learn]"\n'
                           "['tanh']\n")
