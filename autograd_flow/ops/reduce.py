"""Reductions (sum, mean, the numerically stable log-sum-exp, max, min, prod) and the
running sum and product, with numpy's axis rules (negative axes, tuples, keepdims; an
integer axis 0 or -1 on a 0-d array reduces nothing; an empty axis gives numpy's empty
or identity result)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..box import Box
from ..errors import BoxError, describe
from .arithmetic import Maximum, Where
from .compare import Equal
from .elementwise import Exp
from .gradient import AstypeLike, SumLike, linear_in

Axis = int | Sequence[int] | None


def reduced_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """``axis`` as a tuple of axes in [0, ndim), checked as numpy checks it (an integer
    0 or -1 on a 0-d array reduces nothing, as in ``np.sum``)."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        if ndim == 0 and axis in (0, -1):
            return ()
        axis = (axis,)
    axes = []
    for item in axis:
        if not -ndim <= item < ndim:
            raise np.exceptions.AxisError(int(item), ndim)
        axes.append(int(item) % ndim)
    if len(set(axes)) != len(axes):
        raise ValueError(f"repeated axis in {tuple(axis)}")
    return tuple(axes)


def kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of a reduction over ``axes`` with keepdims=True."""
    return tuple(1 if k in axes else side for k, side in enumerate(shape))


def keep_dims(grad: Any, shape: tuple[int, ...], axes: tuple[int, ...]) -> np.ndarray:
    """A reduction's result (or gradient) reshaped to its keepdims shape, so it
    broadcasts against the reduced array."""
    return np.reshape(grad, kept_shape(shape, axes))


def _count(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    return int(np.prod([shape[k] for k in axes], dtype=np.int64))


class _Reduction(Box):
    def __init__(self, a: Any, axis: Axis = None, keepdims: bool = False,
                 name: str | None = None) -> None:
        self.axis = tuple(axis) if isinstance(axis, (list, tuple)) else axis
        self.keepdims = keepdims
        super().__init__(a, name=name)

    def axes(self, a: Any) -> tuple[int, ...]:
        return reduced_axes(self.axis, np.ndim(a))


class ExpandReduced(Box):
    """y = g (a reduction of ref over axis) reshaped to its keepdims shape, so that it
    broadcasts against ref;   d g = d y reshaped back (ref gets no gradient)"""

    def __init__(self, g: Any, ref: Any, axis: Axis, keepdims: bool,
                 name: str | None = None) -> None:
        self.axis = tuple(axis) if isinstance(axis, (list, tuple)) else axis
        self.keepdims = keepdims
        super().__init__(g, ref, name=name)

    def fprop(self, g, ref):
        if self.keepdims:
            return g
        return keep_dims(g, np.shape(ref), reduced_axes(self.axis, np.ndim(ref)))

    def bprop(self, grad, g, ref):
        return np.reshape(grad, np.shape(g)), None

    bprop_boxes = linear_in(0)


class Sum(_Reduction):
    """y = sum of a over axis;   d a = d y broadcast back over the summed axes"""

    def fprop(self, a):
        return np.sum(a, axis=self.axes(a), keepdims=self.keepdims)

    def bprop(self, grad, a):
        return np.broadcast_to(keep_dims(grad, np.shape(a), self.axes(a)), np.shape(a))

    bprop_boxes = linear_in(0)


class Mean(_Reduction):
    """y = mean of a over axis (n entries each);   d a = d y / n broadcast back"""

    def fprop(self, a):
        axes = self.axes(a)
        total = np.sum(a, axis=axes, keepdims=self.keepdims)  # faster than np.mean
        with np.errstate(invalid="ignore", divide="ignore"):  # numpy's nan for no entries
            return total / _count(np.shape(a), axes)

    def bprop(self, grad, a):
        axes = self.axes(a)
        with np.errstate(invalid="ignore", divide="ignore"):
            grad = grad / _count(np.shape(a), axes)
        return np.broadcast_to(keep_dims(grad, np.shape(a), axes), np.shape(a))

    bprop_boxes = linear_in(0)


class LogSumExp(_Reduction):
    """y = log sum_c exp(a_c) = m + log sum_c exp(a_c - m), m = max_c a_c (no overflow;
    -inf over no entries);   d a = d y * exp(a - y) = d y * softmax(a)"""

    def __init__(self, a: Any, axis: Axis = -1, keepdims: bool = False,
                 name: str | None = None) -> None:
        super().__init__(a, axis=axis, keepdims=keepdims, name=name)

    def fprop(self, a):
        axes = self.axes(a)
        shift = np.max(a, axis=axes, keepdims=True, initial=-np.inf)
        shift = np.where(np.isfinite(shift), shift, 0)
        total = np.sum(np.exp(a - shift), axis=axes, keepdims=True)
        with np.errstate(divide="ignore"):  # log 0 = -inf: the sum of no exponentials
            value = np.log(total) + shift
        return value if self.keepdims else np.reshape(value, _dropped(np.shape(a), axes))

    def bprop(self, grad, a):
        axes = self.axes(a)
        shape = np.shape(a)
        return keep_dims(grad, shape, axes) * np.exp(a - keep_dims(self.value, shape, axes))

    def bprop_boxes(self, grad, a):
        return (ExpandReduced(grad, a, self.axis, self.keepdims)
                * Exp(a - ExpandReduced(self, a, self.axis, self.keepdims)))


def _dropped(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(side for k, side in enumerate(shape) if k not in axes)



class _Extremum(_Reduction):
    """The max or min over axis; ties share the gradient equally."""

    def __init__(self, a: Any, axis: Axis = None, keepdims: bool = False,
                 initial: float | None = None, name: str | None = None) -> None:
        self.initial = initial
        super().__init__(a, axis=axis, keepdims=keepdims, name=name)

    def _reduce(self, a: Any, function: Any) -> Any:
        axes = self.axes(a)
        if self.initial is None:
            if any(np.shape(a)[k] == 0 for k in axes):  # numpy's rule: an empty slice
                raise BoxError(f"{describe(self)}: {function.__name__} over an empty axis "
                               f"(input shape {np.shape(a)}, axis {self.axis}) has no value; "
                               "pass initial=..., as numpy's np.max/np.min take.")
            return function(a, axis=axes, keepdims=self.keepdims)
        return function(a, axis=axes, keepdims=self.keepdims, initial=self.initial)

    def bprop(self, grad, a):
        axes = self.axes(a)
        shape = np.shape(a)
        ties = a == keep_dims(self.value, shape, axes)
        count = np.maximum(np.sum(ties, axis=axes, keepdims=True), 1).astype(np.result_type(a))
        return keep_dims(grad, shape, axes) * ties / count

    def bprop_boxes(self, grad, a):
        ties = Equal(a, ExpandReduced(self, a, self.axis, self.keepdims))
        count = AstypeLike(Maximum(Sum(ties, self.axis, keepdims=True), 1), a)
        return ExpandReduced(grad, a, self.axis, self.keepdims) * ties / count


class Max(_Extremum):
    """y = max of a over axis (numpy's initial= too);   d a = d y shared equally among the
    entries equal to the max (a subgradient at ties, as maximum's)"""

    def fprop(self, a):
        return self._reduce(a, np.max)


class Min(_Extremum):
    """y = min of a over axis (numpy's initial= too);   d a = d y shared equally among the
    entries equal to the min (a subgradient at ties, as minimum's)"""

    def fprop(self, a):
        return self._reduce(a, np.min)


class Prod(_Reduction):
    """y = product of a over axis;   d a_i = d y * product of the other entries, exactly
    where a has zeros: with no zero in a slice y / a_i, with one zero there the product of
    the rest at the zero and 0 elsewhere, with two or more 0 everywhere. (Second
    derivatives are exact away from zeros.)"""

    def fprop(self, a):
        return np.prod(a, axis=self.axes(a), keepdims=self.keepdims)

    def bprop(self, grad, a):
        axes = self.axes(a)
        zero = a == 0
        zeros = np.sum(zero, axis=axes, keepdims=True)
        safe = np.where(zero, 1, a)
        rest = np.prod(safe, axis=axes, keepdims=True)  # the product of the nonzero entries
        others = np.where(zeros == 0, rest / safe, np.where(zero * (zeros == 1), rest, 0))
        return keep_dims(grad, np.shape(a), axes) * others

    def bprop_boxes(self, grad, a):
        zero = Equal(a, 0)
        zeros = Sum(zero, self.axis, keepdims=True)
        safe = Where(zero, 1, a)
        rest = Prod(safe, self.axis, keepdims=True)
        others = Where(Equal(zeros, 0), rest / safe, Where(zero * Equal(zeros, 1), rest, 0))
        return ExpandReduced(grad, a, self.axis, self.keepdims) * others


def _along(a: Any, axis: int) -> tuple[np.ndarray, int]:
    """A 0-d array as one entry along axis 0 (numpy's cumsum does the same)."""
    return (np.reshape(a, (1,)), 0) if np.ndim(a) == 0 else (a, axis)


def cumulative_sum(x: Any, axis: int, reverse: bool) -> np.ndarray:
    """The running sum along ``axis``, from the end when ``reverse``."""
    if reverse:
        return np.flip(np.cumsum(np.flip(x, axis), axis=axis), axis)
    return np.cumsum(x, axis=axis)


class _Cumulative(Box):
    def __init__(self, a: Any, axis: int, reverse: bool = False,
                 name: str | None = None) -> None:
        if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
            raise BoxError(f"{type(self).__name__}: axis must be an integer, got {axis!r} "
                           "(af.cumsum/af.cumprod flatten for axis=None)")
        self.axis = int(axis)
        self.reverse = reverse
        super().__init__(a, name=name)


class Cumsum(_Cumulative):
    """y_k = sum_(i <= k) a_i along axis (sum_(i >= k) when reverse);
    d a = d y summed from the other end (a reverse running sum)"""

    def fprop(self, a):
        return cumulative_sum(*_along(a, self.axis), self.reverse)

    def bprop(self, grad, a):
        return cumulative_sum(grad, _along(a, self.axis)[1], not self.reverse)

    bprop_boxes = linear_in(0)


class Cumprod(_Cumulative):
    """y_k = prod_(i <= k) a_i along axis;   d a_j = sum_(k >= j) d y_k prod_(i <= k, i != j) a_i,
    exactly where a has zeros: before the first zero z of a row, (reverse running sum of
    d y * y)_j / a_j; at z, the reverse running sum of d y * cumprod(a with a_z := 1);
    after z, 0. (Second derivatives are exact away from zeros.)"""

    def __init__(self, a: Any, axis: int, name: str | None = None) -> None:
        super().__init__(a, axis=axis, name=name)

    def fprop(self, a):
        x, axis = _along(a, self.axis)
        return np.cumprod(x, axis=axis)

    def bprop(self, grad, a):
        x, axis = _along(a, self.axis)
        zero = x == 0
        seen = np.cumsum(zero, axis=axis)
        before, first = seen == 0, zero * (seen == 1)
        past_first = np.cumprod(np.where(first, 1, x), axis=axis)
        return np.where(before,
                        cumulative_sum(grad * self.value, axis, True) / np.where(before, x, 1),
                        np.where(first, cumulative_sum(grad * past_first, axis, True), 0))

    def bprop_boxes(self, grad, a):
        zero = Equal(a, 0)
        seen = Cumsum(zero, self.axis)
        before, first = Equal(seen, 0), zero * Equal(seen, 1)
        past_first = Cumprod(Where(first, 1, a), self.axis)
        grad_a = Where(before,
                       Cumsum(grad * self, self.axis, reverse=True) / Where(before, a, 1),
                       Where(first, Cumsum(grad * past_first, self.axis, reverse=True), 0))
        return SumLike(grad_a, a)  # a 0-d input ran as one entry of shape (1,)
