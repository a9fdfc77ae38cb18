"""numpy's statistics and differences written with primitives (composites: no bprop of
their own): ``var``, ``std`` (also Box methods) and ``diff``."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..core.box import Box, as_box
from ..core.scope import composite
from .arithmetic import Add, Div, Sub, Where
from .compare import Equal
from .elementwise import Sqrt, Square
from .indexing import GetItem
from .join import Concatenate
from .plumbing import ZerosLike, astype_like
from .reduce import Mean, Sum, converted, masked, no_out
from .registry import function


@function("var", numpy=np.var, method="var", graphs=False)
@composite("var")
def var(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: int = 0,
        keepdims: bool = False, *, where: Any = True, name: str | None = None) -> Box:
    """Variance over ``axis``, as ``np.var``: sum((a - mean(a))**2) / (n - ddof), n the
    number of entries reduced (numpy's two-pass formula, so the same rounding);
    ``dtype=`` converts first, ``where=`` (a boolean mask broadcasting to a's shape)
    takes only the entries it keeps (the others get no gradient)."""
    no_out(out, "var")
    a, mask = masked(converted(a, dtype), where, 0)
    if mask is None:
        ones = Add(ZerosLike(a), 1)
        centered = Sub(a, Mean(a, axis=axis, keepdims=True), name="a - mean")
        squares: Box = Square(centered)
    else:
        ones = astype_like(mask, a)
        mean = Div(Sum(a, axis=axis, keepdims=True), Sum(ones, axis=axis, keepdims=True))
        squares = Where(mask, Square(Sub(a, mean, name="a - mean")), 0)
    count = Sum(ones, axis=axis, keepdims=keepdims, name="n")
    total = Sum(squares, axis=axis, keepdims=keepdims)
    return Div(total, count - ddof if ddof else count, name=name or "var")


@function("std", numpy=np.std, method="std", graphs=False)
@composite("std")
def std(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: int = 0,
        keepdims: bool = False, *, where: Any = True, name: str | None = None) -> Box:
    """Standard deviation over ``axis``, as ``np.std`` (its ``dtype=`` and ``where=``
    too): sqrt(var(a)); its gradient is 0 where the variance is 0 (a single entry, or
    equal ones: a subgradient, as torch's and HIPS autograd's), not 0 * inf."""
    no_out(out, "std")
    variance = var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims, where=where)
    constant = Equal(variance, 0, name="var == 0")
    root = Sqrt(Where(constant, 1, variance), name="sqrt(var)")  # 1: no 1 / 0 in bprop
    return Where(constant, 0, root, name=name or "std")


def _along(axis: int, part: slice) -> tuple[Any, ...]:
    """The index taking ``part`` of ``axis`` (negative axes counted from the end, so the
    index works before the array's number of axes is known)."""
    if axis < 0:
        return (Ellipsis, part) + (slice(None),) * (-axis - 1)
    return (slice(None),) * axis + (part,)


@function("diff", numpy=np.diff, graphs=False)
@composite("diff")
def diff(a: Any, n: int = 1, axis: int = -1, prepend: Any = None, append: Any = None,
         name: str | None = None) -> Box:
    """The n-th discrete difference along ``axis``, as ``np.diff``: out[i] = a[i+1] - a[i],
    applied n times, after joining ``prepend`` / ``append`` (a number is repeated along
    the axis's edge, as numpy does). Slices and a subtraction: each entry's gradient is
    the difference of the two outputs it feeds."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"diff: order n must be an integer >= 0, got {n!r}.")
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"diff: axis must be an integer, got {axis!r}.")
    a = as_box(a)
    if n == 0:
        return a

    def edge(value: Any) -> Any:
        if isinstance(value, Box) or np.ndim(value) > 0:
            return value
        first = GetItem(a, _along(axis, slice(0, 1)))
        return Add(ZerosLike(first), value, name="edge")

    if prepend is not None or append is not None:
        a = Concatenate(*([edge(prepend)] if prepend is not None else []), a,
                            *([edge(append)] if append is not None else []), axis=int(axis))
    for k in range(n):
        a = Sub(GetItem(a, _along(axis, slice(1, None))),
                    GetItem(a, _along(axis, slice(None, -1))),
                    name=(name or "diff") if k == n - 1 else "diff")
    return a
