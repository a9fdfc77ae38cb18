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
    grad = np.asarray(grad)
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra < 0:
        raise ValueError(f"gradient of shape {grad.shape} cannot be summed to {shape}")
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, (g, s) in enumerate(zip(grad.shape, shape)) if s == 1 and g != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    if grad.shape != shape:
        raise ValueError(f"gradient of shape {grad.shape} cannot be summed to {shape}")
    return grad
