"""Products: matmul, dot, outer, tensordot and cross with numpy's rules (1-D operands,
batch dimensions), and the products numpy.linalg composes from them (``vecdot``,
``multi_dot``, ``matrix_power``) with its views of a stack of matrices (``trace``,
``diagonal``, ``matrix_transpose`` over the last two axes), in ``af.linalg``. einsum is
in :mod:`autograd_flow.ops.einsum`."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..core.box import Box, as_box, user_site
from ..core.scope import composite
from ..errors import BoxError, describe
from .axes import integer_setting
from .inverse import Inv
from .matrix import Diagonal, Tril, Triu
from .plumbing import ZerosLike
from .reduce import Sum
from .registry import function, primitive
from .shape import SwapAxes


@primitive("matmul", numpy=(np.matmul, np.linalg.matmul), aliases=("linalg.matmul",),
           common=True, dims=(1, 2))
class MatMul(Box):
    """y = a @ b;   d a = d y @ b^T,  d b = a^T @ d y
    (lecture: grad W = (grad a) h^T and grad h = W^T (grad a), batched)"""

    linear_in = (0, 1)
    multilinear = True

    def fprop(self, a, b):
        return a @ b

    def bprop(self, grad, a, b):
        return self.bprop_input(0, grad, a, b), self.bprop_input(1, grad, a, b)

    def bprop_input(self, position, grad, a, b):
        """The gradient of input ``position`` alone (the adjoint of a gradient box needs
        one of the two products)."""
        if a.ndim == 1 and b.ndim == 1:
            return grad * (b if position == 0 else a)
        if a.ndim == 1:
            if position == 0:
                return (grad[..., None, :] @ np.swapaxes(b, -1, -2))[..., 0, :]
            return a[:, None] * grad[..., None, :]
        if b.ndim == 1:
            if position == 0:
                return grad[..., None] * b
            return (np.swapaxes(a, -1, -2) @ grad[..., None])[..., 0]
        if position == 0:
            return grad @ np.swapaxes(b, -1, -2)
        return transposed_product(a, grad)


def transposed_product(a: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """d b = a^T @ d y for y = a @ b over the last two axes, computed as (d y^T @ a)^T: the
    same sums, and for b = W^T (every ``af.linear``) d W = d y^T @ h comes out of one
    C-ordered gemm, as a compiled plan computes it. A broadcast product when a has one
    row (an outer product: OpenBLAS takes ~4x longer for an inner dimension of 1)."""
    if a.ndim == 2 and grad.ndim == 2 and len(a) == 1:
        return a.T * grad
    return np.swapaxes(np.swapaxes(grad, -1, -2) @ a, -1, -2)


@primitive("vdot", numpy=np.vdot, bound=10.0)
class Vdot(Box):
    """y = sum_i a_i b_i over the flattened arrays (``np.vdot`` of real arrays);
    d a = d y * b,  d b = d y * a, each in the other's shape (lecture: the L2 penalty
    Omega = W . W, d W = 2 W)"""

    linear_in = (0, 1)
    multilinear = True

    def fprop(self, a, b):
        if np.size(a) != np.size(b):
            raise BoxError(f"{describe(self)}: vdot needs arrays of the same size, got "
                           f"shapes {np.shape(a)} and {np.shape(b)}.")
        return np.vdot(a, b)

    def bprop(self, grad, a, b):
        return grad * np.reshape(b, np.shape(a)), grad * np.reshape(a, np.shape(b))


def _axes_pair(axes: Any, where: str) -> int | tuple[tuple[int, ...], tuple[int, ...]]:
    """tensordot's ``axes`` checked: a count >= 0, or two equally long sequences (or
    integers) of axes of a and of b."""
    if isinstance(axes, (int, np.integer)) and not isinstance(axes, bool):
        if axes < 0:
            raise BoxError(f"{where}: axes must be a count >= 0 or a pair of axis lists, "
                           f"got {axes}.")
        return int(axes)
    try:
        first, second = axes
    except (TypeError, ValueError):
        raise BoxError(f"{where}: axes must be a count >= 0 or a pair of axis lists "
                       f"(e.g. ([1], [0])), got {axes!r}.") from None
    pair = []
    for side in (first, second):
        side = (side,) if isinstance(side, (int, np.integer)) else tuple(side)
        if not all(isinstance(k, (int, np.integer)) for k in side):
            raise BoxError(f"{where}: axes must be integers, got {axes!r}.")
        pair.append(tuple(int(k) for k in side))
    if len(pair[0]) != len(pair[1]):
        raise BoxError(f"{where}: axes pairs axes of a with axes of b, so both lists must "
                       f"have one length; got {axes!r}.")
    return pair[0], pair[1]


def _contracted(axes: Any, a_shape: tuple[int, ...], b_shape: tuple[int, ...],
                box: Box) -> tuple[list[int], list[int]]:
    """The summed axes of a and of b, in [0, ndim), paired in order; checked to exist,
    not to repeat, and to have equal lengths."""
    if isinstance(axes, int):
        if axes > min(len(a_shape), len(b_shape)):
            raise BoxError(f"{describe(box)}: cannot sum over the last {axes} axes of a "
                           f"(shape {a_shape}) with the first {axes} of b (shape {b_shape}).")
        summed_a = list(range(len(a_shape) - axes, len(a_shape)))
        summed_b = list(range(axes))
    else:
        summed_a, summed_b = [], []
        for axis, shape, summed, side in ((axes[0], a_shape, summed_a, "a"),
                                          (axes[1], b_shape, summed_b, "b")):
            for k in axis:
                if not -len(shape) <= k < len(shape):
                    raise BoxError(f"{describe(box)}: axis {k} of {side} is out of range "
                                   f"for its shape {shape}.")
                summed.append(k % len(shape))
            if len(set(summed)) != len(summed):
                raise BoxError(f"{describe(box)}: axes {axis} of {side} repeat an axis.")
    for i, j in zip(summed_a, summed_b):
        if a_shape[i] != b_shape[j]:
            raise BoxError(f"{describe(box)}: axis {i} of a (shape {a_shape}) has length "
                           f"{a_shape[i]} but the axis {j} of b it is summed with (shape "
                           f"{b_shape}) has length {b_shape[j]}.")
    return summed_a, summed_b


def _tensordot_grads(grad: Any, a: Any, b: Any, summed_a: list[int], summed_b: list[int]
                     ) -> tuple[np.ndarray, np.ndarray]:
    """The gradients of y = tensordot(a, b, (summed_a, summed_b)): y's axes are a's free
    axes then b's free axes. d a = d y contracted with b over b's free axes, its axes
    put back in a's order; d b likewise."""
    free_a = [k for k in range(np.ndim(a)) if k not in summed_a]
    free_b = [k for k in range(np.ndim(b)) if k not in summed_b]
    grad_axes = list(range(np.ndim(grad)))
    grad_a = np.tensordot(grad, b, (grad_axes[len(free_a):], free_b))
    # grad_a's axes: a's free axes, then b's summed axes in b's order (each paired
    # with an axis of a)
    order_a = free_a + [summed_a[j] for j in np.argsort(summed_b)]
    grad_b = np.tensordot(a, grad, (free_a, grad_axes[:len(free_a)]))
    order_b = [summed_b[j] for j in np.argsort(summed_a)] + free_b
    return (np.transpose(grad_a, np.argsort(order_a)),
            np.transpose(grad_b, np.argsort(order_b)))


@primitive("tensordot", numpy=(np.tensordot, np.linalg.tensordot),
           aliases=("linalg.tensordot",))
class TensorDot(Box):
    """y = tensordot(a, b, axes): the sum over the paired axes (the last ``axes`` of a
    with the first of b, or two lists);   d a = d y contracted with b over b's other
    axes, d b = a contracted with d y over a's other axes"""

    linear_in = (0, 1)
    multilinear = True

    def __init__(self, a: Any, b: Any, axes: Any = 2, name: str | None = None) -> None:
        self.axes = _axes_pair(axes, f"TensorDot (created at {user_site()})")
        super().__init__(a, b, name=name)

    def fprop(self, a, b):
        summed_a, summed_b = _contracted(self.axes, np.shape(a), np.shape(b), self)
        return np.tensordot(a, b, (summed_a, summed_b))

    def bprop(self, grad, a, b):
        summed_a, summed_b = _contracted(self.axes, np.shape(a), np.shape(b), self)
        return _tensordot_grads(grad, a, b, summed_a, summed_b)


@primitive("dot", numpy=np.dot, method="dot")
class Dot(Box):
    """y = dot(a, b): a * b when either is 0-d, else tensordot(a, b, ([-1], [-2])) (b's
    only axis when b is 1-D);   d a, d b = tensordot's gradients (d y * b, d y * a if 0-d)"""

    linear_in = (0, 1)
    multilinear = True

    def fprop(self, a, b):
        if np.ndim(a) == 0 or np.ndim(b) == 0:
            return a * b  # np.dot's value; a Python number does not promote float32
        return np.dot(a, b)

    def bprop(self, grad, a, b):
        if np.ndim(a) == 0 or np.ndim(b) == 0:
            return grad * b, grad * a
        return _tensordot_grads(grad, a, b, [np.ndim(a) - 1], [max(np.ndim(b) - 2, 0)])


@primitive("outer", numpy=(np.outer, np.linalg.outer), aliases=("linalg.outer",))
class Outer(Box):
    """y = outer(a, b) = ravel(a)[:, None] * ravel(b)[None, :];
    d a = (d y @ ravel(b)) shaped like a,  d b = (ravel(a) @ d y) shaped like b"""

    linear_in = (0, 1)
    multilinear = True

    def fprop(self, a, b):
        return np.outer(a, b)

    def bprop(self, grad, a, b):
        return (np.reshape(grad @ np.ravel(b), np.shape(a)),
                np.reshape(np.ravel(a) @ grad, np.shape(b)))



def _vectors(a: Any, axis: int, box: Box, which: str) -> np.ndarray:
    """a's vectors along ``axis`` moved last and padded to 3 entries (z = 0 for a
    2-vector), checked to have 2 or 3 entries."""
    if not -np.ndim(a) <= axis < np.ndim(a) or np.shape(a)[axis] not in (2, 3):
        raise BoxError(f"{describe(box)}: cross takes vectors of 2 or 3 entries along "
                       f"axis{which} {axis}, got {which} of shape {np.shape(a)}.")
    moved = np.moveaxis(a, axis, -1)
    return moved if np.shape(moved)[-1] == 3 else np.concatenate(
        [moved, np.zeros_like(moved[..., :1])], axis=-1)


def _vectors_back(grad: Any, a: Any, axis: int) -> np.ndarray:
    """A gradient of 3-vectors in the last axis, cut to a's vectors' length and moved to
    a's axis (counted from the end, so that broadcast axes in front line up)."""
    return np.moveaxis(grad[..., :np.shape(a)[axis]], -1, axis % np.ndim(a) - np.ndim(a))


@primitive("cross", numpy=np.cross, dims=(1, 3))
class Cross(Box):
    """y = a x b for vectors of 2 or 3 entries along axisa and axisb (a 2-vector has z = 0;
    two 2-vectors give the z entry alone), the result's vectors along axisc (``axis`` sets
    all three), as np.cross;   d a = b x d y,  d b = d y x a, cut to each input's
    vectors"""

    linear_in = (0, 1)
    multilinear = True

    def __init__(self, a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1,
                 axis: int | None = None, name: str | None = None) -> None:
        super().__init__(a, b, name=name)
        if axis is not None:
            axisa = axisb = axisc = axis
        self.axisa = integer_setting(self, axisa, "axisa")
        self.axisb = integer_setting(self, axisb, "axisb")
        self.axisc = integer_setting(self, axisc, "axisc")

    def fprop(self, a, b):
        product = np.cross(_vectors(a, self.axisa, self, "a"), _vectors(b, self.axisb, self, "b"))
        if np.shape(a)[self.axisa] == np.shape(b)[self.axisb] == 2:
            return product[..., 2]
        return np.moveaxis(product, -1, self.axisc)  # (numpy 2 deprecates 2-vectors in cross)

    def bprop(self, grad, a, b):
        a3, b3 = _vectors(a, self.axisa, self, "a"), _vectors(b, self.axisb, self, "b")
        if np.shape(a)[self.axisa] == np.shape(b)[self.axisb] == 2:  # y is the z entries
            grad3 = np.stack([np.zeros_like(grad), np.zeros_like(grad), grad], axis=-1)
        else:
            grad3 = np.moveaxis(grad, self.axisc, -1)
        return (_vectors_back(np.cross(b3, grad3), a, self.axisa),
                _vectors_back(np.cross(grad3, a3), b, self.axisb))


@function("linalg.cross", box=Cross, numpy=np.linalg.cross, graphs=False)
def linalg_cross(x1: Any, x2: Any, *, axis: int = -1, name: str | None = None) -> Box:
    """The cross product of the vectors along ``axis``, as ``np.linalg.cross``."""
    return Cross(x1, x2, axis=axis, name=name or "cross")


@function("linalg.vecdot", aliases=("vecdot",), numpy=(np.linalg.vecdot, np.vecdot),
          graphs=False)
@composite("vecdot")
def vecdot(x1: Any, x2: Any, *, axis: int = -1, name: str | None = None) -> Box:
    """sum(x1 * x2) over ``axis`` (the vectors' dot products, broadcast), as
    ``np.linalg.vecdot`` of real arrays: a product and a Sum box."""
    return Sum(as_box(x1) * x2, axis=axis, name=name or "vecdot")


@function("linalg.multi_dot", box=MatMul, numpy=np.linalg.multi_dot, graphs=False)
@composite("multi_dot")
def multi_dot(arrays: Any, name: str | None = None) -> Box:
    """A[0] @ A[1] @ ... @ A[-1], as ``np.linalg.multi_dot`` (a 1-D first array is a
    row, a 1-D last one a column): MatMul boxes from left to right (numpy picks the
    cheapest order from the shapes, which a graph knows only when it runs; the values
    agree to rounding)."""
    arrays = list(arrays)
    if len(arrays) < 2:
        raise ValueError(f"multi_dot takes at least two arrays, got {len(arrays)}.")
    result = arrays[0]
    for array in arrays[1:-1]:
        result = MatMul(result, array)
    return MatMul(result, arrays[-1], name=name or "multi_dot")


@function("linalg.matrix_power", box=MatMul, numpy=np.linalg.matrix_power, graphs=False)
@composite("matrix_power")
def matrix_power(a: Any, n: int, name: str | None = None) -> Box:
    """A**n for an integer n, as ``np.linalg.matrix_power`` (the same products in the same
    order: repeated squaring): MatMul boxes; n = 0 gives the identity (no gradient),
    n < 0 powers of inv(A)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"matrix_power: the exponent must be an integer, got {n!r}.")
    a = as_box(a)
    if n == 0:
        return Triu(Tril(ZerosLike(a) + 1), name=name or "identity")
    if n < 0:
        a, n = Inv(a), -int(n)
    if n <= 3:
        result = a
        for _ in range(n - 1):
            result = MatMul(result, a)
        return result.named(name or "matrix_power") if n > 1 else result
    power, result = None, None
    while n > 0:
        power = a if power is None else MatMul(power, power)
        n, bit = divmod(n, 2)
        if bit:
            result = power if result is None else MatMul(result, power)
    assert result is not None
    return result.named(name or "matrix_power")


@function("linalg.trace", box=Diagonal, numpy=np.linalg.trace, graphs=False)
def trace(x: Any, *, offset: int = 0, name: str | None = None) -> Box:
    """The sums of the ``offset`` diagonals of x's matrices (its last two axes), as
    ``np.linalg.trace``."""
    return Sum(Diagonal(x, offset=offset, axis1=-2, axis2=-1), axis=-1, name=name or "trace")


@function("linalg.diagonal", box=Diagonal, numpy=np.linalg.diagonal, graphs=False)
def diagonal(x: Any, *, offset: int = 0, name: str | None = None) -> Box:
    """The ``offset`` diagonals of x's matrices (its last two axes), as
    ``np.linalg.diagonal``."""
    return Diagonal(x, offset=offset, axis1=-2, axis2=-1, name=name or "diagonal")


@function("linalg.matrix_transpose", box=SwapAxes, numpy=np.linalg.matrix_transpose,
          graphs=False)
def matrix_transpose(x: Any, name: str | None = None) -> Box:
    """x's matrices transposed (its last two axes swapped), as
    ``np.linalg.matrix_transpose``."""
    return SwapAxes(x, -1, -2, name=name or "matrix_transpose")
