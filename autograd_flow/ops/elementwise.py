"""Elementwise primitives of one input: y = g(a), d a = d y * g'(a).

The trigonometric and hyperbolic functions are in :mod:`autograd_flow.ops.trig`.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..box import Box, _user_site
from ..errors import BoxError
from .compare import Greater, Less


class Exp(Box):
    """y = exp(a);   d a = d y * y"""

    def fprop(self, a):
        return np.exp(a)

    def bprop(self, grad, a):
        return grad * self.value

    def bprop_boxes(self, grad, a):
        return grad * self


class Log(Box):
    """y = log(a) for a > 0;   d a = d y / a"""

    def fprop(self, a):
        return np.log(a)

    def bprop(self, grad, a):
        return grad / a

    def bprop_boxes(self, grad, a):
        return grad / a


class Tanh(Box):
    """y = tanh(a);   d a = d y * (1 - y**2)   (lecture: tanh'(a) = 1 - tanh(a)^2)"""

    def fprop(self, a):
        return np.tanh(a)

    def bprop(self, grad, a):
        return grad * (1 - self.value * self.value)

    def bprop_boxes(self, grad, a):
        return grad * (1 - self * self)


class Sigmoid(Box):
    """y = 1 / (1 + exp(-a));   d a = d y * y (1 - y)   (lecture: g'(a) = g(a)(1 - g(a)))"""

    def fprop(self, a):
        return _sigmoid(a)

    def bprop(self, grad, a):
        return grad * self.value * (1 - self.value)

    def bprop_boxes(self, grad, a):
        return grad * self * (1 - self)


def _sigmoid(a: Any) -> Any:
    """1 / (1 + exp(-a)) without overflow, to full relative accuracy for large negative a
    too (Sigmoid's value; the derivative of softplus and log_sigmoid)."""
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1, e) / (1 + e)


class Relu(Box):
    """y = max(0, a);   d a = d y * 1[a > 0]   (subgradient 0 at a = 0)"""

    def fprop(self, a):
        return np.maximum(a, 0)

    def bprop(self, grad, a):
        return grad * (a > 0)

    def bprop_boxes(self, grad, a):
        return grad * Greater(a, 0)


class Identity(Box):
    """y = a;   d a = d y   (the lecture's linear activation)"""

    def fprop(self, a):
        return a

    def bprop(self, grad, a):
        return grad

    def bprop_boxes(self, grad, a):
        return grad


class Square(Box):
    """y = a**2;   d a = 2 a d y"""

    def fprop(self, a):
        return a * a

    def bprop(self, grad, a):
        return 2 * a * grad

    def bprop_boxes(self, grad, a):
        return 2 * a * grad


class Abs(Box):
    """y = |a|;   d a = sign(a) d y   (lecture: sign(a) = 1[a > 0] - 1[a < 0], 0 at a = 0)"""

    def fprop(self, a):
        return np.abs(a)

    def bprop(self, grad, a):
        return np.sign(a) * grad

    def bprop_boxes(self, grad, a):
        return Sign(a) * grad


class Neg(Box):
    """y = -a;   d a = -d y"""

    def fprop(self, a):
        return -a

    def bprop(self, grad, a):
        return -grad

    def bprop_boxes(self, grad, a):
        return -grad


class _PiecewiseConstant(Box):
    """y = g(a) constant between jumps (sign, floor, ceil, round);   no gradient (d a = 0)"""

    def bprop(self, grad, a):
        return None

    def bprop_boxes(self, grad, a):
        return None


class Sign(_PiecewiseConstant):
    """y = sign(a) (-1, 0 or 1);   d a = 0 (piecewise constant: no gradient)"""

    def fprop(self, a):
        return np.sign(a)


class Sqrt(Box):
    """y = sqrt(a) for a > 0;   d a = d y / (2 y)"""

    def fprop(self, a):
        return np.sqrt(a)

    def bprop(self, grad, a):
        return grad / (2 * self.value)

    def bprop_boxes(self, grad, a):
        return grad / (2 * self)


class Cbrt(Box):
    """y = a**(1/3) (real, any sign);   d a = d y / (3 y**2) for a != 0"""

    def fprop(self, a):
        return np.cbrt(a)

    def bprop(self, grad, a):
        return grad / (3 * (self.value * self.value))

    def bprop_boxes(self, grad, a):
        return grad / (3 * (self * self))


class Log1p(Box):
    """y = log(1 + a) for a > -1 (accurate for small a);   d a = d y / (1 + a)"""

    def fprop(self, a):
        return np.log1p(a)

    def bprop(self, grad, a):
        return grad / (1 + a)

    def bprop_boxes(self, grad, a):
        return grad / (1 + a)


class Expm1(Box):
    """y = exp(a) - 1 (accurate for small a);   d a = d y * (y + 1)"""

    def fprop(self, a):
        return np.expm1(a)

    def bprop(self, grad, a):
        return grad * (self.value + 1)

    def bprop_boxes(self, grad, a):
        return grad * (self + 1)


class Log2(Box):
    """y = log2(a) for a > 0;   d a = d y / (a log 2)"""

    def fprop(self, a):
        return np.log2(a)

    def bprop(self, grad, a):
        return grad / (a * math.log(2))

    def bprop_boxes(self, grad, a):
        return grad / (a * math.log(2))


class Log10(Box):
    """y = log10(a) for a > 0;   d a = d y / (a log 10)"""

    def fprop(self, a):
        return np.log10(a)

    def bprop(self, grad, a):
        return grad / (a * math.log(10))

    def bprop_boxes(self, grad, a):
        return grad / (a * math.log(10))


class Exp2(Box):
    """y = 2**a;   d a = d y * y log 2"""

    def fprop(self, a):
        return np.exp2(a)

    def bprop(self, grad, a):
        return grad * self.value * math.log(2)

    def bprop_boxes(self, grad, a):
        return grad * self * math.log(2)


class Softplus(Box):
    """y = log(1 + exp(a)) = max(a, 0) + log1p(exp(-|a|)) (no overflow; accurate for
    large negative a);   d a = d y * sigmoid(a)"""

    def fprop(self, a):
        return np.maximum(a, 0) + np.log1p(np.exp(-np.abs(a)))

    def bprop(self, grad, a):
        return grad * _sigmoid(a)

    def bprop_boxes(self, grad, a):
        return grad * Sigmoid(a)


class LogSigmoid(Box):
    """y = log sigmoid(a) = min(a, 0) - log1p(exp(-|a|)) (no overflow; accurate both
    ways);   d a = d y * sigmoid(-a)"""

    def fprop(self, a):
        return np.minimum(a, 0) - np.log1p(np.exp(-np.abs(a)))

    def bprop(self, grad, a):
        return grad * _sigmoid(-a)

    def bprop_boxes(self, grad, a):
        return grad * Sigmoid(-a)


class Floor(_PiecewiseConstant):
    """y = floor(a), the largest integer <= a;   no gradient (piecewise constant)"""

    def fprop(self, a):
        return np.floor(a)


class Ceil(_PiecewiseConstant):
    """y = ceil(a), the smallest integer >= a;   no gradient (piecewise constant)"""

    def fprop(self, a):
        return np.ceil(a)


class Round(_PiecewiseConstant):
    """y = a rounded to ``decimals`` places, halves to even (np.round);   no gradient
    (piecewise constant)"""

    def __init__(self, a: Any, decimals: int = 0, name: str | None = None) -> None:
        if isinstance(decimals, bool) or not isinstance(decimals, (int, np.integer)):
            raise BoxError(f"Round (created at {_user_site()}): decimals must be an integer "
                           f"(places after the point; negative for tens, hundreds, ...), "
                           f"not {decimals!r}")
        self.decimals = int(decimals)
        super().__init__(a, name=name)

    def fprop(self, a):
        return np.round(a, self.decimals)


class NanToNum(Box):
    """y = a with NaN -> nan, +inf -> posinf, -inf -> neginf (np.nan_to_num; by default
    0 and the dtype's largest and smallest numbers);   d a = d y * 1[a finite]"""

    def __init__(self, a: Any, nan: float = 0.0, posinf: float | None = None,
                 neginf: float | None = None, name: str | None = None) -> None:
        self.nan = _number("nan", nan)
        self.posinf = None if posinf is None else _number("posinf", posinf)
        self.neginf = None if neginf is None else _number("neginf", neginf)
        super().__init__(a, name=name)

    def fprop(self, a):
        return np.nan_to_num(a, nan=self.nan, posinf=self.posinf, neginf=self.neginf)

    def bprop(self, grad, a):
        return grad * np.isfinite(a)

    def bprop_boxes(self, grad, a):
        return grad * Less(Abs(a), math.inf)  # 1[a finite]: False for NaN and +-inf


def _number(setting: str, value: Any) -> float:
    """A real number setting of NanToNum, as a Python number (so it cannot promote)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise BoxError(f"NanToNum (created at {_user_site()}): {setting} must be a real "
                       f"number, not {value!r}")
    return value.item() if isinstance(value, np.generic) else value
