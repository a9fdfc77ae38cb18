"""Matrix product, with numpy's rules for 1-D operands and batch dimensions."""
from __future__ import annotations

import numpy as np

from ..box import Box
from .gradient import multilinear_in


class MatMul(Box):
    """y = a @ b;   d a = d y @ b^T,  d b = a^T @ d y
    (lecture: grad W = (grad a) h^T and grad h = W^T (grad a), batched)"""

    def fprop(self, a, b):
        return a @ b

    def bprop(self, grad, a, b):
        if a.ndim == 1 and b.ndim == 1:
            return grad * b, grad * a
        if a.ndim == 1:
            return ((grad[..., None, :] @ np.swapaxes(b, -1, -2))[..., 0, :],
                    a[:, None] * grad[..., None, :])
        if b.ndim == 1:
            return grad[..., None] * b, (np.swapaxes(a, -1, -2) @ grad[..., None])[..., 0]
        return grad @ np.swapaxes(b, -1, -2), transposed_product(a, grad)

    bprop_boxes = multilinear_in(0, 1)


def transposed_product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a^T @ b over the last two axes; a broadcast product when both have one row
    (an outer product: OpenBLAS takes ~4x longer for an inner dimension of 1)."""
    if a.ndim == 2 and b.ndim == 2 and len(a) == 1:
        return a.T * b
    return np.swapaxes(a, -1, -2) @ b
