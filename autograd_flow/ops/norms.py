"""Vector and matrix norms, as numpy.linalg's ``norm``, ``vector_norm`` and
``matrix_norm``, composed of primitives (sums, absolute values, max and min, powers,
singular values): no bprop of their own.

The 2-norm (and Frobenius norm) is sqrt(sum(x**2)) with the square root taken only
where the sum is not 0, so at x = 0 the norm is 0 and its gradient the subgradient 0
(not NaN); the same for other p-norms, whose entries 0 also get the gradient 0 (for
p < 1, where |x|**p has no derivative at 0, as abs's subgradient at 0). Max and min
share the gradient among ties.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..core.box import Box, Constant, Input, Parameter, as_box
from ..core.scope import composite
from ..errors import BoxError, describe
from .decompositions import Svdvals
from .plumbing import astype_like
from .registry import function


def _root(total: Any, degree: float = 2.0) -> Any:
    """total**(1/degree), and 0 with a 0 gradient where total is 0 (the root's derivative
    is infinite there: the "double where" keeps it out of the gradient)."""
    zero = np.equal(total, 0)
    safe = np.where(zero, 1, total)
    root = np.sqrt(safe) if degree == 2 else np.power(safe, 1 / degree)
    return np.where(zero, 0, root)


def _vector_norm(x: Box, ord: Any, axis: Any, keepdims: bool) -> Any:  # noqa: A002 (numpy's name)
    if isinstance(ord, str):
        raise ValueError(f"Invalid norm order {ord!r} for vectors: give a number "
                         "(2, 1, inf, -inf, 0, p).")
    if ord is None or ord == 2:
        return _root(np.sum(x * x, axis=axis, keepdims=keepdims))
    if ord == np.inf:
        return np.max(np.abs(x), axis=axis, keepdims=keepdims, initial=0)
    if ord == -np.inf:
        return np.min(np.abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:  # the count of entries not 0: no gradient
        return np.sum(astype_like(np.not_equal(x, 0), x * 1.0), axis=axis, keepdims=keepdims)
    if ord == 1:
        return np.sum(np.abs(x), axis=axis, keepdims=keepdims)
    return _root(np.sum(_powered(x, float(ord)), axis=axis, keepdims=keepdims), float(ord))


def _powered(x: Box, p: float) -> Any:
    """|x|**p, with the entries 0 given their value (0, or inf for p < 0) as constants:
    their gradient is 0, where |x|**p has none for p < 1 (a subgradient, as abs's at 0)."""
    zero = np.equal(x, 0)
    return np.where(zero, 0.0 if p > 0 else np.inf, np.abs(np.where(zero, 1, x)) ** p)


def _matrix_norm(x: Any, ord: Any, axes: tuple[int, int], keepdims: bool) -> Any:  # noqa: A002
    if ord in (None, "fro", "f"):
        return _root(np.sum(x * x, axis=axes, keepdims=keepdims))
    moved = np.moveaxis(x, axes, (-2, -1))
    if ord in (2, -2, "nuc"):
        values = Svdvals(moved)
        result = (np.max(values, axis=-1, initial=0) if ord == 2 else
                  np.min(values, axis=-1) if ord == -2 else np.sum(values, axis=-1))
    elif ord in (1, -1, np.inf, -np.inf):
        sums = np.sum(np.abs(moved), axis=-2 if ord in (1, -1) else -1)
        result = np.max(sums, axis=-1, initial=0) if ord > 0 else np.min(sums, axis=-1)
    else:
        raise ValueError(f"Invalid norm order {ord!r} for matrices: give 'fro', 'nuc', 2, "
                         "-2, 1, -1, inf or -inf.")
    return np.expand_dims(result, axes) if keepdims else result


def _ndim(x: Box, ord: Any) -> int:
    """x's number of axes, where it is known before the graph runs."""
    if isinstance(x, (Parameter, Constant)):
        return int(np.ndim(x.value))
    if isinstance(x, Input) and x.shape is not None:
        return len(x.shape)
    try:
        return int(x.ndim)
    except (AttributeError, TypeError):
        raise BoxError(
            f"norm(x, ord={ord!r}) with axis=None is a vector norm for a 1-D x and a "
            f"matrix norm for a 2-D x, and the number of axes of {describe(x)} is known "
            "only when the graph runs: pass axis=-1 (a vector norm) or axis=(-2, -1) (a "
            "matrix norm).") from None


def _axes(axis: Any) -> tuple[int, ...]:
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
        return (int(axis),)
    if isinstance(axis, tuple) and all(isinstance(k, (int, np.integer)) for k in axis):
        return tuple(int(k) for k in axis)
    raise TypeError(f"'axis' must be None, an integer or a tuple of integers, got {axis!r}.")


@function("linalg.norm", numpy=np.linalg.norm, graphs=False)
@composite("norm")
def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False,  # noqa: A002
         name: str | None = None) -> Box:
    """The norm of x, as ``np.linalg.norm``: over all entries (the 2-norm) when axis and
    ord are None; a vector norm over one axis (ord 2, 1, inf, -inf, 0 or any p); a
    matrix norm over two ('fro', 'nuc', 2 and -2 from the singular values, 1, -1, inf,
    -inf). With ord and no axis, x is 1-D (a vector norm) or 2-D (a matrix norm)."""
    x = as_box(x)
    if axis is None:
        if ord is None:
            return _root(np.sum(x * x, axis=None, keepdims=keepdims)).named(name or "norm")
        ndim = _ndim(x, ord)
        if ndim not in (1, 2):
            raise ValueError(f"Improper number of dimensions to norm: ord={ord!r} with "
                             f"axis=None takes a 1-D or 2-D x, got {ndim} axes.")
        axis = tuple(range(ndim))
    axes = _axes(axis)
    if len(axes) == 1:
        result = _vector_norm(x, ord, axes[0], keepdims)
    elif len(axes) == 2:
        result = _matrix_norm(x, ord, (axes[0], axes[1]), keepdims)
    else:
        raise ValueError(f"Improper number of dimensions to norm: axis {axis!r} names "
                         f"{len(axes)} axes (one for a vector norm, two for a matrix norm).")
    return result.named(name or "norm")


@function("linalg.vector_norm", numpy=np.linalg.vector_norm, graphs=False)
@composite("vector_norm")
def vector_norm(x: Any, *, axis: Any = None, keepdims: bool = False, ord: Any = 2,  # noqa: A002
                name: str | None = None) -> Box:
    """The vector norm of x over ``axis`` (all entries when None, any number of axes), as
    ``np.linalg.vector_norm``: ord 2, 1, inf, -inf, 0 or any p."""
    x = as_box(x)
    return _vector_norm(x, ord, None if axis is None else _axes(axis), keepdims).named(
        name or "vector_norm")


@function("linalg.matrix_norm", numpy=np.linalg.matrix_norm, graphs=False)
@composite("matrix_norm")
def matrix_norm(x: Any, *, keepdims: bool = False, ord: Any = "fro",  # noqa: A002
                name: str | None = None) -> Box:
    """The matrix norm of x's last two axes, as ``np.linalg.matrix_norm``: 'fro',
    'nuc', 2, -2, 1, -1, inf or -inf."""
    return _matrix_norm(as_box(x), ord, (-2, -1), keepdims).named(name or "matrix_norm")
