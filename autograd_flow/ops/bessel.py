"""Bessel functions of order 0 and 1 (SciPy) as primitives: the modified ones ``i0``,
``i1``, ``k0``, ``k1`` and their exponentially scaled forms ``i0e``, ``i1e``, ``k0e``,
``k1e``, and ``j0``, ``j1``, ``y0``, ``y1``. Each derivative is the classical recurrence
(Abramowitz & Stegun 9.1.28, 9.1.27, 9.6.27), written with the same functions, so
af.grad differentiates them again: i0' = i1, i1' = i0 - i1 / x, k0' = -k1,
k1' = -k0 - k1 / x, j0' = -j1, j1' = j0 - j1 / x, y0' = -y1, y1' = y0 - y1 / x (and
1/2 for i1' and j1' at x = 0, their limit). ``airy`` gives the Airy functions Ai, Ai',
Bi, Bi' (scipy.special.airy), whose derivatives follow from Airy's equation y'' = x y:
Ai'' = x Ai, Bi'' = x Bi; ``airy_ai`` is Ai alone (torch's name). Also the spherical
Bessel function ``spherical_bessel_j0`` (sin x / x)."""
from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from ..core.box import Box
from .plumbing import on_boxes
from .registry import function, primitive
from .special import _SciPyFunction, special


def _over(y: Any, a: Any) -> Any:
    """y / a, with its limit 1/2 at a = 0 for y = i1, i1e or j1 (y ~ a / 2 there)."""
    zero = np.equal(a, 0)
    return np.where(zero, 0.5, y / np.where(zero, 1, a))


def _of(cls: type, a: Any) -> Any:
    """The function of box class ``cls`` at a: its box on boxes, SciPy's values on arrays."""
    return cls(a) if on_boxes(a) else getattr(special(), cls.__name__.lower())(a)


@primitive("i0", numpy=np.i0)
class I0(_SciPyFunction):
    """y = I0(a), the modified Bessel function of order 0;   d a = d y * I1(a)"""

    def fprop(self, a):
        return special().i0(a)

    def bprop(self, grad, a):
        return grad * _of(I1, a)


@primitive("i1")
class I1(_SciPyFunction):
    """y = I1(a), the modified Bessel function of order 1;   d a = d y * (I0(a) - y / a)
    (1/2 at a = 0)"""

    def fprop(self, a):
        return special().i1(a)

    def bprop(self, grad, a):
        return grad * (_of(I0, a) - _over(self.value, a))


@primitive("i0e", domain="kinkfree")
class I0e(_SciPyFunction):
    """y = exp(-|a|) I0(a);   d a = d y * (i1e(a) - sign(a) y) (0 at the kink a = 0)"""

    def fprop(self, a):
        return special().i0e(a)

    def bprop(self, grad, a):
        return grad * (_of(I1e, a) - np.sign(a) * self.value)


@primitive("i1e")
class I1e(_SciPyFunction):
    """y = exp(-|a|) I1(a);   d a = d y * (i0e(a) - y (sign(a) + 1 / a)) (1/2 at a = 0)"""

    def fprop(self, a):
        return special().i1e(a)

    def bprop(self, grad, a):
        return grad * (_of(I0e, a) - np.sign(a) * self.value - _over(self.value, a))


@primitive("k0", domain="positive")
class K0(_SciPyFunction):
    """y = K0(a) for a > 0, the modified Bessel function of the second kind;
    d a = -d y * K1(a)"""

    def fprop(self, a):
        return special().k0(a)

    def bprop(self, grad, a):
        return -grad * _of(K1, a)


@primitive("k1", domain="positive")
class K1(_SciPyFunction):
    """y = K1(a) for a > 0;   d a = -d y * (K0(a) + y / a)"""

    def fprop(self, a):
        return special().k1(a)

    def bprop(self, grad, a):
        return -grad * (_of(K0, a) + self.value / a)


@primitive("k0e", domain="positive")
class K0e(_SciPyFunction):
    """y = exp(a) K0(a) for a > 0;   d a = d y * (y - k1e(a))"""

    def fprop(self, a):
        return special().k0e(a)

    def bprop(self, grad, a):
        return grad * (self.value - _of(K1e, a))


@primitive("k1e", domain="positive")
class K1e(_SciPyFunction):
    """y = exp(a) K1(a) for a > 0;   d a = d y * (y - k0e(a) - y / a)"""

    def fprop(self, a):
        return special().k1e(a)

    def bprop(self, grad, a):
        return grad * (self.value - _of(K0e, a) - self.value / a)


@primitive("j0")
class J0(_SciPyFunction):
    """y = J0(a), the Bessel function of the first kind of order 0;   d a = -d y * J1(a)"""

    def fprop(self, a):
        return special().j0(a)

    def bprop(self, grad, a):
        return -grad * _of(J1, a)


@primitive("j1")
class J1(_SciPyFunction):
    """y = J1(a);   d a = d y * (J0(a) - y / a) (1/2 at a = 0)"""

    def fprop(self, a):
        return special().j1(a)

    def bprop(self, grad, a):
        return grad * (_of(J0, a) - _over(self.value, a))


@primitive("y0", domain="positive")
class Y0(_SciPyFunction):
    """y = Y0(a) for a > 0, the Bessel function of the second kind;   d a = -d y * Y1(a)"""

    def fprop(self, a):
        return special().y0(a)

    def bprop(self, grad, a):
        return -grad * _of(Y1, a)


@primitive("y1", domain="positive")
class Y1(_SciPyFunction):
    """y = Y1(a) for a > 0;   d a = d y * (Y0(a) - y / a)"""

    def fprop(self, a):
        return special().y1(a)

    def bprop(self, grad, a):
        return grad * (_of(Y0, a) - self.value / a)


class _Airy(Box):
    """Entry ``part`` of scipy.special.airy (Ai, Ai', Bi, Bi'); SciPy is asked for when
    the box is built."""

    part: ClassVar[int]

    def __init__(self, a: Any, name: str | None = None) -> None:
        special("af.airy")
        super().__init__(a, name=name)

    def fprop(self, a):
        return special().airy(a)[self.part]


def _airy(cls: type[_Airy], a: Any) -> Any:
    """Airy function ``cls`` at a: its box on boxes, SciPy's values on arrays."""
    return cls(a) if on_boxes(a) else special().airy(a)[cls.part]


@primitive()
class AiryAi(_Airy):
    """y = Ai(a), the Airy function that decays for a > 0;   d a = d y * Ai'(a)"""

    part = 0

    def bprop(self, grad, a):
        return grad * _airy(AiryAip, a)


@primitive()
class AiryAip(_Airy):
    """y = Ai'(a);   d a = d y * a Ai(a) (Airy's equation)"""

    part = 1

    def bprop(self, grad, a):
        return grad * a * _airy(AiryAi, a)


@primitive()
class AiryBi(_Airy):
    """y = Bi(a), the Airy function that grows for a > 0;   d a = d y * Bi'(a)"""

    part = 2

    def bprop(self, grad, a):
        return grad * _airy(AiryBip, a)


@primitive()
class AiryBip(_Airy):
    """y = Bi'(a);   d a = d y * a Bi(a) (Airy's equation)"""

    part = 3

    def bprop(self, grad, a):
        return grad * a * _airy(AiryBi, a)


@function("airy", graphs=False)
def airy(z: Any, name: str | None = None) -> tuple[Box, Box, Box, Box]:
    """The Airy functions Ai, Ai', Bi, Bi' of z as four boxes, as ``scipy.special.airy``
    (real z); each is differentiated with Airy's equation (Ai'' = z Ai, Bi'' = z Bi)."""
    def part(cls: type[_Airy]) -> Box:
        return cls(z, name=None if name is None else f"{name}.{cls.__name__}")

    return part(AiryAi), part(AiryAip), part(AiryBi), part(AiryBip)


@function("airy_ai", graphs=False)
def airy_ai(x: Any, name: str | None = None) -> Box:
    """Ai(x), the Airy function that decays for x > 0 (torch's ``special.airy_ai``;
    ``airy(x)[0]``), differentiated with Airy's equation to any order."""
    return AiryAi(x, name=name)


#: j0's derivative (cos x - j0(x)) / x as its Taylor series x (c_1 + c_2 x^2 + ...),
#: c_k = (-1)^k 2k / (2k + 1)!, used for |x| < _J0_SERIES_BELOW, where the closed form
#: cancels; seven terms are exact to 1e-19 relative there.
_J0_SERIES = tuple((-1) ** k * 2 * k / math.factorial(2 * k + 1) for k in range(1, 8))
_J0_SERIES_BELOW = 0.3


def _j0_slope_series(x: Any) -> Any:
    """x * (c_1 + c_2 x^2 + ... + c_7 x^12) by Horner's rule, on arrays or boxes alike."""
    u = x * x
    total = _J0_SERIES[-1] * u
    for c in reversed(_J0_SERIES[1:-1]):
        total = (total + c) * u
    return x * (total + _J0_SERIES[0])


@primitive("spherical_bessel_j0")
class SphericalBesselJ0(Box):
    """y = sin(a) / a, the spherical Bessel function of the first kind of order 0 (1 at
    a = 0, 0 at +-inf);   d a = d y * (cos(a) - y) / a = -d y j1(a), its Taylor series
    near 0 (0 at a = 0, and -1/3 the second derivative there), 0 at +-inf (the limit)"""

    def fprop(self, a):
        zero = np.equal(a, 0)
        with np.errstate(invalid="ignore"):  # sin(inf) is NaN, and j0(inf) 0
            ratio = np.sin(a) / np.where(zero, 1, a)
        return np.where(zero, 1, np.where(np.isinf(a), 0, ratio))

    def bprop(self, grad, a):
        near, far = np.abs(a) < _J0_SERIES_BELOW, np.isinf(a)
        series = _j0_slope_series(np.where(near, a, 0.0))  # no overflow far from 0
        away = np.where(np.logical_or(near, far), 1.0, a)  # no 0 / 0 at 0, no cos(inf)
        closed = (np.cos(away) - self.value) / away
        return grad * np.where(near, series, np.where(far, 0.0, closed))
