"""Reductions (sum, mean, the numerically stable log-sum-exp, max, min, prod) and the
running sum and product, with numpy's axis rules (negative axes, tuples, keepdims; an
integer axis 0 or -1 on a 0-d array reduces nothing; an empty axis gives numpy's empty
or identity result) and numpy's arguments: ``dtype=``, ``initial=``, ``where=`` (the
entries left out are replaced by the reduction's identity before reducing, so they get
no gradient) and ``out=None``."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.box import Box
from ..errors import BoxError, describe
from .arithmetic import Add, Div, Mul, Where
from .plumbing import BroadcastLike, astype_like, on_boxes, sum_like
from .registry import function, primitive
from .shape import Astype, Reshape

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


@primitive()
class ExpandReduced(Box):
    """y = g (a reduction of ref over axis) reshaped to its keepdims shape, so that it
    broadcasts against ref;   d g = d y reshaped back (ref gets no gradient)"""

    linear_in = (0,)

    def __init__(self, g: Any, ref: Any, axis: Axis, keepdims: bool,
                 name: str | None = None) -> None:
        self.axis = tuple(axis) if isinstance(axis, (list, tuple)) else axis
        self.keepdims = keepdims
        super().__init__(g, ref, name=name)

    def fprop(self, g, ref):
        return expand_reduced(g, ref, self.axis, self.keepdims)

    def bprop(self, grad, g, ref):
        return np.reshape(grad, np.shape(g)), None


def expand_reduced(g: Any, ref: Any, axis: Axis, keepdims: bool) -> Any:
    """g, a reduction of ref over axis, with its reduced axes back as length 1, so that
    it broadcasts against ref (an ExpandReduced box for boxes)."""
    if on_boxes(g, ref):
        return ExpandReduced(g, ref, axis, keepdims)
    if keepdims:
        return g
    return keep_dims(g, np.shape(ref), reduced_axes(axis, np.ndim(ref)))


@primitive()
class Sum(_Reduction):
    """y = sum of a over axis (all axes by default);   d a = d y broadcast back over the
    summed axes"""

    linear_in = (0,)

    def fprop(self, a):
        return np.sum(a, axis=self.axes(a), keepdims=self.keepdims)

    def bprop(self, grad, a):
        return np.broadcast_to(keep_dims(grad, np.shape(a), self.axes(a)), np.shape(a))


@primitive()
class Mean(_Reduction):
    """y = mean of a over axis (all axes by default; n entries each);   d a = d y / n
    broadcast back"""

    linear_in = (0,)

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


@primitive("logsumexp", common=True, dims=(1, 3))
class LogSumExp(_Reduction):
    """y = log sum_c exp(a_c) = m + log sum_c exp(a_c - m), m = max_c a_c, over axis
    (the last by default; no overflow; -inf over no entries, as
    ``scipy.special.logsumexp``);   d a = d y * exp(a - y) = d y * softmax(a)"""

    def __init__(self, a: Any, axis: Axis = -1, keepdims: bool = False,
                 name: str | None = None) -> None:
        if isinstance(axis, (list, tuple)) and len(axis) == 1:
            axis = axis[0]  # the same axis, and (0,) on a 0-d array is scipy's and torch's 0
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
        y = expand_reduced(self.value, a, self.axis, self.keepdims)
        return expand_reduced(grad, a, self.axis, self.keepdims) * np.exp(a - y)


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
        if self.initial in (-np.inf, np.inf) and np.result_type(a).kind in "biu":
            a = np.asarray(a, np.result_type(a, self.initial))  # -inf is no integer
        if self.initial is None:
            if any(np.shape(a)[k] == 0 for k in axes):  # numpy's rule: an empty slice
                raise BoxError(f"{describe(self)}: {function.__name__} over an empty axis "
                               f"(input shape {np.shape(a)}, axis {self.axis}) has no value; "
                               "pass initial=..., as numpy's np.max/np.min take.")
            return function(a, axis=axes, keepdims=self.keepdims)
        return function(a, axis=axes, keepdims=self.keepdims, initial=self.initial)

    def bprop(self, grad, a):
        ties = np.equal(a, expand_reduced(self.value, a, self.axis, self.keepdims))
        count = astype_like(np.maximum(np.sum(ties, axis=self.axis, keepdims=True), 1), a)
        return expand_reduced(grad, a, self.axis, self.keepdims) * ties / count


@primitive()
class Max(_Extremum):
    """y = max of a over axis (all axes by default; numpy's initial= too);   d a = d y
    shared equally among the entries equal to the max (a subgradient at ties, as
    maximum's)"""

    def fprop(self, a):
        return self._reduce(a, np.max)


@primitive()
class Min(_Extremum):
    """y = min of a over axis (all axes by default; numpy's initial= too);   d a = d y
    shared equally among the entries equal to the min (a subgradient at ties, as
    minimum's)"""

    def fprop(self, a):
        return self._reduce(a, np.min)


@primitive()
class Prod(_Reduction):
    """y = product of a over axis (all axes by default);   d a_i = d y * product of the
    other entries, counting the zeros of each slice (as torch does) so that the formula
    is exact to second order everywhere: d a_i = d y * (product of the nonzero others)
    * (1 with no other zero; the other zero's own entry, whose value is 0, with one; 0
    with more). Its derivative, and so H v, is then exact at zeros too (third and
    higher derivatives at slices with two or more zeros are not)."""

    def fprop(self, a):
        return np.prod(a, axis=self.axes(a), keepdims=self.keepdims)

    def bprop(self, grad, a):
        zero = np.equal(a, 0)
        safe = np.where(zero, 1, a)
        rest = np.prod(safe, axis=self.axis, keepdims=True)  # the product of the nonzero ones
        others = np.sum(zero, axis=self.axis, keepdims=True) - zero  # zeros besides a_i
        at_zero = np.where(zero, a, 0)
        other_zero = np.sum(at_zero, axis=self.axis, keepdims=True) - at_zero
        zeros_part = np.where(np.equal(others, 0), 1, np.where(np.equal(others, 1),
                                                                 other_zero, 0))
        return expand_reduced(grad, a, self.axis, self.keepdims) * (rest / safe) * zeros_part


def no_out(out: Any, what: str) -> None:
    """Refuse numpy's ``out=`` unless it is None (numpy's default): a box has no array
    to write into."""
    if out is not None:
        raise TypeError(f"af.{what}(..., out=...): a box's value is computed when its graph "
                        "runs, so there is no array to write it into; use the box it returns.")


def converted(a: Any, dtype: Any) -> Any:
    """a converted to ``dtype`` before reducing, as numpy's ``dtype=`` (None: as it is)."""
    return a if dtype is None else Astype(a, dtype)


def everywhere(where: Any) -> bool:
    """Whether ``where=`` keeps every entry (numpy's default True)."""
    return not isinstance(where, Box) and np.ndim(where) == 0 and bool(where)


def masked(a: Any, where: Any, fill: float) -> tuple[Any, Box | None]:
    """(a with the entries ``where`` leaves out replaced by ``fill``, the mask broadcast
    to a's shape): (a, None) when ``where`` keeps everything. The mask must broadcast to
    a's shape, as numpy requires; it gets no gradient, and the entries it leaves out get
    0 (even where they are nan)."""
    if everywhere(where):
        return a, None
    mask = BroadcastLike(where, a, name="where")
    return Where(mask, a, fill, name="a where"), mask


@function("sum", box=Sum, numpy=np.sum, method="sum", common=True)
def sum(a: Any, axis: Axis = None, dtype: Any = None, out: Any = None,
        keepdims: bool = False, initial: float | None = None, where: Any = True,
        name: str | None = None) -> Box:
    """Sum over ``axis`` (all axes by default), as ``np.sum``: ``dtype=`` converts
    first, ``initial=`` is added, ``where=`` (a boolean mask broadcasting to a's
    shape, an array or a box) sums only the entries it keeps. d a = d y broadcast back
    (0 where ``where`` is False)."""
    no_out(out, "sum")
    a = masked(converted(a, dtype), where, 0)[0]
    if initial is None:
        return Sum(a, axis=axis, keepdims=keepdims, name=name)
    return Add(Sum(a, axis=axis, keepdims=keepdims), initial, name=name or "sum")


@function("mean", box=Mean, numpy=np.mean, method="mean", common=True)
def mean(a: Any, axis: Axis = None, dtype: Any = None, out: Any = None,
         keepdims: bool = False, *, where: Any = True, name: str | None = None) -> Box:
    """Mean over ``axis`` (all axes by default), as ``np.mean``: ``dtype=`` converts
    first; ``where=`` averages only the entries it keeps (nan for a slice it leaves
    empty, as numpy). d a = d y / n broadcast back (0 where ``where`` is False)."""
    no_out(out, "mean")
    a, mask = masked(converted(a, dtype), where, 0)
    if mask is None:
        return Mean(a, axis=axis, keepdims=keepdims, name=name)
    count = Sum(astype_like(mask, a), axis=axis, keepdims=keepdims, name="n")
    return Div(Sum(a, axis=axis, keepdims=keepdims), count, name=name or "mean")


@function("prod", box=Prod, numpy=np.prod, method="prod", common=True, bound=3.0)
def prod(a: Any, axis: Axis = None, dtype: Any = None, out: Any = None,
         keepdims: bool = False, initial: float | None = None, where: Any = True,
         name: str | None = None) -> Box:
    """Product over ``axis`` (all axes by default), as ``np.prod``: ``dtype=`` converts
    first, ``initial=`` multiplies, ``where=`` multiplies only the entries it keeps.
    Its gradient counts each slice's zeros, so it is exact to second order at zeros
    (see :class:`Prod`)."""
    no_out(out, "prod")
    a = masked(converted(a, dtype), where, 1)[0]
    if initial is None:
        return Prod(a, axis=axis, keepdims=keepdims, name=name)
    return Mul(Prod(a, axis=axis, keepdims=keepdims), initial, name=name or "prod")


def _extremum(cls: type[_Extremum], what: str, a: Any, axis: Axis, out: Any,
              keepdims: bool, initial: float | None, where: Any, name: str | None) -> Box:
    no_out(out, what)
    if not everywhere(where) and initial is None:
        raise ValueError(f"af.{what}(..., where=...) needs initial=..., the value of a slice "
                         f"where= leaves empty: numpy's rule for np.{what}, which has no "
                         "identity to fall back on.")
    a = masked(a, where, initial)[0] if initial is not None else a
    return cls(a, axis=axis, keepdims=keepdims, initial=initial, name=name)


@function("max", box=Max, numpy=(np.max, np.amax), aliases=("amax",), method="max",
          common=True)
def max(a: Any, axis: Axis = None, out: Any = None, keepdims: bool = False,
        initial: float | None = None, where: Any = True, name: str | None = None) -> Box:
    """Maximum over ``axis`` (all axes by default), as ``np.max``: ``initial=`` takes
    part, ``where=`` (with ``initial=``, as numpy requires) only the entries it keeps.
    d a = d y shared equally among the entries equal to the max (see :class:`Max`)."""
    return _extremum(Max, "max", a, axis, out, keepdims, initial, where, name)


@function("min", box=Min, numpy=(np.min, np.amin), aliases=("amin",), method="min",
          common=True)
def min(a: Any, axis: Axis = None, out: Any = None, keepdims: bool = False,
        initial: float | None = None, where: Any = True, name: str | None = None) -> Box:
    """Minimum over ``axis`` (all axes by default), as ``np.min``: ``initial=`` takes
    part, ``where=`` (with ``initial=``, as numpy requires) only the entries it keeps.
    d a = d y shared equally among the entries equal to the min (see :class:`Min`)."""
    return _extremum(Min, "min", a, axis, out, keepdims, initial, where, name)


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


@primitive()
class Cumsum(_Cumulative):
    """y_k = sum_(i <= k) a_i along axis (sum_(i >= k) when reverse);
    d a = d y summed from the other end (a reverse running sum)"""

    linear_in = (0,)

    def fprop(self, a):
        return running_sum(a, self.axis, self.reverse)

    def bprop(self, grad, a):
        return cumulative_sum(grad, _along(a, self.axis)[1], not self.reverse)


def running_sum(a: Any, axis: int, reverse: bool = False) -> Any:
    """The running sum of a along axis (from the end when ``reverse``; a 0-d a as one
    entry): a Cumsum box for a box."""
    if on_boxes(a):
        return Cumsum(a, axis, reverse=reverse)
    return cumulative_sum(*_along(a, axis), reverse)


@primitive()
class Cumprod(_Cumulative):
    """y_k = prod_(i <= k) a_i along axis;   d a_j = sum_(k >= j) d y_k prod_(i <= k, i != j) a_i,
    exact to second order where a has zeros: before the first zero z of a row,
    (reverse running sum of d y * y)_j / a_j; at z, the reverse running sum of
    d y * y', y' = cumprod(a with a_z := 1); after z, a_z (whose value is 0) times the
    same gradient of y' (so the derivative at a_z is right). Third and higher
    derivatives at rows with two or more zeros are not exact."""

    def __init__(self, a: Any, axis: int, name: str | None = None) -> None:
        super().__init__(a, axis=axis, name=name)

    def fprop(self, a):
        return running_product(a, self.axis)

    def bprop(self, grad, a):
        before, first, past_first, grad_a = _cumprod_gradient(grad, a, self.value, self.axis)
        pivot = np.sum(np.where(first, a, 0), axis=self.axis, keepdims=True)  # a_z (0)
        after = _cumprod_gradient(grad, np.where(first, 1, a), past_first, self.axis)[3]
        grad_a = np.where(before, grad_a, np.where(first, grad_a, pivot * after))
        return sum_like(grad_a, a)  # a 0-d input ran as one entry of shape (1,)


def _cumprod_gradient(grad: Any, a: Any, y: Any, axis: int) -> tuple[Any, Any, Any, Any]:
    """The gradient of sum(grad * cumprod(a)) (y = cumprod(a)), exact in value where a
    has zeros but 0 after each row's first zero (so its derivative is not exact there):
    (before the first zero, at the first zero, cumprod(a with its first zeros := 1),
    the gradient)."""
    zero = np.equal(a, 0)
    seen = running_sum(zero, axis)
    before, first = np.equal(seen, 0), zero * np.equal(seen, 1)
    past_first = running_product(np.where(first, 1, a), axis)
    inside = running_sum(grad * y, axis, reverse=True) / np.where(before, a, 1)
    at_zero = running_sum(grad * past_first, axis, reverse=True)
    return before, first, past_first, np.where(before, inside, np.where(first, at_zero, 0))


def running_product(a: Any, axis: int) -> Any:
    """The running product of a along axis (a 0-d a as one entry): a Cumprod box for a box."""
    if on_boxes(a):
        return Cumprod(a, axis)
    x, axis = _along(a, axis)
    return np.cumprod(x, axis=axis)


@function("cumsum", box=Cumsum, numpy=np.cumsum, method="cumsum", common=True, dims=(1, 3))
def cumsum(a: Any, axis: int | None = None, name: str | None = None) -> Box:
    """Running sum along ``axis``, as ``np.cumsum`` (``axis=None``: of the flattened array)."""
    if axis is None:
        return Cumsum(Reshape(a, shape=(-1,)), axis=0, name=name)
    return Cumsum(a, axis=axis, name=name)


@function("cumprod", box=Cumprod, numpy=np.cumprod, method="cumprod", common=True,
          dims=(1, 3), bound=3.0)
def cumprod(a: Any, axis: int | None = None, name: str | None = None) -> Box:
    """Running product along ``axis``, as ``np.cumprod`` (``axis=None``: of the flattened
    array); its gradient is exact where entries are zero."""
    if axis is None:
        return Cumprod(Reshape(a, shape=(-1,)), axis=0, name=name)
    return Cumprod(a, axis=axis, name=name)
