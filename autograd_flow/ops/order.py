"""Order statistics: ``quantile``, ``percentile``, ``median`` and their NaN-ignoring
forms, with numpy's settings (q a number or an array, axis None, an int or a tuple,
keepdims, and every ``method`` of ``np.quantile``).

Each value is a weighted pair of order statistics, y = (1 - t) a_(lo) + t a_(lo+1) (the
entries of rank lo and lo + 1 along the reduced axes, in numpy's stable sort order,
NaNs last), so its gradient is d y * (1 - t) at the entry of rank lo and d y * t at the
entry of rank lo + 1. The ranks and t depend only on the number of entries (of non-NaN
entries for the nan-forms), q and the method: they are read from numpy's own quantile
of the ranks 0, 1, ..., n - 1, so every method has its own positions for free.
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..core.box import Box, user_site
from ..errors import BoxError, describe
from .plumbing import on_boxes
from .reduce import kept_shape, reduced_axes
from .registry import function, primitive

#: numpy's functions, and the divisor of their q (a percentile is a quantile of q / 100)
FUNCTIONS = {"quantile": 1.0, "nanquantile": 1.0, "percentile": 100.0,
             "nanpercentile": 100.0, "median": 1.0, "nanmedian": 1.0}
METHODS = ("inverted_cdf", "averaged_inverted_cdf", "closest_observation",
           "interpolated_inverted_cdf", "hazen", "weibull", "linear", "median_unbiased",
           "normal_unbiased", "lower", "higher", "midpoint", "nearest")


_quantile: Any = np.quantile  # (its stub wants the method as a literal)


class _OrderStatistic(Box):
    """The settings of a quantile (shared with its gradient box) and the ranks."""

    def __init__(self, *inputs: Any, q: Any = 0.5, axis: Any = None, method: str = "linear",
                 keepdims: bool = False, function: str = "quantile",
                 name: str | None = None) -> None:
        where = f"{type(self).__name__} (created at {user_site()})"
        if function not in FUNCTIONS:
            raise BoxError(f"{where}: function must be one of {', '.join(FUNCTIONS)}, got "
                           f"{function!r}.")
        if method not in METHODS:
            raise BoxError(f"{where}: method must be one of numpy's {', '.join(METHODS)}; "
                           f"got {method!r}.")
        if isinstance(q, Box):
            raise BoxError(f"{where}: q is a setting (a number or an array), not a box: "
                           "the quantile's gradient with respect to q is not computed.")
        if "median" in function and not (np.ndim(q) == 0 and q == 0.5 and method == "linear"):
            raise BoxError(f"{where}: a median is the quantile q = 0.5 of method 'linear', "
                           f"got q={q!r} and method={method!r}.")
        fractions = np.asarray(q, dtype=np.float64) / FUNCTIONS[function]
        if not np.all((fractions >= 0) & (fractions <= 1)):  # (NaN fails both)
            top = FUNCTIONS[function]
            raise BoxError(f"{where}: q must lie in [0, {top:g}] for {function}, got {q!r}.")
        self.q = float(q) if np.ndim(q) == 0 else np.array(q, dtype=np.float64)
        self.fractions = fractions
        self.axis = tuple(axis) if isinstance(axis, (list, tuple)) else axis
        self.method, self.keepdims, self.function = method, keepdims, function
        super().__init__(*inputs, name=name)

    def ranks(self, a: Any) -> _Ranks:
        return _Ranks(self, a)

    def reduced(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """The reduced axes, checked against the input's shape."""
        try:
            return reduced_axes(self.axis, len(shape))
        except (ValueError, np.exceptions.AxisError) as error:
            raise BoxError(f"{describe(self)}: axis {self.axis!r} does not fit an input of "
                           f"shape {shape} ({error}).") from None


class _Ranks:
    """Where a quantile's value comes from in ``a``: the reduced axes moved last and
    flattened (``rows`` of n entries), the stable sorting order of each row, and for
    each q and row the ranks lo, hi and the weight t of hi."""

    def __init__(self, box: _OrderStatistic, a: Any) -> None:
        shape = np.shape(a)
        axes = box.reduced(shape)
        kept = [k for k in range(len(shape)) if k not in axes]
        self.shape, self.axes, self.order = shape, axes, kept + list(axes)
        self.moved = tuple(shape[k] for k in self.order)
        self.rest = tuple(shape[k] for k in kept)
        self.n = int(np.prod([shape[k] for k in axes], dtype=np.int64))
        self.out = box.fractions.shape + (kept_shape(shape, axes) if box.keepdims
                                          else self.rest)
        rows = np.reshape(np.transpose(a, self.order), (int(np.prod(self.rest)), self.n))
        self.sorting = np.argsort(rows, axis=-1, kind="stable")
        counts = (np.sum(~np.isnan(rows), axis=-1) if box.function.startswith("nan")
                  else np.full(len(rows), self.n))
        q = np.reshape(box.fractions, (-1, 1))
        self.lo = np.zeros((len(q), len(rows)), dtype=np.intp)
        self.hi, self.t = np.zeros_like(self.lo), np.zeros(self.lo.shape)
        for count in np.unique(counts[counts > 0]):
            position = _quantile(np.arange(count, dtype=np.float64), q[:, 0],
                                 method=box.method)[:, None]
            lo = np.floor(position)
            row = counts == count
            self.lo[:, row] = lo
            self.hi[:, row] = np.minimum(lo + 1, count - 1)
            self.t[:, row] = position - lo
        self.t[:, counts == 0] = np.nan  # (no entries: no gradient; see weights)

    def weights(self, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
        """(1 - t, t) in ``dtype``, 0 for rows without entries."""
        t = np.nan_to_num(self.t)
        empty = np.isnan(self.t)
        return np.where(empty, 0, 1 - t).astype(dtype), t.astype(dtype)

    def spread(self, g: Any) -> np.ndarray:
        """d a for d y = g: each g placed at the entries of rank lo and hi, weighted."""
        dtype = np.result_type(g)
        low, high = self.weights(dtype)
        g = np.reshape(g, low.shape)
        ranked = np.zeros((low.shape[1], self.n), dtype=dtype)
        rows = np.arange(low.shape[1])
        for k in range(len(low) if self.n else 0):
            np.add.at(ranked, (rows, self.lo[k]), low[k] * g[k])
            np.add.at(ranked, (rows, self.hi[k]), high[k] * g[k])
        grad = np.empty_like(ranked)
        np.put_along_axis(grad, self.sorting, ranked, axis=-1)
        return np.transpose(np.reshape(grad, self.moved), np.argsort(self.order))

    def gather(self, dy: Any) -> np.ndarray:
        """The adjoint of :meth:`spread`: the weighted pair of dy's entries at the ranks."""
        low, high = self.weights(np.result_type(dy))
        if not self.n:
            return np.zeros(self.out, dtype=low.dtype)
        ranked = np.take_along_axis(np.reshape(np.transpose(dy, self.order), self.sorting.shape),
                                    self.sorting, axis=-1)
        rows = np.arange(low.shape[1])
        return np.reshape(low * ranked[rows, self.lo] + high * ranked[rows, self.hi],
                          self.out)


@primitive()
class Quantile(_OrderStatistic):
    """y = np.quantile (or percentile, median, or their nan-forms: ``function``) of a
    over axis: (1 - t) a_(lo) + t a_(lo+1), the order statistics of ranks lo and lo + 1
    (of the non-NaN entries for the nan-forms);   d a = d y * (1 - t) at the entry of
    rank lo and d y * t at rank lo + 1, zero elsewhere (q gets none)"""

    def __init__(self, a: Any, q: Any = 0.5, axis: Any = None, method: str = "linear",
                 keepdims: bool = False, function: str = "quantile",
                 name: str | None = None) -> None:
        super().__init__(a, q=q, axis=axis, method=method, keepdims=keepdims,
                         function=function, name=name)

    def fprop(self, a):
        axes = self.reduced(np.shape(a))
        if 0 in [np.shape(a)[k] for k in axes] and self.function in ("quantile", "percentile"):
            raise BoxError(f"{describe(self)}: the {self.function} of no entries (input "
                           f"shape {np.shape(a)}, axis {self.axis!r}) has no value.")
        settings: dict[str, Any] = {"axis": self.axis, "keepdims": self.keepdims}
        arguments = () if "median" in self.function else (self.q,)
        if "median" not in self.function:
            settings["method"] = self.method
        with warnings.catch_warnings():  # numpy's warning for no (non-NaN) entries: NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            value = getattr(np, self.function)(a, *arguments, **settings)
        dtype = np.result_type(a)
        if dtype.kind == "f" and np.result_type(value) != dtype:  # a q array: float64
            value = np.asarray(value).astype(dtype)
        return value

    def bprop(self, grad, a):
        return spread_quantile(grad, a, self)


def _settings(box: _OrderStatistic) -> dict[str, Any]:
    return {"q": box.q, "axis": box.axis, "method": box.method, "keepdims": box.keepdims,
            "function": box.function}


def spread_quantile(g: Any, a: Any, of: _OrderStatistic) -> Any:
    """The gradient of ``of`` (a quantile of a) for d y = g: a QuantileGrad box for boxes."""
    if on_boxes(g, a):
        return QuantileGrad(g, a, **_settings(of))
    return of.ranks(a).spread(g)


@primitive()
class QuantileGrad(_OrderStatistic):
    """y = g placed at the entries of a that a quantile reads, weighted (the gradient of
    Quantile);   d g = the same weighted pair of d y's entries (linear in g); a gets none"""

    linear_in = (0,)

    def __init__(self, g: Any, a: Any, q: Any = 0.5, axis: Any = None,
                 method: str = "linear", keepdims: bool = False, function: str = "quantile",
                 name: str | None = None) -> None:
        super().__init__(g, a, q=q, axis=axis, method=method, keepdims=keepdims,
                         function=function, name=name)

    def fprop(self, g, a):
        return self.ranks(a).spread(g)

    def bprop(self, grad, g, a):
        return self.ranks(a).gather(grad), None


Axis = Any


@function("quantile", box=Quantile, numpy=np.quantile)
def quantile(a: Any, q: Any, axis: Axis = None, method: str = "linear",
             keepdims: bool = False, name: str | None = None) -> Box:
    """The ``q``-th quantiles (q in [0, 1], a number or an array) of ``a`` over ``axis``,
    as ``np.quantile`` with any of its methods; the gradient goes to the one or two
    entries each quantile interpolates (tied entries: numpy's stable sort order)."""
    return Quantile(a, q, axis=axis, method=method, keepdims=keepdims, name=name)


@function("nanquantile", box=Quantile, numpy=np.nanquantile, graphs=False)
def nanquantile(a: Any, q: Any, axis: Axis = None, method: str = "linear",
                keepdims: bool = False, name: str | None = None) -> Box:
    """As :func:`quantile`, ignoring NaN entries (``np.nanquantile``): NaN where a slice
    has none else; NaN entries get no gradient."""
    return Quantile(a, q, axis=axis, method=method, keepdims=keepdims,
                    function="nanquantile", name=name)


@function("percentile", box=Quantile, numpy=np.percentile, graphs=False)
def percentile(a: Any, q: Any, axis: Axis = None, method: str = "linear",
               keepdims: bool = False, name: str | None = None) -> Box:
    """The ``q``-th percentiles (q in [0, 100]), as ``np.percentile``: quantile(q / 100)."""
    return Quantile(a, q, axis=axis, method=method, keepdims=keepdims,
                    function="percentile", name=name)


@function("nanpercentile", box=Quantile, numpy=np.nanpercentile, graphs=False)
def nanpercentile(a: Any, q: Any, axis: Axis = None, method: str = "linear",
                  keepdims: bool = False, name: str | None = None) -> Box:
    """As :func:`percentile`, ignoring NaN entries (``np.nanpercentile``)."""
    return Quantile(a, q, axis=axis, method=method, keepdims=keepdims,
                    function="nanpercentile", name=name)


@function("median", box=Quantile, numpy=np.median, graphs=False)
def median(a: Any, axis: Axis = None, keepdims: bool = False, name: str | None = None) -> Box:
    """The median over ``axis``, as ``np.median`` (the mean of the two middle entries
    for an even count, which share the gradient)."""
    return Quantile(a, 0.5, axis=axis, keepdims=keepdims, function="median", name=name)


@function("nanmedian", box=Quantile, numpy=np.nanmedian, graphs=False)
def nanmedian(a: Any, axis: Axis = None, keepdims: bool = False,
              name: str | None = None) -> Box:
    """The median of the non-NaN entries over ``axis``, as ``np.nanmedian``."""
    return Quantile(a, 0.5, axis=axis, keepdims=keepdims, function="nanmedian", name=name)
