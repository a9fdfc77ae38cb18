"""Fused run plans for composites: ``FlowGraph(..., fuse=True)`` runs a composite's
primitive boxes as one step with the lecture's closed-form gradients, in fewer numpy
calls. The graph itself (its boxes, its picture) is unchanged; only the run plan is.

Each fusion gives the same values and gradients as the primitive boxes it replaces
(tests/test_fused.py proves it); the boxes inside a fused composite keep no ``.value``
or ``.grad`` of their own during a fused run.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .box import Box
from .ops.linalg import transposed_product
from .ops.shape import check_labels


class Fusion:
    """One composite run as a single step: ``fprop(*values)`` and
    ``bprop(needs, grad, *values)`` over its ``inputs`` (boxes from outside the
    composite), where ``needs[i]`` says whether input i wants a gradient (None is
    returned for the others, so no work is wasted on them); ``boxes`` are the
    primitive boxes it replaces, its output last."""

    def __init__(self, inputs: Sequence[Box], boxes: Sequence[Box]) -> None:
        self.inputs = tuple(inputs)
        self.boxes = tuple(boxes)

    @property
    def output(self) -> Box:
        return self.boxes[-1]


class Linear(Fusion):
    """a = h @ W^T (+ b);   d h = d a W,  d W = (d a)^T h,  d b = sum over rows of d a
    (lecture: grad W = (grad a) h^T, grad b = grad a, grad h = W^T grad a)."""

    def fprop(self, h, W, b=None):
        a = h @ W.T
        if b is None:
            return a
        if isinstance(b, np.ndarray) and b.shape == a.shape[-1:] and b.dtype == a.dtype:
            a += b
            return a
        return a + b

    def bprop(self, needs, grad, h, W, b=None):
        grad_h = grad @ W if needs[0] else None
        grad_W = None
        if needs[1]:
            grad_W = grad[..., :, None] * h if h.ndim == 1 else transposed_product(grad, h)
        if b is None:
            return grad_h, grad_W
        grad_b = None
        if needs[2]:
            grad_b = grad.sum(axis=0) if grad.ndim == 2 and np.ndim(b) == 1 else grad
        return grad_h, grad_W, grad_b


class SoftmaxCrossEntropy(Fusion):
    """l = mean_n -log softmax(a_n)[y_n];   d a = d l * (f(x) - e(y)) / N
    (lecture: the gradient at the output pre-activation is -(e(y) - f(x)))."""

    def fprop(self, a, labels):
        check_labels(self.output, a, labels)
        shift = a.max(axis=1, keepdims=True)
        z = a - shift
        probs = np.exp(z)
        total = probs.sum(axis=1, keepdims=True)
        probs /= total
        self._probs = probs
        return (np.log(total[:, 0]) - z[np.arange(len(a)), labels]).sum() / len(a)

    def bprop(self, needs, grad, a, labels):
        grad_a = self._probs.copy()
        grad_a[np.arange(len(a)), labels] -= 1
        grad_a *= grad / len(a)
        return grad_a, None
