"""Undoing numpy broadcasting in the backward pass, once for every box."""
from __future__ import annotations

from typing import Any

import numpy as np


def unbroadcast(grad: Any, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` back to ``shape``: the gradient of an input that numpy broadcast.

    If y = broadcast(x), then d loss / d x sums d loss / d y over every axis that was
    added in front or stretched from length 1. Raises ValueError when ``grad``'s shape
    cannot have come from broadcasting ``shape``.
    """
    if not hasattr(grad, "shape"):  # a number (an array-like that records its calls stays)
        grad = np.asarray(grad)
    if grad.shape == shape:
        return grad
    if grad.ndim < len(shape):
        raise ValueError(f"gradient of shape {grad.shape} cannot be summed to {shape}")
    leading, stretched = summed_axes(grad.shape, shape)
    if leading:
        grad = grad.sum(axis=leading)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    if grad.shape != shape:
        raise ValueError(f"gradient of shape {grad.shape} cannot be summed to {shape}")
    return grad


def summed_axes(shape: tuple[int, ...],
                target: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The axes :func:`unbroadcast` sums to bring ``shape`` to ``target``, in its order:
    those added in front (summed away), then those of ``target``'s length-1 axes that
    ``shape`` stretched (counted after the first sum; kept as length 1)."""
    extra = len(shape) - len(target)
    stretched = tuple(k for k, (a, b) in enumerate(zip(shape[extra:], target))
                      if b == 1 and a != 1)
    return tuple(range(extra)), stretched
