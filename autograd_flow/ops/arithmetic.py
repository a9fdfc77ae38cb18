"""Binary arithmetic primitives with numpy broadcasting.

Each bprop returns gradients of the broadcast shape; the scheduler sums them back to
each input's shape with :func:`autograd_flow.unbroadcast`.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..box import Box, _user_site
from ..errors import BoxError
from .compare import Equal, Greater, Less
from .elementwise import Log
from .gradient import linear_in


class Add(Box):
    """y = a + b;   d a = d y,  d b = d y"""

    def fprop(self, a, b):
        return a + b

    def bprop(self, grad, a, b):
        return grad, grad

    def bprop_boxes(self, grad, a, b):
        return grad, grad


class Sub(Box):
    """y = a - b;   d a = d y,  d b = -d y"""

    def fprop(self, a, b):
        return a - b

    def bprop(self, grad, a, b):
        return grad, -grad

    def bprop_boxes(self, grad, a, b):
        return grad, -grad


class Mul(Box):
    """y = a * b;   d a = d y * b,  d b = d y * a"""

    def fprop(self, a, b):
        return a * b

    def bprop(self, grad, a, b):
        return grad * b, grad * a

    def bprop_boxes(self, grad, a, b):
        return grad * b, grad * a


class Div(Box):
    """y = a / b;   d a = d y / b,  d b = -d y * y / b"""

    def fprop(self, a, b):
        return a / b

    def bprop(self, grad, a, b):
        grad_a = grad / b
        return grad_a, -grad_a * self.value

    def bprop_boxes(self, grad, a, b):
        grad_a = grad / b
        return grad_a, -grad_a * self


class Pow(Box):
    """y = a**p for a number p;   d a = d y * p a**(p - 1)"""

    def __init__(self, a: Any, exponent: float, name: str | None = None) -> None:
        if isinstance(exponent, np.ndarray) and exponent.ndim == 0:
            exponent = exponent[()]
        if isinstance(exponent, bool) or not isinstance(
                exponent, (int, float, np.integer, np.floating)):
            raise BoxError(f"Pow (created at {_user_site()}) takes a number as exponent, "
                           f"not {exponent!r}; for a box exponent write a ** b (af.power)")
        # a numpy scalar exponent as a Python number, so it cannot promote float32
        self.exponent = exponent.item() if isinstance(exponent, np.generic) else exponent
        super().__init__(a, name=name)

    def fprop(self, a):
        return a ** self.exponent

    def bprop(self, grad, a):
        if self.exponent == 0:
            return None
        return grad * self.exponent * a ** (self.exponent - 1)

    def bprop_boxes(self, grad, a):
        if self.exponent == 0:
            return None
        return grad * self.exponent * a ** (self.exponent - 1)


class Maximum(Box):
    """y = max(a, b) elementwise;   d a = d y * 1[a > b],  d b = d y * 1[b > a],
    and half of d y to each at ties (a subgradient, as the average of both sides)."""

    def fprop(self, a, b):
        return np.maximum(a, b)

    def bprop(self, grad, a, b):
        grad_a = grad * (a > b) + 0.5 * grad * (a == b)
        return grad_a, grad - grad_a

    def bprop_boxes(self, grad, a, b):
        grad_a = grad * Greater(a, b) + 0.5 * grad * Equal(a, b)
        return grad_a, grad - grad_a


class Minimum(Box):
    """y = min(a, b) elementwise;   d a = d y * 1[a < b],  d b = d y * 1[b < a],
    and half of d y to each at ties (as maximum)"""

    def fprop(self, a, b):
        return np.minimum(a, b)

    def bprop(self, grad, a, b):
        grad_a = grad * (a < b) + 0.5 * grad * (a == b)
        return grad_a, grad - grad_a

    def bprop_boxes(self, grad, a, b):
        grad_a = grad * Less(a, b) + 0.5 * grad * Equal(a, b)
        return grad_a, grad - grad_a


class Power(Box):
    """y = a**b for a box exponent b;   d a = d y * b a**(b - 1),
    d b = d y * y log(a) where a > 0, and 0 where a <= 0 (no real logarithm)"""

    def fprop(self, a, b):
        return np.power(a, b)

    def bprop(self, grad, a, b):
        positive = a > 0
        return (grad * b * a ** (b - 1),
                grad * np.where(positive, self.value * np.log(np.where(positive, a, 1)), 0))

    def bprop_boxes(self, grad, a, b):
        positive = Greater(a, 0)
        return (grad * b * a ** (b - 1),
                grad * Where(positive, self * Log(Where(positive, a, 1)), 0))


class Where(Box):
    """y = a where cond else b (numpy broadcasting; cond boolean, no gradient);
    d a = d y where cond else 0,  d b = d y where not cond else 0"""

    def fprop(self, cond, a, b):
        return np.where(cond, a, b)

    def bprop(self, grad, cond, a, b):
        return None, np.where(cond, grad, 0), np.where(cond, 0, grad)

    bprop_boxes = linear_in(1, 2)
