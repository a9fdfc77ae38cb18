"""Reductions: sum, mean and the numerically stable log-sum-exp, with numpy's axis
rules (negative axes, tuples, keepdims; an integer axis 0 or -1 on a 0-d array reduces
nothing; an empty axis gives numpy's empty or identity result)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..box import Box
from .elementwise import Exp
from .gradient import linear_in

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

