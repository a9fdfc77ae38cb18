"""Elementwise primitives of one input: y = g(a), d a = d y * g'(a).

The trigonometric and hyperbolic functions are in :mod:`autograd_flow.ops.trig`.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core.box import Box, user_site
from ..errors import BoxError
from .plumbing import ZerosLike, on_boxes
from .registry import builds, function, method, primitive


@primitive("exp", numpy=np.exp, common=True, bound=4.0)
class Exp(Box):
    """y = exp(a);   d a = d y * y"""

    def fprop(self, a):
        return np.exp(a)

    def bprop(self, grad, a):
        return grad * self.value


@primitive("log", numpy=np.log, common=True, domain="positive")
class Log(Box):
    """y = log(a) for a > 0;   d a = d y / a"""

    def fprop(self, a):
        return np.log(a)

    def bprop(self, grad, a):
        return grad / a


@primitive("tanh", numpy=np.tanh, common=True)
class Tanh(Box):
    """y = tanh(a);   d a = d y * (1 - y**2)   (lecture: tanh'(a) = 1 - tanh(a)^2)"""

    def fprop(self, a):
        return np.tanh(a)

    def bprop(self, grad, a):
        y = self.value
        return grad * (1 - y * y)


@primitive("sigmoid", common=True)
class Sigmoid(Box):
    """y = 1 / (1 + exp(-a));   d a = d y * y (1 - y)   (lecture: g'(a) = g(a)(1 - g(a)))"""

    def fprop(self, a):
        return sigmoid(a)

    def bprop(self, grad, a):
        y = self.value
        return grad * y * (1 - y)


def sigmoid(a: Any) -> Any:
    """1 / (1 + exp(-a)) without overflow, to full relative accuracy both ways (the
    derivative of softplus and log_sigmoid): a Sigmoid box for a box."""
    if on_boxes(a):
        return Sigmoid(a)
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1, e) / (1 + e)


@primitive("relu", common=True, domain="kinkfree")
class Relu(Box):
    """y = max(0, a);   d a = d y * 1[a > 0]   (subgradient 0 at a = 0)"""

    def fprop(self, a):
        return np.maximum(a, 0)

    def bprop(self, grad, a):
        return grad * (a > 0)


@primitive("identity", common=True)
class Identity(Box):
    """y = a;   d a = d y   (the lecture's linear activation)"""

    def fprop(self, a):
        return a

    def bprop(self, grad, a):
        return grad


@function("copy", numpy=np.copy, graphs=False)
def copy(a: Any, name: str | None = None) -> Box:
    """y = a, as ``np.copy`` (a box never writes into its input's value);   d a = d y"""
    return Identity(a, name=name or "copy")


@function("positive", numpy=np.positive, graphs=False)
def positive(a: Any, name: str | None = None) -> Box:
    """y = +a, as ``np.positive``;   d a = d y"""
    return Identity(a, name=name or "positive")


@function("real", numpy=(np.real, np.real_if_close), aliases=("real_if_close",), graphs=False)
def real(a: Any, name: str | None = None) -> Box:
    """y = a: the real part of a real array (complex values never enter a graph: a
    Parameter, a Constant and a feed refuse them);   d a = d y"""
    return Identity(a, name=name or "real")


@function("conjugate", numpy=np.conjugate, aliases=("conj",), graphs=False)
def conjugate(a: Any, name: str | None = None) -> Box:
    """y = a: the complex conjugate of a real array (complex values never enter a
    graph);   d a = d y"""
    return Identity(a, name=name or "conjugate")


@function("imag", numpy=np.imag, graphs=False)
def imag(a: Any, name: str | None = None) -> Box:
    """y = zeros of a's shape and dtype: the imaginary part of a real array (complex
    values never enter a graph);   no gradient"""
    return ZerosLike(a, name=name or "imag")


@primitive("angle", numpy=np.angle, domain="kinkfree")
class Angle(Box):
    """y = the angle of a real a as a complex number: pi where a < 0 (and at -0.0), 0
    where a >= 0 (180 and 0 with ``deg``), as np.angle;   no gradient (piecewise constant)"""

    def __init__(self, a: Any, deg: bool = False, name: str | None = None) -> None:
        self.deg = bool(deg)
        super().__init__(a, name=name)

    def fprop(self, a):
        return np.angle(a, deg=self.deg)

    def bprop(self, grad, a):
        return None


@primitive("reciprocal", numpy=np.reciprocal, domain="nonzero")
class Reciprocal(Box):
    """y = 1 / a;   d a = -d y y**2  (= -d y / a**2)"""

    def fprop(self, a):
        return np.reciprocal(a)

    def bprop(self, grad, a):
        return -grad * (self.value * self.value)


@primitive("square", numpy=np.square, common=True, bound=10.0)
class Square(Box):
    """y = a**2;   d a = 2 a d y"""

    def fprop(self, a):
        return a * a

    def bprop(self, grad, a):
        return 2 * a * grad


@primitive("abs", numpy=(np.absolute, np.fabs), aliases=("fabs",), common=True, domain="kinkfree")
class Abs(Box):
    """y = |a|;   d a = sign(a) d y   (lecture: sign(a) = 1[a > 0] - 1[a < 0], 0 at a = 0)"""

    def fprop(self, a):
        return np.abs(a)

    def bprop(self, grad, a):
        return np.sign(a) * grad


@primitive("negative", numpy=np.negative, op="neg", common=True)
class Neg(Box):
    """y = -a;   d a = -d y"""

    def fprop(self, a):
        return -a

    def bprop(self, grad, a):
        return -grad


class _PiecewiseConstant(Box):
    """y = g(a) constant between jumps (sign, floor, ceil, round);   no gradient (d a = 0)"""

    def bprop(self, grad, a):
        return None


@primitive("sign", numpy=np.sign, common=True, domain="kinkfree")
class Sign(_PiecewiseConstant):
    """y = sign(a) (-1, 0 or 1);   d a = 0 (piecewise constant: no gradient)"""

    def fprop(self, a):
        return np.sign(a)


@primitive("sqrt", numpy=np.sqrt, domain="positive")
class Sqrt(Box):
    """y = sqrt(a) for a > 0;   d a = d y / (2 y)"""

    def fprop(self, a):
        return np.sqrt(a)

    def bprop(self, grad, a):
        return grad / (2 * self.value)


@primitive("cbrt", numpy=np.cbrt, domain="nonzero")
class Cbrt(Box):
    """y = a**(1/3) (real, any sign);   d a = d y / (3 y**2) for a != 0"""

    def fprop(self, a):
        return np.cbrt(a)

    def bprop(self, grad, a):
        y = self.value
        return grad / (3 * (y * y))


@primitive("log1p", numpy=np.log1p, bound=0.9)
class Log1p(Box):
    """y = log(1 + a) for a > -1 (accurate for small a);   d a = d y / (1 + a)"""

    def fprop(self, a):
        return np.log1p(a)

    def bprop(self, grad, a):
        return grad / (1 + a)


@primitive("expm1", numpy=np.expm1, bound=4.0)
class Expm1(Box):
    """y = exp(a) - 1 (accurate for small a);   d a = d y * (y + 1)"""

    def fprop(self, a):
        return np.expm1(a)

    def bprop(self, grad, a):
        return grad * (self.value + 1)


@primitive("log2", numpy=np.log2, domain="positive")
class Log2(Box):
    """y = log2(a) for a > 0;   d a = d y / (a log 2)"""

    def fprop(self, a):
        return np.log2(a)

    def bprop(self, grad, a):
        return grad / (a * math.log(2))


@primitive("log10", numpy=np.log10, domain="positive")
class Log10(Box):
    """y = log10(a) for a > 0;   d a = d y / (a log 10)"""

    def fprop(self, a):
        return np.log10(a)

    def bprop(self, grad, a):
        return grad / (a * math.log(10))


@primitive("exp2", numpy=np.exp2, bound=4.0)
class Exp2(Box):
    """y = 2**a;   d a = d y * y log 2"""

    def fprop(self, a):
        return np.exp2(a)

    def bprop(self, grad, a):
        return grad * self.value * math.log(2)


@primitive("softplus")
class Softplus(Box):
    """y = log(1 + exp(a)) = max(a, 0) + log1p(exp(-|a|)) (no overflow; accurate for
    large negative a);   d a = d y * sigmoid(a)"""

    def fprop(self, a):
        return np.maximum(a, 0) + np.log1p(np.exp(-np.abs(a)))

    def bprop(self, grad, a):
        return grad * sigmoid(a)


@primitive("log_sigmoid")
class LogSigmoid(Box):
    """y = log sigmoid(a) = min(a, 0) - log1p(exp(-|a|)) (no overflow; accurate both
    ways);   d a = d y * sigmoid(-a)"""

    def fprop(self, a):
        return np.minimum(a, 0) - np.log1p(np.exp(-np.abs(a)))

    def bprop(self, grad, a):
        return grad * sigmoid(-a)


@primitive("floor", numpy=np.floor)
class Floor(_PiecewiseConstant):
    """y = floor(a), the largest integer <= a;   no gradient (piecewise constant)"""

    def fprop(self, a):
        return np.floor(a)


@primitive("ceil", numpy=np.ceil)
class Ceil(_PiecewiseConstant):
    """y = ceil(a), the smallest integer >= a;   no gradient (piecewise constant)"""

    def fprop(self, a):
        return np.ceil(a)


@primitive("round", numpy=(np.round, np.around), aliases=("around",), method="round")
class Round(_PiecewiseConstant):
    """y = a rounded to ``decimals`` places (negative: to tens, hundreds, ...), halves
    to even (np.round);   no gradient (piecewise constant)"""

    def __init__(self, a: Any, decimals: int = 0, name: str | None = None) -> None:
        if isinstance(decimals, bool) or not isinstance(decimals, (int, np.integer)):
            raise BoxError(f"Round (created at {user_site()}): decimals must be an integer "
                           f"(places after the point; negative for tens, hundreds, ...), "
                           f"not {decimals!r}")
        self.decimals = int(decimals)
        super().__init__(a, name=name)

    def fprop(self, a):
        return np.round(a, self.decimals)


@method("__round__")
def _round_builtin(self: Box, ndigits: int | None = None) -> Box:
    """``round(box)`` or ``round(box, 2)``: a Round box, as ``round`` of an ndarray
    gives an array (no gradient)."""
    return Round(self, decimals=0 if ndigits is None else ndigits)


@primitive("nan_to_num", numpy=np.nan_to_num)
class NanToNum(Box):
    """y = a with NaN -> nan, +inf -> posinf, -inf -> neginf (np.nan_to_num; by default
    0 and the dtype's largest and smallest numbers);   d a = d y * 1[a finite]. numpy's
    ``copy`` is accepted: a box never writes into its input."""

    def __init__(self, x: Any, copy: bool = True, nan: float = 0.0,
                 posinf: float | None = None, neginf: float | None = None,
                 name: str | None = None) -> None:
        self.nan = _number("nan", nan)
        self.posinf = None if posinf is None else _number("posinf", posinf)
        self.neginf = None if neginf is None else _number("neginf", neginf)
        super().__init__(x, name=name)

    def fprop(self, a):
        return np.nan_to_num(a, nan=self.nan, posinf=self.posinf, neginf=self.neginf)

    def bprop(self, grad, a):
        return grad * (abs(a) < math.inf)  # 1[a finite]: False for NaN and +-inf


def _number(setting: str, value: Any) -> float:
    """A real number setting of NanToNum, as a Python number (so it cannot promote)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise BoxError(f"NanToNum (created at {user_site()}): {setting} must be a real "
                       f"number, not {value!r}")
    return value.item() if isinstance(value, np.generic) else value


@builds(np.positive)
def _positive(a: Any) -> Any:
    """``+box`` (and ``np.positive(box)``): the box itself, as ``+`` of a number."""
    return a
