"""Binary arithmetic primitives with numpy broadcasting.

Each bprop returns gradients of the broadcast shape; the scheduler sums them back to
each input's shape with :func:`autograd_flow.unbroadcast`.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..core.box import Box, Constant, user_site
from ..errors import BoxError
from .elementwise import sigmoid
from .plumbing import astype_like, sum_like
from .registry import builds, method, primitive


@primitive("add", numpy=np.add, common=True)
class Add(Box):
    """y = a + b;   d a = d y,  d b = d y"""

    def fprop(self, a, b):
        return a + b

    def bprop(self, grad, a, b):
        return grad, grad


@primitive("subtract", numpy=np.subtract, op="sub", common=True)
class Sub(Box):
    """y = a - b;   d a = d y,  d b = -d y"""

    def fprop(self, a, b):
        return a - b

    def bprop(self, grad, a, b):
        return grad, -grad


@primitive("multiply", numpy=np.multiply, op="mul", common=True)
class Mul(Box):
    """y = a * b;   d a = d y * b,  d b = d y * a"""

    def fprop(self, a, b):
        return a * b

    def bprop(self, grad, a, b):
        return grad * b, grad * a


@primitive("divide", numpy=np.divide, op="div", common=True, domain=("real", "nonzero"))
class Div(Box):
    """y = a / b;   d a = d y / b,  d b = -d y * y / b"""

    def fprop(self, a, b):
        return a / b

    def bprop(self, grad, a, b):
        grad_a = grad / b
        return grad_a, -grad_a * self.value


@primitive(op="pow", bound=4.0, common=True)
class Pow(Box):
    """y = a**p for a number p;   d a = d y * p a**(p - 1)"""

    def __init__(self, a: Any, exponent: float, name: str | None = None) -> None:
        if isinstance(exponent, np.ndarray) and exponent.ndim == 0:
            exponent = exponent[()]
        if isinstance(exponent, bool) or not isinstance(
                exponent, (int, float, np.integer, np.floating)):
            raise BoxError(f"Pow (created at {user_site()}) takes a number as exponent, "
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


@builds(np.power)
def power_of(a: Any, b: Any) -> Box:
    """``a ** b`` (and ``np.power(a, b)``) with a box: Pow for a number exponent (its
    derivative needs no logarithm), Power for a box or array exponent."""
    exponent = b.value if isinstance(b, Constant) else b
    if isinstance(exponent, Box) or np.ndim(exponent) != 0:
        return Power(a, b)
    return Pow(a, exponent=exponent)


@primitive("maximum", numpy=np.maximum, common=True)
class Maximum(Box):
    """y = max(a, b) elementwise;   d a = d y * 1[a > b],  d b = d y * 1[b > a],
    and half of d y to each at ties (a subgradient, as the average of both sides)."""

    def fprop(self, a, b):
        return np.maximum(a, b)

    def bprop(self, grad, a, b):
        grad_a = grad * (a > b) + 0.5 * grad * np.equal(a, b)
        return grad_a, grad - grad_a


@primitive("minimum", numpy=np.minimum, common=True)
class Minimum(Box):
    """y = min(a, b) elementwise;   d a = d y * 1[a < b],  d b = d y * 1[b < a],
    and half of d y to each at ties (as maximum)"""

    def fprop(self, a, b):
        return np.minimum(a, b)

    def bprop(self, grad, a, b):
        grad_a = grad * (a < b) + 0.5 * grad * np.equal(a, b)
        return grad_a, grad - grad_a


@primitive("power", common=True, domain="positive", bound=4.0)
class Power(Box):
    """y = a**b for a box exponent b;   d a = d y * b a**(b - 1), and 0 at a = b = 0
    (y = a**0 = 1 does not change; a = 1 stands in for 0 there, so no 0 * inf),
    d b = d y * y log(a) where a > 0, and 0 where a <= 0 (no real logarithm)"""

    def fprop(self, a, b):
        return np.power(a, b)

    def bprop(self, grad, a, b):
        positive = a > 0
        base = np.where(np.equal(a, 0) * np.equal(b, 0), 1, a)
        log_a = np.log(astype_like(np.where(positive, a, 1), self.value))  # a number as y's dtype
        with np.errstate(divide="ignore", invalid="ignore"):  # 0 ** (b - 1 < 0): infinite slope
            grad_a = grad * b * base ** (b - 1)
        return grad_a, grad * np.where(positive, self.value * log_a, 0)


@primitive("where", numpy=np.where, common=True)
class Where(Box):
    """y = a where cond else b (numpy broadcasting; cond boolean, no gradient);
    d a = d y where cond else 0,  d b = d y where not cond else 0"""

    def fprop(self, cond, a, b):
        return np.where(cond, a, b)

    def bprop(self, grad, cond, a, b):
        return None, np.where(cond, grad, 0), np.where(cond, 0, grad)

    linear_in = (1, 2)


@builds(np.select)
def _select(condlist: Any, choicelist: Any, default: Any = 0) -> Box:
    """``np.select(condlist, choicelist, default)`` where a choice, condition or the
    default is a box: each entry from the first choice whose condition holds, else from
    default (Where boxes, the last pair innermost), so each choice's gradient is d y
    where it was picked. Only numpy's dispatch reaches it: ``af.select`` is the
    hyper-parameter search."""
    condlist, choicelist = list(condlist), list(choicelist)
    if len(condlist) != len(choicelist):
        raise ValueError("np.select: list of cases must be same length as list of "
                         f"conditions (got {len(choicelist)} cases, {len(condlist)} conditions)")
    if not condlist:
        raise ValueError("np.select: select with an empty condition list is not possible")
    for position, cond in enumerate(condlist):
        if not isinstance(cond, Box) and np.asarray(cond).dtype != bool:
            raise TypeError(f"np.select: invalid entry {position} in condlist: should be "
                            "boolean ndarray")
    result = default
    for cond, choice in reversed(list(zip(condlist, choicelist))):
        result = Where(cond, choice, result, name="select")
    return result


@primitive("arctan2", numpy=np.arctan2)
class Arctan2(Box):
    """y = arctan2(a, b), the angle of the point (b, a) in (-pi, pi];
    d a = d y * b / (a**2 + b**2),  d b = -d y * a / (a**2 + b**2)  (not at a = b = 0)"""

    def fprop(self, a, b):
        return np.arctan2(a, b)

    def bprop(self, grad, a, b):
        radius2 = a * a + b * b
        return grad * b / radius2, -grad * a / radius2


@primitive("hypot", numpy=np.hypot)
class Hypot(Box):
    """y = sqrt(a**2 + b**2) (without overflow);   d a = d y * a / y,  d b = d y * b / y,
    and 0 at a = b = 0 (a subgradient, as abs's at 0)"""

    def fprop(self, a, b):
        return np.hypot(a, b)

    def bprop(self, grad, a, b):
        ratio = grad / np.where(np.equal(self.value, 0), 1, self.value)  # 0 / 1 at the origin
        return ratio * a, ratio * b


@primitive("logaddexp", numpy=np.logaddexp)
class Logaddexp(Box):
    """y = log(exp(a) + exp(b)) (no overflow);   d a = d y * sigmoid(a - b),
    d b = d y * sigmoid(b - a)  (= exp(a - y) and exp(b - y), without y's rounding)"""

    def fprop(self, a, b):
        return np.logaddexp(a, b)

    def bprop(self, grad, a, b):
        return grad * sigmoid(a - b), grad * sigmoid(b - a)


class _NanIgnoring(Box):
    """fmax and fmin: the input equal to y gets d y, half of it each at ties, and a NaN
    input none: d a = d y * (1[a == y] - 1[a == b] / 2),  d b = d y * (1[b == y] - 1[a == b] / 2)"""

    def bprop(self, grad, a, b):
        half_tie = 0.5 * grad * np.equal(a, b)
        return (grad * np.equal(a, self.value) - half_tie,
                grad * np.equal(b, self.value) - half_tie)


@primitive("fmax", numpy=np.fmax)
class Fmax(_NanIgnoring):
    """y = max(a, b) elementwise, ignoring NaN (the other input; NaN if both are);
    d a = d y * 1[a > b or b is NaN], d b likewise, half of d y to each at ties"""

    def fprop(self, a, b):
        return np.fmax(a, b)


@primitive("fmin", numpy=np.fmin)
class Fmin(_NanIgnoring):
    """y = min(a, b) elementwise, ignoring NaN (the other input; NaN if both are);
    d a = d y * 1[a < b or b is NaN], d b likewise, half of d y to each at ties"""

    def fprop(self, a, b):
        return np.fmin(a, b)


@primitive("mod", numpy=np.remainder, aliases=("remainder",))
class Mod(Box):
    """y = a mod b = a - b floor(a / b), with the sign of b (np.mod, np.remainder, %);
    d a = d y,  d b = -d y * floor(a / b)  (away from a / b integer, where y jumps)"""

    def fprop(self, a, b):
        return np.mod(a, b)

    def bprop(self, grad, a, b):
        return grad, -grad * np.floor(a / b)


@primitive("floor_divide", numpy=np.floor_divide, domain=("wide", "nonzero"))
class FloorDivide(Box):
    """y = floor(a / b) (np.floor_divide, //);   no gradient (piecewise constant in a
    and b: d a = d b = 0 away from the jumps, as floor's)"""

    def fprop(self, a, b):
        return np.floor_divide(a, b)

    def bprop(self, grad, a, b):
        return None, None


@primitive("fmod", numpy=np.fmod, domain=("wide", "nonzero"))
class Fmod(Box):
    """y = a - b trunc(a / b), with the sign of a (np.fmod, C's fmod);
    d a = d y,  d b = -d y * trunc(a / b)  (away from a / b integer, where y jumps)"""

    def fprop(self, a, b):
        return np.fmod(a, b)

    def bprop(self, grad, a, b):
        quotient = a / b
        return grad, -grad * (np.sign(quotient) * np.floor(np.abs(quotient)))  # trunc


@primitive("clip", numpy=np.clip)
class Clip(Box):
    """y = min(max(a, a_min), a_max) (np.clip: a_max wins where a_min > a_max); each bound
    a number, an array, a box (an input of the box) or None for no bound;
    d a = d y * 1[a_min < a < a_max]  (0 outside the bounds and on them),
    d a_min = d y * 1[a < a_min <= a_max],  d a_max = d y * 1[max(a, a_min) > a_max]
    (a box bound gets the gradient where it binds, as torch's clamp)"""

    def __init__(self, a: Any, a_min: Any = None, a_max: Any = None,
                 name: str | None = None) -> None:
        boxes = {s: v for s, v in (("a_min", a_min), ("a_max", a_max)) if isinstance(v, Box)}
        #: the bounds that are inputs (after a), in order (kept as settings too, so a
        #: graph file rebuilds the box from its attributes)
        self.bound_inputs = tuple(boxes)
        self.a_min: Any = a_min if "a_min" in boxes else _bound("a_min", a_min)
        self.a_max: Any = a_max if "a_max" in boxes else _bound("a_max", a_max)
        super().__init__(a, *boxes.values(), name=name)

    def _bounds(self, bounds: tuple[Any, ...]) -> tuple[Any, Any]:
        given = dict(zip(self.bound_inputs, bounds))
        return given.get("a_min", self.a_min), given.get("a_max", self.a_max)

    def fprop(self, a, *bounds):
        return np.clip(a, *self._bounds(bounds))

    def bprop(self, grad, a, *bounds):
        low, high = self._bounds(bounds)
        grad_a = grad
        if low is not None:
            grad_a = grad_a * (a > low)
        if high is not None:
            grad_a = grad_a * (a < high)
        if any(np.ndim(getattr(self, s)) for s in ("a_min", "a_max")
               if s not in self.bound_inputs):  # array settings may broadcast a
            grad_a = sum_like(grad_a, a)
        if not bounds:
            return grad_a
        gradients = {}
        if "a_min" in self.bound_inputs:
            gradients["a_min"] = grad * (a < low) if high is None \
                else grad * (a < low) * (low <= high)
        if "a_max" in self.bound_inputs:
            gradients["a_max"] = grad * ((a if low is None else np.maximum(a, low)) > high)
        return (grad_a, *(gradients[s] for s in self.bound_inputs))


def _bound(setting: str, value: Any) -> Any:
    """A bound of Clip that is not a box: None, a Python number (numpy scalars too, so
    they cannot promote float32) or a real array."""
    if value is None:
        return None
    array = np.asarray(value) if isinstance(value, (list, tuple, np.ndarray, np.generic)) \
        else value
    if isinstance(array, np.ndarray):
        if array.dtype.kind not in "iuf":
            raise BoxError(f"Clip (created at {user_site()}): {setting} must hold real "
                           f"numbers, not {array.dtype} values ({value!r})")
        return array.item() if array.ndim == 0 else array
    if isinstance(array, bool) or not isinstance(array, (int, float)):
        raise BoxError(f"Clip (created at {user_site()}): {setting} must be a number, an "
                       f"array or None, not {value!r}")
    return array


@method("clip")
def _clip(self: Box, min: Any = None, max: Any = None) -> Box:  # noqa: A002 (ndarray's names)
    """Limited to [min, max] (numbers, arrays, boxes or None), as ``ndarray.clip``;
    gradient 1 strictly inside, 0 outside and on the bounds (see :class:`Clip`)."""
    return Clip(self, a_min=min, a_max=max)
