"""SciPy's special functions as primitives: ``erf``, ``erfc``, ``erfinv``, ``erfcx``,
``ndtr``, ``ndtri``, ``entr``, ``gammaln``, ``digamma``,
``polygamma``, ``logit`` and ``log_ndtr`` (and ``expit``, sigmoid's SciPy name).

Their values are ``scipy.special``'s, so SciPy must be installed (the ``learn`` extra
brings it; it is imported when the first such box is built, never with the package).
Without it, building one is a :class:`~autograd_flow.errors.MissingExtraError`: one
line naming the extra. Their derivatives are closed forms written with these same
functions (gammaln' = digamma, digamma' = polygamma(1, .), polygamma(n, .)' =
polygamma(n + 1, .)), so af.grad differentiates them again.
"""
from __future__ import annotations

import importlib
import math
from typing import Any

import numpy as np

from ..core.box import Box
from ..core.scope import composite
from ..errors import BoxError, describe
from ..extras import explain
from .axes import integer_setting
from .elementwise import Sigmoid
from .plumbing import on_boxes
from .registry import DECLARATIONS, function, primitive

TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
SQRT_HALF = math.sqrt(0.5)


def special(feature: str = "SciPy's special functions") -> Any:
    """The module scipy.special, or a MissingExtraError saying that ``feature`` needs
    SciPy and which pip install brings it."""
    try:
        return importlib.import_module("scipy.special")
    except ModuleNotFoundError as error:
        raise explain(error, feature) or error from None


class _SciPyFunction(Box):
    """A primitive computed with scipy.special: SciPy is asked for when the box is built,
    so a missing SciPy is said where the user calls ``af.<name>``."""

    def __init__(self, a: Any, name: str | None = None) -> None:
        special(f"af.{next(d.name for d in DECLARATIONS if d.box is type(self) and d.name)}")
        super().__init__(a, name=name)


@primitive("erf")
class Erf(_SciPyFunction):
    """y = erf(a) = 2 / sqrt(pi) int_0^a exp(-t**2) dt;
    d a = d y * 2 / sqrt(pi) * exp(-a**2)"""

    def fprop(self, a):
        return special().erf(a)

    def bprop(self, grad, a):
        return grad * (TWO_OVER_SQRT_PI * np.exp(-a * a))


@primitive("erfc")
class Erfc(_SciPyFunction):
    """y = erfc(a) = 1 - erf(a) (to full relative accuracy for large a);
    d a = -d y * 2 / sqrt(pi) * exp(-a**2)"""

    def fprop(self, a):
        return special().erfc(a)

    def bprop(self, grad, a):
        return grad * (-TWO_OVER_SQRT_PI * np.exp(-a * a))


@primitive("erfinv", domain="unit")
class Erfinv(_SciPyFunction):
    """y = erfinv(a), the inverse of erf on (-1, 1);   d a = d y * sqrt(pi) / 2 * exp(y**2)"""

    def fprop(self, a):
        return special().erfinv(a)

    def bprop(self, grad, a):
        y = self.value
        return grad * (1 / TWO_OVER_SQRT_PI * np.exp(y * y))


@primitive("erfcx", bound=3.0)
class Erfcx(_SciPyFunction):
    """y = exp(a**2) erfc(a), the scaled complementary error function (no overflow for
    large a);   d a = d y * (2 a y - 2 / sqrt(pi))"""

    def fprop(self, a):
        return special().erfcx(a)

    def bprop(self, grad, a):
        return grad * (2 * a * self.value - TWO_OVER_SQRT_PI)


@primitive("ndtr")
class Ndtr(_SciPyFunction):
    """y = Phi(a), the standard normal distribution function;
    d a = d y * exp(-a**2 / 2) / sqrt(2 pi)"""

    def fprop(self, a):
        return special().ndtr(a)

    def bprop(self, grad, a):
        return grad * (SQRT_2_OVER_PI / 2 * np.exp(-0.5 * a * a))


@primitive("ndtri", domain="probability", bound=0.95)
class Ndtri(_SciPyFunction):
    """y = Phi^{-1}(a), the standard normal quantile of 0 < a < 1;
    d a = d y * sqrt(2 pi) exp(y**2 / 2)"""

    def fprop(self, a):
        return special().ndtri(a)

    def bprop(self, grad, a):
        y = self.value
        return grad * (2 / SQRT_2_OVER_PI * np.exp(0.5 * y * y))


@primitive("entr", domain="positive")
class Entr(_SciPyFunction):
    """y = -a log a for a > 0, 0 at a = 0, -inf for a < 0;   d a = -d y * (log a + 1)"""

    def fprop(self, a):
        return special().entr(a)

    def bprop(self, grad, a):
        return grad * -(np.log(a) + 1)


@primitive("gammaln", domain="positive")
class Gammaln(_SciPyFunction):
    """y = log |Gamma(a)| (poles at 0, -1, -2, ...);   d a = d y * digamma(a)"""

    def fprop(self, a):
        return special().gammaln(a)

    def bprop(self, grad, a):
        return grad * polygamma(0, a)


@primitive("digamma", domain="positive")
class Digamma(_SciPyFunction):
    """y = digamma(a) = d/da log Gamma(a) (poles at 0, -1, ...);
    d a = d y * polygamma(1, a) (the trigamma function)"""

    def fprop(self, a):
        return special().digamma(a)

    def bprop(self, grad, a):
        return grad * polygamma(1, a)


@primitive()
class Polygamma(_SciPyFunction):
    """y = polygamma(n, a), the n-th derivative of digamma: digamma(a) for n = 0, else
    (-1)**(n+1) n! zeta(n + 1, a) (Hurwitz zeta, as scipy.special.polygamma);
    d a = d y * polygamma(n + 1, a)"""

    def __init__(self, a: Any, n: int = 1, name: str | None = None) -> None:
        super().__init__(a, name=name)
        self.n = integer_setting(self, n, "n")
        if self.n < 0:
            raise BoxError(f"{describe(self)}: n must be 0 or more (polygamma(n, x) is the "
                           f"n-th derivative of digamma), got {n}.")

    def fprop(self, a):
        return polygamma(self.n, a)

    def bprop(self, grad, a):
        return grad * polygamma(self.n + 1, a)


def polygamma(n: int, a: Any) -> Any:
    """polygamma(n, a) computed on arrays with scipy.special's ufuncs (float32 stays
    float32, which scipy.special.polygamma does not keep); a Polygamma box on boxes."""
    if on_boxes(a):
        return Polygamma(a, n)
    if n == 0:
        return special().digamma(a)
    factorial = float(special().gamma(n + 1.0))  # inf past n = 170, as scipy's
    return (-1.0) ** (n + 1) * factorial * special().zeta(n + 1, a)


@function("polygamma", box=Polygamma)
def polygamma_box(n: int, x: Any, name: str | None = None) -> Box:
    """The n-th derivative of digamma at ``x``, as ``scipy.special.polygamma(n, x)``
    (``n`` an integer setting, not a box): polygamma(0, x) = digamma(x),
    polygamma(1, x) the trigamma function."""
    return Polygamma(x, n, name=name)


@primitive("logit", domain="probability", bound=0.95)
class Logit(_SciPyFunction):
    """y = log(a / (1 - a)) for 0 < a < 1 (the inverse of expit);
    d a = d y / (a (1 - a))"""

    def fprop(self, a):
        return special().logit(a)

    def bprop(self, grad, a):
        return grad / (a * (1 - a))


@primitive("log_ndtr")
class LogNdtr(_SciPyFunction):
    """y = log Phi(a), the log of the standard normal distribution function (accurate far
    into both tails);   d a = d y * phi(a) / Phi(a) (see :class:`LogNdtrSlope`)"""

    def fprop(self, a):
        return special().log_ndtr(a)

    def bprop(self, grad, a):
        return grad * log_ndtr_slope(a)


@primitive()
class LogNdtrSlope(Box):
    """y = phi(a) / Phi(a), the derivative of log_ndtr, as sqrt(2 / pi) / erfcx(-a / sqrt 2)
    (Phi(a) = erfcx(-a / sqrt 2) exp(-a**2 / 2) / 2): no 0 / 0 where Phi(a) underflows
    (y ~ -a), 0 where phi(a) does;   d a = -d y * y (a + y) (a + y by a series for
    a < -100, where it would cancel)"""

    def fprop(self, a):
        return log_ndtr_slope(a)

    def bprop(self, grad, a):
        y = self.value
        return grad * (-y * _slope_excess(a, y))


def _slope_excess(a: Any, y: Any) -> Any:
    """a + y for y = phi(a) / Phi(a), on arrays or boxes. For a < -100 (where y ~ -a and
    a + y ~ -1/a would lose 1e-16 a**2 of its digits) from the Mills ratio's series:
    a + y = -a (1 - S) / S with 1 - S = u - 3u**2 + 15u**3 - 105u**4 + 945u**5, u = 1/a**2
    (the next term is below 1e-16 of the first); the series reads a clamped to -100 or
    less, so neither branch is infinite where the other is taken."""
    far = np.minimum(a, -100.0)
    u = 1 / (far * far)
    excess = u * (1 - u * (3 - u * (15 - u * (105 - 945 * u))))
    return np.where(a < -100.0, -far * excess / (1 - excess), a + y)


def log_ndtr_slope(a: Any) -> Any:
    """phi(a) / Phi(a) on arrays; a LogNdtrSlope box on boxes."""
    if on_boxes(a):
        return LogNdtrSlope(a)
    return SQRT_2_OVER_PI / special().erfcx(-a * SQRT_HALF)


@function("expit", box=Sigmoid, graphs=False)
def expit(x: Any, name: str | None = None) -> Box:
    """1 / (1 + exp(-x)), as ``scipy.special.expit``: the ``sigmoid`` box under SciPy's
    name (it needs no SciPy)."""
    return Sigmoid(x, name=name)


@function("multigammaln", box=Gammaln, graphs=False)
@composite("multigammaln")
def multigammaln(a: Any, d: int, name: str | None = None) -> Box:
    """The log of the multivariate gamma function of dimension ``d``, as
    ``scipy.special.multigammaln`` (torch's mvlgamma): d (d - 1) / 4 log(pi) + the sum of
    gammaln(a - j / 2) for j = 0 .. d - 1 (a composite; a > (d - 1) / 2)."""
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1:
        raise BoxError(f"multigammaln: d must be an integer >= 1, not {d!r}")
    total: Any = d * (d - 1) / 4 * math.log(math.pi)
    for j in range(d):
        total = total + Gammaln(a - j / 2 if j else a)
    return total.named(name or "multigammaln")
