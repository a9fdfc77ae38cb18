"""Shape primitives: reshape, transpose, and picking each row's label entry."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..box import Box
from ..errors import LabelError, describe
from .gradient import linear_in


class Reshape(Box):
    """y = a viewed with a new shape;   d a = d y reshaped to a's shape"""

    def __init__(self, a: Any, shape: Sequence[int], name: str | None = None) -> None:
        self.shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        super().__init__(a, name=name)

    def fprop(self, a):
        return np.reshape(a, self.shape)

    def bprop(self, grad, a):
        return np.reshape(grad, np.shape(a))

    bprop_boxes = linear_in(0)


class Transpose(Box):
    """y = a with its axes permuted (reversed by default);   d a = d y permuted back"""

    def __init__(self, a: Any, axes: Sequence[int] | None = None, name: str | None = None) -> None:
        self.axes = None if axes is None else tuple(axes)
        super().__init__(a, name=name)

    def fprop(self, a):
        return np.transpose(a, self.axes)

    def bprop(self, grad, a):
        if self.axes is None:
            return np.transpose(grad)
        return np.transpose(grad, np.argsort([axis % np.ndim(a) for axis in self.axes]))

    bprop_boxes = linear_in(0)


def check_labels(box: Any, scores: Any, labels: Any) -> None:
    """Raise LabelError unless ``labels`` are integers in [0, C) of shape (N,) for
    ``scores`` of shape (N, C). Negative labels are refused (numpy would wrap them)."""
    if np.ndim(scores) != 2:
        raise LabelError(f"{describe(box)}: expects scores of shape (N, C), "
                         f"got shape {np.shape(scores)}.")
    rows, classes = scores.shape
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise LabelError(f"{describe(box)}: labels must be integers, got dtype "
                         f"{labels.dtype}; convert them with labels.astype(int).")
    if labels.shape != (rows,):
        raise LabelError(f"{describe(box)}: labels of shape {labels.shape} do not match "
                         f"scores of shape {scores.shape}; expected shape ({rows},).")
    if rows and (labels.min() < 0 or labels.max() >= classes):
        bad = labels[(labels < 0) | (labels >= classes)]
        raise LabelError(f"{describe(box)}: labels must lie in [0, {classes}) for "
                         f"{classes} classes; got {bad[:5].tolist()}.")


class Pick(Box):
    """y_n = a[n, labels_n] for a of shape (N, C) and integer labels in [0, C);
    d a = d y scattered into the picked entries (zero elsewhere); labels get no gradient"""

    def fprop(self, a, labels):
        check_labels(self, a, labels)
        return a[np.arange(len(a)), labels]

    def bprop(self, grad, a, labels):
        grad_a = np.zeros_like(a, dtype=np.result_type(grad, a))
        grad_a[np.arange(len(grad_a)), labels] = grad
        return grad_a, None

    bprop_boxes = linear_in(0)
