"""Trigonometric and hyperbolic primitives, their inverses, sinc, and the conversions
between degrees and radians: y = g(a), d a = d y * g'(a). Angles are in radians."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core.box import Box
from .registry import primitive


@primitive("sin", numpy=np.sin)
class Sin(Box):
    """y = sin(a);   d a = d y * cos(a)"""

    def fprop(self, a):
        return np.sin(a)

    def bprop(self, grad, a):
        return grad * np.cos(a)


@primitive("cos", numpy=np.cos)
class Cos(Box):
    """y = cos(a);   d a = -d y * sin(a)"""

    def fprop(self, a):
        return np.cos(a)

    def bprop(self, grad, a):
        return -grad * np.sin(a)


@primitive("tan", numpy=np.tan, bound=1.2)
class Tan(Box):
    """y = tan(a) for a away from pi/2 + k pi;   d a = d y * (1 + y**2)"""

    def fprop(self, a):
        return np.tan(a)

    def bprop(self, grad, a):
        return grad * (1 + self.value * self.value)


@primitive("arcsin", numpy=np.arcsin, bound=0.9)
class Arcsin(Box):
    """y = arcsin(a) for |a| < 1;   d a = d y / sqrt((1 - a)(1 + a))"""

    def fprop(self, a):
        return np.arcsin(a)

    def bprop(self, grad, a):
        return grad / np.sqrt((1 - a) * (1 + a))


@primitive("arccos", numpy=np.arccos, bound=0.9)
class Arccos(Box):
    """y = arccos(a) for |a| < 1;   d a = -d y / sqrt((1 - a)(1 + a))"""

    def fprop(self, a):
        return np.arccos(a)

    def bprop(self, grad, a):
        return -grad / np.sqrt((1 - a) * (1 + a))


@primitive("arctan", numpy=np.arctan)
class Arctan(Box):
    """y = arctan(a);   d a = d y / (1 + a**2)"""

    def fprop(self, a):
        return np.arctan(a)

    def bprop(self, grad, a):
        return grad / (1 + a * a)


@primitive("sinh", numpy=np.sinh, bound=4.0)
class Sinh(Box):
    """y = sinh(a);   d a = d y * cosh(a)"""

    def fprop(self, a):
        return np.sinh(a)

    def bprop(self, grad, a):
        return grad * np.cosh(a)


@primitive("cosh", numpy=np.cosh, bound=4.0)
class Cosh(Box):
    """y = cosh(a);   d a = d y * sinh(a)"""

    def fprop(self, a):
        return np.cosh(a)

    def bprop(self, grad, a):
        return grad * np.sinh(a)


@primitive("arcsinh", numpy=np.arcsinh)
class Arcsinh(Box):
    """y = arcsinh(a);   d a = d y / sqrt(a**2 + 1)"""

    def fprop(self, a):
        return np.arcsinh(a)

    def bprop(self, grad, a):
        return grad / np.sqrt(a * a + 1)


@primitive("arccosh", numpy=np.arccosh, domain="positive")
class Arccosh(Box):
    """y = arccosh(a) for a > 1;   d a = d y / sqrt((a - 1)(a + 1))"""

    def fprop(self, a):
        return np.arccosh(a)

    def bprop(self, grad, a):
        return grad / np.sqrt((a - 1) * (a + 1))


@primitive("arctanh", numpy=np.arctanh, bound=0.9)
class Arctanh(Box):
    """y = arctanh(a) for |a| < 1;   d a = d y / ((1 - a)(1 + a))"""

    def fprop(self, a):
        return np.arctanh(a)

    def bprop(self, grad, a):
        return grad / ((1 - a) * (1 + a))


#: sinc'(x) = sum over k >= 1 of (-1)^k 2k pi^(2k) x^(2k-1) / (2k+1)!: the coefficients
#: of x * (c_1 + c_2 x^2 + ...), used for |x| < _SINC_SERIES_BELOW, where the closed form
#: (cos(pi x) - sinc(x)) / x cancels; six terms are exact to 3e-17 relative there.
_SINC_SERIES = tuple((-1) ** k * 2 * k * math.pi ** (2 * k) / math.factorial(2 * k + 1)
                     for k in range(1, 7))
_SINC_SERIES_BELOW = 0.1


def _sinc_slope_series(x: Any) -> Any:
    """x * (c_1 + c_2 x^2 + ... + c_6 x^10) by Horner's rule, on arrays or boxes alike."""
    u = x * x
    total = _SINC_SERIES[-1] * u
    for c in reversed(_SINC_SERIES[1:-1]):
        total = (total + c) * u
    return x * (total + _SINC_SERIES[0])


@primitive("sinc", numpy=np.sinc)
class Sinc(Box):
    """y = sin(pi a) / (pi a), 1 at a = 0 (numpy's normalized sinc);
    d a = d y * (cos(pi a) - y) / a, and its Taylor series near 0 (0 at a = 0)"""

    def fprop(self, a):
        return np.sinc(a)

    def bprop(self, grad, a):
        near = np.abs(a) < _SINC_SERIES_BELOW
        series = _sinc_slope_series(np.where(near, a, 0.0))  # no overflow far from 0
        away = np.where(near, 1.0, a)  # no 0 / 0 at 0
        return grad * np.where(near, series, (np.cos(math.pi * a) - self.value) / away)


#: Python floats, so a float32 array stays float32.
_RADIANS_PER_DEGREE = math.pi / 180
_DEGREES_PER_RADIAN = 180 / math.pi


@primitive("deg2rad", numpy=(np.deg2rad, np.radians))
class Deg2rad(Box):
    """y = a pi / 180 (degrees to radians);   d a = d y pi / 180"""

    def fprop(self, a):
        return np.deg2rad(a)

    def bprop(self, grad, a):
        return grad * _RADIANS_PER_DEGREE


@primitive("rad2deg", numpy=(np.rad2deg, np.degrees), bound=1.5)
class Rad2deg(Box):
    """y = a 180 / pi (radians to degrees);   d a = d y 180 / pi"""

    def fprop(self, a):
        return np.rad2deg(a)

    def bprop(self, grad, a):
        return grad * _DEGREES_PER_RADIAN

