"""numpy's rules for axes and integer settings, checked with errors that name the box.

A box's settings (an axis, a shift, a shape) are checked when the box is made; an axis
is checked against its input's shape when the graph runs (a graph is fed batches of any
size, so the shape is known only then). Both raise :class:`BoxError` naming the box, the
setting and the shape, instead of numpy's message from deep inside the call.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import BoxError, describe


def is_integer(value: Any) -> bool:
    """An int, a numpy integer or a 0-d integer array (not a bool)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def integer_setting(box: Any, value: Any, what: str) -> int:
    """``value`` as an int, or a BoxError naming the box and the setting."""
    if not is_integer(value):
        raise BoxError(f"{describe(box)}: {what} must be an integer, got {value!r}.")
    return int(value)


def integers_setting(box: Any, value: Any, what: str) -> int | tuple[int, ...]:
    """An int as an int, a sequence of ints as a tuple; anything else a BoxError."""
    if is_integer(value):
        return int(value)
    if isinstance(value, (Sequence, np.ndarray)) and not isinstance(value, str) \
            and np.ndim(value) == 1 and all(is_integer(item) for item in value):
        return tuple(int(item) for item in value)
    raise BoxError(f"{describe(box)}: {what} must be an integer or a sequence of integers, "
                   f"got {value!r}.")


def as_tuple(value: int | tuple[int, ...]) -> tuple[int, ...]:
    """An int setting as a 1-tuple, a tuple as it is."""
    return (value,) if isinstance(value, int) else value


def axis_index(box: Any, axis: int, shape: tuple[int, ...], what: str = "axis",
               ndim: int | None = None) -> int:
    """``axis`` (negative counts from the end) as an index in [0, ndim), ndim the number
    of axes of ``shape`` (or of the result, for a box that adds axes)."""
    ndim = len(shape) if ndim is None else ndim
    if not -ndim <= axis < ndim:
        axes = f"axes {-ndim}..{ndim - 1}" if ndim else "a 0-d array has no axes"
        raise BoxError(f"{describe(box)}: {what} {axis} is out of range for an input of "
                       f"shape {shape} ({axes}).")
    return axis % ndim


def axis_indices(box: Any, axes: Sequence[int], shape: tuple[int, ...],
                 what: str = "axis", ndim: int | None = None) -> tuple[int, ...]:
    """Each axis of ``axes`` as an index (see :func:`axis_index`); no axis named twice."""
    indices = tuple(axis_index(box, axis, shape, what, ndim) for axis in axes)
    if len(set(indices)) != len(indices):
        raise BoxError(f"{describe(box)}: {what} {tuple(axes)} names an axis twice for an "
                       f"input of shape {shape}.")
    return indices


def interleaved(first: Sequence[int], second: Sequence[int]) -> tuple[int, ...]:
    """(f0, s0, f1, s1, ...): the shape that splits axis k of a tiled or Kronecker
    product array into its block index (f_k) and the index inside a block (s_k)."""
    return tuple(side for pair in zip(first, second) for side in pair)
