"""Products: matmul, dot, outer and tensordot with numpy's rules (1-D operands, batch
dimensions). einsum is in :mod:`autograd_flow.ops.einsum`."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..core.box import Box, user_site
from ..errors import BoxError, describe
from .registry import primitive


@primitive("matmul", numpy=np.matmul, common=True, dims=(1, 2))
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


@primitive("tensordot", numpy=np.tensordot)
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


@primitive("outer", numpy=np.outer)
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

