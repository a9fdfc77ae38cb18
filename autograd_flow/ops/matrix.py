"""Matrix structure: triangles, diagonals, the Kronecker product and the Vandermonde
matrix, with numpy's rules (triangles of the last two axes, batched; a diagonal of any
two axes)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..core.box import Box, user_site
from ..errors import BoxError, describe
from .arithmetic import Power
from .axes import axis_indices, integer_setting, interleaved
from .plumbing import astype_like
from .reduce import Sum
from .registry import function, primitive
from .shape import Reshape


class _Triangle(Box):
    """Shared by Triu and Tril: the diagonal offset k and the input check."""

    linear_in = (0,)

    def __init__(self, a: Any, k: int = 0, name: str | None = None) -> None:
        super().__init__(a, name=name)
        self.k = integer_setting(self, k, "k")

    def check(self, a: Any) -> None:
        if np.ndim(a) == 0:
            raise BoxError(f"{describe(self)}: a triangle needs an input with at least one "
                           "axis (a 1-D input is taken as the rows of a square matrix), got "
                           "a 0-d array.")


@primitive("triu", numpy=np.triu, dims=(1, 3))
class Triu(_Triangle):
    """y = a with the entries below the k-th diagonal zeroed (on the last two axes; a 1-D
    a is broadcast to a square matrix, as numpy);   d a = triu(d y, k), summed back over
    the broadcast rows"""

    def fprop(self, a):
        self.check(a)
        return np.triu(a, self.k)

    def bprop(self, grad, a):
        return np.triu(grad, self.k)


@primitive("tril", numpy=np.tril, dims=(1, 3))
class Tril(_Triangle):
    """y = a with the entries above the k-th diagonal zeroed (on the last two axes; a 1-D
    a is broadcast to a square matrix, as numpy);   d a = tril(d y, k), summed back over
    the broadcast rows"""

    def fprop(self, a):
        self.check(a)
        return np.tril(a, self.k)

    def bprop(self, grad, a):
        return np.tril(grad, self.k)


def embed_diagonal(grad: Any, shape: tuple[int, ...], offset: int, axis1: int,
                   axis2: int) -> np.ndarray:
    """Zeros of ``shape`` with ``grad`` on the offset diagonal of axes (axis1, axis2):
    the adjoint of ``np.diagonal`` (whose result has the diagonal as its last axis)."""
    result = np.zeros(shape, dtype=np.result_type(grad))
    length = np.shape(grad)[-1]
    rows = np.arange(length) + max(-offset, 0)
    columns = np.arange(length) + max(offset, 0)
    np.moveaxis(result, (axis1, axis2), (-2, -1))[..., rows, columns] = grad
    return result


@primitive("diagonal", numpy=np.diagonal, method="diagonal", dims=(2, 3))
class Diagonal(Box):
    """y[..., i] = a[..., i, i + offset] over axes (axis1, axis2), the other axes kept in
    order and the diagonal last (np.diagonal);   d a = d y on that diagonal, zero elsewhere"""

    linear_in = (0,)

    def __init__(self, a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1,
                 name: str | None = None) -> None:
        super().__init__(a, name=name)
        self.offset = integer_setting(self, offset, "offset")
        self.axis1 = integer_setting(self, axis1, "axis1")
        self.axis2 = integer_setting(self, axis2, "axis2")

    def axes(self, a: Any) -> tuple[int, ...]:
        return axis_indices(self, (self.axis1, self.axis2), np.shape(a), "(axis1, axis2)")

    def fprop(self, a):
        self.axes(a)
        return np.diagonal(a, self.offset, self.axis1, self.axis2)

    def bprop(self, grad, a):
        return embed_diagonal(grad, np.shape(a), self.offset, *self.axes(a))


@primitive("diag", numpy=np.diag, dims=(1, 2))
class Diag(Box):
    """np.diag: for a 1-D v, y = the square matrix with v on its k-th diagonal and
    d v = the k-th diagonal of d y; for a 2-D v, y = its k-th diagonal and d v = d y on
    that diagonal, zero elsewhere"""

    linear_in = (0,)

    def __init__(self, v: Any, k: int = 0, name: str | None = None) -> None:
        super().__init__(v, name=name)
        self.k = integer_setting(self, k, "k")

    def fprop(self, v):
        if np.ndim(v) not in (1, 2):
            raise BoxError(f"{describe(self)}: diag takes a 1-D input (to build a matrix) or a "
                           f"2-D one (to take its diagonal), got shape {np.shape(v)}; for "
                           "other shapes use af.diagonal.")
        return np.diag(v, self.k)

    def bprop(self, grad, v):
        if np.ndim(v) == 1:
            return np.diagonal(grad, self.k)
        return embed_diagonal(grad, np.shape(v), self.k, 0, 1)


def _padded(shape: tuple[int, ...], ndim: int) -> tuple[int, ...]:
    return (1,) * (ndim - len(shape)) + shape


@primitive("kron", numpy=np.kron)
class Kron(Box):
    """y = kron(a, b): block i of y is a[i] * b (the shorter shape padded with leading 1s);
    d a[i] = sum(block i of d y * b),  d b = sum_i a[i] * block i of d y"""

    linear_in = (0, 1)
    multilinear = True

    def fprop(self, a, b):
        return np.kron(a, b)

    def bprop(self, grad, a, b):
        ndim = max(np.ndim(a), np.ndim(b))
        a_shape, b_shape = _padded(np.shape(a), ndim), _padded(np.shape(b), ndim)
        ones = (1,) * ndim
        blocks = np.reshape(grad, interleaved(a_shape, b_shape))
        a_wide = np.reshape(a, interleaved(a_shape, ones))
        b_wide = np.reshape(b, interleaved(ones, b_shape))
        grad_a = np.sum(blocks * b_wide, axis=tuple(range(1, 2 * ndim, 2)))
        grad_b = np.sum(blocks * a_wide, axis=tuple(range(0, 2 * ndim, 2)))
        return np.reshape(grad_a, np.shape(a)), np.reshape(grad_b, np.shape(b))



@primitive("inner", numpy=np.inner, bound=10.0)
class Inner(Box):
    """y = inner(a, b): the sum over the last axes of a and b, y[i..., j...] =
    sum_k a[i..., k] b[j..., k] (a * b when either is 0-d);   d a[i..., k] =
    sum_j d y[i..., j...] b[j..., k],  d b[j..., k] = sum_i d y[i..., j...] a[i..., k]"""

    linear_in = (0, 1)
    multilinear = True

    def _check(self, a: Any, b: Any) -> bool:
        """Whether either is 0-d (a product); else their last axes must match."""
        if np.ndim(a) == 0 or np.ndim(b) == 0:
            return True
        if np.shape(a)[-1] != np.shape(b)[-1]:
            raise BoxError(f"{describe(self)}: the last axes of a (shape {np.shape(a)}) and "
                           f"b (shape {np.shape(b)}) must have one length.")
        return False

    def fprop(self, a, b):
        if self._check(a, b):
            return a * b  # np.inner's value; a Python number does not promote float32
        return np.inner(a, b)

    def bprop(self, grad, a, b):
        if self._check(a, b):
            return grad * b, grad * a
        free_a, free_b = np.ndim(a) - 1, np.ndim(b) - 1
        grad_axes = list(range(np.ndim(grad)))
        return (np.tensordot(grad, b, (grad_axes[free_a:], list(range(free_b)))),
                np.tensordot(grad, a, (grad_axes[:free_a], list(range(free_a)))))


@function("trace", box=Diagonal, numpy=np.trace, method="trace", graphs=False)
def trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1,
          name: str | None = None) -> Box:
    """The sum of the ``offset`` diagonal of axes (axis1, axis2), as ``np.trace``:
    a Diagonal box summed over its last axis."""
    return Sum(Diagonal(a, offset=offset, axis1=axis1, axis2=axis2), axis=-1,
               name=name or "trace")


@function("diagflat", box=Diag, numpy=np.diagflat, graphs=False)
def diagflat(v: Any, k: int = 0, name: str | None = None) -> Box:
    """The square matrix with the entries of ``v`` (flattened) on its ``k``-th diagonal,
    as ``np.diagflat``: a Diag box of the flattened v."""
    return Diag(Reshape(v, shape=(-1,)), k=k, name=name or "diagflat")


@function("vander", box=Power, numpy=np.vander, graphs=False)
def vander(x: Any, N: int | None = None, increasing: bool = False,  # noqa: N803 (numpy's)
           name: str | None = None) -> Box:
    """The Vandermonde matrix of the 1-D ``x``, as ``np.vander``: column j is
    x ** (N - 1 - j) (x ** j if ``increasing``), N = len(x) by default; a Power box of x
    as a column and the integer exponents, so d x = sum_j d y[:, j] * p_j x ** (p_j - 1)
    (the power 0 contributes 0, also at x = 0)."""
    if np.ndim(x) != 1:
        raise BoxError(f"vander (at {user_site()}): x must be a 1-D array, got shape "
                       f"{np.shape(x)}")
    columns = len(x) if N is None else N
    if not isinstance(columns, (int, np.integer)) or isinstance(columns, bool) or columns < 0:
        raise BoxError(f"vander (at {user_site()}): N must be an integer >= 0, not {N!r}")
    powers = np.arange(int(columns))
    powers = astype_like(powers if increasing else powers[::-1], x)  # numpy keeps x's dtype
    return Power(Reshape(x, shape=(-1, 1)), powers, name=name or "vander")
