"""Elementwise functions of numpy's floating-point toolbox: ``trunc`` (and ``fix``),
``copysign``, ``logaddexp2``, ``heaviside``, ``float_power`` and ``frexp``, with
broadcasting. (The special functions of SciPy are in :mod:`.special`.)"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core.box import Box
from .arithmetic import power_of
from .elementwise import sigmoid
from .plumbing import astype_like, on_boxes
from .registry import function, primitive
from .shape import Astype


@primitive("trunc", numpy=(np.trunc, np.fix), aliases=("fix",))
class Trunc(Box):
    """y = a rounded towards zero (its integer part);   no gradient (piecewise constant)"""

    def fprop(self, a):
        return np.trunc(a)

    def bprop(self, grad, a):
        return None


@primitive("copysign", numpy=np.copysign, domain="kinkfree")
class Copysign(Box):
    """y = |a| with the sign of b (of its sign bit: -0.0 counts as negative);
    d a = d y * sign(a) sign(y) (so 0 at a = 0, as torch),  d b = 0 (piecewise constant)"""

    def fprop(self, a, b):
        return np.copysign(a, b)

    def bprop(self, grad, a, b):
        return grad * np.sign(a) * np.sign(self.value), None


@primitive("heaviside", numpy=np.heaviside, domain="kinkfree")
class Heaviside(Box):
    """y = 0 where a < 0, b where a = 0, 1 where a > 0 (np.heaviside);
    d a = 0 (piecewise constant),  d b = d y * 1[a = 0]"""

    def fprop(self, a, b):
        return np.heaviside(a, b)

    def bprop(self, grad, a, b):
        return None, grad * np.equal(a, 0)


@primitive("logaddexp2", numpy=np.logaddexp2)
class Logaddexp2(Box):
    """y = log2(2**a + 2**b) (no overflow);   d a = d y * sigmoid((a - b) log 2),
    d b = d y * sigmoid((b - a) log 2)  (= 2**(a - y) and 2**(b - y), without y's rounding)"""

    def fprop(self, a, b):
        return np.logaddexp2(a, b)

    def bprop(self, grad, a, b):
        return (grad * sigmoid((a - b) * math.log(2)),
                grad * sigmoid((b - a) * math.log(2)))


def _float64(x: Any) -> Any:
    if isinstance(x, Box):
        return Astype(x, np.float64)
    return np.asarray(x, np.float64) if np.ndim(x) else float(x)


@function("float_power", numpy=np.float_power, graphs=False)
def float_power(a: Any, b: Any, name: str | None = None) -> Box:
    """y = a**b computed in float64, as ``np.float_power`` (float32 inputs give float64;
    their gradients are float32 again);   the derivatives are :func:`power`'s"""
    return power_of(_float64(a), _float64(b)).named(name or "float_power")


@primitive(op="frexp_mantissa")
class Mantissa(Box):
    """m = frexp(a)[0], the mantissa: a = m 2**e, 0.5 <= |m| < 1 (m = a at 0, inf and
    NaN, with e = 0);   d a = d m 2**-e (e is piecewise constant)"""

    def fprop(self, a):
        return np.frexp(a)[0]

    def bprop(self, grad, a):
        exponent = Exponent(a) if on_boxes(a) else np.frexp(a)[1]
        with np.errstate(over="ignore"):  # a subnormal's slope, 2**1073, is inf
            return grad * astype_like(np.exp2(-exponent), self.value)


@primitive(op="frexp_exponent")
class Exponent(Box):
    """e = frexp(a)[1], the exponent (int32, as numpy's): a = m 2**e;   no gradient
    (piecewise constant)"""

    def fprop(self, a):
        return np.frexp(a)[1]

    def bprop(self, grad, a):
        return None


@function("frexp", box=Mantissa, numpy=np.frexp, graphs=False)
def frexp(x: Any, name: str | None = None) -> tuple[Box, Box]:
    """The mantissa and the exponent of x, as ``np.frexp``: x = m 2**e with
    0.5 <= |m| < 1 (m = x and e = 0 at 0, inf and NaN); the mantissa's gradient is
    2**-e, the exponent (int32) has none."""
    name = name or "frexp"
    return Mantissa(x, name=f"{name}.mantissa"), Exponent(x, name=f"{name}.exponent")
