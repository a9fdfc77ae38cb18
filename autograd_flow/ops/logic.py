"""numpy's logic functions: the logical operators, the tests of a number's kind
(``isfinite``, ``isinf``, ``isposinf``, ``isneginf``, ``signbit``, ``isreal``), the
truth of a slice (``all``, ``any``), closeness (``isclose``, ``allclose``) and equality
of whole arrays (``array_equal``). Their values are
booleans and they have no gradient (they are piecewise constant); boxes use them as
masks, as the comparisons. (``isnan`` is in :mod:`.nan`.)"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..core.box import Box, user_site
from ..errors import BoxError
from .reduce import Axis, reduced_axes
from .registry import primitive


class _Predicate(Box):
    """y = a boolean of each entry of a;   no gradient"""

    def bprop(self, grad, a):
        return None


class _Connective(Box):
    """y = a boolean of a and b, with broadcasting;   no gradient to a or b"""

    def bprop(self, grad, a, b):
        return None, None


@primitive("logical_and", numpy=np.logical_and)
class LogicalAnd(_Connective):
    """y = 1[a != 0 and b != 0]"""

    def fprop(self, a, b):
        return np.logical_and(a, b)


@primitive("logical_or", numpy=np.logical_or)
class LogicalOr(_Connective):
    """y = 1[a != 0 or b != 0]"""

    def fprop(self, a, b):
        return np.logical_or(a, b)


@primitive("logical_xor", numpy=np.logical_xor)
class LogicalXor(_Connective):
    """y = 1[(a != 0) != (b != 0)]"""

    def fprop(self, a, b):
        return np.logical_xor(a, b)


@primitive("logical_not", numpy=np.logical_not)
class LogicalNot(_Predicate):
    """y = 1[a == 0]"""

    def fprop(self, a):
        return np.logical_not(a)


@primitive("isfinite", numpy=np.isfinite)
class IsFinite(_Predicate):
    """y = 1[a is neither infinite nor NaN]"""

    def fprop(self, a):
        return np.isfinite(a)


@primitive("isinf", numpy=np.isinf)
class IsInf(_Predicate):
    """y = 1[a is +inf or -inf]"""

    def fprop(self, a):
        return np.isinf(a)


@primitive("isposinf", numpy=np.isposinf)
class IsPosInf(_Predicate):
    """y = 1[a is +inf]"""

    def fprop(self, a):
        return np.isposinf(a)


@primitive("isneginf", numpy=np.isneginf)
class IsNegInf(_Predicate):
    """y = 1[a is -inf]"""

    def fprop(self, a):
        return np.isneginf(a)


@primitive("signbit", numpy=np.signbit)
class Signbit(_Predicate):
    """y = 1[the sign bit of a is set] (true at -0.0)"""

    def fprop(self, a):
        return np.signbit(a)


@primitive("isreal", numpy=np.isreal)
class IsReal(_Predicate):
    """y = 1 everywhere: every entry of a real array is real (complex values never enter
    a graph)"""

    def fprop(self, a):
        return np.isreal(a)


@primitive("array_equal", numpy=np.array_equal)
class ArrayEqual(_Connective):
    """y = 1[a and b have the same shape and entries], a 0-d boolean (NaN equal to NaN
    if equal_nan)"""

    def __init__(self, a1: Any, a2: Any, equal_nan: bool = False,
                 name: str | None = None) -> None:
        self.equal_nan = bool(equal_nan)
        super().__init__(a1, a2, name=name)

    def fprop(self, a, b):
        return np.asarray(np.array_equal(a, b, equal_nan=self.equal_nan))


class _Truth(_Predicate):
    """A boolean reduction over ``axis`` (numpy's axis rules and keepdims)."""

    def __init__(self, a: Any, axis: Axis = None, keepdims: bool = False,
                 name: str | None = None) -> None:
        self.axis = tuple(axis) if isinstance(axis, (list, tuple)) else axis
        self.keepdims = bool(keepdims)
        super().__init__(a, name=name)

    def axes(self, a: Any) -> tuple[int, ...]:
        return reduced_axes(self.axis, np.ndim(a))


@primitive("all", numpy=np.all, method="all")
class AllTrue(_Truth):
    """y = 1[every entry of a over axis is nonzero] (true for an empty slice)"""

    def fprop(self, a):
        return np.asarray(np.all(a, axis=self.axes(a), keepdims=self.keepdims))


@primitive("any", numpy=np.any, method="any")
class AnyTrue(_Truth):
    """y = 1[some entry of a over axis is nonzero] (false for an empty slice)"""

    def fprop(self, a):
        return np.asarray(np.any(a, axis=self.axes(a), keepdims=self.keepdims))


def _tolerance(box: str, setting: str, value: Any) -> float:
    """rtol or atol of isclose: a real number >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not value >= 0:
        raise BoxError(f"{box} (created at {user_site()}): {setting} must be a number >= 0, "
                       f"not {value!r}")
    return float(value)


class _Closeness(Box):
    def __init__(self, a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08,
                 equal_nan: bool = False, name: str | None = None) -> None:
        self.rtol = _tolerance(type(self).__name__, "rtol", rtol)
        self.atol = _tolerance(type(self).__name__, "atol", atol)
        self.equal_nan = bool(equal_nan)
        super().__init__(a, b, name=name)

    def bprop(self, grad, a, b):
        return None, None


@primitive("isclose", numpy=np.isclose)
class IsClose(_Closeness):
    """y = 1[|a - b| <= atol + rtol |b|] entrywise (NaN equal to NaN if equal_nan);
    no gradient"""

    def fprop(self, a, b):
        return np.isclose(a, b, rtol=self.rtol, atol=self.atol, equal_nan=self.equal_nan)


@primitive("allclose", numpy=np.allclose)
class AllClose(_Closeness):
    """y = 1[every entry of isclose(a, b)], a 0-d boolean;   no gradient"""

    def fprop(self, a, b):
        return np.asarray(np.allclose(a, b, rtol=self.rtol, atol=self.atol,
                                      equal_nan=self.equal_nan))
