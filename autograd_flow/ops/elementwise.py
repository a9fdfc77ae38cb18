"""Elementwise primitives of one input: y = g(a), d a = d y * g'(a)."""
from __future__ import annotations

import numpy as np

from ..box import Box
from .compare import Greater


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
        e = np.exp(-np.abs(a))  # never overflows; exact for large negative a too
        return np.where(a >= 0, 1, e) / (1 + e)

    def bprop(self, grad, a):
        return grad * self.value * (1 - self.value)

    def bprop_boxes(self, grad, a):
        return grad * self * (1 - self)


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


class Sign(Box):
    """y = sign(a) (-1, 0 or 1);   d a = 0 (piecewise constant: no gradient)"""

    def fprop(self, a):
        return np.sign(a)

    def bprop(self, grad, a):
        return None

    def bprop_boxes(self, grad, a):
        return None
