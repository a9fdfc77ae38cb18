"""Reductions: sum, mean and the numerically stable log-sum-exp."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..box import Box

Axis = int | Sequence[int] | None


def _normalize(axis: Axis) -> int | tuple[int, ...] | None:
    return tuple(axis) if isinstance(axis, (list, tuple)) else axis


def _expand(grad: Any, a: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
    """Put the reduced axes back into ``grad`` and broadcast it to ``a``'s shape."""
    if axis is not None and not keepdims:
        grad = np.expand_dims(grad, axis)
    return np.broadcast_to(grad, np.shape(a))


class _Reduction(Box):
    def __init__(self, a: Any, axis: Axis = None, keepdims: bool = False,
                 name: str | None = None) -> None:
        self.axis = _normalize(axis)
        self.keepdims = keepdims
        super().__init__(a, name=name)


class Sum(_Reduction):
    """y = sum of a over axis;   d a = d y broadcast back over the summed axes"""

    def fprop(self, a):
        return np.sum(a, axis=self.axis, keepdims=self.keepdims)

    def bprop(self, grad, a):
        return _expand(grad, a, self.axis, self.keepdims)


class Mean(_Reduction):
    """y = mean of a over axis (n entries each);   d a = d y / n broadcast back"""

    def fprop(self, a):
        total = np.sum(a, axis=self.axis, keepdims=self.keepdims)  # faster than np.mean
        return total / (np.size(a) // max(np.size(total), 1))

    def bprop(self, grad, a):
        count = np.size(a) // max(np.size(self.value), 1)
        return _expand(grad / count, a, self.axis, self.keepdims)


class LogSumExp(_Reduction):
    """y = log sum_c exp(a_c) = m + log sum_c exp(a_c - m), m = max_c a_c (no overflow);
    d a = d y * exp(a - y) = d y * softmax(a)"""

    def __init__(self, a: Any, axis: Axis = -1, keepdims: bool = False,
                 name: str | None = None) -> None:
        super().__init__(a, axis=axis, keepdims=keepdims, name=name)

    def fprop(self, a):
        shift = np.max(a, axis=self.axis, keepdims=True)
        shift = np.where(np.isfinite(shift), shift, 0)
        total = np.sum(np.exp(a - shift), axis=self.axis, keepdims=True)
        value = np.log(total) + shift
        return value if self.keepdims else np.squeeze(value, axis=self.axis)

    def bprop(self, grad, a):
        value = self.value
        if not self.keepdims and self.axis is not None:
            grad = np.expand_dims(grad, self.axis)
            value = np.expand_dims(value, self.axis)
        return grad * np.exp(a - value)
