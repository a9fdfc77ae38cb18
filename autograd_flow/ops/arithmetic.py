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
from .elementwise import Floor, Log, Sigmoid, _sigmoid
from .gradient import SumLike, linear_in


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


class Arctan2(Box):
    """y = arctan2(a, b), the angle of the point (b, a) in (-pi, pi];
    d a = d y * b / (a**2 + b**2),  d b = -d y * a / (a**2 + b**2)  (not at a = b = 0)"""

    def fprop(self, a, b):
        return np.arctan2(a, b)

    def bprop(self, grad, a, b):
        radius2 = a * a + b * b
        return grad * b / radius2, -grad * a / radius2

    def bprop_boxes(self, grad, a, b):
        radius2 = a * a + b * b
        return grad * b / radius2, -grad * a / radius2


class Hypot(Box):
    """y = sqrt(a**2 + b**2) (without overflow);   d a = d y * a / y,  d b = d y * b / y,
    and 0 at a = b = 0 (a subgradient, as abs's at 0)"""

    def fprop(self, a, b):
        return np.hypot(a, b)

    def bprop(self, grad, a, b):
        ratio = grad / np.where(self.value == 0, 1, self.value)  # 0 / 1 at the origin
        return ratio * a, ratio * b

    def bprop_boxes(self, grad, a, b):
        ratio = grad / Where(Equal(self, 0), 1, self)
        return ratio * a, ratio * b


class Logaddexp(Box):
    """y = log(exp(a) + exp(b)) (no overflow);   d a = d y * sigmoid(a - b),
    d b = d y * sigmoid(b - a)  (= exp(a - y) and exp(b - y), without y's rounding)"""

    def fprop(self, a, b):
        return np.logaddexp(a, b)

    def bprop(self, grad, a, b):
        return grad * _sigmoid(a - b), grad * _sigmoid(b - a)

    def bprop_boxes(self, grad, a, b):
        return grad * Sigmoid(a - b), grad * Sigmoid(b - a)


class _NanIgnoring(Box):
    """fmax and fmin: the input equal to y gets d y, half of it each at ties, and a NaN
    input none: d a = d y * (1[a == y] - 1[a == b] / 2),  d b = d y * (1[b == y] - 1[a == b] / 2)"""

    def bprop(self, grad, a, b):
        half_tie = 0.5 * grad * (a == b)
        return grad * (a == self.value) - half_tie, grad * (b == self.value) - half_tie

    def bprop_boxes(self, grad, a, b):
        half_tie = 0.5 * grad * Equal(a, b)
        return grad * Equal(a, self) - half_tie, grad * Equal(b, self) - half_tie


class Fmax(_NanIgnoring):
    """y = max(a, b) elementwise, ignoring NaN (the other input; NaN if both are);
    d a = d y * 1[a > b or b is NaN], d b likewise, half of d y to each at ties"""

    def fprop(self, a, b):
        return np.fmax(a, b)


class Fmin(_NanIgnoring):
    """y = min(a, b) elementwise, ignoring NaN (the other input; NaN if both are);
    d a = d y * 1[a < b or b is NaN], d b likewise, half of d y to each at ties"""

    def fprop(self, a, b):
        return np.fmin(a, b)


class Mod(Box):
    """y = a mod b = a - b floor(a / b), with the sign of b (np.mod, np.remainder, %);
    d a = d y,  d b = -d y * floor(a / b)  (away from a / b integer, where y jumps)"""

    def fprop(self, a, b):
        return np.mod(a, b)

    def bprop(self, grad, a, b):
        return grad, -grad * np.floor(a / b)

    def bprop_boxes(self, grad, a, b):
        return grad, -grad * Floor(a / b)


class Clip(Box):
    """y = a limited to [a_min, a_max] (settings: numbers, arrays or None for no bound);
    d a = d y * 1[a_min < a < a_max]  (0 outside the bounds and on them)"""

    def __init__(self, a: Any, a_min: Any = None, a_max: Any = None,
                 name: str | None = None) -> None:
        self.a_min = _bound("a_min", a_min)
        self.a_max = _bound("a_max", a_max)
        super().__init__(a, name=name)

    def fprop(self, a):
        return np.clip(a, self.a_min, self.a_max)

    def bprop(self, grad, a):
        if self.a_min is not None:
            grad = grad * (a > self.a_min)
        if self.a_max is not None:
            grad = grad * (a < self.a_max)
        return grad

    def bprop_boxes(self, grad, a):
        if self.a_min is not None:
            grad = grad * Greater(a, self.a_min)
        if self.a_max is not None:
            grad = grad * Less(a, self.a_max)
        if np.ndim(self.a_min) or np.ndim(self.a_max):  # array bounds may broadcast a:
            return SumLike(grad, a)  # af.grad sums back only for boxes of several inputs
        return grad


def _bound(setting: str, value: Any) -> Any:
    """A bound of Clip: None, a Python number (numpy scalars too, so they cannot promote
    float32) or a real array."""
    if value is None:
        return None
    if isinstance(value, Box):
        raise BoxError(f"Clip (created at {_user_site()}): {setting} is a setting (a number "
                       f"or an array), not a box; for bounds computed in the graph write "
                       f"af.minimum(af.maximum(a, low), high)")
    array = np.asarray(value) if isinstance(value, (list, tuple, np.ndarray, np.generic)) \
        else value
    if isinstance(array, np.ndarray):
        if array.dtype.kind not in "iuf":
            raise BoxError(f"Clip (created at {_user_site()}): {setting} must hold real "
                           f"numbers, not {array.dtype} values ({value!r})")
        return array.item() if array.ndim == 0 else array
    if isinstance(array, bool) or not isinstance(array, (int, float)):
        raise BoxError(f"Clip (created at {_user_site()}): {setting} must be a number, an "
                       f"array or None, not {value!r}")
    return array
