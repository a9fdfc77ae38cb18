"""Binary arithmetic primitives with numpy broadcasting.

Each bprop returns gradients of the broadcast shape; the scheduler sums them back to
each input's shape with :func:`autograd_flow.unbroadcast`.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..box import Box, _user_site
from ..errors import BoxError


class Add(Box):
    """y = a + b;   d a = d y,  d b = d y"""

    def fprop(self, a, b):
        return a + b

    def bprop(self, grad, a, b):
        return grad, grad


class Sub(Box):
    """y = a - b;   d a = d y,  d b = -d y"""

    def fprop(self, a, b):
        return a - b

    def bprop(self, grad, a, b):
        return grad, -grad


class Mul(Box):
    """y = a * b;   d a = d y * b,  d b = d y * a"""

    def fprop(self, a, b):
        return a * b

    def bprop(self, grad, a, b):
        return grad * b, grad * a


class Div(Box):
    """y = a / b;   d a = d y / b,  d b = -d y * y / b"""

    def fprop(self, a, b):
        return a / b

    def bprop(self, grad, a, b):
        grad_a = grad / b
        return grad_a, -grad_a * self.value


class Pow(Box):
    """y = a**p for a number p;   d a = d y * p a**(p - 1)"""

    def __init__(self, a: Any, exponent: float, name: str | None = None) -> None:
        if isinstance(exponent, Box) or np.ndim(exponent) != 0:
            raise BoxError(f"Pow (created at {_user_site()}) takes a number as exponent, "
                           f"not {exponent!r}; for a box exponent use af.exp(b * af.log(a))")
        # a numpy scalar exponent as a Python number, so it cannot promote float32
        self.exponent = exponent.item() if isinstance(exponent, (np.generic, np.ndarray)) \
            else exponent
        super().__init__(a, name=name)

    def fprop(self, a):
        return a ** self.exponent

    def bprop(self, grad, a):
        if self.exponent == 0:
            return np.zeros_like(grad * a)
        return grad * self.exponent * a ** (self.exponent - 1)


class Maximum(Box):
    """y = max(a, b) elementwise;   d a = d y * 1[a > b],  d b = d y * 1[b > a],
    and half of d y to each at ties (a subgradient, as the average of both sides)."""

    def fprop(self, a, b):
        return np.maximum(a, b)

    def bprop(self, grad, a, b):
        grad_a = grad * (a > b) + 0.5 * grad * (a == b)
        return grad_a, grad - grad_a
