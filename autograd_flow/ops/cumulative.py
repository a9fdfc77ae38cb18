"""Running maxima, minima and log-sum-exps along an axis (the running sum and product
are in :mod:`.reduce`): ``cummax``, ``cummin`` (as torch's, values only) and
``logcumsumexp``; ``axis=None`` runs along the flattened array, as ``np.cumsum``."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..core.box import Box
from ..core.scope import composite
from ..errors import BoxError
from .axes import axis_index, integer_setting
from .plumbing import on_boxes
from .registry import function, primitive
from .scatter import TakeAlongAxis
from .shape import Reshape

#: float32's most negative number: "no contribution" in a log-space sum that keeps every
#: number finite (so that its own derivatives stay finite), in float32 and float64
LOWEST = float(np.finfo(np.float32).min)


class _AlongAxis(Box):
    """A running operation along one axis (an integer: af's functions flatten for None)."""

    def __init__(self, a: Any, axis: int, name: str | None = None) -> None:
        super().__init__(a, name=name)
        self.axis = integer_setting(self, axis, "axis")

    def checked_axis(self, a: Any) -> int:
        return axis_index(self, self.axis, np.shape(a))


@primitive()
class RunningArgExtremum(_AlongAxis):
    """y_k = the index of the running max (kind "max") or min of a along axis at k: the
    last i <= k where a_i equals it, or the last NaN (as torch.cummax's indices);
    integers, no gradient"""

    def __init__(self, a: Any, axis: int, kind: str = "max", name: str | None = None) -> None:
        if kind not in ("max", "min"):
            raise BoxError(f"RunningArgExtremum: kind must be 'max' or 'min', got {kind!r}.")
        self.kind = kind
        super().__init__(a, axis=axis, name=name)

    def fprop(self, a):
        axis = self.checked_axis(a)
        running = (np.maximum if self.kind == "max" else np.minimum).accumulate(a, axis=axis)
        # the running extremum changes only where it is attained, so the last entry equal
        # to its running value (or NaN, which it keeps) is the one it still equals
        attained = np.equal(a, running) | np.isnan(a)
        side = np.shape(a)[axis]
        positions = np.arange(side).reshape((side,) + (1,) * (np.ndim(a) - axis - 1))
        return np.maximum.accumulate(np.where(attained, positions, 0), axis=axis)

    def bprop(self, grad, a):
        return None


@composite("cumulative")
def _running_extremum(a: Any, axis: int | None, kind: str, name: str | None) -> Box:
    if axis is None:
        a, axis = Reshape(a, shape=(-1,)), 0
    indices = RunningArgExtremum(a, axis, kind=kind, name=f"arg{kind}")
    return TakeAlongAxis(a, indices, axis=axis, name=name or f"cum{kind}")


@function("cummax", box=TakeAlongAxis, graphs=False)
def cummax(a: Any, axis: int | None = None, name: str | None = None) -> Box:
    """The running maximum along ``axis`` (of the flattened ``a`` when None), as
    ``np.maximum.accumulate`` (NaN propagates) and torch.cummax's values: the entries
    of ``a`` where it is attained, so each gets the gradient of the outputs it gives
    (ties: the latest entry, as torch)."""
    return _running_extremum(a, axis, "max", name)


@function("cummin", box=TakeAlongAxis, graphs=False)
def cummin(a: Any, axis: int | None = None, name: str | None = None) -> Box:
    """The running minimum along ``axis``, as :func:`cummax`."""
    return _running_extremum(a, axis, "min", name)


@primitive()
class LogCumSumExp(_AlongAxis):
    """y_k = log sum_(i <= k) exp(a_i) along axis (sum_(i >= k) when reverse; no
    overflow);   d a_j = sum_(k >= j) d y_k exp(a_j - y_k), summed in log space with the
    positive and negative parts of d y apart (TensorFlow's and torch's formula), so
    that no exponential overflows"""

    def __init__(self, a: Any, axis: int, reverse: bool = False,
                 name: str | None = None) -> None:
        self.reverse = reverse
        super().__init__(a, axis=axis, name=name)

    def fprop(self, a):
        return running_logsumexp(a, self.checked_axis(a), self.reverse)

    def bprop(self, grad, a):
        y = self.value
        positive, negative = grad > 0, grad < 0
        log_positive = np.where(positive, np.log(np.where(positive, grad, 1)), LOWEST)
        log_negative = np.where(negative, np.log(np.where(negative, -grad, 1)), LOWEST)
        back = not self.reverse
        return (np.exp(running_logsumexp(log_positive - y, self.axis, back) + a)
                - np.exp(running_logsumexp(log_negative - y, self.axis, back) + a))


def running_logsumexp(a: Any, axis: int, reverse: bool = False) -> Any:
    """log of the running sum of exp(a) along axis (from the end when ``reverse``): a
    LogCumSumExp box for a box."""
    if on_boxes(a):
        return LogCumSumExp(a, axis, reverse=reverse)
    if reverse:
        return np.flip(np.logaddexp.accumulate(np.flip(a, axis), axis=axis), axis)
    return np.logaddexp.accumulate(a, axis=axis)


@function("logcumsumexp", box=LogCumSumExp)
def logcumsumexp(a: Any, axis: int | None = None, name: str | None = None) -> Box:
    """log(cumsum(exp(a))) along ``axis`` (of the flattened ``a`` when None, as
    ``np.cumsum``) without overflow, as torch.logcumsumexp and
    ``np.logaddexp.accumulate``."""
    if axis is None:
        return LogCumSumExp(Reshape(a, shape=(-1,)), axis=0, name=name)
    return LogCumSumExp(a, axis=axis, name=name)
